"""mypy reads only the pulumi-aws modules the code uses (components/type_scope.py): pyproject.toml lists exactly
those, a new resource name is found in any position, and a name pulumi-aws lacks is an error with file and line."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from components import type_scope
from tests.dev_entry import load_dev
from tests.policies.test_code_shape import imported

CONFIG = tomllib.loads(type_scope.PYPROJECT.read_text())


def overrides(follow: str) -> list[str]:
    return [
        module
        for entry in CONFIG["tool"]["mypy"]["overrides"]
        if entry.get("follow_imports") == follow
        for module in entry["module"]
    ]


def test_pyproject_lists_exactly_the_modules_the_code_uses() -> None:
    assert type_scope.recorded(type_scope.PYPROJECT.read_text()) == type_scope.scope(), (
        "run: python3.11 dev.py components.type_scope --write"
    )


def test_the_code_it_reads_is_the_code_dev_py_type_checks() -> None:
    assert list(type_scope.CODE_DIRS) == load_dev().TYPE_TARGETS


def test_everything_else_of_pulumi_aws_is_skipped_and_the_list_is_read() -> None:
    assert {"pulumi_aws", "pulumi_aws.*"} <= set(overrides("skip"))
    assert overrides("normal") == type_scope.scope()
    assert not [m for m in overrides("normal") if m.endswith(".outputs")]


def code(tmp_path: Path, text: str) -> list[Path]:
    path = tmp_path / "thing.py"
    path.write_text(text)
    return [path]


@pytest.fixture
def under_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(type_scope, "ROOT", tmp_path)  # `where` is relative to the root
    return tmp_path


@pytest.mark.parametrize(
    ("text", "module"),
    [
        ("x = aws.ec2.Instance('a')\n", "pulumi_aws.ec2.instance"),
        ("def f(s: list[aws.ec2.NetworkAcl]) -> None: ...\n", "pulumi_aws.ec2.network_acl"),
        ("T = aws.sqs.Queue\n", None),  # a service components/aws.py does not import
        ("p = aws.secretsmanager.get_secret_output(name='x')\n", "pulumi_aws.secretsmanager.get_secret"),
        ("o = aws.lambda_.Function\n", "pulumi_aws.lambda_.function"),
        ("a = aws.ec2.VpcArgs\n", "pulumi_aws.ec2.vpc"),  # a resource's own args: its module
        ("a = aws.ec2.SecurityGroupIngressArgs\n", "pulumi_aws.ec2._inputs"),  # nested: always read
    ],
)
def test_a_name_in_any_position_brings_its_module(under_root: Path, text: str, module: str | None) -> None:
    if module is None:
        with pytest.raises(type_scope.ScopeError, match=r"thing\.py:1: aws\.sqs is not imported by components/aws"):
            type_scope.scope(code(under_root, text))
        return
    found = type_scope.scope(code(under_root, text))
    assert module in found
    assert set(type_scope.scope(code(under_root, ""))) | {module} == set(found)


def test_a_name_pulumi_aws_lacks_is_an_error_with_file_and_line(under_root: Path) -> None:
    with pytest.raises(type_scope.ScopeError, match=r"thing\.py:2: pulumi_aws\.ec2 defines no Vcp"):
        type_scope.scope(code(under_root, "import x\nv = aws.ec2.Vcp('v')\n"))


def test_other_objects_named_like_a_service_do_not_count(under_root: Path) -> None:
    text = "self.aws.ec2.Instance\nboto.ec2.Instance\n'aws.ec2.Instance'\n"
    assert type_scope.scope(code(under_root, text)) == type_scope.scope(code(under_root, ""))


def test_write_replaces_only_the_block_and_a_missing_block_is_named(tmp_path: Path) -> None:
    text = f"a = 1\n{type_scope.block(['pulumi_aws.x'])}\nb = 2\n"
    assert type_scope.recorded(type_scope.rewritten(text, ["pulumi_aws.y", "pulumi_aws.z"])) == [
        "pulumi_aws.y",
        "pulumi_aws.z",
    ]
    replaced = type_scope.rewritten(text, ["q"])
    assert replaced.startswith("a = 1\n") and replaced.endswith("\nb = 2\n") and "pulumi_aws.x" not in replaced
    assert all(len(line) <= 120 for line in type_scope.block(type_scope.scope()).splitlines())
    with pytest.raises(type_scope.ScopeError, match="no `# type-scope: begin"):
        type_scope.recorded("module = []\n")


def test_a_stale_list_fails_the_command_and_write_mends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "pyproject.toml"
    stale.write_text(f"x = 1\n{type_scope.block(['pulumi_aws.ec2.instance'])}\n")
    monkeypatch.setattr(type_scope, "PYPROJECT", stale)
    assert type_scope.main([]) == 1
    err = capsys.readouterr().err
    assert "lists unused ['pulumi_aws.ec2.instance']" in err and "run with --write" in err
    assert type_scope.main(["--write"]) == 0
    assert type_scope.recorded(stale.read_text()) == type_scope.scope()
    assert stale.read_text().startswith("x = 1\n")


SDK_ONLY = ("opentelemetry", "semver", "parver")
"""Packages mypy skips (pyproject.toml) because only the Pulumi SDK imports them."""


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported(path)}


def test_packages_only_the_sdk_imports_are_skipped_and_the_code_never_imports_them() -> None:
    sdk_only = {name for package in SDK_ONLY for name in (package, f"{package}.*")}
    assert set(overrides("skip")) - {"pulumi_aws", "pulumi_aws.*"} == sdk_only  # the list here is pyproject's
    code = sorted(path for folder in type_scope.CODE_DIRS for path in (type_scope.ROOT / folder).rglob("*.py"))
    assert len(code) > 100
    users = {str(path.relative_to(type_scope.ROOT)): imported_packages(path) & set(SDK_ONLY) for path in code}
    assert not {path: names for path, names in users.items() if names}, "mypy would not check these imports"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import opentelemetry.trace\n", {"opentelemetry"}),
        ("from semver import Version\n", {"semver"}),
        ("def f() -> None:\n    import parver\n", {"parver"}),
        ("from . import semver\n", set()),  # a module of this project that happens to share the name
        ("x = 'import semver'\n", set()),
    ],
)
def test_imports_are_found_in_any_position(tmp_path: Path, text: str, expected: set[str]) -> None:
    path = tmp_path / "thing.py"
    path.write_text(text)
    assert imported_packages(path) & set(SDK_ONLY) == expected
