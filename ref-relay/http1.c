/*
 * http1: one HTTP/1.1 server connection.  llhttp does the parsing; this
 * file keeps what llhttp hands over (target, fields, body) within the
 * limits, adds the checks llhttp leaves to its user (RFC 9112: Host,
 * obs-fold, field-name syntax, version), runs the deadlines, and writes
 * answers.  llhttp is built in its strict mode (Makefile), which refuses
 * a bare CR where its default mode skips the byte after it (the end of
 * the head, the chunked framing).  The states:
 *
 *   IDLE   waiting for the first byte of a request (head or idle timer)
 *   HEAD   reading the request line and fields (head timer)
 *   BODY   reading the body (body timer)
 *   WAIT   the owner has the request (or a fault) and has not answered
 *   WRITE  the answer is going out
 *   LINGER answered and closing: read and drop what the client still
 *          sends, so that it sees the answer rather than a reset
 *   DEAD   the client left during WAIT: freed when the owner answers
 *   CLOSE  to be freed from the event loop (never from inside a call)
 *
 * The head arena and the body buffer are allocated when a request
 * begins, so that idle connections cost little.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <openssl/ssl.h>

#include "llhttp.h"

#include "http1.h"

#define LINGER_MS	500		/* drop input for this long at close */
#define LINGER_MAX	(256 * 1024)	/* or until this much was dropped */
#define INPUT_HIGH	(256 * 1024)	/* stop reading beyond this */
#define FIELD_SLACK	(2 * HTTP1_FIELDS_MAX + 8)	/* NULs in the arena */
#define LINE_OVERHEAD	4		/* ": " and CRLF of a field line */
#define DATE_SIZE	40
#define DECIMAL_SIZE	24	/* a size_t in decimal, and its NUL */
#define METHOD_MAX	64		/* of a method llhttp does not know */

enum state {
	S_IDLE, S_HEAD, S_BODY, S_WAIT, S_WRITE, S_LINGER, S_DEAD, S_CLOSE
};

enum part { P_NONE, P_URL, P_NAME, P_VALUE };

/* Reading the fields of a head whose request line was refused. */
enum skim { SKIM_NONE, SKIM_LINE, SKIM_FIELDS };

struct http1_conn {
	struct bufferevent		*bev;
	struct event			*timer;
	const struct http1_limits	*lim;
	const struct http1_handler	*h;
	void				*arg;
	llhttp_t			 parser;
	enum state			 state;
	enum tgerr			 fault;		/* found by a callback */
	enum skim			 skim;		/* fault is the answer */
	bool				 keep_alive;
	bool				 head_method;
	bool				 fresh;		/* no request yet */
	char				 date[DATE_SIZE];	/* of date_at */
	time_t				 date_at;
	/* the head, as NUL-terminated strings in arena */
	char				*arena;
	size_t				 arena_len, arena_cap;
	size_t				 head_bytes;	/* as sent, about */
	size_t				 head_raw;	/* bytes fed in HEAD */
	bool				 head_full;	/* over head_max */
	enum part			 part;
	size_t				 target_off;
	size_t				 name_off[HTTP1_FIELDS_MAX];
	size_t				 value_off[HTTP1_FIELDS_MAX];
	int				 nfields;
	/* Mailbox-Request-ID, kept also beyond head_max for the echo */
	char				 name[32];
	size_t				 name_len;
	char				 rid[HTTP1_REQUEST_ID_MAX + 2];
	size_t				 rid_len;
	int				 rids;
	bool				 rid_open;	/* value not complete */
	bool				 rid_line_done;	/* but its line ended */
	/* for the obs-fold check: what precedes the data being parsed */
	const char			*feed_start;
	char				 feed_prev;
	/* the first bytes of a head, to tell an unknown method from junk */
	char				 line[METHOD_MAX];
	size_t				 line_len;
	char				*body;
	size_t				 body_len, body_cap;
	size_t				 linger_bytes;
	struct http1_field		 fields[HTTP1_FIELDS_MAX];
	struct http1_req		 req;
};

