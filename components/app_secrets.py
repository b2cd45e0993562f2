"""The service's own credentials in Secrets Manager, encrypted with a customer-managed key.

Each value comes from Pulumi secret config, or is generated once by Secrets Manager (GetRandomPassword) and
then kept: the version ignores later changes to its generated string, so an update never rotates it by
accident. Rotation path for these (no AWS-provided rotation function exists for arbitrary credentials):
set a new value with `pulumi config set --secret --path app-platform:secrets.<name>` and `pulumi up`
(a new secret version), then restart the service so its tasks read it; for a generated value, set it in
config the same way. See docs/disaster-recovery.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components import aws
from components.base import PlatformComponent


@dataclass(frozen=True)
class AppSecretSpec:
    description: str
    # A Pulumi secret (config); None: generate once and keep.
    value: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class AppSecretsArgs:
    path_prefix: str  # e.g. app-platform/production: secret names read <prefix>/<name>-<random suffix>
    secrets: Mapping[str, AppSecretSpec]
    kms_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    recovery_window_days: int = 30
    generated_length: int = 64
    protect: bool = False


class AppSecrets(PlatformComponent):
    arns: dict[str, pulumi.Output[str]]
    versions: dict[str, aws.secretsmanager.SecretVersion]

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("secrets", name, args.tags, opts)
        if not 7 <= args.recovery_window_days <= 30:
            raise ValueError("Secrets Manager keeps a deleted secret recoverable for 7 to 30 days")
        self.arns = {}
        self.versions = {}
        for secret_name, spec in sorted(args.secrets.items()):
            logical = f"{name}-{secret_name}"
            secret = aws.secretsmanager.Secret(
                logical,
                name_prefix=f"{args.path_prefix}/{secret_name}-",
                description=spec.description,
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=args.recovery_window_days,
                tags=self.tags_for(secret_name),
                opts=self.child(protect=args.protect),
            )
            if spec.value is None:
                value: pulumi.Input[str] = aws.secretsmanager.get_random_password_output(
                    password_length=args.generated_length,
                    exclude_punctuation=True,
                    require_each_included_type=True,
                    opts=pulumi.InvokeOutputOptions(parent=self),
                ).random_password
                # The invoke returns a new string on every run: keep the first one.
                ignore = ["secretString"]
            else:
                value, ignore = spec.value, []
            self.versions[secret_name] = aws.secretsmanager.SecretVersion(
                logical,
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(value),
                opts=self.child(ignore_changes=ignore),
            )
            self.arns[secret_name] = secret.arn
        self.register_outputs({"arns": self.arns})

    def current_value(self, secret_name: str) -> pulumi.Output[str]:
        """The stored value (for a generated secret, the first one ever generated), read back as a secret."""
        version = self.versions[secret_name]
        return pulumi.Output.secret(
            aws.secretsmanager.get_secret_version_output(
                secret_id=version.secret_id,
                opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[version]),
            ).secret_string
        )
