"""Tests for the timeout calendar: Easter, public holidays, durations, business days.

Holiday lists are written out as literal dates from the official calendars (Easter
Sunday 2024-03-31, 2025-04-20, 2026-04-05), not derived from the module's rules. Easter
is checked against published dates and against Gauss's algorithm with its two
exceptions, a formulation different from the module's Meeus/Jones/Butcher one.
"""

from __future__ import annotations

import doctest
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formflow.definitions.common import ParsedDuration
from formflow.engine import calendar
from formflow.engine.calendar import (
    SUPPORTED_COUNTRIES,
    add_duration,
    business_days_between,
    easter_sunday,
    is_business_day,
    public_holidays,
)

PARIS = ZoneInfo("Europe/Paris")
BRUSSELS = ZoneInfo("Europe/Brussels")
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def test_doctests_pass() -> None:
    result = doctest.testmod(calendar)
    assert result.attempted >= 10
    assert result.failed == 0


# --- Easter -----------------------------------------------------------------------------

# Published Easter Sunday dates, including the extremes (22 March, 25 April) and the years
# where the paschal full moon correction applies (1954, 1981, 2049, 2076).
KNOWN_EASTERS = [
    date(1818, 3, 22),
    date(1943, 4, 25),
    date(1954, 4, 18),
    date(1961, 4, 2),
    date(1981, 4, 19),
    date(2000, 4, 23),
    date(2008, 3, 23),
    date(2011, 4, 24),
    date(2019, 4, 21),
    date(2024, 3, 31),
    date(2025, 4, 20),
    date(2026, 4, 5),
    date(2038, 4, 25),
    date(2049, 4, 18),
    date(2076, 4, 19),
    date(2285, 3, 22),
]


@pytest.mark.parametrize("expected", KNOWN_EASTERS, ids=lambda d: str(d.year))
def test_easter_sunday_matches_published_tables(expected: date) -> None:
    assert easter_sunday(expected.year) == expected


def gauss_easter(year: int) -> date:
    """Gauss's Easter algorithm with its two exceptions (reference for the tests)."""
    a, b, c = year % 19, year % 4, year % 7
    k = year // 100
    p = (13 + 8 * k) // 25
    q = k // 4
    m = (15 - p + k - q) % 30
    n = (4 + k - q) % 7
    d = (19 * a + m) % 30
    e = (2 * b + 4 * c + 6 * d + n) % 7
    if d == 29 and e == 6:
        return date(year, 4, 19)
    if d == 28 and e == 6 and (11 * m + 11) % 30 < 19:
        return date(year, 4, 18)
    return date(year, 3, 22) + timedelta(days=d + e)


def test_easter_sunday_agrees_with_gauss_over_the_gregorian_centuries() -> None:
    for year in range(1583, 4100):
        easter = easter_sunday(year)
        assert easter == gauss_easter(year), year
        assert easter.weekday() == 6
        assert date(year, 3, 22) <= easter <= date(year, 4, 25)


@pytest.mark.parametrize("year", [0, 10000, -5])
def test_easter_sunday_refuses_years_out_of_range(year: int) -> None:
    with pytest.raises(ValueError, match="year"):
        easter_sunday(year)


# --- Public holidays --------------------------------------------------------------------

FR_2024 = {
    date(2024, 1, 1),
    date(2024, 4, 1),  # lundi de Pâques
    date(2024, 5, 1),
    date(2024, 5, 8),
    date(2024, 5, 9),  # Ascension
    date(2024, 5, 20),  # lundi de Pentecôte
    date(2024, 7, 14),
    date(2024, 8, 15),
    date(2024, 11, 1),
    date(2024, 11, 11),
    date(2024, 12, 25),
}
FR_2025 = {
    date(2025, 1, 1),
    date(2025, 4, 21),
    date(2025, 5, 1),
    date(2025, 5, 8),
    date(2025, 5, 29),
    date(2025, 6, 9),
    date(2025, 7, 14),
    date(2025, 8, 15),
    date(2025, 11, 1),
    date(2025, 11, 11),
    date(2025, 12, 25),
}
FR_2026 = {
    date(2026, 1, 1),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 8),
    date(2026, 5, 14),
    date(2026, 5, 25),
    date(2026, 7, 14),
    date(2026, 8, 15),
    date(2026, 11, 1),
    date(2026, 11, 11),
    date(2026, 12, 25),
}
BE_2025 = {
    date(2025, 1, 1),
    date(2025, 4, 21),  # Paasmaandag / lundi de Pâques
    date(2025, 5, 1),
    date(2025, 5, 29),
    date(2025, 6, 9),
    date(2025, 7, 21),  # fête nationale
    date(2025, 8, 15),
    date(2025, 11, 1),
    date(2025, 11, 11),
    date(2025, 12, 25),
}
LU_2025 = {
    date(2025, 1, 1),
    date(2025, 4, 21),
    date(2025, 5, 1),
    date(2025, 5, 9),  # Europe Day
    date(2025, 5, 29),
    date(2025, 6, 9),
    date(2025, 6, 23),  # National Day
    date(2025, 8, 15),
    date(2025, 11, 1),
    date(2025, 12, 25),
    date(2025, 12, 26),
}


