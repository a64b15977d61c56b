"""template.yaml as CloudFormation would deploy it, without an AWS account.

`transformed()` runs the AWS SAM transform (aws-sam-translator, the library
CloudFormation's own transform is built from) on the template. `Stack(...)` then
resolves conditions and intrinsic functions for a set of parameter values, the
way CloudFormation does at deploy time, so tests can assert on the concrete
environment variables, IAM statements and resources a choice of parameters gives.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

from support.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT
TEMPLATE = ROOT / "template.yaml"
PSEUDO = {
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "spiff-proxy-stack",
    "AWS::URLSuffix": "amazonaws.com",
}
# What the attributes of created resources would be.
ATTRIBUTES = {
    ("ProxyFunctionUrl", "FunctionUrl"): "https://abcdefghij.lambda-url.eu-west-1.on.aws/",
}
_NO_VALUE = object()


def template_source() -> dict[str, Any]:
    from cfnlint.decode import decode_str

    template, problems = decode_str(TEMPLATE.read_text())
    assert not problems, problems
    # str() turns cfn-lint's node types into plain data.
    source: dict[str, Any] = json.loads(json.dumps(template, default=str))
    return source


@cache
def _transformed_json(parameters: frozenset[tuple[str, str]] = frozenset()) -> str:
    """The SAM transform of template.yaml; CloudFormation hands it the stack's parameter values."""
    import os

    from samtranslator.translator.transform import transform

    source = template_source()
    # What `sam package` does to a local CodeUri before CloudFormation transforms the template.
    source["Resources"]["ProxyFunction"]["Properties"]["CodeUri"] = "s3://artifacts/proxy.zip"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    region = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = PSEUDO["AWS::Region"]
    try:
        return json.dumps(transform(source, dict(parameters), NoManagedPolicies()))
    finally:
        if region is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = region


def transformed(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_transformed_json(frozenset((parameters or {}).items())))
    return result


class Stack:
    """The transformed template, resolved for these parameter values."""

    def __init__(self, **parameters: str) -> None:
        self.template = transformed(parameters)
        declared = self.template["Parameters"]
        unknown = set(parameters) - set(declared)
        assert not unknown, f"not parameters of template.yaml: {unknown}"
        self.parameters = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
        self.parameters.update(parameters)
        self._conditions: dict[str, bool] = {}
        self.resources = {
            name: self.resolve(copy.deepcopy(resource))
            for name, resource in self.template["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }
        self.outputs = {
            name: self.resolve(output["Value"])
            for name, output in self.template["Outputs"].items()
            if "Condition" not in output or self.condition(output["Condition"])
        }

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.template["Conditions"][name]))
        return self._conditions[name]

    def rules_hold(self) -> bool:
        return not self.broken_rules()

    def broken_rules(self) -> list[str]:
        """Names of the template's rules these parameters break, as CloudFormation checks them."""
        return [
            name
            for name, rule in self.template.get("Rules", {}).items()
            if ("RuleCondition" not in rule or self.resolve(rule["RuleCondition"]))
            and not all(self.resolve(assertion["Assert"]) for assertion in rule["Assertions"])
        ]

    @property
    def function(self) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources["ProxyFunction"]["Properties"]
        return properties

    @property
    def environment(self) -> dict[str, str]:
        variables: dict[str, str] = self.function.get("Environment", {}).get("Variables", {})
        return variables

    @property
    def statements(self) -> dict[str, dict[str, Any]]:
        """The execution role's inline statements, by Sid."""
        role = self.resources["ProxyFunctionRole"]["Properties"]
        return {
            statement["Sid"]: statement
            for policy in role.get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
            if "Sid" in statement
        }

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [value for value in (self.resolve(item) for item in node) if value is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
        return {
            key: value
            for key, value in ((key, self.resolve(value)) for key, value in node.items())
            if value is not _NO_VALUE
        }

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        assert name in self.template["Resources"], f"Ref to nothing: {name}"
        return f"<{name}>"

    def sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name:
                resource, attribute = name.split(".", 1)
                return str(ATTRIBUTES.get((resource, attribute), f"<{name}>"))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def _if(stack: Stack, argument: list[Any]) -> Any:
    name, when_true, when_false = argument
    return stack.resolve(when_true if stack.condition(name) else when_false)


def _get_att(stack: Stack, argument: Any) -> Any:
    resource, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
    return ATTRIBUTES.get((resource, attribute), f"<{resource}.{attribute}>")


_FUNCTIONS: dict[str, Any] = {
    "Ref": lambda stack, name: stack.ref(name),
    "Condition": lambda stack, name: stack.condition(name),
    "Fn::If": _if,
    "Fn::Equals": lambda stack, pair: str(stack.resolve(pair[0])) == str(stack.resolve(pair[1])),
    "Fn::Not": lambda stack, items: not stack.resolve(items[0]),
    "Fn::And": lambda stack, items: all(stack.resolve(item) for item in items),
    "Fn::Or": lambda stack, items: any(stack.resolve(item) for item in items),
    "Fn::Sub": lambda stack, argument: stack.sub(argument),
    "Fn::Join": lambda stack, argument: argument[0].join(str(v) for v in stack.resolve(argument[1])),
    "Fn::Split": lambda stack, argument: str(stack.resolve(argument[1])).split(argument[0]),
    "Fn::Select": lambda stack, argument: stack.resolve(argument[1])[int(stack.resolve(argument[0]))],
    "Fn::GetAtt": _get_att,
}
