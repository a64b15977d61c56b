"""What pip is asked to install for connectors.txt, after the build's rules are applied.

The rules (README, "Extra connectors"):
- **The SDK.** If connectors.txt lists spiffworkflow-connector-command itself (any
  spec), that entry wins; otherwise the build ships its own (sdk/) whenever a
  connector declares it in any form or imports it. Either way every connector's
  dependency on it is met by that one, by name.
- **URL dependencies.** A connector's dependency given by URL is met by the
  connectors.txt entry of the same name, by name, so the URL is never fetched;
  one without such an entry is fetched and built like an entry.
- **Substitutions** (substitutions.py): a declared `psycopg2` becomes `psycopg2-binary`.
- **Undeclared imports**: a connector importing psycopg2 or flask that nothing in
  the archive provides gets the distribution added.

Local wheels are rewritten to declare the result (wheels.with_requirements).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .requirements import Entry, Requirement, canonical_name, parse_requirement
from .substitutions import SUBSTITUTIONS, UNDECLARED_IMPORTS
from .wheels import Wheel, folder_sources, imported_modules, with_requirements

SDK_NAME = "spiffworkflow-connector-command"
SDK_MODULE = "spiffworkflow_connector_command"
SDK_KEY = canonical_name(SDK_NAME)
# Module -> the name of the distribution that is substituted for it.
_SUBSTITUTED_MODULES = {substitution.module: name for name, substitution in SUBSTITUTIONS.items()}


@dataclass
class Plan:
    # The prepared connectors.txt: options, names from the index, local wheels, additions.
    lines: list[str] = field(default_factory=list)
    # "yours" (an entry of connectors.txt), "ours" (sdk/) or "" (no connector needs one).
    sdk: str = ""
    sdk_wanted_by: list[str] = field(default_factory=list)
    # Original name -> who asked for it, and how ("connector-x declares psycopg2>=2.9").
    substituted: dict[str, list[str]] = field(default_factory=dict)
    # Distribution added for undeclared imports -> who imports it.
    added: dict[str, list[str]] = field(default_factory=dict)
    # URL dependencies met by name: "connector-x: foo @ git+https://..."
    by_name: list[str] = field(default_factory=list)
    wheels: list[Wheel] = field(default_factory=list)
    # Substituted names that dependencies required: met by an empty stand-in, removed afterwards.
    stand_ins: set[str] = field(default_factory=set)


# Builds the wheel of a URL dependency no entry meets: (requirement, the package that asked).
FetchUrl = Callable[[Requirement, str], Wheel]


def make_plan(
    entries: list[Entry],
    wheels: list[Wheel],
    connector_folders: list[Path],
    *,
    fetch_url: FetchUrl,
    our_sdk: Callable[[], Wheel],
    rewritten: Path,
    index_wheels: dict[str, Wheel] | None = None,
) -> Plan:
    """Apply the rules to connectors.txt's entries and their wheels: those built or given
    (`wheels`), and those of its names as the index has them (`index_wheels`, by line)."""
    plan = Plan()
    index_wheels = index_wheels or {}
    provided: dict[str, str] = {}  # canonical name -> how connectors.txt provides it
    names: list[tuple[Entry, str]] = []  # name entries and their requirement line
    for entry in entries:
        if entry.kind == "option":
            plan.lines.append(entry.target)
        elif entry.kind == "name" or (entry.kind == "wheel" and entry.target.startswith(("http:", "https:"))):
            requirement = parse_requirement(entry.target)
            line = entry.target
            if requirement is not None and requirement.key in SUBSTITUTIONS:
                plan.substituted.setdefault(requirement.key, []).append(f"connectors.txt lists {entry.line}")
                requirement = requirement.renamed(SUBSTITUTIONS[requirement.key].replacement)
                line = str(requirement)
            names.append((entry, line))
            if requirement is not None:
                provided[requirement.key] = entry.line
    for wheel in wheels:
        provided[canonical_name(wheel.name)] = wheel.name
    if SDK_KEY in provided:
        plan.sdk = "yours"

    pending = list(wheels)
    while pending:
        wheel = pending.pop(0)
        plan.wheels.append(_apply(wheel, provided, plan, fetch_url, rewritten, pending))
    scanned = list(plan.wheels)
    for entry, line in names:
        from_index = index_wheels.get(entry.line)
        if from_index is None:
            plan.lines.append(line)
            continue
        applied = _apply(from_index, provided, plan, fetch_url, rewritten, pending)
        if applied is from_index:
            plan.lines.append(line)  # resolved by name, as written
        else:
            plan.wheels.append(applied)  # what it declares changed: pip gets the rewritten wheel
        scanned.append(applied)
    while pending:  # URL dependencies of the names' wheels
        plan.wheels.append(_apply(pending.pop(0), provided, plan, fetch_url, rewritten, pending))
        scanned.append(plan.wheels[-1])

    _add_for_imports(plan, scanned, connector_folders, provided)
    if plan.sdk_wanted_by and not plan.sdk:
        plan.sdk = "ours"
        plan.wheels.append(our_sdk())
    plan.lines += [str(wheel.path) for wheel in plan.wheels]
    plan.lines += sorted(plan.added)
    return plan


def _apply(
    wheel: Wheel,
    provided: dict[str, str],
    plan: Plan,
    fetch_url: FetchUrl,
    rewritten: Path,
    pending: list[Wheel],
) -> Wheel:
    """The wheel, rewritten when the rules change what it declares; URL dependencies it needs
    fetched go to `pending`."""
    requires, fetched = _rewrite(wheel, provided, plan, fetch_url)
    for extra in fetched:
        provided[canonical_name(extra.name)] = extra.name
        pending.append(extra)
    return with_requirements(wheel, requires, rewritten) if requires != list(wheel.requires) else wheel


def _rewrite(
    wheel: Wheel, provided: dict[str, str], plan: Plan, fetch_url: FetchUrl
) -> tuple[list[str], list[Wheel]]:
    """The wheel's requirements after the rules, and the URL dependencies fetched for it."""
    requires, fetched = [], []
    for text in wheel.requires:
        requirement = parse_requirement(text)
        if requirement is None:
            requires.append(text)
            continue
        if requirement.key == SDK_KEY:
            plan.sdk_wanted_by.append(f"{wheel.name} declares it ({requirement.url or text})")
            requirement = requirement.by_name_only()
        elif requirement.url and requirement.key not in provided:
            fetched.append(fetch_url(requirement, wheel.name))
            provided[requirement.key] = requirement.name
            plan.by_name.append(f"{wheel.name}: {requirement} (fetched and built)")
            requirement = requirement.by_name_only()
        elif requirement.url:
            met_by = provided[requirement.key]
            plan.by_name.append(f"{wheel.name}: {requirement} -> connectors.txt's {met_by}")
            requirement = requirement.by_name_only()
        elif requirement.key in SUBSTITUTIONS:
            plan.substituted.setdefault(requirement.key, []).append(f"{wheel.name} declares {text}")
            requirement = requirement.renamed(SUBSTITUTIONS[requirement.key].replacement)
        requires.append(str(requirement))
    return requires, fetched


