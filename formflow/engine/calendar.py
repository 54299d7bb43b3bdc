"""Time arithmetic for workflow timeouts: durations, public holidays and business days.

A timeout such as ``after: 10 business days`` or ``at: answers.date_reservation`` with
``offset: -1 day`` needs a calendar: which days are public holidays in the site's
``country``, and how each unit of a `Duration` moves a timezone-aware datetime.

- ``minutes`` and ``hours`` are elapsed time: ``2 hours`` is always 7,200 seconds later,
  even across a daylight-saving change.
- ``days`` and ``weeks`` are calendar days in the start's own timezone: the wall-clock
  time is kept, so ``1 day`` after 09:00 is 09:00 the next day even when that day is 23
  or 25 hours long.
- ``months`` and ``years`` are calendar months, the day clamped to the month's end.
- ``business_days`` count Mondays to Fridays that are not public holidays.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> friday = datetime(2025, 7, 11, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
>>> add_duration(friday, "1 business day")  # Monday 14 July is Bastille Day
datetime.datetime(2025, 7, 15, 9, 0, tzinfo=zoneinfo.ZoneInfo(key='Europe/Paris'))

The holiday lists are the current law of each country applied to every year; only
Luxembourg's Europe Day, a holiday since 2019, depends on the year.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import assert_never

from formflow.definitions.common import ParsedDuration, parse_duration

__all__ = [
    "SUPPORTED_COUNTRIES",
    "add_duration",
    "business_days_between",
    "easter_sunday",
    "is_business_day",
    "public_holidays",
]


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday of ``year``.

    Uses the anonymous Gregorian algorithm (Meeus/Jones/Butcher); before 1583 it gives
    the proleptic Gregorian date, which no church used.

    >>> easter_sunday(2025)
    datetime.date(2025, 4, 20)
    """
    if not 1 <= year <= 9999:
        raise ValueError(f"year out of range: {year}")
    golden = year % 19  # position in the 19-year Metonic cycle of the moon
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    # Correction for the Gregorian lunar equation (the moon drifts 8 days in 2,500 years).
    moon_correction = (century + 8) // 25
    lunar_shift = (century - moon_correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - lunar_shift + 15) % 30
    leap_years, year_rest = divmod(year_of_century, 4)
    weekday_shift = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    # Pushes the paschal full moon back a week in the rare years it would fall too late.
    late_moon = (golden + 11 * epact + 22 * weekday_shift) // 451
    month, day = divmod(epact + weekday_shift - 7 * late_moon + 114, 31)
    return date(year, month, day + 1)


def _france(year: int, easter: date) -> set[date]:
    return {
        date(year, 1, 1),
        easter + timedelta(days=1),  # lundi de Pâques
        date(year, 5, 1),
        date(year, 5, 8),
        easter + timedelta(days=39),  # Ascension
        # Lundi de Pentecôte: employers may make it the "journée de solidarité" (a worked
        # day since 2004), but it stays a public holiday in law (Code du travail L3133-1),
        # and public services are closed on it in most places.
        easter + timedelta(days=50),
        date(year, 7, 14),
        date(year, 8, 15),
        date(year, 11, 1),
        date(year, 11, 11),
        date(year, 12, 25),
    }


def _alsace_moselle(year: int, easter: date) -> set[date]:
    # Local law of Moselle, Bas-Rhin and Haut-Rhin (Code du travail L3134-13) adds Good
    # Friday and St Stephen's Day; Good Friday is in law tied to communes with a
    # Protestant church, but every administration of the three departments observes it.
    return _france(year, easter) | {easter - timedelta(days=2), date(year, 12, 26)}


def _belgium(year: int, easter: date) -> set[date]:
    return {
        date(year, 1, 1),
        easter + timedelta(days=1),
        date(year, 5, 1),
        easter + timedelta(days=39),
        easter + timedelta(days=50),
        date(year, 7, 21),
        date(year, 8, 15),
        date(year, 11, 1),
        date(year, 11, 11),
        date(year, 12, 25),
    }


def _luxembourg(year: int, easter: date) -> set[date]:
    days = {
        date(year, 1, 1),
        easter + timedelta(days=1),
        date(year, 5, 1),
        easter + timedelta(days=39),
        easter + timedelta(days=50),
        date(year, 6, 23),
        date(year, 8, 15),
        date(year, 11, 1),
        date(year, 12, 25),
        date(year, 12, 26),
    }
    if year >= 2019:  # Europe Day became a public holiday by the law of 26 March 2019.
        days.add(date(year, 5, 9))
    return days


_RULES: dict[str, Callable[[int, date], set[date]]] = {
    "FR": _france,
    "FR-57": _alsace_moselle,
    "FR-67": _alsace_moselle,
    "FR-68": _alsace_moselle,
    "BE": _belgium,
    "LU": _luxembourg,
}

#: Country codes `public_holidays` knows: ISO 3166-1, or ISO 3166-2 for a region with
#: its own holidays (``FR-57`` Moselle, ``FR-67`` Bas-Rhin, ``FR-68`` Haut-Rhin).
SUPPORTED_COUNTRIES: tuple[str, ...] = tuple(sorted(_RULES))


def _country(country: str) -> str:
    code = country.strip().upper()
    if code not in _RULES:
        raise ValueError(
            f"no public holidays known for country {country!r}; "
            f"supported: {', '.join(SUPPORTED_COUNTRIES)}"
        )
    return code


@lru_cache(maxsize=512)
def _holidays(code: str, year: int) -> frozenset[date]:
    # Cached because business-day arithmetic asks for the same year once per day it steps.
    return frozenset(_RULES[code](year, easter_sunday(year)))


