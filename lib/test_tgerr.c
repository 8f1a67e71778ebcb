/* Tests of tgerr: the codes match spec/errors.md one for one. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "tgerr.h"

static void
test_codes_round_trip(void)
{
	for (int e = 0; e < TGERR_COUNT; e++) {
		CU_ASSERT_EQUAL(tgerr_from_code(tgerr_code(e)), e);
		CU_ASSERT(tgerr_http_status(e) >= 200);
		CU_ASSERT(tgerr_http_status(e) < 600);
		CU_ASSERT(strlen(tgerr_strerror(e)) > 0);
	}
	CU_ASSERT_EQUAL(tgerr_from_code("no_such_code"), TGERR_COUNT);
	CU_ASSERT_STRING_EQUAL(tgerr_code(TGERR_COUNT), "internal");
}

/* Every `code` in the first column of spec/errors.md's tables is known. */
static void
test_codes_match_spec(void)
{
	char	 line[512], code[128];
	int	 seen = 0;
	FILE	*f = fopen("spec/errors.md", "r");

	CU_ASSERT_FATAL(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "| `", 3) != 0)
			continue;
		const char *end = strchr(line + 3, '`');
		size_t n = end != NULL ? (size_t)(end - line - 3) : 0;
		CU_ASSERT_FATAL(n > 0 && n < sizeof(code));
		memcpy(code, line + 3, n);
		code[n] = '\0';
		if (tgerr_from_code(code) == TGERR_COUNT)
			fprintf(stderr, "\nspec/errors.md code %s unknown\n",
			    code);
		CU_ASSERT(tgerr_from_code(code) != TGERR_COUNT);
		seen++;
	}
	fclose(f);
	/* Every code but "ok" appears in the spec. */
	CU_ASSERT_EQUAL(seen, TGERR_COUNT - 1);
}

void tu_suite_tgerr(void);

void
tu_suite_tgerr(void)
{
	tu_add("tgerr", "codes round trip", test_codes_round_trip);
	tu_add("tgerr", "codes match spec/errors.md", test_codes_match_spec);
}
