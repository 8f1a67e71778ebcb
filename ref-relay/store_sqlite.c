/*
 * store_sqlite: the store interface on SQLite.  One connection per handle
 * (per worker thread); BEGIN IMMEDIATE makes each request one serialized
 * write transaction, and busy_timeout lets concurrent workers queue for
 * it instead of failing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_sqlite.h"

#define BUSY_TIMEOUT_MS	10000

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS mailbox ("
    " id TEXT PRIMARY KEY, initiator TEXT NOT NULL,"
    " recipient TEXT NOT NULL, rights INTEGER NOT NULL,"
    " created INTEGER NOT NULL, expires INTEGER NOT NULL,"
    " etag INTEGER NOT NULL, title TEXT NOT NULL,"
    " description TEXT NOT NULL, image_url TEXT NOT NULL,"
    " aead INTEGER NOT NULL, data TEXT NOT NULL,"
    " init_aead INTEGER NOT NULL, init_data TEXT NOT NULL,"
    " init_ntype TEXT, init_ntoken TEXT, rcpt_ntype TEXT, rcpt_ntoken TEXT);"
    "CREATE INDEX IF NOT EXISTS mailbox_expires ON mailbox(expires);"
    "CREATE TABLE IF NOT EXISTS request_log ("
    " claim TEXT NOT NULL, request_id TEXT NOT NULL, op INTEGER NOT NULL,"
    " mailbox TEXT NOT NULL, body TEXT NOT NULL, expires INTEGER NOT NULL,"
    " PRIMARY KEY (claim, request_id));"
    "CREATE INDEX IF NOT EXISTS request_log_expires ON request_log(expires);";

#define MAILBOX_COLUMNS \
    "id, initiator, recipient, rights, created, expires, etag, title," \
    " description, image_url, aead, data, init_aead, init_data," \
    " init_ntype, init_ntoken, rcpt_ntype, rcpt_ntoken"

enum stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_GET, ST_INSERT, ST_UPDATE,
	ST_DELETE, ST_LOG_GET, ST_LOG_PUT, ST_COUNT, ST_SWEEP_MAILBOX,
	ST_SWEEP_LOG, ST_COUNT_
};

static const char *const sql[ST_COUNT_] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GET] = "SELECT " MAILBOX_COLUMNS " FROM mailbox WHERE id = ?1",
	[ST_INSERT] = "INSERT INTO mailbox (" MAILBOX_COLUMNS ") VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	    " ?15, ?16, ?17, ?18)",
	[ST_UPDATE] = "UPDATE mailbox SET initiator = ?2, recipient = ?3,"
	    " rights = ?4, created = ?5, expires = ?6, etag = ?7, title = ?8,"
	    " description = ?9, image_url = ?10, aead = ?11, data = ?12,"
	    " init_aead = ?13, init_data = ?14, init_ntype = ?15,"
	    " init_ntoken = ?16, rcpt_ntype = ?17, rcpt_ntoken = ?18"
	    " WHERE id = ?1",
	[ST_DELETE] = "DELETE FROM mailbox WHERE id = ?1",
	[ST_LOG_GET] = "SELECT op, mailbox, body, expires FROM request_log"
	    " WHERE claim = ?1 AND request_id = ?2 AND expires > ?3",
	[ST_LOG_PUT] = "INSERT OR REPLACE INTO request_log (claim, request_id,"
	    " op, mailbox, body, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_COUNT] = "SELECT count(*) FROM mailbox WHERE expires > ?1",
	[ST_SWEEP_MAILBOX] = "DELETE FROM mailbox WHERE expires <= ?1",
	[ST_SWEEP_LOG] = "DELETE FROM request_log WHERE expires <= ?1",
};

struct sqlite_store {
	sqlite3		*db;
	sqlite3_stmt	*st[ST_COUNT_];
	char		 why[256];
};

/* Record SQLite's reason and map its code to a store error. */
static enum store_err
fail(struct sqlite_store *s, int rc)
{
	snprintf(s->why, sizeof(s->why), "sqlite: %s", sqlite3_errmsg(s->db));
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return STORE_BUSY;
	if (rc == SQLITE_NOMEM)
		return STORE_ENOMEM;
	if (rc == SQLITE_CONSTRAINT)
		return STORE_EXISTS;
	return STORE_EIO;
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

static enum store_err
sq_begin(void *impl)
{
	struct sqlite_store *s = impl;

	return exec_stmt(s, s->st[ST_BEGIN]);
}

static enum store_err
sq_commit(void *impl)
{
	struct sqlite_store *s = impl;

	return exec_stmt(s, s->st[ST_COMMIT]);
}

static void
sq_rollback(void *impl)
{
	struct sqlite_store *s = impl;

	if (!sqlite3_get_autocommit(s->db))
		(void)exec_stmt(s, s->st[ST_ROLLBACK]);
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

static void
column_copy(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	snprintf(out, size, "%s", v != NULL ? (const char *)v : "");
}

static enum store_err
sq_get(void *impl, const char *id, struct store_mailbox *m)
{
	struct sqlite_store	*s = impl;
	sqlite3_stmt		*st = s->st[ST_GET];
	enum store_err		 err = STORE_NOTFOUND;
	int			 rc, ok = 1;

	memset(m, 0, sizeof(*m));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		column_copy(st, 0, m->id, sizeof(m->id));
		column_copy(st, 1, m->initiator, sizeof(m->initiator));
		column_copy(st, 2, m->recipient, sizeof(m->recipient));
		m->rights = (unsigned)sqlite3_column_int(st, 3);
		m->created = sqlite3_column_int64(st, 4);
		m->expires = sqlite3_column_int64(st, 5);
		m->etag = sqlite3_column_int64(st, 6);
		m->title = column_dup(st, 7, &ok);
		m->description = column_dup(st, 8, &ok);
		m->image_url = column_dup(st, 9, &ok);
		m->aead = sqlite3_column_int(st, 10);
		m->data = column_dup(st, 11, &ok);
		m->init_aead = sqlite3_column_int(st, 12);
		m->init_data = column_dup(st, 13, &ok);
		m->init_ntype = column_dup(st, 14, &ok);
		m->init_ntoken = column_dup(st, 15, &ok);
		m->rcpt_ntype = column_dup(st, 16, &ok);
		m->rcpt_ntoken = column_dup(st, 17, &ok);
		err = ok ? STORE_OK : STORE_ENOMEM;
	} else if (rc != SQLITE_DONE) {
		err = fail(s, rc);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (err != STORE_OK)
		store_mailbox_clear(m);
	return err;
}

static void
bind_mailbox(sqlite3_stmt *st, const struct store_mailbox *m)
{
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->initiator, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)m->rights);
	sqlite3_bind_int64(st, 5, m->created);
	sqlite3_bind_int64(st, 6, m->expires);
	sqlite3_bind_int64(st, 7, m->etag);
	sqlite3_bind_text(st, 8, m->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, m->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, m->image_url, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, m->aead);
	sqlite3_bind_text(st, 12, m->data, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 13, m->init_aead);
	sqlite3_bind_text(st, 14, m->init_data, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, m->init_ntype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, m->init_ntoken, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 17, m->rcpt_ntype, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 18, m->rcpt_ntoken, -1, SQLITE_STATIC);
}

