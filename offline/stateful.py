"""Which resources hold data, and which of their inputs force AWS to replace them.

Replacing one of these loses data (a database, its key, a bucket, a secret, logs), so the plan diff flags
it at the top. The property lists mirror the provider schema's replace-on-change (Terraform ForceNew)
inputs, in Pulumi's camelCase spelling.
"""

from __future__ import annotations

REPLACEMENT_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:rds/instance:Instance": (
        "identifier", "identifierPrefix", "availabilityZone", "characterSetName", "customIamInstanceProfile",
        "dbName", "kmsKeyId", "ncharCharacterSetName", "restoreToPointInTime", "s3Import",
        "snapshotIdentifier", "storageEncrypted", "timezone", "username", "engine",
    ),
    "aws:kms/key:Key": ("customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId", "customKeyStoreId"),
    "aws:kms/alias:Alias": ("name", "namePrefix"),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix", "logGroupClass"),
    "aws:backup/vault:Vault": ("name", "kmsKeyArn"),
    "aws:ecr/repository:Repository": ("name", "encryptionConfigurations"),
    "aws:rds/parameterGroup:ParameterGroup": ("name", "namePrefix", "family", "description"),
    "aws:rds/subnetGroup:SubnetGroup": ("name", "namePrefix"),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": (
        "sourceDbInstanceArn", "kmsKeyId", "preSignedUrl", "retentionPeriod",
    ),
}  # fmt: skip

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
    return REPLACEMENT_INPUTS.get(type_, ())
