"""Parameter descriptions for `/v1/commands`, by the rules of PROTOCOL.md section 3.

SpiffArena's diagram editor shows these to modellers and BPMN files store the
ids, so the output must match what spiffworkflow-proxy gives for the same class.
"""

from __future__ import annotations

import contextlib
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

_NONE = type(None)
_NAMED_TYPES = {str: "str", int: "int", bool: "bool"}
# Stands for any member of an annotation that is not str/int/bool/None.
_OTHER = object()
# Skipped by name, as spiffworkflow-proxy does; *args/**kw of any name cannot be
# passed as named parameters, so they are skipped too.
_SKIPPED_NAMES = ("self", "kwargs")
_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


class ParameterSpec(typing.NamedTuple):
    name: str
    type: str
    required: bool
    # No default, but None is allowed: the runner passes None when it is absent.
    fill_none: bool

    def description(self) -> dict[str, Any]:
        return {"id": self.name, "type": self.type, "required": self.required}


def parameter_specs(target: type) -> list[ParameterSpec]:
    """One spec per argument of `target.__init__`, in order."""
    init = target.__init__  # type: ignore[misc]
    signature = inspect.signature(init)
    hints = _resolved_hints(init)
    specs = []
    for param in signature.parameters.values():
        if param.name in _SKIPPED_NAMES or param.kind in _VARIADIC:
            continue
        annotation = hints.get(param.name, param.annotation)
        members = _annotation_members(annotation, getattr(init, "__globals__", {}))
        has_default = param.default is not inspect.Parameter.empty
        allows_none = _NONE in members
        members.discard(_NONE)
        type_name = "any"
        if len(members) == 1:
            type_name = _NAMED_TYPES.get(next(iter(members)), "any")  # type: ignore[call-overload]
        specs.append(
            ParameterSpec(
                name=param.name,
                type=type_name,
                required=not has_default and not allows_none,
                fill_none=not has_default and allows_none,
            )
        )
    return specs


def takes_any_keyword(target: type) -> bool:
    signature = inspect.signature(target.__init__)  # type: ignore[misc]
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())


def _resolved_hints(init: Callable[..., Any]) -> dict[str, Any]:
    """Annotations with postponed (string) ones evaluated where possible."""
    try:
        return typing.get_type_hints(init)
    except Exception:
        # One unresolvable name (e.g. imported under TYPE_CHECKING) must not lose the
        # others: `_annotation_members` evaluates each string on its own.
        return {}


def _annotation_members(annotation: Any, namespace: dict[str, Any]) -> set[Any]:
    """The set of str/int/bool/None members of an annotation, others as `_OTHER`."""
    if annotation is inspect.Parameter.empty:
        return set()
    if isinstance(annotation, str):
        annotation = _evaluate(annotation, namespace)
    if annotation is None:
        annotation = _NONE
    if annotation in _NAMED_TYPES or annotation is _NONE:
        return {annotation}
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return {
            member if (member in _NAMED_TYPES or member is _NONE) else _OTHER
            for member in typing.get_args(annotation)
        }
    return {_OTHER}


def _evaluate(text: str, namespace: dict[str, Any]) -> Any:
    with contextlib.suppress(Exception):
        return eval(text, dict(namespace), {})  # noqa: S307 - the connector's own annotation
    # The annotation names something not importable at run time: read the union
    # by hand, so `str | None` and `Optional[str]` still come out right.
    text = text.strip()
    if text.startswith(("Optional[", "typing.Optional[")) and text.endswith("]"):
        text = text[text.index("[") + 1 : -1] + " | None"
    builtins = {"str": str, "int": int, "bool": bool, "None": _NONE}
    parts = [part.strip() for part in text.split("|")]
    return typing.Union[tuple(builtins.get(part, _Unresolved) for part in parts)]  # noqa: UP007


class _Unresolved:
    """Placeholder for a name an annotation uses that cannot be imported."""
