"""The site's certificates: its CA, and the server certificates of the broker and the dashboard it signs.

`gymctl init` makes the CA (or is given the operator's) and issues both server certificates. The CA's
key signs and does nothing else: it is written to `ca/ca.key` (0600, in a 0700 folder) only so that the
operator can carry it off the broker host (broker/make-certs.sh says the same of its `ca.key`); a
stolen broker host then cannot mint a certificate the stations would trust. `gymctl certs renew
--ca-key FILE` brings it back for the renewal, `gymctl doctor` says when that is due.

Keys are ECDSA P-256: what TLS 1.2/1.3 clients all accept, and made in a millisecond (RSA-3072 takes
a second per key, for every test's site).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650  # the CA outlives many server certificates: re-installing it on every unit is the costly step
# The longest validity clients still accept for a server certificate (Apple's and browsers' 825 days).
SERVER_DAYS = 825
# Renewal is due this long before expiry: a month of `gymctl doctor` runs (cron, or the operator's visit)
# to notice it, and the CA key is offline, so someone must fetch it.
RENEW_BEFORE_DAYS = 30


@dataclass(frozen=True)
class Issued:
    cert_pem: bytes
    key_pem: bytes


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_ca(site_id: str) -> Issued:
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"gym site {site_id} CA")])
    now = _now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def issue_server(ca: Issued, names: list[str], days: int = SERVER_DAYS) -> Issued:
    """A server certificate for `names` (host names or IP addresses), signed by the CA."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("the CA key is neither EC nor RSA")
    if _spki(ca_key.public_key()) != _spki(ca_cert.public_key()):
        raise ValueError("the CA key does not belong to the CA certificate")
    key = _key()
    now = _now()
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([_san(n) for n in dict.fromkeys(names)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def _spki(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[no-any-return]


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def days_left(cert: x509.Certificate, now: dt.datetime | None = None) -> float:
    return (cert.not_valid_after_utc - (now or _now())).total_seconds() / 86400


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError):  # another issuer, or another kind of key
        return False
    return True


def names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n.value) for n in san]