@pytest.mark.parametrize(
    ("country", "year", "expected"),
    [
        ("FR", 2024, FR_2024),
        ("FR", 2025, FR_2025),
        ("FR", 2026, FR_2026),
        ("BE", 2025, BE_2025),
        ("LU", 2025, LU_2025),
    ],
)
def test_official_holiday_lists(country: str, year: int, expected: set[date]) -> None:
    assert public_holidays(country, year) == expected


@pytest.mark.parametrize("country", ["FR-57", "FR-67", "FR-68"])
def test_alsace_moselle_adds_good_friday_and_st_stephen(country: str) -> None:
    assert public_holidays(country, 2025) == FR_2025 | {date(2025, 4, 18), date(2025, 12, 26)}
    assert date(2024, 3, 29) in public_holidays(country, 2024)


def test_europe_day_is_a_luxembourg_holiday_only_since_2019() -> None:
    assert date(2018, 5, 9) not in public_holidays("LU", 2018)
    assert date(2019, 5, 9) in public_holidays("LU", 2019)
    assert len(public_holidays("LU", 2018)) == 10


def test_unknown_country_lists_the_supported_codes() -> None:
    with pytest.raises(ValueError, match="'DE'") as raised:
        public_holidays("DE", 2025)
    for code in ("FR", "FR-57", "BE", "LU"):
        assert code in str(raised.value)
    assert SUPPORTED_COUNTRIES == ("BE", "FR", "FR-57", "FR-67", "FR-68", "LU")


def test_country_codes_are_case_insensitive_and_cached() -> None:
    assert public_holidays("fr", 2025) is public_holidays("FR", 2025)
    assert public_holidays(" be ", 2025) == BE_2025


def test_is_business_day() -> None:
    assert is_business_day(date(2025, 7, 11), "FR")  # Friday
    assert not is_business_day(date(2025, 7, 12), "FR")  # Saturday
    assert not is_business_day(date(2025, 7, 13), "FR")  # Sunday
    assert not is_business_day(date(2025, 7, 14), "FR")  # Bastille Day
    assert is_business_day(date(2025, 7, 14), "BE")
    assert not is_business_day(date(2025, 7, 21), "BE")
    assert is_business_day(date(2025, 12, 26), "FR")
    assert not is_business_day(date(2025, 12, 26), "FR-57")
    # A datetime is judged by its date, holidays included.
    assert not is_business_day(datetime(2025, 7, 14, 10, 0, tzinfo=PARIS), "FR")
    with pytest.raises(ValueError, match="supported"):
        is_business_day(date(2025, 7, 14), "XX")


# --- add_duration -----------------------------------------------------------------------


