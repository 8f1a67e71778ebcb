/*
 * datadir: the relay's data directory (--data-dir): created 0700, and
 * refused when it is not a directory, not ours, writable by group or
 * others, or not writable; the files in it made 0600 whatever the umask;
 * the access log's hashing key kept in it.
 */
#ifndef TIGRESS_RELAY_DATADIR_H
#define TIGRESS_RELAY_DATADIR_H

#include <stddef.h>

#include "accesslog.h"

#define DATADIR_KEY_FILE	"access-log.key"

/*
 * Create dir (0700) if missing and check it; make the relay's files in
 * it (relay.db, its -wal and -shm, key.pem, cert.pem, the log key) 0600.
 * 0, or -1 with one line in why.
 */
int datadir_prepare(const char *dir, char *why, size_t why_size);

/*
 * The access log key of dir into key (ACCESSLOG_KEY_LEN + 1 bytes),
 * made (32 random bytes, hex, 0600) when missing.  0, or -1 with why.
 */
int datadir_log_key(const char *dir, char *key, char *why, size_t why_size);

#endif
