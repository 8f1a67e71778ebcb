/*
 * storeq: the store threads.  Event-loop threads never touch the store
 * for writing (nor wait for it): they queue a job here and get it back
 * through the job's done callback, called on a store thread once the
 * job's writes are durable (or have failed).
 *
 * Group commit: a store thread takes every job queued (up to the store's
 * batch size), runs them one after the other in one transaction and
 * commits once, so that a single fsync (--sync full) or WAL append
 * carries the writes of many connections.  Each job is answered only
 * after that commit.  SQLite has one such thread (one writer); Redis
 * several, one job per transaction, each run again when Redis reports a
 * conflict.
 */
#ifndef TIGRESS_RELAY_STOREQ_H
#define TIGRESS_RELAY_STOREQ_H

#include <sys/queue.h>

#include <stddef.h>

#include "store.h"

#define STOREQ_MAX	65536	/* queued jobs; beyond, submit refuses */
#define STOREQ_RETRIES	64	/* runs of a job that keeps conflicting */

struct storeq_job {
	/* On a store thread, inside a transaction: do the work (may be
	 * called again when the transaction is retried). */
	void	(*run)(struct storeq_job *j, struct store *s);
	/* On a store thread, after the transaction: err is STORE_OK when
	 * the job's writes are committed, else why nothing was kept. */
	void	(*done)(struct storeq_job *j, enum store_err err);
	STAILQ_ENTRY(storeq_job) link;
};

struct storeq;

/*
 * Open the store named by spec on as many threads as it allows and start
 * them.  Errors are store_open()'s, with why.
 */
enum store_err storeq_open(const char *spec, const struct store_opts *opts,
    struct storeq **out, char *why, size_t why_size);

/* Queue j (any thread).  -1 when the queue is full or closing. */
int storeq_submit(struct storeq *q, struct storeq_job *j);

/* Finish the queued jobs, stop the threads and close the store. */
void storeq_close(struct storeq *q);

#endif
