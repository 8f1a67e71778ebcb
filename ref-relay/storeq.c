/*
 * storeq: a queue of jobs under one mutex, and whoever runs a batch:
 * store threads, or (quick commits) the submitting event loop.  With one
 * writer, `running` says a batch is under way and its handle taken; the
 * runner looks at the queue again before it lets go, so a job queued
 * meanwhile is never left behind.  A store thread with nothing to do
 * tidies the store (store_maintain: WAL checkpoint, vacuum) at most once
 * a second.
 *
 * An event loop never waits for the store's lock: when another process
 * holds it (someone's sqlite3 shell), its batch's begin answers
 * STORE_BUSY at once, and the batch goes back to the head of the queue,
 * in order, for the store thread (`handoff`: no event loop runs a batch
 * until the store thread has taken it), which may wait for the lock and
 * answers 503 when it is held too long.
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
#define MAINTAIN_MS		1000	/* vacuum this often when idle */
#define CHECKPOINT_MS		1000	/* checkpoint this often, beside it */
#define LOG_PAGES_MAX		4096	/* then start the log over (16 MiB) */
#define IDLE_MS			1000	/* no batch this long: empty the log */

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
	long			 nbackground;	/* queued jobs not to run inline */
	bool			 closing;
	bool			 running;	/* one writer: its handle is taken */
	bool			 handoff;	/* the store thread's turn */
	bool			 one_writer;
	bool			 inline_ok;	/* quick commits: run on submit */
	int			 batch;
	int			 nthreads;
	struct store		*tidy;		/* checkpoints; NULL: none */
	int64_t			 last_checkpoint;
	int64_t			 last_job;	/* when a batch last ran */
	long			 log_pages;	/* left by the last checkpoint */
	struct worker_slot	 slots[STOREQ_THREADS_MAX];
};

#define INLINE_ROUNDS	4	/* batches an event loop runs, at most */

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
run_batch(struct store *s, struct jobq *batch, enum store_lock lock)
{
	struct storeq_job	*j;
	enum store_err		 err = STORE_CONFLICT;

	for (int tries = 0; err == STORE_CONFLICT && tries < STOREQ_RETRIES;
	    tries++) {
		if ((err = store_begin(s, lock)) != STORE_OK)
			break;
		STAILQ_FOREACH(j, batch, link)
			if (j->want != NULL)
				j->want(j, s);
		if ((err = store_fetch(s)) != STORE_OK) {
			store_rollback(s);
			break;
		}
		STAILQ_FOREACH(j, batch, link)
			j->run(j, s);
		if ((err = store_commit(s)) != STORE_OK)
			store_rollback(s);
	}
	return err == STORE_CONFLICT ? STORE_BUSY : err;
}

static void grab(struct storeq *q, struct jobq *batch);

/* Whether this store thread may use the writer now (q->mu held). */
static bool
writer_free(const struct storeq *q)
{
	return !q->one_writer || !q->running;
}

/*
 * Checkpoint on the tidy handle (q->mu held): the bulk beside the writer;
 * when the log has grown past LOG_PAGES_MAX, the few pages committed
 * meanwhile again with the writer held for that moment, so that the
 * whole log is in the database and the next commit starts it over: the
 * log stays small even under constant load.
 */
static void
checkpoint(struct storeq *q)
{
	long pages;

	bool idle;

	q->last_checkpoint = mono_ms();
	if (q->tidy == NULL)
		return;
	pthread_mutex_unlock(&q->mu);
	pages = store_checkpoint(q->tidy, 0);
	if (pthread_mutex_lock(&q->mu) != 0)
		abort();	/* a broken mutex: nothing sane is left */
	/* Idle with a log on disk: empty it, so that disk use tracks data. */
	idle = q->log_pages > 0 && mono_ms() - q->last_job >= IDLE_MS;
	q->log_pages = pages;
	if ((pages < LOG_PAGES_MAX && !idle) || !writer_free(q))
		return;
	q->running = true;
	pthread_mutex_unlock(&q->mu);
	q->log_pages = store_checkpoint(q->tidy, idle);
	if (pthread_mutex_lock(&q->mu) != 0)
		abort();
	q->running = false;
	if (q->njobs > 0)
		(void)pthread_cond_broadcast(&q->cond);
}

/* Tidy the store, with the writer taken (q->mu held, and released). */
static void
tidy(struct storeq *q, struct store *s, int64_t *last_tidy)
{
	if (q->one_writer)
		q->running = true;
	pthread_mutex_unlock(&q->mu);
	store_maintain(s);
	*last_tidy = mono_ms();
	if (pthread_mutex_lock(&q->mu) != 0)
		abort();	/* a broken mutex: nothing sane is left */
	if (q->one_writer)
		q->running = false;
}

/*
 * Take up to q->batch jobs, tidying the store once a second even under
 * load; false when closing with nothing left.
 */
static bool
take(struct storeq *q, struct jobq *batch, int64_t *last_tidy,
    struct store *s)
{
	struct timespec until;

