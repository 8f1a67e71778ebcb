/*
 * mbox: the relay's protocol semantics.  Each operation is one function
 * that reads the mailbox, decides, and writes it back; mbox_apply() runs
 * it as one request of the caller's transaction with the duplicate-request
 * check (errata E-DUP-201-BODY, E-DUP-SCOPE) around it, and
 * mbox_read_only() answers reads that change nothing from a read handle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbox.h"
#include "msg.h"
#include "preview.h"
#include "text.h"

enum role { ROLE_NONE, ROLE_INITIATOR, ROLE_RECIPIENT };

static void
set_err(struct mbox_res *res, enum tgerr err, const char *field,
    const char *detail)
{
	res->err = err;
	res->status = tgerr_http_status(err);
	(void)text_copy(res->field, sizeof(res->field), field ? field : "");
	res->detail = detail;
}

/* The one mapping of store errors to protocol errors. */
static enum tgerr
store_fault(enum store_err e)
{
	switch (e) {
	case STORE_OK:
		return TGERR_OK;
	case STORE_NOTFOUND:
		return TGERR_NOT_FOUND;
	case STORE_BUSY:
	case STORE_FULL:
	case STORE_DOWN:
	case STORE_CONFLICT:
		return TGERR_UNAVAILABLE;
	case STORE_ENOMEM:
		return TGERR_NOMEM;
	default:
		return TGERR_INTERNAL;
	}
}

/* Why a store could not take a request, for the error message. */
static const char *
store_detail(enum store_err e)
{
	switch (e) {
	case STORE_FULL:
		return "the relay's storage is full; retry later";
	case STORE_DOWN:
		return "the relay's store is unreachable; retry later";
	case STORE_BUSY:
	case STORE_CONFLICT:
		return "the relay's store is busy; retry later";
	default:
		return NULL;
	}
}

/* Replace *slot with a copy of s (NULL allowed).  False on ENOMEM. */
static bool
replace(char **slot, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return false;
	free(*slot);
	*slot = copy;
	return true;
}

static enum role
role_of(const struct store_mailbox *m, const char *claim)
{
	if (strcmp(claim, m->initiator) == 0)
		return ROLE_INITIATOR;
	if (m->recipient[0] != '\0' && strcmp(claim, m->recipient) == 0)
		return ROLE_RECIPIENT;
	return ROLE_NONE;
}

/* A live mailbox: expired ones are gone (errata E-EXPIRED-404). */
static enum store_err
fetch_live(struct mbox_ctx *ctx, const char *id, struct store_mailbox *m)
{
	enum store_err e = store_get(ctx->store, id, m);

	if (e == STORE_OK && m->expires <= ctx->now) {
		store_mailbox_clear(m);
		e = STORE_NOTFOUND;
	}
	return e;
}

/* Remember the notification token the caller gave for its role. */
static bool
keep_token(struct store_mailbox *m, enum role r, const struct msg_notify *n)
{
	if (!n->present)
		return true;
	if (r == ROLE_INITIATOR)
		return replace(&m->init_ntype, n->type) &&
		    replace(&m->init_ntoken, n->token);
	return replace(&m->rcpt_ntype, n->type) &&
	    replace(&m->rcpt_ntoken, n->token);
}

/* Prepare a notice for the party other than r, if it gave a token. */
static bool
notice_other(struct mbox_res *res, const struct store_mailbox *m, enum role r,
    const char *event)
{
	const char *type = r == ROLE_INITIATOR ? m->rcpt_ntype : m->init_ntype;
	const char *token = r == ROLE_INITIATOR ? m->rcpt_ntoken :
	    m->init_ntoken;

	res->notice.event = event;
	if (type == NULL || token == NULL)
		return true;
	return replace(&res->notice.type, type) &&
	    replace(&res->notice.token, token);
}

static char *
url_of(const struct mbox_ctx *ctx, const char *id)
{
	size_t	 n = strlen(ctx->policy->public_url) + sizeof("/v1/m/") +
	    UUID_STR_SIZE;
	char	*url = malloc(n);

	if (url != NULL) {
		size_t k = text_copy(url, n, ctx->policy->public_url);

		k = text_append(url, n, k, "/v1/m/");
		(void)text_append(url, n, k, id);
	}
	return url;
}

