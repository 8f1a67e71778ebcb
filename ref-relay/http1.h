/*
 * http1: HTTP/1.1 server connections (RFC 9112) over one libevent
 * bufferevent each (plain or OpenSSL), parsed by llhttp.  The module
 * reads requests, enforces the head and body limits and deadlines and
 * the strict parsing rules of RFC 9112 §3.2 and §6.3, and writes the
 * answers its owner gives; it never writes an answer of its own: every
 * refused request is handed to the owner's fault callback as an enum
 * tgerr, so that every answer carries the relay's JSON error body.
 *
 * One request at a time per connection: the next one (pipelined) is
 * parsed only after the answer to the previous one has been written.
 * All calls and callbacks run on the thread of the connection's
 * event_base.
 */
#ifndef TIGRESS_RELAY_HTTP1_H
#define TIGRESS_RELAY_HTTP1_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "tgerr.h"

#define HTTP1_FIELDS_MAX	100	/* header fields of one request */
#define HTTP1_HEAD_HARD_MAX	65536	/* stop reading a head beyond this */
#define HTTP1_REQUEST_ID_MAX	1024	/* kept for the echo of a fault */

/* A header field; both strings NUL-terminated, owned by the module. */
struct http1_field {
	const char	*name;
	const char	*value;
};

/* A request, valid until the owner answers it. */
struct http1_req {
	const char			*method;	/* "GET", ... */
	const char			*target;	/* as sent */
	const char			*path;		/* without query */
	const struct http1_field	*fields;
	int				 nfields;
	const char			*body;		/* "" when none */
	size_t				 body_len;
};

struct http1_limits {
	size_t	head_max;	/* request line and fields: 431 beyond */
	size_t	body_max;	/* 413 beyond */
	int	head_ms;	/* from connect or first byte to a full head */
	int	body_ms;	/* from the head to the full body */
	int	idle_ms;	/* keep-alive: between answer and next request */
	int	write_ms;	/* an answer not taken by the client in time */
};

struct http1_conn;

/*
 * The owner's callbacks; arg is the one given to http1_conn_new().
 * request: a complete request: answer it once with http1_respond().
 * fault:   a request refused while reading (err: TGERR_HTTP_SYNTAX,
 *          _TOO_LARGE, _HEADERS_TOO_LARGE, _NOT_IMPLEMENTED,
 *          _REQUEST_TIMEOUT); request_id is its Mailbox-Request-ID
 *          when it was given once and read in full, at most
 *          HTTP1_REQUEST_ID_MAX bytes (else NULL; its form unchecked).
 *          An unknown method or a refused version is reported once the
 *          rest of the head is read (or cut by its deadline or size), so
 *          that its id is known too.  Answer it once with
 *          http1_respond(); the connection then closes.
 * gone:    the client went away while a request was outstanding: answer
 *          it soon (the answer is dropped and the connection freed).
 * closed:  the connection is freed; arg is not used by it afterwards.
 */
struct http1_handler {
	void	(*request)(struct http1_conn *c, const struct http1_req *r,
		    void *arg);
	void	(*fault)(struct http1_conn *c, enum tgerr err,
		    const char *request_id, void *arg);
	void	(*gone)(struct http1_conn *c, void *arg);
	void	(*closed)(struct http1_conn *c, void *arg);
};

struct http1_resp {
	int				 status;
	const struct http1_field	*fields;	/* besides Date, */
	int				 nfields;	/* Content-Length */
	const char			*body;
	size_t				 body_len;
	bool				 close;	/* close after this answer */
};

/*
 * Serve requests on bev (which the connection then owns and frees).
 * The deadline of the first request head starts now.  Returns NULL
 * (bev freed) when memory ran out.
 */
struct http1_conn *http1_conn_new(struct event_base *base,
    struct bufferevent *bev, const struct http1_limits *limits,
    const struct http1_handler *h, void *arg);

/*
 * Answer the outstanding request or fault.  The module adds Date,
 * Content-Length and (when closing) Connection: close, and leaves out the
 * body for HEAD and 304.  May free the connection (through closed()).
 */
void http1_respond(struct http1_conn *c, const struct http1_resp *r);

/*
 * Whether a request is being read, is with the owner, or its answer is
 * going out (false: idle between requests, or closing).
 */
bool http1_busy(const struct http1_conn *c);

/* Close at once (shutdown): an outstanding request is dropped. */
void http1_abort(struct http1_conn *c);

/* The first field called name (any case), or NULL. */
const char *http1_field(const struct http1_req *r, const char *name);

/* How many fields are called name (any case). */
int http1_field_count(const struct http1_req *r, const char *name);

/*
 * The values of every field called name joined with ", " into out (size
 * bytes, RFC 9110 §5.3); NULL when there is none or they do not fit.
 */
const char *http1_field_join(const struct http1_req *r, const char *name,
    char *out, size_t size);

/* The reason phrase of a status code ("Not Found"); static. */
const char *http1_reason(int status);

#endif
