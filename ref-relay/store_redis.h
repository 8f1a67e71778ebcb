/*
 * store_redis: the store on Redis, so that several relay nodes can serve
 * the same mailboxes (--store redis://HOST:PORT or redis+unix:PATH).
 *
 * No locks: a transaction (a batch of up to STORE_REDIS_BATCH requests)
 * WATCHes every key it reads and applies its writes in one MULTI/EXEC,
 * which Redis refuses when another node changed one of those keys
 * meanwhile (commit then answers STORE_CONFLICT and the batch runs
 * again).  Reads announced with store_want() cost one round trip for the
 * whole batch.  A crash never leaves a half-written request.
 * Durability is Redis's own (use appendonly yes with appendfsync always
 * to survive a crash of Redis itself).  A lost connection is reopened at
 * the next transaction.  Calls block on the network: they run on store
 * threads (storeq.c), never on an event loop.
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_H
#define TIGRESS_RELAY_STORE_REDIS_H

#include <stddef.h>

#include "store.h"

/*
 * One store thread: while it waits for Redis, the requests that arrive
 * queue up for its next batch instead of waking another thread (more
 * threads measured more CPU per request, not less latency).
 */
#define STORE_REDIS_WRITERS	1	/* store threads, one connection each */
#define STORE_REDIS_BATCH	64	/* requests per transaction, at most */
#define STORE_REDIS_CHANNEL	"tigress:changed"

/*
 * Connect to the Redis named by spec: "redis://HOST:PORT" or
 * "redis+unix:PATH".  Errors: STORE_ESPEC (bad spec), STORE_DOWN (cannot
 * connect; why says more), STORE_ENOMEM.
 */
enum store_err store_redis_open(const char *spec, struct store **out,
    char *why, size_t why_size);

/*
 * Every commit that changes a mailbox also publishes its id on
 * STORE_REDIS_CHANNEL; this subscribes (on a thread of its own, with its
 * own connection, reconnecting when it is lost) and calls changed(id,
 * arg) for each, so that a node wakes the long-poll reads it holds when
 * another node updates their mailbox.  Errors: STORE_DOWN, STORE_ENOMEM.
 */
enum store_err store_redis_follow(const char *spec,
    void (*changed)(const char *id, void *arg), void *arg,
    struct store_follow **out, char *why, size_t why_size);

/* Stop following (within a second) and free f; NULL is fine. */
void store_redis_unfollow(struct store_follow *f);

#endif
