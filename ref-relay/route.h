/*
 * route: HTTP requests to relay operations and back, without doing any
 * I/O.  server.c fills a struct route_req from libevent and sends what
 * route_handle() puts in struct route_resp.  Every check of method, path,
 * headers and limits is here, and every failure becomes a JSON error body
 * with the status tgerr_http_status() gives (errata E-ERROR-BODY).
 */
#ifndef TIGRESS_RELAY_ROUTE_H
#define TIGRESS_RELAY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbox.h"

#define ROUTE_HEADERS_MAX	8192	/* spec/extensions.md X-LIMITS */
#define ROUTE_RETRY_AFTER	60	/* seconds, with 503 capacity */

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
	const char	*prefer;
	const char	*if_none_match;
	size_t		 header_bytes;	/* request line and headers */
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

/* Handle one request.  Always fills *resp; release it with the next. */
void route_handle(struct route_ctx *ctx, const struct route_req *req,
    struct route_resp *resp);
void route_resp_clear(struct route_resp *resp);

#endif
