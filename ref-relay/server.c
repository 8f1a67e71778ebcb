/*
 * server: setup in start(), teardown in stop_all() and server_free().
 * The request path is worker.c's; this file only wires the parts.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/thread.h>
#include <event2/util.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "accesslog.h"
#include "datadir.h"
#include "longpoll.h"
#include "notify.h"
#include "route.h"
#include "server.h"
#include "storeq.h"
#include "tls.h"
#include "worker.h"
#include "text.h"

#define MAX_WORKERS		64
#define STOP_GRACE_MS		500
#define LISTEN_BACKLOG		1024
#define FDS_RESERVED		32	/* stdio, listener, store, logs, ... */
#define FDS_PER_WORKER		6	/* event loop, wake-ups, read handle */
#define WRITE_TIMEOUT_MS	30000	/* an answer the client never takes */
#define CERT_NAMES_MAX		16	/* names of a generated certificate */
#define NAME_MAX_LEN		256

struct server {
	const struct config	*cfg;
	const struct server_hooks *hooks;
	SSL_CTX			*ssl;
	struct mbox_policy	 policy;
	char			 public_url[512];
	struct notifier		 notifier;
	bool			 has_notifier;
	FILE			*access_log;
	pthread_mutex_t		 log_mu;
	bool			 log_mu_ok;
	char			 log_key[ACCESSLOG_KEY_LEN + 1];
	evutil_socket_t		 fd;
	struct storeq		*storeq;
	struct store_follow	*follow;	/* other nodes' changes */
	struct longpoll		*longpoll;
	struct worker_env	 env;
	_Atomic long long	 warned[WORKER_WARN_COUNT];
	int			 nworkers;
	struct worker		*workers[MAX_WORKERS];
	struct server_ready	 ready;
};

/* ---- the listening socket --------------------------------------------- */

static enum server_err
listen_failed(const struct config *cfg, int e, char *why, size_t why_size)
{
	if (e == EADDRINUSE)
		snprintf(why, why_size, "cannot listen on %s:%u: the address "
		    "is already in use (another relay or program?)",
		    cfg->listen_host, cfg->listen_port);
	else if (e == EADDRNOTAVAIL)
		snprintf(why, why_size, "cannot listen on %s:%u: no such "
		    "address on this machine", cfg->listen_host,
		    cfg->listen_port);
	else
		snprintf(why, why_size, "cannot listen on %s:%u: %s",
		    cfg->listen_host, cfg->listen_port, strerror(e));
	return SERVER_ELISTEN;
}

/* Bind and listen on the configured address; the port may be 0. */
static enum server_err
listen_on(struct server *srv, uint16_t *port, char *why, size_t why_size)
{
	const struct config	*cfg = srv->cfg;
	struct addrinfo		 hints, *ai = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 portstr[8];
	int			 rc, one = 1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", cfg->listen_port);
	if ((rc = getaddrinfo(cfg->listen_host, portstr, &hints, &ai)) != 0) {
		snprintf(why, why_size, "cannot listen on %s: %s",
		    cfg->listen_host, gai_strerror(rc));
		return SERVER_ELISTEN;
	}
	srv->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/*
	 * TLS writes an answer as several records; with Nagle's algorithm
	 * the last waits for the client's delayed ACK (40 ms).  Accepted
	 * sockets inherit TCP_NODELAY from the listening one on Linux.
	 */
	if (srv->fd < 0 || evutil_make_listen_socket_reuseable(srv->fd) != 0 ||
	    setsockopt(srv->fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) != 0 || bind(srv->fd, ai->ai_addr, ai->ai_addrlen) !=
	    0 || listen(srv->fd, LISTEN_BACKLOG) != 0 ||
	    evutil_make_socket_nonblocking(srv->fd) != 0 ||
	    getsockname(srv->fd, (struct sockaddr *)&ss, &len) != 0) {
		e = errno;
		freeaddrinfo(ai);
		return listen_failed(cfg, e, why, why_size);
	}
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	freeaddrinfo(ai);
	return SERVER_OK;
}

