"""Reading Pulumi.<stack>.yaml: broken files fail with file, line, column and the offending line (never a
traceback), duplicate keys are errors, scalars read as YAML 1.2, and config errors point at the line that set
the key, through the CLI's exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.config import ConfigError, load_config
from offline import cli, project
from offline.project import StackFileError, explain, load_stack, locate

STAGING = (project.ROOT / "Pulumi.staging.yaml").read_text()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory whose program is the real one: the CLI reads its stack files from here."""
    (tmp_path / "Pulumi.yaml").write_text(f"name: app-platform\nruntime: python\nmain: {project.ROOT / 'infra'}/\n")
    monkeypatch.setattr(project, "ROOT", tmp_path)
    return tmp_path


def write(root: Path, text: str, stack: str = "gen") -> Path:
    path = root / f"Pulumi.{stack}.yaml"
    path.write_text(text)
    return path


def parse_error(root: Path, text: str) -> str:
    write(root, text)
    with pytest.raises(StackFileError) as info:
        load_stack("gen", root)
    return str(info.value)


def preview(root: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    write(root, text)
    code = cli.main(["preview", "gen", "--out", str(root / "out"), "--no-policy"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "line", "column", "says"),
    [
        ("config:\n  aws:region: eu-west-1\n  app-platform:owner: [a, b\n", 4, 1, "expected ',' or ']'"),
        ("config:\n  aws:region: eu-west-1\n\tapp-platform:owner: x\n", 3, 1, "\\t"),
        ("config:\n  aws:region: 'eu-west-1\n", 3, 1, "unexpected end of stream"),
        ("config:\n  a: b\n c: d\n", 3, 2, "expected <block end>"),
        ("config:\n  x: !!python/object:os.system ls\n", 2, 6, "could not determine a constructor"),
        ("config:\n  x: *undefined\n", 2, 6, "found undefined alias"),
    ],
)
def test_parse_errors_name_file_line_column_and_show_the_line(
    root: Path, text: str, line: int, column: int, says: str
) -> None:
    message = parse_error(root, text)
    assert message.startswith(f"Pulumi.gen.yaml:{line}:{column}: ") or f"Pulumi.gen.yaml:{line}:{column}:" in message
    assert says in message
    shown = text.splitlines()[line - 1] if line <= len(text.splitlines()) else ""
    assert f"\n    {shown}\n    {' ' * (column - 1)}^" in message


def test_duplicate_keys_are_errors_at_the_second_one(root: Path) -> None:
    text = STAGING + "  app-platform:owner: someone-else\n"
    message = parse_error(root, text)
    line = len(STAGING.splitlines()) + 1
    first = next(i for i, row in enumerate(STAGING.splitlines(), 1) if "app-platform:owner" in row)
    assert f"Pulumi.gen.yaml:{line}:3: found duplicate key 'app-platform:owner' (first set on line {first}" in message


def test_an_unclosed_bracket_names_where_it_opened(root: Path) -> None:
    message = parse_error(root, "config:\n  app-platform:tls:\n    https: [true\n    hostedZoneId: Z1\n")
    assert "Pulumi.gen.yaml:4:17: expected ',' or ']'" in message
    assert "(while parsing a flow sequence that starts on line 3)" in message


def test_nested_duplicate_keys_are_errors(root: Path) -> None:
    text = "config:\n  app-platform:tls:\n    https: true\n    https: false\n"
    assert "Pulumi.gen.yaml:4:5: found duplicate key 'https'" in parse_error(root, text)


def test_merge_keys_may_override(root: Path) -> None:
    text = "base: &b {https: true, hostedZoneId: Z1}\nconfig:\n  app-platform:tls:\n    <<: *b\n    https: false\n"
    settings = load_stack("gen", write(root, text).parent)
    assert json.loads(settings.config["app-platform:tls"]) == {"https": False, "hostedZoneId": "Z1"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("- a\n- b\n", "expected a mapping with a `config:` mapping"),
        ("config: [1, 2]\n", "expected a mapping with a `config:` mapping"),
        ("config:\n  1: x\n", "config key 1 is not a string"),
        ("config:\n  app-platform:owner:\n", "app-platform:owner has no value"),
        ("config:\n  ? [a, b]\n  : x\n", "unhashable"),
    ],
)
def test_malformed_documents(root: Path, text: str, says: str) -> None:
    assert says in parse_error(root, text)


