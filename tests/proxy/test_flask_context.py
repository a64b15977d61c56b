"""Connectors written for the Flask host read `flask.current_app.config`: it answers like `config`.

Flask here is the real one (in the test venv through moto's server). Nothing
imports it unless a command's connector does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from support.lambda_events import invoke
from support.paths import PROJECT_ROOT

from spiff_lambda_proxy import runner
from spiff_lambda_proxy.registry import Registry

pytest.importorskip("flask")

FLASK_ERA = {
    "connector_legacy/__init__.py": "",
    "connector_legacy/commands/__init__.py": "",
    # As connector-waku: Flask imported at module level, settings from current_app.config.
    "connector_legacy/commands/send.py": """
        from flask import current_app


        class ReadSettings:
            def __init__(self, name: str):
                self.name = name

            def execute(self, config, task_data):
                settings = current_app.config
                current_app.logger.info("Flask's logger works in the context too")
                return {
                    "response": {
                        "value": settings[self.name],
                        "keys_equal": sorted(settings) == sorted(config),
                        "values_equal": all(settings[key] == config[key] for key in config),
                        "length_equal": len(settings) == len(config),
                        "deadline": settings.get("CONNECTOR_PROXY_DEADLINE"),
                        "config_deadline": config.get("CONNECTOR_PROXY_DEADLINE"),
                        "debug_listed": "DEBUG" in settings,
                        "shown": repr(settings),
                    },
                    "status": 200,
                    "mimetype": "application/json",
                }


        class ReadMissing:
            def execute(self, config, task_data):
                return {"response": current_app.config["SURELY_NOT_SET_ANYWHERE"], "status": 200}


        class WaitForPartner:
            barrier = None

            def execute(self, config, task_data):
                WaitForPartner.barrier.wait(timeout=10)  # both runs are inside their contexts now
                return current_app.config["CONNECTOR_PROXY_DEADLINE"]
    """,
    # Flask imported on first use, inside the command.
    "connector_legacy/commands/lazy.py": """
        class LazyRead:
            def execute(self, config, task_data):
                from flask import current_app

                setting = current_app.config["LEGACY_SETTING"]
                return {"response": setting, "status": 200, "mimetype": "text/plain"}
    """,
    # Only a helper module of the connector reads current_app.
    "connector_legacy/settings.py": """
        import flask


        def setting(name):
            return flask.current_app.config[name]
    """,
    "connector_legacy/commands/helped.py": """
        from connector_legacy.settings import setting


        class ThroughHelper:
            def execute(self, config, task_data):
                return {"response": setting("LEGACY_SETTING"), "status": 200, "mimetype": "text/plain"}
    """,
    # A connector that never imports Flask, calling code (outside it) that asks Flask.
    "context_probe.py": """
        def in_app_context():
            import flask

            return flask.has_app_context()
    """,
    "connector_modern/__init__.py": "",
    "connector_modern/commands/__init__.py": "",
    "connector_modern/commands/plain.py": """
        import context_probe


        class Plain:
            def execute(self, config, task_data):
                return {"response": {"in_app_context": context_probe.in_app_context()}, "status": 200,
                        "mimetype": "application/json"}
    """,
}


@pytest.fixture
def legacy(
    extra_connectors: Callable[[dict[str, str]], Registry], monkeypatch: pytest.MonkeyPatch
) -> Registry:
    monkeypatch.setenv("LEGACY_SETTING", "from the environment")
    registry = extra_connectors(FLASK_ERA)
    assert not registry.failures
    return registry


def test_current_app_config_answers_like_config(legacy: Registry) -> None:
    answer = invoke("function-url", "POST", "/v1/do/legacy/ReadSettings", body={"name": "LEGACY_SETTING"})
    assert answer.status == 200, answer.json
    result = answer.json
    assert result["value"] == "from the environment"
    assert result["keys_equal"] and result["values_equal"] and result["length_equal"]
    assert result["deadline"] is not None and result["deadline"] == result["config_deadline"]
    # Flask's own defaults serve Flask (its logger ran above) without becoming settings.
    assert result["debug_listed"] is False
    assert "from the environment" not in result["shown"]


def test_a_missing_setting_is_a_key_error_as_with_config(legacy: Registry) -> None:
    answer = invoke("function-url", "POST", "/v1/do/legacy/ReadMissing", body={})
    assert answer.status == 500
    assert answer.json["error"]["error_code"] == "KeyError"


@pytest.mark.parametrize("command", ["LazyRead", "ThroughHelper"])
def test_flask_imported_in_a_function_or_a_helper_gets_the_context(legacy: Registry, command: str) -> None:
    answer = invoke("function-url", "POST", f"/v1/do/legacy/{command}", body={})
    assert (answer.status, answer.text) == (200, "from the environment")


def test_other_connectors_run_outside_any_flask_context(legacy: Registry) -> None:
    answer = invoke("function-url", "POST", "/v1/do/modern/Plain", body={})
    assert answer.json == {"in_app_context": False}


def test_background_runs_get_the_context_too(legacy: Registry) -> None:
    target = legacy.command("legacy", "LazyRead")
    assert target is not None
    result = runner.run(runner.bind(target, {}), deadline=1234.5).result
    assert result["response"] == "from the environment"


def test_concurrent_runs_each_see_their_own_config(legacy: Registry) -> None:
    target = legacy.command("legacy", "WaitForPartner")
    assert target is not None
    target.cls.barrier = threading.Barrier(2)  # type: ignore[attr-defined]
    seen: dict[float, object] = {}

    def run(deadline: float) -> None:
        seen[deadline] = runner.run(runner.bind(target, {}), deadline=deadline).result

    threads = [threading.Thread(target=run, args=(deadline,)) for deadline in (1000.0, 2000.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert seen == {1000.0: 1000.0, 2000.0: 2000.0}


# Flask is importable in the test venv: serving the project's commands must still not load it.
_COLD_START = """
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import lambda_function
from support.lambda_events import lambda_context, make_event
events = [make_event("function-url", "GET", "/v1/commands"),
          make_event("function-url", "POST", "/v1/do/modern/Plain", body={})]
codes = [lambda_function.lambda_handler(event, lambda_context())["statusCode"] for event in events]
print(json.dumps({"codes": codes, "flask": sorted(m for m in sys.modules if m.split(".")[0] == "flask")}))
"""


def test_no_flask_import_at_cold_start_nor_for_other_commands(tmp_path: Path) -> None:
    from conftest import write_tree

    write_tree(tmp_path, {k: v for k, v in FLASK_ERA.items() if not k.startswith("connector_legacy")})
    # context_probe would import flask when asked: this Plain must not ask.
    (tmp_path / "context_probe.py").write_text("def in_app_context():\n    return None\n")
    done = subprocess.run(
        [sys.executable, "-c", _COLD_START, str(tmp_path), str(PROJECT_ROOT / "tests")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"codes": [200, 200], "flask": []}
