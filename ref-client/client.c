/*
 * client: relay API calls.  client_exchange() is the one path every
 * request takes: headers, Request-ID, retries, the echo check and the
 * mapping of failures to enum client_err; the operations below only build
 * bodies and parse answers with lib/msg and lib/preview.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "client.h"
#include "shareurl.h"
#include "uuid.h"

#define RELAY_TEXT_MAX	200	/* characters of a relay's message shown */

static const char *const err_text[CLIENT_ERR_COUNT] = {
	[CLIENT_OK] = "no error",
	[CLIENT_ERR_INTERNAL] = "internal failure",
	[CLIENT_ERR_USAGE] = "usage error",
	[CLIENT_ERR_INPUT] = "bad input",
	[CLIENT_ERR_NETWORK] = "relay unreachable",
	[CLIENT_ERR_TLS] = "TLS failure",
	[CLIENT_ERR_REFUSED] = "relay refused the request",
	[CLIENT_ERR_CRYPTO] = "wrong Secret or tampered payload",
	[CLIENT_ERR_GONE] = "share expired or cancelled",
	[CLIENT_ERR_CLAIMED] = "share already accepted by another device",
	[CLIENT_ERR_TIMEOUT] = "timed out waiting",
};

static const char *const claim_header[] = {
	[CLIENT_PROFILE_HTTP00] = "Mailbox-Device-Claim",
	[CLIENT_PROFILE_SCT04] = "Device-Claim",
};

static const char *const attestation_header[] = {
	[CLIENT_PROFILE_HTTP00] = "Mailbox-Device-Attestation",
	[CLIENT_PROFILE_SCT04] = "Device-Attestation",
};

static const char *const err_code[CLIENT_ERR_COUNT] = {
	[CLIENT_OK] = "ok",
	[CLIENT_ERR_INTERNAL] = "internal",
	[CLIENT_ERR_USAGE] = "usage",
	[CLIENT_ERR_INPUT] = "input",
	[CLIENT_ERR_NETWORK] = "network",
	[CLIENT_ERR_TLS] = "tls",
	[CLIENT_ERR_REFUSED] = "refused",
	[CLIENT_ERR_CRYPTO] = "crypto",
	[CLIENT_ERR_GONE] = "gone",
	[CLIENT_ERR_CLAIMED] = "claimed",
	[CLIENT_ERR_TIMEOUT] = "timeout",
};

const char *
client_err_code(enum client_err err)
{
	return (unsigned)err < CLIENT_ERR_COUNT ? err_code[err] : "internal";
}

const char *
client_strerror(enum client_err err)
{
	return (unsigned)err < CLIENT_ERR_COUNT ? err_text[err] :
	    "unknown error";
}

enum client_err
client_fail(struct client_error *e, enum client_err code, const char *fmt,
    ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	e->status = 0;
	e->json_error = false;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

static int64_t
real_now_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
real_sleep_ms(void *arg, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)arg;
	while (nanosleep(&ts, &ts) != 0)
		;
}

void
client_ctx_init(struct client_ctx *ctx, struct http_transport *t)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->transport = t;
	ctx->profile = CLIENT_PROFILE_HTTP00;
	ctx->retries = 3;
	ctx->timeout = 30;
	ctx->retry_delay_ms = 250;
	ctx->now_ms = real_now_ms;
	ctx->sleep_ms = real_sleep_ms;
}

bool
client_profile_from_name(const char *name, enum client_profile *p)
{
	if (strcmp(name, "http-00") == 0)
		*p = CLIENT_PROFILE_HTTP00;
	else if (strcmp(name, "sct-04") == 0)
		*p = CLIENT_PROFILE_SCT04;
	else
		return false;
	return true;
}

void
client_origin(const char *url, char out[CLIENT_ORIGIN_MAX])
{
	const char	*p = strstr(url, "://");
	size_t		 n;

	p = p == NULL ? url : p + 3;
	n = (size_t)(p - url) + strcspn(p, "/?#");
	if (n >= CLIENT_ORIGIN_MAX)
		n = CLIENT_ORIGIN_MAX - 1;
	memcpy(out, url, n);
	out[n] = '\0';
}

/* client_origin() that returns out, for use inside a message. */
static const char *
origin_of(const char *url, char out[CLIENT_ORIGIN_MAX])
{
	client_origin(url, out);
	return out;
}

