/*
 * route: method, path, header and limit checks in the order a client
 * would want them reported, then the operation (mbox.c).  Long-poll
 * (spec/extensions.md X-LONG-POLL) is decided here and carried out by
 * server.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "route.h"

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
		snprintf(message, sizeof(message), "%s", detail);
	else if (field != NULL && *field != '\0')
		snprintf(message, sizeof(message), "%s: %s", field,
		    tgerr_strerror(err));
	else
		snprintf(message, sizeof(message), "%s", tgerr_strerror(err));
	free(resp->body);
	resp->status = tgerr_http_status(err);
	resp->content_type = "application/json";
	resp->body = msg_build_error(tgerr_code(err), message);
	resp->body_len = resp->body != NULL ? strlen(resp->body) : 0;
	resp->is_preview = false;
	if (err == TGERR_CAPACITY)
		resp->retry_after = ROUTE_RETRY_AFTER;
}

/* An acceptable Mailbox-Request-ID (errata E-REQID-FORM). */
static bool
request_id_ok(const char *s)
{
	size_t n = strlen(s);

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
	    !request_id_ok(req->request_id)) {
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

/* Seconds asked for by "Prefer: wait=N" (RFC 7240); 0 when none. */
static int
prefer_wait(const char *prefer)
{
	const char	*p;
	long		 v = 0;

	if (prefer == NULL || (p = strstr(prefer, "wait=")) == NULL)
		return 0;
	for (p += 5; *p >= '0' && *p <= '9' && v < 1000000; p++)
		v = v * 10 + (*p - '0');
	return (int)v;
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
	int wait = prefer_wait(req->prefer);
	if (!req->no_wait && wait > 0 && req->if_none_match != NULL &&
	    strcmp(req->if_none_match, resp->etag) == 0) {
		resp->wait = wait < ctx->max_wait ? wait : ctx->max_wait;
		/* Wake at the expiration second, to answer 404 then. */
		if (res->expires - req->now < resp->wait)
			resp->wait = (int)(res->expires - req->now);
	}
}

static void
mailbox(struct route_ctx *ctx, const struct route_req *req, const char *id,
    enum mbox_op op, struct route_resp *resp)
{
	struct mbox_ctx	 mctx = { ctx->store, ctx->policy, req->now };
	struct mbox_req	 mreq;
	struct mbox_res	 res;
	char		 claim[UUID_STR_SIZE];

	if (op != MBOX_DISPLAY && req->body_len > 0 &&
	    !is_json(req->content_type)) {
		route_error(resp, TGERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
		return;
	}
	if (!check_headers(req, op, claim, resp))
		return;
	mreq.op = op;
	mreq.id = id;
	mreq.claim = op == MBOX_DISPLAY ? NULL : claim;
	mreq.request_id = req->request_id;
	mreq.body = req->body;
	mreq.body_len = req->body_len;
	mbox_handle(&mctx, &mreq, &res);
	answer(ctx, req, op, &res, resp);
	if (resp->wait > 0)
		memcpy(resp->wait_id, id, sizeof(resp->wait_id));
	mbox_res_clear(&res);
}

/* Checks before any operation: size of headers, path, method, body. */
static enum tgerr
precheck(const struct route_req *req, enum target t, struct route_resp *resp)
{
	bool get = strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0;

	if (req->header_bytes > ROUTE_HEADERS_MAX)
		return TGERR_HEADERS_TOO_LARGE;
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
	return TGERR_OK;
}

void
route_handle(struct route_ctx *ctx, const struct route_req *req,
    struct route_resp *resp)
{
	char		id[UUID_STR_SIZE] = "";
	enum target	t = parse_path(req->path, id);
	enum tgerr	err;

	memset(resp, 0, sizeof(*resp));
	if ((err = precheck(req, t, resp)) != TGERR_OK)
		route_error(resp, err, NULL, err == TGERR_TOO_LARGE ?
		    "request body over 98304 bytes" : NULL);
	else if (t == T_WELL_KNOWN)
		well_known(ctx, resp);
	else if (t == T_MAILBOX)
		mailbox(ctx, req, id, mailbox_op(req->method), resp);
	else
		mailbox(ctx, req, NULL, MBOX_CREATE, resp);
}

void
route_resp_clear(struct route_resp *resp)
{
	free(resp->body);
	free(resp->notice.type);
	free(resp->notice.token);
	memset(resp, 0, sizeof(*resp));
}
