/*
 * server: libevent adapter.  Setup and teardown are at the bottom; the
 * middle is the per-request path: build a route_req from an evhttp
 * request, hand it to route_handle(), send the answer, then notify and
 * wake held long-poll reads.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <openssl/ssl.h>

#include "accesslog.h"
#include "notify.h"
#include "preview.h"
#include "route.h"
#include "server.h"
#include "store.h"
#include "tls.h"

#define HTTP_HEADERS_HARD_MAX	65536	/* evhttp's own 413 beyond this */
#define HTTP_BODY_HARD_MAX	(1 << 20)
#define MAX_WORKERS		64
#define STOP_GRACE_MS		500

struct server;

/* A held long-poll read (spec/extensions.md X-LONG-POLL). */
struct waiter {
	struct worker		*w;
	struct evhttp_request	*r;
	struct event		*ev;
	char			 id[UUID_STR_SIZE];
	int			 wait;		/* seconds granted */
	bool			 woken;
	LIST_ENTRY(waiter)	 link;
};

struct worker {
	struct server		*srv;
	pthread_t		 thread;
	struct event_base	*base;
	struct evhttp		*http;
	struct store		*store;
	struct route_ctx	 rctx;
	struct event		*stop_ev;
	struct event		*sweep_ev;	/* worker 0 only */
};

struct server {
	const struct config	*cfg;
	SSL_CTX			*ssl;
	struct mbox_policy	 policy;
	char			 public_url[512];
	struct notifier		 notifier;
	bool			 has_notifier;
	FILE			*access_log;
	pthread_mutex_t		 log_mu;
	evutil_socket_t		 fd;
	int			 nworkers;	/* initialized */
	int			 nthreads;	/* running */
	struct worker		 workers[MAX_WORKERS];
	pthread_mutex_t		 wait_mu;	/* guards waiters */
	LIST_HEAD(, waiter)	 waiters;
	const char		*claim_header;	/* by profile */
	const char		*claim_alias;
	const char		*attestation_header;
	const char		*attestation_alias;
	struct server_ready	 ready;
};

static const char *
method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "OTHER";
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* A header by name, or by the profile's alternative name. */
static const char *
header(struct evkeyvalq *h, const char *name, const char *alias)
{
	const char *v = evhttp_find_header(h, name);

	if (v == NULL && alias != NULL)
		v = evhttp_find_header(h, alias);
	return v;
}

static size_t
header_bytes(struct evhttp_request *r)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(r);
	struct evkeyval		*kv;
	size_t			 n = strlen(evhttp_request_get_uri(r)) + 16;

	TAILQ_FOREACH(kv, h, next)
		n += strlen(kv->key) + strlen(kv->value) + 4;
	return n;
}

/*
 * Seconds since the epoch from the precise clock: time(2) may read the
 * coarse clock, a tick behind, and answer 200 just after expiration.
 */
static int64_t
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* Describe an evhttp request as a route_req; strings stay libevent's. */
static void
make_req(struct worker *w, struct evhttp_request *r, struct route_req *req)
{
	struct server		*srv = w->srv;
	struct evkeyvalq	*h = evhttp_request_get_input_headers(r);
	struct evbuffer		*in = evhttp_request_get_input_buffer(r);
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(r);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;

	memset(req, 0, sizeof(*req));
	req->method = method_name(evhttp_request_get_command(r));
	req->path = path != NULL ? path : "";
	req->claim = header(h, srv->claim_header, srv->claim_alias);
	req->claim_header = srv->claim_header;
	req->request_id = evhttp_find_header(h, "Mailbox-Request-ID");
	req->attestation = header(h, srv->attestation_header,
	    srv->attestation_alias);
	req->content_type = evhttp_find_header(h, "Content-Type");
	req->prefer = evhttp_find_header(h, "Prefer");
	req->if_none_match = evhttp_find_header(h, "If-None-Match");
	req->header_bytes = header_bytes(r);
	req->body_len = evbuffer_get_length(in);
	req->body = req->body_len > 0 ?
	    (const char *)evbuffer_pullup(in, -1) : "";
	req->now = wall_now();
}

