/*
 * worker: one event-loop thread of the relay.  It accepts connections on
 * the shared listening socket (up to its share of --max-connections, and
 * pausing, never spinning, when descriptors run out), serves HTTP/1.1 on
 * them (http1.c), checks each request (route.c), answers reads that
 * change nothing from its own read handle, hands every other mailbox
 * operation to the store threads (storeq.c) and answers it when the
 * store has committed, and holds long-poll reads (longpoll.c).  Nothing
 * on it waits for a lock, the disk or the network.
 */
#ifndef TIGRESS_RELAY_WORKER_H
#define TIGRESS_RELAY_WORKER_H

#include <stdatomic.h>
#include <stdio.h>

#include <event2/util.h>
#include <openssl/ssl.h>

#include "config.h"
#include "http1.h"
#include "longpoll.h"
#include "mbox.h"
#include "notify.h"
#include "storeq.h"

enum worker_warning {
	WORKER_WARN_CAP,	/* at --max-connections */
	WORKER_WARN_FD,		/* out of file descriptors */
	WORKER_WARN_COUNT
};

/* What every worker shares; set up by server.c, read-only afterwards. */
struct worker_env {
	const struct config		*cfg;
	SSL_CTX				*ssl;		/* NULL: plain HTTP */
	const struct mbox_policy	*policy;
	const char			*profile;	/* "http-00", "sct-04" */
	const char			*claim_header, *claim_alias;
	const char			*attestation_header, *attestation_alias;
	struct storeq			*storeq;
	struct longpoll			*longpoll;
	const struct notifier		*notifier;	/* NULL: none */
	FILE				*access_log;	/* NULL: none */
	pthread_mutex_t			*log_mu;
	const char			*log_key;	/* NULL: plain ids */
	struct http1_limits		 limits;
	long				 max_conns;	/* per worker */
	int64_t				 sweep_interval;	/* worker 0 */
	/* one line about trouble, printed by main; at most once a minute */
	void				(*warn)(const char *line, void *arg);
	void				*warn_arg;
	_Atomic long long		*warned;	/* [WORKER_WARN_COUNT] */
};

struct worker;

/*
 * A worker on the listening socket fd; index 0 also runs the sweeper.
 * The thread starts with worker_start().  NULL with why on failure.
 */
struct worker *worker_new(const struct worker_env *env, evutil_socket_t fd,
    int index, char *why, size_t why_size);
int worker_start(struct worker *w);

/*
 * Tell w to stop (any thread; returns at once): it stops accepting,
 * answers held reads, and its thread ends as soon as no request is in
 * flight, or after grace_ms.  Stop every worker, then worker_join()
 * each, then close the store queue, then worker_free().
 */
void worker_stop(struct worker *w, int grace_ms);
void worker_join(struct worker *w);
void worker_free(struct worker *w);

#endif
