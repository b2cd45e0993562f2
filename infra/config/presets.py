"""Environment presets: the one place where staging and production differ by default.

A stack file sets only what is specific to it; everything else comes from here. Keys are the config
keys (camelCase), so a preset reads like a stack file.
"""

from __future__ import annotations

from typing import Any

SERVICE_DEFAULTS: dict[str, dict[str, Any]] = {
    "staging": {"cpu": 256, "memory": 512, "desiredCount": 1, "minCount": 1, "maxCount": 3},
    "production": {"cpu": 512, "memory": 1024, "desiredCount": 2, "minCount": 2, "maxCount": 10},
}

PRESETS: dict[str, dict[str, Any]] = {
    "staging": {
        "logRetentionDays": 30,
        "network": {
            "cidr": "10.20.0.0/16",
            "azCount": 2,
            "natGateways": "single",
            "interfaceEndpoints": False,
        },
        "tls": {"https": True},
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
        },
        "notifications": {},
        "services": {},
    },
    "production": {
        "logRetentionDays": 90,
        "network": {"cidr": "10.30.0.0/16", "azCount": 3, "natGateways": "perAz", "interfaceEndpoints": True},
        "tls": {"https": True},
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
        },
        "notifications": {},
        "services": {},
    },
}

# Production floors: a stack may raise these, never lower them.
PRODUCTION_MINIMUMS = {
    "network.azCount": 2,
    "database.backupRetentionDays": 30,
    "services.*.minCount": 2,
    "services.*.desiredCount": 2,
}
