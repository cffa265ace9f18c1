"""template.yaml, read the way SAM and CloudFormation would for a local run.

One source of truth: the local tools take each function's handler, code, layers and
environment (parameter defaults resolved, overridable), and the user pool's settings, from the
template, never from a copy. Intrinsic functions are resolved against the parameters and
against *local stand-in* values for resources (a secret's local name, a local ARN); anything
the resolver does not know raises :class:`TemplateError` naming where it was found.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import yaml

from custom_auth.errors import CustomAuthError

#: What the local stand-ins report for the pseudo parameters.
LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_STACK_NAME = "custom-auth-local"
_PSEUDO = {
    "AWS::Region": LOCAL_REGION,
    "AWS::AccountId": LOCAL_ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::StackName": LOCAL_STACK_NAME,
    "AWS::URLSuffix": "amazonaws.com",
}


class TemplateError(CustomAuthError, ValueError):
    """template.yaml cannot be read, or asks for something the local tools cannot provide."""


class _NoValue:
    """``AWS::NoValue``: the property it stands for is left out."""


NO_VALUE = _NoValue()


# --- reading the YAML ---------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, !If ...) as long-form maps."""


def _tag(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else "Condition" if suffix == "Condition" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_Loader.add_multi_constructor("!", _tag)


def load_yaml(path: Path) -> dict[str, Any]:
    """The template at ``path`` as plain data, intrinsic functions in their long form."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise TemplateError(f"{path}{where}: not valid YAML") from None
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return data


# --- parameters ---------------------------------------------------------------------------------


def list_items(value: str) -> list[str]:
    """A CommaDelimitedList parameter's items: split at commas, each trimmed of spaces."""
    return [item.strip() for item in value.split(",")]


def _check_parameter(name: str, spec: Mapping[str, Any], value: str) -> str:
    allowed = spec.get("AllowedValues")
    if spec.get("Type") == "CommaDelimitedList":
        # AllowedValues hold for each item of a list.
        if allowed is not None:
            for item in list_items(value):
                if item not in [str(v) for v in allowed]:
                    raise TemplateError(
                        f"parameter {name}: each item must be one of "
                        f"{', '.join(map(str, allowed))}; got {item!r}"
                    )
        return value
    if allowed is not None and value not in [str(v) for v in allowed]:
        raise TemplateError(f"parameter {name}: must be one of {', '.join(map(str, allowed))}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        rule = spec.get("ConstraintDescription") or f"must match {pattern}"
        raise TemplateError(f"parameter {name}: {rule}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise TemplateError(f"parameter {name}: must be a number") from None
        low, high = spec.get("MinValue"), spec.get("MaxValue")
        if (low is not None and number < low) or (high is not None and number > high):
            rule = (
                f"from {low} to {high}"
                if low is not None and high is not None
                else f"at least {low}"
                if low is not None
                else f"at most {high}"
            )
            raise TemplateError(f"parameter {name}: must be {rule}")
    if len(value) < spec.get("MinLength", 0):
        raise TemplateError(f"parameter {name}: must be at least {spec['MinLength']} characters")
    if "MaxLength" in spec and len(value) > spec["MaxLength"]:
        raise TemplateError(f"parameter {name}: must be at most {spec['MaxLength']} characters")
    return value


def resolve_parameters(
    declared: Mapping[str, Mapping[str, Any]], overrides: Mapping[str, str]
) -> dict[str, str]:
    """Each parameter's value: the override, else the default; checked like CloudFormation."""
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(
            f"unknown parameter {unknown[0]}; the template declares {', '.join(declared)}"
        )
    values = {}
    for name, spec in declared.items():
        if name in overrides:
            value = str(overrides[name])
        elif "Default" in spec:
            value = str(spec["Default"])
        else:
            raise TemplateError(f"parameter {name}: has no default; give it a value")
        values[name] = _check_parameter(name, spec, value)
    return values


# --- intrinsic functions ------------------------------------------------------------------------


@dataclass
class Resolver:
    """Resolves intrinsic functions against parameters, conditions and local stand-ins."""

    parameters: Mapping[str, str]
    resources: Mapping[str, Any]
    raw_conditions: Mapping[str, Any] = field(default_factory=dict)
    #: The parameters of type CommaDelimitedList: !Ref gives their items.
    lists: frozenset[str] = frozenset()
    _conditions: dict[str, bool] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        """The value of the template's condition ``name``."""
        if name not in self._conditions:
            if name not in self.raw_conditions:
                raise TemplateError(f"Conditions: no condition named {name}")
            self._conditions[name] = self.truth(self.raw_conditions[name], f"Conditions.{name}")
        return self._conditions[name]

    def resolve(self, value: Any, where: str) -> Any:
        """``value`` with every intrinsic function replaced by its local value."""
        if isinstance(value, list):
            items = [self.resolve(item, f"{where}[{i}]") for i, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._function(key, argument, where)
        resolved = {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _function(self, name: str, argument: Any, where: str) -> Any:
        if name == "Ref":
            return self.ref(str(argument), where)
        if name == "Fn::If":
            condition, when_true, when_false = argument
            chosen = when_true if self.condition(condition) else when_false
            return self.resolve(chosen, where)
        if name == "Fn::Sub":
            return self._sub(argument, where)
        if name == "Fn::GetAtt":
            resource, attribute = argument
            return self.local_attribute(str(resource), str(attribute), where)
        if name == "Fn::Join":
            separator, items = argument
            return str(separator).join(str(i) for i in self.resolve(items, where))
        if name == "Fn::Split":
            separator, text = argument
            return str(self.resolve(text, where)).split(str(separator))
        if name == "Fn::Select":
            index, items = argument
            chosen = self.resolve(items, where)
            try:
                return chosen[int(self.resolve(index, where))]
            except (IndexError, ValueError, TypeError):
                raise TemplateError(f"{where}: Fn::Select has no item {index}") from None
        if name in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self.truth({name: argument}, where)
        raise TemplateError(f"{where}: {name} is not supported by the local tools")

    def truth(self, value: Any, where: str) -> bool:
        """Evaluate a condition expression (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition;
        Fn::Contains in Rules)."""
        if isinstance(value, dict) and len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Fn::Equals":
                sides = [self.resolve(side, where) for side in argument]
                if any(isinstance(side, list) for side in sides):
                    # CloudFormation compares strings: a list needs Fn::Join or Fn::Select.
                    raise TemplateError(f"{where}: Fn::Equals compares strings, not a list")
                left, right = (str(side) for side in sides)
                return left == right
            if name == "Fn::Not":
                return not self.truth(argument[0], where)
            if name == "Fn::Contains":
                # A rule function: CloudFormation refuses it in Conditions.
                if not where.startswith("Rules."):
                    raise TemplateError(f"{where}: Fn::Contains is for Rules only")
                items, wanted = (self.resolve(side, where) for side in argument)
                if not isinstance(items, list):
                    raise TemplateError(f"{where}: Fn::Contains needs a list")
                return str(wanted) in [str(item) for item in items]
            if name == "Fn::And":
                return all(self.truth(item, where) for item in argument)
            if name == "Fn::Or":
                return any(self.truth(item, where) for item in argument)
            if name == "Condition":
                return self.condition(str(argument))
        raise TemplateError(f"{where}: not a condition")

    def ref(self, name: str, where: str) -> Any:
        """``!Ref name``: a parameter's value, a pseudo parameter, or a resource's local value."""
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            if name in self.lists:
                return list_items(self.parameters[name])
            return self.parameters[name]
        if name in _PSEUDO:
            return _PSEUDO[name]
        resource, _, attribute = name.partition(".")
        if resource in self.resources:
            return local_ref(resource, self.resources[resource].get("Type", ""), attribute)
        if self._generated_role(name):
            return name
        raise TemplateError(f"{where}: !Ref {name} names nothing in the template")

    def _generated_role(self, name: str) -> bool:
        """Whether ``name`` is the role SAM makes for a function that names none of its own
        (``<function>Role``), which the template may refer to."""
        function = self.resources.get(name.removesuffix("Role")) if name.endswith("Role") else None
        return (
            function is not None
            and function.get("Type") == "AWS::Serverless::Function"
            and "Role" not in function.get("Properties", {})
        )

    def local_attribute(self, resource: str, attribute: str, where: str) -> str:
        """``!GetAtt resource.attribute`` for the attributes the local tools know (Arn)."""
        if resource not in self.resources:
            raise TemplateError(f"{where}: !GetAtt {resource} names no resource")
        if attribute != "Arn":
            raise TemplateError(f"{where}: !GetAtt {resource}.{attribute} is not known locally")
        return local_arn(resource, self.resources[resource].get("Type", ""))

    def _sub(self, argument: Any, where: str) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {k: self.resolve(v, where) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                resource, attribute = name.split(".", 1)
                return self.local_attribute(resource, attribute, where)
            return str(self.ref(name, where))

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, str(text))


def local_arn(resource: str, resource_type: str) -> str:
    """A stand-in ARN for a resource of the template, in the local account and region."""
    prefix = f"arn:aws:{{}}:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:"
    if resource_type == "AWS::Serverless::Function":
        return prefix.format("lambda") + f"function:{resource}"
    if resource_type == "AWS::Cognito::UserPool":
        return prefix.format("cognito-idp") + f"userpool/{resource}"
    if resource_type == "AWS::SecretsManager::Secret":
        return prefix.format("secretsmanager") + f"secret:{resource}"
    if resource_type == "AWS::DynamoDB::Table":
        return prefix.format("dynamodb") + f"table/{local_ref(resource, resource_type)}"
    return prefix.format("local") + resource


def local_ref(resource: str, resource_type: str, attribute: str = "") -> str:
    """What ``!Ref`` gives locally: for a secret or a table, the name the stand-ins create it
    under."""
    if resource_type == "AWS::SecretsManager::Secret":
        return f"{LOCAL_STACK_NAME}/{resource}"
    if resource_type == "AWS::DynamoDB::Table":
        return f"{LOCAL_STACK_NAME}-{resource}"
    if resource_type == "AWS::Serverless::Function" and attribute == "Alias":
        return local_arn(resource, resource_type) + ":live"
    return resource


# --- the template -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionSpec:
    """One AWS::Serverless::Function, as the local runner needs it."""

    logical_id: str
    code_uri: Path
    handler: str
    runtime: str
    timeout_seconds: int
    memory_mb: int
    layers: tuple[Path, ...]
    environment: Mapping[str, str]

    @property
    def module(self) -> str:
        """The handler's module name (``app`` for ``app.lambda_handler``)."""
        return self.handler.rpartition(".")[0]

    @property
    def function_name(self) -> str:
        """The handler's function name (``lambda_handler``)."""
        return self.handler.rpartition(".")[2]


def _merge_globals(global_props: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's rule: maps merge (the resource wins), lists add up (globals first), scalars: own."""
    merged = dict(global_props)
    for key, value in own.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            merged[key] = _merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = [*base, *value]
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class Template:
    """template.yaml with its parameters resolved."""

    path: Path
    data: Mapping[str, Any]
    parameters: Mapping[str, str]
    resolver: Resolver

    @classmethod
    def load(cls, path: Path | str, parameter_overrides: Mapping[str, str] | None = None) -> Self:
        """Read ``path``; parameters not overridden take their defaults."""
        path = Path(path)
        data = load_yaml(path)
        parameters = resolve_parameters(data.get("Parameters", {}), parameter_overrides or {})
        declared = data.get("Parameters", {})
        lists = frozenset(
            name for name, spec in declared.items() if spec.get("Type") == "CommaDelimitedList"
        )
        resolver = Resolver(parameters, data["Resources"], data.get("Conditions", {}), lists)
        _check_rules(data.get("Rules", {}), resolver)
        return cls(path, data, parameters, resolver)

    @property
    def root(self) -> Path:
        """The folder paths in the template are relative to."""
        return self.path.resolve().parent

    def resources_of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        """The resources of one type whose Condition (if any) holds."""
        found = {}
        for name, resource in self.data["Resources"].items():
            if resource.get("Type") != resource_type:
                continue
            condition = resource.get("Condition")
            if condition is None or self.resolver.condition(condition):
                found[name] = resource
        return found

    def properties(self, logical_id: str, *keys: str) -> dict[str, Any]:
        """A resource's properties (only ``keys``, if given), resolved; functions' merged with
        Globals. Only what is asked for is resolved, as a local run needs no IAM policy."""
        resource = self.data["Resources"].get(logical_id)
        if resource is None:
            raise TemplateError(f"no resource {logical_id} in {self.path.name}")
        own = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            own = _merge_globals(self.data.get("Globals", {}).get("Function", {}), own)
        if keys:
            own = {key: own[key] for key in keys if key in own}
        resolved: dict[str, Any] = self.resolver.resolve(own, f"Resources.{logical_id}.Properties")
        return resolved

    def functions(self) -> dict[str, FunctionSpec]:
        """Every function of the template, by logical id."""
        return {
            name: self.function(name)
            for name in self.resources_of_type("AWS::Serverless::Function")
        }

    def triggers(self) -> dict[str, FunctionSpec]:
        """The functions Cognito may invoke, by logical id: those an ``AWS::Lambda::Permission``
        for ``cognito-idp.amazonaws.com`` names (whether the template creates the pool or not).
        A function that only another service invokes (the code key's rotation) is not one."""
        named = set()
        for name in self.resources_of_type("AWS::Lambda::Permission"):
            permission = self.properties(name, "Principal", "FunctionName")
            if permission.get("Principal") == "cognito-idp.amazonaws.com":
                named.add(_function_of(permission.get("FunctionName"), f"{name}.FunctionName"))
        return {name: spec for name, spec in self.functions().items() if name in named}

    def function(self, logical_id: str) -> FunctionSpec:
        """The function ``logical_id``; an unknown id raises, listing the known ones."""
        known = self.resources_of_type("AWS::Serverless::Function")
        if logical_id not in known:
            raise TemplateError(
                f"no function {logical_id} in {self.path.name}; it has {', '.join(known)}"
            )
        props = self.properties(
            logical_id,
            "CodeUri",
            "Handler",
            "Runtime",
            "Timeout",
            "MemorySize",
            "Layers",
            "Environment",
        )
        layers = tuple(self._layer_path(layer, logical_id) for layer in props.get("Layers", []))
        variables = props.get("Environment", {}).get("Variables", {})
        return FunctionSpec(
            logical_id=logical_id,
            code_uri=self.root / str(props["CodeUri"]),
            handler=str(props["Handler"]),
            runtime=str(props.get("Runtime", "")),
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            layers=layers,
            environment={k: _env_string(v) for k, v in variables.items()},
        )

    def _layer_path(self, layer: Any, function: str) -> Path:
        # A !Ref to a layer of the template resolved to the layer's logical id.
        resource = self.data["Resources"].get(str(layer), {})
        if resource.get("Type") != "AWS::Serverless::LayerVersion":
            raise TemplateError(f"{function}: layer {layer} is not a layer of the template")
        return self.root / str(self.properties(str(layer), "ContentUri")["ContentUri"])


def _check_rules(rules: Mapping[str, Any], resolver: Resolver) -> None:
    """CloudFormation's Rules: a parameter combination the template forbids fails here too."""
    for name, rule in rules.items():
        where = f"Rules.{name}"
        if "RuleCondition" in rule and not resolver.truth(rule["RuleCondition"], where):
            continue
        for assertion in rule.get("Assertions", []):
            if not resolver.truth(assertion["Assert"], where):
                message = assertion.get("AssertDescription", "an assertion does not hold")
                raise TemplateError(f"rule {name}: {message}")


def _function_of(arn: Any, where: str) -> str:
    """The logical id of the template's function that a (local) Lambda ARN names."""
    text = str(arn)
    if ":function:" not in text:
        raise TemplateError(f"{where}: {text} is not a function of the template")
    return text.split(":function:", 1)[1].split(":", 1)[0]


def _env_string(value: Any) -> str:
    # CloudFormation hands every environment value to Lambda as a string.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
