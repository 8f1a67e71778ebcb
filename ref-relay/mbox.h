/*
 * mbox: what the relay does with mailboxes (http-00 §4-§6 and the
 * decisions of spec/errata.md): who may do what, binding the recipient,
 * duplicate request ids, expiry, capacity.  No I/O of its own: it works
 * on a struct store handle and leaves HTTP to route.c.
 *
 * A request is parsed on any thread (mbox_parse), applied on a store
 * thread as one request of a transaction that may hold others
 * (mbox_apply, see storeq.h), and answered once that transaction has
 * committed.  Reads that change nothing are answered from a read handle
 * (mbox_read_only) without taking the write path.
 */
#ifndef TIGRESS_RELAY_MBOX_H
#define TIGRESS_RELAY_MBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "tglimits.h"
#include "store.h"
#include "tgerr.h"
#include "uuid.h"

enum mbox_op {
	MBOX_CREATE = 1,	/* POST /v1/m */
	MBOX_UPDATE,		/* PUT /v1/m/{id} */
	MBOX_DELETE,		/* DELETE /v1/m/{id} */
	MBOX_RELINQUISH,	/* PATCH /v1/m/{id} */
	MBOX_READ,		/* POST /v1/m/{id} */
	MBOX_DISPLAY,		/* GET or HEAD /v1/m/{id} */
};

struct mbox_policy {
	int64_t		 default_ttl;	/* seconds */
	int64_t		 max_ttl;
	long		 max_mailboxes;
	bool		 push_supported;
	const char	*public_url;	/* "https://host[:port]", no slash */
};

struct mbox_ctx {
	struct store			*store;
	const struct mbox_policy	*policy;
	int64_t				 now;	/* epoch seconds */
};

#define MBOX_SWEEP_AT_LIMIT	64	/* expired removed by a create at the limit */

struct mbox_req {
	enum mbox_op	 op;
	const char	*id;		/* canonical; NULL for create */
	const char	*claim;		/* canonical; NULL for display */
	const char	*request_id;	/* NULL when absent */
	const char	*body;
	size_t		 body_len;
	/* filled by mbox_parse(); released by mbox_req_clear() */
	struct msg	 msg;
	enum tgerr	 perr;		/* the body's fault, if any */
	char		 new_id[UUID_STR_SIZE];	/* create: the id to take */
};

/* A notification to hand to the notifier once the change is committed. */
struct mbox_notice {
	char		*type;		/* NULL: nobody to notify */
	char		*token;
	const char	*event;		/* "update" or "delete" */
};

struct mbox_res {
	int			 status;	/* 200, 201, or the error's */
	enum tgerr		 err;
	char			 field[TG_FIELD_PATH_MAX];	/* of err */
	const char		*detail;	/* static text for err */
	char			*body;		/* JSON, or HTML for display */
	size_t			 body_len;
	int64_t			 etag;		/* content version (read) */
	int64_t			 expires;	/* of the mailbox read */
	char			 changed[UUID_STR_SIZE];	/* wake waiters */
	struct mbox_notice	 notice;
};

/*
 * Parse req's body (no store needed) into req->msg and req->perr; a
 * create also draws its mailbox's id here (req->new_id), so that the
 * store can be told of it before the request runs (mbox_want).
 */
void mbox_parse(struct mbox_req *req);
void mbox_req_clear(struct mbox_req *req);

/*
 * Carry out the parsed req inside the transaction open on ctx->store, as
 * one request (store_mark/store_release).  Always fills *res (release
 * with mbox_res_clear()): on success status 200 or 201 and body; on
 * failure err, field and detail, with status tgerr_http_status(err).
 * res->changed and res->notice hold only once the caller's commit has
 * succeeded; when it fails, call mbox_res_fail().
 */
void mbox_apply(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res);

/*
 * Tell store s what mbox_apply(req) is going to read (store_want), so
 * that a transaction of many requests reads it all at once (store_fetch).
 */
void mbox_want(struct store *s, const struct mbox_req *req);

/* The commit of res's transaction failed with err: answer that instead. */
void mbox_res_fail(struct mbox_res *res, enum store_err err);

/*
 * Answer a parsed read or display from a read handle, when it writes
 * nothing (no binding, no token to keep).  False, with *res empty, when
 * req needs the write path or the handle was busy.
 */
bool mbox_read_only(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res);

/* Parse, apply and commit req as a transaction of its own. */
void mbox_handle(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res);

void mbox_res_clear(struct mbox_res *res);

#endif
