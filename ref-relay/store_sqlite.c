/*
 * store_sqlite: the store interface on SQLite in WAL mode.
 *
 * One write handle, used by whoever runs the store queue (storeq.c): an
 * event loop running a batch itself, or the store thread.  BEGIN
 * IMMEDIATE opens a transaction for a batch of requests, each request is
 * a SAVEPOINT, and one COMMIT makes the batch durable.  Only the store
 * thread may wait for the write lock when another process holds it
 * (SQLite's busy handler, BUSY_TIMEOUT_MS); an event loop's BEGIN does
 * not wait (busy_timeout 0) and gets STORE_BUSY, and its batch goes to
 * the store thread.  Read handles (one per event-loop thread) read
 * committed data without waiting: a reader never takes SQLite's busy
 * handler and answers STORE_BUSY instead, which sends the request to the
 * write path.
 *
 * Space: payload data is stored decoded (a BLOB, 3/4 of the base64 text),
 * the initiator's copy only when it differs from the current payload;
 * the WAL is checkpointed beside the writer and emptied when the store is
 * idle (journal_size_limit is above the size the WAL reaches under load,
 * so that a busy store never truncates and regrows it), and free pages
 * are returned to the file system (auto_vacuum=INCREMENTAL), so the files
 * track live data.  The live count is a counter, not a scan.  The writer
 * keeps a large page cache and its statement journals in memory: a write
 * should not need a system call to find a page or to be undoable.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "b64.h"
#include "store_sqlite.h"
#include "walbuf.h"
#include "text.h"

#define BUSY_TIMEOUT_MS		5000	/* the writer, on a store thread */
#define WAL_LIMIT_BYTES		(32 * 1024 * 1024)	/* WAL kept after a reset */
#define WRITER_CACHE_KIB	(64 * 1024)	/* the writer's page cache */
#define VACUUM_PAGES		8192	/* freed per step of an idle store */
#define VACUUM_MIN_FREE		256	/* free pages before a vacuum step */

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS mailbox ("
    " id TEXT PRIMARY KEY, initiator TEXT NOT NULL,"
    " recipient TEXT NOT NULL, rights INTEGER NOT NULL,"
    " created INTEGER NOT NULL, expires INTEGER NOT NULL,"
    " etag INTEGER NOT NULL, title TEXT NOT NULL,"
    " description TEXT NOT NULL, image_url TEXT NOT NULL,"
    " aead INTEGER NOT NULL, data BLOB NOT NULL,"
    " init_aead INTEGER NOT NULL, init_data BLOB,"
    " init_ntype TEXT, init_ntoken TEXT, rcpt_ntype TEXT, rcpt_ntoken TEXT);"
    "CREATE INDEX IF NOT EXISTS mailbox_expires ON mailbox(expires);"
    "CREATE TABLE IF NOT EXISTS request_log ("
    " claim TEXT NOT NULL, request_id TEXT NOT NULL, op INTEGER NOT NULL,"
    " mailbox TEXT NOT NULL, body TEXT NOT NULL, expires INTEGER NOT NULL,"
    " PRIMARY KEY (claim, request_id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS request_log_expires ON request_log(expires);";

#define MAILBOX_COLUMNS \
    "id, initiator, recipient, rights, created, expires, etag, title," \
    " description, image_url, aead, data, init_aead, init_data," \
    " init_ntype, init_ntoken, rcpt_ntype, rcpt_ntoken"

enum stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_MARK, ST_RELEASE, ST_UNDO,
	ST_GET, ST_INSERT, ST_UPDATE, ST_DELETE, ST_LOG_GET, ST_LOG_PUT,
	ST_COUNT, ST_SWEEP_MAILBOX, ST_SWEEP_LOG, ST_FREELIST, ST_COUNT_
};

