/*
 * worker: the per-request path.  A request goes
 *
 *   http1 -> on_request -> route_begin --answer--> respond
 *                              | mailbox operation
 *                              v
 *            mbox_read_only on the read handle --answered--> finish
 *                              | needs a write (or no read handle)
 *                              v
 *            storeq (store thread: mbox_apply, group commit)
 *                              | op_done -> done list -> done_cb
 *                              v
 *                           finish -> park (long-poll) or respond,
 *                                     then notify and wake
 *
 * Connections live in wconn; a store operation in flight in op, which
 * the store thread reads (the request's strings stay with http1 until
 * the answer), so nothing of a connection is freed while its op is out.
 */
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "accesslog.h"
#include "preview.h"
#include "route.h"
#include "worker.h"
#include "text.h"

#define WARN_EVERY_S	60	/* one line of a kind per minute */
#define BACKOFF_MIN_MS	50	/* accept pause when out of descriptors */
#define BACKOFF_MAX_MS	1000
#define SWEEP_BATCH	1000	/* mailboxes deleted per sweep job */
#define PREFER_MAX	1024	/* the joined Prefer fields we read */
#define FIELDS_OUT	12	/* header fields of an answer */
#define PRIORITIES	3	/* events default to the middle one */
#define STOP_CHECK_MS	5	/* stopping: look this often for quiet */

struct wconn;

/* A mailbox operation on its way to a store thread and back. */
struct op {
	struct storeq_job	 job;	/* first: the store sees this */
	struct worker		*w;
	struct wconn		*wc;
	int64_t			 now;
	struct mbox_res		 res;
	STAILQ_ENTRY(op)	 done_link;
};

struct wconn {
	struct worker		*w;
	struct http1_conn	*hc;
	char			 addr[LONGPOLL_ADDR_MAX];
	struct route_req	 req;
	struct route_call	 call;
	bool			 has_call;
	char			 prefer[PREFER_MAX];
	struct op		*op;		/* in flight, or NULL */
	struct longpoll_waiter	 waiter;
	bool			 parked;
	int			 waited;	/* seconds granted, once parked */
	int64_t			 deadline;	/* of the held read (monotonic) */
	bool			 gone;
	LIST_ENTRY(wconn)	 link;
};

struct sweep {
	struct storeq_job	 job;
	struct worker		*w;
	atomic_int		 busy;	/* SWEEP_IDLE, _QUEUED, _MORE */
};

enum { SWEEP_IDLE, SWEEP_QUEUED, SWEEP_MORE };

struct worker {
	const struct worker_env	*env;
	int			 index;
	pthread_t		 thread;
	bool			 started;
	struct event_base	*base;
	struct evconnlistener	*lev;
	struct event		*resume_ev;	/* accept after a pause */
	int			 backoff_ms;
	bool			 paused_cap, paused_fd, stopping;
	long			 nconns;
	LIST_HEAD(, wconn)	 conns;
	struct store		*reader;	/* NULL: reads take the store */
	struct route_ctx	 rctx;
	pthread_mutex_t		 done_mu;
	bool			 done_mu_ok;
	STAILQ_HEAD(, op)	 done;
	struct event		*done_ev;
	struct event		*run_ev;	/* run the store queue */
	struct event		*stop_ev;
	struct event		*quiet_ev;	/* stopping: exit when quiet */
	struct event		*sweep_ev;	/* worker 0 only */
	struct sweep		 sweep;
	int			 grace_ms;
};

static void run_call(struct wconn *wc);

/* ---- small helpers ---------------------------------------------------- */

/*
 * Seconds since the epoch from the precise clock: time(2) may read the
 * coarse clock, a tick behind, and answer 200 just after expiration.
 */
static int64_t
wall_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (int64_t)time(NULL);
	return (int64_t)ts.tv_sec;
}

static void
warn_limited(const struct worker_env *env, enum worker_warning kind,
    const char *line)
{
	long long	now = (long long)time(NULL);
	long long	last = atomic_load(&env->warned[kind]);

	if (last != 0 && now - last < WARN_EVERY_S)
		return;
	if (atomic_compare_exchange_strong(&env->warned[kind], &last, now) &&
	    env->warn != NULL)
		env->warn(line, env->warn_arg);
}

