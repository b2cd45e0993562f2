"""What every tier of one stack shares: its config, tags, providers and AWS context."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components import aws
from components.base import AwsContext
from components.logs import LogSettings
from infra.config import StackConfig
from infra.tags import base_tags


@dataclass
class StackContext:
    config: StackConfig
    tags: dict[str, str]
    provider: aws.Provider
    context: AwsContext
    _regional: dict[str, aws.Provider] = field(default_factory=dict)

    @classmethod
    def create(cls, config: StackConfig) -> StackContext:
        tags = base_tags(config)
        # Explicit provider: its default_tags cover anything a component might miss, and every resource's
        # region is the stack's, whatever the shell's AWS_REGION says.
        provider = aws.Provider("aws", region=config.region, default_tags={"tags": tags})
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
        context = AwsContext(account_id=identity.account_id, region=config.region)
        return cls(config=config, tags=tags, provider=provider, context=context, _regional={config.region: provider})

    @property
    def env(self) -> str:
        return self.config.environment

    @property
    def is_production(self) -> bool:
        return self.config.is_production

    def opts(self, region: str | None = None, **kwargs: object) -> pulumi.ResourceOptions:
        """Options that put a component in the stack's region, or in `region` (us-east-1 for the edge, the
        DR region for backup copies)."""
        return pulumi.ResourceOptions(providers=[self.provider_for(region)], **kwargs)  # type: ignore[arg-type]

    def provider_for(self, region: str | None) -> aws.Provider:
        region = region or self.config.region
        if region not in self._regional:
            self._regional[region] = aws.Provider(f"aws-{region}", region=region, default_tags={"tags": self.tags})
        return self._regional[region]

    def log_settings(self, kms_key_arn: pulumi.Input[str]) -> LogSettings:
        """Every log group of the stack: this key, the stack's retention per log class, protected in production."""
        config = self.config
        return LogSettings(
            kms_key_arn, config.log_retention_days, config.security_log_retention_days, protect=self.is_production
        )

    def context_for(self, region: str | None) -> AwsContext:
        return AwsContext(account_id=self.context.account_id, region=region or self.config.region)
