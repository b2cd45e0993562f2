"""Typed, validated stack settings: one model, presets per environment, loaded from Pulumi config."""

from infra.config.errors import ConfigError
from infra.config.load import PROJECT, load_config, load_from_pulumi
from infra.config.model import StackConfig

__all__ = ["PROJECT", "ConfigError", "StackConfig", "load_config", "load_from_pulumi"]
