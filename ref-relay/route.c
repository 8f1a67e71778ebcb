/*
 * route: method, path and header checks in the order a client would want
 * them reported, then the operation (mbox.c).  Long-poll
 * (spec/extensions.md X-LONG-POLL) is decided here and carried out by
 * worker.c and longpoll.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "route.h"
#include "text.h"

#define PREFER_DIGITS_MAX	9	/* of a wait preference: fits an int */

enum target { T_NONE, T_COLLECTION, T_MAILBOX, T_WELL_KNOWN };

/*
 * Fill *resp with the JSON error body of err (field and detail may be
 * NULL): the one place error answers are written.
 */
static void
route_error(struct route_resp *resp, enum tgerr err, const char *field,
    const char *detail)
{
	char message[TG_ERROR_MESSAGE_MAX];

	if (detail != NULL && field != NULL && *field != '\0')
		snprintf(message, sizeof(message), "%s: %s", field, detail);
	else if (detail != NULL)
		(void)text_copy(message, sizeof(message), detail);
	else if (field != NULL && *field != '\0')
		snprintf(message, sizeof(message), "%s: %s", field,
		    tgerr_strerror(err));
	else
		(void)text_copy(message, sizeof(message), tgerr_strerror(err));
	free(resp->body);
	resp->status = tgerr_http_status(err);
	resp->content_type = "application/json";
	resp->body = msg_build_error(tgerr_code(err), message);
	resp->body_len = resp->body != NULL ? strlen(resp->body) : 0;
	resp->is_preview = false;
	if (err == TGERR_CAPACITY)
		resp->retry_after = ROUTE_RETRY_AFTER;
	else if (err == TGERR_UNAVAILABLE)
		resp->retry_after = ROUTE_RETRY_SOON;
}

void
route_fault(enum tgerr err, struct route_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	route_error(resp, err, NULL, err == TGERR_TOO_LARGE ?
	    "request body over 98304 bytes" : err == TGERR_HEADERS_TOO_LARGE ?
	    "request line and headers over 8192 bytes" : NULL);
}

bool
route_echo_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > ROUTE_ECHO_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

bool
route_request_id_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > TG_REQUEST_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Which resource the path names; *id gets a canonical mailbox id. */
static enum target
parse_path(const char *path, char id[UUID_STR_SIZE])
{
	static const char prefix[] = "/v1/m";

	if (strcmp(path, "/.well-known/tigress") == 0)
		return T_WELL_KNOWN;
	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return T_NONE;
	path += sizeof(prefix) - 1;
	if (*path == '\0')
		return T_COLLECTION;
	if (*path != '/' || uuid_check(path + 1, strlen(path + 1), id,
	    NULL) != TGERR_OK)
		return T_NONE;
	return T_MAILBOX;
}

static enum mbox_op
mailbox_op(const char *method)
{
	static const struct {
		const char	*method;
		enum mbox_op	 op;
	} ops[] = {
		{ "GET", MBOX_DISPLAY }, { "HEAD", MBOX_DISPLAY },
		{ "POST", MBOX_READ }, { "PUT", MBOX_UPDATE },
		{ "DELETE", MBOX_DELETE }, { "PATCH", MBOX_RELINQUISH },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(method, ops[i].method) == 0)
			return ops[i].op;
	return 0;
}

/* application/json, with or without parameters, any case. */
static bool
is_json(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Check the headers an operation needs (errata E-CLAIM-FORM,
 * E-REQID-FORM); the claim is canonicalized into claim. */
static bool
check_headers(const struct route_req *req, enum mbox_op op,
    char claim[UUID_STR_SIZE], struct route_resp *resp)
{
	bool need_id = op != MBOX_READ && op != MBOX_DISPLAY;

	if (op == MBOX_DISPLAY)
		return true;
	if (req->claim == NULL) {
		route_error(resp, TGERR_HEADER_MISSING, req->claim_header,
		    "a device claim header is required");
		return false;
	}
	if (uuid_check(req->claim, strlen(req->claim), claim, NULL) !=
	    TGERR_OK) {
		route_error(resp, TGERR_HEADER_VALUE, req->claim_header,
		    "the device claim must be a UUID");
		return false;
	}
	if (req->request_id == NULL ? need_id :
	    !route_request_id_ok(req->request_id)) {
		route_error(resp, req->request_id == NULL ?
		    TGERR_HEADER_MISSING : TGERR_HEADER_VALUE,
		    "Mailbox-Request-ID", req->request_id == NULL ?
		    "a request id is required" :
		    "1 to 128 printable ASCII characters");
		return false;
	}
	if (req->attestation != NULL &&
	    strlen(req->attestation) > TG_ATTESTATION_MAX) {
		route_error(resp, TGERR_HEADER_VALUE, "attestation",
		    "attestation over 4096 bytes");
		return false;
	}
	return true;
}

static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Past a token or a quoted-string (RFC 9110 §5.6); *len of the token (0
 * for a quoted-string).
 */
static const char *
skip_word(const char *p, size_t *len)
{
	const char *start = p;

	*len = 0;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++)
			if (*p == '\\' && p[1] != '\0')
				p++;
		return *p == '"' ? p + 1 : p;
	}
	while (is_tchar(*p))
		p++;
	*len = (size_t)(p - start);
	return p;
}