static const char *const sql[ST_COUNT_] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_MARK] = "SAVEPOINT request",
	[ST_RELEASE] = "RELEASE request",
	[ST_UNDO] = "ROLLBACK TO request",
	[ST_GET] = "SELECT " MAILBOX_COLUMNS " FROM mailbox WHERE id = ?1",
	[ST_INSERT] = "INSERT INTO mailbox (" MAILBOX_COLUMNS ") VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	    " ?15, ?16, ?17, ?18)",
	/* What a mailbox's life changes; expires stays, and so its index. */
	[ST_UPDATE] = "UPDATE mailbox SET recipient = ?3, etag = ?7,"
	    " aead = ?11, data = ?12, init_aead = ?13, init_data = ?14,"
	    " init_ntype = ?15, init_ntoken = ?16, rcpt_ntype = ?17,"
	    " rcpt_ntoken = ?18 WHERE id = ?1",
	[ST_DELETE] = "DELETE FROM mailbox WHERE id = ?1",
	[ST_LOG_GET] = "SELECT op, mailbox, body, expires FROM request_log"
	    " WHERE claim = ?1 AND request_id = ?2 AND expires > ?3",
	[ST_LOG_PUT] = "INSERT OR REPLACE INTO request_log (claim, request_id,"
	    " op, mailbox, body, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_COUNT] = "SELECT count(*) FROM mailbox",
	[ST_SWEEP_MAILBOX] = "DELETE FROM mailbox WHERE rowid IN (SELECT rowid"
	    " FROM mailbox WHERE expires <= ?1 ORDER BY expires LIMIT ?2)",
	[ST_SWEEP_LOG] = "DELETE FROM request_log WHERE (claim, request_id) IN"
	    " (SELECT claim, request_id FROM request_log WHERE expires <= ?1"
	    " ORDER BY expires LIMIT ?2)",
	[ST_FREELIST] = "PRAGMA freelist_count",
};

/* The statements a read handle prepares. */
static const int reader_stmts[] = { ST_GET, ST_LOG_GET };

struct sqlite_store {
	sqlite3		*db;
	sqlite3_stmt	*st[ST_COUNT_];
	long		 live;		/* committed mailboxes */
	long		 live_txn;	/* change by the open transaction */
	long		 live_mark;	/* change by the open request */
	enum store_lock	 lock;		/* the busy handler set */
	char		 why[256];
};

/* Record SQLite's reason and map its code to a store error. */
static enum store_err
fail(struct sqlite_store *s, int rc)
{
	snprintf(s->why, sizeof(s->why), "sqlite: %s", sqlite3_errmsg(s->db));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_BUSY;
	case SQLITE_NOMEM:
		return STORE_ENOMEM;
	case SQLITE_CONSTRAINT:
		return STORE_EXISTS;
	case SQLITE_FULL:
		return STORE_FULL;
	default:
		return STORE_EIO;
	}
}

/* Run a statement that returns no rows, then reset it. */
static enum store_err
exec_stmt(struct sqlite_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? STORE_OK : fail(s, rc);
}

/* Bind, and turn a bind failure into a store error (checked once). */
static int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Set only when it changes: an event loop runs most batches. */
static enum store_err
sq_begin(void *impl, enum store_lock lock)
{
	struct sqlite_store	*s = impl;
	int			 rc;

	s->live_txn = s->live_mark = 0;
	if (s->lock != lock) {
		if ((rc = sqlite3_busy_timeout(s->db, lock == STORE_LOCK_WAIT ?
		    BUSY_TIMEOUT_MS : 0)) != SQLITE_OK)
			return fail(s, rc);
		s->lock = lock;
	}
	return exec_stmt(s, s->st[ST_BEGIN]);
}

static enum store_err
sq_commit(void *impl)
{
	struct sqlite_store	*s = impl;
	enum store_err		 err = exec_stmt(s, s->st[ST_COMMIT]);

	if (err == STORE_OK)
		s->live += s->live_txn;
	s->live_txn = 0;
	return err;
}

static void
sq_rollback(void *impl)
{
	struct sqlite_store *s = impl;

	s->live_txn = s->live_mark = 0;
	if (!sqlite3_get_autocommit(s->db))
		(void)exec_stmt(s, s->st[ST_ROLLBACK]);
}

static enum store_err
sq_mark(void *impl)
{
	struct sqlite_store *s = impl;

	s->live_mark = 0;
	return exec_stmt(s, s->st[ST_MARK]);
}

