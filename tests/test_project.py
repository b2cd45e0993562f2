"""What users and CI meet first: the README's commands, CI's entry point, the Pulumi project files."""

from __future__ import annotations

import re
from pathlib import Path

from infra.config.reference import generate
from offline.project import ROOT


def first_code_block(text: str) -> list[str]:
    match = re.search(r"```[a-z]*\n(.*?)```", text, re.S)
    assert match, "README has no fenced code block"
    return [line for line in match.group(1).splitlines() if line.strip()]


def test_readme_starts_with_exactly_the_two_commands() -> None:
    commands = first_code_block((ROOT / "README.md").read_text())
    assert commands == ["python3.11 dev.py preview staging", "python3.11 dev.py test"]


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert 'exec "$PY" dev.py test' in script and "set -euo pipefail" in script


def test_config_reference_is_current() -> None:
    assert (ROOT / "docs" / "config-reference.md").read_text() == generate(), (
        "run: python3.11 dev.py infra.config.reference > docs/config-reference.md"
    )


def test_stack_files_hold_no_plaintext_secrets() -> None:
    for path in Path(ROOT).glob("Pulumi.*.yaml"):
        text = path.read_text().lower()
        assert not re.search(r"(password|token|secret|apikey)\s*:\s*[^\s{]", text.split("config:", 1)[1]), path.name


def test_the_suite_reads_nothing_beside_the_repository() -> None:
    """A clone on GitHub has no ../shared: every file a test reads must be in the repository."""
    escapes = re.compile(r"""ROOT\.parent\b|parents\[\d\]\s*/\s*["']shared|["']\.\./shared""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if escapes.search(line)
    ]
    assert offenders == []
    assert (ROOT / "policies" / "controls.md").is_file()


def test_readme_numbers_are_the_measured_ones() -> None:
    """Every time the README's Performance section quotes is one docs/benchmark.md records with its measurement."""
    readme = (ROOT / "README.md").read_text()
    performance = readme.split("## Performance", 1)[1].split("\n## ", 1)[0]
    quoted = re.findall(r"\b\d+(?:\.\d+)? s\b", performance)
    assert quoted, "the Performance section quotes no measured time"
    benchmark = (ROOT / "docs" / "benchmark.md").read_text()
    assert [q for q in quoted if q not in benchmark] == []
