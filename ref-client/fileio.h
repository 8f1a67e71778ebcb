/*
 * fileio: the CLI's file handling: read an input file (or stdin) with a
 * size limit, and write a private output file (mode 0600, never through a
 * symbolic link) or stdout.  Callers wipe buffers that held secrets.
 */
#ifndef TIGRESS_CLIENT_FILEIO_H
#define TIGRESS_CLIENT_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

enum fileio_err {
	FILEIO_OK = 0,
	FILEIO_ERR_NOMEM,
	FILEIO_ERR_OPEN,	/* cannot open (errno says why) */
	FILEIO_ERR_READ,
	FILEIO_ERR_WRITE,
	FILEIO_ERR_TOO_LARGE,	/* over the caller's limit */
	FILEIO_ERR_COUNT
};

/* A short sentence for err (static). */
const char *fileio_strerror(enum fileio_err err);

/*
 * Read path ("-": stdin) into a new NUL-terminated buffer *out of *len
 * bytes (caller frees; wipes when secret).  More than max bytes is
 * FILEIO_ERR_TOO_LARGE.  Errors: FILEIO_ERR_OPEN, _READ, _TOO_LARGE,
 * _NOMEM.
 */
enum fileio_err fileio_read(const char *path, size_t max, char **out,
    size_t *len);

/*
 * Write data[0..len) to path (NULL or "-": stdout), created or truncated
 * with mode 0600, never following a symbolic link.  Errors:
 * FILEIO_ERR_OPEN, _WRITE.
 */
/* Write all n bytes of p to fd, retrying on EINTR; false on error. */
bool fileio_write_all(int fd, const char *p, size_t n);

enum fileio_err fileio_write_private(const char *path, const char *data,
    size_t len);

#endif