/* Lifetime and rights from the request (errata E-EXPIRATION). */
static enum tgerr
configure(struct mbox_ctx *ctx, const struct msg *m, struct store_mailbox *mb,
    struct mbox_res *res)
{
	mb->rights = m->config.rights;
	mb->expires = ctx->now + ctx->policy->default_ttl;
	if (!m->config.present)
		return TGERR_OK;
	mb->expires = m->config.expiration;
	if (mb->expires <= ctx->now) {
		set_err(res, TGERR_FIELD_VALUE, "mailboxConfiguration.expiration",
		    "expiration is not in the future");
		return res->err;
	}
	if (mb->expires > ctx->now + ctx->policy->max_ttl) {
		set_err(res, TGERR_FIELD_VALUE, "mailboxConfiguration.expiration",
		    "expiration is beyond this relay's maximum lifetime "
		    "(see /.well-known/tigress)");
		return res->err;
	}
	return TGERR_OK;
}

static enum tgerr
do_create(struct mbox_ctx *ctx, const struct mbox_req *req,
    const struct msg *m, struct mbox_res *res, struct store_mailbox *mb)
{
	enum store_err	 e;
	enum tgerr	 err;
	char		*url = NULL;
	long		 live = 0, swept = 0;

	if ((err = configure(ctx, m, mb, res)) != TGERR_OK)
		return err;
	if ((e = store_count_live(ctx->store, ctx->now, &live)) != STORE_OK)
		return store_fault(e);
	/* At the limit, expired mailboxes not yet swept make room. */
	if (live >= ctx->policy->max_mailboxes &&
	    ((e = store_sweep(ctx->store, ctx->now, MBOX_SWEEP_AT_LIMIT,
	    &swept)) != STORE_OK ||
	    (e = store_count_live(ctx->store, ctx->now, &live)) != STORE_OK))
		return store_fault(e);
	if (live >= ctx->policy->max_mailboxes)
		return TGERR_CAPACITY;
	if (req->new_id[0] != '\0')
		memcpy(mb->id, req->new_id, sizeof(mb->id));
	else if ((err = uuid_new_v4(mb->id)) != TGERR_OK)
		return err;
	(void)text_copy(mb->initiator, sizeof(mb->initiator), req->claim);
	mb->created = ctx->now;
	mb->etag = 1;
	mb->aead = mb->init_aead = (int)m->payload.aead;
	if (!replace(&mb->title, m->display.title) ||
	    !replace(&mb->description, m->display.description) ||
	    !replace(&mb->image_url, m->display.image_url) ||
	    !replace(&mb->data, m->payload.data) ||
	    !replace(&mb->init_data, m->payload.data) ||
	    !keep_token(mb, ROLE_INITIATOR, &m->notify))
		return TGERR_NOMEM;
	if ((e = store_put_new(ctx->store, mb)) != STORE_OK)
		return store_fault(e);
	if ((url = url_of(ctx, mb->id)) == NULL)
		return TGERR_NOMEM;
	res->body = msg_build_create_response(url,
	    ctx->policy->push_supported);
	free(url);
	return res->body != NULL ? TGERR_OK : TGERR_NOMEM;
}

static enum tgerr
do_update(struct mbox_ctx *ctx, const struct mbox_req *req,
    const struct msg *m, struct mbox_res *res, struct store_mailbox *mb)
{
	enum role	r = role_of(mb, req->claim);
	enum store_err	e;

	if (r == ROLE_NONE || (mb->rights & MSG_RIGHT_WRITE) == 0)
		return TGERR_UNAUTHORIZED;
	mb->aead = (int)m->payload.aead;
	if (!replace(&mb->data, m->payload.data) ||
	    !keep_token(mb, r, &m->notify))
		return TGERR_NOMEM;
	if (r == ROLE_INITIATOR) {
		mb->init_aead = mb->aead;
		if (!replace(&mb->init_data, m->payload.data))
			return TGERR_NOMEM;
	}
	mb->etag++;
	if (!notice_other(res, mb, r, "update"))
		return TGERR_NOMEM;
	if ((e = store_put(ctx->store, mb)) != STORE_OK)
		return store_fault(e);
	res->body = msg_build_update_response(ctx->policy->push_supported);
	return res->body != NULL ? TGERR_OK : TGERR_NOMEM;
}