/* "http(s)://host:port" of the listening socket, IPv6 in brackets. */
static void
listen_url(const struct server *srv, bool tls, uint16_t port, char *out,
    size_t size)
{
	const char	*host = srv->cfg->listen_host;
	bool		 v6 = strchr(host, ':') != NULL;

	snprintf(out, size, "%s://%s%s%s:%u", tls ? "https" : "http",
	    v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/* ---- TLS, outputs ----------------------------------------------------- */

bool
server_wildcard(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 ||
	    host[0] == '\0';
}

/* The names a generated certificate is for, besides the loopback ones. */
struct cert_names {
	char		 buf[CERT_NAMES_MAX][NAME_MAX_LEN];
	const char	*list[CERT_NAMES_MAX + 1];
	int		 n;
};

static void
add_cert_name(struct cert_names *cn, const char *name, size_t len)
{
	if (cn->n == CERT_NAMES_MAX || len == 0 || len >= NAME_MAX_LEN)
		return;
	for (int i = 0; i < cn->n; i++)
		if (strlen(cn->buf[i]) == len &&
		    strncmp(cn->buf[i], name, len) == 0)
			return;
	memcpy(cn->buf[cn->n], name, len);
	cn->buf[cn->n][len] = '\0';
	cn->list[cn->n] = cn->buf[cn->n];
	cn->list[++cn->n] = NULL;
}

/* The host of an http(s) base URL (config checked its form). */
static void
add_url_host(struct cert_names *cn, const char *url)
{
	const char *h = strstr(url, "://"), *end;

	if (h == NULL)
		return;
	h += 3;
	if (*h == '[' && (end = strchr(h, ']')) != NULL)
		add_cert_name(cn, h + 1, (size_t)(end - h - 1));
	else
		add_cert_name(cn, h, strcspn(h, ":/"));
}

/* Listening on every address: the machine's name and addresses. */
static void
add_local_names(struct cert_names *cn)
{
	struct ifaddrs	*ifs = NULL, *i;
	char		 host[NAME_MAX_LEN];

	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		add_cert_name(cn, host, strlen(host));
	}
	if (getifaddrs(&ifs) != 0)
		return;
	for (i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || (i->ifa_addr->sa_family != AF_INET &&
		    i->ifa_addr->sa_family != AF_INET6) ||
		    getnameinfo(i->ifa_addr, i->ifa_addr->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6),
		    host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0 ||
		    strchr(host, '%') != NULL)	/* link-local: no */
			continue;
		add_cert_name(cn, host, strlen(host));
	}
	freeifaddrs(ifs);
}

static void
cert_names(const struct config *cfg, struct cert_names *cn)
{
	memset(cn, 0, sizeof(*cn));
	if (server_wildcard(cfg->listen_host))
		add_local_names(cn);
	else
		add_cert_name(cn, cfg->listen_host, strlen(cfg->listen_host));
	if (cfg->public_url[0] != '\0')
		add_url_host(cn, cfg->public_url);
}

static enum server_err
setup_tls(struct server *srv, char *why, size_t why_size)
{
	const struct config	*cfg = srv->cfg;
	char			 cert[1100], key[1100];
	int			 generated = 0;
	struct cert_names	 names;
	enum tls_err		 e;

	if (cfg->insecure_http)
		return SERVER_OK;
	if (cfg->tls_cert[0] != '\0') {
		(void)text_copy(cert, sizeof(cert), cfg->tls_cert);
		(void)text_copy(key, sizeof(key), cfg->tls_key);
	} else {
		snprintf(cert, sizeof(cert), "%s/cert.pem", cfg->data_dir);
		snprintf(key, sizeof(key), "%s/key.pem", cfg->data_dir);
		cert_names(cfg, &names);
		e = tls_ensure_selfsigned(cert, key, names.list, &generated);
		if (e != TLS_OK) {
			snprintf(why, why_size, "%s: %s", cert,
			    tls_strerror(e));
			return SERVER_ETLS;
		}
		srv->ready.cert_generated = generated;
	}
	if (tls_server_ctx(cert, key, &srv->ssl, why, why_size) != TLS_OK)
		return SERVER_ETLS;
	(void)text_copy(srv->ready.cert, sizeof(srv->ready.cert), cert);
	return SERVER_OK;
}

static enum server_err
setup_outputs(struct server *srv, char *why, size_t why_size)
{
	const struct config *cfg = srv->cfg;

	if (cfg->notify_spool[0] != '\0') {
		if (notify_spool_open(cfg->notify_spool, &srv->notifier) !=
		    NOTIFY_OK) {
			snprintf(why, why_size, "%s: %s", cfg->notify_spool,
			    notify_strerror(NOTIFY_EOPEN));
			return SERVER_EDATADIR;
		}
		srv->has_notifier = true;
	}
	if (cfg->access_log[0] == '\0')
		return SERVER_OK;
	if (!cfg->access_log_plain_ids &&
	    datadir_log_key(cfg->data_dir, srv->log_key, why, why_size) != 0)
		return SERVER_EDATADIR;
	if ((srv->access_log = fopen(cfg->access_log, "ae")) == NULL) {
		snprintf(why, why_size, "access log %s: %s", cfg->access_log,
		    strerror(errno));
		return SERVER_EDATADIR;
	}
	return SERVER_OK;
}

