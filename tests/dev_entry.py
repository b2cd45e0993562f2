"""dev.py loaded as a module, for tests that check what it knows (its jobs, the uv it bootstraps)."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from offline.project import ROOT


def load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_entry_point", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
