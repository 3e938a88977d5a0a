"""python -m services.dashboard run [--host H] [--port P]"""

from __future__ import annotations

import argparse
import logging
import os


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m services.dashboard", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="serve the dashboard")
    r.add_argument("--host", default=os.environ.get("GYM_DASHBOARD_HOST", "127.0.0.1"))
    r.add_argument("--port", type=int, default=int(os.environ.get("GYM_DASHBOARD_PORT", "8000")))
    args = p.parse_args(argv)
    import uvicorn

    from services.dashboard.app import create_app
    from shared.settings import Settings

    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s dashboard %(levelname)s %(message)s")
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
