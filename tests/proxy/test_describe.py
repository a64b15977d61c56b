"""`/v1/commands` parameter descriptions, every annotation case of PROTOCOL.md section 3."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.lambda_events import invoke

from spiff_lambda_proxy.registry import Registry

# The same classes twice: with real annotations and with postponed (string) ones.
ANNOTATED = """{future}
import typing
from typing import Any, Optional, Union

if typing.TYPE_CHECKING:
    from decimal import Decimal  # only for type checkers: unresolvable at run time


class Everything:
    def __init__(
        self,
        plain_str: str,
        plain_int: int,
        plain_bool: bool,
        no_annotation,
        str_default: str = "x",
        optional_str: Optional[str] = None,
        pipe_none_int: int | None = None,
        none_pipe_bool: None | bool = None,
        optional_no_default: Optional[str] = ...,
        union_of_two: Union[str, int] = "a",
        union_of_two_and_none: str | int | None = None,
        dict_arg: dict[str, Any] = None,
        list_arg: list[str] = None,
        any_arg: Any = None,
        float_arg: float = 1.0,
        unresolvable: "Decimal | None" = None,
        required_unresolvable: "Decimal" = ...,
        *args,
        keyword_only: bool,
        **kwargs,
    ):
        pass


class NoInit:
    pass
"""

EXPECTED = [
    {"id": "plain_str", "type": "str", "required": True},
    {"id": "plain_int", "type": "int", "required": True},
    {"id": "plain_bool", "type": "bool", "required": True},
    {"id": "no_annotation", "type": "any", "required": True},
    {"id": "str_default", "type": "str", "required": False},
    {"id": "optional_str", "type": "str", "required": False},
    {"id": "pipe_none_int", "type": "int", "required": False},
    {"id": "none_pipe_bool", "type": "bool", "required": False},
    {"id": "optional_no_default", "type": "str", "required": False},
    {"id": "union_of_two", "type": "any", "required": False},
    {"id": "union_of_two_and_none", "type": "any", "required": False},
    {"id": "dict_arg", "type": "any", "required": False},
    {"id": "list_arg", "type": "any", "required": False},
    {"id": "any_arg", "type": "any", "required": False},
    {"id": "float_arg", "type": "any", "required": False},
    {"id": "unresolvable", "type": "any", "required": False},
    {"id": "required_unresolvable", "type": "any", "required": False},
    {"id": "keyword_only", "type": "bool", "required": True},
]


def _source(future: bool) -> str:
    source = ANNOTATED.replace("{future}", "from __future__ import annotations" if future else "")
    # `...` stands for "no default" in the template; the real signature has none.
    source = source.replace("optional_no_default: Optional[str] = ...,", "")
    source = source.replace('required_unresolvable: "Decimal" = ...,', "")
    return source


@pytest.mark.parametrize("future", [False, True], ids=["evaluated", "postponed"])
def test_descriptions_match_the_protocol(
    future: bool, extra_connectors: Callable[[dict[str, str]], Registry]
) -> None:
    extra_connectors(
        {
            "connector_typed/__init__.py": "",
            "connector_typed/commands/__init__.py": "",
            "connector_typed/commands/typed.py": _source(future),
        }
    )
    described = {
        item["id"]: item["parameters"] for item in invoke("function-url", "GET", "/v1/commands").json
    }
    expected = [p for p in EXPECTED if p["id"] not in ("optional_no_default", "required_unresolvable")]
    assert described["typed/Everything"] == expected
    assert described["typed/NoInit"] == []
