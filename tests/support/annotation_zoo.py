"""The annotation zoo: every shape of `__init__` parameter the descriptions must get right.

`SHAPES` are (parameter source, described type, required) as the reference proxy describes
them (PROTOCOL.md section 3); `source(future)` is a commands module with all of them, with or
without postponed annotations.
"""

from __future__ import annotations

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


def source(future: bool) -> str:
    parameters = ",\n        ".join(shape for shape, _, _ in SHAPES)
    return SOURCE.replace("{future}", "from __future__ import annotations" if future else "").replace(
        "{parameters}", parameters
    )
