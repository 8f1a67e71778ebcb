/*
 * testutil: what the CUnit tests of lib/ share: where the vectors are,
 * loading a vector file, hex decoding, and counting checked vectors so the
 * runner can print how many each set contributed.
 */
#ifndef TIGRESS_TESTUTIL_H
#define TIGRESS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

/* Set by main before the suites run. */
void tu_set_paths(const char *vectors_dir, const char *wycheproof_file);
const char *tu_wycheproof_file(void);

/* Load vectors/<set>.json; NULL (and a CUnit failure) when unreadable. */
json_t *tu_load_set(const char *set);

/* The "tests" array of a loaded set. */
json_t *tu_cases(json_t *set);

/* Decode hex into a new buffer (free()); *len gets its length. */
uint8_t *tu_hex(const char *hex, size_t *len);

/* Count one checked vector of a set / one matched Wycheproof case. */
void tu_count(const char *set);
void tu_count_wycheproof(int matched);
void tu_print_counts(void);

/* Report a failed vector with its id and what went wrong. */
#define TU_CHECK(cond, id, what) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "\nvector %s: %s\n", (id), (what));	\
		CU_FAIL(what);						\
	}								\
} while (0)

/* Member helpers for the case objects. */
const char *tu_str(const json_t *c, const char *key);	/* "" if absent */
long long tu_int(const json_t *c, const char *key);
size_t tu_len(const json_t *c, const char *key);	/* may hold NULs */

/* Register a suite; main calls each module's tu_suite_*() */
void tu_add(const char *suite, const char *name, CU_TestFunc fn);

#endif
