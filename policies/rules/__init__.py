"""Every policy of the pack, grouped by AWS service; `POLICIES` is what `policies/__main__.py` packs."""

from __future__ import annotations

from pulumi_policy import Policy

from . import (
    acm,
    backup,
    cloudfront,
    cloudwatch,
    ec2,
    ecr,
    ecs,
    ecs_release,
    elb,
    iam,
    kms,
    lambdas,
    listener_exposure,
    logs,
    rds,
    s3,
    secrets,
    sns,
    waf,
)

PACK_NAME = "app-platform-aws"
PACK_DESCRIPTION = (
    "Security and reliability controls for the app-platform stacks on AWS, mapped to AWS Foundational Security "
    "Best Practices (FSBP), with cdk-nag, Checkov and awsguard ids as tags."
)
MODULES = (
    ec2,
    ecs,
    ecs_release,
    elb,
    listener_exposure,
    cloudfront,
    waf,
    rds,
    backup,
    secrets,
    kms,
    s3,
    logs,
    cloudwatch,
    sns,
    iam,
    lambdas,
    ecr,
    acm,
)
POLICIES: list[Policy] = [policy for module in MODULES for policy in module.POLICIES]

__all__ = ["PACK_DESCRIPTION", "PACK_NAME", "POLICIES"]