static void
sq_release(void *impl, int keep)
{
	struct sqlite_store *s = impl;

	if (keep)
		s->live_txn += s->live_mark;
	/* A failed ROLLBACK TO leaves the transaction for commit to fail. */
	if (!keep)
		(void)exec_stmt(s, s->st[ST_UNDO]);
	(void)exec_stmt(s, s->st[ST_RELEASE]);
	s->live_mark = 0;
}

/* A column as a new string; NULL for SQL NULL.  *ok cleared on ENOMEM. */
static char *
column_dup(sqlite3_stmt *st, int col, int *ok)
{
	const unsigned char	*v = sqlite3_column_text(st, col);
	char			*copy;

	if (v == NULL)
		return NULL;
	if ((copy = strdup((const char *)v)) == NULL)
		*ok = 0;
	return copy;
}

/*
 * A BLOB column of payload bytes as the base64 text it was given as.  A
 * TEXT value is a row written before payloads were stored decoded.
 */
static char *
column_b64(sqlite3_stmt *st, int col, int *ok)
{
	const void	*v;
	size_t		 n;
	char		*text;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	if (sqlite3_column_type(st, col) == SQLITE_TEXT)
		return column_dup(st, col, ok);
	v = sqlite3_column_blob(st, col);
	n = (size_t)sqlite3_column_bytes(st, col);
	if ((text = malloc(B64_ENCODED_LEN(n) + 1)) == NULL) {
		*ok = 0;
		return NULL;
	}
	(void)b64_encode(v != NULL ? v : (const void *)"", n, text);
	return text;
}

/* A column into out, cut to fit (ids and claims: they always fit). */
static void
column_copy(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char	*v = sqlite3_column_text(st, col);
	size_t			 n = v != NULL ?
	    (size_t)sqlite3_column_bytes(st, col) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(out, v, n);
	out[n] = '\0';
}

static void
read_mailbox(sqlite3_stmt *st, struct store_mailbox *m, int *ok)
{
	column_copy(st, 0, m->id, sizeof(m->id));
	column_copy(st, 1, m->initiator, sizeof(m->initiator));
	column_copy(st, 2, m->recipient, sizeof(m->recipient));
	m->rights = (unsigned)sqlite3_column_int(st, 3);
	m->created = sqlite3_column_int64(st, 4);
	m->expires = sqlite3_column_int64(st, 5);
	m->etag = sqlite3_column_int64(st, 6);
	m->title = column_dup(st, 7, ok);
	m->description = column_dup(st, 8, ok);
	m->image_url = column_dup(st, 9, ok);
	m->aead = sqlite3_column_int(st, 10);
	m->data = column_b64(st, 11, ok);
	m->init_aead = sqlite3_column_int(st, 12);
	m->init_data = column_b64(st, 13, ok);
	/* NULL: the initiator's payload is the current one. */
	if (m->init_data == NULL && *ok && m->data != NULL &&
	    (m->init_data = strdup(m->data)) == NULL)
		*ok = 0;
	m->init_ntype = column_dup(st, 14, ok);
	m->init_ntoken = column_dup(st, 15, ok);
	m->rcpt_ntype = column_dup(st, 16, ok);
	m->rcpt_ntoken = column_dup(st, 17, ok);
}

static enum store_err
sq_get(void *impl, const char *id, struct store_mailbox *m)
{
	struct sqlite_store	*s = impl;
	sqlite3_stmt		*st = s->st[ST_GET];
	enum store_err		 err = STORE_NOTFOUND;
	int			 rc, ok = 1;

	memset(m, 0, sizeof(*m));
	if ((rc = bind_text(st, 1, id)) != SQLITE_OK)
		err = fail(s, rc);
	else if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_mailbox(st, m, &ok);
		err = ok ? STORE_OK : STORE_ENOMEM;
	} else if (rc != SQLITE_DONE)
		err = fail(s, rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (err != STORE_OK)
		store_mailbox_clear(m);
	return err;
}

/* Bind base64 text as the bytes it encodes (it was checked canonical). */
static int
bind_b64(sqlite3_stmt *st, int i, const char *text)
{
	size_t	 n = text != NULL ? strlen(text) : 0, len = 0;
	uint8_t	*raw;

	if (text == NULL)
		return sqlite3_bind_null(st, i);
	if ((raw = malloc(B64_DECODED_MAX(n) + 1)) == NULL)
		return SQLITE_NOMEM;
	if (b64_decode_checked(text, n, raw, &len) != 0) {
		free(raw);
		return SQLITE_MISMATCH;
	}
	return sqlite3_bind_blob(st, i, raw, (int)len, free);
}

