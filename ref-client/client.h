/*
 * client: the relay API of draft-vinokurov-tigress-http-00 §5-§6 as seen
 * by a device: one function per operation, over a struct http_transport.
 *
 * Every operation sends a fresh Mailbox-Request-ID (a version 4 UUID).  A
 * request that timed out or lost its connection is sent again with the
 * same Request-ID, up to ctx->retries times, and a 201 answer is taken as
 * the original request's success with the original body (http-00 §5.1,
 * errata E-DUP-201-BODY).  The claim travels in the header the profile
 * names (errata E-SCT04-HEADERS).  URLs given to these functions are API
 * URLs without query or fragment (shareurl_api_url()); error messages name
 * only the relay's origin, never a path with a Secret.
 *
 * The error vocabulary of the whole client (enum client_err) is here: each
 * value is one class of failure with its own CLI exit code (cli.h).
 */
#ifndef TIGRESS_CLIENT_CLIENT_H
#define TIGRESS_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "msg.h"
#include "preview.h"

#define CLIENT_MSG_SIZE		512	/* one error line */
#define CLIENT_ORIGIN_MAX	(TG_HOST_MAX + 16)	/* https://host:port */
#define CLIENT_RETRIES_MAX	10
#define CLIENT_WAIT_MAX		3600	/* seconds of one long-poll */
#define CLIENT_LIFETIME_MAX	(10L * 365 * 86400)	/* a believable one */

enum client_err {
	CLIENT_OK = 0,
	CLIENT_ERR_INTERNAL,	/* out of memory, CSPRNG, local write */
	CLIENT_ERR_USAGE,	/* bad options or option values */
	CLIENT_ERR_INPUT,	/* bad file, JSON, share URL, state file */
	CLIENT_ERR_NETWORK,	/* relay unreachable, connection failures */
	CLIENT_ERR_TLS,		/* TLS handshake or certificate failure */
	CLIENT_ERR_REFUSED,	/* other 4xx/5xx, or an invalid answer */
	CLIENT_ERR_CRYPTO,	/* wrong Secret or tampered payload */
	CLIENT_ERR_GONE,	/* 404: expired, deleted, never existed */
	CLIENT_ERR_CLAIMED,	/* 401 when binding: another recipient */
	CLIENT_ERR_TIMEOUT,	/* wait gave up */
	CLIENT_ERR_COUNT
};

/* A failure: its class and one line for people (never the Secret). */
struct client_error {
	enum client_err	code;
	long		status;		/* the relay's HTTP status, or 0 */
	bool		json_error;	/* the answer was a TIGRESS error body */
	char		msg[CLIENT_MSG_SIZE];
};

enum client_profile {
	CLIENT_PROFILE_HTTP00 = 0,	/* Mailbox-Device-Claim, ... */
	CLIENT_PROFILE_SCT04,		/* Device-Claim, ... */
};

struct client_ctx {
	struct http_transport	*transport;
	enum client_profile	 profile;
	const char		*attestation;	/* NULL: none sent */
	int			 retries;	/* sends after the first */
	long			 timeout;	/* seconds per request */
	long			 retry_delay_ms;	/* first pause; doubles */
	/* The clock and the pause, replaceable by tests; arg is theirs. */
	int64_t			(*now_ms)(void *arg);
	void			(*sleep_ms)(void *arg, long ms);
	/* Optional trace of requests (method, API URL, Request-ID, status). */
	void			(*log)(void *arg, const char *line);
	void			*arg;
};

/* What /.well-known/tigress (spec/extensions.md X-WELL-KNOWN) offers. */
struct client_relay_info {
	bool	 known;		/* the document was there and parsed */
	bool	 long_poll;
	long	 max_wait;	/* seconds */
	int64_t	 default_lifetime; /* seconds of a mailbox made without a
				   lifetime; 0: not advertised */
};

/* A read's outcome: 200 with *msg (a read_response), or 304. */
struct client_read {
	long		 status;
	struct msg	 msg;		/* release with msg_free() */
	char		 etag[HTTP_ETAG_MAX];
};

/* A short sentence for the class (static). */
const char *client_strerror(enum client_err err);

/* A stable code for the class, "network", "gone", ... (static). */
const char *client_err_code(enum client_err err);

/* Fill *e (printf-style message; status 0; e may be NULL); returns code. */
enum client_err client_fail(struct client_error *e, enum client_err code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Defaults: real clock and sleep, 3 retries, 30 s, no log. */
void client_ctx_init(struct client_ctx *ctx, struct http_transport *t);

/* "http-00" or "sct-04"; false when unknown. */
bool client_profile_from_name(const char *name, enum client_profile *p);

/*
 * The canonical relay base "https://host[:port]" of relay (which may end
 * in "/"), checked with the share URL rules.  Errors: CLIENT_ERR_USAGE.
 */
enum client_err client_relay_base(const char *relay,
    char out[CLIENT_ORIGIN_MAX], struct client_error *e);

/* The "https://host[:port]" part of an API URL (for messages). */
void client_origin(const char *url, char out[CLIENT_ORIGIN_MAX]);

/* The client_err of a relay answer (status and error code). */
enum client_err client_status_class(long status, bool binding);

/*
 * CreateMailbox (§6.1): POST base/v1/m with the create_request body.  On
 * success *out is the parsed create_response (msg_free()).
 */
enum client_err client_create(struct client_ctx *ctx, const char *base,
    const char *claim, const char *body, struct msg *out,
    struct client_error *e);

/* UpdateMailbox (§6.2) with an update_request body. */
enum client_err client_update(struct client_ctx *ctx, const char *api_url,
    const char *claim, const char *body, struct client_error *e);

/*
 * ReadSecureContentFromMailbox (§6.5) with body (NULL or "" for none).
 * With etag and wait > 0 it asks the relay to hold the answer (X-LONG-
 * POLL) and a 304 is a success.  binding: a 401 means another device
 * holds the mailbox.  On success *out holds the answer (release out->msg
 * with msg_free()).
 */
enum client_err client_read(struct client_ctx *ctx, const char *api_url,
    const char *claim, const char *body, const char *etag, long wait,
    bool binding, struct client_read *out, struct client_error *e);

/* DeleteMailbox (§6.3). */
enum client_err client_delete(struct client_ctx *ctx, const char *api_url,
    const char *claim, struct client_error *e);

/* RelinquishMailbox (§6.6). */
enum client_err client_relinquish(struct client_ctx *ctx,
    const char *api_url, const char *claim, struct client_error *e);

/*
 * ReadDisplayInformationFromMailbox (§6.4): the preview page, parsed.
 * Release *out with preview_parsed_free().
 */
enum client_err client_display(struct client_ctx *ctx, const char *api_url,
    struct preview_parsed *out, struct client_error *e);

/*
 * GET origin/.well-known/tigress.  A relay without it is not an error:
 * out->known is false.  Errors: network and TLS failures only.
 */
enum client_err client_well_known(struct client_ctx *ctx,
    const char *origin, struct client_relay_info *out,
    struct client_error *e);

#endif