static void conn_free(struct http1_conn *c);
static void close_soon(struct http1_conn *c);
static void feed(struct http1_conn *c);
static void read_pending(struct http1_conn *c);

/* ---- small helpers ---------------------------------------------------- */

static bool
is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static struct http1_conn *
conn_of(llhttp_t *p)
{
	return p->data;
}

static int
fail_with(struct http1_conn *c, enum tgerr err)
{
	if (c->fault == TGERR_OK)
		c->fault = err;
	return HPE_USER;
}

static void
arm_timer(struct http1_conn *c, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (evtimer_add(c->timer, &tv) != 0)
		close_soon(c);		/* cannot keep a deadline: give up */
}

/* Append to the arena unless the head is already over its limit. */
static void
arena_put(struct http1_conn *c, const char *at, size_t n)
{
	if (c->head_full || c->arena_len + n + 1 > c->arena_cap) {
		c->head_full = true;
		return;
	}
	memcpy(c->arena + c->arena_len, at, n);
	c->arena_len += n;
}

static void
arena_end(struct http1_conn *c)
{
	if (!c->head_full)
		c->arena[c->arena_len++] = '\0';
}

/* Count head bytes; beyond the limit nothing more is stored. */
static void
count_head(struct http1_conn *c, size_t n)
{
	c->head_bytes += n;
	if (c->head_bytes > c->lim->head_max)
		c->head_full = true;
}

/* ---- llhttp callbacks ------------------------------------------------- */

static int
on_message_begin(llhttp_t *p)
{
	struct http1_conn *c = conn_of(p);

	if (c->arena == NULL &&
	    (c->arena = malloc(c->lim->head_max + FIELD_SLACK)) == NULL)
		return fail_with(c, TGERR_NOMEM);
	c->arena_cap = c->lim->head_max + FIELD_SLACK;
	/* A new connection's deadline runs from the connect; a skimmed
	 * head's from its first byte, as before. */
	if (!c->fresh && c->skim == SKIM_NONE)
		arm_timer(c, c->lim->head_ms);
	c->state = S_HEAD;
	return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t n)
{
	struct http1_conn *c = conn_of(p);

	c->part = P_URL;
	count_head(c, n);
	arena_put(c, at, n);
	return 0;
}

static int
on_url_complete(llhttp_t *p)
{
	struct http1_conn *c = conn_of(p);

	/* The request line's method, spaces, version and CRLF. */
	count_head(c, strlen(llhttp_method_name(p->method)) + 12);
	arena_end(c);
	return 0;
}

static int
on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct http1_conn *c = conn_of(p);

	if (c->part != P_NAME) {
		if (c->nfields == HTTP1_FIELDS_MAX)
			return fail_with(c, TGERR_HEADERS_TOO_LARGE);
		c->part = P_NAME;
		c->name_off[c->nfields] = c->arena_len;
		c->name_len = 0;
		count_head(c, LINE_OVERHEAD);
	}
	/* RFC 9112 §5.1: no whitespace between the name and the colon. */
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)at[i]))
			return fail_with(c, TGERR_HTTP_SYNTAX);
	if (c->name_len + n < sizeof(c->name))
		memcpy(c->name + c->name_len, at, n);
	c->name_len += n;
	count_head(c, n);
	arena_put(c, at, n);
	return 0;
}

static bool
is_request_id(const struct http1_conn *c)
{
	static const char want[] = "Mailbox-Request-ID";

	return c->name_len == sizeof(want) - 1 &&
	    strncasecmp(c->name, want, sizeof(want) - 1) == 0;
}

static int
on_header_field_complete(llhttp_t *p)
{
	struct http1_conn *c = conn_of(p);

	arena_end(c);
	c->value_off[c->nfields] = c->arena_len;
	if (is_request_id(c)) {
		c->rid_len = 0;
		c->rids++;
		c->rid_open = true;
	}
	return 0;
}