static int
bind_mailbox(sqlite3_stmt *st, const struct store_mailbox *m)
{
	bool same = m->init_data != NULL && m->data != NULL &&
	    m->init_aead == m->aead && strcmp(m->init_data, m->data) == 0;
	int rc = SQLITE_OK;

	rc |= bind_text(st, 1, m->id);
	rc |= bind_text(st, 2, m->initiator);
	rc |= bind_text(st, 3, m->recipient);
	rc |= sqlite3_bind_int(st, 4, (int)m->rights);
	rc |= sqlite3_bind_int64(st, 5, m->created);
	rc |= sqlite3_bind_int64(st, 6, m->expires);
	rc |= sqlite3_bind_int64(st, 7, m->etag);
	rc |= bind_text(st, 8, m->title);
	rc |= bind_text(st, 9, m->description);
	rc |= bind_text(st, 10, m->image_url);
	rc |= sqlite3_bind_int(st, 11, m->aead);
	rc |= bind_b64(st, 12, m->data);
	rc |= sqlite3_bind_int(st, 13, m->init_aead);
	rc |= bind_b64(st, 14, same ? NULL : m->init_data);
	rc |= bind_text(st, 15, m->init_ntype);
	rc |= bind_text(st, 16, m->init_ntoken);
	rc |= bind_text(st, 17, m->rcpt_ntype);
	rc |= bind_text(st, 18, m->rcpt_ntoken);
	return rc;
}

/* Bind with bind(), run, and reset: any failure is the store error. */
static enum store_err
write_mailbox(struct sqlite_store *s, sqlite3_stmt *st,
    const struct store_mailbox *m)
{
	if (bind_mailbox(st, m) != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		snprintf(s->why, sizeof(s->why), "sqlite: cannot bind a record");
		return STORE_EIO;
	}
	return exec_stmt(s, st);
}

static enum store_err
sq_put_new(void *impl, const struct store_mailbox *m)
{
	struct sqlite_store	*s = impl;
	enum store_err		 err = write_mailbox(s, s->st[ST_INSERT], m);

	if (err == STORE_OK)
		s->live_mark++;
	return err;
}

static enum store_err
sq_put(void *impl, const struct store_mailbox *m)
{
	struct sqlite_store	*s = impl;
	enum store_err		 err;

	if ((err = write_mailbox(s, s->st[ST_UPDATE], m)) != STORE_OK)
		return err;
	return sqlite3_changes(s->db) == 1 ? STORE_OK : STORE_NOTFOUND;
}

static enum store_err
sq_del(void *impl, const char *id)
{
	struct sqlite_store	*s = impl;
	enum store_err		 err;
	int			 rc;

	if ((rc = bind_text(s->st[ST_DELETE], 1, id)) != SQLITE_OK)
		return fail(s, rc);
	if ((err = exec_stmt(s, s->st[ST_DELETE])) != STORE_OK)
		return err;
	if (sqlite3_changes(s->db) != 1)
		return STORE_NOTFOUND;
	s->live_mark--;
	return STORE_OK;
}

