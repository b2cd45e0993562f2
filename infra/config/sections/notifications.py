"""Who hears about alarms."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from infra.config.sections.base import Section


class NotificationsConfig(Section):
    critical_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]] = Field(
        default=[], description="Email subscriptions of the critical (paging) topic."
    )
    warning_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]] = Field(
        default=[], description="Email subscriptions of the warning topic."
    )
    critical_https_endpoints: list[Annotated[str, Field(pattern=r"^https://")]] = Field(
        default=[], description="HTTPS subscriptions (a paging service) of the critical topic."
    )
