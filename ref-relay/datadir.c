/* datadir: checks and file modes of the data directory. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "datadir.h"

#define PATH_MAX_LEN	1200
#define KEY_BYTES	(ACCESSLOG_KEY_LEN / 2)

static const char *const own_files[] = {
	"relay.db", "relay.db-wal", "relay.db-shm", "key.pem", "cert.pem",
	DATADIR_KEY_FILE,
};

static int
check_dir(const char *dir, char *why, size_t why_size)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		snprintf(why, why_size, "data directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, why_size, "data directory %s is not a directory",
		    dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, why_size, "data directory %s belongs to user %u,"
		    " not to this one (%u): refusing it", dir,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	/* The mode in full: 1777 (sticky, like /tmp) is not 777. */
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, why_size, "data directory %s is writable by "
		    "%s (mode %04o): refusing it; chmod 700 %s", dir,
		    st.st_mode & S_IWOTH ? "others" : "its group",
		    (unsigned)(st.st_mode & 07777), dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(why, why_size, "data directory %s is not writable: %s",
		    dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
datadir_prepare(const char *dir, char *why, size_t why_size)
{
	char path[PATH_MAX_LEN];

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, why_size, "cannot create data directory %s: %s",
		    dir, strerror(errno));
		return -1;
	}
	if (check_dir(dir, why, why_size) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(own_files) / sizeof(own_files[0]); i++) {
		int n = snprintf(path, sizeof(path), "%s/%s", dir,
		    own_files[i]);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			snprintf(why, why_size, "data directory path too long");
			return -1;
		}
		if (chmod(path, 0600) != 0 && errno != ENOENT) {
			snprintf(why, why_size, "%s: %s", path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Make a new key file at path; 0, or -1 (EEXIST: made meanwhile). */
static int
make_key(const char *path)
{
	unsigned char	raw[KEY_BYTES];
	char		hex[ACCESSLOG_KEY_LEN + 2];
	int		fd, ok;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		errno = EIO;
		return -1;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	hex[ACCESSLOG_KEY_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		OPENSSL_cleanse(hex, sizeof(hex));
		return -1;
	}
	ok = write(fd, hex, ACCESSLOG_KEY_LEN + 1) == ACCESSLOG_KEY_LEN + 1 &&
	    fsync(fd) == 0;
	OPENSSL_cleanse(hex, sizeof(hex));
	if (close(fd) != 0 || !ok) {
		(void)unlink(path);
		errno = EIO;
		return -1;
	}
	return 0;
}

static int
read_key(const char *path, char *key)
{
	int	fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t	n;

	if (fd < 0)
		return -1;
	n = read(fd, key, ACCESSLOG_KEY_LEN);
	(void)close(fd);
	if (n != ACCESSLOG_KEY_LEN ||
	    strspn(key, "0123456789abcdef") < ACCESSLOG_KEY_LEN) {
		errno = EINVAL;
		return -1;
	}
	key[ACCESSLOG_KEY_LEN] = '\0';
	return 0;
}

int
datadir_log_key(const char *dir, char *key, char *why, size_t why_size)
{
	char	path[PATH_MAX_LEN];
	int	n = snprintf(path, sizeof(path), "%s/%s", dir, DATADIR_KEY_FILE);

	memset(key, 0, ACCESSLOG_KEY_LEN + 1);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(why, why_size, "data directory path too long");
		return -1;
	}
	if (read_key(path, key) == 0)
		return 0;
	if (errno == ENOENT && (make_key(path) == 0 || errno == EEXIST) &&
	    read_key(path, key) == 0)
		return 0;
	snprintf(why, why_size, "access log key %s: %s", path,
	    errno == EINVAL ? "not 64 hex digits" : strerror(errno));
	return -1;
}
