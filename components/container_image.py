"""Where a service's image comes from: an ECR repository we build and push into, or a given URI."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_docker as docker

from components import aws
from components.base import PlatformComponent

PLATFORMS = {"ARM64": "linux/arm64", "X86_64": "linux/amd64"}


@dataclass(frozen=True)
class ContainerImageArgs:
    """Arguments of `ContainerImage`: exactly one of `build_context` and `image_uri`."""

    tags: Mapping[str, str]
    """Tags on the repository; required."""
    kms_key_arn: pulumi.Input[str]
    """ARN of the customer-managed key that encrypts the repository's images; required."""
    architecture: str = "ARM64"
    """CPU architecture the image is built for, `ARM64` or `X86_64` (Fargate's two); default `ARM64` (Graviton:
    Fargate's lower per-vCPU price, in offline/cost/prices.json); must match the task definition's runtime platform."""
    build_context: Path | None = None
    """Directory with the Dockerfile to build and push; default None, then `image_uri` is required."""
    build_args: Mapping[str, str] = field(default_factory=dict)
    """Docker build arguments; default none. They change the image, so they are part of its tag."""
    image_uri: str | None = None
    """A prebuilt image to run as is (e.g. `public.ecr.aws/nginx/nginx:1.27`); default None: build our own."""
    keep_images: int = 30
    """Images the lifecycle policy keeps; default 30: enough releases to roll back to, few enough to stay cheap."""
    untagged_expiry_days: int = 1
    """Days before an untagged image expires; default 1: untagged images are leftovers, never deployed."""
    protect: bool = False
    """Pulumi `protect` on the repository; default False (staging: deleted with its images on destroy)."""


def image_tag(context: Path, dockerfile: Path, platform: str, build_args: Mapping[str, str]) -> str:
    """The image tag: a hash of everything that changes the image (context files, Dockerfile, platform, build
    args). The repository is IMMUTABLE, and ECR answers a push of a different image under an existing tag with
    ImageTagAlreadyExistsException ("Preventing image tags from being overwritten in Amazon ECR",
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html): a tag over the context
    alone breaks the first deploy after an `architecture` change."""
    digest = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        for data in (str(path.relative_to(context)).encode(), path.read_bytes()):
            digest.update(len(data).to_bytes(8, "big") + data)
    fields = (
        ("dockerfile", dockerfile.read_bytes()),
        ("platform", platform.encode()),
        ("args", json.dumps(dict(build_args), sort_keys=True).encode()),
    )
    for label, data in fields:  # length-prefixed: no two different inputs hash alike by shifting bytes
        digest.update(label.encode() + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:16]


class ContainerImage(PlatformComponent):
    """`image_ref` pins the image by digest when we build it, so a new image always means a new task
    definition revision and therefore a new deployment."""

    image_ref: pulumi.Output[str]
    """The image to run: `<repository>@sha256:<digest>` when built, else `image_uri` as given."""
    repository: aws.ecr.Repository | None
    """The ECR repository (escape hatch); None for `image_uri`."""
    image: docker.Image | None
    """The built and pushed image (escape hatch); None for `image_uri`."""
    repository_arn: pulumi.Output[str] | None
    """The repository's ARN (pull grants); None for `image_uri`."""
    repository_url: pulumi.Output[str] | None
    """The repository's URL (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`); None for `image_uri`."""

    def __init__(self, name: str, args: ContainerImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("image", name, args.tags, opts)
        if (args.build_context is None) == (args.image_uri is None):
            raise ValueError("give exactly one of build_context or image_uri")
        self.repository = self.image = None
        self.repository_arn = self.repository_url = None
        if args.image_uri is not None:
            self.image_ref = pulumi.Output.from_input(args.image_uri)
        elif args.build_context is not None:
            self.repository = self._repository(name, args)
            self.image = self._build(name, args, args.build_context, self.repository)
            self.repository_arn = self.repository.arn
            self.repository_url = self.repository.repository_url
            self.image_ref = self.image.repo_digest
        self.register_declared_outputs()

    def _repository(self, name: str, args: ContainerImageArgs) -> aws.ecr.Repository:
        """An immutable, scanned, KMS-encrypted repository whose lifecycle expires what is never deployed."""
        repo = aws.ecr.Repository(
            name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.kms_key_arn}],
            # ECR refuses to delete a repository that holds images; an unprotected (staging) stack's repository
            # goes with its images on destroy, a protected one never does.
            force_delete=not args.protect,
            tags=self.tags_for(),
            opts=self.child(protect=args.protect),
        )
        aws.ecr.LifecyclePolicy(name, repository=repo.name, policy=_lifecycle_policy(args), opts=self.child())
        return repo

    def _build(self, name: str, args: ContainerImageArgs, context: Path, repo: aws.ecr.Repository) -> docker.Image:
        """Build for the task's platform and push under a content-hash tag (the repository is immutable)."""
        token = aws.ecr.get_authorization_token_output(
            registry_id=repo.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        dockerfile = context / "Dockerfile"
        platform = PLATFORMS[args.architecture]
        tag = image_tag(context, dockerfile, platform, args.build_args)
        return docker.Image(
            name,
            image_name=repo.repository_url.apply(lambda url: f"{url}:{tag}"),
            build=docker.DockerBuildArgs(
                context=str(context),
                dockerfile=str(dockerfile),
                platform=platform,
                args=dict(args.build_args) or None,
            ),
            registry=docker.RegistryArgs(
                server=repo.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=self.child(),
        )


def _lifecycle_policy(args: ContainerImageArgs) -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {args.untagged_expiry_days} day(s)",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": args.untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the last {args.keep_images} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": args.keep_images,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )
