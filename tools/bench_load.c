/*
 * bench_load: the load generator of `make bench` (tools/bench.py).
 *
 * Keep-alive HTTP/1.1 connections over TLS 1.3 (or plain), each running
 * one flow of TIGRESS requests in a loop, with every answer parsed by
 * llhttp and every latency recorded; at the end one JSON object on
 * stdout: requests per second and p50/p90/p99/max per operation.  It
 * limits nothing itself: libevent, no locks, a thread per core.
 *
 *   bench_load --url https://127.0.0.1:PORT [--ca FILE] --flow FLOW
 *              [--conns N] [--threads T] [--seconds S] [--warmup S]
 *              [--requests N] [--payload BYTES] [--path PATH] [--ttl S]
 *              [--trials N]
 *
 * Flows (each connection its own mailboxes and claims):
 *   stateless  create, the recipient's binding read, delete
 *   create     create only (with --requests: stop after N creates)
 *   bind       create, then the binding read (measured as "bind")
 *   reread     one bound mailbox per connection, read again and again
 *   update     one mailbox per connection, updated by its initiator
 *   static     GET --path (a static file, for nginx)
 *   longpoll   pairs: a held read, then the other party's update; the
 *              time from sending the update to the read's answer
 *              (--trials N per pair; --peer-url sends the updates to
 *              another relay node; give --url first)
 * Exit status 0, or 1 when the relay could not be reached, 2 on usage.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "llhttp.h"

#include "b64.h"

#define MAX_THREADS	16
#define MAX_CONNS	4096
#define UUID_LEN	36
#define BODY_MAX	(256 * 1024)
#define HOST_MAX	256
#define LP_DELAY_US	5000	/* a held read is parked before the update */
#define DEFAULT_TTL	3600	/* seconds, of the mailboxes made */

enum op {
	OP_CREATE, OP_BIND, OP_READ, OP_DELETE, OP_UPDATE, OP_STATIC,
	OP_WAKE, OP_SETUP, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"create", "bind", "read", "delete", "update", "static", "wake",
	"setup",
};

enum flow {
	F_STATELESS, F_CREATE, F_BIND, F_REREAD, F_UPDATE, F_STATIC,
	F_LONGPOLL
};

struct opts {
	char		 host[HOST_MAX];
	int		 port;
	bool		 tls;
	const char	*ca;
	enum flow	 flow;
	int		 conns, threads, trials;
	double		 seconds, warmup;
	long		 requests;	/* creates, for --flow create */
	int		 payload;	/* plaintext bytes */
	const char	*path;
	long		 ttl;
	char		 peer_host[HOST_MAX];	/* --peer-url: updaters' relay */
	int		 peer_port;
};

/* Latencies of one operation, in microseconds. */
struct lat {
	uint32_t	*v;
	size_t		 n, cap;
};

struct thread;

struct conn {
	struct thread		*t;
	struct bufferevent	*bev;
	llhttp_t		 parser;
	int			 status;
	char			 body[BODY_MAX];
	size_t			 body_len;
	char			 hname[32];
	size_t			 hname_len;
	bool			 in_etag;
	char			 etag[32];
	enum op			 op;
	int			 step;
	struct timespec		 sent;
	char			 claim[UUID_LEN + 1];
	char			 rcpt[UUID_LEN + 1];
	char			 id[UUID_LEN + 1];
	struct conn		*peer;		/* longpoll: the updater */
	bool			 waiting;	/* longpoll: read held */
	bool			 answered_once;
	int			 trials;
	struct event		*delay;
};

struct thread {
	const struct opts	*o;
	pthread_t		 tid;
	struct event_base	*base;
	SSL_CTX			*ssl;
	struct addrinfo		*ai;
	struct addrinfo		*peer_ai;	/* longpoll updaters */
	struct conn		*conns;
	int			 nconns;
	struct lat		 lat[OP_COUNT];
	long			 done, errors, creates;
	bool			 measuring, stopping, warm;
	int			 ready;		/* connections answered once */
	uint64_t		 rng;
	const char		*create_body;
	const char		*update_body;
	struct timespec		 start, end;
	int			 live;		/* connections still running */
};