/* Why `relay` is no relay base, in words about a relay: the parser's own
 * words for URL_SYNTAX and URL_PATH speak of share URLs. */
static const char *
relay_base_why(enum tgerr err)
{
	switch (err) {
	case TGERR_URL_SYNTAX:
		return "not a URL";
	case TGERR_URL_PATH:
		return "no path, query or fragment after the host (tigress "
		    "adds /v1/m/...)";
	default:
		return tgerr_strerror(err);
	}
}

enum client_err
client_relay_base(const char *relay, char out[CLIENT_ORIGIN_MAX],
    struct client_error *e)
{
	struct shareurl	u;
	enum tgerr	err;

	err = shareurl_origin_parse(relay, strlen(relay), &u);
	if (err == TGERR_OK)
		err = shareurl_origin(&u, out, CLIENT_ORIGIN_MAX);
	if (err != TGERR_OK)
		return client_fail(e, CLIENT_ERR_USAGE,
		    "--relay must be https://HOST[:PORT]: %s",
		    relay_base_why(err));
	return CLIENT_OK;
}

/* s as one line of at most max printable ASCII characters. */
static void
sanitize(const char *s, char *out, size_t size, size_t max)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0' && n + 1 < size && n < max; s++)
		out[n++] = (*s >= 0x20 && *s <= 0x7e) ? *s : '?';
	out[n] = '\0';
}

