"""One pack version, one rule set: what an auditor reads as `app-platform-aws 1.1.0` is exactly one set of policy
sources, recorded in policies/versions.json as a SHA-256 over them.

    .venv/bin/python -m policies.versions            # the current digest, and whether versions.json records it
    .venv/bin/python -m policies.versions --write    # after bumping `version:` in PulumiPolicy.yaml: record it

Every report (JSON, SARIF, Markdown, JUnit, text) names the pack's version. Without this record the pack said
1.0.0 through every rule added since its first commit, so two reports with different rules looked alike.
tests/policies/test_versions.py fails when the sources changed and the version did not, when a version is
reused for other sources, and when versions do not increase.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sys
from pathlib import Path

PACK_DIR = Path(__file__).resolve().parent
HISTORY = PACK_DIR / "versions.json"
PACK_FILE = PACK_DIR / "PulumiPolicy.yaml"
# What decides a finding: the rules, the tables they read, the pack's entry point and what it changes in
# pulumi-policy. The stacks' policy configs (policies/config/) are stack settings, reported beside the version;
# the README table and this tooling are not.
SOURCE_GLOBS = (
    "rules/*.py",
    "credential_patterns.py",
    "lambda_runtimes.py",
    "log_retention.py",
    "analyzer_memo.py",
    "__main__.py",
)


def sources(pack_dir: Path = PACK_DIR) -> list[Path]:
    return sorted({path for pattern in SOURCE_GLOBS for path in pack_dir.glob(pattern)})


def digest(pack_dir: Path = PACK_DIR) -> str:
    """SHA-256 over each source's path in the pack and its text (line endings normalised)."""
    hashed = hashlib.sha256()
    for path in sources(pack_dir):
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        hashed.update(f"{path.relative_to(pack_dir).as_posix()}\n{len(text)}\n{text}".encode())
    return hashed.hexdigest()


def declared_version(pack_file: Path = PACK_FILE) -> str:
    found = re.search(r"^version:\s*([0-9]+\.[0-9]+\.[0-9]+)\s*$", pack_file.read_text(), re.M)
    if not found:
        raise ValueError(f"{pack_file}: no `version: MAJOR.MINOR.PATCH` line")
    return found[1]


def parsed(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in version.split("."))
    return major, minor, patch


def history(path: Path = HISTORY) -> list[dict[str, str]]:
    return list(json.loads(path.read_text())) if path.is_file() else []


def problems(entries: list[dict[str, str]], version: str, current: str) -> list[str]:
    """Why the record and the pack disagree; empty when the declared version names exactly these sources."""
    found: list[str] = []
    versions = [parsed(entry["version"]) for entry in entries]
    if any(later <= earlier for earlier, later in itertools.pairwise(versions)):
        found.append("versions.json: versions must increase from one entry to the next")
    if len({entry["sha256"] for entry in entries}) != len(entries):
        found.append("versions.json: one rule set recorded under two versions")
    if not entries:
        return [*found, "versions.json records no version: run `python -m policies.versions --write`"]
    last = entries[-1]
    if last["version"] != version:
        found.append(f"PulumiPolicy.yaml says {version}, versions.json's last entry {last['version']}: run --write")
    elif last["sha256"] != current:
        found.append(
            f"the policy sources changed since {version} was recorded: raise `version:` in PulumiPolicy.yaml "
            "(patch: a fix, minor: a policy added or stricter, major: a policy removed or renamed), then run "
            "`python -m policies.versions --write`"
        )
    return found


def record(entries: list[dict[str, str]], version: str, current: str) -> list[dict[str, str]]:
    """`entries` with this version of these sources appended; a reused or lower version is refused."""
    if entries and entries[-1]["version"] == version and entries[-1]["sha256"] == current:
        return entries
    if entries and parsed(version) <= parsed(entries[-1]["version"]):
        raise ValueError(f"version {version} is not above {entries[-1]['version']}: raise it in PulumiPolicy.yaml")
    return [*entries, {"version": version, "sha256": current}]


def main(argv: list[str]) -> int:
    version, current, entries = declared_version(), digest(), history()
    if argv == ["--write"]:
        try:
            entries = record(entries, version, current)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        HISTORY.write_text(json.dumps(entries, indent=2) + "\n")
    print(f"{version} {current}")
    found = problems(entries, version, current)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