def at(
    year: int, month: int, day: int, hour: int, minute: int = 0, tz: ZoneInfo = PARIS
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def test_start_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_duration(datetime(2025, 1, 1, 9, 0), "1 day")


def test_invalid_duration_and_country_are_refused() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        add_duration(at(2025, 1, 1, 9), "1 fortnight")
    with pytest.raises(ValueError, match="supported"):
        add_duration(at(2025, 1, 1, 9), "1 day", country="DE")


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Elapsed time: the 23-hour and 25-hour days show in the wall clock.
        (at(2025, 3, 29, 12, 0), "24 hours", at(2025, 3, 30, 13, 0)),
        (at(2025, 10, 25, 12, 0), "24 hours", at(2025, 10, 26, 11, 0)),
        (at(2025, 3, 30, 1, 30), "30 minutes", at(2025, 3, 30, 3, 0)),
        (at(2025, 3, 30, 3, 0), "-30 minutes", at(2025, 3, 30, 1, 30)),
        (at(2025, 1, 1, 9, 0), "90 minutes", at(2025, 1, 1, 10, 30)),
        # Calendar days keep the wall clock across the last Sundays of March and October.
        (at(2025, 3, 29, 9, 0), "1 day", at(2025, 3, 30, 9, 0)),
        (at(2025, 3, 29, 9, 0), "2 days", at(2025, 3, 31, 9, 0)),
        (at(2025, 10, 25, 9, 0), "1 day", at(2025, 10, 26, 9, 0)),
        (at(2025, 10, 27, 9, 0), "-2 days", at(2025, 10, 25, 9, 0)),
        (at(2025, 3, 24, 9, 0), "1 week", at(2025, 3, 31, 9, 0)),
        (at(2024, 3, 25, 8, 0, tz=BRUSSELS), "-1 week", at(2024, 3, 18, 8, 0, tz=BRUSSELS)),
        (at(2024, 10, 26, 23, 0, tz=BRUSSELS), "1 day", at(2024, 10, 27, 23, 0, tz=BRUSSELS)),
        (at(2024, 3, 31, 0, 0, tz=BRUSSELS), "-1 day", at(2024, 3, 30, 0, 0, tz=BRUSSELS)),
        # Months and years: the day is clamped to the month's end.
        (at(2025, 1, 31, 10, 0), "1 month", at(2025, 2, 28, 10, 0)),
        (at(2024, 1, 31, 10, 0), "1 month", at(2024, 2, 29, 10, 0)),
        (at(2024, 3, 31, 10, 0), "-1 month", at(2024, 2, 29, 10, 0)),
        (at(2025, 5, 31, 10, 0), "1 month", at(2025, 6, 30, 10, 0)),
        (at(2025, 12, 15, 10, 0), "1 month", at(2026, 1, 15, 10, 0)),
        (at(2025, 1, 15, 10, 0), "-1 month", at(2024, 12, 15, 10, 0)),
        (at(2025, 8, 31, 10, 0), "6 months", at(2026, 2, 28, 10, 0)),
        (at(2024, 2, 29, 10, 0), "1 year", at(2025, 2, 28, 10, 0)),
        (at(2024, 2, 29, 10, 0), "4 years", at(2028, 2, 29, 10, 0)),
        (at(2024, 2, 29, 10, 0), "-1 year", at(2023, 2, 28, 10, 0)),
        (at(2025, 2, 28, 10, 0), "24 months", at(2027, 2, 28, 10, 0)),
        # A month across a DST change keeps the wall clock too.
        (at(2025, 3, 15, 9, 0), "1 month", at(2025, 4, 15, 9, 0)),
    ],
    ids=str,
)
def test_add_duration_examples(start: datetime, duration: str, expected: datetime) -> None:
    result = add_duration(start, duration)
    assert result == expected
    assert result.utcoffset() == expected.utcoffset()
    assert result.tzinfo is start.tzinfo


@pytest.mark.parametrize(
    ("start", "amount", "expected", "country"),
    [
        # Monday 14 July is Bastille Day in France, a working day in Belgium.
        (date(2025, 7, 11), 1, date(2025, 7, 15), "FR"),
        (date(2025, 7, 11), 1, date(2025, 7, 14), "BE"),
        (date(2025, 7, 10), 1, date(2025, 7, 11), "FR"),
        (date(2025, 7, 10), 2, date(2025, 7, 15), "FR"),
        # Thursday 8 May is a holiday in France only.
        (date(2025, 5, 2), 5, date(2025, 5, 12), "FR"),
        (date(2025, 5, 2), 5, date(2025, 5, 9), "BE"),
        # St Stephen's Day closes Alsace-Moselle.
        (date(2025, 12, 24), 1, date(2025, 12, 26), "FR"),
        (date(2025, 12, 24), 1, date(2025, 12, 29), "FR-57"),
        # Across the year end and New Year's Day.
        (date(2025, 12, 31), 1, date(2026, 1, 2), "FR"),
        (date(2025, 12, 19), 10, date(2026, 1, 6), "FR"),
        # A start on a week-end or holiday counts from the next business day.
        (date(2025, 7, 12), 1, date(2025, 7, 16), "FR"),
        (date(2025, 7, 14), 1, date(2025, 7, 16), "FR"),
        (date(2025, 7, 13), 1, date(2025, 7, 15), "BE"),
        # Negative amounts go backwards, a week-end start from the previous business day.
        (date(2025, 7, 15), -1, date(2025, 7, 11), "FR"),
        (date(2025, 7, 15), -1, date(2025, 7, 14), "BE"),
        (date(2025, 7, 13), -1, date(2025, 7, 10), "FR"),
        (date(2025, 5, 12), -5, date(2025, 5, 2), "FR"),
        # Zero leaves the start alone, even on a Saturday.
        (date(2025, 7, 12), 0, date(2025, 7, 12), "FR"),
    ],
    ids=str,
)
def test_business_days(start: date, amount: int, expected: date, country: str) -> None:
    moment = datetime.combine(start, time(14, 45), tzinfo=PARIS)
    result = add_duration(moment, ParsedDuration(amount, "business_days"), country)
    assert result == datetime.combine(expected, time(14, 45), tzinfo=PARIS)
    text = f"{amount} business days"
    assert add_duration(moment, text, country) == result
    assert add_duration(moment, text.replace("business", "working"), country) == result


