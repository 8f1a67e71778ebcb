/* tgerr: codes, sentences and HTTP statuses of spec/errors.md. */
#include <string.h>

#include "tgerr.h"

struct tgerr_info {
	const char	*code;
	const char	*text;
	int		 status;
};

/* Indexed by enum tgerr; the order must follow the enum. */
static const struct tgerr_info infos[TGERR_COUNT] = {
	[TGERR_OK] = { "ok", "no error", 200 },
	[TGERR_NOMEM] = { "nomem", "out of memory", 500 },
	[TGERR_INTERNAL] = { "internal", "internal error", 500 },
	[TGERR_TOO_LARGE] = { "too_large", "input over its size limit", 413 },
	[TGERR_UUID_SYNTAX] = { "uuid_syntax",
	    "not a UUID in 8-4-4-4-12 hex form", 400 },
	[TGERR_URL_SYNTAX] = { "url_syntax", "not a share URL", 400 },
	[TGERR_URL_SCHEME] = { "url_scheme", "scheme is not https", 400 },
	[TGERR_URL_USERINFO] = { "url_userinfo",
	    "user information before the host", 400 },
	[TGERR_URL_HOST] = { "url_host", "bad host", 400 },
	[TGERR_URL_PORT] = { "url_port", "bad port", 400 },
	[TGERR_URL_PATH] = { "url_path", "path is not /v{N}/m/{id}", 400 },
	[TGERR_URL_VERSION] = { "url_version", "bad API version segment",
	    400 },
	[TGERR_URL_MAILBOX_ID] = { "url_mailbox_id",
	    "mailbox identifier is not a UUID", 400 },
	[TGERR_URL_QUERY] = { "url_query",
	    "query other than a single v parameter", 400 },
	[TGERR_URL_VERTICAL] = { "url_vertical",
	    "vertical is not a, h or c", 400 },
	[TGERR_URL_SECRET_ENCODING] = { "url_secret_encoding",
	    "secret is not base64", 400 },
	[TGERR_URL_SECRET_LENGTH] = { "url_secret_length",
	    "secret is not 16 or 32 bytes", 400 },
	[TGERR_TIME_SYNTAX] = { "time_syntax",
	    "time is not a valid YYYY-MM-DDThh:mm:ssZ", 400 },
	[TGERR_JSON_SYNTAX] = { "json_syntax", "body is not a JSON object",
	    400 },
	[TGERR_JSON_DEPTH] = { "json_depth", "JSON nested too deeply", 400 },
	[TGERR_FIELD_MISSING] = { "field_missing",
	    "required member missing", 400 },
	[TGERR_FIELD_TYPE] = { "field_type", "member of the wrong type", 400 },
	[TGERR_FIELD_VALUE] = { "field_value", "member value not allowed",
	    400 },
	[TGERR_FIELD_TOO_LONG] = { "field_too_long", "member too long", 400 },
	[TGERR_PAYLOAD_TYPE] = { "payload_type", "unknown AEAD type", 400 },
	[TGERR_PAYLOAD_ENCODING] = { "payload_encoding",
	    "payload data is not base64", 400 },
	[TGERR_PAYLOAD_TRUNCATED] = { "payload_truncated",
	    "payload data shorter than IV and tag", 400 },
	[TGERR_PAYLOAD_KEY] = { "payload_key",
	    "key length does not match the AEAD type", 400 },
	[TGERR_PAYLOAD_AUTH] = { "payload_auth",
	    "payload failed authentication (wrong secret or tampered)", 400 },
	[TGERR_NOT_FOUND] = { "not_found", "no such mailbox", 404 },
	[TGERR_METHOD_NOT_ALLOWED] = { "method_not_allowed",
	    "method not allowed", 405 },
	[TGERR_UNAUTHORIZED] = { "unauthorized",
	    "device claim not authorized for this mailbox", 401 },
	[TGERR_HEADER_MISSING] = { "header_missing",
	    "required header missing", 400 },
	[TGERR_HEADER_VALUE] = { "header_value", "header value not allowed",
	    400 },
	[TGERR_REQUEST_ID_CONFLICT] = { "request_id_conflict",
	    "request id already used for another request", 409 },
	[TGERR_UNSUPPORTED_MEDIA_TYPE] = { "unsupported_media_type",
	    "content type is not application/json", 415 },
	[TGERR_HEADERS_TOO_LARGE] = { "headers_too_large",
	    "request headers too large", 431 },
	[TGERR_CAPACITY] = { "capacity", "relay at capacity, retry later",
	    503 },
	[TGERR_HTTP_SYNTAX] = { "http_syntax",
	    "request is not well-formed HTTP/1.1", 400 },
	[TGERR_REQUEST_TIMEOUT] = { "request_timeout",
	    "request not received in time", 408 },
	[TGERR_NOT_IMPLEMENTED] = { "not_implemented",
	    "method not implemented", 501 },
	[TGERR_UNAVAILABLE] = { "unavailable",
	    "storage unavailable or full, retry later", 503 },
};

static const struct tgerr_info *
info(enum tgerr err)
{
	if ((unsigned)err >= TGERR_COUNT)
		return &infos[TGERR_INTERNAL];
	return &infos[err];
}

const char *
tgerr_code(enum tgerr err)
{
	return info(err)->code;
}

const char *
tgerr_strerror(enum tgerr err)
{
	return info(err)->text;
}

int
tgerr_http_status(enum tgerr err)
{
	return info(err)->status;
}

enum tgerr
tgerr_from_code(const char *s)
{
	for (int i = 0; i < TGERR_COUNT; i++)
		if (strcmp(infos[i].code, s) == 0)
			return (enum tgerr)i;
	return TGERR_COUNT;
}