def test_binary_and_deeply_nested_files(root: Path) -> None:
    (root / "Pulumi.gen.yaml").write_bytes(b"config:\n  x: \xff\xfe\n")
    with pytest.raises(StackFileError, match="not UTF-8"):
        load_stack("gen", root)
    assert "Pulumi.gen.yaml" in parse_error(root, "config:\n  x: " + "[" * 5000 + "]" * 5000 + "\n")


@pytest.mark.parametrize("name", ["../etc/passwd", "a b", "", "x/y"])
def test_stack_names_are_not_paths(root: Path, name: str) -> None:
    with pytest.raises(StackFileError, match="not a stack name"):
        load_stack(name, root)


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [("no", "no"), ("yes", "yes"), ("on", "on"), ("12:30", "12:30"), ("2024-01-01", "2024-01-01"), ("010", "10")],
)
def test_scalars_read_as_yaml_1_2(root: Path, scalar: str, expected: str) -> None:
    write(root, f"config:\n  app-platform:owner: {scalar}\n  app-platform:tls:\n    hostedZoneId: {scalar}\n")
    settings = load_stack("gen", root)
    assert settings.config["app-platform:owner"] == expected
    assert json.loads(settings.config["app-platform:tls"])["hostedZoneId"] == json.loads(
        json.dumps(expected if not expected.isdigit() else int(expected))
    )


def test_booleans_and_numbers_still_typed(root: Path) -> None:
    write(root, "config:\n  app-platform:tls:\n    https: true\n    n: 0x1f\n    f: 1.5\n    o: 0o17\n    z: ~\n")
    assert json.loads(load_stack("gen", root).config["app-platform:tls"]) == {
        "https": True,
        "n": 31,
        "f": 1.5,
        "o": 15,
        "z": None,
    }


def test_locations_point_at_each_nested_key(root: Path) -> None:
    settings = load_stack("gen", write(root, STAGING).parent)
    lines = STAGING.splitlines()
    where = locate(settings, "app-platform:services.api.containerPort")
    assert where is not None and lines[where.line - 1].strip() == "containerPort: 8080"
    where = locate(settings, "app-platform:services.api.cpu")  # not in the file: its service
    assert where is not None and lines[where.line - 1].strip() == "api:"
    where = locate(settings, "app-platform:notifications.criticalEmails[0]")
    assert where is not None and "platform-oncall@example.com" in lines[where.line - 1]
    assert locate(settings, "app-platform:database.drRegion") is None


def test_config_errors_name_the_line_that_set_the_key(root: Path) -> None:
    text = STAGING.replace("containerPort: 8080", "containerPort: 8080\n      cpu: 300")
    settings = load_stack("gen", write(root, text).parent)
    with pytest.raises(ConfigError) as info:
        load_config(settings.config, set(settings.secret_keys))
    message = explain(info.value.problems, settings)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "cpu: 300" in row)
    assert f"Pulumi.gen.yaml:{line}:7: app-platform:services.api.cpu = 300" in message
    assert "\n      cpu: 300" in message


def test_problems_about_keys_the_file_does_not_set_say_so(root: Path) -> None:
    text = STAGING.replace("  app-platform:owner: platform-team\n", "")
    settings = load_stack("gen", write(root, text).parent)
    with pytest.raises(ConfigError) as info:
        load_config(settings.config, set(settings.secret_keys))
    assert "app-platform:owner: missing" in explain(info.value.problems, settings)
    assert "(not set in " in explain(info.value.problems, settings)


def test_cli_exit_1_with_file_and_line_for_a_parse_error(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = preview(root, STAGING + "  aws:region: us-east-1\n", capsys)
    assert code == cli.EXIT_CONFIG
    assert "found duplicate key 'aws:region'" in err and "Traceback" not in err


def test_cli_exit_1_with_key_file_and_line_for_a_config_error(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = preview(root, STAGING.replace("aws:region: eu-west-1", "aws:region: eu-west-9"), capsys)
    assert code == cli.EXIT_CONFIG
    assert "Pulumi.gen.yaml:4:3: aws:region = 'eu-west-9': not an AWS Region (did you mean 'eu-west-" in err
    assert not (root / "out").exists()  # nothing rendered, no plan written
