"""The component reference (issue #25): docs/components.md is current, every args field and output of every
component is described where it is declared, every public attribute a component sets is a declared output,
and components register exactly their declared outputs. No file is exempt."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import reference
from components.base import PlatformComponent
from offline.render import render

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "components.md"


def owned_modules() -> list[Path]:
    return [path for path in sorted((ROOT / "components").glob("*.py")) if path.stem not in reference.SKIPPED]


def test_reference_is_current() -> None:
    assert DOC.read_text() == reference.generate(), "run: .venv/bin/python -m components.reference > docs/components.md"


def test_every_field_and_output_has_a_description() -> None:
    found = reference.modules()
    missing = [problem for path in owned_modules() for problem in reference.missing_docs(path, found)]
    assert missing == []


def test_the_checker_finds_an_undocumented_field_output_and_class(tmp_path: Path) -> None:
    (tmp_path / "thing.py").write_text(
        "from dataclasses import dataclass\n"
        "@dataclass(frozen=True)\n"
        "class ThingArgs:\n"
        '    """Arguments."""\n'
        "    size: int = 3\n"
        '    """Documented."""\n'
        "    colour: str = 'red'\n"
        "class Thing(PlatformComponent):\n"
        "    arn: str\n"
        "    def __init__(self, name: str, args: ThingArgs) -> None: ...\n"
    )
    assert reference.missing_docs(tmp_path / "thing.py") == [
        "thing.ThingArgs.colour: no docstring",
        "thing.Thing: no class docstring",
        "thing.Thing.arn: no docstring",
    ]


def test_a_field_docstring_reaches_the_generated_table() -> None:
    text = reference.generate()
    assert "| `partition` | `str` | `'aws'` | The ARN partition" in text
    assert "| `account_id` | `pulumi.Input[str]` | required |" in text


def _assigned_attributes(klass: ast.ClassDef) -> set[str]:
    """Public names a class's methods assign on self (`self.x = ...`, `self.x: T = ...`)."""
    names = set()
    for node in ast.walk(klass):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        for target in targets:
            for leaf in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name) and leaf.value.id == "self":
                    names.add(leaf.attr)
    return {name for name in names if not name.startswith("_")}


def test_every_public_attribute_a_component_sets_is_a_declared_output() -> None:
    found = reference.modules()
    components = reference.component_names(found)
    declared = {c.name: {e.name for e in c.entries} for classes in found.values() for c in classes}
    bases = {c.name: c.bases for classes in found.values() for c in classes}

    def inherited(name: str) -> set[str]:
        return declared.get(name, set()).union(*(inherited(b) for b in bases.get(name, ()) if b in declared))

    undeclared = []
    for path in owned_modules():
        for klass in ast.parse(path.read_text()).body:
            if isinstance(klass, ast.ClassDef) and klass.name in components:
                extra = _assigned_attributes(klass) - inherited(klass.name)
                undeclared += [f"{path.stem}.{klass.name}.{attr}" for attr in sorted(extra)]
    assert undeclared == []


@pytest.fixture(scope="module")
def instances() -> list[tuple[pulumi.ComponentResource, set[str]]]:
    """Each component instance with the output names it registered, recorded while rendering production."""
    seen: list[tuple[pulumi.ComponentResource, set[str]]] = []
    original = pulumi.ComponentResource.register_outputs

    def record(self: pulumi.ComponentResource, outputs: Any) -> None:
        seen.append((self, set(outputs)))
        original(self, outputs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pulumi.ComponentResource, "register_outputs", record)
        render("production")
    return seen


@pytest.fixture(scope="module")
def registered(instances: list[tuple[pulumi.ComponentResource, set[str]]]) -> dict[str, list[set[str]]]:
    """Component class -> the output names each instance registered."""
    seen: dict[str, list[set[str]]] = {}
    for component, names in instances:
        seen.setdefault(type(component).__name__, []).append(names)
    return seen


