/*
 * storeq: the store work of every event loop, never waited for.  An event
 * loop submits a job (one request's store work) and gets it back through
 * the job's done callback once the job's writes are durable (or have
 * failed).
 *
 * Group commit: whoever runs the store takes every job queued (up to the
 * store's batch size), runs them one after the other in one transaction
 * and commits once, so that a single WAL append (or fsync, --sync full)
 * carries the writes of many connections; each job is answered only
 * after that commit.
 *
 * Who runs it: when the store's commit never waits (SQLite with
 * synchronous=NORMAL), the submitting event loop runs the queue itself at
 * the end of its round (storeq_run(), flat combining), so that the jobs
 * of every connection that spoke in that round share one commit and no
 * thread switch is paid per request (on this kind of machine a switch
 * costs more than the work).  Otherwise, and for background jobs (the
 * sweeper), store threads do (one for SQLite, one writer; as many as the
 * store allows otherwise), each transaction run again when Redis reports
 * a conflict.  An event loop wakes a store thread once at the end of its
 * round, not once a job, so that the round's jobs share a transaction.
 * Before a batch runs, the store is told what its jobs will read (want),
 * which Redis then reads in one round trip.  No one ever waits for the
 * store: an event loop that finds it busy leaves its jobs to whoever has
 * it.
 */
#ifndef TIGRESS_RELAY_STOREQ_H
#define TIGRESS_RELAY_STOREQ_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

#define STOREQ_MAX	65536	/* queued jobs; beyond, submit refuses */
#define STOREQ_RETRIES	64	/* runs of a job that keeps conflicting */

struct storeq_job {
	/* Optional, before the run of every job of the transaction: tell
	 * the store what run is going to read (store_want). */
	void	(*want)(struct storeq_job *j, struct store *s);
	/* Inside a transaction, on whichever thread runs the store: do the
	 * work (may be called again when the transaction is retried). */
	void	(*run)(struct storeq_job *j, struct store *s);
	/* After the transaction, on the same thread: err is STORE_OK when
	 * the job's writes are committed, else why nothing was kept. */
	void	(*done)(struct storeq_job *j, enum store_err err);
	bool	background;	/* never run on the submitter's thread */
	STAILQ_ENTRY(storeq_job) link;
};

struct storeq;

/*
 * Open the store named by spec on as many threads as it allows and start
 * them.  Errors are store_open()'s, with why.
 */
enum store_err storeq_open(const char *spec, const struct store_opts *opts,
    struct storeq **out, char *why, size_t why_size);

enum storeq_next {
	STOREQ_QUEUED,		/* a store thread runs it */
	STOREQ_RUN_SOON,	/* call storeq_run() at the end of this round */
	STOREQ_REFUSED,		/* the queue is full or closing */
};

/* Queue j (any thread). */
enum storeq_next storeq_submit(struct storeq *q, struct storeq_job *j);

/*
 * At the end of an event loop's round: run what is queued on the calling
 * thread, done callbacks included, if commits are quick and the store is
 * free; else leave it to whoever has the store, waking a store thread.
 */
void storeq_run(struct storeq *q);

/* Finish the queued jobs, stop the threads and close the store. */
void storeq_close(struct storeq *q);

#endif
