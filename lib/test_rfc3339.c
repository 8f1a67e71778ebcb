/* Tests of rfc3339: the vectors and a round trip over the whole range. */
#include <string.h>

#include "rfc3339.h"
#include "testutil.h"

static void
check_parse(const json_t *c, const char *id)
{
	const char	*in = tu_str(c, "input");
	int64_t		 epoch = -1;
	enum tgerr	 err = rfc3339_parse(in, tu_len(c, "input"), &epoch);

	if (strcmp(tu_str(c, "result"), "valid") == 0)
		TU_CHECK(err == TGERR_OK && epoch == tu_int(c, "epoch"), id,
		    "valid time not parsed to its epoch");
	else if (strcmp(tu_str(c, "result"), "invalid") == 0)
		TU_CHECK(err != TGERR_OK && strcmp(tgerr_code(err),
		    tu_str(c, "error")) == 0, id, "invalid time accepted");
}

static void
check_format(const json_t *c, const char *id)
{
	char		 out[RFC3339_STR_SIZE];
	enum tgerr	 err = rfc3339_format(tu_int(c, "epoch"), out);

	TU_CHECK(err == TGERR_OK && strcmp(out, tu_str(c, "expected")) == 0,
	    id, "formatted time differs");
}

static void
test_vectors(void)
{
	json_t	*set = tu_load_set("rfc3339"), *c;
	size_t	 i;

	json_array_foreach(tu_cases(set), i, c) {
		if (strcmp(tu_str(c, "op"), "format") == 0)
			check_format(c, tu_str(c, "id"));
		else
			check_parse(c, tu_str(c, "id"));
		tu_count("rfc3339");
	}
	json_decref(set);
}

static void
test_round_trip(void)
{
	char	 s[RFC3339_STR_SIZE];
	int64_t	 back;

	for (int64_t t = 0; t <= RFC3339_EPOCH_MAX; t += 86399 * 37) {
		CU_ASSERT_EQUAL_FATAL(rfc3339_format(t, s), TGERR_OK);
		CU_ASSERT_EQUAL_FATAL(rfc3339_parse(s, strlen(s), &back),
		    TGERR_OK);
		CU_ASSERT_EQUAL_FATAL(back, t);
	}
	CU_ASSERT_EQUAL(rfc3339_format(-1, s), TGERR_TIME_SYNTAX);
	CU_ASSERT_EQUAL(rfc3339_format(RFC3339_EPOCH_MAX + 1, s),
	    TGERR_TIME_SYNTAX);
}

void tu_suite_rfc3339(void);

void
tu_suite_rfc3339(void)
{
	tu_add("rfc3339", "vectors", test_vectors);
	tu_add("rfc3339", "round trip", test_round_trip);
}
