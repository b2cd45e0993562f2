"""pulumi-aws, imported service by service.

mypy follows every one of pulumi-aws's ~200 service packages from its top-level module, which costs over a
minute per cold type check; importing the services we use from here keeps their full types and skips the
rest (see [tool.mypy] in pyproject.toml). At run time the services load lazily either way.
"""

from pulumi_aws import (
    acm,
    appautoscaling,
    backup,
    cloudfront,
    cloudwatch,
    ec2,
    ecr,
    ecs,
    elb,
    iam,
    kms,
    lambda_,
    lb,
    rds,
    route53,
    s3,
    secretsmanager,
    sns,
    ssm,
    vpc,
    wafv2,
)
from pulumi_aws.get_caller_identity import get_caller_identity_output
from pulumi_aws.provider import Provider

__all__ = [
    "Provider",
    "acm",
    "appautoscaling",
    "backup",
    "cloudfront",
    "cloudwatch",
    "ec2",
    "ecr",
    "ecs",
    "elb",
    "get_caller_identity_output",
    "iam",
    "kms",
    "lambda_",
    "lb",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "ssm",
    "vpc",
    "wafv2",
]
