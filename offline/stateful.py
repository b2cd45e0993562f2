"""Which resources hold data, and which of their inputs force AWS to replace them.

Replacing one of these loses data (a database, its key, a bucket, a secret, logs), so the plan diff flags
it at the top. The property lists mirror the provider schema's replace-on-change (Terraform ForceNew)
inputs, in Pulumi's camelCase spelling (terraform-provider-aws v6 schemas, which pulumi-aws 7 bridges).
"""

from __future__ import annotations

REPLACEMENT_INPUTS: dict[str, tuple[str, ...]] = {
    # identifier/identifierPrefix rename the instance in place since Terraform AWS v5: not listed.
    "aws:rds/instance:Instance": (
        "availabilityZone", "backupTarget", "characterSetName", "customIamInstanceProfile", "dbName", "engine",
        "kmsKeyId", "ncharCharacterSetName", "restoreToPointInTime", "s3Import", "snapshotIdentifier",
        "storageEncrypted", "timezone", "username",
    ),
    "aws:kms/key:Key": ("customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"),
    "aws:kms/alias:Alias": ("name", "namePrefix"),
    "aws:s3/bucket:Bucket": (
        "bucket", "bucketNamespace", "bucketPrefix", "objectLockEnabled", "objectLockConfiguration",
    ),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix", "type"),
    "aws:cloudwatch/logGroup:LogGroup": ("logGroupClass", "name", "namePrefix"),
    "aws:backup/vault:Vault": ("kmsKeyArn", "name"),
    "aws:ecr/repository:Repository": ("encryptionConfigurations", "name"),
    "aws:rds/parameterGroup:ParameterGroup": ("description", "family", "name", "namePrefix"),
    "aws:rds/subnetGroup:SubnetGroup": ("name", "namePrefix"),
    "aws:sns/topic:Topic": ("fifoTopic", "name", "namePrefix"),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": (
        "kmsKeyId", "preSignedUrl", "retentionPeriod", "sourceDbInstanceArn",
    ),
}  # fmt: skip
# Every type above also replaces when its `region` input moves to another region.
ALWAYS_REPLACING = ("region",)

STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        "aws:rds/instance:Instance",
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:secretsmanager/secret:Secret",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:backup/vault:Vault",
        "aws:ecr/repository:Repository",
    }
)


def replacement_keys(type_: str) -> tuple[str, ...]:
    if type_ not in REPLACEMENT_INPUTS:
        return ()
    return REPLACEMENT_INPUTS[type_] + ALWAYS_REPLACING