static int
on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct http1_conn	*c = conn_of(p);
	char			 before = at == c->feed_start ? c->feed_prev :
	    at[-1];

	/* RFC 9112 §5.2: a value continued on the next line (obs-fold). */
	if (c->part == P_VALUE && before == '\n')
		return fail_with(c, TGERR_HTTP_SYNTAX);
	c->part = P_VALUE;
	if (is_request_id(c)) {
		size_t room = sizeof(c->rid) - 1 - c->rid_len;

		c->rid_line_done = false;
		memcpy(c->rid + c->rid_len, at, n < room ? n : room);
		c->rid_len += n < room ? n : room;
	}
	count_head(c, n);
	arena_put(c, at, n);
	return 0;
}

static int
on_header_value_complete(llhttp_t *p)
{
	struct http1_conn	*c = conn_of(p);
	size_t			 start = c->value_off[c->nfields];

	/* llhttp keeps trailing whitespace (OWS) in the value. */
	while (!c->head_full && c->arena_len > start &&
	    (c->arena[c->arena_len - 1] == ' ' ||
	    c->arena[c->arena_len - 1] == '\t'))
		c->arena_len--;
	while (c->rid_len > 0 && (c->rid[c->rid_len - 1] == ' ' ||
	    c->rid[c->rid_len - 1] == '\t'))
		c->rid_len--;
	c->rid[c->rid_len] = '\0';
	c->rid_open = false;
	arena_end(c);
	c->nfields++;
	c->part = P_NONE;
	return 0;
}

/* RFC 9112 §3.2: uri-host [ ":" port ], as far as its characters go. */
static bool
host_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if (!is_tchar((unsigned char)*v) &&
		    strchr(":[]()!$&',;=", *v) == NULL)
			return false;
	return true;
}

/*
 * The Host rule, the version, and Transfer-Encoding: none in HTTP/1.0
 * (RFC 9112 §6.1: framing a 1.0 hop may not have honoured is faulty),
 * and no coding but chunked alone (a list such as "identity, chunked"
 * is read differently by different hops): what llhttp leaves to its user.
 */
static enum tgerr
check_head(struct http1_conn *c)
{
	const char	*host = NULL;
	int		 hosts = 0;

	if (c->head_full)
		return TGERR_HEADERS_TOO_LARGE;
	if (c->parser.http_major != 1 || c->parser.http_minor > 1)
		return TGERR_HTTP_SYNTAX;
	if (c->parser.http_minor == 0 &&
	    (c->parser.flags & F_TRANSFER_ENCODING))
		return TGERR_HTTP_SYNTAX;
	for (int i = 0; i < c->nfields; i++) {
		const char *name = c->arena + c->name_off[i];

		if (strcasecmp(name, "Host") == 0) {
			host = c->arena + c->value_off[i];
			hosts++;
		}
		if (strcasecmp(name, "Transfer-Encoding") == 0 &&
		    strcasecmp(c->arena + c->value_off[i], "chunked") != 0)
			return TGERR_HTTP_SYNTAX;
	}
	if (hosts > 1 || (hosts == 0 && c->parser.http_minor == 1) ||
	    (host != NULL && !host_ok(host)))
		return TGERR_HTTP_SYNTAX;
	return TGERR_OK;
}

/* Room for a body of n bytes and its NUL (a chunked one grows). */
static bool
body_room(struct http1_conn *c, size_t n)
{
	size_t	 cap = c->body_cap;
	char	*b;

	if (n + 1 <= cap)
		return true;
	while (cap < n + 1)
		cap = cap < 1024 ? 1024 : cap * 2;
	if (cap > c->lim->body_max + 1)
		cap = c->lim->body_max + 1;
	if ((b = realloc(c->body, cap)) == NULL)
		return false;
	c->body = b;
	c->body_cap = cap;
	return true;
}

static bool
expects_continue(const struct http1_conn *c)
{
	for (int i = 0; i < c->nfields; i++)
		if (strcasecmp(c->arena + c->name_off[i], "Expect") == 0 &&
		    strcasecmp(c->arena + c->value_off[i], "100-continue") == 0)
			return true;
	return false;
}

