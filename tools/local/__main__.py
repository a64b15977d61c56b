"""`python -m tools.local serve | invoke EVENT.json`: the Lambda handler on this machine.

serve   an HTTP server on 127.0.0.1:7004 (`make serve`) that reloads when code or
        connectors change; point SpiffArena's SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL at it
invoke  call the handler once with a Lambda event from a file (or - for stdin)
        and print its answer; a background run it starts runs to its end first
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from . import reload, typeahead
from .context import DEFAULT_TIMEOUT_SECONDS
from .server import DEFAULT_HOST, DEFAULT_PORT, Handler, LocalServer, invoke, listen, load_handler


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "serve":
        return _serve(args)
    typeahead.serve_lists(
        typeahead.built_ins(bool(args.typeahead_builtins), args.typeahead_cache), args.typeahead_dir
    )
    return _invoke(args.event, args.timeout, args.results_file)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.local",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="answer HTTP like a Lambda Function URL")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    serve.add_argument("--reload", type=int, choices=(0, 1), default=1, help="restart on changes (default 1)")
    # Set by the reloading supervisor for the server processes it starts.
    serve.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--reloaded-after", help=argparse.SUPPRESS)
    # The built-in typeahead lists as the supervisor prepared them ("" when there are none), and why.
    serve.add_argument("--typeahead-prepared", help=argparse.SUPPRESS)
    serve.add_argument("--typeahead-note", default="", help=argparse.SUPPRESS)
    invoke = commands.add_parser("invoke", help="call the handler once with an event file")
    invoke.add_argument("event", help="a JSON Lambda event (e.g. tests/events/*.json), or - for stdin")
    for command in (serve, invoke):
        command.add_argument(
            "--results-file",
            type=Path,
            # make serve's RESULTS_FILE=, also when it comes from the environment.
            default=os.environ.get("RESULTS_FILE") or None,
            help=f"where undelivered background results wait (RESULTS_FILE; default {_default_results()})",
        )
        command.add_argument(
            "--typeahead-builtins",
            type=int,
            choices=(0, 1),
            default=1,
            help="serve the built-in typeahead lists, packed once into build/ (default 1)",
        )
        # Elsewhere than the project's typeahead/ and build/ (tests).
        command.add_argument(
            "--typeahead-dir", type=Path, default=typeahead.TEAM_FOLDER, help=argparse.SUPPRESS
        )
        command.add_argument(
            "--typeahead-cache", type=Path, default=typeahead.DEFAULT_CACHE, help=argparse.SUPPRESS
        )
        command.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT_SECONDS,
            help="the function timeout the context reports, in seconds (default %(default)s)",
        )
    return parser


def _serve(args: argparse.Namespace) -> int:
    if args.listen_fd is not None:
        listener = socket.socket(fileno=args.listen_fd)
    else:
        try:
            listener = listen(args.host, args.port)
        except OSError as error:
            print(_cannot_listen(args.host, args.port, error), file=sys.stderr)
            return 1
    if args.typeahead_prepared is None:
        built = typeahead.built_ins(bool(args.typeahead_builtins), args.typeahead_cache)
    else:
        built = typeahead.BuiltIns(
            Path(args.typeahead_prepared) if args.typeahead_prepared else None, args.typeahead_note
        )
    if args.reload and args.listen_fd is None:
        server_args = ["--host", args.host, "--port", str(args.port), "--timeout", str(args.timeout)]
        if args.results_file is not None:
            server_args += ["--results-file", str(args.results_file)]
        server_args += ["--typeahead-prepared", str(built.folder or ""), "--typeahead-note", built.note]
        server_args += ["--typeahead-dir", str(args.typeahead_dir)]
        return reload.supervise(server_args, listener, also_watched=(args.typeahead_dir,))
    return _run_server(listener, args, built)


def _cannot_listen(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"Cannot listen on {host}:{port}: the port is in use (another make serve?). "
            f"Choose another one with PORT=, e.g. make serve PORT={port + 1}"
        )
    if error.errno == errno.EACCES:
        return f"Cannot listen on {host}:{port}: not allowed. Choose a port above 1024 with PORT="
    if error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
        return f"Cannot listen on {host}:{port}: {host} is not an address of this machine (HOST=)."
    return f"Cannot listen on {host}:{port}: {error.strerror or error} (HOST= and PORT= change it)."


def _default_results() -> str:
    from .results_file import DEFAULT_RESULTS_FILE
    from .server import PROJECT_ROOT

    return str(DEFAULT_RESULTS_FILE.relative_to(PROJECT_ROOT))


def _results(path: Path | None) -> Any:
    """The results file, or None (saying why) when it cannot be used: results are then not kept."""
    from spiff_lambda_proxy.background.keeper import KeeperError

    from .results_file import DEFAULT_RESULTS_FILE, FileKeeper

    try:
        return FileKeeper(path or DEFAULT_RESULTS_FILE)
    except KeeperError as error:
        print(f"Undelivered background results will NOT be kept: {error}", file=sys.stderr)
        return None


def _run_server(listener: socket.socket, args: argparse.Namespace, built: typeahead.BuiltIns) -> int:
    typeahead.serve_lists(built, args.typeahead_dir)
    handler, registry = _load()
    server = LocalServer(listener, handler, args.timeout, args.host, _results(args.results_file))
    if registry is None:
        print(f"Serving on {server.url}, but the proxy failed to load (see above); save a fix to reload.")
    else:
        from . import banner

        if args.reloaded_after:
            lines = [
                *banner.reloaded(args.reloaded_after, registry),
                "  " + typeahead.banner_line(built, args.typeahead_dir),
            ]
        else:
            lines = banner.banner(
                server.url,
                args.host,
                registry,
                args.timeout,
                reload=args.listen_fd is not None,
                typeahead=typeahead.banner_line(built, args.typeahead_dir),
            )
        print("\n".join(lines), flush=True)
    stopping = threading.Event()

    def graceful_stop(signum: int, frame: object) -> None:
        # From the reloading supervisor: stop accepting, finish what was started, then exit.
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, graceful_stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()  # Ctrl-C: wait for nothing
        return 0
    server.server_close()
    server.finish()
    return 0


def _load() -> tuple[Handler, Any]:
    """The handler and its registry; if the code does not load, a handler that says why."""
    try:
        handler = load_handler()
        from spiff_lambda_proxy.registry import registry

        return handler, registry()
    except Exception as error:
        traceback.print_exc()
        message = (
            f"The proxy failed to load: {type(error).__name__}: {error}. Fix it and save: make serve reloads."
        )
        body = json.dumps(
            {"command_response": {}, "error": {"error_code": "proxy_failed_to_load", "message": message}}
        )

        def broken(event: Any, context: Any) -> Any:
            return {"statusCode": 500, "headers": {"Content-Type": "application/json"}, "body": body}

        return broken, None


def _invoke(event_file: str, timeout: float, results_file: Path | None) -> int:
    try:
        text = sys.stdin.read() if event_file == "-" else Path(event_file).read_text()
        event: Any = json.loads(text)
    except OSError as error:
        print(f"Cannot read the event file {event_file}: {error.strerror or error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"{event_file} is not JSON: {error}", file=sys.stderr)
        return 2
    try:
        answer = invoke(event, timeout, results=_results(results_file))
    except Exception as error:
        # What Lambda would report as a failed invocation (a background run's result not delivered).
        print(f"The invocation failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