def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` (see `SUPPORTED_COUNTRIES`) in ``year``.

    >>> sorted(public_holidays("BE", 2025))[:3]
    [datetime.date(2025, 1, 1), datetime.date(2025, 4, 21), datetime.date(2025, 5, 1)]
    """
    return _holidays(_country(country), year)


def is_business_day(day: date, country: str) -> bool:
    """Whether ``day`` is a Monday to Friday and not a public holiday of ``country``.

    >>> is_business_day(date(2025, 7, 14), "FR"), is_business_day(date(2025, 7, 14), "BE")
    (False, True)
    """
    if isinstance(day, datetime):
        # A datetime never equals a date, so it would never be found among the holidays.
        day = day.date()
    return _is_business(day, _country(country))


def _is_business(day: date, code: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(code, day.year)


def _weekdays_up_to(day: date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday) to ``day`` included."""
    weeks, rest = divmod(day.toordinal(), 7)
    return 5 * weeks + min(rest, 5)


def business_days_between(start: date, end: date, country: str) -> int:
    """The number of business days in ``(start, end]``; negative when ``end < start``.

    The start day itself does not count, so a case received on a Friday and answered on
    the next Monday took one business day.

    >>> business_days_between(date(2025, 7, 11), date(2025, 7, 15), "FR")
    1
    """
    code = _country(country)
    if isinstance(start, datetime):
        start = start.date()
    if isinstance(end, datetime):
        end = end.date()
    if end < start:
        return -business_days_between(end, start, code)
    # Count weekdays arithmetically, then take off the holidays that fall on one, so a
    # report over years costs a few set lookups rather than a walk over every day.
    count = _weekdays_up_to(end) - _weekdays_up_to(start)
    for year in range(start.year, end.year + 1):
        count -= sum(1 for h in _holidays(code, year) if start < h <= end and h.weekday() < 5)
    return count


def _relocalise(local: datetime, like: datetime) -> datetime:
    """``local`` (naive wall-clock time) in the timezone of ``like``.

    A wall-clock time skipped by a spring-forward change (02:30 on the last Sunday of
    March in Paris) comes out moved forward by the gap (03:30); a time repeated in the
    autumn takes its first occurrence.
    """
    aware = local.replace(tzinfo=like.tzinfo, fold=0)
    # Going through UTC turns a non-existent wall-clock time into a real instant.
    return aware.astimezone(UTC).astimezone(like.tzinfo)


def _add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError(f"date out of range: {months:+d} months from {start.isoformat()}")
    return start.replace(
        year=year, month=month + 1, day=min(start.day, _month_length(year, month + 1))
    )


def _month_length(year: int, month: int) -> int:
    # Computed here rather than with the stdlib's calendar.monthrange, which this module's
    # name shadows whenever formflow/engine itself is on sys.path (python -m doctest).
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - timedelta(days=1)).day


def _add_business_days(day: date, amount: int, code: str) -> date:
    step = 1 if amount > 0 else -1
    # A start on a non-business day counts from the next business day (the previous one
    # when going backwards): a request filed on Saturday is handled as filed on Monday.
    while not _is_business(day, code):
        day += timedelta(days=step)
    remaining = abs(amount)
    while remaining:
        day += timedelta(days=step)
        if _is_business(day, code):
            remaining -= 1
    return day


def add_duration(start: datetime, duration: str | ParsedDuration, country: str = "FR") -> datetime:
    """``start`` moved by ``duration`` (e.g. ``"10 business days"``, ``"-1 day"``).

    ``start`` must be timezone-aware; the result has the same ``tzinfo``. Calendar units
    are counted in that timezone, so give a `zoneinfo.ZoneInfo` (the site's
    ``timezone``) rather than a fixed offset for wall-clock times to survive
    daylight-saving changes. ``country`` gives the public holidays for
    ``business_days`` (see `SUPPORTED_COUNTRIES`).

    ``N business days`` lands on the N-th business day after the start, at the same
    wall-clock time; a start on a week-end or holiday counts from the next business
    day, and a negative N counts backwards (from the previous business day).
    ``0 business days`` returns ``start`` unchanged.

    Raises ValueError for a naive ``start``, an invalid duration or an unknown country,
    and OverflowError when the result is outside the years 1-9999.

    >>> from zoneinfo import ZoneInfo
    >>> paris = ZoneInfo("Europe/Paris")
    >>> add_duration(datetime(2025, 1, 31, 10, 0, tzinfo=paris), "1 month").date()
    datetime.date(2025, 2, 28)
    >>> add_duration(datetime(2025, 3, 29, 12, 0, tzinfo=paris), "24 hours").hour
    13
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware, got {start.isoformat()}")
    parsed = parse_duration(duration) if isinstance(duration, str) else duration
    code = _country(country)
    amount = parsed.amount
    match parsed.unit:
        case "minutes" | "hours":
            # Elapsed time: arithmetic on an aware datetime would keep the wall clock.
            seconds = amount * (60 if parsed.unit == "minutes" else 3600)
            moved = start.astimezone(UTC) + timedelta(seconds=seconds)
            return moved.astimezone(start.tzinfo)
        case "days" | "weeks":
            days = amount * (7 if parsed.unit == "weeks" else 1)
            local = start.replace(tzinfo=None) + timedelta(days=days)
            return _relocalise(local, start)
        case "months" | "years":
            months = amount * (12 if parsed.unit == "years" else 1)
            return _relocalise(_add_months(start.replace(tzinfo=None), months), start)
        case "business_days":
            if amount == 0:
                return start
            local = start.replace(tzinfo=None)
            day = _add_business_days(local.date(), amount, code)
            return _relocalise(datetime.combine(day, local.time()), start)
        case unreachable:
            assert_never(unreachable)
