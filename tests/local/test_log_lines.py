"""`make serve`'s output, as the developer's terminal gets it: values from a request never start a line
of their own, nor send the terminal an escape sequence; they show escaped.

The real `python -m tools.local serve` (what `make serve` runs), a background run with hostile task
ids calling back a stand-in of SpiffArena, and a command whose error code holds the same.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from support.local_server import Served, local_env, request
from support.sample_connectors import CONNECTOR_SAMPLE, CONNECTOR_SHAPES
from support.spiffarena import SpiffArena, Stored

FORGED = "2026-01-01 00:00:00,000 ERROR spiff_lambda_proxy: payment approved"
HOSTILE_INSTANCE = f"7\n{FORGED}"
HOSTILE_TASK = "guid\r\x1b[2J\x1b]0;pwned\x07\u2028\u202eend"
SHOWN_INSTANCE = "7\\n2026-01-01 00:00:00,000 ERROR spiff_lambda_proxy: payment approved"
SHOWN_TASK = "guid\\r\\x1b[2J\\x1b]0;pwned\\x07\\u2028\\u202eend"
HOSTILE_CODE = "Oops\n" + FORGED + "\x1b[31m"


@pytest.mark.slow
def test_hostile_values_show_escaped_in_make_serves_output(tmp_path: Path, spiffarena: SpiffArena) -> None:
    for relative, source in {**CONNECTOR_SAMPLE, **CONNECTOR_SHAPES}.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    served = Served.module("--reload", "0", env=local_env(spiffarena.local_settings(), python_path=tmp_path))
    try:
        url = served.url()
        task = spiffarena.service_task("sample/Echo")
        body = spiffarena.request_body(task, {"message": "hi", "spiff__proxy_background": True}, {})
        body |= {"spiff__process_instance_id": HOSTILE_INSTANCE, "spiff__task_id": HOSTILE_TASK}
        assert request(url, "POST", "/v1/do/sample/Echo", body).status == 202
        assert isinstance(spiffarena.wait(task), Stored)
        failed = request(url, "POST", "/v1/do/shapes/V2", {"status": 500, "error_code": HOSTILE_CODE})
        assert failed.json["error"]["error_code"] == HOSTILE_CODE  # the answer itself is unchanged
        for text in ("result delivered", "/v1/do/shapes/V2 -> 200"):  # in either order
            if not any(text in line for line in served.seen):
                served.wait_for(text)
    finally:
        output = served.stop()
    lines = output.split("\n")
    assert not any(line.startswith(FORGED) for line in lines)
    assert not any(char in output for char in "\r\x1b\x07\u2028\u202e")
    about_the_task = [line for line in lines if "process instance" in line]
    assert len(about_the_task) == 2  # the start's line and the outcome's
    assert all(f"process instance {SHOWN_INSTANCE}, task {SHOWN_TASK}" in line for line in about_the_task)
    assert any("error_code=Oops\\n2026-01-01_00:00:00,000_ERROR" in line for line in lines)