static enum tgerr
do_delete(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res, struct store_mailbox *mb)
{
	enum role	r = role_of(mb, req->claim);
	enum store_err	e;

	/* The initiator may always cancel (errata E-ACCESS-RIGHTS). */
	if (r == ROLE_NONE || (r == ROLE_RECIPIENT &&
	    (mb->rights & MSG_RIGHT_DELETE) == 0))
		return TGERR_UNAUTHORIZED;
	if (!notice_other(res, mb, r, "delete"))
		return TGERR_NOMEM;
	if ((e = store_del(ctx->store, mb->id)) != STORE_OK)
		return store_fault(e);
	res->body = msg_build_empty();
	return res->body != NULL ? TGERR_OK : TGERR_NOMEM;
}

/* Errata E-RELINQUISH-CONTENT: the next recipient sees the initiator's. */
static enum tgerr
do_relinquish(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res, struct store_mailbox *mb)
{
	enum store_err e;

	if (role_of(mb, req->claim) != ROLE_RECIPIENT)
		return TGERR_UNAUTHORIZED;
	mb->recipient[0] = '\0';
	mb->aead = mb->init_aead;
	if (!replace(&mb->data, mb->init_data) ||
	    !replace(&mb->rcpt_ntype, NULL) || !replace(&mb->rcpt_ntoken, NULL))
		return TGERR_NOMEM;
	mb->etag++;
	if ((e = store_put(ctx->store, mb)) != STORE_OK)
		return store_fault(e);
	res->body = msg_build_empty();
	return res->body != NULL ? TGERR_OK : TGERR_NOMEM;
}

/* A read binds a recipient or keeps a token: it takes the write path. */
static bool
read_writes(const struct store_mailbox *mb, const struct mbox_req *req)
{
	return req->msg.notify.present ||
	    (role_of(mb, req->claim) == ROLE_NONE && mb->recipient[0] == '\0');
}

static enum tgerr
read_answer(const struct store_mailbox *mb, struct mbox_res *res)
{
	struct msg_display	d = { mb->title, mb->description,
	    mb->image_url };
	struct payload_ref	p = { (enum payload_aead)mb->aead, mb->data,
	    strlen(mb->data), 0 };

	res->etag = mb->etag;
	res->expires = mb->expires;
	res->body = msg_build_read_response(&d, &p, mb->expires);
	return res->body != NULL ? TGERR_OK : TGERR_NOMEM;
}

static enum tgerr
do_read(struct mbox_ctx *ctx, const struct mbox_req *req, const struct msg *m,
    struct mbox_res *res, struct store_mailbox *mb)
{
	enum role		r = role_of(mb, req->claim);
	enum store_err		e;
	bool			dirty = read_writes(mb, req);

	if (r == ROLE_NONE && mb->recipient[0] != '\0')
		return TGERR_UNAUTHORIZED;
	if (r == ROLE_NONE) {	/* the first other device binds (§4.1) */
		(void)text_copy(mb->recipient, sizeof(mb->recipient),
		    req->claim);
		r = ROLE_RECIPIENT;
	}
	if (!keep_token(mb, r, &m->notify))
		return TGERR_NOMEM;
	if (dirty && (e = store_put(ctx->store, mb)) != STORE_OK)
		return store_fault(e);
	return read_answer(mb, res);
}

/*
 * GET: the preview page, which binds nothing and changes nothing.  False
 * when a read handle was busy (nothing answered).
 */
static bool
do_display(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res)
{
	struct store_mailbox	 mb;
	struct preview		 p;
	enum store_err		 e = fetch_live(ctx, req->id, &mb);

	if (e == STORE_BUSY)
		return false;
	if (e != STORE_OK) {
		set_err(res, store_fault(e), NULL, store_detail(e));
		return true;
	}
	char *url = url_of(ctx, mb.id);

	p.title = mb.title;
	p.description = mb.description;
	p.image_url = mb.image_url;
	p.url = url;
	p.expires = mb.expires;
	if (url != NULL)
		res->body = preview_build(&p, &res->body_len);
	free(url);
	store_mailbox_clear(&mb);
	if (res->body == NULL)
		set_err(res, TGERR_NOMEM, NULL, NULL);
	else
		res->status = 200;
	return true;
}

static enum msg_kind
body_kind(enum mbox_op op)
{
	switch (op) {
	case MBOX_CREATE:
		return MSG_CREATE_REQUEST;
	case MBOX_UPDATE:
		return MSG_UPDATE_REQUEST;
	case MBOX_READ:
		return MSG_READ_REQUEST;
	default:
		return MSG_KIND_COUNT;	/* no body is read */
	}
}

