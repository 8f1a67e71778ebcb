/*
 * uuid: RFC 4122 identifiers as tigress uses them (spec/rules.md UUID-*).
 * Mailbox identifiers and device claims are carried as their 36-character
 * canonical text, so that is the only form this module deals in.
 */
#ifndef TIGRESS_UUID_H
#define TIGRESS_UUID_H

#include <stddef.h>

#include "tgerr.h"

#define UUID_STR_SIZE 37	/* 36 characters and the NUL */

/*
 * Write a new version 4 UUID drawn from OpenSSL's CSPRNG into out (lower
 * case, NUL-terminated).  Errors: TGERR_INTERNAL if the CSPRNG fails.
 */
enum tgerr uuid_new_v4(char out[UUID_STR_SIZE]);

/*
 * Check that s[0..len) is a UUID in 8-4-4-4-12 form (either case).  On
 * success write the lower-case form to canon and the version nibble to
 * *version; either may be NULL.  Errors: TGERR_UUID_SYNTAX.
 */
enum tgerr uuid_check(const char *s, size_t len, char canon[UUID_STR_SIZE],
    int *version);

#endif
