/*
 * rfc3339: strict parse and format.  Day counts use the civil-from-days
 * algorithms of H. Hinnant ("chrono-compatible low-level date
 * algorithms"), which are exact for the proleptic Gregorian calendar.
 */
#include "rfc3339.h"

/* Template: 'd' is a digit, anything else must match exactly. */
static const char form[] = "dddd-dd-ddTdd:dd:ddZ";

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int days[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

enum tgerr
rfc3339_parse(const char *s, size_t len, int64_t *out)
{
	if (len != sizeof(form) - 1)
		return TGERR_TIME_SYNTAX;
	for (size_t i = 0; i < len; i++) {
		if (form[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
			return TGERR_TIME_SYNTAX;
	}
	int year = num(s, 4), mon = num(s + 5, 2), day = num(s + 8, 2);
	int hh = num(s + 11, 2), mm = num(s + 14, 2), ss = num(s + 17, 2);

	if (year < 1970 || mon < 1 || mon > 12 || day < 1 ||
	    day > days_in_month(year, mon) || hh > 23 || mm > 59 || ss > 59)
		return TGERR_TIME_SYNTAX;
	*out = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 +
	    ss;
	return TGERR_OK;
}

static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

enum tgerr
rfc3339_format(int64_t epoch, char out[RFC3339_STR_SIZE])
{
	int64_t	 y;
	int	 m, d;

	if (epoch < 0 || epoch > RFC3339_EPOCH_MAX)
		return TGERR_TIME_SYNTAX;
	civil_from_days(epoch / 86400, &y, &m, &d);
	int sod = (int)(epoch % 86400);

	for (size_t i = 0; i < sizeof(form); i++)
		out[i] = form[i];
	put2(out, (int)(y / 100));
	put2(out + 2, (int)(y % 100));
	put2(out + 5, m);
	put2(out + 8, d);
	put2(out + 11, sod / 3600);
	put2(out + 14, sod / 60 % 60);
	put2(out + 17, sod % 60);
	return TGERR_OK;
}