static void next(struct conn *c);
static void maybe_start(struct thread *t);

/* ---- small helpers ---------------------------------------------------- */

static double
since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static uint64_t
rnd(struct thread *t)
{
	/* xorshift64*: claims and request ids need to be unique, not secret */
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 2685821657736338717ULL;
}

static void
new_uuid(struct thread *t, char out[UUID_LEN + 1])
{
	uint64_t a = rnd(t), b = rnd(t);

	snprintf(out, UUID_LEN + 1, "%08x-%04x-4%03x-%04x-%012llx",
	    (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
	    (unsigned)a & 0xfff, (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
	    (unsigned long long)(b & 0xffffffffffffULL));
}

static void
record(struct thread *t, enum op op, const struct timespec *sent)
{
	struct timespec	 now;
	struct lat	*l = &t->lat[op];
	double		 us;

	/* Only requests sent inside the window: a first request waits for
	 * the TLS handshakes of every connection. */
	if (!t->measuring || since(&t->start, sent) < 0 ||
	    clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return;
	us = since(sent, &now) * 1e6;
	if (l->n == l->cap) {
		size_t	  cap = l->cap ? l->cap * 2 : 4096;
		uint32_t *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = us > 4e9 ? 4000000000u : (uint32_t)us;
	t->done++;
}

/* ---- requests ---------------------------------------------------------- */

static void
send_req(struct conn *c, enum op op, const char *method, const char *path,
    const char *claim, bool rid, const char *extra, const char *body)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	char		 id[UUID_LEN + 1];
	size_t		 n = body != NULL ? strlen(body) : 0;
	int		 rc;

	c->op = op;
	c->status = 0;
	c->body_len = 0;
	c->etag[0] = '\0';
	rc = evbuffer_add_printf(out, "%s %s HTTP/1.1\r\nHost: %s\r\n", method,
	    path, c->t->o->host);
	if (claim != NULL)
		rc |= evbuffer_add_printf(out, "Mailbox-Device-Claim: %s\r\n",
		    claim);
	if (rid) {
		new_uuid(c->t, id);
		rc |= evbuffer_add_printf(out, "Mailbox-Request-ID: %s\r\n", id);
	}
	if (extra != NULL)
		rc |= evbuffer_add_printf(out, "%s", extra);
	if (body != NULL)
		rc |= evbuffer_add_printf(out, "Content-Type: application/json"
		    "\r\nContent-Length: %zu\r\n\r\n%s", n, body);
	else
		rc |= evbuffer_add(out, "\r\n", 2);
	if (rc < 0 || clock_gettime(CLOCK_MONOTONIC, &c->sent) != 0) {
		fprintf(stderr, "bench_load: cannot queue a request\n");
		exit(1);
	}
}

static void
mailbox_path(const struct conn *c, char *out, size_t size)
{
	snprintf(out, size, "/v1/m/%s", c->id);
}

static void
send_create(struct conn *c, enum op op)
{
	new_uuid(c->t, c->claim);
	send_req(c, op, "POST", "/v1/m", c->claim, true, NULL,
	    c->t->create_body);
}

static void
send_read(struct conn *c, enum op op, const char *claim, const char *extra)
{
	char path[64];

	mailbox_path(c, path, sizeof(path));
	send_req(c, op, "POST", path, claim, false, extra, NULL);
}

/* The mailbox id of a create answer: the urlLink's last 36 characters. */
static bool
take_id(struct conn *c)
{
	const char *p;

	c->body[c->body_len < BODY_MAX ? c->body_len : BODY_MAX - 1] = '\0';
	if ((p = strstr(c->body, "/v1/m/")) == NULL ||
	    strlen(p + 6) < UUID_LEN)
		return false;
	memcpy(c->id, p + 6, UUID_LEN);
	c->id[UUID_LEN] = '\0';
	return true;
}

/* ---- the flows --------------------------------------------------------- */

static void
flow_stateless(struct conn *c)
{
	char path[64];

	switch (c->step) {
	case 0:
		send_create(c, OP_CREATE);
		break;
	case 1:
		new_uuid(c->t, c->rcpt);
		send_read(c, OP_BIND, c->rcpt, NULL);
		break;
	default:
		mailbox_path(c, path, sizeof(path));
		send_req(c, OP_DELETE, "DELETE", path, c->claim, true, NULL,
		    NULL);
		break;
	}
}

static void
flow_setup_then(struct conn *c, enum op op)
{
	char path[64];

	if (c->step == 0)
		send_create(c, OP_SETUP);
	else if (c->step == 1) {
		new_uuid(c->t, c->rcpt);
		send_read(c, OP_SETUP, c->rcpt, NULL);
	} else if (op == OP_READ)
		send_read(c, OP_READ, c->rcpt, NULL);
	else {
		mailbox_path(c, path, sizeof(path));
		send_req(c, OP_UPDATE, "PUT", path, c->claim, true, NULL,
		    c->t->update_body);
	}
}

/* Longpoll pairs: c reads (recipient) while c->peer updates. */
static void
flow_longpoll(struct conn *c)
{
	char extra[96];

	if (c->peer == NULL)		/* the updater only answers */
		return;
	if (c->step == 0) {
		send_create(c, OP_SETUP);
		return;
	}
	if (c->step == 1) {
		new_uuid(c->t, c->rcpt);
		send_read(c, OP_SETUP, c->rcpt, NULL);
		return;
	}
	snprintf(extra, sizeof(extra), "If-None-Match: %s\r\n"
	    "Prefer: wait=10\r\n", c->etag);
	send_read(c, OP_SETUP, c->rcpt, extra);
	c->waiting = true;
	event_add(c->delay, &(struct timeval){ 0, LP_DELAY_US });
}

/* The held read is parked: the other party updates now. */
static void
delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg, *u = c->peer;
	char		 path[64];

	(void)fd, (void)what;
	memcpy(u->id, c->id, sizeof(u->id));
	memcpy(u->claim, c->claim, sizeof(u->claim));
	mailbox_path(u, path, sizeof(path));
	send_req(u, OP_UPDATE, "PUT", path, u->claim, true, NULL,
	    c->t->update_body);
	c->sent = u->sent;	/* the wake-up is timed from the update */
}

static void
next(struct conn *c)
{
	struct thread *t = c->t;

	if (t->stopping)
		return;
	switch (t->o->flow) {
	case F_STATELESS:
		flow_stateless(c);
		break;
	case F_CREATE:
		if (t->o->requests > 0 && t->creates >= t->o->requests) {
			t->stopping = true;
			event_base_loopexit(t->base, NULL);
			return;
		}
		t->creates++;
		send_create(c, OP_CREATE);
		break;
	case F_BIND:
		if (c->step == 0)
			send_create(c, OP_CREATE);
		else {
			new_uuid(t, c->rcpt);
			send_read(c, OP_BIND, c->rcpt, NULL);
		}
		break;
	case F_REREAD:
		flow_setup_then(c, OP_READ);
		break;
	case F_UPDATE:
		flow_setup_then(c, OP_UPDATE);
		break;
	case F_STATIC:
		send_req(c, OP_STATIC, "GET", t->o->path, NULL, false, NULL,
		    NULL);
		break;
	case F_LONGPOLL:
		flow_longpoll(c);
		break;
	}
}

/* An answer arrived: record it and move the flow on. */
static void
answered(struct conn *c)
{
	struct thread	*t = c->t;
	bool		 ok = c->status >= 200 && c->status < 300;
	int		 steps = t->o->flow == F_STATELESS ? 3 :
	    t->o->flow == F_BIND ? 2 : 0;

	if (c->op == OP_CREATE || (c->op == OP_SETUP && c->step == 0))
		ok = ok && take_id(c);
	if (!c->answered_once) {
		c->answered_once = true;
		t->ready++;
		maybe_start(t);
	}
	if (t->o->flow == F_LONGPOLL && c->peer == NULL)
		return;		/* the updater: the reader records */
	if (t->o->flow == F_LONGPOLL && c->waiting) {
		c->waiting = false;
		if (c->status == 200)
			record(t, OP_WAKE, &c->sent);
		else
			t->errors++;
		if (++c->trials >= t->o->trials && --t->live == 0)
			event_base_loopexit(t->base, NULL);
		if (c->trials >= t->o->trials)
			return;
		next(c);
		return;
	}
	if (!ok) {
		t->errors++;
		c->step = 0;	/* start the flow over */
		next(c);
		return;
	}
	if (c->op != OP_SETUP)
		record(t, c->op, &c->sent);
	c->step++;
	if (steps > 0 && c->step >= steps)
		c->step = 0;
	next(c);
}

/* ---- HTTP responses ---------------------------------------------------- */

static struct conn *
conn_of(llhttp_t *p)
{
	return p->data;
}

static int
on_status_complete(llhttp_t *p)
{
	conn_of(p)->status = p->status_code;
	return 0;
}

static int
on_hfield(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = conn_of(p);

	if (c->hname_len + n < sizeof(c->hname))
		memcpy(c->hname + c->hname_len, at, n);
	c->hname_len += n;
	return 0;
}

static int
on_hfield_done(llhttp_t *p)
{
	struct conn *c = conn_of(p);

	c->in_etag = c->hname_len == 4 && strncasecmp(c->hname, "ETag", 4) == 0;
	c->hname_len = 0;
	return 0;
}

static int
on_hvalue(llhttp_t *p, const char *at, size_t n)
{
	struct conn	*c = conn_of(p);
	size_t		 have = strlen(c->etag);

	if (c->in_etag && have + n < sizeof(c->etag)) {
		memcpy(c->etag + have, at, n);
		c->etag[have + n] = '\0';
	}
	return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = conn_of(p);

	if (c->body_len + n < BODY_MAX)
		memcpy(c->body + c->body_len, at, n);
	c->body_len += n;
	return 0;
}

static int
on_message_complete(llhttp_t *p)
{
	(void)p;
	return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
	.on_status_complete = on_status_complete,
	.on_header_field = on_hfield,
	.on_header_field_complete = on_hfield_done,
	.on_header_value = on_hvalue,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_iovec	 v;
	llhttp_errno_t		 e;

	while (evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
		e = llhttp_execute(&c->parser, v.iov_base, v.iov_len);
		if (e == HPE_OK) {
			evbuffer_drain(in, v.iov_len);
			continue;
		}
		if (e != HPE_PAUSED) {
			fprintf(stderr, "bench_load: bad answer: %s\n",
			    llhttp_errno_name(e));
			exit(1);
		}
		evbuffer_drain(in, (size_t)(llhttp_get_error_pos(&c->parser) -
		    (const char *)v.iov_base));
		llhttp_resume(&c->parser);
		answered(c);
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (!c->t->stopping) {
		fprintf(stderr, "bench_load: connection lost (%s)\n",
		    what & BEV_EVENT_EOF ? "closed by the server" : "error");
		exit(1);
	}
}

/* ---- threads ------------------------------------------------------------ */

static int
open_conn(struct thread *t, struct conn *c, const struct addrinfo *ai)
{
	SSL	*ssl = NULL;
	int	 one = 1, fd;

	c->t = t;
	llhttp_init(&c->parser, HTTP_RESPONSE, &settings);
	c->parser.data = c;
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    evutil_make_socket_nonblocking(fd) != 0) {
		fprintf(stderr, "bench_load: cannot connect: %s\n",
		    strerror(errno));
		return -1;
	}
	if (t->ssl != NULL) {
		if ((ssl = SSL_new(t->ssl)) == NULL ||
		    SSL_set_tlsext_host_name(ssl, t->o->host) != 1)
			return -1;
		c->bev = bufferevent_openssl_socket_new(t->base, fd, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else
		c->bev = bufferevent_socket_new(t->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL ||
	    (c->delay = evtimer_new(t->base, delay_cb, c)) == NULL)
		return -1;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	return bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct thread *t = arg;

	(void)fd, (void)what;
	t->stopping = true;
	clock_gettime(CLOCK_MONOTONIC, &t->end);
	event_base_loopexit(t->base, NULL);
}

/*
 * The window opens once the warm-up has passed and every connection has
 * had an answer (TLS handshakes done), and closes --seconds later.
 */
static void
maybe_start(struct thread *t)
{
	double		secs = t->o->seconds;
	struct timeval	stop = { (time_t)secs,
	    (suseconds_t)((secs - (time_t)secs) * 1e6) };

	if (t->measuring || !t->warm || t->ready < t->nconns)
		return;
	t->measuring = true;
	clock_gettime(CLOCK_MONOTONIC, &t->start);
	if (t->o->flow != F_LONGPOLL && t->o->requests == 0)
		event_base_once(t->base, -1, EV_TIMEOUT, stop_cb, t, &stop);
}

static void
warm_cb(evutil_socket_t fd, short what, void *arg)
{
	struct thread *t = arg;

	(void)fd, (void)what;
	t->warm = true;
	maybe_start(t);
}

static void *
thread_main(void *arg)
{
	struct thread	*t = arg;
	const struct opts *o = t->o;
	struct timeval	 warm = { (time_t)o->warmup,
	    (suseconds_t)((o->warmup - (time_t)o->warmup) * 1e6) };
	bool		 timed = o->flow != F_LONGPOLL && o->requests == 0;

	t->live = t->nconns;
	if (o->flow == F_LONGPOLL)
		t->live = t->nconns / 2;
	for (int i = 0; i < t->nconns; i++)
		if (o->flow != F_LONGPOLL || i % 2 == 0)
			next(&t->conns[i]);
	if (!timed) {		/* measured from the first request */
		t->warm = t->measuring = true;
		clock_gettime(CLOCK_MONOTONIC, &t->start);
	} else
		event_base_once(t->base, -1, EV_TIMEOUT, warm_cb, t, &warm);
	event_base_dispatch(t->base);
	if (!timed)
		clock_gettime(CLOCK_MONOTONIC, &t->end);
	return NULL;
}

/* ---- results ------------------------------------------------------------ */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const struct lat *l, double p)
{
	size_t i = (size_t)(p * (double)l->n);

	if (l->n == 0)
		return 0;
	return l->v[i < l->n ? i : l->n - 1] / 1000.0;
}

static void
print_lat(const char *name, struct lat *l, bool *first)
{
	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
	printf("%s\"%s\": {\"n\": %zu, \"p50_ms\": %.3f, \"p90_ms\": %.3f, "
	    "\"p99_ms\": %.3f, \"max_ms\": %.3f}", *first ? "" : ", ", name,
	    l->n, pct(l, 0.5), pct(l, 0.9), pct(l, 0.99), pct(l, 1.0));
	*first = false;
}

static void
report(struct thread *ts, int n, const struct opts *o)
{
	struct lat	 all[OP_COUNT], every = { NULL, 0, 0 };
	long		 done = 0, errors = 0;
	double		 secs = 0;
	bool		 first = true;

	memset(all, 0, sizeof(all));
	for (int i = 0; i < n; i++) {
		done += ts[i].done;
		errors += ts[i].errors;
		if (since(&ts[i].start, &ts[i].end) > secs)
			secs = since(&ts[i].start, &ts[i].end);
		for (int k = 0; k < OP_COUNT; k++) {
			struct lat *s = &ts[i].lat[k];
			for (int m = 0; m < 2; m++) {
				struct lat *d = m == 0 ? &all[k] : &every;
				if (k == OP_SETUP || s->n == 0)
					continue;
				uint32_t *v = realloc(d->v, (d->n + s->n) *
				    sizeof(*v));
				if (v == NULL)
					exit(1);
				memcpy(v + d->n, s->v, s->n * sizeof(*v));
				d->v = v;
				d->n += s->n;
			}
		}
	}
	printf("{\"conns\": %d, \"seconds\": %.3f, \"requests\": %ld, "
	    "\"rps\": %.1f, \"errors\": %ld, \"ops\": {", o->conns, secs, done,
	    secs > 0 ? done / secs : 0, errors);
	for (int k = 0; k < OP_COUNT; k++)
		print_lat(op_names[k], &all[k], &first);
	printf("}, \"all\": {");
	first = true;
	print_lat("all", &every, &first);
	printf("}}\n");
}

/* ---- setup -------------------------------------------------------------- */

/* A create (or update) body with a random payload of plaintext bytes. */
static char *
make_body(int plaintext, long ttl, bool create)
{
	size_t	 raw = 12 + (size_t)plaintext + 16;
	size_t	 size = B64_ENCODED_LEN(raw) + 512;
	uint8_t	*bytes = malloc(raw);
	char	*b64 = malloc(B64_ENCODED_LEN(raw) + 1), *out = malloc(size);
	char	 exp[32];
	time_t	 when = time(NULL) + (ttl > 0 ? ttl : DEFAULT_TTL);
	struct tm tm;

	if (bytes == NULL || b64 == NULL || out == NULL ||
	    RAND_bytes(bytes, (int)raw) != 1 || gmtime_r(&when, &tm) == NULL ||
	    strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		exit(1);
	(void)b64_encode(bytes, raw, b64);
	if (!create)
		snprintf(out, size, "{\"payload\":{\"type\":"
		    "\"AEAD_AES_128_GCM\",\"data\":\"%s\"}}", b64);
	else
		snprintf(out, size, "{\"payload\":{\"type\":"
		    "\"AEAD_AES_128_GCM\",\"data\":\"%s\"},"
		    "\"displayInformation\":{\"title\":\"Car key\","
		    "\"description\":\"bench\",\"imageURL\":"
		    "\"https://example.com/i.png\"},\"mailboxConfiguration\":"
		    "{\"expiration\":\"%s\",\"accessRights\":\"RWD\"}}", b64,
		    exp);
	free(bytes);
	free(b64);
	return out;
}

static int
usage(void)
{
	fprintf(stderr, "usage: bench_load --url http(s)://HOST:PORT --flow "
	    "stateless|create|bind|reread|update|static|longpoll [--ca FILE] "
	    "[--conns N] [--threads T] [--seconds S] [--warmup S] "
	    "[--requests N] [--payload BYTES] [--path PATH] [--ttl SECONDS] "
	    "[--trials N] [--peer-url URL]\n");
	return 2;
}

static int
parse_flow(const char *s, enum flow *f)
{
	static const char *const names[] = { "stateless", "create", "bind",
	    "reread", "update", "static", "longpoll" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*f = (enum flow)i;
			return 0;
		}
	return -1;
}

static int
parse_url(const char *url, char host[HOST_MAX], int *port, bool *tls)
{
	const char	*p = url, *colon;
	char		*end;

	if (strncmp(p, "https://", 8) == 0)
		*tls = true, p += 8;
	else if (strncmp(p, "http://", 7) == 0)
		*tls = false, p += 7;
	else
		return -1;
	if ((colon = strrchr(p, ':')) == NULL ||
	    (size_t)(colon - p) >= HOST_MAX)
		return -1;
	memcpy(host, p, (size_t)(colon - p));
	host[colon - p] = '\0';
	*port = (int)strtol(colon + 1, &end, 10);
	return *end == '\0' || *end == '/' ? 0 : -1;
}

static double
num(const char *s)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (*end != '\0' || v < 0) {
		fprintf(stderr, "bench_load: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->conns = 16;
	o->threads = 2;
	o->seconds = 5;
	o->warmup = 1;
	o->payload = 200;
	o->path = "/";
	o->trials = 1000;
	o->flow = F_STATELESS;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return -1;
		i++;
		bool peer_tls;

		if (strcmp(a, "--url") == 0 &&
		    parse_url(v, o->host, &o->port, &o->tls) != 0)
			return -1;
		else if (strcmp(a, "--url") == 0)
			continue;
		else if (strcmp(a, "--peer-url") == 0 && (parse_url(v,
		    o->peer_host, &o->peer_port, &peer_tls) != 0 ||
		    peer_tls != o->tls))
			return -1;
		else if (strcmp(a, "--peer-url") == 0)
			continue;
		else if (strcmp(a, "--ca") == 0)
			o->ca = v;
		else if (strcmp(a, "--flow") == 0 && parse_flow(v, &o->flow) != 0)
			return -1;
		else if (strcmp(a, "--flow") == 0)
			continue;
		else if (strcmp(a, "--conns") == 0)
			o->conns = (int)num(v);
		else if (strcmp(a, "--threads") == 0)
			o->threads = (int)num(v);
		else if (strcmp(a, "--seconds") == 0)
			o->seconds = num(v);
		else if (strcmp(a, "--warmup") == 0)
			o->warmup = num(v);
		else if (strcmp(a, "--requests") == 0)
			o->requests = (long)num(v);
		else if (strcmp(a, "--payload") == 0)
			o->payload = (int)num(v);
		else if (strcmp(a, "--path") == 0)
			o->path = v;
		else if (strcmp(a, "--ttl") == 0)
			o->ttl = (long)num(v);
		else if (strcmp(a, "--trials") == 0)
			o->trials = (int)num(v);
		else
			return -1;
	}
	if (o->port == 0 || o->conns < 1 || o->conns > MAX_CONNS ||
	    o->threads < 1 || o->threads > MAX_THREADS || o->payload > 49124)
		return -1;
	if (o->flow == F_LONGPOLL && o->conns % 2 != 0)
		o->conns++;
	return 0;
}

static SSL_CTX *
client_ctx(const struct opts *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx,
	    TLS1_3_VERSION) != 1)
		return NULL;
	if (o->ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1)
			return NULL;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
}

int
main(int argc, char **argv)
{
	struct opts	 o;
	struct thread	*ts;
	struct addrinfo	 hints = { 0 }, *ai, *peer = NULL;
	char		 port[16];
	int		 n;

	if (parse_args(argc, argv, &o) != 0)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", o.port);
	if (getaddrinfo(o.host, port, &hints, &ai) != 0) {
		fprintf(stderr, "bench_load: unknown host %s\n", o.host);
		return 1;
	}
	snprintf(port, sizeof(port), "%d", o.peer_port);
	if (o.peer_port != 0 &&
	    getaddrinfo(o.peer_host, port, &hints, &peer) != 0) {
		fprintf(stderr, "bench_load: unknown host %s\n", o.peer_host);
		return 1;
	}
	n = o.threads < o.conns ? o.threads : o.conns;
	if (o.flow == F_LONGPOLL)
		n = 1;
	if ((ts = calloc((size_t)n, sizeof(*ts))) == NULL)
		return 1;
	char *create = make_body(o.payload, o.ttl, true);
	char *update = make_body(o.payload, 0, false);
	for (int i = 0; i < n; i++) {
		struct thread *t = &ts[i];
		t->o = &o;
		t->ai = ai;
		t->rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)getpid() << 20) ^
		    ((uint64_t)i << 40) ^ (uint64_t)time(NULL);
		t->create_body = create;
		t->update_body = update;
		t->nconns = o.conns / n + (i < o.conns % n);
		if ((t->base = event_base_new()) == NULL ||
		    (o.tls && (t->ssl = client_ctx(&o)) == NULL) ||
		    (t->conns = calloc((size_t)t->nconns,
		    sizeof(*t->conns))) == NULL)
			return 1;
		t->peer_ai = peer != NULL ? peer : ai;
		for (int k = 0; k < t->nconns; k++) {
			bool updater = o.flow == F_LONGPOLL && k % 2 == 1;
			if (open_conn(t, &t->conns[k], updater ? t->peer_ai :
			    ai) != 0)
				return 1;
			if (o.flow == F_LONGPOLL && k % 2 == 0 &&
			    k + 1 < t->nconns)
				t->conns[k].peer = &t->conns[k + 1];
		}
	}
	/* --requests is a total: each thread makes its share. */
	struct opts per[MAX_THREADS];
	for (int i = 0; i < n; i++) {
		per[i] = o;
		if (o.requests > 0)
			per[i].requests = o.requests / n + (i < o.requests % n);
		ts[i].o = &per[i];
		if (pthread_create(&ts[i].tid, NULL, thread_main, &ts[i]) != 0)
			return 1;
	}
	for (int i = 0; i < n; i++)
		pthread_join(ts[i].tid, NULL);
	report(ts, n, &o);
	return 0;
}