/* ---- answers ---------------------------------------------------------- */

static void
log_access(struct wconn *wc, const char *method, const char *path,
    int status, size_t bytes)
{
	const struct worker_env	*env = wc->w->env;
	char			 ip[LONGPOLL_ADDR_MAX], line[ACCESSLOG_LINE_MAX];
	size_t			 n;

	if (env->access_log == NULL)
		return;
	accesslog_truncate_ip(wc->addr, ip, sizeof(ip));
	n = accesslog_line(line, sizeof(line), wall_now(), ip, method, path,
	    status, bytes, env->log_key);
	if (pthread_mutex_lock(env->log_mu) != 0)
		return;
	if (fwrite(line, 1, n, env->access_log) != n ||
	    fflush(env->access_log) != 0)
		clearerr(env->access_log);
	pthread_mutex_unlock(env->log_mu);
}

/*
 * Send resp.  request_id is echoed (http-00 §5.1, errata E-REQID-FORM);
 * applied is the Preference-Applied value of a woken long-poll, or NULL.
 * wc may be freed by this call.
 */
static void
send_resp(struct wconn *wc, const struct route_resp *resp,
    const char *request_id, const char *applied, bool close)
{
	struct http1_field	 f[FIELDS_OUT];
	struct http1_resp	 r = { resp->status, f, 0, resp->body,
	    resp->body_len, close };
	char			 retry[24];

	if (resp->content_type != NULL)
		f[r.nfields++] = (struct http1_field){ "Content-Type",
		    resp->content_type };
	if (route_echo_ok(request_id))
		f[r.nfields++] = (struct http1_field){ "Mailbox-Request-ID",
		    request_id };
	f[r.nfields++] = (struct http1_field){ "Cache-Control", "no-store" };
	f[r.nfields++] = (struct http1_field){ "X-Content-Type-Options",
	    "nosniff" };
	f[r.nfields++] = (struct http1_field){ "Referrer-Policy",
	    "no-referrer" };
	if (resp->is_preview)
		f[r.nfields++] = (struct http1_field){
		    "Content-Security-Policy", PREVIEW_CSP };
	if (resp->etag[0] != '\0')
		f[r.nfields++] = (struct http1_field){ "ETag", resp->etag };
	if (resp->allow != NULL)
		f[r.nfields++] = (struct http1_field){ "Allow", resp->allow };
	if (resp->retry_after > 0) {
		snprintf(retry, sizeof(retry), "%d", resp->retry_after);
		f[r.nfields++] = (struct http1_field){ "Retry-After", retry };
	}
	if (applied != NULL)
		f[r.nfields++] = (struct http1_field){ "Preference-Applied",
		    applied };
	http1_respond(wc->hc, &r);
}

/* After a committed change: tell the other party, wake held reads. */
static void
after(struct worker *w, const struct route_resp *resp)
{
	const struct worker_env *env = w->env;

	if (resp->notice.type != NULL && env->notifier != NULL)
		(void)notify_send(env->notifier, resp->notice.type,
		    resp->notice.token, resp->notice.event);
	if (resp->changed[0] != '\0')
		longpoll_wake(env->longpoll, resp->changed);
}

/* Answer wc's request with resp and forget the request. */
static void
respond(struct wconn *wc, struct route_resp *resp, const char *applied)
{
	struct worker *w = wc->w;

	if (wc->has_call) {
		route_call_clear(&wc->call);
		wc->has_call = false;
	}
	log_access(wc, wc->req.method, wc->req.path, resp->status,
	    resp->body_len);
	/* Stopping: close after the answer, so the client sends no more. */
	send_resp(wc, resp, wc->req.request_id, applied, w->stopping);
	/* wc may be freed now */
	after(w, resp);
}

/* ---- long-poll -------------------------------------------------------- */

static int64_t
mono_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec;
}