static int
on_headers_complete(llhttp_t *p)
{
	struct http1_conn	*c = conn_of(p);
	enum tgerr		 err;

	if (c->skim != SKIM_NONE)	/* the fields are read: answer */
		return HPE_USER;
	if ((err = check_head(c)) != TGERR_OK)
		return fail_with(c, err);
	if ((p->flags & F_CONTENT_LENGTH) &&
	    p->content_length > c->lim->body_max)
		return fail_with(c, TGERR_TOO_LARGE);
	if ((p->flags & F_CONTENT_LENGTH) &&
	    !body_room(c, (size_t)p->content_length))
		return fail_with(c, TGERR_NOMEM);
	c->state = S_BODY;
	arm_timer(c, c->lim->body_ms);
	if (c->parser.http_minor == 1 && expects_continue(c) &&
	    (p->flags & (F_CONTENT_LENGTH | F_CHUNKED)) &&
	    bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25) !=
	    0)
		return fail_with(c, TGERR_NOMEM);
	return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t n)
{
	struct http1_conn *c = conn_of(p);

	if (n > c->lim->body_max - c->body_len)
		return fail_with(c, TGERR_TOO_LARGE);
	if (!body_room(c, c->body_len + n))
		return fail_with(c, TGERR_NOMEM);
	memcpy(c->body + c->body_len, at, n);
	c->body_len += n;
	return 0;
}

static int
on_message_complete(llhttp_t *p)
{
	(void)p;
	return HPE_PAUSED;	/* one request at a time */
}

static const llhttp_settings_t settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_url_complete = on_url_complete,
	.on_header_field = on_header_field,
	.on_header_field_complete = on_header_field_complete,
	.on_header_value = on_header_value,
	.on_header_value_complete = on_header_value_complete,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* ---- requests to the owner ------------------------------------------- */

/* The path of an origin-form or absolute-form target, without query. */
static const char *
target_path(char *target)
{
	char *p = target, *q;

	if (strncasecmp(p, "http://", 7) == 0 ||
	    strncasecmp(p, "https://", 8) == 0) {
		p = strstr(p, "://") + 3;
		p += strcspn(p, "/?");
		if (*p != '/')
			return "/";
	}
	if ((q = strchr(p, '?')) != NULL)
		*q = '\0';
	return p;
}

/*
 * The request id read, when it was given once and in full: complete, or
 * the last field, whose line ended in input llhttp took without fault
 * (llhttp completes a value only when the next line shows it is not
 * folded).  A value cut by a fault is not whole: its prefix is not the
 * id that was sent.
 */
static const char *
request_id(struct http1_conn *c)
{
	bool whole = !c->rid_open || c->rid_line_done;

	if (c->rids != 1 || !whole || c->rid_len > HTTP1_REQUEST_ID_MAX)
		return NULL;
	c->rid[c->rid_len] = '\0';
	return c->rid;
}

static void
dispatch(struct http1_conn *c)
{
	struct http1_req *r = &c->req;

	(void)evtimer_del(c->timer);
	c->state = S_WAIT;
	c->fresh = false;
	/* An Upgrade is not followed: answer, then close. */
	c->keep_alive = llhttp_should_keep_alive(&c->parser) &&
	    !c->parser.upgrade;
	c->head_method = c->parser.method == HTTP_HEAD;
	for (int i = 0; i < c->nfields; i++) {
		c->fields[i].name = c->arena + c->name_off[i];
		c->fields[i].value = c->arena + c->value_off[i];
	}
	if (c->body != NULL)
		c->body[c->body_len] = '\0';
	r->method = llhttp_method_name(c->parser.method);
	r->target = c->arena + c->target_off;
	r->path = target_path(c->arena + c->target_off);
	r->fields = c->fields;
	r->nfields = c->nfields;
	r->body = c->body != NULL ? c->body : "";
	r->body_len = c->body_len;
	c->h->request(c, r, c->arg);
}

