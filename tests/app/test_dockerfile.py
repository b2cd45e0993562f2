"""The sample app's image provides what its task definition assumes: a numeric non-root user, and scratch paths
the user owns, declared VOLUME so the ECS volume mounted there takes the image's owner and mode."""

from __future__ import annotations

import json
import re
import shlex

from components.container_service import CONTAINER_USER, EXEC_AGENT_MOUNTS
from offline.plan import Plan
from offline.project import ROOT
from tests.helpers import container

DOCKERFILE = ROOT / "app" / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(m.group(1).upper(), m.group(2).strip()) for m in re.finditer(r"^\s*(\w+)\s+(.*)$", joined, re.M)]


def volumes(steps: list[tuple[str, str]]) -> dict[str, int]:
    """Path -> index of the VOLUME instruction that declares it (JSON or plain form)."""
    found: dict[str, int] = {}
    for index, (name, args) in enumerate(steps):
        if name == "VOLUME":
            paths = json.loads(args) if args.startswith("[") else shlex.split(args)
            found.update({path: index for path in paths})
    return found


def test_every_scratch_mount_is_an_image_volume_owned_by_the_container_user(plan: Plan) -> None:
    steps = instructions(DOCKERFILE.read_text())
    declared = volumes(steps)
    agent_paths = {path for _, path in EXEC_AGENT_MOUNTS}
    mounted = [m["containerPath"] for m in container(plan, "api")["mountPoints"]]
    scratch = [path for path in mounted if path not in agent_paths]
    assert scratch == ["/tmp"]
    for path in scratch:
        assert path in declared, f"{path} is mounted but not a VOLUME: ECS would create it root-owned 0755"
        at = declared[path]
        chown = re.compile(rf"chown\s+{CONTAINER_USER}(:{CONTAINER_USER})?\s+(\S+\s+)*{re.escape(path)}(\s|$)")
        owned = [args for name, args in steps[:at] if name == "RUN" and chown.search(args)]
        assert owned, f"{path} is not chowned to {CONTAINER_USER} before its VOLUME"
        later = [args for name, args in steps[at + 1 :] if name == "RUN" and path in args]
        assert not later, f"changes to {path} after its VOLUME are discarded: {later}"


def test_the_image_runs_as_the_task_definitions_numeric_user(plan: Plan) -> None:
    users = [args for name, args in instructions(DOCKERFILE.read_text()) if name == "USER"]
    assert users and users[-1] == CONTAINER_USER == container(plan, "api")["user"]


def test_the_parser_sees_what_docker_sees() -> None:
    """The checks above fail on the shapes the same mistake can take."""
    missing = "RUN chown 10001:10001 /tmp\nUSER 10001\n"
    assert "/tmp" not in volumes(instructions(missing))
    too_late = 'VOLUME ["/tmp"]\nRUN chown 10001 /tmp\n'
    steps = instructions(too_late)
    assert volumes(steps) == {"/tmp": 0} and steps[1] == ("RUN", "chown 10001 /tmp")
    plain = "RUN chown 10001:10001 /tmp \\\n    && chmod 0700 /tmp\nVOLUME /tmp /data\n"
    assert volumes(instructions(plain)) == {"/tmp": 1, "/data": 1}
    assert instructions("# VOLUME /tmp\n") == []
