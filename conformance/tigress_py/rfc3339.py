"""RFC 3339 times in the one form the protocol uses (http-00 §6.1.5, §6.5.4):
rules TIME-FORM, TIME-RANGE and TIME-FORMAT of spec/rules.md.

Only ``YYYY-MM-DDThh:mm:ssZ`` exists: no fraction, no offset, no lower case,
years 1970-9999, no leap second.  Plain integer arithmetic on the proleptic
Gregorian calendar; nothing depends on the platform's time functions.
"""

from .errors import TigressError

MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z

_DIGITS = frozenset("0123456789")
# offset -> the literal character expected there; every other offset is a digit
_LITERALS = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":", 19: "Z"}


def _is_leap(year: int) -> bool:
    """True for a leap year of the proleptic Gregorian calendar."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    """Number of days of `month` (1-12) in `year`."""
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days from 1970-01-01 to y-m-d (proleptic Gregorian)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple:
    """Inverse of _days_from_civil: (year, month, day) of day number z."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def parse(s: str) -> int:
    """Parse ``YYYY-MM-DDThh:mm:ssZ``; return seconds since 1970-01-01T00:00:00Z.

    Raises TigressError("time_syntax") when `s` is not a str of exactly that
    form (TIME-FORM: 20 characters, ASCII digits, upper-case ``T`` and ``Z``)
    or is not a real UTC time in 1970-9999 (TIME-RANGE).
    """
    if not isinstance(s, str) or len(s) != 20:
        raise TigressError("time_syntax", "", "not YYYY-MM-DDThh:mm:ssZ")
    for i, ch in enumerate(s):
        want = _LITERALS.get(i)
        if (ch != want) if want else (ch not in _DIGITS):
            raise TigressError("time_syntax", "", "not YYYY-MM-DDThh:mm:ssZ")
    year, month, day = int(s[0:4]), int(s[5:7]), int(s[8:10])
    hour, minute, second = int(s[11:13]), int(s[14:16]), int(s[17:19])
    if not (1970 <= year <= 9999 and 1 <= month <= 12
            and 1 <= day <= _days_in_month(year, month)
            and hour <= 23 and minute <= 59 and second <= 59):
        raise TigressError("time_syntax", "", "not a real UTC date and time")
    days = _days_from_civil(year, month, day)
    return ((days * 24 + hour) * 60 + minute) * 60 + second


def format(epoch: int) -> str:  # noqa: A001 - the module's public name
    """Format seconds since the epoch as ``YYYY-MM-DDThh:mm:ssZ`` (TIME-FORMAT).

    Raises TypeError for a non-integer and TigressError("time_syntax") for
    an epoch outside 0..253402300799 (no such time in the allowed form).
    """
    if isinstance(epoch, bool) or not isinstance(epoch, int):
        raise TypeError("epoch must be an int")
    if not 0 <= epoch <= MAX_EPOCH:
        raise TigressError("time_syntax", "", "epoch outside 1970..9999")
    days, rest = divmod(epoch, 86400)
    year, month, day = _civil_from_days(days)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