/*
 * The delta-seconds (RFC 9111 §1.2.2) in a word of n bytes, a token or a
 * quoted-string (its quoted-pairs undone): "2" as 2 as well; 0 when it
 * is none, or has more than PREFER_DIGITS_MAX digits.
 */
static int
delta_seconds(const char *w, size_t n)
{
	bool	quoted = n >= 2 && w[0] == '"' && w[n - 1] == '"';
	size_t	digits = 0;
	long	v = 0;

	if (quoted) {
		w++;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++) {
		char c = w[i];

		if (quoted && c == '\\' && i + 1 < n)
			c = w[++i];
		if (c < '0' || c > '9' || ++digits > PREFER_DIGITS_MAX)
			return 0;
		v = v * 10 + (c - '0');
	}
	return (int)v;
}

/*
 * Seconds of the first "wait" preference of a Prefer list (RFC 7240 §2,
 * §4.3: preference = token [ "=" word ] *( ";" parameter ), elements
 * separated by commas); 0 when there is none or it is not delta-seconds.
 */
int
route_prefer_wait(const char *prefer)
{
	const char	*p = prefer, *name, *value;
	size_t		 nlen, vlen;

	while (p != NULL && *p != '\0') {
		p = skip_ows(p);
		name = p;
		p = skip_word(p, &nlen);
		p = skip_ows(p);
		value = NULL;
		if (*p == '=') {
			value = p = skip_ows(p + 1);
			p = skip_word(p, &vlen);
		}
		if (nlen == 4 && strncasecmp(name, "wait", 4) == 0)
			return value == NULL ? 0 :
			    delta_seconds(value, (size_t)(p - value));
		/* On to the next element: past parameters, quoted or not. */
		while (*p != '\0' && *p != ',')
			p = *p == '"' ? skip_word(p, &vlen) : p + 1;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void
well_known(struct route_ctx *ctx, struct route_resp *resp)
{
	const struct mbox_policy *p = ctx->policy;
	json_t *o = json_pack("{s:[s], s:s, s:[s,s], s:I, s:I, s:i, s:i, s:b,"
	    " s:{s:i}, s:[s,s]}", "apiVersions", "v1", "profile", ctx->profile,
	    "aeadTypes", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM",
	    "defaultLifetime", (json_int_t)p->default_ttl,
	    "maxLifetime", (json_int_t)p->max_ttl, "maxBodyBytes", TG_BODY_MAX,
	    "maxPayloadDataBytes", TG_DATA_MAX,
	    "isPushNotificationSupported", p->push_supported,
	    "longPoll", "maxWait", ctx->max_wait,
	    "extensions", "well-known", "long-poll");

	resp->body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (resp->body == NULL) {
		route_error(resp, TGERR_NOMEM, NULL, NULL);
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json";
	resp->body_len = strlen(resp->body);
}

/* Copy an operation's result into the HTTP answer. */
static void
answer(struct route_ctx *ctx, const struct route_req *req, enum mbox_op op,
    struct mbox_res *res, struct route_resp *resp)
{
	if (res->err != TGERR_OK) {
		route_error(resp, res->err, res->field, res->detail);
		return;
	}
	resp->status = res->status;
	resp->body = res->body;
	resp->body_len = res->body_len;
	res->body = NULL;
	resp->content_type = op == MBOX_DISPLAY ? "text/html; charset=utf-8" :
	    "application/json";
	resp->is_preview = op == MBOX_DISPLAY;
	resp->notice = res->notice;
	memset(&res->notice, 0, sizeof(res->notice));
	memcpy(resp->changed, res->changed, sizeof(resp->changed));
	if (op != MBOX_READ)
		return;
	snprintf(resp->etag, sizeof(resp->etag), "\"%lld\"",
	    (long long)res->etag);
	/* Long-poll: nothing new yet, so hold the answer (X-LONG-POLL). */
	int wait = route_prefer_wait(req->prefer);
	if (!req->no_wait && wait > 0 && req->if_none_match != NULL &&
	    strcmp(req->if_none_match, resp->etag) == 0) {
		resp->wait = wait < ctx->max_wait ? wait : ctx->max_wait;
		/* Wake at the expiration second, to answer 404 then. */
		if (res->expires - req->now < resp->wait)
			resp->wait = (int)(res->expires - req->now);
	}
}

/* Prepare the mailbox operation op on id (NULL: create). */
static enum route_next
mailbox(const struct route_req *req, const char *id, enum mbox_op op,
    struct route_call *call, struct route_resp *resp)
{
	struct mbox_req *m = &call->mreq;

	if (op != MBOX_DISPLAY && req->body_len > 0 &&
	    !is_json(req->content_type)) {
		route_error(resp, TGERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
		return ROUTE_ANSWER;
	}
	if (!check_headers(req, op, call->claim, resp))
		return ROUTE_ANSWER;
	call->op = op;
	if (id != NULL)
		memcpy(call->id, id, sizeof(call->id));
	m->op = op;
	m->id = id != NULL ? call->id : NULL;
	m->claim = op == MBOX_DISPLAY ? NULL : call->claim;
	m->request_id = req->request_id;
	m->body = req->body;
	m->body_len = req->body_len;
	mbox_parse(m);
	return ROUTE_MAILBOX;
}

void
route_finish(struct route_ctx *ctx, const struct route_req *req,
    const struct route_call *call, struct mbox_res *res,
    struct route_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	answer(ctx, req, call->op, res, resp);
	if (resp->wait > 0)
		memcpy(resp->wait_id, call->id, sizeof(resp->wait_id));
}

void
route_call_clear(struct route_call *call)
{
	mbox_req_clear(&call->mreq);
}

/* Checks before any operation: size of headers, path, method, body. */
static enum tgerr
precheck(const struct route_req *req, enum target t, struct route_resp *resp)
{
	bool get = strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0;

	if (t == T_NONE)
		return TGERR_NOT_FOUND;
	if (t == T_WELL_KNOWN && !get)
		resp->allow = "GET, HEAD";
	else if (t == T_COLLECTION && strcmp(req->method, "POST") != 0)
		resp->allow = "POST";
	else if (t == T_MAILBOX && mailbox_op(req->method) == 0)
		resp->allow = "GET, HEAD, POST, PUT, DELETE, PATCH";
	if (resp->allow != NULL)
		return TGERR_METHOD_NOT_ALLOWED;
	if (req->body_len > TG_BODY_MAX)
		return TGERR_TOO_LARGE;
	if (req->repeated != NULL)
		return TGERR_HEADER_VALUE;
	return TGERR_OK;
}

enum route_next
route_begin(struct route_ctx *ctx, const struct route_req *req,
    struct route_call *call, struct route_resp *resp)
{
	char		id[UUID_STR_SIZE] = "";
	enum target	t = parse_path(req->path, id);
	enum tgerr	err;

	memset(resp, 0, sizeof(*resp));
	memset(call, 0, sizeof(*call));
	if ((err = precheck(req, t, resp)) != TGERR_OK) {
		route_error(resp, err, err == TGERR_HEADER_VALUE ?
		    req->repeated : NULL, err == TGERR_TOO_LARGE ?
		    "request body over 98304 bytes" : err == TGERR_HEADER_VALUE ?
		    "header given more than once" : NULL);
		return ROUTE_ANSWER;
	}
	if (t == T_WELL_KNOWN) {
		well_known(ctx, resp);
		return ROUTE_ANSWER;
	}
	if (t == T_MAILBOX)
		return mailbox(req, id, mailbox_op(req->method), call, resp);
	return mailbox(req, NULL, MBOX_CREATE, call, resp);
}

void
route_handle(struct route_ctx *ctx, const struct route_req *req,
    struct route_resp *resp)
{
	struct mbox_ctx		mctx = { ctx->store, ctx->policy, req->now };
	struct route_call	call;
	struct mbox_res		res;

	if (route_begin(ctx, req, &call, resp) == ROUTE_ANSWER)
		return;
	mbox_handle(&mctx, &call.mreq, &res);
	route_finish(ctx, req, &call, &res, resp);
	mbox_res_clear(&res);
	route_call_clear(&call);
}

void
route_resp_clear(struct route_resp *resp)
{
	free(resp->body);
	free(resp->notice.type);
	free(resp->notice.token);
	memset(resp, 0, sizeof(*resp));
}