static void
add_headers(struct evhttp_request *r, const struct route_req *req,
    const struct route_resp *resp)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(r);
	char			 num[24];

	if (resp->content_type != NULL)
		evhttp_add_header(out, "Content-Type", resp->content_type);
	/* §5.1: echo the id, also when refusing it (libevent refuses CR/LF). */
	if (req->request_id != NULL)
		evhttp_add_header(out, "Mailbox-Request-ID", req->request_id);
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "Referrer-Policy", "no-referrer");
	if (resp->is_preview)
		evhttp_add_header(out, "Content-Security-Policy",
		    PREVIEW_CSP);
	if (resp->etag[0] != '\0')
		evhttp_add_header(out, "ETag", resp->etag);
	if (resp->allow != NULL)
		evhttp_add_header(out, "Allow", resp->allow);
	if (resp->retry_after > 0) {
		snprintf(num, sizeof(num), "%d", resp->retry_after);
		evhttp_add_header(out, "Retry-After", num);
	}
}

static void
log_access(struct worker *w, struct evhttp_request *r,
    const struct route_req *req, int status, size_t bytes)
{
	struct evhttp_connection	*c = evhttp_request_get_connection(r);
	const char			*addr = NULL;
	ev_uint16_t			 port;
	char				 ip[64], line[1024];
	size_t				 n;

	if (w->srv->access_log == NULL)
		return;
	if (c != NULL)
		evhttp_connection_get_peer(c, (char **)&addr, &port);
	accesslog_truncate_ip(addr != NULL ? addr : "", ip, sizeof(ip));
	n = accesslog_line(line, sizeof(line), req->now, ip, req->method,
	    req->path, status, bytes);
	pthread_mutex_lock(&w->srv->log_mu);
	fwrite(line, 1, n, w->srv->access_log);
	fflush(w->srv->access_log);
	pthread_mutex_unlock(&w->srv->log_mu);
}