def _resources_in(value: Any) -> list[pulumi.Resource]:
    if isinstance(value, pulumi.Resource):
        return [value]
    if isinstance(value, dict):
        return [r for item in value.values() for r in _resources_in(item)]
    if isinstance(value, list | tuple):
        return [r for item in value for r in _resources_in(item)]
    return []


def _descendants(resource: pulumi.Resource) -> set[pulumi.Resource]:
    children: set[pulumi.Resource] = set(resource._childResources)
    return children.union(*(_descendants(child) for child in children))


def test_exposed_children_are_the_components_own_resources(
    instances: list[tuple[pulumi.ComponentResource, set[str]]],
) -> None:
    """An escape hatch hands out the component's own child (parented to it), never a resource of another."""
    exposed = 0
    for component, names in instances:
        if not isinstance(component, PlatformComponent):
            continue
        own = _descendants(component)
        for name in sorted(names):
            for resource in _resources_in(getattr(component, name)):
                assert resource in own, f"{type(component).__name__}.{name}"
                exposed += 1
    assert exposed >= 40


def test_components_register_every_declared_output(registered: dict[str, list[set[str]]]) -> None:
    owned = {path.stem for path in owned_modules()}
    checked = 0
    for klass in _subclasses(PlatformComponent):
        if klass.__module__.split(".")[-1] not in owned or klass.__name__ not in registered:
            continue
        declared = {
            name
            for k in klass.__mro__
            if issubclass(k, PlatformComponent)
            for name in vars(k).get("__annotations__", {})
            if not name.startswith("_")
        }
        for names in registered[klass.__name__]:
            assert names == declared, klass.__name__
        checked += 1
    assert checked >= 15, sorted(registered)


def _subclasses(klass: type) -> list[type]:
    direct: list[type] = klass.__subclasses__()
    return [sub for child in direct for sub in (child, *_subclasses(child))]


def test_container_service_exposes_the_children_a_reuser_needs(
    instances: list[tuple[pulumi.ComponentResource, set[str]]],
) -> None:
    """Production's blue/green `api`: each escape hatch is the child of that role, told apart by its logical name
    and type, and the plain outputs are read from those same children."""
    from components.container_service import ContainerService

    (api,) = [c for c, _ in instances if isinstance(c, ContainerService) and c._name == "api"]
    expected = {
        "service": ("aws:ecs/service:Service", "api"),
        "task_definition": ("aws:ecs/taskDefinition:TaskDefinition", "api"),
        "security_group": ("aws:ec2/securityGroup:SecurityGroup", "api"),
        "log_group": ("aws:cloudwatch/logGroup:LogGroup", "api-logs"),
        "task_role": ("aws:iam/role:Role", "api-task"),
        "execution_role": ("aws:iam/role:Role", "api-execution"),
        "infrastructure_role": ("aws:iam/role:Role", "api-lb-infra"),
        "target_group": ("aws:lb/targetGroup:TargetGroup", "api"),
        "alternate_target_group": ("aws:lb/targetGroup:TargetGroup", "api-alt"),
        "listener_rule": ("aws:lb/listenerRule:ListenerRule", "api"),
        "test_listener_rule": ("aws:lb/listenerRule:ListenerRule", "api-test"),
        "autoscaling_target": ("aws:appautoscaling/target:Target", "api"),
    }
    for attribute, (type_, name) in expected.items():
        child = getattr(api, attribute)
        assert (child._type, child._name) == (type_, name), attribute
    assert [p._name for p in api.scaling_policies] == ["api-cpu", "api-memory", "api-requests"]
    assert api.scheduled_actions == []
    assert api.target_group is not None and api.alternate_target_group is not None
    assert api.target_group_arn is api.target_group.arn
    assert api.alternate_target_group_arn_suffix is api.alternate_target_group.arn_suffix
    assert api.service_name is api.service.name and api.security_group_id is api.security_group.id
    assert api.release_strategy == "blue_green"