/*
 * A request id this claim already used successfully: answer 201 with the
 * original body, or 409 when it named another operation or mailbox.
 * Returns true when the request has been answered.
 */
static bool
replayed(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res)
{
	struct store_log	l;
	enum store_err		e;

	if (req->request_id == NULL || req->op == MBOX_READ)
		return false;
	e = store_log_get(ctx->store, req->claim, req->request_id, ctx->now,
	    &l);
	if (e == STORE_NOTFOUND)
		return false;
	if (e != STORE_OK)
		set_err(res, store_fault(e), NULL, store_detail(e));
	else if (l.op != (int)req->op ||
	    (req->op != MBOX_CREATE && strcmp(l.mailbox, req->id) != 0))
		set_err(res, TGERR_REQUEST_ID_CONFLICT, NULL,
		    "this request id was used for another request");
	else {
		res->status = 201;
		res->body = l.body;
		res->body_len = strlen(l.body);
		l.body = NULL;
	}
	store_log_clear(&l);
	return true;
}

/* Remember a successful mutating request for replays. */
static enum tgerr
remember(struct mbox_ctx *ctx, const struct mbox_req *req,
    const struct store_mailbox *mb, const struct mbox_res *res)
{
	struct store_log l;

	if (req->request_id == NULL || req->op == MBOX_READ)
		return TGERR_OK;
	memset(&l, 0, sizeof(l));
	(void)text_copy(l.claim, sizeof(l.claim), req->claim);
	(void)text_copy(l.request_id, sizeof(l.request_id), req->request_id);
	l.op = (int)req->op;
	(void)text_copy(l.mailbox, sizeof(l.mailbox), mb->id);
	l.body = res->body;
	l.expires = mb->expires;
	return store_fault(store_log_put(ctx->store, &l));
}

static enum tgerr
dispatch(struct mbox_ctx *ctx, const struct mbox_req *req,
    const struct msg *m, struct mbox_res *res, struct store_mailbox *mb)
{
	enum tgerr err;

	if (req->op == MBOX_CREATE)
		return do_create(ctx, req, m, res, mb);
	if ((err = store_fault(fetch_live(ctx, req->id, mb))) != TGERR_OK)
		return err;
	switch (req->op) {
	case MBOX_UPDATE:
		return do_update(ctx, req, m, res, mb);
	case MBOX_DELETE:
		return do_delete(ctx, req, res, mb);
	case MBOX_RELINQUISH:
		return do_relinquish(ctx, req, res, mb);
	case MBOX_READ:
		return do_read(ctx, req, m, res, mb);
	default:
		return TGERR_INTERNAL;
	}
}

/* Nothing happened: notify nobody, wake nobody. */
static void
forget_effects(struct mbox_res *res)
{
	free(res->notice.type);
	free(res->notice.token);
	res->notice.type = res->notice.token = NULL;
	res->changed[0] = '\0';
}

void
mbox_parse(struct mbox_req *req)
{
	enum msg_kind kind = body_kind(req->op);

	memset(&req->msg, 0, sizeof(req->msg));
	req->perr = TGERR_OK;
	req->new_id[0] = '\0';
	if (kind != MSG_KIND_COUNT)
		req->perr = msg_parse(kind, req->body, req->body_len,
		    &req->msg);
	/* On failure do_create draws again (and answers that error). */
	if (req->op == MBOX_CREATE && uuid_new_v4(req->new_id) != TGERR_OK)
		req->new_id[0] = '\0';
}

void
mbox_want(struct store *s, const struct mbox_req *req)
{
	/* as replayed() reads the log */
	if (req->request_id != NULL && req->op != MBOX_READ &&
	    req->op != MBOX_DISPLAY)
		store_want(s, STORE_WANT_LOG, req->claim, req->request_id);
	if (req->perr != TGERR_OK)	/* answered before any other read */
		return;
	if (req->op != MBOX_CREATE)
		store_want(s, STORE_WANT_MAILBOX, req->id, NULL);
	else {
		store_want(s, STORE_WANT_COUNT, NULL, NULL);
		if (req->new_id[0] != '\0')
			store_want(s, STORE_WANT_MAILBOX, req->new_id, NULL);
	}
}

void
mbox_req_clear(struct mbox_req *req)
{
	msg_free(&req->msg);
	memset(&req->msg, 0, sizeof(req->msg));
}

