/*
 * store: where the relay keeps mailboxes and the log of processed
 * requests, behind one small interface so that the protocol code (mbox.c)
 * is written once for every backend.
 *
 * Writes run in a transaction: store_begin(), then one or more requests,
 * each between store_mark() and store_release() (keep its writes) or
 * store_undo() (drop them), then store_commit(), which makes all of them
 * durable at once (group commit, see storeq.h), or store_rollback().  A
 * backend that checks for conflicts at commit (Redis) answers
 * STORE_CONFLICT there: nothing was written and the transaction is run
 * again from the start.
 *
 * Reads inside a transaction see the writes of its earlier requests (and
 * an undone request's writes are gone).  Before its requests run, a
 * transaction may be told what they are going to read (store_want(), then
 * store_fetch()): a backend that pays a round trip per read (Redis) then
 * fetches all of it at once; a read nobody announced is still answered,
 * only at its own cost.
 *
 * A read handle (store_open_reader()) only reads, outside transactions,
 * and never waits for a lock: it answers STORE_BUSY instead; it may also
 * checkpoint (store_checkpoint()) without holding up the writer.
 *
 * A handle is used by one thread at a time.
 */
#ifndef TIGRESS_RELAY_STORE_H
#define TIGRESS_RELAY_STORE_H

#include <stdint.h>

#include "tglimits.h"
#include "uuid.h"

enum store_err {
	STORE_OK = 0,
	STORE_NOTFOUND,
	STORE_EXISTS,	/* put_new of an identifier already present */
	STORE_BUSY,	/* another writer held the store too long */
	STORE_EIO,	/* the backend failed; see store_why() */
	STORE_ENOMEM,
	STORE_ESPEC,	/* store_open: unknown "kind:..." spec */
	STORE_FULL,	/* no space left: nothing of the transaction kept */
	STORE_CONFLICT,	/* commit: a record read was changed meanwhile */
	STORE_DOWN,	/* the backend is unreachable (reconnects later) */
};

/* A mailbox.  Strings are the record's own (malloc); NULL when absent. */
struct store_mailbox {
	char		 id[UUID_STR_SIZE];
	char		 initiator[UUID_STR_SIZE];
	char		 recipient[UUID_STR_SIZE];	/* "" when unbound */
	unsigned	 rights;		/* MSG_RIGHT_* */
	int64_t		 created;
	int64_t		 expires;		/* epoch seconds */
	int64_t		 etag;			/* content changes */
	char		*title;
	char		*description;
	char		*image_url;
	int		 aead;			/* current payload */
	char		*data;
	int		 init_aead;		/* last the initiator wrote */
	char		*init_data;
	char		*init_ntype;		/* notification tokens */
	char		*init_ntoken;
	char		*rcpt_ntype;
	char		*rcpt_ntoken;
};

/* One remembered successful request (errata E-DUP-SCOPE). */
struct store_log {
	char		 claim[UUID_STR_SIZE];
	char		 request_id[TG_REQUEST_ID_MAX + 1];
	int		 op;			/* enum mbox_op */
	char		 mailbox[UUID_STR_SIZE];
	char		*body;			/* the 200 response body */
	int64_t		 expires;		/* forgotten after this */
};

/*
 * Whether store_begin() may wait for a lock held by another writer (of
 * another process: within the relay, storeq.c lets one runner at a time
 * use the writer).  An event loop must not wait: it begins with
 * STORE_LOCK_NOWAIT and gets STORE_BUSY at once; a store thread may.
 */
enum store_lock { STORE_LOCK_WAIT, STORE_LOCK_NOWAIT };

/* What a transaction's requests are going to read (store_want). */
enum store_want {
	STORE_WANT_MAILBOX,	/* a: the mailbox id (get, put_new) */
	STORE_WANT_LOG,		/* a: the claim, b: the request id (log_get) */
	STORE_WANT_COUNT,	/* count_live */
};

struct store_ops {
	enum store_err	(*begin)(void *impl, enum store_lock lock);
	enum store_err	(*commit)(void *impl);
	void		(*rollback)(void *impl);
	enum store_err	(*mark)(void *impl);
	void		(*release)(void *impl, int keep);
	enum store_err	(*get)(void *impl, const char *id,
			    struct store_mailbox *out);
	enum store_err	(*put_new)(void *impl, const struct store_mailbox *m);
	/* put writes back a record read in this transaction; its id,
	 * initiator, rights, created, expires and display information never
	 * change after put_new, and a backend may keep the stored ones. */
	enum store_err	(*put)(void *impl, const struct store_mailbox *m);
	enum store_err	(*del)(void *impl, const char *id);
	enum store_err	(*log_get)(void *impl, const char *claim,
			    const char *request_id, int64_t now,
			    struct store_log *out);
	enum store_err	(*log_put)(void *impl, const struct store_log *l);
	enum store_err	(*count_live)(void *impl, int64_t now, long *n);
	enum store_err	(*sweep)(void *impl, int64_t now, long limit,
			    long *removed);
	void		(*maintain)(void *impl);
	long		(*checkpoint)(void *impl, int truncate);
	const char	*(*why)(void *impl);
	void		(*close)(void *impl);
	/* optional (NULL: reads cost the same announced or not) */
	void		(*want)(void *impl, enum store_want what, const char *a,
			    const char *b);
	enum store_err	(*fetch)(void *impl);
};