/*
 * A method llhttp does not know: 501 when what came is a token (RFC 9110
 * §9.1; followed by a space, or not yet followed by anything), else the
 * request line is junk: 400.
 */
static enum tgerr
method_fault(const struct http1_conn *c)
{
	for (size_t i = 0; i < c->line_len; i++) {
		unsigned char ch = (unsigned char)c->line[i];

		if (ch == ' ')
			return i > 0 ? TGERR_NOT_IMPLEMENTED : TGERR_HTTP_SYNTAX;
		if (!is_tchar(ch))
			return TGERR_HTTP_SYNTAX;
	}
	return c->line_len > 0 ? TGERR_NOT_IMPLEMENTED : TGERR_HTTP_SYNTAX;
}

/* A refused request: the owner answers, then the connection closes. */
static void
fault(struct http1_conn *c, enum tgerr err)
{
	(void)evtimer_del(c->timer);
	c->state = S_WAIT;
	c->keep_alive = false;
	c->h->fault(c, err, request_id(c), c->arg);
}

static enum tgerr
parse_fault(struct http1_conn *c, llhttp_errno_t e)
{
	/* A callback's own fault, whatever code llhttp reports it with. */
	if (c->fault != TGERR_OK)
		return c->fault;
	if (e == HPE_INVALID_METHOD)
		return method_fault(c);
	return TGERR_HTTP_SYNTAX;
}

/* What a head cut short (deadline, size) is refused for. */
static enum tgerr
cut_fault(const struct http1_conn *c, enum tgerr err)
{
	return c->skim != SKIM_NONE ? c->fault : err;
}

/*
 * llhttp stops at a method it does not know and at a version it refuses,
 * before the fields, but the answer echoes the request id all the same
 * (errata E-REQID-FORM): keep the refusal, and read the rest of the head
 * for its fields (skim_line(), then llhttp as usual).  Whatever comes,
 * the answer is that refusal, once the head is read, cut by its deadline
 * or size, or found malformed.  Junk (not a method) is answered at once:
 * it may never end a head (a TLS handshake on the plain port).
 */
static bool
skim_start(struct http1_conn *c, llhttp_errno_t e)
{
	enum tgerr err = parse_fault(c, e);

	if (c->skim != SKIM_NONE || (e != HPE_INVALID_VERSION &&
	    (e != HPE_INVALID_METHOD || err != TGERR_NOT_IMPLEMENTED)))
		return false;
	c->fault = err;
	c->skim = SKIM_LINE;
	return true;
}

/*
 * Drop the refused request line (what llhttp took of it is drained
 * already) up to its LF, then parse a neutral one in its place: what
 * follows is read as the fields of that request.  Returns -1 on failure.
 */
static int
skim_line(struct http1_conn *c, struct evbuffer *in,
    const struct evbuffer_iovec *v)
{
	static const char	 neutral[] = "GET / HTTP/1.1\r\n";
	const char		*lf = memchr(v->iov_base, '\n', v->iov_len);
	size_t			 n = lf == NULL ? v->iov_len :
	    (size_t)(lf + 1 - (const char *)v->iov_base);

	c->head_raw += n;
	if (evbuffer_drain(in, n) != 0)
		return -1;
	if (lf == NULL)
		return 0;
	c->skim = SKIM_FIELDS;
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	c->feed_start = neutral;
	c->feed_prev = '\n';
	return llhttp_execute(&c->parser, neutral, sizeof(neutral) - 1) ==
	    HPE_OK ? 0 : -1;
}

