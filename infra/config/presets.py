"""Environment presets: the one place where staging and production differ by default.

A stack file sets only what is specific to it; everything else comes from here. Keys are the config
keys (camelCase), so a preset reads like a stack file.
"""

from __future__ import annotations

from typing import Any

SERVICE_DEFAULTS: dict[str, dict[str, Any]] = {
    "staging": {
        "cpu": 256,
        "memory": 512,
        "desiredCount": 1,
        "minCount": 1,
        "maxCount": 3,
        # Spot for half of what runs above the base; fast, cheap deploys; shell access for debugging.
        "spotWeight": 1,
        "deployment": {"minimumHealthyPercent": 50, "maximumPercent": 200},
        "execEnabled": True,
        # Releases roll: one environment that deploys in minutes and costs no second task set.
        "release": {"strategy": "rolling"},
    },
    "production": {
        "cpu": 512,
        "memory": 1024,
        "desiredCount": 2,
        "minCount": 2,
        "maxCount": 10,
        # On-demand only; never below full capacity during a deploy; no shell access by default.
        "spotWeight": 0,
        "deployment": {"minimumHealthyPercent": 100, "maximumPercent": 200},
        "execEnabled": False,
        # Web services release blue/green: the new revision is smoke-tested on the test listener before any
        # customer sees it, and the old one keeps running 15 minutes after the switch, so a rollback within the
        # bake time is a listener-weight flip, not a redeploy. Workers always roll (loader: service_defaults).
        "release": {"strategy": "blue_green", "bakeMinutes": 15},
    },
}

PRESETS: dict[str, dict[str, Any]] = {
    "staging": {
        # Application logs 30 days; security and audit logs 90 (staging holds no customer data; the pack's
        # logs-retention is advisory there, cost-driven like the other staging relaxations).
        "logRetentionDays": 30,
        "securityLogRetentionDays": 90,
        "network": {
            "cidr": "10.20.0.0/16",
            "azCount": 2,
            "natGateways": "single",
            "interfaceEndpoints": False,
        },
        "tls": {"https": True},
        "loadBalancer": {"deletionProtection": False, "accessLogDays": 30},
        "edge": {"priceClass": "PriceClass_100", "originShield": False, "wafEnabled": True},
        "database": {
            "engineVersion": "16",
            "instanceClass": "db.t4g.small",
            "allocatedStorage": 20,
            "maxAllocatedStorage": 100,
            "multiAz": False,
            "backupRetentionDays": 7,
            # Daily backups 03:00-03:30 and maintenance Sunday 04:00-05:00 never meet (the old runbook's
            # Sunday 02:00-04:00 maintenance collided with 03:00 backups).
            "backupWindow": "03:00-03:30",
            "maintenanceWindow": "sun:04:00-sun:05:00",
            "deletionProtection": False,
            "performanceInsightsRetentionDays": 7,
            "applyImmediately": True,
            # No backup copies outside the region (staging data can be rebuilt), but the instance is in an
            # AWS Backup plan like every database (policy C072), with short retention.
            "disasterRecovery": {
                "crossRegionBackups": False,
                "awsBackup": True,
                "dailyRetentionDays": 7,
                "weeklyRetentionDays": 28,
            },
        },
        "notifications": {},
        # Little traffic: a smaller blocked-request spike stands out; the uptime check calls every 30 s.
        "observability": {"wafBlockedPer5Minutes": 200, "healthCheckIntervalSeconds": 30},
        "services": {},
    },
    "production": {
        # Application logs: the runbook's 90 days, the exception named in policies/config/production.json.
        # Security and audit logs (LogClass=security): 365 days, CloudWatch.16.
        "logRetentionDays": 90,
        "securityLogRetentionDays": 365,
        "network": {"cidr": "10.30.0.0/16", "azCount": 3, "natGateways": "perAz", "interfaceEndpoints": True},
        "tls": {"https": True},
        "loadBalancer": {"deletionProtection": True, "accessLogDays": 90},
        "edge": {"priceClass": "PriceClass_All", "originShield": True, "wafEnabled": True},
        "database": {
            "engineVersion": "16",
            "instanceClass": "db.m7g.large",
            "allocatedStorage": 100,
            "maxAllocatedStorage": 1000,
            "multiAz": True,
            "backupRetentionDays": 30,
            "backupWindow": "03:00-03:30",
            "maintenanceWindow": "sun:04:00-sun:05:00",
            "deletionProtection": True,
            "performanceInsightsRetentionDays": 31,
            # Instance changes wait for the maintenance window unless a stack says otherwise.
            "applyImmediately": False,
            # Disaster recovery: replicated PITR backups plus AWS Backup daily/weekly copies in `region`.
            "disasterRecovery": {"crossRegionBackups": True, "replicatedRetentionDays": 30, "awsBackup": True},
        },
        "notifications": {},
        # Blocked requests are judged against real traffic; the uptime check calls every 10 s (fast detection).
        "observability": {"wafBlockedPer5Minutes": 1000, "healthCheckIntervalSeconds": 10},
        "services": {},
    },
}

# Production floors: a stack may raise these, never lower them.
PRODUCTION_MINIMUMS = {
    "network.azCount": 2,
    "database.backupRetentionDays": 30,
    "services.*.minCount": 2,
    "services.*.desiredCount": 2,
    "services.*.maxCount": 10,
}