static void
send_resp(struct worker *w, struct evhttp_request *r,
    const struct route_req *req, const struct route_resp *resp)
{
	struct evbuffer	*buf = evbuffer_new();
	bool		 head = strcmp(req->method, "HEAD") == 0;
	char		 len[24];

	add_headers(r, req, resp);
	/* evhttp would send a HEAD answer's body: give only its length. */
	if (head) {
		snprintf(len, sizeof(len), "%zu", resp->body_len);
		evhttp_add_header(evhttp_request_get_output_headers(r),
		    "Content-Length", len);
	} else if (buf != NULL && resp->body != NULL && resp->status != 304)
		evbuffer_add(buf, resp->body, resp->body_len);
	log_access(w, r, req, resp->status, resp->body_len);
	evhttp_send_reply(r, resp->status, reason(resp->status), buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

/* Wake the held reads of mailbox id, in whichever worker holds them. */
static void
wake(struct server *srv, const char *id)
{
	struct waiter *wt;

	pthread_mutex_lock(&srv->wait_mu);
	LIST_FOREACH(wt, &srv->waiters, link) {
		if (!wt->woken && strcmp(wt->id, id) == 0) {
			wt->woken = true;
			event_active(wt->ev, EV_READ, 0);
		}
	}
	pthread_mutex_unlock(&srv->wait_mu);
}

/* After the answer: tell the other party and the waiting readers. */
static void
after(struct worker *w, const struct route_resp *resp)
{
	if (resp->notice.type != NULL)
		(void)notify_send(&w->srv->notifier, resp->notice.type,
		    resp->notice.token, resp->notice.event);
	if (resp->changed[0] != '\0')
		wake(w->srv, resp->changed);
}

/* A held read's time is up or its mailbox changed: answer it now. */
static void
waiter_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waiter		*wt = arg;
	struct worker		*w = wt->w;
	struct route_req	 req;
	struct route_resp	 resp;

	(void)fd, (void)what;
	pthread_mutex_lock(&w->srv->wait_mu);
	LIST_REMOVE(wt, link);
	pthread_mutex_unlock(&w->srv->wait_mu);
	event_free(wt->ev);
	make_req(w, wt->r, &req);
	req.no_wait = true;
	route_handle(&w->rctx, &req, &resp);
	if (resp.status == 200 && req.if_none_match != NULL &&
	    strcmp(req.if_none_match, resp.etag) == 0) {
		resp.status = 304;	/* still nothing new */
		resp.content_type = NULL;
	}
	if (resp.status == 200 || resp.status == 304) {
		char applied[32];
		snprintf(applied, sizeof(applied), "wait=%d", wt->wait);
		evhttp_add_header(evhttp_request_get_output_headers(wt->r),
		    "Preference-Applied", applied);
	}
	send_resp(w, wt->r, &req, &resp);
	after(w, &resp);
	route_resp_clear(&resp);
	free(wt);
}

/* Hold r for up to resp->wait seconds.  False when it must answer now. */
static bool
park(struct worker *w, struct evhttp_request *r,
    const struct route_resp *resp)
{
	struct waiter	*wt = calloc(1, sizeof(*wt));
	struct timeval	 tv = { resp->wait, 0 };

	if (wt == NULL || (wt->ev = event_new(w->base, -1, 0, waiter_cb,
	    wt)) == NULL) {
		free(wt);
		return false;
	}
	wt->w = w;
	wt->r = r;
	wt->wait = resp->wait;
	memcpy(wt->id, resp->wait_id, sizeof(wt->id));
	pthread_mutex_lock(&w->srv->wait_mu);
	LIST_INSERT_HEAD(&w->srv->waiters, wt, link);
	pthread_mutex_unlock(&w->srv->wait_mu);
	event_add(wt->ev, &tv);
	return true;
}

static void
request_cb(struct evhttp_request *r, void *arg)
{
	struct worker		*w = arg;
	struct route_req	 req;
	struct route_resp	 resp;

	make_req(w, r, &req);
	route_handle(&w->rctx, &req, &resp);
	if (resp.wait > 0 && park(w, r, &resp)) {
		route_resp_clear(&resp);
		return;
	}
	send_resp(w, r, &req, &resp);
	after(w, &resp);
	route_resp_clear(&resp);
}

static struct bufferevent *
tls_bev_cb(struct event_base *base, void *arg)
{
	struct server	*srv = arg;
	SSL		*ssl = SSL_new(srv->ssl);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;
	long		 removed = 0;

	(void)fd, (void)what;
	(void)store_sweep(w->store, wall_now(), &removed);
}

/* Stop accepting, answer held reads, let in-flight answers drain. */
static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;
	struct timeval	 grace = { 0, STOP_GRACE_MS * 1000 };
	struct waiter	*wt;

	(void)fd, (void)what;
	pthread_mutex_lock(&w->srv->wait_mu);
	LIST_FOREACH(wt, &w->srv->waiters, link) {
		if (wt->w == w && !wt->woken) {
			wt->woken = true;
			event_active(wt->ev, EV_READ, 0);
		}
	}
	pthread_mutex_unlock(&w->srv->wait_mu);
	event_base_loopexit(w->base, &grace);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

/* One worker: its loop, its evhttp on the shared socket, its store. */
static int
worker_init(struct server *srv, struct worker *w, int index, char *why,
    size_t why_size)
{
	const struct config	*cfg = srv->cfg;
	struct store_opts	 opts = { cfg->sync_full };
	struct evconnlistener	*lev;

	w->srv = srv;
	if ((w->base = event_base_new()) == NULL ||
	    (w->http = evhttp_new(w->base)) == NULL ||
	    (w->stop_ev = event_new(w->base, -1, 0, stop_cb, w)) == NULL) {
		snprintf(why, why_size, "cannot set up the event loop");
		return -1;
	}
	if (store_open(cfg->store, &opts, &w->store, why, why_size) !=
	    STORE_OK)
		return -1;
	w->rctx.store = w->store;
	w->rctx.policy = &srv->policy;
	w->rctx.profile = cfg->profile == PROFILE_SCT04 ? "sct-04" : "http-00";
	w->rctx.max_wait = cfg->max_wait;
	evhttp_set_gencb(w->http, request_cb, w);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(w->http, HTTP_HEADERS_HARD_MAX);
	evhttp_set_max_body_size(w->http, HTTP_BODY_HARD_MAX);
	evhttp_set_timeout(w->http, cfg->idle_timeout);
	evhttp_set_default_content_type(w->http, NULL);
	if (srv->ssl != NULL)
		evhttp_set_bevcb(w->http, tls_bev_cb, srv);
	lev = evconnlistener_new(w->base, NULL, NULL, LEV_OPT_REUSEABLE, 0,
	    srv->fd);
	if (lev == NULL || evhttp_bind_listener(w->http, lev) == NULL) {
		snprintf(why, why_size, "cannot listen in worker %d", index);
		return -1;
	}
	if (index == 0) {
		struct timeval tv = { (time_t)cfg->sweep_interval, 0 };
		w->sweep_ev = event_new(w->base, -1, EV_PERSIST, sweep_cb, w);
		if (w->sweep_ev == NULL || event_add(w->sweep_ev, &tv) != 0)
			return -1;
	}
	return 0;
}

static void
worker_free(struct worker *w)
{
	if (w->sweep_ev != NULL)
		event_free(w->sweep_ev);
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	if (w->http != NULL)
		evhttp_free(w->http);
	if (w->base != NULL)
		event_base_free(w->base);
	store_close(w->store);
	memset(w, 0, sizeof(*w));
}

/* Bind and listen on the configured address; the port may be 0. */
static evutil_socket_t
listen_on(const struct config *cfg, uint16_t *port, char *why,
    size_t why_size)
{
	struct addrinfo		 hints, *ai = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	evutil_socket_t		 fd = -1;
	char			 portstr[8];
	int			 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", cfg->listen_port);
	if ((rc = getaddrinfo(cfg->listen_host, portstr, &hints, &ai)) != 0) {
		snprintf(why, why_size, "%s: %s", cfg->listen_host,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/*
	 * TLS writes an answer as several records; with Nagle's algorithm
	 * the last waits for the client's delayed ACK (40 ms).  Accepted
	 * sockets inherit TCP_NODELAY from the listening one on Linux.
	 */
	int one = 1;
	if (fd < 0 || evutil_make_listen_socket_reuseable(fd) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0 ||
	    evutil_make_socket_nonblocking(fd) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(why, why_size, "cannot listen on %s:%u: %s",
		    cfg->listen_host, cfg->listen_port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	} else {
		*port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	}
	freeaddrinfo(ai);
	return fd;
}

/* The base of every urlLink: --public-url, else the listen address. */
static void
set_public_url(struct server *srv, uint16_t port)
{
	const struct config	*cfg = srv->cfg;
	bool			 v6 = strchr(cfg->listen_host, ':') != NULL;

	if (cfg->public_url[0] != '\0')
		snprintf(srv->public_url, sizeof(srv->public_url), "%s",
		    cfg->public_url);
	else
		snprintf(srv->public_url, sizeof(srv->public_url),
		    "%s://%s%s%s:%u", cfg->insecure_http ? "http" : "https",
		    v6 ? "[" : "", cfg->listen_host, v6 ? "]" : "", port);
}

static int
setup_tls(struct server *srv, char *cert_used, size_t cert_size, char *why,
    size_t why_size)
{
	const struct config	*cfg = srv->cfg;
	char			 cert[1100], key[1100];
	int			 generated = 0;
	enum tls_err		 e;

	if (cfg->insecure_http)
		return 0;
	if (cfg->tls_cert[0] != '\0') {
		snprintf(cert, sizeof(cert), "%s", cfg->tls_cert);
		snprintf(key, sizeof(key), "%s", cfg->tls_key);
	} else {
		snprintf(cert, sizeof(cert), "%s/cert.pem", cfg->data_dir);
		snprintf(key, sizeof(key), "%s/key.pem", cfg->data_dir);
		e = tls_ensure_selfsigned(cert, key, cfg->listen_host,
		    &generated);
		if (e != TLS_OK) {
			snprintf(why, why_size, "%s: %s", cert,
			    tls_strerror(e));
			return -1;
		}
		srv->ready.cert_generated = generated;
	}
	if (tls_server_ctx(cert, key, &srv->ssl, why, why_size) != TLS_OK)
		return -1;
	snprintf(cert_used, cert_size, "%s", cert);
	return 0;
}

static int
setup_outputs(struct server *srv, char *why, size_t why_size)
{
	const struct config *cfg = srv->cfg;

	if (cfg->notify_spool[0] != '\0') {
		if (notify_spool_open(cfg->notify_spool, &srv->notifier) !=
		    NOTIFY_OK) {
			snprintf(why, why_size, "%s: %s", cfg->notify_spool,
			    notify_strerror(NOTIFY_EOPEN));
			return -1;
		}
		srv->has_notifier = true;
	}
	if (cfg->access_log[0] != '\0' &&
	    (srv->access_log = fopen(cfg->access_log, "a")) == NULL) {
		snprintf(why, why_size, "%s: %s", cfg->access_log,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
set_profile(struct server *srv)
{
	if (srv->cfg->profile == PROFILE_SCT04) {
		srv->claim_header = "Device-Claim";
		srv->claim_alias = "deviceClaim";
		srv->attestation_header = "Device-Attestation";
		srv->attestation_alias = "deviceAttestation";
	} else {
		srv->claim_header = "Mailbox-Device-Claim";
		srv->attestation_header = "Mailbox-Device-Attestation";
	}
}

static int
worker_count(const struct config *cfg)
{
	long n = cfg->threads > 0 ? cfg->threads : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* Block the stop signals in every thread; main waits for them. */
static void
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int
start(struct server *srv, char *why, size_t why_size)
{
	char		cert[1100] = "";
	uint16_t	port = 0;

	set_profile(srv);
	if (setup_tls(srv, cert, sizeof(cert), why, why_size) != 0 ||
	    setup_outputs(srv, why, why_size) != 0)
		return -1;
	if ((srv->fd = listen_on(srv->cfg, &port, why, why_size)) < 0)
		return -1;
	set_public_url(srv, port);
	srv->policy.public_url = srv->public_url;
	srv->nworkers = worker_count(srv->cfg);
	for (int i = 0; i < srv->nworkers; i++)
		if (worker_init(srv, &srv->workers[i], i, why, why_size) != 0)
			return -1;
	for (int i = 0; i < srv->nworkers; i++) {
		if (pthread_create(&srv->workers[i].thread, NULL, worker_main,
		    &srv->workers[i]) != 0) {
			snprintf(why, why_size, "cannot start worker threads");
			return -1;
		}
		srv->nthreads++;
	}
	bool v6 = strchr(srv->cfg->listen_host, ':') != NULL;
	snprintf(srv->ready.url, sizeof(srv->ready.url), "%s://%s%s%s:%u",
	    srv->ssl ? "https" : "http", v6 ? "[" : "", srv->cfg->listen_host,
	    v6 ? "]" : "", port);
	snprintf(srv->ready.cert, sizeof(srv->ready.cert), "%s", cert);
	return 0;
}

static void
stop(struct server *srv)
{
	for (int i = 0; i < srv->nthreads; i++)
		event_active(srv->workers[i].stop_ev, EV_READ, 0);
	for (int i = 0; i < srv->nthreads; i++)
		pthread_join(srv->workers[i].thread, NULL);
}

static void
server_free(struct server *srv)
{
	for (int i = 0; i < MAX_WORKERS; i++)
		if (srv->workers[i].base != NULL || srv->workers[i].store)
			worker_free(&srv->workers[i]);
	if (srv->fd >= 0)
		close(srv->fd);
	if (srv->has_notifier)
		notify_close(&srv->notifier);
	if (srv->access_log != NULL)
		fclose(srv->access_log);
	SSL_CTX_free(srv->ssl);
	pthread_mutex_destroy(&srv->wait_mu);
	pthread_mutex_destroy(&srv->log_mu);
	free(srv);
}

int
server_run(const struct config *cfg,
    void (*ready)(const struct server_ready *r, void *arg), void *arg,
    char *why, size_t why_size)
{
	struct server	*srv = calloc(1, sizeof(*srv));
	sigset_t	 set;
	int		 sig = 0, rc = 1;

	if (srv == NULL) {
		snprintf(why, why_size, "out of memory");
		return 1;
	}
	srv->cfg = cfg;
	srv->fd = -1;
	srv->policy.default_ttl = cfg->default_ttl;
	srv->policy.max_ttl = cfg->max_ttl;
	srv->policy.max_mailboxes = cfg->max_mailboxes;
	srv->policy.push_supported = cfg->notify_spool[0] != '\0';
	LIST_INIT(&srv->waiters);
	pthread_mutex_init(&srv->wait_mu, NULL);
	pthread_mutex_init(&srv->log_mu, NULL);
	block_signals(&set);
	if (evthread_use_pthreads() != 0)
		snprintf(why, why_size, "libevent has no thread support");
	else if (start(srv, why, why_size) == 0) {
		ready(&srv->ready, arg);
		sigwait(&set, &sig);
		rc = 0;
	}
	stop(srv);
	server_free(srv);
	return rc;
}
