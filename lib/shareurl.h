/*
 * shareurl: the Share URL of http-00 §7.3,
 *   https://{host}[:port]/v{N}/m/{mailbox-id}[?v={vertical}][#{secret}]
 * parsed into its fields and built from them, exactly as spec/rules.md
 * URL-* says.  The Secret in the fragment is key material: callers wipe a
 * parsed struct with shareurl_wipe() when done.
 */
#ifndef TIGRESS_SHAREURL_H
#define TIGRESS_SHAREURL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tglimits.h"
#include "payload.h"
#include "tgerr.h"
#include "uuid.h"

struct shareurl {
	char		host[TG_HOST_MAX + 1];	/* lower case; [..] kept */
	uint16_t	port;			/* 0 when absent */
	int		version;		/* the N of /vN/ */
	char		mailbox_id[UUID_STR_SIZE];	/* lower case */
	int		uuid_version;
	char		vertical;		/* 'a', 'h' or 'c' */
	bool		vertical_present;	/* ?v= was given */
	uint8_t		secret[TG_KEY_MAX];
	size_t		secret_len;		/* 0: no fragment */
	size_t		length;			/* characters of the input */
};

/*
 * Parse url[0..len) into *out (which is fully overwritten).  Errors:
 * TGERR_TOO_LARGE and TGERR_URL_* in the order of spec/rules.md; on error
 * *out holds no secret.
 */
enum tgerr shareurl_parse(const char *url, size_t len, struct shareurl *out);

/*
 * Build the share URL of *u into out (outsz bytes, NUL-terminated),
 * storing its length in *outlen (may be NULL).  Errors: the TGERR_URL_*
 * a parser would give for a bad field; TGERR_TOO_LARGE when out is short.
 */
enum tgerr shareurl_build(const struct shareurl *u, char *out, size_t outsz,
    size_t *outlen);

/*
 * Write the form a client may send to a relay (no query, no fragment:
 * errata E-API-URL) into out.  Errors: as shareurl_build().
 */
enum tgerr shareurl_api_url(const struct shareurl *u, char *out,
    size_t outsz);

/*
 * Parse a relay's origin, "https://host[:port]" with at most one trailing
 * "/", into the host and port of *out (the rest zeroed), with the checks
 * and errors of shareurl_parse(); anything after the authority is
 * TGERR_URL_PATH.
 */
enum tgerr shareurl_origin_parse(const char *s, size_t len,
    struct shareurl *out);

/*
 * Write "https://host[:port]" of a parsed *u into buf (size bytes).
 * Errors: TGERR_TOO_LARGE when buf is short.
 */
enum tgerr shareurl_origin(const struct shareurl *u, char *buf, size_t size);

/* The AEAD that the Secret's length selects; false when there is none. */
bool shareurl_aead(const struct shareurl *u, enum payload_aead *aead);

/* Wipe the Secret (and everything else) in *u. */
void shareurl_wipe(struct shareurl *u);

#endif
