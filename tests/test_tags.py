"""Every taggable resource carries the platform tags, where the mock engine and policies can see them."""

from __future__ import annotations

import importlib
import inspect
from functools import cache

from offline.plan import Plan

REQUIRED = ("Project", "Environment", "ManagedBy", "Owner", "CostCenter")


@cache
def taggable(type_: str) -> bool:
    """Ask pulumi-aws itself whether the resource class accepts `tags` (an oracle independent of our code)."""
    _, module_path, class_name = type_.split(":")
    package = module_path.split("/")[0]
    module = importlib.import_module(f"pulumi_aws.{package}_" if package == "lambda" else f"pulumi_aws.{package}")
    cls = getattr(module, class_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_every_taggable_resource_has_the_platform_tags(plan: Plan) -> None:
    expected_env = plan.stack
    checked = 0
    for record in plan.resources:
        if not record.type.startswith("aws:") or not taggable(record.type):
            continue
        tags = record.inputs.get("tags")
        assert isinstance(tags, dict), f"{record.type} {record.name} has no tags"
        missing = [t for t in REQUIRED if not tags.get(t)]
        assert not missing, f"{record.type} {record.name} lacks {missing}"
        assert tags["Environment"] == expected_env and tags["ManagedBy"] == "pulumi"
        checked += 1
    assert checked >= 20


def test_provider_default_tags_match(plan: Plan) -> None:
    provider = plan.one("pulumi:providers:aws", "aws")
    assert provider.inputs["region"] == "eu-west-1"
    assert all(f'"{tag}"' in provider.inputs["defaultTags"] for tag in REQUIRED)


def test_every_resource_uses_a_stack_provider_with_the_same_tags(plan: Plan) -> None:
    """The stack provider, or a regional one (edge in us-east-1, DR region) carrying the same default tags."""
    main = plan.one("pulumi:providers:aws", "aws")
    providers = {p.urn: p for p in plan.of_type("pulumi:providers:aws")}
    for provider in providers.values():
        assert provider.inputs["defaultTags"] == main.inputs["defaultTags"], provider.name
        assert provider is main or provider.inputs["region"] != main.inputs["region"], provider.name
    for record in plan.resources:
        if record.custom and record.type.startswith("aws:"):
            assert record.provider in providers, record.name