/*
 * What a backend allows: writers is how many write handles may work at
 * once (SQLite: 1, one writer; Redis: any), batch how many requests
 * one transaction may hold,
 * readers whether read handles exist (else reads take the write path),
 * and quick_commit whether a commit never waits for the disk or the
 * network (SQLite with synchronous=NORMAL: a write to the WAL, no fsync),
 * so that an event loop may run a batch itself (storeq.h).
 */
struct store_caps {
	int	writers;
	int	batch;
	int	readers;
	int	quick_commit;
};

struct store {
	const struct store_ops	*ops;
	void			*impl;
	struct store_caps	 caps;
};

struct store_opts {
	int	sync_full;	/* fsync every commit, not only the WAL */
	int	reader;		/* a read handle (store_open_reader) */
};

/*
 * Open the store named by spec ("sqlite:PATH"), creating it if needed.
 * The caller closes it with store_close().  Errors: STORE_ESPEC,
 * STORE_EIO (why says more), STORE_ENOMEM.
 */
enum store_err store_open(const char *spec, const struct store_opts *opts,
    struct store **out, char *why, size_t why_size);

/*
 * A read handle on the store named by spec, or *out = NULL (and STORE_OK)
 * when the backend has none.  Only get and log_get may be used on it.
 */
enum store_err store_open_reader(const char *spec, struct store **out,
    char *why, size_t why_size);
void store_close(struct store *s);

const char *store_strerror(enum store_err err);

/*
 * Follow the changes other relay nodes make to the store named by spec:
 * changed(id, arg) is called (on a thread of its own) with the id of
 * every mailbox any node updated or deleted.  *out is NULL, with
 * STORE_OK, when the backend serves one node only (SQLite).  Stop with
 * store_unfollow().
 */
struct store_follow;
enum store_err store_follow(const char *spec,
    void (*changed)(const char *id, void *arg), void *arg,
    struct store_follow **out, char *why, size_t why_size);
void store_unfollow(struct store_follow *f);

/* Free the strings of a record or log entry (not the struct itself). */
void store_mailbox_clear(struct store_mailbox *m);
void store_log_clear(struct store_log *l);

/*
 * Deep copies into *dst (overwritten, not freed first; the caller clears
 * it).  Errors: STORE_ENOMEM, with *dst empty.
 */
enum store_err store_mailbox_copy(struct store_mailbox *dst,
    const struct store_mailbox *src);
enum store_err store_log_copy(struct store_log *dst,
    const struct store_log *src);

/* Thin wrappers over the ops, so callers read naturally. */
static inline enum store_err store_begin(struct store *s,
    enum store_lock lock)
{ return s->ops->begin(s->impl, lock); }
static inline enum store_err store_commit(struct store *s)
{ return s->ops->commit(s->impl); }
static inline void store_rollback(struct store *s)
{ s->ops->rollback(s->impl); }
static inline enum store_err store_mark(struct store *s)
{ return s->ops->mark(s->impl); }
static inline void store_release(struct store *s, int keep)
{ s->ops->release(s->impl, keep); }
static inline enum store_err store_get(struct store *s, const char *id,
    struct store_mailbox *out)
{ return s->ops->get(s->impl, id, out); }
static inline enum store_err store_put_new(struct store *s,
    const struct store_mailbox *m)
{ return s->ops->put_new(s->impl, m); }
static inline enum store_err store_put(struct store *s,
    const struct store_mailbox *m)
{ return s->ops->put(s->impl, m); }
static inline enum store_err store_del(struct store *s, const char *id)
{ return s->ops->del(s->impl, id); }
static inline enum store_err store_log_get(struct store *s, const char *claim,
    const char *request_id, int64_t now, struct store_log *out)
{ return s->ops->log_get(s->impl, claim, request_id, now, out); }
static inline enum store_err store_log_put(struct store *s,
    const struct store_log *l)
{ return s->ops->log_put(s->impl, l); }
static inline enum store_err store_count_live(struct store *s, int64_t now,
    long *n)
{ return s->ops->count_live(s->impl, now, n); }
/* Delete up to limit expired mailboxes (and expired log entries). */
static inline enum store_err store_sweep(struct store *s, int64_t now,
    long limit, long *removed)
{ return s->ops->sweep(s->impl, now, limit, removed); }
/* Housekeeping on a write handle between transactions (vacuum). */
static inline void store_maintain(struct store *s)
{ if (s->ops->maintain != NULL) s->ops->maintain(s->impl); }
/*
 * Copy committed log pages into the store (any handle; no wait); with
 * truncate, also empty the log file if no one reads it (else it stays).
 * Returns the pages in the log, or 0 when the backend keeps none.
 */
static inline long store_checkpoint(struct store *s, int truncate)
{ return s->ops->checkpoint != NULL ?
    s->ops->checkpoint(s->impl, truncate) : 0; }
/*
 * Tell the transaction what one of its requests will read, before the
 * requests run; then store_fetch() reads all of it (Redis: one round
 * trip).  A hint only: what cannot be remembered is read when asked for.
 * Errors of store_fetch: those of a read (STORE_DOWN, STORE_EIO).
 */
static inline void store_want(struct store *s, enum store_want what,
    const char *a, const char *b)
{ if (s->ops->want != NULL) s->ops->want(s->impl, what, a, b); }
static inline enum store_err store_fetch(struct store *s)
{ return s->ops->fetch != NULL ? s->ops->fetch(s->impl) : STORE_OK; }
static inline const char *store_why(struct store *s)
{ return s->ops->why(s->impl); }

#endif
