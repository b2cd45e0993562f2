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
    """One application secret: what it is for and where its value comes from."""

    description: str
    """What the credential is for, shown on the secret in the console; required, because an undescribed secret
    is the one nobody dares to delete."""
    value: pulumi.Input[str] | None = None
    """The value, from Pulumi secret config; default None: Secrets Manager generates one once (GetRandomPassword)
    and the stack keeps it, so no human ever needs to see or type it."""


@dataclass(frozen=True)
class AppSecretsArgs:
    """Arguments of `AppSecrets`."""

    path_prefix: str
    """Name prefix of every secret (e.g. `app-platform/production`): names read `<prefix>/<name>-<random
    suffix>`, so IAM policies can grant a whole stack's secrets by prefix; required."""
    secrets: Mapping[str, AppSecretSpec]
    """Secret name -> its spec; required (an empty map creates nothing)."""
    kms_key_arn: pulumi.Input[str]
    """ARN of the customer-managed KMS key that encrypts every secret; required: the AWS-managed key cannot be
    shared or audited per stack."""
    tags: Mapping[str, str]
    """Tags on every secret (plus a `Name`); required, the platform's mandatory tag set."""
    recovery_window_days: int = 30
    """Days a deleted secret stays recoverable, 7 to 30 (Secrets Manager's range); default 30, the longest,
    because a deleted credential is an outage until restored."""
    generated_length: int = 64
    """Length in characters of a generated value; default 64, long enough for any HMAC key or password and
    accepted by every client (letters and digits only)."""
    protect: bool = False
    """Pulumi `protect` on the secrets; default False (staging); production sets it so `pulumi destroy` or a
    replacement cannot delete them."""


class AppSecrets(PlatformComponent):
    """The application's own credentials in Secrets Manager, one secret each, generated once or from config."""

    arns: dict[str, pulumi.Output[str]]
    """Secret name -> the secret's ARN (what task definitions and IAM grants name)."""
    secrets: dict[str, aws.secretsmanager.Secret]
    """Secret name -> the Secrets Manager secret (escape hatch: rotation, resource policies)."""
    versions: dict[str, aws.secretsmanager.SecretVersion]
    """Secret name -> its current version (the one holding the value; `current_value` reads it back)."""

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("secrets", name, args.tags, opts)
        if not 7 <= args.recovery_window_days <= 30:
            raise ValueError("Secrets Manager keeps a deleted secret recoverable for 7 to 30 days")
        self.arns = {}
        self.secrets = {}
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
            self.secrets[secret_name] = secret
        self.register_declared_outputs()

    def current_value(self, secret_name: str) -> pulumi.Output[str]:
        """The stored value (for a generated secret, the first one ever generated), read back as a secret."""
        version = self.versions[secret_name]
        return pulumi.Output.secret(
            aws.secretsmanager.get_secret_version_output(
                secret_id=version.secret_id,
                opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[version]),
            ).secret_string
        )
