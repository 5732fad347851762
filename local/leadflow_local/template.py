"""Reading template.yaml: the single source of the wiring, for the local stack and tests.

Only what the local stack needs is interpreted: parameters, resources, the Globals of
functions, function events and the intrinsic functions used in the template. What SAM
makes of it (the roles of the functions, ...) is read from its translation by
aws-sam-translator (`translate`), as deployed."""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
# What the local stack sets of the template's parameters whatever else it is given: it
# is the local emulation (password sign-in, no MFA: moto has no managed login page).
LOCAL_PARAMETERS = {"LocalEmulation": "true"}
TEMPLATE_PATH = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns short-form intrinsics (`!Ref X`) into their long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return yaml.load(path.read_text("utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def translate(text: str) -> dict[str, Any]:
    """A SAM template's text translated to plain CloudFormation by aws-sam-translator, as
    `sam deploy` would. Each text is translated once per process (it takes about half a
    second); every caller gets a copy of its own to change."""
    return copy.deepcopy(_translated_text(text))


def translate_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The same for a template already parsed (`Template.doc`: long-form intrinsics, as
    the translator's own parser gives them), once per distinct document."""
    return copy.deepcopy(_translated_json(json.dumps(doc, default=str)))


def translated_template() -> dict[str, Any]:
    """template.yaml as CloudFormation sees it, after aws-sam-translator expanded SAM."""
    return translate(TEMPLATE_PATH.read_text("utf-8"))


@functools.lru_cache(maxsize=16)
def _translated_text(text: str) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse  # a dev dependency, and slow to import

    return _translated_json(json.dumps(yaml_parse(text), default=str))


@functools.lru_cache(maxsize=16)
def _translated_json(doc_json: str) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    doc = json.loads(doc_json)  # a fresh copy: the translator changes what it is given
    # The translator wants S3 locations where `sam build` would put the code.
    for resource in doc.get("Resources", {}).values():
        props = resource.get("Properties", {})
        for uri in ("CodeUri", "ContentUri"):
            if uri in props:
                props[uri] = f"s3://leadflow-artifacts/{uri}.zip"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    return dict(transform(doc, {}, NoManagedPolicies()))


# `Ref: AWS::NoValue`: the property (or list item) is left out, as CloudFormation does.
NO_VALUE = object()


class Resolver:
    """Evaluates intrinsics against what the local stack created.

    `refs` maps a logical id or parameter name to what `Ref` returns; `attrs` maps
    `LogicalId.Attribute` to what `Fn::GetAtt` returns."""

    def __init__(self, refs: Mapping[str, Any], attrs: Mapping[str, Any] | None = None,
                 conditions: Mapping[str, Any] | None = None) -> None:
        # Kept by reference: the stack fills them in as it creates resources.
        self.refs = refs
        self.attrs = attrs if attrs is not None else {}
        self.conditions = conditions or {}

    def __call__(self, value: Any) -> Any:  # noqa: PLR0911, PLR0912 - one branch per intrinsic
        if isinstance(value, list):
            return [item for item in (self(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and arg == "AWS::NoValue":
                return NO_VALUE
            if key == "Ref":
                return self.refs[arg]
            if key == "Fn::GetAtt":
                return self.attrs[".".join(arg)]
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Equals":
                left, right = self(arg)
                return left == right
            if key == "Fn::Not":
                return not self(arg[0])
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self(when_true) if self.condition(name) else self(when_false)
            if key == "Fn::Join":
                sep, parts = arg
                return sep.join(str(p) for p in self(parts))
            if key == "Fn::Split":
                sep, text = arg
                return str(self(text)).split(sep)
            if key == "Fn::Select":
                index, items = arg
                return self(items)[int(self(index))]
        return {k: v for k, v in ((k, self(v)) for k, v in value.items()) if v is not NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self(self.conditions[name]))

    def _sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in extra:
                return str(extra[name])
            if "." in name:
                return str(self.attrs[name])
            return str(self.refs[name])

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def references(value: Any) -> set[str]:
    """Names a template value refers to through Ref, Fn::GetAtt and Fn::Sub (logical ids
    and parameters alike; pseudo parameters such as AWS::Region included)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0])
            elif key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                names = {name.split(".", 1)[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                found |= (names - set(variables)) | references(variables)
            else:
                found |= references(arg)
    return found


@dataclass
class FunctionEvent:
    name: str
    type: str
    properties: dict[str, Any]


@dataclass
class FunctionSpec:
    """One AWS::Serverless::Function with Globals applied (values still unresolved)."""

    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, Any]
    events: list[FunctionEvent]
    properties: dict[str, Any] = field(default_factory=dict)

    def resolved_environment(self, resolve: Resolver) -> dict[str, str]:
        """The function's Environment.Variables (Globals applied), resolved: what the
        template gives this function, and nothing another function has."""
        return {name: str(resolve(value)) for name, value in self.environment.items()}


class Template:
    def __init__(self, doc: dict[str, Any] | None = None, root: Path = ROOT) -> None:
        self.doc = doc if doc is not None else load_template()
        self.root = root

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.doc.get("Resources", {})

    def parameter_defaults(self) -> dict[str, Any]:
        return {name: p.get("Default", "") for name, p in self.doc.get("Parameters", {}).items()}

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r.get("Type") in types}

    def creation_order(self) -> list[str]:
        """Logical ids with every resource after those it references (Ref, GetAtt, Sub,
        DependsOn), otherwise in template order, as CloudFormation would create them."""
        order: list[str] = []
        visiting: set[str] = set()

        def visit(lid: str) -> None:
            if lid in order or lid in visiting or lid not in self.resources:
                return  # done, a cycle (CloudFormation refuses those), or not a resource
            visiting.add(lid)
            resource = self.resources[lid]
            depends = resource.get("DependsOn", [])
            properties = resource.get("Properties", {})
            if resource.get("Type") == "AWS::Serverless::Api":
                # SAM puts the variables on the stage, made after the API: the API itself
                # does not wait for what they name (an app client whose URLs name the API).
                properties = {k: v for k, v in properties.items() if k != "Variables"}
            for dependency in sorted(references(properties)) + \
                    ([depends] if isinstance(depends, str) else list(depends)):
                visit(dependency)
            visiting.discard(lid)
            order.append(lid)

        for lid in self.resources:
            visit(lid)
        return order

    def api_properties(self, logical_id: str) -> dict[str, Any]:
        """An AWS::Serverless::Api's properties with the template's Globals applied."""
        defaults = self.doc.get("Globals", {}).get("Api", {})
        return {**defaults, **self.resources[logical_id].get("Properties", {})}

    def functions(self, resolve: Resolver | None = None) -> list[FunctionSpec]:
        """Every function (Globals applied); with `resolve`, those whose Condition holds,
        as CloudFormation would create them."""
        defaults = self.doc.get("Globals", {}).get("Function", {})
        specs = []
        for lid, res in self.of_type("AWS::Serverless::Function").items():
            if resolve is not None and "Condition" in res and not resolve.condition(res["Condition"]):
                continue
            props = {**defaults, **res.get("Properties", {})}
            env = dict(defaults.get("Environment", {}).get("Variables", {}))
            env.update(res.get("Properties", {}).get("Environment", {}).get("Variables", {}))
            events = [FunctionEvent(name, e["Type"], e.get("Properties", {}))
                      for name, e in res.get("Properties", {}).get("Events", {}).items()]
            specs.append(FunctionSpec(lid, self.root / props["CodeUri"], props["Handler"], env, events, props))
        return specs

    def function(self, logical_id: str) -> FunctionSpec:
        for spec in self.functions():
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)
