/*
 * storeq: a queue of jobs under one mutex, and store threads that take
 * batches from it.  A thread with nothing to do tidies the store
 * (store_maintain: WAL checkpoint, vacuum) at most once a second.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storeq.h"

#define STOREQ_THREADS_MAX	16
#define MAINTAIN_MS		1000	/* tidy an idle store this often */

STAILQ_HEAD(jobq, storeq_job);

struct worker_slot {
	struct storeq	*q;
	struct store	*store;
	pthread_t	 thread;
	bool		 started;
};

struct storeq {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cond;
	struct jobq		 jobs;
	long			 njobs;
	bool			 closing;
	int			 batch;
	int			 nthreads;
	struct worker_slot	 slots[STOREQ_THREADS_MAX];
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run a batch in one transaction, again while Redis reports a conflict. */
static enum store_err
run_batch(struct store *s, struct jobq *batch)
{
	struct storeq_job	*j;
	enum store_err		 err = STORE_CONFLICT;

	for (int tries = 0; err == STORE_CONFLICT && tries < STOREQ_RETRIES;
	    tries++) {
		if ((err = store_begin(s)) != STORE_OK)
			break;
		STAILQ_FOREACH(j, batch, link)
			j->run(j, s);
		if ((err = store_commit(s)) != STORE_OK)
			store_rollback(s);
	}
	return err == STORE_CONFLICT ? STORE_BUSY : err;
}

/* Take up to q->batch jobs; false when closing with nothing left. */
static bool
take(struct storeq *q, struct jobq *batch, int64_t *last_tidy,
    struct store *s)
{
	struct storeq_job	*j;
	struct timespec		 until;

	STAILQ_INIT(batch);
	if (pthread_mutex_lock(&q->mu) != 0)
		return false;
	while (q->njobs == 0 && !q->closing) {
		if (mono_ms() - *last_tidy >= MAINTAIN_MS) {
			pthread_mutex_unlock(&q->mu);
			store_maintain(s);
			*last_tidy = mono_ms();
			if (pthread_mutex_lock(&q->mu) != 0)
				return false;
			continue;
		}
		if (clock_gettime(CLOCK_REALTIME, &until) != 0)
			break;
		until.tv_sec += MAINTAIN_MS / 1000;
		(void)pthread_cond_timedwait(&q->cond, &q->mu, &until);
	}
	for (int n = 0; n < q->batch && (j = STAILQ_FIRST(&q->jobs)); n++) {
		STAILQ_REMOVE_HEAD(&q->jobs, link);
		q->njobs--;
		STAILQ_INSERT_TAIL(batch, j, link);
	}
	bool more = !STAILQ_EMPTY(batch) || !q->closing;
	pthread_mutex_unlock(&q->mu);
	return more;
}

static void *
store_thread(void *arg)
{
	struct worker_slot	*w = arg;
	struct jobq		 batch;
	struct storeq_job	*j, *next;
	int64_t			 last_tidy = mono_ms();
	enum store_err		 err;

	while (take(w->q, &batch, &last_tidy, w->store)) {
		if (STAILQ_EMPTY(&batch))
			continue;
		err = run_batch(w->store, &batch);
		/* done() may free or requeue j: read the link first. */
		for (j = STAILQ_FIRST(&batch); j != NULL; j = next) {
			next = STAILQ_NEXT(j, link);
			j->done(j, err);
		}
	}
	return NULL;
}

int
storeq_submit(struct storeq *q, struct storeq_job *j)
{
	int rc = -1;

	if (pthread_mutex_lock(&q->mu) != 0)
		return -1;
	if (!q->closing && q->njobs < STOREQ_MAX) {
		STAILQ_INSERT_TAIL(&q->jobs, j, link);
		q->njobs++;
		rc = pthread_cond_signal(&q->cond) == 0 ? 0 : -1;
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void
storeq_close(struct storeq *q)
{
	if (q == NULL)
		return;
	if (pthread_mutex_lock(&q->mu) == 0) {
		q->closing = true;
		pthread_cond_broadcast(&q->cond);
		pthread_mutex_unlock(&q->mu);
	}
	for (int i = 0; i < q->nthreads; i++) {
		if (q->slots[i].started)
			pthread_join(q->slots[i].thread, NULL);
		store_close(q->slots[i].store);
	}
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static enum store_err
start_threads(struct storeq *q, const char *spec,
    const struct store_opts *opts, char *why, size_t why_size)
{
	enum store_err err;

	for (int i = 0; i < q->nthreads; i++) {
		struct worker_slot *w = &q->slots[i];

		w->q = q;
		if (i > 0 && (err = store_open(spec, opts, &w->store, why,
		    why_size)) != STORE_OK)
			return err;
		if (pthread_create(&w->thread, NULL, store_thread, w) != 0) {
			snprintf(why, why_size, "cannot start store threads");
			return STORE_ENOMEM;
		}
		w->started = true;
	}
	return STORE_OK;
}

enum store_err
storeq_open(const char *spec, const struct store_opts *opts,
    struct storeq **out, char *why, size_t why_size)
{
	struct storeq	*q = calloc(1, sizeof(*q));
	struct store	*first = NULL;
	enum store_err	 err;

	*out = NULL;
	if (q == NULL)
		return STORE_ENOMEM;
	if (pthread_mutex_init(&q->mu, NULL) != 0) {
		free(q);
		return STORE_ENOMEM;
	}
	if (pthread_cond_init(&q->cond, NULL) != 0) {
		pthread_mutex_destroy(&q->mu);
		free(q);
		return STORE_ENOMEM;
	}
	STAILQ_INIT(&q->jobs);
	if ((err = store_open(spec, opts, &first, why, why_size)) != STORE_OK) {
		storeq_close(q);
		return err;
	}
	q->slots[0].store = first;
	q->batch = first->caps.batch > 0 ? first->caps.batch : 1;
	q->nthreads = first->caps.writers < 1 ? 1 :
	    first->caps.writers > STOREQ_THREADS_MAX ? STOREQ_THREADS_MAX :
	    first->caps.writers;
	if ((err = start_threads(q, spec, opts, why, why_size)) != STORE_OK) {
		storeq_close(q);
		return err;
	}
	*out = q;
	return STORE_OK;
}
