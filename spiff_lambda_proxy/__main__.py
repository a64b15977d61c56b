"""`python -m spiff_lambda_proxy serve | invoke EVENT.json`: the Lambda handler on this machine.

serve   an HTTP server on 127.0.0.1:7004 (`make serve`); point SpiffArena's
        SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL at it
invoke  call the handler once with a Lambda event from a file (or - for stdin)
        and print its answer
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from . import local


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "serve":
        return _serve(args.host, args.port, args.timeout)
    return _invoke(args.event, args.timeout)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m spiff_lambda_proxy",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="answer HTTP like a Lambda Function URL")
    serve.add_argument("--host", default=local.DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=local.DEFAULT_PORT, help="0 picks a free port")
    invoke = commands.add_parser("invoke", help="call the handler once with an event file")
    invoke.add_argument("event", help="a JSON Lambda event (e.g. tests/events/*.json), or - for stdin")
    for command in (serve, invoke):
        command.add_argument(
            "--timeout",
            type=float,
            default=local.DEFAULT_TIMEOUT_SECONDS,
            help="the function timeout the context reports, in seconds (default %(default)s)",
        )
    return parser


def _serve(host: str, port: int, timeout: float) -> int:
    try:
        server = local.make_server(host, port, timeout)
    except OSError as error:
        print(f"Cannot listen on {host}:{port}: {error.strerror or error}", file=sys.stderr)
        return 1
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Note: listening on {host} makes the proxy reachable from other machines.", file=sys.stderr)
    print(f"Serving the connector proxy on {server.url}", flush=True)
    print(f"  SpiffArena: SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL={server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _invoke(event_file: str, timeout: float) -> int:
    try:
        text = sys.stdin.read() if event_file == "-" else Path(event_file).read_text()
        event: Any = json.loads(text)
    except OSError as error:
        print(f"Cannot read the event file {event_file}: {error.strerror or error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"{event_file} is not JSON: {error}", file=sys.stderr)
        return 2
    answer = local.invoke(event, timeout)
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
