"""Parameter descriptions for `/v1/commands`, by the rules of PROTOCOL.md section 3.

SpiffArena's diagram editor shows these to modellers and BPMN files store the
ids, so the output must match what spiffworkflow-proxy gives for the same class.

Discovery describes every command at cold start, so plain functions (nearly
every `__init__`) are read straight from their code object, and their string
annotations evaluated one by one; `inspect` (which loads ast, dis and
tokenize) is imported only for anything else: wrapped or decorated callables,
builtins, objects with their own `__signature__`. `typing.get_args` reads
generics and unions (`typing` is loaded by then: the runner imports it).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_NONE = type(None)
_NAMED_TYPES = {str: "str", int: "int", bool: "bool"}
_BUILTIN_NAMES = {"str": str, "int": int, "bool": bool, "None": _NONE}
# Stands for any member of an annotation that is not str/int/bool/None.
_OTHER = object()
# What a string annotation evaluates to when it names something missing at run time.
_UNRESOLVED = object()
# `list[str]` at run time: builtin generics, whose string arguments are forward references.
_GENERIC_ALIAS: type[Any] = type(list[str])
# Skipped by name, as spiffworkflow-proxy does; *args/**kw of any name cannot be
# passed as named parameters, so they are skipped too.
_SKIPPED_NAMES = ("self", "kwargs")
# A string annotation whose value is a string again is evaluated this many times more.
_MAX_QUOTING = 2
_CO_VARKEYWORDS = 0x08
_FUNCTION_TYPE = type(lambda: None)
# A parameter without annotation.
_NO_ANNOTATION = object()


class ParameterSpec:
    """One described parameter, and what the runner needs to bind it."""

    __slots__ = ("fill_none", "name", "required", "type")

    def __init__(self, name: str, type: str, required: bool, fill_none: bool) -> None:
        self.name = name
        self.type = type
        self.required = required
        # No default, but None is allowed: the runner passes None when it is absent.
        self.fill_none = fill_none

    def description(self) -> dict[str, Any]:
        return {"id": self.name, "type": self.type, "required": self.required}

    def __repr__(self) -> str:
        return (
            f"ParameterSpec(name={self.name!r}, type={self.type!r}, "
            f"required={self.required!r}, fill_none={self.fill_none!r})"
        )


class _Scope:
    """Where a function's string annotations are evaluated: a copy of its module's
    globals (made on first need), so evaluating cannot change the module."""

    __slots__ = ("_copy", "_module")

    def __init__(self, module_globals: dict[str, Any]) -> None:
        self._module = module_globals
        self._copy: dict[str, Any] | None = None

    def evaluate(self, text: str) -> Any:
        if self._copy is None:
            self._copy = dict(self._module)
        return eval(text, self._copy, {})  # noqa: S307 - the connector's own annotation


class _Parameter:
    """What describing needs of one parameter: its name, default and annotation."""

    __slots__ = ("annotation", "has_default", "name")

    def __init__(self, name: str, has_default: bool, annotation: Any) -> None:
        self.name = name
        self.has_default = has_default
        self.annotation = annotation


def parameter_specs(target: type) -> list[ParameterSpec]:
    """One spec per argument of `target.__init__`, in order."""
    init = target.__init__  # type: ignore[misc]
    parameters, _ = _read_function(init) or _read_with_inspect(init)
    return specs_of(parameters, _Scope(getattr(init, "__globals__", {})))


def specs_of(parameters: list[_Parameter], scope: _Scope) -> list[ParameterSpec]:
    """The descriptions of parameters, however they were read."""
    specs = []
    for parameter in parameters:
        members = _annotation_members(parameter.annotation, scope)
        allows_none = _NONE in members
        members.discard(_NONE)
        type_name = "any"
        if len(members) == 1:
            type_name = _NAMED_TYPES.get(next(iter(members)), "any")
        specs.append(
            ParameterSpec(
                name=parameter.name,
                type=type_name,
                required=not parameter.has_default and not allows_none,
                fill_none=not parameter.has_default and allows_none,
            )
        )
    return specs


def takes_any_keyword(target: type) -> bool:
    init = target.__init__  # type: ignore[misc]
    return (_read_function(init) or _read_with_inspect(init))[1]


def _read_function(init: Any) -> tuple[list[_Parameter], bool] | None:
    """(described parameters, has **kwargs) of a plain function, or None for anything else."""
    if init is object.__init__:
        return [], True  # what inspect says of it: (self, /, *args, **kwargs)
    if type(init) is not _FUNCTION_TYPE or hasattr(init, "__wrapped__") or hasattr(init, "__signature__"):
        return None
    try:
        annotations = init.__annotations__  # Python 3.14 evaluates them here, and may raise
    except Exception:
        return None
    code = init.__code__
    positional = code.co_argcount
    keyword_only = code.co_kwonlyargcount
    names = code.co_varnames[: positional + keyword_only]
    defaults = init.__defaults__ or ()
    keyword_defaults = init.__kwdefaults__ or {}
    first_default = positional - len(defaults)
    parameters = []
    for index, name in enumerate(names):
        if name in _SKIPPED_NAMES:
            continue
        has_default = index >= first_default if index < positional else name in keyword_defaults
        parameters.append(_Parameter(name, has_default, annotations.get(name, _NO_ANNOTATION)))
    has_var_keyword = bool(code.co_flags & _CO_VARKEYWORDS)
    return parameters, has_var_keyword


def _read_with_inspect(init: Any) -> tuple[list[_Parameter], bool]:
    import inspect
    import typing

    signature = inspect.signature(init)
    try:
        hints = typing.get_type_hints(init)
    except Exception:
        # One unresolvable name (e.g. imported under TYPE_CHECKING) must not lose the
        # others: each string annotation is then evaluated on its own.
        hints = {}
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    parameters = [
        _Parameter(
            param.name,
            param.default is not inspect.Parameter.empty,
            _NO_ANNOTATION
            if param.annotation is inspect.Parameter.empty
            else hints.get(param.name, param.annotation),
        )
        for param in signature.parameters.values()
        if param.name not in _SKIPPED_NAMES and param.kind not in variadic
    ]
    has_var_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    return parameters, has_var_keyword


def _annotation_members(annotation: Any, scope: _Scope) -> set[Any]:
    """The annotation's type set (PROTOCOL.md section 3): itself when it is str, int, bool
    or None, else each of `typing.get_args(annotation)` kept when it is one of those four
    and `_OTHER` when not. No annotation, `Any` and bare classes have no arguments: empty."""
    if annotation is _NO_ANNOTATION:
        return set()
    if isinstance(annotation, str):  # postponed, or quoted: resolved first (our one difference)
        return _string_members(annotation, scope)
    import typing  # already loaded: lambda_function and the runner import it

    if isinstance(annotation, typing.ForwardRef):
        return _string_members(annotation.__forward_arg__, scope)
    if annotation is None or _is_supported(annotation):
        return {_NONE if annotation is None else annotation}
    # Literal's arguments are values and Annotated's extras are metadata: never evaluated.
    resolve_strings = type(annotation) is _GENERIC_ALIAS
    return {_member(arg, scope, resolve_strings) for arg in typing.get_args(annotation)}


def _member(arg: Any, scope: _Scope, resolve_strings: bool) -> Any:
    """One argument of a generic or a union: itself when supported, else `_OTHER`."""
    import typing

    text = None
    if isinstance(arg, typing.ForwardRef):  # Optional["str"]
        text = arg.__forward_arg__
    elif isinstance(arg, str) and resolve_strings:  # list["str"]
        text = arg
    if text is not None:
        arg = _evaluate(text, scope)[0]
    return arg if _is_supported(arg) else _OTHER


def _is_supported(value: Any) -> bool:
    # Identity, not equality: arguments may be unhashable (Callable's [int]) or values.
    return value is str or value is int or value is bool or value is _NONE


def _string_members(text: str, scope: _Scope) -> set[Any]:
    """Members of a string annotation, evaluated in the module that wrote it."""
    value, innermost = _evaluate(text, scope)
    if value is _UNRESOLVED:
        return _unresolved_members(innermost)
    return _annotation_members(value, scope)


def _evaluate(text: str, scope: _Scope) -> tuple[Any, str]:
    """What a string annotation names (`_UNRESOLVED` when it cannot be evaluated here), and
    the innermost text evaluated."""
    for _ in range(_MAX_QUOTING + 1):
        try:
            value = scope.evaluate(text)
        except Exception:
            return _UNRESOLVED, text
        if not isinstance(value, str):
            return value, text
        text = value  # a quoted annotation under `from __future__ import annotations`
    return _UNRESOLVED, text


def _unresolved_members(text: str) -> set[Any]:
    """The annotation names something not importable at run time (a TYPE_CHECKING import):
    read its top-level union by hand, so `str | None` and `Optional[str]` still come out right."""
    text = text.strip()
    if text.startswith(("Optional[", "typing.Optional[")) and text.endswith("]"):
        text = text[text.index("[") + 1 : -1] + " | None"
    return {_BUILTIN_NAMES.get(part.strip(), _OTHER) for part in _top_level_parts(text)}


def _top_level_parts(text: str) -> list[str]:
    """`a | b[c | d]` -> ["a ", " b[c | d]"]: splits on `|` outside brackets."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts
