"""Runs inside the target Python, in the unpacked archive: `lambda_handler` timed when warm.

Not imported by the bench: `warm.py` runs this file's text, and it puts the
archive first on `sys.path`. Reads a JSON request on stdin and prints one
JSON line of timings (microseconds).

- "warm": `warmup` calls of each kind, then `calls` rounds of: `/v1/commands`,
  `/v1/do/http/GetRequestV2`, and the same GET sent to the upstream with
  `http.client` over its own kept-alive connection (the upstream's own time).
- "reuse": `calls` sequential GetRequestV2 calls from a fresh process; the
  bench counts the connections the upstream accepted.
- "typeahead": from a fresh process, `warmup` then `calls` lookups of the built-in
  cities, limit 100, the prefix changing each time as someone types; then the peak
  memory (max RSS) of the process, lookups of 1,000 records of every letter included.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import sys
import time
from typing import Any
from urllib.parse import urlsplit

# Every call of the run reuses one context, with far more time left than the run takes.
CONTEXT_SECONDS = 900.0


def lambda_like_logging() -> io.StringIO:
    """A root handler like the one Lambda's Python runtime installs, writing to memory.

    The proxy's one log line per request is formatted and written as on Lambda.
    """
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(message)s\n"))
    logging.getLogger().addHandler(handler)
    return sink


def answered(answer: dict[str, Any], check_error: bool) -> None:
    if answer["statusCode"] != 200 or (check_error and '"error":null' not in answer["body"]):
        raise SystemExit(f"unexpected answer: {answer!r}"[:2000])


def main() -> None:
    request = json.loads(sys.stdin.read())
    # The archive first, the interpreter's site-packages gone: Lambda's /var/task.
    sys.path[:] = [request["task_root"]] + [p for p in sys.path if "site-packages" not in p]
    import lambda_function

    sink = lambda_like_logging()
    handler = lambda_function.lambda_handler
    namespace: dict[str, Any] = {}
    exec(request["context_setup"], namespace)  # noqa: S102 - the project's own stand-in context
    context = namespace["LocalContext"](CONTEXT_SECONDS)
    commands, do = request["commands_event"], request["do_event"]
    clock = time.perf_counter_ns

    if request["mode"] == "typeahead":
        typeahead(handler, context, request, clock)
        return

    if request["mode"] == "reuse":
        for _ in range(request["calls"]):
            answered(handler(do, context), True)
        print(json.dumps({"calls": request["calls"]}))
        return

    url = urlsplit(request["upstream_url"])
    upstream = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    target = f"{url.path}?colour=blue"

    def bare_get() -> None:
        upstream.request("GET", target, headers={"Accept": "application/json"})
        response = upstream.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"upstream answered {response.status}")

    for _ in range(request["warmup"]):
        answered(handler(commands, context), False)
        answered(handler(do, context), True)
        bare_get()

    timings: dict[str, list[float]] = {"commands": [], "do": [], "upstream": []}
    for _ in range(request["calls"]):
        started = clock()
        handler(commands, context)
        between = clock()
        answer = handler(do, context)
        after = clock()
        bare_get()
        done = clock()
        timings["commands"].append((between - started) / 1000)
        timings["do"].append((after - between) / 1000)
        timings["upstream"].append((done - after) / 1000)
    answered(answer, True)
    upstream.close()
    timings_line = json.dumps({**timings, "log_lines": sink.getvalue().count("[INFO]")})
    print(timings_line)


def typeahead(handler: Any, context: Any, request: dict[str, Any], clock: Any) -> None:
    import resource

    events = request["typeahead_events"]
    for index in range(request["warmup"]):
        answered(handler(events[index % len(events)], context), False)
    timings = []
    for index in range(request["calls"]):
        event = events[index % len(events)]
        started = clock()
        answer = handler(event, context)
        timings.append((clock() - started) / 1000)
        answered(answer, False)
    for big in request["large_events"]:
        answered(handler(big, context), False)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"typeahead": timings, "peak_kb": peak_kb}))


if __name__ == "__main__":
    main()
