/*
 * store_sqlite: the embedded default store, SQLite in WAL mode.  A commit
 * is durable against a crash of the relay process (kill -9) with
 * synchronous=NORMAL, and against power loss with synchronous=FULL.
 */
#ifndef TIGRESS_RELAY_STORE_SQLITE_H
#define TIGRESS_RELAY_STORE_SQLITE_H

#include <stddef.h>

#include "store.h"

#define STORE_SQLITE_BATCH	256	/* requests per group commit, at most */

/*
 * Open (creating) the database at path; with opts->reader a read handle
 * on an existing one.  Errors: STORE_EIO, STORE_FULL, STORE_ENOMEM.
 */
enum store_err store_sqlite_open(const char *path,
    const struct store_opts *opts, struct store **out, char *why,
    size_t why_size);

#endif
