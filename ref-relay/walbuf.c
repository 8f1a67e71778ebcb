/*
 * walbuf: every file of the VFS is the default VFS's file behind ours;
 * each method passes through.  A WAL file keeps a buffer of contiguous
 * writes (flushed as walbuf.h says); its database file knows it, so that
 * the database's xShmBarrier can flush it too.  A flush that fails where
 * no error can be returned (xShmBarrier) makes every later operation on
 * the log fail, so that nothing is taken as written that was not.
 *
 * Threads: a file belongs to one connection, which SQLite's callers
 * (storeq.c) use from one thread at a time.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "walbuf.h"

#define WALBUF_BYTES	(256 * 1024)	/* gathered at most, then written */
/* The unix VFS writes less than 128 KiB per call (it masks the length). */
#define WRITE_MAX	(64 * 1024)
#define FRAME_HEADER	24	/* a WAL frame's header (file format §4.1) */
#define FRAME_COMMIT_AT	4	/* its database size after commit, or 0 */

struct wb_file {
	sqlite3_file	 base;		/* first: SQLite sees this */
	sqlite3_file	*real;		/* the default VFS's file, after us */
	struct wb_file	*wal;		/* a database: its open log */
	struct wb_file	*db;		/* a log: its database */
	bool		 is_wal;
	bool		 commit_next;	/* the next write ends a commit */
	int		 broken;	/* a lost flush's error, or SQLITE_OK */
	unsigned char	*buf;		/* a log: gathered writes */
	size_t		 len;
	sqlite3_int64	 off;		/* where buf goes */
};

static sqlite3_vfs	 wb_vfs;
static pthread_once_t	 wb_once = PTHREAD_ONCE_INIT;
static int		 wb_rc = SQLITE_ERROR;

static sqlite3_vfs *
real_vfs(void)
{
	return wb_vfs.pAppData;
}

/* Write what is gathered; its error, or a lost one's. */
static int
wb_flush(struct wb_file *f)
{
	int rc;

	if (f->broken != SQLITE_OK)
		return f->broken;
	if (f->len == 0)
		return SQLITE_OK;
	rc = SQLITE_OK;
	for (size_t at = 0; rc == SQLITE_OK && at < f->len; at += WRITE_MAX) {
		size_t n = f->len - at < WRITE_MAX ? f->len - at : WRITE_MAX;

		rc = f->real->pMethods->xWrite(f->real, f->buf + at, (int)n,
		    f->off + (sqlite3_int64)at);
	}
	f->len = 0;
	f->commit_next = false;
	return rc;
}

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* ---- methods: a log gathers writes, everything else passes ------------ */

static int
wb_close(sqlite3_file *file)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc = SQLITE_OK, rc2;

	if (f->is_wal) {
		rc = wb_flush(f);
		if (f->db != NULL)
			f->db->wal = NULL;
		free(f->buf);
		f->buf = NULL;
	} else if (f->wal != NULL)
		f->wal->db = NULL;
	rc2 = f->real->pMethods->xClose(f->real);
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wb_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc = wb_flush(f);

	if (rc != SQLITE_OK)
		return rc;
	return f->real->pMethods->xRead(f->real, out, amt, off);
}

/* Gather a write to the log; false when it must go straight through. */
static bool
gather(struct wb_file *f, const void *data, int amt, sqlite3_int64 off)
{
	if ((size_t)amt > WALBUF_BYTES - f->len || off != f->off +
	    (sqlite3_int64)f->len)
		return false;
	memcpy(f->buf + f->len, data, (size_t)amt);
	f->len += (size_t)amt;
	return true;
}

static int
wb_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct wb_file	*f = (struct wb_file *)file;
	bool		 ends_commit;
	int		 rc;

	if (!f->is_wal)
		return f->real->pMethods->xWrite(f->real, data, amt, off);
	if (f->len == 0)
		f->off = off;
	if (!gather(f, data, amt, off)) {
		if ((rc = wb_flush(f)) != SQLITE_OK)
			return rc;
		f->off = off;
		if (!gather(f, data, amt, off))
			return f->real->pMethods->xWrite(f->real, data, amt,
			    off);
	}
	ends_commit = f->commit_next;
	f->commit_next = amt == FRAME_HEADER &&
	    get_be32((const unsigned char *)data + FRAME_COMMIT_AT) != 0;
	return ends_commit ? wb_flush(f) : SQLITE_OK;
}

static int
wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc = wb_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real,
	    size);
}

static int
wb_sync(sqlite3_file *file, int flags)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc = wb_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real,
	    flags);
}

