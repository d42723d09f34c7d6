"""Recurring-run triggers: cron expressions (KFP's six fields with seconds first, or the classic five) in a
time zone, and fixed intervals, with an optional start and end.

KFP's rule for the next firing is kept: from the last slot fired (or else the start time, or else the
creation time), the next slot strictly after it; nothing after the end time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterNotAlphaError, croniter

from sluice.server._errors import invalid_argument

__all__ = ["Schedule", "parse_cron", "schedule_from_store", "schedule_from_trigger"]

_MAX_INTERVAL_SECONDS = 100 * 365 * 24 * 3600


@dataclass(frozen=True)
class Schedule:
    """When a recurring run fires: ``cron`` (normalised) in ``time_zone``, or every ``interval_seconds``."""

    cron: str | None = None
    seconds_first: bool = False
    time_zone: str = "UTC"
    interval_seconds: int | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None

    def next_after(self, moment: datetime) -> datetime | None:
        """The first slot strictly after ``moment`` (UTC), or None past the end time."""
        if self.interval_seconds is not None:
            candidate = moment + timedelta(seconds=self.interval_seconds)
        else:
            assert self.cron is not None
            zone = ZoneInfo(self.time_zone)
            try:
                iterator = croniter(
                    self.cron, moment.astimezone(zone), second_at_beginning=self.seconds_first
                )
                candidate = iterator.get_next(datetime).astimezone(UTC)
            except (CroniterBadDateError, ValueError, OverflowError):
                return None
        if self.end_at is not None and candidate > self.end_at:
            return None
        return candidate

    def first_after(self, created_at: datetime) -> datetime | None:
        base = max(created_at, self.start_at) if self.start_at is not None else created_at
        return self.next_after(base)

    def to_trigger(self) -> dict[str, object]:
        """The store's form (``RecurringRun.trigger``)."""
        if self.interval_seconds is not None:
            return {"interval_seconds": self.interval_seconds}
        return {
            "cron": {
                "expression": self.cron,
                "time_zone": self.time_zone,
                "seconds_first": self.seconds_first,
            }
        }


def parse_cron(expression: str, time_zone: str | None) -> tuple[str, bool, str]:
    """``(expression, seconds_first, time_zone)`` checked; 400 naming what is wrong."""
    zone_name = time_zone or "UTC"
    try:
        ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid_argument(
            f"trigger.cron_schedule.time_zone {zone_name!r} is not an IANA time zone"
        ) from None
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise invalid_argument(
            f"trigger.cron_schedule.cron {expression!r}: expected 6 fields (seconds first, as KFP) or 5"
        )
    # KFP (robfig/cron) writes "no specific value" as '?'; croniter spells it '*'.
    normalised = " ".join("*" if field == "?" else field for field in fields)
    seconds_first = len(fields) == 6
    try:
        croniter(normalised, datetime.now(UTC), second_at_beginning=seconds_first).get_next(datetime)
    except (CroniterBadCronError, CroniterBadDateError, CroniterNotAlphaError, ValueError, KeyError) as error:
        raise invalid_argument(
            f"trigger.cron_schedule.cron {expression!r} is not a valid cron expression: {error}"
        ) from None
    return normalised, seconds_first, zone_name


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def schedule_from_trigger(
    *,
    cron: str | None,
    time_zone: str | None,
    interval_seconds: int | None,
    start_at: datetime | None,
    end_at: datetime | None,
) -> Schedule:
    """A trigger from the API's fields; exactly one of ``cron`` and ``interval_seconds``."""
    start, end = _aware(start_at), _aware(end_at)
    if start is not None and end is not None and end <= start:
        raise invalid_argument("trigger: end_time must be after start_time")
    if cron:
        expression, seconds_first, zone = parse_cron(cron, time_zone)
        return Schedule(
            cron=expression, seconds_first=seconds_first, time_zone=zone, start_at=start, end_at=end
        )
    if interval_seconds is None:
        raise invalid_argument(
            "trigger: give a cron_schedule with cron, or a periodic_schedule with interval_second"
        )
    if not 0 < interval_seconds <= _MAX_INTERVAL_SECONDS:
        raise invalid_argument(
            f"trigger.periodic_schedule.interval_second must be positive, got {interval_seconds}"
        )
    return Schedule(interval_seconds=interval_seconds, start_at=start, end_at=end)


def schedule_from_store(
    trigger: dict[str, object], start_at: datetime | None, end_at: datetime | None
) -> Schedule:
    """The schedule a stored recurring run was created with."""
    cron = trigger.get("cron")
    if isinstance(cron, dict):
        return Schedule(
            cron=str(cron.get("expression")),
            seconds_first=bool(cron.get("seconds_first", len(str(cron.get("expression")).split()) == 6)),
            time_zone=str(cron.get("time_zone") or "UTC"),
            start_at=start_at,
            end_at=end_at,
        )
    interval = trigger.get("interval_seconds")
    return Schedule(
        interval_seconds=int(interval) if isinstance(interval, int | str) else 3600,
        start_at=start_at,
        end_at=end_at,
    )
