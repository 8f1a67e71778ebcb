/*
 * rfc3339: the UTC time form the drafts use, "YYYY-MM-DDThh:mm:ssZ"
 * (spec/rules.md TIME-*), to and from seconds since the Unix epoch.
 * Pure arithmetic: no time zone database, no locale.
 */
#ifndef TIGRESS_RFC3339_H
#define TIGRESS_RFC3339_H

#include <stddef.h>
#include <stdint.h>

#include "tgerr.h"

#define RFC3339_STR_SIZE 21	/* 20 characters and the NUL */
#define RFC3339_EPOCH_MAX INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */

/*
 * Parse s[0..len) strictly.  On success store the epoch seconds in *out.
 * Errors: TGERR_TIME_SYNTAX for any other form or an impossible date.
 */
enum tgerr rfc3339_parse(const char *s, size_t len, int64_t *out);

/*
 * Format epoch seconds (0..RFC3339_EPOCH_MAX) into out.
 * Errors: TGERR_TIME_SYNTAX when the time is out of that range.
 */
enum tgerr rfc3339_format(int64_t epoch, char out[RFC3339_STR_SIZE]);

#endif
