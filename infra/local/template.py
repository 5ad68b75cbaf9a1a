"""Reading a synthesized CloudFormation template: creation order and intrinsic functions.

Only what CDK emits for Herald's resources is supported (Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
Fn::Select, Fn::Split, Fn::If and its conditions, Fn::FindInMap, Fn::Base64); anything else is
an error, so a template the local stack cannot represent fails at start-up, not at first use.
"""

import base64
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Template = Mapping[str, Any]

NO_VALUE = object()
"""What `Ref: AWS::NoValue` resolves to: the enclosing key or list item disappears."""

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    """The template uses something the local stack cannot resolve or create."""


@dataclass(slots=True)
class LocalResource:
    """What a resource resolves to locally: its `Ref` value and its `Fn::GetAtt` attributes."""

    ref: str
    attributes: dict[str, str] = field(default_factory=dict)
    placeholder: bool = False
    """Not created locally: any attribute resolves to a made-up but stable value."""


def local_name(logical_id: str, *, max_length: int = 64, lowercase: bool = False) -> str:
    """A deterministic name for a resource the template leaves unnamed."""
    name = f"herald-local-{logical_id}"
    if lowercase:
        name = name.lower()
    if len(name) > max_length:
        digest = hashlib.sha256(logical_id.encode()).hexdigest()[:8]
        name = f"{name[: max_length - 9]}-{digest}"
    return name


def _references(value: Any) -> Iterator[str]:
    """Logical ids (of resources, parameters or pseudo parameters) a value refers to."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            yield value["Ref"]
            return
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            yield target[0] if isinstance(target, list) else str(target).split(".", 1)[0]
            return
        if set(value) == {"Fn::Sub"}:
            body = value["Fn::Sub"]
            text, variables = (body[0], body[1]) if isinstance(body, list) else (body, {})
            for name in _SUB_VARIABLE.findall(text):
                if name not in variables:
                    yield name.split(".", 1)[0]
            yield from _references(variables)
            return
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def creation_order(template: Template) -> list[str]:
    """Logical ids of the resources, each after every resource it refers to or depends on."""
    resources: Mapping[str, Any] = template.get("Resources", {})
    dependencies: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        named = set(_references(resource)) | set(
            [depends_on] if isinstance(depends_on, str) else depends_on
        )
        dependencies[logical_id] = {name for name in named if name in resources}
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(resources):
        ready = [
            logical_id
            for logical_id in resources
            if logical_id not in placed and dependencies[logical_id] <= placed
        ]
        if not ready:
            cycle = sorted(set(resources) - placed)
            raise TemplateError(f"Circular dependency between resources: {', '.join(cycle)}")
        ordered.extend(ready)
        placed.update(ready)
    return ordered


class Resolver:
    """Evaluates intrinsic functions against the local identities of already created resources."""

    def __init__(
        self,
        template: Template,
        *,
        region: str,
        account: str,
        stack_name: str,
        resources: Mapping[str, LocalResource],
    ) -> None:
        self._template = template
        self._resources = resources
        self._pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack_name,
            "AWS::StackId": (f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/local"),
        }
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Fn::GetAtt": self._get_att,
            "Fn::Join": self._join,
            "Fn::Sub": self._sub,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::Not": lambda args: not self._condition_value(args[0]),
            "Fn::And": lambda args: all(self._condition_value(arg) for arg in args),
            "Fn::Or": lambda args: any(self._condition_value(arg) for arg in args),
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": lambda arg: base64.b64encode(self.resolve(arg).encode()).decode(),
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), *_ = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Condition":
                return self.condition(argument)
            if key.startswith("Fn::"):
                if key not in self._functions:
                    raise TemplateError(f"{key} is not supported in local mode")
                return self._functions[key](argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def resolve_string(self, value: Any) -> str:
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return "true" if resolved else "false"
        if not isinstance(resolved, str | int | float):
            raise TemplateError(f"Expected a string, got {resolved!r}")
        return str(resolved)

    def condition(self, name: str) -> bool:
        conditions = self._template.get("Conditions", {})
        if name not in conditions:
            raise TemplateError(f"Unknown condition {name}")
        return bool(self.resolve(conditions[name]))

    def _condition_value(self, value: Any) -> bool:
        return bool(self.resolve(value))

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._resources:
            return self._resources[name].ref
        parameter = self._template.get("Parameters", {}).get(name)
        if parameter is not None and "Default" in parameter:
            return parameter["Default"]
        raise TemplateError(f"Ref {name} cannot be resolved (no such resource or default)")

    def _get_att(self, argument: Any) -> str:
        if isinstance(argument, str):
            logical_id, attribute = argument.split(".", 1)
        else:
            logical_id, attribute = argument[0], self.resolve_string(argument[1])
        resource = self._resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute}: no such resource")
        if attribute not in resource.attributes:
            if resource.placeholder:
                return f"{resource.ref}-{attribute}"
            raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute} is not emulated locally")
        return resource.attributes[attribute]

    def _join(self, argument: list[Any]) -> str:
        delimiter, items = argument
        return str(delimiter).join(self.resolve_string(item) for item in self.resolve(items))

    def _sub(self, argument: Any) -> str:
        text, variables = argument if isinstance(argument, list) else (argument, {})
        values = {name: self.resolve_string(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return values[name]
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self._get_att([logical_id, attribute])
            return self.resolve_string({"Ref": name})

        # `${!Name}` is CloudFormation's escape for a literal `${Name}`.
        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    def _select(self, argument: list[Any]) -> Any:
        index, items = argument
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, argument: list[Any]) -> list[str]:
        delimiter, text = argument
        return self.resolve_string(text).split(delimiter)

    def _if(self, argument: list[Any]) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _equals(self, argument: list[Any]) -> bool:
        left, right = (self.resolve(item) for item in argument)
        return bool(left == right)

    def _find_in_map(self, argument: list[Any]) -> Any:
        map_name, first, second = (self.resolve(item) for item in argument)
        try:
            return self._template["Mappings"][map_name][first][second]
        except KeyError:
            raise TemplateError(f"Fn::FindInMap {map_name}/{first}/{second}: not found") from None
