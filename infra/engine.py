"""Which engine runs the program: the Pulumi CLI (real AWS) or the offline engine (mocks, offline/)."""

from __future__ import annotations

from pulumi.runtime import settings

# The offline engine's resource monitor (offline/monitor.py, RecordingMonitor) carries this attribute, set to True.
# The CLI's monitor is a gRPC stub the program cannot be handed from outside the process, so no environment
# variable or config value can make a real deployment look offline.
OFFLINE_MARKER = "app_platform_offline_engine"


def offline_engine() -> bool:
    """True only while the offline engine renders the program; under `pulumi preview/up` always False."""
    return getattr(settings.get_monitor(), OFFLINE_MARKER, False) is True
