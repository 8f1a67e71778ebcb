/*
 * tgerr: the error vocabulary shared by every tigress-ref component.
 *
 * Each value is one code of spec/errors.md.  tgerr_code() gives the stable
 * code string that the vectors, the relay's JSON error bodies and the
 * Python implementation use; tgerr_strerror() a sentence for people;
 * tgerr_http_status() the one place that maps a fault to the HTTP status
 * the relay answers.  All returned strings are static: never free them.
 */
#ifndef TIGRESS_TGERR_H
#define TIGRESS_TGERR_H

enum tgerr {
	TGERR_OK = 0,
	TGERR_NOMEM,
	TGERR_INTERNAL,
	TGERR_TOO_LARGE,
	TGERR_UUID_SYNTAX,
	TGERR_URL_SYNTAX,
	TGERR_URL_SCHEME,
	TGERR_URL_USERINFO,
	TGERR_URL_HOST,
	TGERR_URL_PORT,
	TGERR_URL_PATH,
	TGERR_URL_VERSION,
	TGERR_URL_MAILBOX_ID,
	TGERR_URL_QUERY,
	TGERR_URL_VERTICAL,
	TGERR_URL_SECRET_ENCODING,
	TGERR_URL_SECRET_LENGTH,
	TGERR_TIME_SYNTAX,
	TGERR_JSON_SYNTAX,
	TGERR_JSON_DEPTH,
	TGERR_FIELD_MISSING,
	TGERR_FIELD_TYPE,
	TGERR_FIELD_VALUE,
	TGERR_FIELD_TOO_LONG,
	TGERR_PAYLOAD_TYPE,
	TGERR_PAYLOAD_ENCODING,
	TGERR_PAYLOAD_TRUNCATED,
	TGERR_PAYLOAD_KEY,
	TGERR_PAYLOAD_AUTH,
	/* Answered only by a relay. */
	TGERR_NOT_FOUND,
	TGERR_METHOD_NOT_ALLOWED,
	TGERR_UNAUTHORIZED,
	TGERR_HEADER_MISSING,
	TGERR_HEADER_VALUE,
	TGERR_REQUEST_ID_CONFLICT,
	TGERR_UNSUPPORTED_MEDIA_TYPE,
	TGERR_HEADERS_TOO_LARGE,
	TGERR_CAPACITY,
	TGERR_HTTP_SYNTAX,
	TGERR_REQUEST_TIMEOUT,
	TGERR_NOT_IMPLEMENTED,
	TGERR_UNAVAILABLE,
	TGERR_COUNT	/* not an error: the number of values */
};

/* The stable code string, e.g. "url_scheme"; "internal" if out of range. */
const char *tgerr_code(enum tgerr err);

/* A short sentence describing the fault, without trailing period. */
const char *tgerr_strerror(enum tgerr err);

/* The HTTP status a relay answers for this fault (200 for TGERR_OK). */
int tgerr_http_status(enum tgerr err);

/* The value whose code string is s; TGERR_COUNT when there is none. */
enum tgerr tgerr_from_code(const char *s);

#endif