/* Feed buffered input to llhttp until a request is complete or fails. */
static void
feed(struct http1_conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	llhttp_errno_t	 e;
	size_t		 used;

	while (c->state <= S_BODY && evbuffer_peek(in, -1, NULL, &v, 1) > 0 &&
	    v.iov_len > 0) {
		const char	*data = v.iov_base;
		bool		 in_head = c->state <= S_HEAD;

		if (c->skim == SKIM_LINE) {
			if (skim_line(c, in, &v) != 0 ||
			    c->head_raw > HTTP1_HEAD_HARD_MAX) {
				fault(c, c->fault);
				return;
			}
			continue;
		}
		c->feed_start = data;
		if (in_head && c->line_len < sizeof(c->line)) {
			size_t n = sizeof(c->line) - c->line_len;
			if (n > v.iov_len)
				n = v.iov_len;
			memcpy(c->line + c->line_len, data, n);
			c->line_len += n;
		}
		e = llhttp_execute(&c->parser, data, v.iov_len);
		used = e == HPE_OK ? v.iov_len :
		    (size_t)(llhttp_get_error_pos(&c->parser) - data);
		if (in_head)
			c->head_raw += used;
		if (e == HPE_OK || e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
			c->feed_prev = used > 0 ? data[used - 1] : c->feed_prev;
			c->rid_line_done = c->rid_open && c->part == P_VALUE &&
			    is_request_id(c) && used > 0 &&
			    data[used - 1] == '\n';
			if (evbuffer_drain(in, used) != 0)
				e = HPE_INTERNAL;
		}
		if (c->state == S_CLOSE)
			return;
		if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
			dispatch(c);
			return;
		}
		if (e != HPE_OK && skim_start(c, e))
			continue;
		if (e != HPE_OK) {
			fault(c, parse_fault(c, e));
			return;
		}
		if (c->state <= S_HEAD && c->head_raw > HTTP1_HEAD_HARD_MAX) {
			fault(c, cut_fault(c, TGERR_HEADERS_TOO_LARGE));
			return;
		}
	}
}

/* Ready for the next request on a kept-alive connection. */
static void
next_request(struct http1_conn *c)
{
	llhttp_resume(&c->parser);
	c->state = S_IDLE;
	c->fault = TGERR_OK;
	c->skim = SKIM_NONE;
	c->arena_len = 0;
	c->head_bytes = c->head_raw = 0;
	c->head_full = false;
	c->part = P_NONE;
	c->target_off = 0;
	c->nfields = 0;
	c->rid_len = 0;
	c->rids = 0;
	c->rid_line_done = false;
	c->body_len = 0;
	c->line_len = 0;
	memset(&c->req, 0, sizeof(c->req));
	arm_timer(c, c->lim->idle_ms);
	feed(c);
	read_pending(c);
}

/* ---- libevent callbacks ----------------------------------------------- */

static void
start_linger(struct http1_conn *c)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(c->bev);
	int	 fd = bufferevent_getfd(c->bev);

	c->state = S_LINGER;
	if (ssl != NULL)
		(void)SSL_shutdown(ssl);	/* close_notify; no reply awaited */
	if (fd >= 0)
		(void)shutdown(fd, SHUT_WR);
	if (bufferevent_disable(c->bev, EV_WRITE) != 0)
		close_soon(c);
	else
		arm_timer(c, LINGER_MS);
}

/*
 * OpenSSL reads ahead (worker.c): a whole TLS record, or several, in one
 * read(2) instead of a header and then a body.  libevent 2.1 reads from
 * OpenSSL only while SSL_pending() counts a record being decrypted, so
 * a pipelined record read ahead (or read with the handshake) would wait
 * for the socket to be readable again, perhaps for ever: have libevent
 * read again in this round while OpenSSL holds any.
 */
static void
read_pending(struct http1_conn *c)
{
	SSL *ssl;

	if (c->bev == NULL || (ssl = bufferevent_openssl_get_ssl(c->bev)) ==
	    NULL || !SSL_has_pending(ssl) ||
	    !(bufferevent_get_enabled(c->bev) & EV_READ))
		return;
	event_active(&c->bev->ev_read, EV_READ, 1);
}

