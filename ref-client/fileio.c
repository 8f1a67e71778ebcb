/* fileio: bounded reads and private writes for the CLI. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fileio.h"

static const char *const err_text[FILEIO_ERR_COUNT] = {
	[FILEIO_OK] = "no error",
	[FILEIO_ERR_NOMEM] = "out of memory",
	[FILEIO_ERR_OPEN] = "cannot open",
	[FILEIO_ERR_READ] = "cannot read",
	[FILEIO_ERR_WRITE] = "cannot write",
	[FILEIO_ERR_TOO_LARGE] = "too large",
};

const char *
fileio_strerror(enum fileio_err err)
{
	return (unsigned)err < FILEIO_ERR_COUNT ? err_text[err] :
	    "unknown error";
}

/* Read up to max + 1 bytes of fd into buf. */
static enum fileio_err
read_fd(int fd, char *buf, size_t max, size_t *len)
{
	ssize_t r;

	*len = 0;
	while (*len <= max) {
		r = read(fd, buf + *len, max + 1 - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return FILEIO_ERR_READ;
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	return *len > max ? FILEIO_ERR_TOO_LARGE : FILEIO_OK;
}

enum fileio_err
fileio_read(const char *path, size_t max, char **out, size_t *len)
{
	bool		 std = strcmp(path, "-") == 0;
	int		 fd = std ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	char		*buf;
	enum fileio_err	 err;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return FILEIO_ERR_OPEN;
	if ((buf = malloc(max + 2)) == NULL) {
		err = FILEIO_ERR_NOMEM;
		goto done;
	}
	if ((err = read_fd(fd, buf, max, len)) != FILEIO_OK) {
		OPENSSL_cleanse(buf, max + 2);
		free(buf);
		*len = 0;
		goto done;
	}
	buf[*len] = '\0';
	*out = buf;
done:
	if (!std)
		close(fd);
	return err;
}

bool
fileio_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

enum fileio_err
fileio_write_private(const char *path, const char *data, size_t len)
{
	struct stat	sb;
	int		fd;
	bool		ok;

	if (path == NULL || strcmp(path, "-") == 0)
		return fileio_write_all(STDOUT_FILENO, data, len) ? FILEIO_OK :
		    FILEIO_ERR_WRITE;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return FILEIO_ERR_OPEN;
	/* A file keeps the credential: its owner alone reads it.  A device
	 * or a pipe (/dev/null, a FIFO) is written to as it is: changing
	 * its mode would change it for the whole machine. */
	ok = fstat(fd, &sb) == 0 &&
	    (!S_ISREG(sb.st_mode) || fchmod(fd, 0600) == 0) &&
	    fileio_write_all(fd, data, len);
	if (close(fd) != 0 || !ok)
		return FILEIO_ERR_WRITE;
	return FILEIO_OK;
}
