"""`/v1/commands` parameter descriptions: every annotation shape of PROTOCOL.md section 3.

The expected values are written from the rule, not from our code: the type set is
{T} for str/int/bool/None, else the members of typing.get_args(annotation) with
anything but those four as "unsupported"; required = no default and None not in the
set; type = the one supported member left after dropping None, else "any".
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.lambda_events import invoke
from support.oauth_flow import CONNECTOR_OAUTHDEMO
from support.sample_connectors import CONNECTOR_PROBE, CONNECTOR_SAMPLE, CONNECTOR_SHAPES

from spiff_lambda_proxy import describe
from spiff_lambda_proxy.registry import Registry, Target

# (parameter as written in `__init__`, expected type, expected required).
SHAPES = [
    ("plain_str: str", "str", True),
    ("plain_int: int", "int", True),
    ("plain_bool: bool", "bool", True),
    # {None}: not required; nothing left once None is dropped.
    ("only_none: None", "any", False),
    ("no_annotation", "any", True),
    ("any_arg: Any", "any", True),
    ("bare_class: float", "any", True),
    ("bare_dict: dict", "any", True),
    ("pipe_none: str | None", "str", False),
    ("none_pipe: None | bool", "bool", False),
    ("optional_str: Optional[str]", "str", False),
    ("union_none: Union[int, None]", "int", False),
    # get_args gives the element types: what existing BPMN files store.
    ("list_str: list[str]", "str", True),
    ("typing_list: List[int]", "int", True),
    ("dict_str_str: dict[str, str]", "str", True),
    ("tuple_int_int: tuple[int, int]", "int", True),
    ("set_bool: set[bool]", "bool", True),
    ("dict_str_any: dict[str, Any]", "any", True),
    ("list_of_list: list[list[str]]", "any", True),
    ("optional_list: Optional[list[str]]", "any", False),
    ("optional_bare_list: Optional[list]", "any", False),
    ("dict_or_none: dict[str, str] | None", "any", False),
    ("str_or_int: str | int", "any", True),
    ("union_str_int: Union[str, int]", "any", True),
    ("str_int_none: str | int | None", "any", False),
    # Literal's arguments are values, not types; Annotated's are the type and its metadata.
    ("literal: Literal['a', 'b']", "any", True),
    ("literal_bool: Literal[True]", "any", True),
    ("literal_none: Literal[None]", "any", True),
    ("annotated: Annotated[str, 'a note']", "any", True),
    ("annotated_unhashable: Annotated[str, {'max': 3}]", "any", True),
    ("callable_arg: Callable[[int], int]", "any", True),
    # Quoted annotations are evaluated first (where the reference would see a string).
    ("quoted: 'int'", "int", True),
    ("quoted_list: 'list[str]'", "str", True),
    ("quoted_inside: Optional['str']", "str", False),
    ("quoted_element: list['bool']", "bool", True),
    # Names imported only for type checkers cannot be evaluated: read by hand.
    ("unresolvable_optional: 'Decimal | None'", "any", False),
    ("unresolvable: 'Decimal'", "any", True),
    # Defaults make any parameter optional, whatever its type.
    ("str_default: str = 'x'", "str", False),
    ("bool_default: bool | None = False", "bool", False),
    ("optional_default: Optional[str] = 'main'", "str", False),
    ("list_default: list[str] = None", "str", False),
    ("any_default: Any = None", "any", False),
    ("no_annotation_default=3", "any", False),
]

SOURCE = """{future}
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, List, Literal, Optional, Union

if typing.TYPE_CHECKING:
    from decimal import Decimal  # only for type checkers: unresolvable at run time


class Everything:
    def __init__(
        self,
        {parameters},
        *args,
        keyword_only: bool,
        keyword_default: int = 1,
        **kwargs,
    ):
        pass


@dataclass
class AsDataclass:
    message: str
    recipient: list[str]
    params: Optional[list] = None


class NoInit:
    pass
"""


def _source(future: bool) -> str:
    parameters = ",\n        ".join(shape for shape, _, _ in SHAPES)
    return SOURCE.replace("{future}", "from __future__ import annotations" if future else "").replace(
        "{parameters}", parameters
    )


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
    return [
        target
        for plugin in registry.plugins
        for target in (*plugin.commands.values(), *plugin.auths.values())
    ]


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