def test_business_days_keep_the_wall_clock_across_dst() -> None:
    # Friday before the March change to Monday after it: 09:00 both times.
    assert add_duration(at(2025, 3, 28, 9, 0), "1 business day") == at(2025, 3, 31, 9, 0)
    friday = at(2024, 10, 25, 9, 0, tz=BRUSSELS)
    assert add_duration(friday, "1 business day", "BE") == at(2024, 10, 28, 9, 0, tz=BRUSSELS)


def test_business_days_use_the_local_date() -> None:
    # 23:30 on Friday in Paris is 21:30 UTC: still Friday for the count.
    start = at(2025, 7, 11, 23, 30)
    assert add_duration(start, "1 business day") == at(2025, 7, 15, 23, 30)
    # The same instant in UTC is the same local day here; at 00:30 Paris it is Saturday.
    saturday = at(2025, 7, 12, 0, 30)
    assert saturday.astimezone(UTC).date() == date(2025, 7, 11)
    assert add_duration(saturday, "1 business day") == at(2025, 7, 16, 0, 30)


def test_wall_clock_times_skipped_or_repeated_by_dst() -> None:
    # 02:30 does not exist on 30 March 2025 in Paris: it moves forward by the gap.
    assert add_duration(at(2025, 3, 29, 2, 30), "1 day") == at(2025, 3, 30, 3, 30)
    # 02:30 happens twice on 26 October 2025: the first one (summer time) is taken.
    result = add_duration(at(2025, 10, 25, 2, 30), "1 day")
    assert result.utcoffset() == timedelta(hours=2)
    assert result.astimezone(UTC) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_fixed_offset_timezones_work() -> None:
    plus_one = timezone(timedelta(hours=1))
    start = datetime(2025, 7, 11, 9, 0, tzinfo=plus_one)
    assert add_duration(start, "1 business day") == datetime(2025, 7, 15, 9, 0, tzinfo=plus_one)
    assert add_duration(start, "3 hours") == datetime(2025, 7, 11, 12, 0, tzinfo=plus_one)


def test_results_out_of_range_overflow() -> None:
    end = datetime(9999, 12, 31, 12, 0, tzinfo=UTC)
    for duration in ("1 day", "1 month", "1 year", "1 business day"):
        with pytest.raises(OverflowError):
            add_duration(end, duration)


# --- business_days_between --------------------------------------------------------------


def test_business_days_between_examples() -> None:
    assert business_days_between(date(2025, 7, 11), date(2025, 7, 15), "FR") == 1
    assert business_days_between(date(2025, 7, 11), date(2025, 7, 15), "BE") == 2
    assert business_days_between(date(2025, 7, 11), date(2025, 7, 11), "FR") == 0
    assert business_days_between(date(2025, 7, 15), date(2025, 7, 11), "FR") == -1
    # Saturday to Sunday: no business day; Sunday to Monday: one.
    assert business_days_between(date(2025, 7, 5), date(2025, 7, 6), "FR") == 0
    assert business_days_between(date(2025, 7, 6), date(2025, 7, 7), "FR") == 1
    # 2025 has 261 weekdays; 10 French and 9 Belgian holidays fall on one (1 Nov is a
    # Saturday), Alsace-Moselle adds Good Friday and Friday 26 December.
    assert business_days_between(date(2024, 12, 31), date(2025, 12, 31), "FR") == 251
    assert business_days_between(date(2024, 12, 31), date(2025, 12, 31), "BE") == 252
    assert business_days_between(date(2024, 12, 31), date(2025, 12, 31), "FR-57") == 249


def test_business_days_between_takes_datetimes_by_their_date() -> None:
    start, end = at(2025, 7, 11, 18, 0), at(2025, 7, 15, 8, 0)
    assert business_days_between(start, end, "FR") == 1
    with pytest.raises(ValueError, match="supported"):
        business_days_between(start, end, "US")


# --- Properties -------------------------------------------------------------------------

