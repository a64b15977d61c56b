"""`/v1/commands` parameter descriptions: every annotation shape of PROTOCOL.md section 3.

The expected values are written from the rule, not from our code: the type set is
{T} for str/int/bool/None, else the members of typing.get_args(annotation) with
anything but those four as "unsupported"; required = no default and None not in the
set; type = the one supported member left after dropping None, else "any".
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.annotation_zoo import SHAPES
from support.annotation_zoo import source as _source
from support.lambda_events import invoke
from support.oauth_flow import CONNECTOR_OAUTHDEMO
from support.sample_connectors import CONNECTOR_PROBE, CONNECTOR_SAMPLE, CONNECTOR_SHAPES

from spiff_lambda_proxy import describe
from spiff_lambda_proxy.registry import Registry, Target


# (parameter as written in `__init__`, expected type, expected required).
def _expected(shape: str, type_name: str, required: bool) -> dict[str, object]:
    name = shape.split(":")[0].split("=")[0].strip()
    return {"id": name, "type": type_name, "required": required}


@pytest.mark.parametrize("future", [False, True], ids=["evaluated", "postponed"])
def test_descriptions_follow_the_protocol_for_every_shape(
    future: bool, extra_connectors: Callable[[dict[str, str]], Registry]
) -> None:
    registry = extra_connectors(
        {
            "connector_typed/__init__.py": "",
            "connector_typed/commands/__init__.py": "",
            "connector_typed/commands/typed.py": _source(future),
        }
    )
    assert not registry.failures
    described = {
        item["id"]: item["parameters"] for item in invoke("function-url", "GET", "/v1/commands").json
    }
    expected = [_expected(*shape) for shape in SHAPES]
    # *args and **kwargs are skipped; keyword-only parameters are described like the others.
    expected += [
        {"id": "keyword_only", "type": "bool", "required": True},
        {"id": "keyword_default", "type": "int", "required": False},
    ]
    for got, want in zip(described["typed/Everything"], expected, strict=True):
        assert got == want
    assert described["typed/AsDataclass"] == [
        {"id": "message", "type": "str", "required": True},
        {"id": "recipient", "type": "str", "required": True},
        {"id": "params", "type": "any", "required": False},
    ]
    assert described["typed/NoInit"] == []


def test_a_parameter_that_may_be_none_is_passed_none_when_left_out(
    extra_connectors: Callable[[dict[str, str]], Registry],
) -> None:
    extra_connectors(
        {
            "connector_maybe/__init__.py": "",
            "connector_maybe/commands/__init__.py": "",
            "connector_maybe/commands/maybe.py": """
                from typing import Optional


                class Maybe:
                    def __init__(self, names: Optional[list[str]], label: str | None):
                        self.got = {"names": names, "label": label}

                    def execute(self, config, task_data):
                        return {"response": self.got, "status": 200, "mimetype": "application/json"}
            """,
        }
    )
    answer = invoke("function-url", "POST", "/v1/do/maybe/Maybe", body={})
    assert answer.status == 200
    assert answer.json == {"names": None, "label": None}


def _targets(registry: Registry) -> list[Target]:
    found = [
        registry.command(plugin.display_name, name) for plugin in registry.plugins for name in plugin.commands
    ]
    found += [
        registry.auth(plugin.display_name, name) for plugin in registry.plugins for name in plugin.auths
    ]
    return [target for target in found if target is not None]


@pytest.mark.parametrize("future", [False, True], ids=["evaluated", "postponed"])
def test_reading_init_from_its_code_object_agrees_with_inspect_on_every_connector(
    future: bool, extra_connectors: Callable[[dict[str, str]], Registry]
) -> None:
    """Discovery reads plain `__init__`s from their code objects instead of `inspect.signature`
    (which loads ast, dis and tokenize at cold start): both must describe every command of the
    shipped connectors and of the tests' fixtures alike."""
    registry = extra_connectors(
        {
            **CONNECTOR_SAMPLE,
            **CONNECTOR_SHAPES,
            **CONNECTOR_PROBE,
            **CONNECTOR_OAUTHDEMO,
            "connector_typed/__init__.py": "",
            "connector_typed/commands/__init__.py": "",
            "connector_typed/commands/typed.py": _source(future),
        }
    )
    targets = _targets(registry)
    assert {"http", "aws", "sample", "typed", "oauthdemo"} <= {t.id.split("/")[0] for t in targets}
    read_fast = 0
    for target in targets:
        init = target.cls.__init__  # type: ignore[misc]
        fast = describe._read_function(init)
        if fast is None:
            continue  # decorated or wrapped: described through inspect already
        read_fast += 1
        slow = describe._read_with_inspect(init)
        scope = describe._Scope(getattr(init, "__globals__", {}))
        assert [spec.description() for spec in describe.specs_of(fast[0], scope)] == [
            spec.description() for spec in describe.specs_of(slow[0], scope)
        ], target.id
        assert [s.fill_none for s in describe.specs_of(fast[0], scope)] == [
            s.fill_none for s in describe.specs_of(slow[0], scope)
        ], target.id
        assert fast[1] == slow[1], target.id
    assert read_fast >= len(targets) - 1