/*
 * A held read's time is up, or its mailbox changed (or may have: a wake
 * from another node, or at shutdown): read again; finish() holds it
 * again for the time left when nothing is new.
 */
static void
waiter_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wconn *wc = arg;

	(void)fd;
	longpoll_remove(wc->w->env->longpoll, &wc->waiter);
	event_free(wc->waiter.ev);
	wc->waiter.ev = NULL;
	wc->parked = false;
	wc->req.no_wait = (what & EV_TIMEOUT) != 0;
	wc->req.now = wall_now();
	run_call(wc);
}

/*
 * Hold wc's read for resp->wait seconds, or for what is left of the time
 * it was first granted.  False: answer it now.
 */
static bool
park(struct wconn *wc, const struct route_resp *resp)
{
	struct worker	*w = wc->w;
	int64_t		 left = wc->waited > 0 ? wc->deadline - mono_s() :
	    resp->wait;
	struct timeval	 tv = { left < resp->wait ? left : resp->wait, 0 };

	if (tv.tv_sec <= 0 || wc->gone || w->stopping ||
	    (wc->waiter.ev = event_new(w->base, -1, 0, waiter_cb, wc)) == NULL)
		return false;
	memcpy(wc->waiter.id, resp->wait_id, sizeof(wc->waiter.id));
	(void)text_copy(wc->waiter.addr, sizeof(wc->waiter.addr), wc->addr);
	if (!longpoll_add(w->env->longpoll, &wc->waiter)) {
		event_free(wc->waiter.ev);
		wc->waiter.ev = NULL;
		return false;
	}
	if (event_add(wc->waiter.ev, &tv) != 0) {
		longpoll_remove(w->env->longpoll, &wc->waiter);
		event_free(wc->waiter.ev);
		wc->waiter.ev = NULL;
		return false;
	}
	wc->parked = true;
	if (wc->waited == 0) {
		wc->waited = resp->wait;
		wc->deadline = mono_s() + resp->wait;
	}
	return true;
}

/* The result of wc's mailbox operation: hold it or answer it. */
static void
finish(struct wconn *wc, struct mbox_res *res)
{
	struct route_resp	 resp;
	char			 applied[32];
	const char		*inm = wc->req.if_none_match;

	route_finish(&wc->w->rctx, &wc->req, &wc->call, res, &resp);
	if (resp.wait > 0 && park(wc, &resp)) {
		route_resp_clear(&resp);
		return;
	}
	if (wc->waited > 0 && (resp.status == 200 || resp.status == 304)) {
		if (resp.status == 200 && inm != NULL &&
		    strcmp(inm, resp.etag) == 0) {
			resp.status = 304;	/* still nothing new */
			resp.content_type = NULL;
		}
		snprintf(applied, sizeof(applied), "wait=%d", wc->waited);
		respond(wc, &resp, applied);
	} else
		respond(wc, &resp, NULL);
	route_resp_clear(&resp);
}

/* ---- the store -------------------------------------------------------- */

static void
op_want(struct storeq_job *j, struct store *s)
{
	struct op *op = (struct op *)j;

	mbox_want(s, &op->wc->call.mreq);
}

static void
op_run(struct storeq_job *j, struct store *s)
{
	struct op	*op = (struct op *)j;
	struct mbox_ctx	 ctx = { s, op->w->env->policy, op->now };

	mbox_res_clear(&op->res);
	mbox_apply(&ctx, &op->wc->call.mreq, &op->res);
}

/* On a store thread: queue op for its worker. */
static void
op_done(struct storeq_job *j, enum store_err err)
{
	struct op	*op = (struct op *)j;
	struct worker	*w = op->w;
	bool		 first;

	mbox_res_fail(&op->res, err);
	if (pthread_mutex_lock(&w->done_mu) != 0)
		abort();	/* a broken mutex: nothing sane is left */
	first = STAILQ_EMPTY(&w->done);
	STAILQ_INSERT_TAIL(&w->done, op, done_link);
	pthread_mutex_unlock(&w->done_mu);
	if (first)
		event_active(w->done_ev, EV_READ, 0);
}