static enum store_err
sq_log_get(void *impl, const char *claim, const char *request_id,
    int64_t now, struct store_log *l)
{
	struct sqlite_store	*s = impl;
	sqlite3_stmt		*st = s->st[ST_LOG_GET];
	enum store_err		 err = STORE_NOTFOUND;
	int			 rc, ok = 1;

	memset(l, 0, sizeof(*l));
	if ((rc = bind_text(st, 1, claim) | bind_text(st, 2, request_id) |
	    sqlite3_bind_int64(st, 3, now)) != SQLITE_OK)
		err = fail(s, rc);
	else if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(void)text_copy(l->claim, sizeof(l->claim), claim);
		(void)text_copy(l->request_id, sizeof(l->request_id),
		    request_id);
		l->op = sqlite3_column_int(st, 0);
		column_copy(st, 1, l->mailbox, sizeof(l->mailbox));
		l->body = column_dup(st, 2, &ok);
		l->expires = sqlite3_column_int64(st, 3);
		err = ok && l->body != NULL ? STORE_OK : STORE_ENOMEM;
	} else if (rc != SQLITE_DONE)
		err = fail(s, rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

static enum store_err
sq_log_put(void *impl, const struct store_log *l)
{
	struct sqlite_store	*s = impl;
	sqlite3_stmt		*st = s->st[ST_LOG_PUT];
	int			 rc;

	rc = bind_text(st, 1, l->claim) | bind_text(st, 2, l->request_id) |
	    sqlite3_bind_int(st, 3, l->op) | bind_text(st, 4, l->mailbox) |
	    bind_text(st, 5, l->body) | sqlite3_bind_int64(st, 6, l->expires);
	if (rc != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return fail(s, rc);
	}
	return exec_stmt(s, st);
}

/*
 * Mailboxes not yet swept: expired ones count until the sweeper (or a
 * create at the limit, mbox.c) removes them.
 */
static enum store_err
sq_count_live(void *impl, int64_t now, long *n)
{
	struct sqlite_store *s = impl;

	(void)now;
	*n = s->live + s->live_txn + s->live_mark;
	return STORE_OK;
}

/* One DELETE ... LIMIT of a sweep statement; *n gets the rows. */
static enum store_err
sweep_one(struct sqlite_store *s, enum stmt which, int64_t now, long limit,
    long *n)
{
	sqlite3_stmt	*st = s->st[which];
	enum store_err	 err;
	int		 rc;

	if ((rc = sqlite3_bind_int64(st, 1, now) |
	    sqlite3_bind_int64(st, 2, limit)) != SQLITE_OK) {
		sqlite3_reset(st);
		return fail(s, rc);
	}
	if ((err = exec_stmt(s, st)) != STORE_OK)
		return err;
	*n = (long)sqlite3_changes(s->db);
	return STORE_OK;
}

/* Delete up to limit expired mailboxes and log entries, in the batch. */
static enum store_err
sq_sweep(void *impl, int64_t now, long limit, long *removed)
{
	struct sqlite_store	*s = impl;
	enum store_err		 err;
	long			 logs = 0;

	*removed = 0;
	if ((err = sweep_one(s, ST_SWEEP_MAILBOX, now, limit, removed)) !=
	    STORE_OK || (err = sweep_one(s, ST_SWEEP_LOG, now, limit, &logs)) !=
	    STORE_OK)
		return err;
	s->live_mark -= *removed;
	if (logs > *removed)	/* report work left in either table */
		*removed = logs;
	return STORE_OK;
}

/* Between batches, on the write handle: give free pages back. */
static void
sq_maintain(void *impl)
{
	struct sqlite_store	*s = impl;
	sqlite3_stmt		*st = s->st[ST_FREELIST];
	long			 free_pages = 0;
	char			 pragma[64];

	if (sqlite3_step(st) == SQLITE_ROW)
		free_pages = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (free_pages >= VACUUM_MIN_FREE) {
		snprintf(pragma, sizeof(pragma), "PRAGMA incremental_vacuum(%d)",
		    VACUUM_PAGES);
		(void)sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
	}
}

/*
 * Copy the WAL into the database, on a handle of its own: a PASSIVE
 * checkpoint waits for no reader or writer, and commits (which may run on
 * an event loop) never checkpoint themselves (wal_autocheckpoint=0).
 * Once all of the WAL is in, the next writer starts it over, and
 * journal_size_limit cuts the file back.
 */
static long
sq_checkpoint(void *impl, int truncate)
{
	struct sqlite_store	*s = impl;
	int			 log = 0, done = 0, rc;

	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, truncate ?
	    SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE, &log,
	    &done);
	if (rc == SQLITE_BUSY && truncate)	/* readers: next time */
		return 1;
	(void)done;
	return rc == SQLITE_OK ? log : 0;
}

static const char *
sq_why(void *impl)
{
	struct sqlite_store *s = impl;

	return s->why;
}