static enum store_err
sq_put_new(void *impl, const struct store_mailbox *m)
{
	struct sqlite_store *s = impl;

	bind_mailbox(s->st[ST_INSERT], m);
	return exec_stmt(s, s->st[ST_INSERT]);
}

static enum store_err
sq_put(void *impl, const struct store_mailbox *m)
{
	struct sqlite_store	*s = impl;
	enum store_err		 err;

	bind_mailbox(s->st[ST_UPDATE], m);
	if ((err = exec_stmt(s, s->st[ST_UPDATE])) != STORE_OK)
		return err;
	return sqlite3_changes(s->db) == 1 ? STORE_OK : STORE_NOTFOUND;
}

static enum store_err
sq_del(void *impl, const char *id)
{
	struct sqlite_store	*s = impl;
	enum store_err		 err;

	sqlite3_bind_text(s->st[ST_DELETE], 1, id, -1, SQLITE_STATIC);
	if ((err = exec_stmt(s, s->st[ST_DELETE])) != STORE_OK)
		return err;
	return sqlite3_changes(s->db) == 1 ? STORE_OK : STORE_NOTFOUND;
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
	sqlite3_bind_text(st, 1, claim, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(l->claim, sizeof(l->claim), "%s", claim);
		snprintf(l->request_id, sizeof(l->request_id), "%s",
		    request_id);
		l->op = sqlite3_column_int(st, 0);
		column_copy(st, 1, l->mailbox, sizeof(l->mailbox));
		l->body = column_dup(st, 2, &ok);
		l->expires = sqlite3_column_int64(st, 3);
		err = ok && l->body != NULL ? STORE_OK : STORE_ENOMEM;
	} else if (rc != SQLITE_DONE) {
		err = fail(s, rc);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

static enum store_err
sq_log_put(void *impl, const struct store_log *l)
{
	struct sqlite_store	*s = impl;
	sqlite3_stmt		*st = s->st[ST_LOG_PUT];

	sqlite3_bind_text(st, 1, l->claim, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, l->op);
	sqlite3_bind_text(st, 4, l->mailbox, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, l->body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, l->expires);
	return exec_stmt(s, st);
}

static enum store_err
sq_count_live(void *impl, int64_t now, long *n)
{
	struct sqlite_store	*s = impl;
	sqlite3_stmt		*st = s->st[ST_COUNT];
	enum store_err		 err = STORE_OK;
	int			 rc;

	sqlite3_bind_int64(st, 1, now);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(st, 0);
	else
		err = fail(s, rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

/* Delete what expired, mailboxes and remembered requests alike. */
static enum store_err
sq_sweep(void *impl, int64_t now, long *removed)
{
	struct sqlite_store	*s = impl;
	enum store_err		 err;

	*removed = 0;
	if ((err = sq_begin(s)) != STORE_OK)
		return err;
	sqlite3_bind_int64(s->st[ST_SWEEP_MAILBOX], 1, now);
	if ((err = exec_stmt(s, s->st[ST_SWEEP_MAILBOX])) != STORE_OK)
		goto fail;
	*removed = (long)sqlite3_changes(s->db);
	sqlite3_bind_int64(s->st[ST_SWEEP_LOG], 1, now);
	if ((err = exec_stmt(s, s->st[ST_SWEEP_LOG])) != STORE_OK)
		goto fail;
	return sq_commit(s);
fail:
	sq_rollback(s);
	return err;
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
	sq_begin, sq_commit, sq_rollback, sq_get, sq_put_new, sq_put, sq_del,
	sq_log_get, sq_log_put, sq_count_live, sq_sweep, sq_why, sq_close,
};

/* Pragmas, schema and prepared statements of a fresh connection. */
static int
setup(struct sqlite_store *s, const struct store_opts *opts)
{
	char *err = NULL;
	int rc;

	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	rc = sqlite3_exec(s->db, opts != NULL && opts->sync_full ?
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" :
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
	    NULL, NULL, &err);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, schema, NULL, NULL, &err);
	sqlite3_free(err);
	for (int i = 0; rc == SQLITE_OK && i < ST_COUNT_; i++)
		rc = sqlite3_prepare_v3(s->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
	return rc;
}

enum store_err
store_sqlite_open(const char *path, const struct store_opts *opts,
    struct store **out, char *why, size_t why_size)
{
	struct sqlite_store	*s;
	struct store		*st = NULL;
	int			 rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (st = malloc(sizeof(*st))) == NULL) {
		free(s);
		return STORE_ENOMEM;
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = setup(s, opts);
	if (rc != SQLITE_OK) {
		snprintf(why, why_size, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		sq_close(s);
		free(st);
		return STORE_EIO;
	}
	st->ops = &sqlite_ops;
	st->impl = s;
	*out = st;
	return STORE_OK;
}