/* On the worker: answer every operation the store has finished. */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker		*w = arg;
	STAILQ_HEAD(, op)	 list;
	struct op		*op;

	(void)fd, (void)what;
	if (pthread_mutex_lock(&w->done_mu) != 0)
		return;
	STAILQ_INIT(&list);
	STAILQ_CONCAT(&list, &w->done);
	pthread_mutex_unlock(&w->done_mu);
	while ((op = STAILQ_FIRST(&list)) != NULL) {
		STAILQ_REMOVE_HEAD(&list, done_link);
		op->wc->op = NULL;
		finish(op->wc, &op->res);
		mbox_res_clear(&op->res);
		free(op);
	}
}

/* The end of a round: run the store queue (group commit) here. */
static void
run_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd, (void)what;
	storeq_run(w->env->storeq);
}

/* Run wc's prepared mailbox operation: read handle, else the store. */
static void
run_call(struct wconn *wc)
{
	struct worker		*w = wc->w;
	struct mbox_ctx		 ctx = { w->reader, w->env->policy,
	    wc->req.now };
	struct mbox_res		 res;
	struct route_resp	 resp;
	struct op		*op;

	/* before the read: a change woken from now on wakes its hold */
	if (wc->call.mreq.op == MBOX_READ)
		wc->waiter.since = longpoll_epoch(w->env->longpoll,
		    wc->call.mreq.id);
	if (w->reader != NULL && mbox_read_only(&ctx, &wc->call.mreq, &res)) {
		finish(wc, &res);
		mbox_res_clear(&res);
		return;
	}
	if ((op = calloc(1, sizeof(*op))) != NULL) {
		op->job.want = op_want;
		op->job.run = op_run;
		op->job.done = op_done;
		op->w = w;
		op->wc = wc;
		op->now = wc->req.now;
		wc->op = op;
		switch (storeq_submit(w->env->storeq, &op->job)) {
		case STOREQ_RUN_SOON:
			/* after every connection of this round has queued */
			event_active(w->run_ev, EV_READ, 0);
			return;
		case STOREQ_QUEUED:
			return;
		case STOREQ_REFUSED:
			break;
		}
		wc->op = NULL;
		free(op);
	}
	route_fault(TGERR_UNAVAILABLE, &resp);
	respond(wc, &resp, NULL);
	route_resp_clear(&resp);
}

/* ---- requests --------------------------------------------------------- */

/* A header by name or the profile's alias; *twice when one repeats. */
static const char *
header(const struct http1_req *r, const char *name, const char *alias,
    const char **repeated)
{
	const char *v = http1_field(r, name);

	if (http1_field_count(r, name) > 1)
		*repeated = name;
	if (alias != NULL && http1_field_count(r, alias) > 1)
		*repeated = alias;
	if (v == NULL && alias != NULL)
		v = http1_field(r, alias);
	return v;
}

/* Describe an HTTP request as a route_req; strings stay http1's. */
static void
make_req(struct wconn *wc, const struct http1_req *hr)
{
	const struct worker_env	*env = wc->w->env;
	struct route_req	*req = &wc->req;
	const char		*rep = NULL;

	memset(req, 0, sizeof(*req));
	req->method = hr->method;
	req->path = hr->path;
	req->claim = header(hr, env->claim_header, env->claim_alias, &rep);
	req->claim_header = env->claim_header;
	req->request_id = header(hr, "Mailbox-Request-ID", NULL, &rep);
	req->attestation = header(hr, env->attestation_header,
	    env->attestation_alias, &rep);
	req->content_type = header(hr, "Content-Type", NULL, &rep);
	req->if_none_match = header(hr, "If-None-Match", NULL, &rep);
	req->prefer = http1_field_join(hr, "Prefer", wc->prefer,
	    sizeof(wc->prefer));
	req->repeated = rep;
	req->body = hr->body;
	req->body_len = hr->body_len;
	req->now = wall_now();
}