/* Free c from the event loop: never while a caller may still use it. */
static void
close_soon(struct http1_conn *c)
{
	if (c->bev != NULL)
		(void)bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	c->state = S_CLOSE;
	event_active(c->timer, EV_TIMEOUT, 1);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct http1_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);

	if (c->state == S_LINGER) {
		c->linger_bytes += evbuffer_get_length(in);
		(void)evbuffer_drain(in, evbuffer_get_length(in));
		if (c->linger_bytes > LINGER_MAX)
			conn_free(c);
		return;
	}
	feed(c);
	read_pending(c);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct http1_conn *c = arg;

	(void)bev;
	if (c->state != S_WRITE)
		return;
	if (!c->keep_alive)
		start_linger(c);
	else
		next_request(c);
}

/* The client left, or the connection failed. */
static void
lost(struct http1_conn *c)
{
	if (c->state != S_WAIT) {
		conn_free(c);
		return;
	}
	/* The owner still holds the request: free the socket, keep c. */
	(void)evtimer_del(c->timer);
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->state = S_DEAD;
	c->h->gone(c, c->arg);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http1_conn *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		lost(c);
	else if (what & BEV_EVENT_CONNECTED)	/* the handshake is done */
		read_pending(c);
}

/* A deadline passed. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http1_conn *c = arg;

	(void)fd, (void)what;
	switch (c->state) {
	case S_HEAD:
	case S_BODY:
		fault(c, cut_fault(c, TGERR_REQUEST_TIMEOUT));
		break;
	case S_WAIT:
	case S_DEAD:
		break;
	default:	/* idle, lingering, or a new connection that sent nothing */
		conn_free(c);
		break;
	}
}

/* ---- public ----------------------------------------------------------- */

struct http1_conn *
http1_conn_new(struct event_base *base, struct bufferevent *bev,
    const struct http1_limits *limits, const struct http1_handler *h,
    void *arg)
{
	struct http1_conn	*c = calloc(1, sizeof(*c));
	struct timeval		 wt = { limits->write_ms / 1000,
	    (limits->write_ms % 1000) * 1000 };

	if (c == NULL)
		goto fail;
	c->bev = bev;
	c->lim = limits;
	c->h = h;
	c->arg = arg;
	c->fresh = true;
	if ((c->timer = evtimer_new(base, timer_cb, c)) == NULL)
		goto fail;
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(bev, EV_READ, 0, INPUT_HIGH);
	if (bufferevent_set_timeouts(bev, NULL, &wt) != 0 ||
	    bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		goto fail;
	c->state = S_IDLE;
	arm_timer(c, limits->head_ms);
	return c;
fail:
	if (c != NULL) {
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
	}
	bufferevent_free(bev);
	return NULL;
}

static void
conn_free(struct http1_conn *c)
{
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	event_free(c->timer);
	c->h->closed(c, c->arg);
	free(c->body);
	free(c->arena);
	free(c);
}

bool
http1_busy(const struct http1_conn *c)
{
	return c->state == S_HEAD || c->state == S_BODY ||
	    c->state == S_WAIT || c->state == S_WRITE || c->state == S_DEAD;
}

void
http1_abort(struct http1_conn *c)
{
	conn_free(c);
}

/* The Date field's value, made once a second per connection. */
static const char *
http_date(struct http1_conn *c)
{
	struct tm	tm;
	time_t		now = time(NULL);

	if (now == c->date_at && c->date[0] != '\0')
		return c->date;
	c->date_at = now;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(c->date, DATE_SIZE, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		c->date[0] = '\0';
	return c->date;
}

/* v in decimal at the end of buf; returns where it starts. */
static const char *
decimal(char buf[DECIMAL_SIZE], size_t v)
{
	char *p = buf + DECIMAL_SIZE - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) > 0 && p > buf);
	return p;
}

/* "name: value\r\n" (value may be a number's text). */
static int
add_field(struct evbuffer *out, const char *name, const char *value)
{
	return evbuffer_add(out, name, strlen(name)) != 0 ||
	    evbuffer_add(out, ": ", 2) != 0 ||
	    evbuffer_add(out, value, strlen(value)) != 0 ||
	    evbuffer_add(out, "\r\n", 2) != 0 ? -1 : 0;
}

