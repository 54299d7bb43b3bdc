"""Date and time field types: ``date``, ``time``, ``datetime``.

Dates are typed ``2026-01-31`` (what browsers send) or ``31/01/2026`` (what people
type without a date picker; ``.`` and ``-`` work too). Bounds are resolved against the
context's ``today``/``now``: ``min: today`` refuses the past, ``max: today - 18 years``
asks for an adult. Values are naive, in the site's local time.

Example::

    >>> parse_date_text("31/01/2026")
    datetime.date(2026, 1, 31)
    >>> parse_time_text("14h30")
    datetime.time(14, 30)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from formflow.definitions.forms import DateField, DatetimeField, TimeField, parse_date_bound
from formflow.engine.errors import Reject
from formflow.engine.fields.base import FieldContext, FieldType, RawValue, clean_token

__all__ = [
    "DateType",
    "DatetimeType",
    "TimeType",
    "parse_date_text",
    "parse_datetime_text",
    "parse_time_text",
    "resolve_bound",
]

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FR_DATE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")
_TIME = re.compile(r"([0-9]{1,2})(?:[:hH]([0-9]{2})?)(?::([0-9]{2}))?")
_DATETIME = re.compile(r"(\S+)(?:\s+|T)(\S+)")


def parse_date_text(text: str) -> dt.date | None:
    """A date typed as ``2026-01-31`` or ``31/01/2026``; None if it is not one.

    >>> parse_date_text("31/02/2026") is None
    True
    """
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := _FR_DATE.fullmatch(text):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
    else:
        return None
    if year < 1000:  # "0202" is a typo, not a date of the Merovingian era
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_time_text(text: str) -> dt.time | None:
    """A time typed as ``14:30``, ``14:30:00``, ``14h30`` or ``14h``; None otherwise."""
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.time(int(match[1]), int(match[2] or 0), int(match[3] or 0))
    except ValueError:
        return None


def parse_datetime_text(text: str) -> dt.datetime | None:
    """``2026-01-31T14:30`` or ``31/01/2026 14:30``; None otherwise."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    date, time = parse_date_text(match[1]), parse_time_text(match[2])
    if date is None or time is None:
        return None
    return dt.datetime.combine(date, time)


def resolve_bound(bound: str, ctx: FieldContext) -> dt.date | None:
    """A `DateBound` as a date for this request; None if it cannot be read."""
    try:
        return parse_date_bound(bound, ctx.form.today)
    except ValueError:
        return None