static void
on_request(struct http1_conn *c, const struct http1_req *hr, void *arg)
{
	struct wconn		*wc = arg;
	struct route_resp	 resp;

	(void)c;
	wc->waited = 0;
	make_req(wc, hr);
	if (route_begin(&wc->w->rctx, &wc->req, &wc->call, &resp) ==
	    ROUTE_ANSWER) {
		respond(wc, &resp, NULL);
		route_resp_clear(&resp);
		return;
	}
	wc->has_call = true;
	run_call(wc);
}

/* The HTTP layer refused a request: the JSON error, then close. */
static void
on_fault(struct http1_conn *c, enum tgerr err, const char *request_id,
    void *arg)
{
	struct wconn		*wc = arg;
	struct route_resp	 resp;

	(void)c;
	route_fault(err, &resp);
	log_access(wc, "-", "-", resp.status, resp.body_len);
	send_resp(wc, &resp, request_id, NULL, true);
	route_resp_clear(&resp);
}

/* The client left while its request was out: answer soon, to nobody. */
static void
on_gone(struct http1_conn *c, void *arg)
{
	struct wconn *wc = arg;

	(void)c;
	wc->gone = true;
	if (wc->parked)
		event_active(wc->waiter.ev, EV_READ, 0);
}

static void
on_closed(struct http1_conn *c, void *arg)
{
	struct wconn	*wc = arg;
	struct worker	*w = wc->w;

	(void)c;
	if (wc->parked) {
		longpoll_remove(w->env->longpoll, &wc->waiter);
		event_free(wc->waiter.ev);
	}
	if (wc->has_call)
		route_call_clear(&wc->call);
	LIST_REMOVE(wc, link);
	free(wc);
	w->nconns--;
	if (w->paused_cap && w->nconns < w->env->max_conns) {
		w->paused_cap = false;
		if (!w->paused_fd && !w->stopping)
			(void)evconnlistener_enable(w->lev);
	}
}

static const struct http1_handler handler = {
	on_request, on_fault, on_gone, on_closed,
};

/* ---- accepting -------------------------------------------------------- */

