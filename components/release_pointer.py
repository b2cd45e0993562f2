"""The release pointer of a CI-owned service: an SSM parameter naming the image (by digest) the service runs.

Releases (`ops release`) write the parameter and then apply the stack; the program reads it live at every
preview and up, so the task definition stays fully managed (sizes, environment, secrets, logging keep applying)
and its image is whatever was last released. Nothing here fights a release: Pulumi sets the value only when it
creates the parameter, from the image the program built (the first deploy), and ignores it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pulumi

from components import aws
from components.base import PlatformComponent

# The error code SSM GetParameter answers for a name that does not exist (GetParameter API reference, Errors);
# the provider's invoke error carries it ("reading SSM Parameter (...): ... ParameterNotFound", as reported in
# hashicorp/terraform-provider-aws#14777 and #18282, which ask for an optional lookup that was never added).
NOT_FOUND = "ParameterNotFound"
DIGEST_SUFFIX = "@sha256:[a-f0-9]{64}"

Lookup = Callable[[str, pulumi.InvokeOptions], str | None]


def digest_pattern(repository_url: str) -> str:
    """AllowedPattern for the pointer: an image of this repository, by digest. SSM rejects any other value at
    PutParameter, so neither a tag nor another repository's image can be released by writing the parameter."""
    return "^" + repository_url.replace(".", r"\.") + DIGEST_SUFFIX + "$"


def live_value(name: str, opts: pulumi.InvokeOptions) -> str | None:
    """The parameter's current value, read with an invoke (never the resource's own state); None when it does not
    exist yet. Any other error (access denied, throttling) propagates: silently falling back to the bootstrap
    image would roll a release back."""
    try:
        # insecure_value: the image is not secret, and a secret value would make the whole container definition
        # secret and hide its diffs.
        result = aws.ssm.get_parameter(name=name, with_decryption=False, opts=opts)
    except Exception as exc:
        if NOT_FOUND in str(exc):
            return None
        raise
    return result.insecure_value


@dataclass(frozen=True)
class ReleasePointerArgs:
    """Arguments of `ReleasePointer`."""

    tags: Mapping[str, str]
    """Tags on the parameter; required, the platform's mandatory tag set."""
    parameter_name: str
    """The SSM parameter's full name (`pointer_name(...)`: `/<project>/<environment>/release/<service>`);
    required, fixed so `ops release` finds it without reading the stack."""
    bootstrap_image: pulumi.Input[str]
    """The image the program built (by digest): the pointer's first value, and the image used while there is no
    pointer; required."""
    repository_url: pulumi.Input[str]
    """The ECR repository URL the released image must come from (the parameter's AllowedPattern); required."""
    service: str
    """Name of the service the pointer releases, for the parameter's description; required."""


class ReleasePointer(PlatformComponent):
    """`image_ref` is the released image (the pointer's live value), or the bootstrap image on the first deploy."""

    image_ref: pulumi.Output[str]
    """The image the service runs: the pointer's live value, or the bootstrap image on the first deploy."""
    parameter: aws.ssm.Parameter
    """The SSM parameter (escape hatch)."""
    parameter_name: pulumi.Output[str]
    """The parameter's name (what `ops release` writes)."""
    parameter_arn: pulumi.Output[str]
    """The parameter's ARN (what the release role is granted `ssm:PutParameter` on)."""
    released: bool
    """True when the pointer existed at this preview or up (a release owns the image), False on the first
    deploy."""

    def __init__(
        self,
        name: str,
        args: ReleasePointerArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        lookup: Lookup = live_value,
    ) -> None:
        super().__init__("release", name, args.tags, opts)
        current = lookup(args.parameter_name, pulumi.InvokeOptions(parent=self))
        parameter = aws.ssm.Parameter(
            name,
            name=args.parameter_name,
            type="String",  # not SecureString: see live_value
            tier="Standard",
            data_type="text",
            insecure_value=args.bootstrap_image,
            allowed_pattern=pulumi.Output.from_input(args.repository_url).apply(digest_pattern),
            description=f"Image (by digest) released to {args.service}; written by `ops release`, read by the program",
            tags=self.tags_for(),
            # Releases own the value after creation; Pulumi must never write the bootstrap image back.
            opts=self.child(ignore_changes=["insecureValue", "value"]),
        )
        self.released = current is not None
        self.image_ref = pulumi.Output.from_input(current if current is not None else args.bootstrap_image)
        self.parameter = parameter
        self.parameter_name = parameter.name
        self.parameter_arn = parameter.arn
        self.register_declared_outputs()


def pointer_name(project: str, environment: str, service: str) -> str:
    """`/<project>/<environment>/release/<service>`: one hierarchy per stack, so one IAM grant covers a stack."""
    return f"/{project}/{environment}/release/{service}"
