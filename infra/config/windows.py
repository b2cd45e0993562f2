"""RDS backup and maintenance windows: parsing and overlap on the weekly clock (UTC)."""

from __future__ import annotations

import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = 7 * 24 * 60
_DAILY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)

Interval = tuple[int, int]  # minutes since Monday 00:00, end exclusive, end may exceed WEEK


def parse_daily(window: str) -> tuple[int, int]:
    """'hh24:mi-hh24:mi' -> (start, duration) in minutes. AWS wants at least 30 minutes."""
    match = _DAILY.match(window)
    if not match:
        raise ValueError("expected hh24:mi-hh24:mi in UTC, e.g. 05:00-05:30")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    duration = (end - start) % (24 * 60)
    if duration < 30:
        raise ValueError("the backup window must last at least 30 minutes")
    return start, duration


def parse_weekly(window: str) -> tuple[int, int]:
    """'ddd:hh24:mi-ddd:hh24:mi' -> (start, duration) in minutes since Monday 00:00."""
    match = _WEEKLY.match(window.lower())
    if not match:
        raise ValueError("expected ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. sun:06:00-sun:07:00")
    d1, h1, m1, d2, h2, m2 = match.groups()
    start = DAYS.index(d1) * 1440 + int(h1) * 60 + int(m1)
    end = DAYS.index(d2) * 1440 + int(h2) * 60 + int(m2)
    duration = (end - start) % WEEK
    if duration < 30:
        raise ValueError("the maintenance window must last at least 30 minutes")
    if duration > 24 * 60:
        raise ValueError("the maintenance window must not exceed 24 hours")
    return start, duration


def overlap_day(backup: str, maintenance: str) -> str | None:
    """The weekday on which the daily backup window meets the weekly maintenance window, if any."""
    b_start, b_len = parse_daily(backup)
    m_start, m_len = parse_weekly(maintenance)
    for day in range(7):
        start = day * 1440 + b_start
        for shift in (-WEEK, 0, WEEK):
            if start < m_start + shift + m_len and m_start + shift < start + b_len:
                return DAYS[day]
    return None