static struct bufferevent *
new_bev(struct worker *w, evutil_socket_t fd)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if (w->env->ssl == NULL)
		return bufferevent_socket_new(w->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if ((ssl = SSL_new(w->env->ssl)) == NULL)
		return NULL;
	SSL_set_read_ahead(ssl, 1);	/* http1.c reads what it holds */
	bev = bufferevent_openssl_socket_new(w->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		SSL_free(ssl);
	else	/* a client closing without close_notify is just EOF */
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct worker		*w = arg;
	struct wconn		*wc = calloc(1, sizeof(*wc));
	struct bufferevent	*bev;

	w->backoff_ms = 0;
	if (wc == NULL || (bev = new_bev(w, fd)) == NULL) {
		free(wc);
		evutil_closesocket(fd);
		return;
	}
	if (getnameinfo(sa, (socklen_t)salen, wc->addr, sizeof(wc->addr),
	    NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(wc->addr, sizeof(wc->addr), "-");
	wc->w = w;
	LIST_INSERT_HEAD(&w->conns, wc, link);
	w->nconns++;
	if ((wc->hc = http1_conn_new(w->base, bev, &w->env->limits, &handler,
	    wc)) == NULL) {
		LIST_REMOVE(wc, link);
		w->nconns--;
		free(wc);
		return;
	}
	if (w->nconns >= w->env->max_conns && !w->paused_cap) {
		w->paused_cap = true;
		(void)evconnlistener_disable(lev);
		warn_limited(w->env, WORKER_WARN_CAP, "at the connection limit "
		    "(--max-connections): new connections wait until others "
		    "close");
	}
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd, (void)what;
	w->paused_fd = false;
	if (!w->paused_cap && !w->stopping)
		(void)evconnlistener_enable(w->lev);
}

/* accept() failed: out of descriptors pauses accepting, never spins. */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct worker	*w = arg;
	int		 e = EVUTIL_SOCKET_ERROR();
	struct timeval	 tv;
	char		 line[160];

	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
		return;		/* ECONNABORTED and the like: carry on */
	(void)evconnlistener_disable(lev);
	w->paused_fd = true;
	w->backoff_ms = w->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    w->backoff_ms * 2;
	tv.tv_sec = w->backoff_ms / 1000;
	tv.tv_usec = (w->backoff_ms % 1000) * 1000;
	if (evtimer_add(w->resume_ev, &tv) != 0)
		w->paused_fd = false;	/* cannot pause: accept stays on */
	snprintf(line, sizeof(line), "cannot accept connections (%s): "
	    "pausing new connections briefly (raise the descriptor limit or "
	    "lower --max-connections)", strerror(e));
	warn_limited(w->env, WORKER_WARN_FD, line);
}

/* ---- the sweeper (worker 0) ------------------------------------------ */

static void
sweep_run(struct storeq_job *j, struct store *s)
{
	struct sweep	*sw = (struct sweep *)j;
	long		 removed = 0;

	enum store_err	 e;

	if (store_mark(s) != STORE_OK)
		return;
	e = store_sweep(s, wall_now(), SWEEP_BATCH, &removed);
	store_release(s, e == STORE_OK);
	if (e == STORE_OK && removed >= SWEEP_BATCH)
		atomic_store(&sw->busy, SWEEP_MORE);
}

static void
sweep_done(struct storeq_job *j, enum store_err err)
{
	struct sweep *sw = (struct sweep *)j;

	(void)err;
	/* In small steps, so that other requests get their turn between. */
	if (atomic_load(&sw->busy) == SWEEP_MORE) {
		atomic_store(&sw->busy, SWEEP_QUEUED);
		if (storeq_submit(sw->w->env->storeq, j) != STOREQ_REFUSED)
			return;
	}
	atomic_store(&sw->busy, SWEEP_IDLE);
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;
	int		 idle = SWEEP_IDLE;

	(void)fd, (void)what;
	if (atomic_compare_exchange_strong(&w->sweep.busy, &idle,
	    SWEEP_QUEUED) && storeq_submit(w->env->storeq, &w->sweep.job) ==
	    STOREQ_REFUSED)
		atomic_store(&w->sweep.busy, SWEEP_IDLE);
}

/* ---- life cycle ------------------------------------------------------- */

/* Whether a request of w is being read, handled or answered. */
static bool
worker_busy(const struct worker *w)
{
	const struct wconn *wc;

	LIST_FOREACH(wc, &w->conns, link)
		if (http1_busy(wc->hc))
			return true;
	return false;
}

/* Stopping: leave the loop once no request is left in flight. */
static void
quiet_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd, (void)what;
	if (!worker_busy(w))
		(void)event_base_loopbreak(w->base);
}

/*
 * Stop accepting, answer held reads now, and leave the loop as soon as
 * every request in flight is answered (idle keep-alive connections are
 * closed by worker_free), or when the grace is over, whichever is first.
 */
static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;
	struct timeval	 grace = { w->grace_ms / 1000,
	    (w->grace_ms % 1000) * 1000 };
	struct timeval	 check = { 0, STOP_CHECK_MS * 1000 };

	(void)fd, (void)what;
	w->stopping = true;
	(void)evconnlistener_disable(w->lev);
	longpoll_wake_base(w->env->longpoll, w->base);
	if (event_base_loopexit(w->base, &grace) != 0 ||
	    event_add(w->quiet_ev, &check) != 0)
		(void)event_base_loopbreak(w->base);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	(void)event_base_dispatch(w->base);
	return NULL;
}

/*
 * With epoll's changelist, an event added and deleted within one round
 * costs no epoll_ctl: so it is with the write event of each answer,
 * which http1.c writes at once.
 */