/* ---- sizes ------------------------------------------------------------ */

/*
 * --threads 0: one event loop per core but one.  Writes have one writer
 * (SQLite) whichever loop runs them, and a second loop on two cores
 * mostly adds hand-offs between the loops: measured (README "Speed"),
 * one loop on two cores made the stateless flow at 16 connections cost
 * 18 % less CPU with a third of the p99, at the same req/s.
 */
static int
worker_count(const struct config *cfg)
{
	long n = cfg->threads > 0 ? cfg->threads :
	    sysconf(_SC_NPROCESSORS_ONLN) - 1;

	if (n < 1)
		n = 1;
	return n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* --max-connections, or what the descriptor limit leaves room for. */
static long
max_connections(const struct config *cfg, int nworkers)
{
	struct rlimit	rl;
	long		n;

	if (cfg->max_connections > 0)
		return cfg->max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 1024;
	n = (long)rl.rlim_cur - FDS_RESERVED - FDS_PER_WORKER * nworkers;
	return n < 1 ? 1 : n;
}

static void
set_env(struct server *srv, int nworkers)
{
	const struct config	*cfg = srv->cfg;
	struct worker_env	*env = &srv->env;
	bool			 sct = cfg->profile == PROFILE_SCT04;

	env->cfg = cfg;
	env->ssl = srv->ssl;
	env->policy = &srv->policy;
	env->profile = sct ? "sct-04" : "http-00";
	env->claim_header = sct ? "Device-Claim" : "Mailbox-Device-Claim";
	env->claim_alias = sct ? "deviceClaim" : NULL;
	env->attestation_header = sct ? "Device-Attestation" :
	    "Mailbox-Device-Attestation";
	env->attestation_alias = sct ? "deviceAttestation" : NULL;
	env->storeq = srv->storeq;
	env->longpoll = srv->longpoll;
	env->notifier = srv->has_notifier ? &srv->notifier : NULL;
	env->access_log = srv->access_log;
	env->log_mu = &srv->log_mu;
	env->log_key = srv->log_key[0] != '\0' ? srv->log_key : NULL;
	env->limits.head_max = ROUTE_HEADERS_MAX;
	env->limits.body_max = TG_BODY_MAX;
	env->limits.head_ms = cfg->header_timeout * 1000;
	env->limits.body_ms = cfg->body_timeout * 1000;
	env->limits.idle_ms = cfg->idle_timeout * 1000;
	env->limits.write_ms = WRITE_TIMEOUT_MS;
	srv->ready.max_connections = max_connections(cfg, nworkers);
	env->max_conns = (srv->ready.max_connections + nworkers - 1) /
	    nworkers;
	env->sweep_interval = cfg->sweep_interval;
	env->warn = srv->hooks->warn;
	env->warn_arg = srv->hooks->arg;
	env->warned = srv->warned;
}

/* ---- start and stop --------------------------------------------------- */

static enum server_err
start_workers(struct server *srv, char *why, size_t why_size)
{
	int n = worker_count(srv->cfg);

	set_env(srv, n);
	for (int i = 0; i < n; i++) {
		if ((srv->workers[i] = worker_new(&srv->env, srv->fd, i, why,
		    why_size)) == NULL)
			return SERVER_EOTHER;
		srv->nworkers++;
	}
	for (int i = 0; i < n; i++) {
		if (worker_start(srv->workers[i]) != 0) {
			snprintf(why, why_size, "cannot start worker threads");
			return SERVER_EOTHER;
		}
	}
	return SERVER_OK;
}

/* The base of every urlLink: --public-url, else the listen address. */
static void
set_public_url(struct server *srv, uint16_t port)
{
	if (srv->cfg->public_url[0] != '\0')
		(void)text_copy(srv->public_url, sizeof(srv->public_url),
		    srv->cfg->public_url);
	else
		listen_url(srv, !srv->cfg->insecure_http, port,
		    srv->public_url, sizeof(srv->public_url));
	srv->policy.public_url = srv->public_url;
}

static enum server_err
open_store(struct server *srv, char *why, size_t why_size)
{
	struct store_opts	opts = { srv->cfg->sync_full, 0 };
	enum store_err		e;

	e = storeq_open(srv->cfg->store, &opts, &srv->storeq, why, why_size);
	if (e == STORE_OK)
		return SERVER_OK;
	/* A store in the data directory that cannot be opened: its fault. */
	return strncmp(srv->cfg->store, "sqlite:", 7) == 0 &&
	    e != STORE_ENOMEM ? SERVER_EDATADIR : SERVER_ESTORE;
}

/* Another relay node changed a mailbox: wake the reads held for it. */
static void
changed_elsewhere(const char *id, void *arg)
{
	struct server *srv = arg;

	longpoll_wake(srv->longpoll, id);
}

static enum server_err
start(struct server *srv, char *why, size_t why_size)
{
	const struct config	*cfg = srv->cfg;
	uint16_t		 port = 0;
	enum server_err		 e;

	if (datadir_prepare(cfg->data_dir, why, why_size) != 0)
		return SERVER_EDATADIR;
	if ((e = setup_tls(srv, why, why_size)) != SERVER_OK ||
	    (e = setup_outputs(srv, why, why_size)) != SERVER_OK ||
	    (e = open_store(srv, why, why_size)) != SERVER_OK ||
	    (e = listen_on(srv, &port, why, why_size)) != SERVER_OK)
		return e;
	set_public_url(srv, port);
	if ((srv->longpoll = longpoll_new(cfg->max_long_polls,
	    cfg->max_long_polls_per_client)) == NULL) {
		snprintf(why, why_size, "out of memory");
		return SERVER_EOTHER;
	}
	if (store_follow(cfg->store, changed_elsewhere, srv, &srv->follow, why,
	    why_size) != STORE_OK)
		return SERVER_EOTHER;
	if ((e = start_workers(srv, why, why_size)) != SERVER_OK)
		return e;
	listen_url(srv, srv->ssl != NULL, port, srv->ready.url,
	    sizeof(srv->ready.url));
	return SERVER_OK;
}

/* Workers first (they answer what is in flight, all at once), then the
 * store. */
static void
stop_all(struct server *srv)
{
	store_unfollow(srv->follow);
	srv->follow = NULL;
	for (int i = 0; i < srv->nworkers; i++)
		worker_stop(srv->workers[i], STOP_GRACE_MS);
	for (int i = 0; i < srv->nworkers; i++)
		worker_join(srv->workers[i]);
	storeq_close(srv->storeq);
	srv->storeq = NULL;
	for (int i = 0; i < srv->nworkers; i++)
		worker_free(srv->workers[i]);
	srv->nworkers = 0;
}

static void
server_free(struct server *srv)
{
	stop_all(srv);
	longpoll_free(srv->longpoll);
	if (srv->fd >= 0)
		evutil_closesocket(srv->fd);
	if (srv->has_notifier)
		notify_close(&srv->notifier);
	if (srv->access_log != NULL)
		fclose(srv->access_log);
	SSL_CTX_free(srv->ssl);
	if (srv->log_mu_ok)
		pthread_mutex_destroy(&srv->log_mu);
	OPENSSL_cleanse(srv->log_key, sizeof(srv->log_key));
	free(srv);
}

/* Block the stop signals in every thread; main waits for them. */
static int
block_signals(sigset_t *set)
{
	if (sigemptyset(set) != 0 || sigaddset(set, SIGTERM) != 0 ||
	    sigaddset(set, SIGINT) != 0 ||
	    pthread_sigmask(SIG_BLOCK, set, NULL) != 0)
		return -1;
	/* A peer gone mid-write is an error return, not a signal; a file
	 * over RLIMIT_FSIZE is EFBIG, not death. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		return -1;
	return 0;
}

enum server_err
server_run(const struct config *cfg, const struct server_hooks *hooks,
    char *why, size_t why_size)
{
	struct server	*srv = calloc(1, sizeof(*srv));
	sigset_t	 set;
	int		 sig = 0;
	enum server_err	 rc = SERVER_EOTHER;

	if (srv == NULL) {
		snprintf(why, why_size, "out of memory");
		return SERVER_EOTHER;
	}
	srv->cfg = cfg;
	srv->hooks = hooks;
	srv->fd = -1;
	srv->policy.default_ttl = cfg->default_ttl;
	srv->policy.max_ttl = cfg->max_ttl;
	srv->policy.max_mailboxes = cfg->max_mailboxes;
	srv->policy.push_supported = cfg->notify_spool[0] != '\0';
	srv->log_mu_ok = pthread_mutex_init(&srv->log_mu, NULL) == 0;
	if (!srv->log_mu_ok || block_signals(&set) != 0)
		snprintf(why, why_size, "cannot set up signals and locks");
	else if (evthread_use_pthreads() != 0)
		snprintf(why, why_size, "libevent has no thread support");
	else if ((rc = start(srv, why, why_size)) == SERVER_OK) {
		hooks->ready(&srv->ready, hooks->arg);
		while (sigwait(&set, &sig) != 0)
			;
	}
	server_free(srv);
	return rc;
}
