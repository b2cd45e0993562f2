"""The release pointer of a CI-owned service (SSM) and the images it may point at (ECR): read, check, write.

The pointer is the SSM String parameter the program reads for the service's image (components/release_pointer.py).
Its versions are the release history: SSM keeps the 100 most recent versions of a parameter and deletes the oldest
when a new one is written, unless that version carries a label (then PutParameter fails with
ParameterMaxVersionLimitExceeded; "ParameterMaxVersionLimitExceeded", SSM API reference). So no label is ever put
on a pointer version, and a rollback can reach up to 99 releases back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops.aws import AWS_ERRORS, error_code
from ops.outputs import OutputsError, StackOutputs

# <account>.dkr.ecr.<region>.amazonaws.com/<repository>, then @sha256:<digest> or :<tag>. Repository names are
# lower case with . _ - / separators; tags up to 128 characters of [A-Za-z0-9_.-] (ECR, "Image tag" and
# CreateRepository repositoryName constraints).
_IMAGE = re.compile(
    r"^(?P<repository>\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[a-z0-9][a-z0-9._/-]*)"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64})|:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))$"
)


class ReleaseError(Exception):
    """A release (or a pointer rollback) cannot go ahead; nothing was changed when this is raised before writing."""


@dataclass(frozen=True)
class Target:
    """What a release of one service touches, from the stack outputs (`services.<name>.release`)."""

    service: str
    parameter: str
    repository_url: str
    targets: tuple[str, ...]  # Pulumi URNs a release applies (task definition, service)

    @property
    def registry_id(self) -> str:
        return self.repository_url.split(".", 1)[0]

    @property
    def repository_name(self) -> str:
        return self.repository_url.split("/", 1)[1]


@dataclass(frozen=True)
class Version:
    number: int
    image: str
    modified: datetime | None
    by: str


def release_target(outputs: StackOutputs, service: str) -> Target:
    services = outputs.mapping("services")
    if service not in services:
        known = ", ".join(sorted(services)) or "none"
        raise OutputsError(f"service `{service}` is not in stack output `services` ({outputs.source}; known: {known})")
    key = f"services.{service}.release"
    if outputs.optional(key) is None:
        raise ReleaseError(
            f"{service} is not CI-owned (no `{key}` in {outputs.source}): `pulumi up` deploys its image. Set "
            "deployOwner: ci for it to release with `ops release` (docs/runbooks/deploy.md)"
        )
    return Target(
        service=service,
        parameter=outputs.text(f"{key}.parameterName"),
        repository_url=outputs.text(f"{key}.repositoryUrl"),
        targets=tuple(outputs.strings(f"{key}.targets")),
    )


def resolve_image(ecr: Any, target: Target, image: str) -> str:
    """`<repository>@sha256:<digest>` of an image that exists in the service's repository; a tag is resolved to
    its digest (a tag can move, a digest cannot). Raises ReleaseError naming what is wrong."""
    match = _IMAGE.match(image.strip())
    if match is None:
        raise ReleaseError(
            f"{image!r} is not an ECR image reference: give <account>.dkr.ecr.<region>.amazonaws.com/<repository>"
            "@sha256:<digest> (or :<tag>)"
        )
    if match["repository"] != target.repository_url:
        raise ReleaseError(
            f"{image} is not in {target.service}'s repository {target.repository_url}: push it there first "
            "(the pointer accepts only images of the service's own repository)"
        )
    image_id = {"imageDigest": match["digest"]} if match["digest"] else {"imageTag": match["tag"]}
    try:
        details = ecr.describe_images(
            registryId=target.registry_id, repositoryName=target.repository_name, imageIds=[image_id]
        )["imageDetails"]
    except AWS_ERRORS as exc:
        if error_code(exc) in ("ImageNotFoundException", "RepositoryNotFoundException"):
            wanted = match["digest"] or f"tag {match['tag']}"
            raise ReleaseError(
                f"{wanted} is not in repository {target.repository_name} ({error_code(exc)}): nothing was changed. "
                "Push the image first; ECR's lifecycle policy may also have expired an old one"
            ) from None
        raise
    if len(details) != 1:
        raise ReleaseError(f"ECR returned {len(details)} images for {image}; expected exactly one")
    return f"{target.repository_url}@{details[0]['imageDigest']}"


def current(ssm: Any, target: Target) -> Version:
    try:
        parameter = ssm.get_parameter(Name=target.parameter)["Parameter"]
    except AWS_ERRORS as exc:
        if error_code(exc) == "ParameterNotFound":
            raise ReleaseError(
                f"no release pointer {target.parameter} for {target.service}: `pulumi up` creates it on the stack's "
                "first deploy; deploy the stack first"
            ) from None
        raise
    return Version(
        int(parameter["Version"]),
        str(parameter["Value"]),
        parameter.get("LastModifiedDate"),
        "",
    )


def history(ssm: Any, target: Target) -> list[Version]:
    """Every retained version of the pointer, oldest first."""
    versions: list[Version] = []
    for page in ssm.get_paginator("get_parameter_history").paginate(Name=target.parameter):
        for entry in page.get("Parameters", []):
            versions.append(
                Version(
                    int(entry["Version"]),
                    str(entry["Value"]),
                    entry.get("LastModifiedDate"),
                    str(entry.get("LastModifiedUser", "")),
                )
            )
    return sorted(versions, key=lambda v: v.number)


def previous_release(versions: list[Version], wanted: int | None = None) -> Version:
    """The version to roll back to: `wanted`, or the newest older version whose image differs from the current."""
    if not versions:
        raise ReleaseError("the release pointer has no history")
    latest = versions[-1]
    if wanted is not None:
        found = next((v for v in versions if v.number == wanted), None)
        if found is None:
            kept = f"{versions[0].number}..{latest.number}"
            raise ReleaseError(f"pointer version {wanted} is not in its history (SSM keeps the last 100: {kept})")
        if found.image == latest.image:
            raise ReleaseError(f"pointer version {wanted} holds the image already released ({latest.image})")
        return found
    earlier = [v for v in versions if v.number < latest.number and v.image != latest.image]
    if not earlier:
        raise ReleaseError(f"no earlier release than version {latest.number} ({latest.image}): nothing to roll back to")
    return earlier[-1]


def write(ssm: Any, target: Target, image: str) -> int:
    """Set the pointer to `image`; returns the new version. The parameter's AllowedPattern and description are
    re-sent, so whatever PutParameter does with omitted fields on overwrite, Pulumi's view of them stays true;
    the value is checked against the pattern first for a clear message (SSM would refuse it too)."""
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [target.parameter]}])
    parameters = described.get("Parameters", [])
    if not parameters:
        raise ReleaseError(f"no release pointer {target.parameter}: deploy the stack first")
    pattern = parameters[0].get("AllowedPattern")
    if pattern and not re.fullmatch(pattern.removeprefix("^").removesuffix("$"), image):
        raise ReleaseError(f"{image} does not match the pointer's AllowedPattern {pattern}: nothing was changed")
    request: dict[str, Any] = {"Name": target.parameter, "Value": image, "Type": "String", "Overwrite": True}
    if pattern:
        request["AllowedPattern"] = pattern
    if parameters[0].get("Description"):
        request["Description"] = parameters[0]["Description"]
    return int(ssm.put_parameter(**request)["Version"])