static void
trace(struct client_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
trace(struct client_ctx *ctx, const char *fmt, ...)
{
	char	line[TG_URL_MAX + 256];
	va_list	ap;

	if (ctx->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ctx->log(ctx->arg, line);
}

enum client_err
client_status_class(long status, bool binding)
{
	if (status == 404 || status == 410)
		return CLIENT_ERR_GONE;
	if (status == 401 && binding)
		return CLIENT_ERR_CLAIMED;
	return CLIENT_ERR_REFUSED;
}

static enum client_err
transport_fail(const char *url, enum http_err herr, const char *why,
    struct client_error *e)
{
	char origin[CLIENT_ORIGIN_MAX];

	client_origin(url, origin);
	switch (herr) {
	case HTTP_ERR_NOMEM:
		return client_fail(e, CLIENT_ERR_INTERNAL, "out of memory");
	case HTTP_ERR_USAGE:
		return client_fail(e, CLIENT_ERR_INTERNAL,
		    "cannot send a request to %s: %s", origin, why);
	case HTTP_ERR_TLS:
		return client_fail(e, CLIENT_ERR_TLS,
		    "TLS failure talking to %s: %s", origin, why);
	case HTTP_ERR_TOO_LARGE:
		return client_fail(e, CLIENT_ERR_REFUSED,
		    "the relay at %s sent an answer over %d bytes", origin,
		    HTTP_BODY_MAX);
	default:
		return client_fail(e, CLIENT_ERR_NETWORK,
		    "cannot reach the relay at %s: %s", origin, why);
	}
}

/*
 * Whether resp carries the relay's JSON error body (application/json, an
 * error_response as lib/msg checks it): what tells a relay's 404 from a
 * page of a misrouted proxy or another server.
 */
static bool
is_error_body(const struct http_response *resp)
{
	static const char	 json_type[] = "application/json";
	const char		*t = resp->content_type;
	struct msg		 m;

	if (resp->body == NULL || strncasecmp(t, json_type,
	    sizeof(json_type) - 1) != 0 || (t[sizeof(json_type) - 1] != '\0' &&
	    t[sizeof(json_type) - 1] != ';' && t[sizeof(json_type) - 1] != ' '))
		return false;
	if (msg_parse(MSG_ERROR_RESPONSE, resp->body, resp->body_len, &m) !=
	    TGERR_OK)
		return false;
	msg_free(&m);
	return true;
}

/* The failure an HTTP answer stands for, with the relay's own words. */
static enum client_err
answer_fail(const char *url, const struct http_response *resp, bool binding,
    struct client_error *e)
{
	enum client_err	 code = client_status_class(resp->status, binding);
	char		 origin[CLIENT_ORIGIN_MAX], what[RELAY_TEXT_MAX + 80];
	struct msg	 m;

	client_origin(url, origin);
	if (code == CLIENT_ERR_GONE)
		return client_fail(e, code,
		    "this share has expired, was cancelled or never existed");
	if (code == CLIENT_ERR_CLAIMED)
		return client_fail(e, code,
		    "this share was already accepted by another device");
	what[0] = '\0';
	if (resp->body != NULL && msg_parse(MSG_ERROR_RESPONSE, resp->body,
	    resp->body_len, &m) == TGERR_OK) {
		char code_s[TG_ERROR_CODE_MAX + 1], text[RELAY_TEXT_MAX + 1];
		sanitize(m.error, code_s, sizeof(code_s), TG_ERROR_CODE_MAX);
		sanitize(m.message, text, sizeof(text), RELAY_TEXT_MAX);
		snprintf(what, sizeof(what), " %s: %s", code_s, text);
		msg_free(&m);
	}
	if (resp->status == 503 && resp->retry_after > 0)
		return client_fail(e, code, "the relay at %s refused the "
		    "request (%ld%s; retry after %ld s)", origin, resp->status,
		    what, resp->retry_after);
	return client_fail(e, code, "the relay at %s refused the request "
	    "(%ld%s)", origin, resp->status, what);
}

static bool
add_headers(struct client_ctx *ctx, struct http_request *req,
    const char *rid, const char *claim)
{
	bool ok = http_request_header(req, "Mailbox-Request-ID", rid);

	if (ok && claim != NULL)
		ok = http_request_header(req, claim_header[ctx->profile],
		    claim);
	return ok;
}

/* Send req, again under the same Request-ID after a timeout or a drop. */
static enum http_err
send_retrying(struct client_ctx *ctx, const struct http_request *req,
    const char *rid, struct http_response *resp, char *why)
{
	long		delay = ctx->retry_delay_ms;
	enum http_err	herr;

	for (int attempt = 0;; attempt++) {
		trace(ctx, "> %s %s (Mailbox-Request-ID: %s)%s", req->method,
		    req->url, rid, attempt > 0 ? " [retry]" : "");
		herr = ctx->transport->send(ctx->transport->impl, req, resp,
		    why);
		if (herr == HTTP_OK || !http_err_retryable(herr) ||
		    attempt >= ctx->retries)
			return herr;
		trace(ctx, "< %s: %s; retrying", http_strerror(herr), why);
		if (delay > 0)
			ctx->sleep_ms(ctx->arg, delay);
		delay *= 2;
	}
}

/*
 * The exchange with retries under one Request-ID, the one path every
 * operation below takes: send req (its headers plus Request-ID, claim and
 * attestation) and map the outcome.  Success is a 2xx answer (201 after a
 * retry is the original's success) or a status in ok_extra (0: none).
 * binding: a 401 means another device holds the mailbox.  On success the
 * caller owns *resp (http_response_clear()).  On failure *resp is cleared
 * and *e says why.
 */
static enum client_err
client_exchange(struct client_ctx *ctx, struct http_request *req,
    const char *claim, bool binding, long ok_extra,
    struct http_response *resp, struct client_error *e)
{
	char		 rid[UUID_STR_SIZE], why[HTTP_WHY_SIZE];
	char		 origin[CLIENT_ORIGIN_MAX];
	enum http_err	 herr;
	enum client_err	 err;

	memset(resp, 0, sizeof(*resp));
	if (uuid_new_v4(rid) != TGERR_OK)
		return client_fail(e, CLIENT_ERR_INTERNAL,
		    "the random number generator failed");
	if (!add_headers(ctx, req, rid, claim))
		return client_fail(e, CLIENT_ERR_INTERNAL,
		    "too many request headers");
	if ((herr = send_retrying(ctx, req, rid, resp, why)) != HTTP_OK)
		return transport_fail(req->url, herr, why, e);
	trace(ctx, "< %ld (Mailbox-Request-ID: %s)", resp->status,
	    resp->request_id_present ? resp->request_id : "none");
	/* §5.1: the originator SHALL match the echo; no echo, no match. */
	if (!resp->request_id_present)
		err = client_fail(e, CLIENT_ERR_REFUSED, "the relay at %s "
		    "answered (%ld) without the request's Mailbox-Request-ID "
		    "(http-00 section 5.1)", origin_of(req->url, origin),
		    resp->status);
	else if (strcmp(resp->request_id, rid) != 0)
		err = client_fail(e, CLIENT_ERR_REFUSED, "the relay at %s "
		    "answered (%ld) with another Mailbox-Request-ID than the "
		    "request's (http-00 section 5.1)", origin_of(req->url,
		    origin), resp->status);
	else if ((resp->status >= 200 && resp->status <= 299) ||
	    (ok_extra != 0 && resp->status == ok_extra))
		return CLIENT_OK;
	else
		err = answer_fail(req->url, resp, binding, e);
	if (e != NULL) {
		e->status = resp->status;
		e->json_error = is_error_body(resp);
	}
	http_response_clear(resp);
	return err;
}

/* Parse an answer body as kind; a bad one is the relay's fault. */
static enum client_err
parse_answer(const struct http_response *resp, enum msg_kind kind,
    const char *url, struct msg *out, struct client_error *e)
{
	char		origin[CLIENT_ORIGIN_MAX];
	enum tgerr	err;

	err = msg_parse(kind, resp->body != NULL ? resp->body : "",
	    resp->body_len, out);
	if (err == TGERR_OK)
		return CLIENT_OK;
	if (err == TGERR_NOMEM)
		return client_fail(e, CLIENT_ERR_INTERNAL, "out of memory");
	/* A malformed payload is what tampering looks like: crypto class. */
	if (strncmp(out->field, "payload", 7) == 0)
		return client_fail(e, CLIENT_ERR_CRYPTO, "the shared payload is "
		    "malformed (tampered data): %s at %s", tgerr_strerror(err),
		    out->field);
	client_origin(url, origin);
	return client_fail(e, CLIENT_ERR_REFUSED, "the relay at %s sent an "
	    "invalid %s: %s%s%s", origin, msg_kind_name(kind),
	    tgerr_strerror(err), out->field[0] != '\0' ? " at " : "",
	    out->field);
}

static void
request_init(struct http_request *req, const char *method, const char *url,
    const char *body, long timeout)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = url;
	req->body = body;
	req->body_len = body != NULL ? strlen(body) : 0;
	req->timeout = timeout;
}

/* The attestation header, on create and update only (§6.1.2, §6.2.2). */
static void
attest(struct client_ctx *ctx, struct http_request *req)
{
	if (ctx->attestation != NULL)
		http_request_header(req, attestation_header[ctx->profile],
		    ctx->attestation);
}

enum client_err
client_create(struct client_ctx *ctx, const char *base, const char *claim,
    const char *body, struct msg *out, struct client_error *e)
{
	struct http_request	 req;
	struct http_response	 resp;
	char			 url[CLIENT_ORIGIN_MAX + 8];
	enum client_err		 err;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s/v1/m", base);
	request_init(&req, "POST", url, body, ctx->timeout);
	http_request_header(&req, "Accept", "application/json");
	attest(ctx, &req);
	if ((err = client_exchange(ctx, &req, claim, false, 0, &resp, e)))
		return err;
	err = parse_answer(&resp, MSG_CREATE_RESPONSE, url, out, e);
	http_response_clear(&resp);
	return err;
}

/* A mutating call whose answer is parsed as kind and dropped. */
static enum client_err
simple_call(struct client_ctx *ctx, const char *method, const char *url,
    const char *claim, const char *body, enum msg_kind kind,
    struct client_error *e)
{
	struct http_request	 req;
	struct http_response	 resp;
	struct msg		 m;
	enum client_err		 err;

	request_init(&req, method, url, body, ctx->timeout);
	http_request_header(&req, "Accept", "application/json");
	if (kind == MSG_UPDATE_RESPONSE)
		attest(ctx, &req);
	if ((err = client_exchange(ctx, &req, claim, false, 0, &resp, e)))
		return err;
	if ((err = parse_answer(&resp, kind, url, &m, e)) == CLIENT_OK)
		msg_free(&m);
	http_response_clear(&resp);
	return err;
}

enum client_err
client_update(struct client_ctx *ctx, const char *api_url,
    const char *claim, const char *body, struct client_error *e)
{
	return simple_call(ctx, "PUT", api_url, claim, body,
	    MSG_UPDATE_RESPONSE, e);
}

enum client_err
client_delete(struct client_ctx *ctx, const char *api_url,
    const char *claim, struct client_error *e)
{
	return simple_call(ctx, "DELETE", api_url, claim, NULL,
	    MSG_DELETE_RESPONSE, e);
}

enum client_err
client_relinquish(struct client_ctx *ctx, const char *api_url,
    const char *claim, struct client_error *e)
{
	return simple_call(ctx, "PATCH", api_url, claim, NULL,
	    MSG_RELINQUISH_RESPONSE, e);
}

enum client_err
client_read(struct client_ctx *ctx, const char *api_url, const char *claim,
    const char *body, const char *etag, long wait, bool binding,
    struct client_read *out, struct client_error *e)
{
	struct http_request	 req;
	struct http_response	 resp;
	char			 prefer[32];
	bool			 poll = etag != NULL && *etag != '\0' &&
	    wait > 0;
	enum client_err		 err;

	memset(out, 0, sizeof(*out));
	if (wait > CLIENT_WAIT_MAX)
		wait = CLIENT_WAIT_MAX;
	request_init(&req, "POST", api_url, body != NULL ? body : "",
	    ctx->timeout + (poll ? wait : 0));
	http_request_header(&req, "Accept", "application/json");
	if (poll) {
		snprintf(prefer, sizeof(prefer), "wait=%ld", wait);
		http_request_header(&req, "Prefer", prefer);
		http_request_header(&req, "If-None-Match", etag);
	}
	if ((err = client_exchange(ctx, &req, claim, binding,
	    poll ? 304 : 0, &resp, e)))
		return err;
	out->status = resp.status;
	memcpy(out->etag, resp.etag, sizeof(out->etag));
	if (resp.status != 304)
		err = parse_answer(&resp, MSG_READ_RESPONSE, api_url,
		    &out->msg, e);
	http_response_clear(&resp);
	return err;
}

enum client_err
client_display(struct client_ctx *ctx, const char *api_url,
    struct preview_parsed *out, struct client_error *e)
{
	struct http_request	 req;
	struct http_response	 resp;
	char			 origin[CLIENT_ORIGIN_MAX];
	enum client_err		 err;
	enum tgerr		 terr;

	memset(out, 0, sizeof(*out));
	request_init(&req, "GET", api_url, NULL, ctx->timeout);
	http_request_header(&req, "Accept", "text/html");
	if ((err = client_exchange(ctx, &req, NULL, false, 0, &resp, e)))
		return err;
	terr = preview_parse(resp.body != NULL ? resp.body : "",
	    resp.body_len, out);
	http_response_clear(&resp);
	if (terr == TGERR_NOMEM)
		return client_fail(e, CLIENT_ERR_INTERNAL, "out of memory");
	if (terr != TGERR_OK) {
		client_origin(api_url, origin);
		return client_fail(e, CLIENT_ERR_REFUSED, "the relay at %s "
		    "sent a preview page without a title", origin);
	}
	return CLIENT_OK;
}

static void
read_info(const struct http_response *resp, struct client_relay_info *out)
{
	json_t		*root, *ext, *v;
	json_error_t	 jerr;
	size_t		 i;

	root = json_loadb(resp->body != NULL ? resp->body : "",
	    resp->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root))
		goto done;
	out->known = true;
	ext = json_object_get(root, "extensions");
	json_array_foreach(ext, i, v)
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), "long-poll") == 0)
			out->long_poll = true;
	v = json_object_get(json_object_get(root, "longPoll"), "maxWait");
	out->max_wait = json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= CLIENT_WAIT_MAX ?
	    (long)json_integer_value(v) : 0;
	if (out->max_wait == 0)
		out->long_poll = false;
	v = json_object_get(root, "defaultLifetime");
	out->default_lifetime = json_is_integer(v) && json_integer_value(v) >
	    0 && json_integer_value(v) <= CLIENT_LIFETIME_MAX ?
	    (int64_t)json_integer_value(v) : 0;
done:
	json_decref(root);
}

enum client_err
client_well_known(struct client_ctx *ctx, const char *origin,
    struct client_relay_info *out, struct client_error *e)
{
	struct http_request	 req;
	struct http_response	 resp;
	char			 url[CLIENT_ORIGIN_MAX + 32];
	enum client_err		 err;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s/.well-known/tigress", origin);
	request_init(&req, "GET", url, NULL, ctx->timeout);
	http_request_header(&req, "Accept", "application/json");
	err = client_exchange(ctx, &req, NULL, false, 0, &resp, e);
	if (err == CLIENT_ERR_GONE || err == CLIENT_ERR_REFUSED)
		return CLIENT_OK;	/* no such document: plain polling */
	if (err != CLIENT_OK)
		return err;
	read_info(&resp, out);
	http_response_clear(&resp);
	return CLIENT_OK;
}
