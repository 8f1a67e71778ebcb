/*
 * store_redis: the store on Redis, so that several relay nodes can serve
 * the same mailboxes (--store redis://HOST:PORT or redis+unix:PATH).
 *
 * A transaction takes one lock key for all nodes (the same serialization
 * SQLite gives one node), reads directly, and buffers its writes until
 * commit, which applies them in one MULTI/EXEC: a crash never leaves a
 * half-written request.  Durability is Redis's own (use appendonly yes
 * with appendfsync always to survive a crash of Redis itself).
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_H
#define TIGRESS_RELAY_STORE_REDIS_H

#include <stddef.h>

#include "store.h"

/*
 * Connect to the Redis named by spec: "redis://HOST:PORT" or
 * "redis+unix:PATH".  Errors: STORE_ESPEC (bad spec), STORE_EIO (cannot
 * connect; why says more), STORE_ENOMEM.
 */
enum store_err store_redis_open(const char *spec, struct store **out,
    char *why, size_t why_size);

#endif