/* The request's work, between store_mark() and store_release(). */
static enum tgerr
apply_marked(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res, struct store_mailbox *mb)
{
	enum tgerr err;

	/* A replay is answered whatever its body (§5.1). */
	if (replayed(ctx, req, res))
		return res->err;
	if (req->perr != TGERR_OK) {
		set_err(res, req->perr, req->msg.field, NULL);
		return req->perr;
	}
	err = dispatch(ctx, req, &req->msg, res, mb);
	if (err == TGERR_OK)
		err = remember(ctx, req, mb, res);
	return err;
}

void
mbox_apply(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res)
{
	struct store_mailbox	 mb;
	enum tgerr		 err;
	enum store_err		 e;

	memset(res, 0, sizeof(*res));
	memset(&mb, 0, sizeof(mb));
	if (req->op == MBOX_DISPLAY) {
		(void)do_display(ctx, req, res);
		return;
	}
	if ((e = store_mark(ctx->store)) != STORE_OK) {
		set_err(res, store_fault(e), NULL, store_detail(e));
		return;
	}
	err = apply_marked(ctx, req, res, &mb);
	store_release(ctx->store, err == TGERR_OK && res->status != 201 ?
	    1 : 0);
	if (res->err == TGERR_OK && res->status == 201) {
		forget_effects(res);	/* a replay: the original body */
	} else if (err != TGERR_OK || res->err != TGERR_OK) {
		free(res->body);
		res->body = NULL;
		forget_effects(res);
		if (res->err == TGERR_OK)
			set_err(res, err, NULL, NULL);
	} else {
		res->status = 200;
		res->body_len = strlen(res->body);
		if (req->op != MBOX_READ)
			(void)text_copy(res->changed, sizeof(res->changed),
			    mb.id);
	}
	store_mailbox_clear(&mb);
}

void
mbox_res_fail(struct mbox_res *res, enum store_err err)
{
	if (err == STORE_OK || res->err != TGERR_OK || res->status == 201)
		return;		/* an error or a replay: nothing was to keep */
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
	forget_effects(res);
	set_err(res, store_fault(err), NULL, store_detail(err));
}

bool
mbox_read_only(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res)
{
	struct store_mailbox	mb;
	enum store_err		e;

	memset(res, 0, sizeof(*res));
	if (req->op == MBOX_DISPLAY)
		return do_display(ctx, req, res);
	if (req->op != MBOX_READ)
		return false;
	if (req->perr != TGERR_OK) {
		set_err(res, req->perr, req->msg.field, NULL);
		return true;
	}
	if ((e = fetch_live(ctx, req->id, &mb)) == STORE_BUSY)
		return false;
	if (e != STORE_OK) {
		set_err(res, store_fault(e), NULL, store_detail(e));
		return true;
	}
	if (read_writes(&mb, req)) {
		store_mailbox_clear(&mb);
		return false;
	}
	enum tgerr err = role_of(&mb, req->claim) == ROLE_NONE ?
	    TGERR_UNAUTHORIZED : read_answer(&mb, res);
	if (err != TGERR_OK)
		set_err(res, err, NULL, NULL);
	else {
		res->status = 200;
		res->body_len = strlen(res->body);
	}
	store_mailbox_clear(&mb);
	return true;
}

void
mbox_handle(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res)
{
	struct mbox_req	r = *req;
	enum store_err	e = STORE_OK;

	mbox_parse(&r);
	if (req->op == MBOX_DISPLAY) {
		mbox_apply(ctx, &r, res);
		mbox_req_clear(&r);
		return;
	}
	if ((e = store_begin(ctx->store, STORE_LOCK_WAIT)) == STORE_OK) {
		mbox_want(ctx->store, &r);
		if ((e = store_fetch(ctx->store)) != STORE_OK)
			store_rollback(ctx->store);
	}
	if (e != STORE_OK) {
		memset(res, 0, sizeof(*res));
		set_err(res, store_fault(e), NULL, store_detail(e));
	} else {
		mbox_apply(ctx, &r, res);
		if ((e = store_commit(ctx->store)) != STORE_OK) {
			store_rollback(ctx->store);
			mbox_res_fail(res, e);
		}
	}
	mbox_req_clear(&r);
}

void
mbox_res_clear(struct mbox_res *res)
{
	free(res->body);
	free(res->notice.type);
	free(res->notice.token);
	memset(res, 0, sizeof(*res));
}
