"""python -m services.progression.identity migrate-tokens — the one-shot move of members' tokens to references.

Sites that ran a version keeping badge ids, QR texts and PINs in clear (in member records and in the
``gym:{site}:token:{method}:{token}`` index) are moved to keyed references (shared/identity.py) as the
progression service reads each member; this command moves every other one at once, so no clear token is left
in Redis (nor in the backups taken after it: delete the older ones). Run it with the progression service's
env file (it needs GYM_TOKEN_KEY, as the service does); it is safe to run again and while the services run.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.progression.identity", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate-tokens", help="move every token kept in clear to its keyed reference")
    p.parse_args(argv)

    from pydantic import ValidationError

    from services.progression.service import ProgressionSettings
    from shared.store import RedisErrors, RedisStore, connect, redacted_url

    try:
        settings = ProgressionSettings()
        store = RedisStore(connect(settings.redis_url), settings.site_id, settings.site_token_key())
        n = store.migrate_clear_tokens()
    except (ValidationError, ValueError) as exc:
        print(f"settings: {exc}", file=sys.stderr)
        return 2
    except RedisErrors as exc:
        print(f"redis at {redacted_url(settings.redis_url)}: {exc}", file=sys.stderr)
        return 1
    print(f"{n} member(s) moved to token references on site {settings.site_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