static struct event_base *
new_base(void)
{
	struct event_config	*cfg = event_config_new();
	struct event_base	*base = NULL;

	if (cfg != NULL && event_config_set_flag(cfg,
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
		base = event_base_new_with_config(cfg);
	if (cfg != NULL)
		event_config_free(cfg);
	return base;
}

static int
init_events(struct worker *w, evutil_socket_t fd)
{
	struct timeval tv = { (time_t)w->env->sweep_interval, 0 };

	/* Three priorities: run_ev after everything else of a round. */
	if ((w->base = new_base()) == NULL ||
	    event_base_priority_init(w->base, PRIORITIES) != 0 ||
	    (w->run_ev = event_new(w->base, -1, 0, run_cb, w)) == NULL ||
	    event_priority_set(w->run_ev, PRIORITIES - 1) != 0 ||
	    (w->done_ev = event_new(w->base, -1, 0, done_cb, w)) == NULL ||
	    (w->stop_ev = event_new(w->base, -1, 0, stop_cb, w)) == NULL ||
	    (w->quiet_ev = event_new(w->base, -1, EV_PERSIST, quiet_cb,
	    w)) == NULL ||
	    (w->resume_ev = evtimer_new(w->base, resume_cb, w)) == NULL)
		return -1;
	w->lev = evconnlistener_new(w->base, accept_cb, w,
	    LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (w->lev == NULL)
		return -1;
	evconnlistener_set_error_cb(w->lev, accept_error_cb);
	if (w->index != 0)
		return 0;
	w->sweep.job.run = sweep_run;
	w->sweep.job.done = sweep_done;
	w->sweep.job.background = true;	/* never on this event loop */
	w->sweep.w = w;
	if ((w->sweep_ev = event_new(w->base, -1, EV_PERSIST, sweep_cb,
	    w)) == NULL || event_add(w->sweep_ev, &tv) != 0)
		return -1;
	return 0;
}

struct worker *
worker_new(const struct worker_env *env, evutil_socket_t fd, int index,
    char *why, size_t why_size)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	w->env = env;
	w->index = index;
	LIST_INIT(&w->conns);
	STAILQ_INIT(&w->done);
	if (pthread_mutex_init(&w->done_mu, NULL) != 0) {
		free(w);
		snprintf(why, why_size, "cannot set up a worker");
		return NULL;
	}
	w->done_mu_ok = true;
	if (init_events(w, fd) != 0) {
		snprintf(why, why_size, "cannot set up the event loop of "
		    "worker %d", index);
		worker_free(w);
		return NULL;
	}
	if (store_open_reader(env->cfg->store, &w->reader, why, why_size) !=
	    STORE_OK) {
		worker_free(w);
		return NULL;
	}
	w->rctx.policy = env->policy;
	w->rctx.profile = env->profile;
	w->rctx.max_wait = env->cfg->max_wait;
	return w;
}

int
worker_start(struct worker *w)
{
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		return -1;
	w->started = true;
	return 0;
}

void
worker_stop(struct worker *w, int grace_ms)
{
	if (w == NULL || !w->started)
		return;
	w->grace_ms = grace_ms;
	event_active(w->stop_ev, EV_READ, 0);
}

void
worker_join(struct worker *w)
{
	if (w == NULL || !w->started)
		return;
	pthread_join(w->thread, NULL);
	w->started = false;
}

void
worker_free(struct worker *w)
{
	struct op *op;

	if (w == NULL)
		return;
	/* Answers the store finished after the loop stopped: dropped. */
	while ((op = STAILQ_FIRST(&w->done)) != NULL) {
		STAILQ_REMOVE_HEAD(&w->done, done_link);
		op->wc->op = NULL;
		mbox_res_clear(&op->res);
		free(op);
	}
	while (!LIST_EMPTY(&w->conns))
		http1_abort(LIST_FIRST(&w->conns)->hc);
	if (w->sweep_ev != NULL)
		event_free(w->sweep_ev);
	if (w->lev != NULL)
		evconnlistener_free(w->lev);
	if (w->resume_ev != NULL)
		event_free(w->resume_ev);
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	if (w->quiet_ev != NULL)
		event_free(w->quiet_ev);
	if (w->done_ev != NULL)
		event_free(w->done_ev);
	if (w->run_ev != NULL)
		event_free(w->run_ev);
	if (w->base != NULL)
		event_base_free(w->base);
	store_close(w->reader);
	if (w->done_mu_ok)
		pthread_mutex_destroy(&w->done_mu);
	free(w);
}