ZONES = st.sampled_from([PARIS, BRUSSELS, ZoneInfo("Europe/Luxembourg")])
COUNTRIES = st.sampled_from(SUPPORTED_COUNTRIES)
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
# Hours outside 02:00-03:00, which a DST change may skip or repeat.
WALL_TIMES = st.times().filter(lambda t: t.hour != 2).map(lambda t: t.replace(microsecond=0))
AMOUNTS = st.integers(min_value=-400, max_value=400)


def brute_force_between(start: date, end: date, country: str) -> int:
    sign = 1 if end >= start else -1
    low, high = min(start, end), max(start, end)
    days = (low + timedelta(days=i) for i in range(1, (high - low).days + 1))
    return sign * sum(1 for d in days if d.weekday() < 5 and d not in _holidays(country, d))


def _holidays(country: str, day: date) -> frozenset[date]:
    return public_holidays(country, day.year)


@PROPERTY
@given(day=DAYS, clock=WALL_TIMES, zone=ZONES, country=COUNTRIES, amount=AMOUNTS)
def test_business_days_land_on_a_business_day_at_the_same_time(
    day: date, clock: time, zone: ZoneInfo, country: str, amount: int
) -> None:
    start = datetime.combine(day, clock, tzinfo=zone)
    result = add_duration(start, ParsedDuration(amount, "business_days"), country)
    assert result.time() == clock
    assert result.tzinfo is zone
    if amount != 0:
        assert is_business_day(result.date(), country)
        assert (result > start) == (amount > 0)


@PROPERTY
@given(
    day=DAYS,
    zone=ZONES,
    country=COUNTRIES,
    amounts=st.lists(AMOUNTS, min_size=2, max_size=2, unique=True).map(sorted),
)
def test_business_days_are_monotonic_in_n(
    day: date, zone: ZoneInfo, country: str, amounts: list[int]
) -> None:
    start = datetime.combine(day, time(10, 0), tzinfo=zone)
    low, high = (add_duration(start, ParsedDuration(n, "business_days"), country) for n in amounts)
    assert low < high


@PROPERTY
@given(day=DAYS, country=COUNTRIES, amount=AMOUNTS)
def test_business_days_between_inverts_add_from_a_business_day(
    day: date, country: str, amount: int
) -> None:
    while not is_business_day(day, country):
        day += timedelta(days=1)
    start = datetime.combine(day, time(9, 0), tzinfo=PARIS)
    result = add_duration(start, ParsedDuration(amount, "business_days"), country)
    assert business_days_between(day, result.date(), country) == amount


@PROPERTY
@given(start=DAYS, length=st.integers(min_value=-800, max_value=800), country=COUNTRIES)
def test_business_days_between_matches_counting_day_by_day(
    start: date, length: int, country: str
) -> None:
    end = start + timedelta(days=length)
    assert business_days_between(start, end, country) == brute_force_between(start, end, country)


@PROPERTY
@given(day=DAYS, clock=WALL_TIMES, zone=ZONES, amount=st.integers(-1000, 1000))
def test_calendar_days_keep_the_wall_clock_and_invert(
    day: date, clock: time, zone: ZoneInfo, amount: int
) -> None:
    start = datetime.combine(day, clock, tzinfo=zone)
    result = add_duration(start, ParsedDuration(amount, "days"))
    assert result.date() == day + timedelta(days=amount)
    assert result.time() == clock
    assert add_duration(result, ParsedDuration(-amount, "days")) == start


@PROPERTY
@given(day=DAYS, clock=WALL_TIMES, zone=ZONES, minutes=st.integers(-100_000, 100_000))
def test_minutes_are_elapsed_time(day: date, clock: time, zone: ZoneInfo, minutes: int) -> None:
    start = datetime.combine(day, clock, tzinfo=zone)
    result = add_duration(start, ParsedDuration(minutes, "minutes"))
    # Subtracting datetimes sharing a tzinfo ignores it, hence the conversion to UTC.
    assert result.astimezone(UTC) - start.astimezone(UTC) == timedelta(minutes=minutes)
    assert result.tzinfo is zone


@PROPERTY
@given(day=DAYS, months=st.integers(-240, 240))
def test_months_clamp_to_the_month_end(day: date, months: int) -> None:
    start = datetime.combine(day, time(12, 0), tzinfo=PARIS)
    result = add_duration(start, ParsedDuration(months, "months"))
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.time() == time(12, 0)
    if result.day != day.day:
        assert result.day < day.day
        assert (result.date() + timedelta(days=1)).day == 1
