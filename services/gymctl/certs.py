"""The site's certificates on disk: made by `gymctl init`, renewed by `gymctl certs renew`, checked by doctor.

Where each file goes and who may read it is in site.py's table; the CA's key is written once, to
`ca/ca.key`, for the operator to carry off the host (tls.py says why).
"""

from __future__ import annotations

from pathlib import Path

from services.gymctl import tls
from services.gymctl.files import broker_group, private_dir, private_file, write_public
from services.gymctl.site import SiteConfig, SiteState


def write_key(path: Path, pem: bytes, group: int | None) -> None:
    with private_file(path, group=group, binary=True) as fh:
        fh.write(pem)


def make_site_ca(state: SiteState, cfg: SiteConfig) -> tls.Issued:
    """A new site CA: its certificate in tls/ (public), its key in ca/ (0600, to be moved off the host)."""
    ca = tls.make_ca(cfg.site_id)
    private_dir(state.ca_key.parent)
    write_key(state.ca_key, ca.key_pem, None)
    state.tls_dir.mkdir(mode=0o755, exist_ok=True)
    write_public(state.ca_cert, ca.cert_pem)
    return ca


def load_ca(state: SiteState, cert: Path, key: Path) -> tls.Issued:
    try:
        ca = tls.Issued(cert.read_bytes(), key.read_bytes())
    except OSError as exc:
        raise ValueError(f"the site CA: {exc}") from exc
    return ca


def issue_site_certs(state: SiteState, cfg: SiteConfig, ca: tls.Issued, names: list[str],
                     days: int = tls.SERVER_DAYS) -> None:
    """The broker's and the dashboard's server certificates for `names`, signed by `ca`; each key readable by
    the one process that serves with it (mosquitto after dropping root; the dashboard, run as `gym`)."""
    state.tls_dir.mkdir(mode=0o755, exist_ok=True)
    state.tls_dir.chmod(0o755)
    write_public(state.ca_cert, ca.cert_pem)
    broker = tls.issue_server(ca, names, days)
    private_dir(state.broker, group=broker_group(cfg.broker_user))
    write_key(state.broker_key, broker.key_pem, broker_group(cfg.broker_user))
    write_public(state.broker_cert, broker.cert_pem)
    dash = tls.issue_server(ca, names, days)
    write_key(state.dashboard_key, dash.key_pem, broker_group(cfg.service_user, "--service-user"))
    write_public(state.dashboard_cert, dash.cert_pem)


def renew(state: SiteState, cfg: SiteConfig, ca_key: Path, days: int = tls.SERVER_DAYS) -> str:
    """New server certificates with the same names, signed by the site CA whose key the operator brought."""
    if not cfg.site_certs:
        raise ValueError("this site's certificates are the operator's (broker-config --certs-dir): renew them "
                         "where they were made (broker/make-certs.sh)")
    ca = load_ca(state, state.ca_cert, ca_key)
    names = tls.names(tls.load(state.broker_cert)) if state.broker_cert.exists() else [cfg.broker_host]
    issue_site_certs(state, cfg, ca, names, days)
    left = tls.days_left(tls.load(state.broker_cert))
    return (f"broker and dashboard certificates renewed for {', '.join(names)} ({left:.0f} days); restart "
            "mosquitto and gym-dashboard to serve them")
