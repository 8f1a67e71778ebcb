/*
 * mbox: what the relay does with mailboxes (http-00 §4-§6 and the
 * decisions of spec/errata.md): who may do what, binding the recipient,
 * duplicate request ids, expiry, capacity.  No I/O of its own: it works
 * on a struct store handle inside one transaction per request and leaves
 * HTTP to route.c.
 */
#ifndef TIGRESS_RELAY_MBOX_H
#define TIGRESS_RELAY_MBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct mbox_req {
	enum mbox_op	 op;
	const char	*id;		/* canonical; NULL for create */
	const char	*claim;		/* canonical; NULL for display */
	const char	*request_id;	/* NULL when absent */
	const char	*body;
	size_t		 body_len;
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
 * Carry out req.  Always fills *res (release with mbox_res_clear()): on
 * success status 200 or 201 and body; on failure err, field and detail,
 * with status tgerr_http_status(err).
 */
void mbox_handle(struct mbox_ctx *ctx, const struct mbox_req *req,
    struct mbox_res *res);

void mbox_res_clear(struct mbox_res *res);

#endif