class DateType(FieldType[DateField, dt.date]):
    """``date`` with optional ``min``/``max`` bounds (``today``, ``today - 18 years`` …)."""

    kind: ClassVar[str] = "date"

    def parse(self, field: DateField, raw: RawValue, ctx: FieldContext) -> dt.date | None:
        text = clean_token(raw, 40, "invalid_date")
        if text is None:
            return None
        value = parse_date_text(text)
        if value is None:
            raise Reject("invalid_date")
        low = resolve_bound(field.min, ctx) if field.min else None
        high = resolve_bound(field.max, ctx) if field.max else None
        if low is not None and value < low:
            raise Reject("date_too_early", min=low)
        if high is not None and value > high:
            raise Reject("date_too_late", max=high)
        return value

    def to_json(self, field: DateField, value: dt.date) -> str:
        return value.isoformat()

    def from_json(self, field: DateField, data: Any) -> dt.date:
        if not isinstance(data, str) or not _ISO_DATE.fullmatch(data):
            raise ValueError("expected an ISO date")
        return dt.date.fromisoformat(data)

    def describe(self, field: DateField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        for key in ("min", "max"):
            bound = getattr(field, key)
            resolved = resolve_bound(bound, ctx) if bound else None
            described[key] = resolved.isoformat() if resolved else None
        if field.autocomplete is not None:
            described["autocomplete"] = field.autocomplete
        return described

    def display(self, field: DateField, value: dt.date, ctx: FieldContext) -> str:
        return value.strftime("%d/%m/%Y")


class TimeType(FieldType[TimeField, dt.time]):
    """``time`` of day; ``min``/``max`` as ``HH:MM``; ``step_minutes`` counted from ``min``."""

    kind: ClassVar[str] = "time"

    def parse(self, field: TimeField, raw: RawValue, ctx: FieldContext) -> dt.time | None:
        text = clean_token(raw, 20, "invalid_time")
        if text is None:
            return None
        value = parse_time_text(text)
        if value is None:
            raise Reject("invalid_time")
        low = dt.time.fromisoformat(field.min) if field.min else None
        high = dt.time.fromisoformat(field.max) if field.max else None
        if low is not None and value < low:
            raise Reject("time_too_early", min=low)
        if high is not None and value > high:
            raise Reject("time_too_late", max=high)
        if field.step_minutes > 1:
            base = low.hour * 60 + low.minute if low else 0
            if value.second or (value.hour * 60 + value.minute - base) % field.step_minutes:
                raise Reject("time_step", step=field.step_minutes)
        return value

    def to_json(self, field: TimeField, value: dt.time) -> str:
        return value.isoformat()

    def from_json(self, field: TimeField, data: Any) -> dt.time:
        if not isinstance(data, str) or len(data) > 8:
            raise ValueError("expected an ISO time")
        return dt.time.fromisoformat(data)

    def describe(self, field: TimeField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        described.update(min=field.min, max=field.max, step_minutes=field.step_minutes)
        return described

    def display(self, field: TimeField, value: dt.time, ctx: FieldContext) -> str:
        return value.strftime("%H:%M" if not value.second else "%H:%M:%S")


class DatetimeType(FieldType[DatetimeField, dt.datetime]):
    """``datetime``: one input (``2026-01-31T14:30``) or two (``rdv.date``, ``rdv.time``).

    Bounds: ``today`` means the whole day (from midnight for ``min``, to the last
    second for ``max``); ``now`` means this very minute.
    """

    kind: ClassVar[str] = "datetime-local"

    def parse(self, field: DatetimeField, raw: RawValue, ctx: FieldContext) -> dt.datetime | None:
        if isinstance(raw, Mapping):
            date_text = clean_token(raw.get("date"), 40, "invalid_datetime")
            time_text = clean_token(raw.get("time"), 20, "invalid_datetime")
            if date_text is None and time_text is None:
                return None
            date = parse_date_text(date_text) if date_text else None
            time = parse_time_text(time_text) if time_text else None
            if date is None:
                raise Reject("invalid_datetime", sub="date")
            if time is None:
                raise Reject("invalid_datetime", sub="time")
            value = dt.datetime.combine(date, time)
        else:
            text = clean_token(raw, 60, "invalid_datetime")
            if text is None:
                return None
            parsed = parse_datetime_text(text)
            if parsed is None:
                raise Reject("invalid_datetime")
            value = parsed
        low = self.bound(field.min, ctx, end_of_day=False) if field.min else None
        high = self.bound(field.max, ctx, end_of_day=True) if field.max else None
        if low is not None and value < low:
            raise Reject("datetime_too_early", min=low)
        if high is not None and value > high:
            raise Reject("datetime_too_late", max=high)
        return value

    def bound(self, bound: str, ctx: FieldContext, *, end_of_day: bool) -> dt.datetime | None:
        """A `DateBound` as a datetime for this request; None if it cannot be read."""
        now = ctx.form.now
        if bound.strip().startswith("now"):
            try:
                date = parse_date_bound(bound.replace("now", "today", 1), now.date())
            except ValueError:
                return None
            return dt.datetime.combine(date, now.time())
        day = resolve_bound(bound, ctx)
        if day is None:
            return None
        return dt.datetime.combine(day, dt.time(23, 59, 59) if end_of_day else dt.time())

    def to_json(self, field: DatetimeField, value: dt.datetime) -> str:
        return value.isoformat()

    def from_json(self, field: DatetimeField, data: Any) -> dt.datetime:
        if not isinstance(data, str) or len(data) > 32:
            raise ValueError("expected an ISO date and time")
        value = dt.datetime.fromisoformat(data)
        if value.tzinfo is not None:
            raise ValueError("expected a local date and time")
        return value

    def describe(self, field: DatetimeField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        low = self.bound(field.min, ctx, end_of_day=False) if field.min else None
        high = self.bound(field.max, ctx, end_of_day=True) if field.max else None
        described["min"] = low.isoformat(timespec="minutes") if low else None
        described["max"] = high.isoformat(timespec="minutes") if high else None
        return described

    def display(self, field: DatetimeField, value: dt.datetime, ctx: FieldContext) -> str:
        return value.strftime("%d/%m/%Y %H:%M")
