/* testutil: shared helpers of the lib/ CUnit tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Test-run state, written once by main or by the counting helpers. */
static struct {
	const char	*vectors_dir;
	const char	*wycheproof;
	const char	*names[8];
	unsigned	 counts[8];
	unsigned	 wp_matched, wp_total;
} tu;

void
tu_set_paths(const char *vectors_dir, const char *wycheproof_file)
{
	tu.vectors_dir = vectors_dir;
	tu.wycheproof = wycheproof_file;
}

const char *
tu_wycheproof_file(void)
{
	return tu.wycheproof;
}

json_t *
tu_load_set(const char *set)
{
	char		 path[1024];
	json_error_t	 err;
	json_t		*root;

	snprintf(path, sizeof(path), "%s/%s.json", tu.vectors_dir, set);
	if ((root = json_load_file(path, JSON_ALLOW_NUL, &err)) == NULL) {
		fprintf(stderr, "\ncannot load %s: %s\n", path, err.text);
		CU_FAIL_FATAL("vector file unreadable");
	}
	return root;
}

json_t *
tu_cases(json_t *set)
{
	json_t *tests = json_object_get(set, "tests");

	CU_ASSERT_FATAL(json_is_array(tests));
	return tests;
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

uint8_t *
tu_hex(const char *hex, size_t *len)
{
	size_t	 n = strlen(hex) / 2;
	uint8_t	*out = malloc(n + 1);

	CU_ASSERT_FATAL(out != NULL && strlen(hex) % 2 == 0);
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		CU_ASSERT_FATAL(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n;
	return out;
}

void
tu_count(const char *set)
{
	size_t i;

	for (i = 0; i < 8 && tu.names[i] != NULL; i++)
		if (strcmp(tu.names[i], set) == 0)
			break;
	if (i == 8)
		return;
	tu.names[i] = set;
	tu.counts[i]++;
}

void
tu_count_wycheproof(int matched)
{
	tu.wp_total++;
	if (matched)
		tu.wp_matched++;
}

void
tu_print_counts(void)
{
	unsigned total = 0;

	for (size_t i = 0; i < 8 && tu.names[i] != NULL; i++)
		total += tu.counts[i];
	printf("C: checked %u vectors (", total);
	for (size_t i = 0; i < 8 && tu.names[i] != NULL; i++)
		printf("%s%s %u", i ? ", " : "", tu.names[i], tu.counts[i]);
	printf(")\n");
	printf("C: wycheproof matched %u of %u cases\n", tu.wp_matched,
	    tu.wp_total);
}

size_t
tu_len(const json_t *c, const char *key)
{
	return json_string_length(json_object_get(c, key));
}

const char *
tu_str(const json_t *c, const char *key)
{
	const char *s = json_string_value(json_object_get(c, key));

	return s != NULL ? s : "";
}

long long
tu_int(const json_t *c, const char *key)
{
	return json_integer_value(json_object_get(c, key));
}

void
tu_add(const char *suite, const char *name, CU_TestFunc fn)
{
	CU_pSuite s = CU_get_suite(suite);

	if (s == NULL)
		s = CU_add_suite(suite, NULL, NULL);
	CU_add_test(s, name, fn);
}