static void
sq_close(void *impl)
{
	struct sqlite_store *s = impl;

	if (s == NULL)
		return;
	for (int i = 0; i < ST_COUNT_; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

static const struct store_ops sqlite_ops = {
	sq_begin, sq_commit, sq_rollback, sq_mark, sq_release, sq_get,
	sq_put_new, sq_put, sq_del, sq_log_get, sq_log_put, sq_count_live,
	sq_sweep, sq_maintain, sq_checkpoint, sq_why, sq_close, NULL, NULL,
};

static int
prepare(struct sqlite_store *s, int which)
{
	return sqlite3_prepare_v3(s->db, sql[which], -1,
	    SQLITE_PREPARE_PERSISTENT, &s->st[which], NULL);
}

/* Pragmas, schema, prepared statements and the live count. */
static int
setup_writer(struct sqlite_store *s, const struct store_opts *opts)
{
	char	 pragmas[256];
	char	*err = NULL;
	int	 rc;

	s->lock = STORE_LOCK_WAIT;
	rc = sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* auto_vacuum only takes effect on a database without tables. */
	snprintf(pragmas, sizeof(pragmas), "PRAGMA auto_vacuum=INCREMENTAL;"
	    " PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
	    " PRAGMA journal_size_limit=%d; PRAGMA wal_autocheckpoint=0;"
	    " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-%d;",
	    opts != NULL && opts->sync_full ? "FULL" : "NORMAL",
	    WAL_LIMIT_BYTES, WRITER_CACHE_KIB);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, pragmas, NULL, NULL, &err);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, schema, NULL, NULL, &err);
	sqlite3_free(err);
	for (int i = 0; rc == SQLITE_OK && i < ST_COUNT_; i++)
		rc = prepare(s, i);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s->st[ST_COUNT])) ==
	    SQLITE_ROW) {
		s->live = (long)sqlite3_column_int64(s->st[ST_COUNT], 0);
		rc = SQLITE_OK;
	}
	sqlite3_reset(s->st[ST_COUNT]);
	return rc;
}

static int
setup_reader(struct sqlite_store *s)
{
	int rc = sqlite3_exec(s->db, "PRAGMA query_only=1;", NULL, NULL,
	    NULL);

	/* No busy handler: a reader never waits (busy_timeout 0). */
	for (size_t i = 0; rc == SQLITE_OK &&
	    i < sizeof(reader_stmts) / sizeof(reader_stmts[0]); i++)
		rc = prepare(s, reader_stmts[i]);
	return rc;
}

/*
 * SQLite counts every allocation for sqlite3_memory_used() under one
 * process-wide mutex (about 90 lock pairs per request here); the relay
 * reads none of those counts.  This must run before SQLite initialises:
 * if something else initialised it first, the counts simply stay on.
 */
static pthread_once_t sq_config_once = PTHREAD_ONCE_INIT;

static void
sq_config_process(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum store_err
store_sqlite_open(const char *path, const struct store_opts *opts,
    struct store **out, char *why, size_t why_size)
{
	struct sqlite_store	*s;
	struct store		*st = NULL;
	bool			 reader = opts != NULL && opts->reader;
	int			 rc;

	*out = NULL;
	if (pthread_once(&sq_config_once, sq_config_process) != 0)
		return STORE_EIO;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (st = calloc(1, sizeof(*st))) == NULL) {
		free(s);
		return STORE_ENOMEM;
	}
	/* The writer appends to the log through walbuf (one write per
	 * commit); readers never write it. */
	rc = reader ? SQLITE_OK : walbuf_register();
	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
		    (reader ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX,
		    reader ? NULL : WALBUF_VFS);
	if (rc == SQLITE_OK)
		rc = reader ? setup_reader(s) : setup_writer(s, opts);
	if (rc != SQLITE_OK) {
		snprintf(why, why_size, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		enum store_err e = (rc & 0xff) == SQLITE_FULL ? STORE_FULL :
		    STORE_EIO;
		sq_close(s);
		free(st);
		return e;
	}
	st->ops = &sqlite_ops;
	st->impl = s;
	st->caps.writers = 1;
	st->caps.batch = STORE_SQLITE_BATCH;
	st->caps.readers = 1;
	st->caps.quick_commit = opts == NULL || !opts->sync_full;
	*out = st;
	return STORE_OK;
}
