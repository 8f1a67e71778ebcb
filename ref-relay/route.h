/*
 * route: HTTP requests to relay operations and back, without doing any
 * I/O.  worker.c fills a struct route_req from the HTTP layer and sends
 * what route puts in struct route_resp.  Every check of method, path and
 * headers is here, and every failure (also those of the HTTP layer,
 * route_fault) becomes a JSON error body with the status
 * tgerr_http_status() gives (errata E-ERROR-BODY).
 *
 * A request is answered in two steps, so that the store work can run
 * elsewhere: route_begin() checks it and either answers at once or
 * prepares a mailbox operation (route_call); the caller carries that out
 * (mbox_read_only() or mbox_apply() on a store thread) and route_finish()
 * turns the result into the answer.  route_handle() does both in one go
 * on ctx->store.
 */
#ifndef TIGRESS_RELAY_ROUTE_H
#define TIGRESS_RELAY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbox.h"

#define ROUTE_HEADERS_MAX	8192	/* spec/extensions.md X-LIMITS */
#define ROUTE_RETRY_AFTER	60	/* seconds, with 503 capacity */
#define ROUTE_RETRY_SOON	5	/* seconds, with 503 unavailable */
#define ROUTE_ECHO_MAX		1024	/* longest request id echoed */

struct route_ctx {
	struct store			*store;
	const struct mbox_policy	*policy;
	const char			*profile;	/* "http-00", "sct-04" */
	int				 max_wait;	/* long-poll cap */
};

struct route_req {
	const char	*method;	/* "GET", "POST", ... */
	const char	*path;		/* without query */
	const char	*claim;		/* header values; NULL if absent */
	const char	*claim_header;	/* its name, for messages */
	const char	*request_id;
	const char	*attestation;
	const char	*content_type;
	const char	*prefer;	/* every Prefer field, joined */
	const char	*if_none_match;
	const char	*repeated;	/* a header above given twice, or NULL */
	const char	*body;
	size_t		 body_len;
	bool		 no_wait;	/* a woken long-poll: answer now */
	int64_t		 now;
};

struct route_resp {
	int			 status;
	const char		*content_type;	/* static */
	char			*body;		/* malloc */
	size_t			 body_len;
	bool			 is_preview;	/* add the page's headers */
	char			 etag[32];	/* "" when none */
	int			 retry_after;	/* 0 when none */
	const char		*allow;		/* with 405 */
	int			 wait;		/* >0: hold up to this long */
	char			 wait_id[UUID_STR_SIZE];
	char			 changed[UUID_STR_SIZE];	/* wake these */
	struct mbox_notice	 notice;
};

/* A mailbox operation route_begin() prepared. */
struct route_call {
	enum mbox_op	 op;
	char		 id[UUID_STR_SIZE];
	char		 claim[UUID_STR_SIZE];
	struct mbox_req	 mreq;		/* parsed; strings are req's */
};

enum route_next {
	ROUTE_ANSWER,	/* *resp holds the answer */
	ROUTE_MAILBOX,	/* carry out call->mreq, then route_finish() */
};

/* Check req; fills *resp or *call (release with route_call_clear()). */
enum route_next route_begin(struct route_ctx *ctx,
    const struct route_req *req, struct route_call *call,
    struct route_resp *resp);

/* The answer to call from its result res (whose body moves to resp). */
void route_finish(struct route_ctx *ctx, const struct route_req *req,
    const struct route_call *call, struct mbox_res *res,
    struct route_resp *resp);
void route_call_clear(struct route_call *call);

/* The answer to a request the HTTP layer refused (http1.h's faults). */
void route_fault(enum tgerr err, struct route_resp *resp);

/* An acceptable Mailbox-Request-ID (errata E-REQID-FORM); NULL: no. */
bool route_request_id_ok(const char *s);

/*
 * Whether a Mailbox-Request-ID is echoed, the one place every answer asks
 * (errata E-REQID-FORM echoes also the one its 400 refuses): at most
 * ROUTE_ECHO_MAX bytes of printable ASCII, spaces included; never a
 * control character or a byte beyond ASCII.
 */
bool route_echo_ok(const char *s);

/* Seconds asked for by the wait preference of Prefer (RFC 7240); 0. */
int route_prefer_wait(const char *prefer);

/* Handle one request on ctx->store.  Always fills *resp. */
void route_handle(struct route_ctx *ctx, const struct route_req *req,
    struct route_resp *resp);
void route_resp_clear(struct route_resp *resp);

#endif