	STAILQ_INIT(batch);
	if (pthread_mutex_lock(&q->mu) != 0)
		return false;
	for (;;) {
		if (s == q->slots[0].store &&
		    mono_ms() - q->last_checkpoint >= CHECKPOINT_MS)
			checkpoint(q);
		/* Vacuum only an idle store: under load, new rows reuse
		 * the free pages, and the writer is not held up. */
		if (writer_free(q) && mono_ms() - *last_tidy >= MAINTAIN_MS &&
		    mono_ms() - q->last_job >= IDLE_MS) {
			tidy(q, s, last_tidy);
			continue;
		}
		if (writer_free(q) && q->njobs > 0)
			break;
		if (q->closing && q->njobs == 0 && writer_free(q)) {
			pthread_mutex_unlock(&q->mu);
			return false;
		}
		if (clock_gettime(CLOCK_REALTIME, &until) != 0)
			break;
		until.tv_sec += CHECKPOINT_MS / 1000;
		until.tv_nsec += (CHECKPOINT_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&q->cond, &q->mu, &until);
	}
	grab(q, batch);
	q->handoff = false;
	if (q->one_writer && !STAILQ_EMPTY(batch))
		q->running = true;
	pthread_mutex_unlock(&q->mu);
	return true;
}

/* Move up to q->batch queued jobs to batch (q->mu held). */
static void
grab(struct storeq *q, struct jobq *batch)
{
	struct storeq_job *j;

	for (int n = 0; n < q->batch && (j = STAILQ_FIRST(&q->jobs)); n++) {
		STAILQ_REMOVE_HEAD(&q->jobs, link);
		q->njobs--;
		if (j->background)
			q->nbackground--;
		else	/* the sweeper's steps do not keep a store busy */
			q->last_job = mono_ms();
		STAILQ_INSERT_TAIL(batch, j, link);
	}
}

/* The batch is done: let the next runner in (a store thread, when work
 * is queued). */
static void
release(struct storeq *q)
{
	if (!q->one_writer || pthread_mutex_lock(&q->mu) != 0)
		return;
	q->running = false;
	if (q->njobs > 0 || q->closing)
		(void)pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

/* Put a batch back at the head of the queue, in order (q->mu held). */
static void
put_back(struct storeq *q, struct jobq *batch)
{
	struct storeq_job *j;

	STAILQ_FOREACH(j, batch, link)
		q->njobs++;	/* never background: see storeq_run() */
	STAILQ_CONCAT(batch, &q->jobs);
	STAILQ_CONCAT(&q->jobs, batch);
}

/* Answer a batch's jobs with err. */
static void
answer_jobs(struct jobq *batch, enum store_err err)
{
	struct storeq_job *j, *next;

	/* done() may free or requeue j: read the link first. */
	for (j = STAILQ_FIRST(batch); j != NULL; j = next) {
		next = STAILQ_NEXT(j, link);
		j->done(j, err);
	}
}

static void *
store_thread(void *arg)
{
	struct worker_slot	*w = arg;
	struct jobq		 batch;
	int64_t			 last_tidy = mono_ms();

	while (take(w->q, &batch, &last_tidy, w->store)) {
		if (STAILQ_EMPTY(&batch))
			continue;
		/* Not an event loop: it may wait for another's lock. */
		answer_jobs(&batch, run_batch(w->store, &batch, STORE_LOCK_WAIT));
		release(w->q);
	}
	return NULL;
}

/*
 * On an event loop: run what is queued while the writer is free and
 * nothing queued must wait for a store thread; a few batches at most,
 * then the store thread takes over.  A batch whose begin finds the lock
 * held elsewhere goes back to the store thread (handoff) unanswered.
 */
void
storeq_run(struct storeq *q)
{
	struct jobq	batch;
	enum store_err	err;

	if (pthread_mutex_lock(&q->mu) != 0)
		return;
	if (!q->inline_ok && q->njobs > 0)	/* the round's jobs, at once */
		(void)pthread_cond_signal(&q->cond);
	if (!q->inline_ok || q->running || q->handoff || q->njobs == 0) {
		pthread_mutex_unlock(&q->mu);
		return;
	}
	q->running = true;
	for (int round = 0; round < INLINE_ROUNDS; round++) {
		if (q->njobs == 0 || q->nbackground > 0 || q->closing)
			break;
		STAILQ_INIT(&batch);
		grab(q, &batch);
		pthread_mutex_unlock(&q->mu);
		err = run_batch(q->slots[0].store, &batch, STORE_LOCK_NOWAIT);
		if (err != STORE_BUSY)
			answer_jobs(&batch, err);
		if (pthread_mutex_lock(&q->mu) != 0)
			abort();	/* a broken mutex: nothing sane is left */
		if (err == STORE_BUSY) {
			put_back(q, &batch);
			q->handoff = true;
			break;
		}
	}
	q->running = false;
	if (q->njobs > 0)	/* more: the store thread goes on */
		(void)pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

enum storeq_next
storeq_submit(struct storeq *q, struct storeq_job *j)
{
	enum storeq_next next = STOREQ_QUEUED;

	if (pthread_mutex_lock(&q->mu) != 0)
		return STOREQ_REFUSED;
	if (q->closing || q->njobs >= STOREQ_MAX) {
		pthread_mutex_unlock(&q->mu);
		return STOREQ_REFUSED;
	}
	STAILQ_INSERT_TAIL(&q->jobs, j, link);
	q->njobs++;
	if (j->background)
		q->nbackground++;
	if (!j->background)	/* storeq_run() runs it or wakes a thread */
		next = STOREQ_RUN_SOON;
	else
		(void)pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mu);
	return next;
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
	store_close(q->tidy);
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
	q->one_writer = q->nthreads == 1;
	q->inline_ok = q->one_writer && first->caps.quick_commit;
	if ((err = store_open_reader(spec, &q->tidy, why, why_size)) !=
	    STORE_OK) {
		storeq_close(q);
		return err;
	}
	if ((err = start_threads(q, spec, opts, why, why_size)) != STORE_OK) {
		storeq_close(q);
		return err;
	}
	*out = q;
	return STORE_OK;
}