static int
wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc = wb_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real,
	    size);
}

static int
wb_lock(sqlite3_file *file, int level)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xLock(f->real, level);
}

static int
wb_unlock(sqlite3_file *file, int level)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xUnlock(f->real, level);
}

static int
wb_check_reserved(sqlite3_file *file, int *out)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
wb_file_control(sqlite3_file *file, int op, void *arg)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc = wb_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real,
	    op, arg);
}

static int
wb_sector_size(sqlite3_file *file)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int
wb_device(sqlite3_file *file)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int
wb_shm_map(sqlite3_file *file, int region, int size, int extend,
    void volatile **out)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xShmMap(f->real, region, size, extend, out);
}

static int
wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

/* A commit is about to be published to readers: its frames first. */
static void
wb_shm_barrier(sqlite3_file *file)
{
	struct wb_file	*f = (struct wb_file *)file;
	struct wb_file	*wal = f->wal;
	int		 rc;

	if (wal != NULL && wal->len > 0 && (rc = wb_flush(wal)) != SQLITE_OK)
		wal->broken = rc;
	f->real->pMethods->xShmBarrier(f->real);
}

static int
wb_shm_unmap(sqlite3_file *file, int delete_flag)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int
wb_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int
wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct wb_file *f = (struct wb_file *)file;

	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods wb_methods = {
	3, wb_close, wb_read, wb_write, wb_truncate, wb_sync, wb_file_size,
	wb_lock, wb_unlock, wb_check_reserved, wb_file_control,
	wb_sector_size, wb_device, wb_shm_map, wb_shm_lock, wb_shm_barrier,
	wb_shm_unmap, wb_fetch, wb_unfetch,
};

/* ---- the VFS: open wraps, everything else is the default's ----------- */

/* A log learns its database (SQLite names it by the log's name). */
static void
link_wal(struct wb_file *f, const char *name)
{
	sqlite3_file *db = sqlite3_database_file_object(name);

	if (db != NULL && db->pMethods == &wb_methods) {
		f->db = (struct wb_file *)db;
		f->db->wal = f;
	}
}

static int
wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
    int *out_flags)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	if ((flags & SQLITE_OPEN_WAL) != 0 &&
	    (f->buf = malloc(WALBUF_BYTES)) == NULL)
		return SQLITE_NOMEM;
	rc = real_vfs()->xOpen(real_vfs(), name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {	/* base.pMethods stays NULL: no xClose */
		free(f->buf);
		f->buf = NULL;
		return rc;
	}
	f->base.pMethods = &wb_methods;
	if ((f->is_wal = (flags & SQLITE_OPEN_WAL) != 0) && name != NULL)
		link_wal(f, name);
	return SQLITE_OK;
}

static int
wb_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs()->xDelete(real_vfs(), name, sync_dir);
}

static int
wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs()->xAccess(real_vfs(), name, flags, out);
}

static int
wb_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xFullPathname(real_vfs(), name, n, out);
}

static int
wb_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xRandomness(real_vfs(), n, out);
}

static int
wb_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs()->xSleep(real_vfs(), us);
}

static int
wb_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs()->xCurrentTime(real_vfs(), out);
}

static int
wb_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xGetLastError(real_vfs(), n, out);
}

static int
wb_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs()->xCurrentTimeInt64(real_vfs(), out);
}

/* Extension loading (xDlOpen...) is left out: the relay loads none. */
static void
wb_init(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	if (real == NULL || real->iVersion < 2)
		return;
	wb_vfs.iVersion = 2;
	wb_vfs.szOsFile = (int)sizeof(struct wb_file) + real->szOsFile;
	wb_vfs.mxPathname = real->mxPathname;
	wb_vfs.zName = WALBUF_VFS;
	wb_vfs.pAppData = real;
	wb_vfs.xOpen = wb_open;
	wb_vfs.xDelete = wb_delete;
	wb_vfs.xAccess = wb_access;
	wb_vfs.xFullPathname = wb_full_pathname;
	wb_vfs.xRandomness = wb_randomness;
	wb_vfs.xSleep = wb_sleep;
	wb_vfs.xCurrentTime = wb_current_time;
	wb_vfs.xGetLastError = wb_last_error;
	wb_vfs.xCurrentTimeInt64 = wb_current_time64;
	wb_rc = sqlite3_vfs_register(&wb_vfs, 0);
}

int
walbuf_register(void)
{
	if (pthread_once(&wb_once, wb_init) != 0)
		return SQLITE_ERROR;
	return wb_rc;
}