def _add_for_imports(
    plan: Plan, wheels: list[Wheel], connector_folders: list[Path], provided: dict[str, str]
) -> None:
    """The SDK, and the distributions of UNDECLARED_IMPORTS, for what connectors import."""
    declared = set(provided)
    for wheel in wheels:
        declared |= _declared(wheel)
    installed_modules = {module for wheel in wheels for module in wheel.top_level}
    # (who, the modules it imports, the distributions it declares)
    importers = [(w.name, imported_modules(w.sources()), _declared(w)) for w in wheels if w.is_connector]
    for folder in connector_folders:
        importers.append((f"connectors/{folder.name}", imported_modules(folder_sources(folder)), set()))
    for who, modules, own in importers:
        if SDK_MODULE in modules and SDK_KEY not in own:
            plan.sdk_wanted_by.append(f"{who} imports it")
        for module in sorted(modules & set(UNDECLARED_IMPORTS) - installed_modules):
            distribution = UNDECLARED_IMPORTS[module]
            providers = {canonical_name(module), canonical_name(distribution)}
            if providers & own:
                continue
            why = f"{who} imports {module} without declaring it"
            if module in _SUBSTITUTED_MODULES:  # said however it is met: it gets the replacement
                plan.substituted.setdefault(_SUBSTITUTED_MODULES[module], []).append(why)
            if not providers & declared or distribution in plan.added:
                plan.added.setdefault(distribution, []).append(why)


def _declared(wheel: Wheel) -> set[str]:
    return {r.key for r in map(parse_requirement, wheel.requires) if r is not None}