/* The head, piece by piece: printf costed 5 % of a request's CPU. */
static int
write_head(struct http1_conn *c, struct evbuffer *out,
    const struct http1_resp *r, bool close)
{
	char		 num[DECIMAL_SIZE];
	bool		 bodyless = r->status == 304 || r->status == 204 ||
	    r->status < 200;
	const char	*reason = http1_reason(r->status);
	const char	*status = decimal(num, (size_t)r->status);

	if (evbuffer_add(out, "HTTP/1.1 ", 9) != 0 ||
	    evbuffer_add(out, status, strlen(status)) != 0 ||
	    evbuffer_add(out, " ", 1) != 0 ||
	    evbuffer_add(out, reason, strlen(reason)) != 0 ||
	    evbuffer_add(out, "\r\n", 2) != 0 ||
	    add_field(out, "Date", http_date(c)) != 0)
		return -1;
	if (!bodyless && add_field(out, "Content-Length",
	    decimal(num, r->body_len)) != 0)
		return -1;
	for (int i = 0; i < r->nfields; i++)
		if (add_field(out, r->fields[i].name, r->fields[i].value) != 0)
			return -1;
	if (close && evbuffer_add(out, "Connection: close\r\n", 19) != 0)
		return -1;
	return evbuffer_add(out, "\r\n", 2);
}

/*
 * Write the answer in this round of the loop.  libevent 2.1's socket and
 * OpenSSL bufferevents only add the write event and write once epoll
 * reports the socket writable: a second epoll_wait, and two epoll_ctl.
 * Made active now, the write runs in this round, and with the
 * changelist (worker.c) the event's add and delete cancel out.
 */
static void
send_now(struct http1_conn *c)
{
	if (event_pending(&c->bev->ev_write, EV_WRITE, NULL))
		event_active(&c->bev->ev_write, EV_WRITE, 1);
}

void
http1_respond(struct http1_conn *c, const struct http1_resp *r)
{
	struct evbuffer	*out;
	bool		 close;

	if (c->state == S_DEAD) {
		conn_free(c);
		return;
	}
	if (c->state != S_WAIT)
		return;		/* answered already: a bug of the owner */
	close = r->close || !c->keep_alive;
	c->keep_alive = !close;
	out = evbuffer_new();
	if (out == NULL || write_head(c, out, r, close) != 0 ||
	    (!c->head_method && r->status != 304 && r->body_len > 0 &&
	    evbuffer_add(out, r->body, r->body_len) != 0) ||
	    bufferevent_write_buffer(c->bev, out) != 0) {
		if (out != NULL)
			evbuffer_free(out);
		close_soon(c);
		return;
	}
	evbuffer_free(out);
	c->state = S_WRITE;
	send_now(c);
}

const char *
http1_field(const struct http1_req *r, const char *name)
{
	for (int i = 0; i < r->nfields; i++)
		if (strcasecmp(r->fields[i].name, name) == 0)
			return r->fields[i].value;
	return NULL;
}

int
http1_field_count(const struct http1_req *r, const char *name)
{
	int n = 0;

	for (int i = 0; i < r->nfields; i++)
		if (strcasecmp(r->fields[i].name, name) == 0)
			n++;
	return n;
}

const char *
http1_field_join(const struct http1_req *r, const char *name, char *out,
    size_t size)
{
	size_t	len = 0, n;
	bool	any = false;

	for (int i = 0; i < r->nfields; i++) {
		if (strcasecmp(r->fields[i].name, name) != 0)
			continue;
		n = strlen(r->fields[i].value);
		if (len + n + 3 > size)
			return NULL;
		if (any) {
			memcpy(out + len, ", ", 2);
			len += 2;
		}
		memcpy(out + len, r->fields[i].value, n);
		len += n;
		any = true;
	}
	if (!any || size == 0)
		return NULL;
	out[len] = '\0';
	return out;
}

const char *
http1_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}
