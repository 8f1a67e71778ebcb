/*
 * state: the state file as JSON through jansson.  Every buffer and JSON
 * string that held the Secret is wiped before it is freed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "b64.h"
#include "payload.h"
#include "rfc3339.h"
#include "shareurl.h"
#include "fileio.h"
#include "state.h"

static const char *const err_text[STATE_ERR_COUNT] = {
	[STATE_OK] = "no error",
	[STATE_ERR_NOMEM] = "out of memory",
	[STATE_ERR_IO] = "cannot read or write the state file",
	[STATE_ERR_EXISTS] = "a state file for this share already exists",
	[STATE_ERR_MISSING] = "no state file for this share",
	[STATE_ERR_MODE] = "the state file may be read by other users "
	    "(chmod 600 it)",
	[STATE_ERR_FORMAT] = "not a tigress state file",
	[STATE_ERR_TOO_LARGE] = "the state file is too large",
	[STATE_ERR_PATH] = "no usable state file path",
};

const char *
state_strerror(enum state_err err)
{
	return (unsigned)err < STATE_ERR_COUNT ? err_text[err] :
	    "unknown error";
}

const char *
state_role_name(enum state_role role)
{
	return role == STATE_INITIATOR ? "initiator" :
	    role == STATE_RECIPIENT ? "recipient" : "";
}

void
state_wipe(struct state *st)
{
	OPENSSL_cleanse(st, sizeof(*st));
}

/* 64 lower-case hex digits: a SHA-256 as digest_of() writes it. */
static bool
is_digest(const char *s, size_t len)
{
	return len == STATE_DIGEST_SIZE - 1 && strlen(s) == len &&
	    strspn(s, "0123456789abcdef") == len;
}

bool
state_seen(const struct state *st, const char *digest)
{
	for (size_t i = 0; i < st->nseen; i++)
		if (strcmp(st->seen[i], digest) == 0)
			return true;
	return false;
}

void
state_remember(struct state *st, const char *digest)
{
	if (!is_digest(digest, strlen(digest)) || state_seen(st, digest))
		return;
	if (st->nseen == STATE_SEEN_MAX) {
		memmove(st->seen[0], st->seen[1],
		    (STATE_SEEN_MAX - 1) * sizeof(st->seen[0]));
		st->nseen--;
	}
	memcpy(st->seen[st->nseen++], digest, STATE_DIGEST_SIZE);
}

void
state_merge_seen(struct state *st, const struct state *from)
{
	if (strcmp(st->mailbox_url, from->mailbox_url) != 0 ||
	    st->role != from->role || strcmp(st->claim, from->claim) != 0)
		return;
	for (size_t i = 0; i < from->nseen; i++)
		state_remember(st, from->seen[i]);
}

enum state_err
state_dir(const char *env_dir, const char *home, char *out, size_t size)
{
	int n;

	if (env_dir != NULL && *env_dir != '\0')
		n = snprintf(out, size, "%s", env_dir);
	else if (home != NULL && *home != '\0')
		n = snprintf(out, size, "%s/.tigress", home);
	else
		return STATE_ERR_PATH;
	return n > 0 && (size_t)n < size ? STATE_OK : STATE_ERR_PATH;
}

enum state_err
state_default_path(const char *mailbox_id, enum state_role role,
    const char *env_dir, const char *home, char *out, size_t size)
{
	const char	*r = state_role_name(role);
	char		 id[UUID_STR_SIZE], dir[STATE_PATH_MAX];
	int		 n;

	if (uuid_check(mailbox_id, strlen(mailbox_id), id, NULL) != TGERR_OK ||
	    *r == '\0' || state_dir(env_dir, home, dir, sizeof(dir)) !=
	    STATE_OK)
		return STATE_ERR_PATH;
	n = snprintf(out, size, "%s/%s.%s.json", dir, id, r);
	return n > 0 && (size_t)n < size ? STATE_OK : STATE_ERR_PATH;
}

/* Make the directory part of path (one level, 0700) if it is missing. */
static enum state_err
ensure_dir(const char *path)
{
	char		 dir[STATE_PATH_MAX];
	const char	*slash = strrchr(path, '/');
	size_t		 n;

	if (slash == NULL || slash == path)
		return STATE_OK;
	n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return STATE_ERR_PATH;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return STATE_ERR_IO;
	return STATE_OK;
}

/* Overwrite a JSON string's characters in place before it is freed. */
static void
wipe_json_string(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v),
		    json_string_length(v));
}

/* The digests of st as a JSON array, oldest first; NULL: out of memory. */
static json_t *
seen_json(const struct state *st)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < st->nseen; i++)
		if (json_array_append_new(a, json_string(st->seen[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

static json_t *
to_json(const struct state *st)
{
	char		 secret[B64_ENCODED_LEN(TG_KEY_MAX) + 1];
	char		 when[RFC3339_STR_SIZE];
	enum payload_aead aead;
	json_t		*o, *seen;

	if (!payload_aead_for_keylen(st->secret_len, &aead) ||
	    (seen = seen_json(st)) == NULL)
		return NULL;
	b64_encode(st->secret, st->secret_len, secret);
	o = json_pack("{s:i, s:s, s:s, s:s%, s:s, s:s, s:s, s:s, s:n, s:o,"
	    " s:n, s:b}", "version", STATE_VERSION, "role",
	    state_role_name(st->role), "mailboxUrl", st->mailbox_url,
	    "vertical", &st->vertical, (size_t)1, "secret", secret, "aead",
	    payload_aead_name(aead), "claim", st->claim, "etag", st->etag,
	    "expiration", "seen", seen, "ca", "insecure", st->insecure);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (o == NULL)
		return NULL;
	if (st->expiration > 0 && rfc3339_format(st->expiration, when) ==
	    TGERR_OK)
		json_object_set_new(o, "expiration", json_string(when));
	if (st->ca_file[0] != '\0')
		json_object_set_new(o, "ca", json_string(st->ca_file));
	if (st->profile[0] != '\0')
		json_object_set_new(o, "profile", json_string(st->profile));
	return o;
}

/* Write text to a new 0600 temporary file beside path; its name to tmp. */
static enum state_err
write_temp(const char *path, const char *text, char *tmp, size_t size)
{
	int	fd, n = snprintf(tmp, size, "%s.XXXXXX", path);
	bool	ok;

	if (n < 0 || (size_t)n >= size)
		return STATE_ERR_PATH;
	if ((fd = mkstemp(tmp)) < 0)
		return STATE_ERR_IO;
	ok = fchmod(fd, 0600) == 0 &&
	    fileio_write_all(fd, text, strlen(text)) &&
	    fileio_write_all(fd, "\n", 1) && fsync(fd) == 0;
	if (close(fd) != 0 || !ok) {
		unlink(tmp);
		return STATE_ERR_IO;
	}
	return STATE_OK;
}

/* Put tmp in place of path: link (never replacing) or rename. */
static enum state_err
install(const char *tmp, const char *path, bool create_new)
{
	enum state_err err = STATE_OK;

	if (!create_new)
		err = rename(tmp, path) == 0 ? STATE_OK : STATE_ERR_IO;
	else if (link(tmp, path) != 0)
		err = errno == EEXIST ? STATE_ERR_EXISTS : STATE_ERR_IO;
	if (create_new || err != STATE_OK)
		unlink(tmp);
	return err;
}

enum state_err
state_dir_ready(const char *path)
{
	char		tmp[STATE_PATH_MAX + 8];
	int		fd, n;
	enum state_err	err;

	if (strlen(path) >= STATE_PATH_MAX)
		return STATE_ERR_PATH;
	if ((err = ensure_dir(path)) != STATE_OK)
		return err;
	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return STATE_ERR_PATH;
	if ((fd = mkstemp(tmp)) < 0)
		return STATE_ERR_IO;
	close(fd);
	unlink(tmp);
	return STATE_OK;
}

enum state_err
state_save(const struct state *st, const char *path, bool create_new)
{
	char		 tmp[STATE_PATH_MAX + 8];
	char		*text = NULL;
	json_t		*o;
	enum state_err	 err;

	if (strlen(path) >= STATE_PATH_MAX)
		return STATE_ERR_PATH;
	if (st->secret_len != 16 && st->secret_len != 32)
		return STATE_ERR_FORMAT;
	if ((err = ensure_dir(path)) != STATE_OK)
		return err;
	if ((o = to_json(st)) == NULL)
		return STATE_ERR_NOMEM;
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	wipe_json_string(o, "secret");
	json_decref(o);
	if (text == NULL)
		return STATE_ERR_NOMEM;
	if ((err = write_temp(path, text, tmp, sizeof(tmp))) == STATE_OK)
		err = install(tmp, path, create_new);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return err;
}

/* Read at most STATE_FILE_MAX bytes of a private regular file. */
static enum state_err
read_file(const char *path, char *buf, size_t *len)
{
	struct stat	sb;
	int		fd;
	ssize_t		r;
	enum state_err	err = STATE_ERR_IO;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? STATE_ERR_MISSING : STATE_ERR_IO;
	if (fstat(fd, &sb) != 0)
		goto done;
	err = !S_ISREG(sb.st_mode) ? STATE_ERR_FORMAT :
	    (sb.st_mode & 077) != 0 ? STATE_ERR_MODE :
	    sb.st_size > STATE_FILE_MAX ? STATE_ERR_TOO_LARGE : STATE_OK;
	if (err != STATE_OK)
		goto done;
	*len = 0;
	while ((r = read(fd, buf + *len, STATE_FILE_MAX + 1 - *len)) > 0)
		*len += (size_t)r;
	err = r < 0 ? STATE_ERR_IO : *len > STATE_FILE_MAX ?
	    STATE_ERR_TOO_LARGE : STATE_OK;
done:
	close(fd);
	return err;
}

/* A string member of at most max bytes copied into out (size max + 1). */
static bool
get_str(json_t *o, const char *key, char *out, size_t max, bool optional)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		out[0] = '\0';
		return optional;
	}
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return false;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return true;
}

static bool
check_url(const char *url)
{
	struct shareurl	u;
	bool		ok;

	ok = shareurl_parse(url, strlen(url), &u) == TGERR_OK &&
	    strchr(url, '?') == NULL && strchr(url, '#') == NULL;
	shareurl_wipe(&u);
	return ok;
}

static bool
get_secret(json_t *o, struct state *st)
{
	json_t		*v = json_object_get(o, "secret");
	uint8_t		 buf[B64_DECODED_MAX(B64_ENCODED_LEN(TG_KEY_MAX))];
	size_t		 n = 0;
	bool		 ok;

	ok = json_is_string(v) && json_string_length(v) <=
	    B64_ENCODED_LEN(TG_KEY_MAX) && b64_decode(json_string_value(v),
	    json_string_length(v), B64_STANDARD, buf, &n) == 0 &&
	    (n == 16 || n == 32);
	if (ok) {
		memcpy(st->secret, buf, n);
		st->secret_len = n;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return ok;
}

static bool
get_time(json_t *o, int64_t *out)
{
	json_t *v = json_object_get(o, "expiration");

	*out = 0;
	if (v == NULL || json_is_null(v))
		return true;
	return json_is_string(v) && rfc3339_parse(json_string_value(v),
	    json_string_length(v), out) == TGERR_OK;
}

/*
 * The digests of "seen", oldest first; a file written before there was a
 * list holds the last one only, as "digest".
 */
static bool
get_seen(json_t *o, struct state *st)
{
	json_t	*a = json_object_get(o, "seen"), *v;
	char	 last[STATE_DIGEST_SIZE];
	size_t	 i;

	st->nseen = 0;
	if (a == NULL) {
		if (!get_str(o, "digest", last, STATE_DIGEST_SIZE - 1, true))
			return false;
		state_remember(st, last);
		return last[0] == '\0' || st->nseen == 1;
	}
	if (!json_is_array(a) || json_array_size(a) > STATE_SEEN_MAX)
		return false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || !is_digest(json_string_value(v),
		    json_string_length(v)))
			return false;
		state_remember(st, json_string_value(v));
	}
	return true;
}

static bool
from_json(json_t *o, struct state *st)
{
	char	role[16], vertical[2], claim[UUID_STR_SIZE];
	json_t	*insecure = json_object_get(o, "insecure");

	if (json_integer_value(json_object_get(o, "version")) != STATE_VERSION ||
	    !get_str(o, "role", role, sizeof(role) - 1, false) ||
	    !get_str(o, "mailboxUrl", st->mailbox_url, TG_URL_MAX, false) ||
	    !get_str(o, "vertical", vertical, 1, false) ||
	    !get_str(o, "claim", claim, UUID_STR_SIZE - 1, false) ||
	    !get_str(o, "etag", st->etag, STATE_ETAG_MAX - 1, true) ||
	    !get_seen(o, st) ||
	    !get_str(o, "profile", st->profile, sizeof(st->profile) - 1,
	    true) || !get_str(o, "ca", st->ca_file, STATE_PATH_MAX - 1, true) ||
	    !get_time(o, &st->expiration) || !get_secret(o, st))
		return false;
	if (strcmp(role, "initiator") == 0)
		st->role = STATE_INITIATOR;
	else if (strcmp(role, "recipient") == 0)
		st->role = STATE_RECIPIENT;
	else
		return false;
	st->vertical = vertical[0];
	st->insecure = json_is_true(insecure);
	return strchr("ahc", st->vertical) != NULL && st->vertical != '\0' &&
	    uuid_check(claim, strlen(claim), st->claim, NULL) == TGERR_OK &&
	    check_url(st->mailbox_url);
}

enum state_err
state_load(const char *path, struct state *st)
{
	char		*buf;
	size_t		 len = 0;
	json_t		*o = NULL;
	json_error_t	 jerr;
	enum state_err	 err;

	memset(st, 0, sizeof(*st));
	if ((buf = malloc(STATE_FILE_MAX + 1)) == NULL)
		return STATE_ERR_NOMEM;
	if ((err = read_file(path, buf, &len)) != STATE_OK)
		goto done;
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	err = json_is_object(o) && from_json(o, st) ? STATE_OK :
	    STATE_ERR_FORMAT;
	if (json_is_object(o))
		wipe_json_string(o, "secret");
	json_decref(o);
done:
	OPENSSL_cleanse(buf, STATE_FILE_MAX + 1);
	free(buf);
	if (err != STATE_OK)
		state_wipe(st);
	return err;
}

/* Overwrite the regular file fd with zeros and flush it. */
static bool
overwrite(int fd)
{
	static const char	zeros[4096];
	struct stat		sb;
	off_t			left;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return false;
	for (left = sb.st_size; left > 0; left -= (off_t)sizeof(zeros))
		if (!fileio_write_all(fd, zeros, left < (off_t)sizeof(zeros) ?
		    (size_t)left : sizeof(zeros)))
			return false;
	return fsync(fd) == 0;
}

enum state_err
state_remove(const char *path)
{
	int	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	bool	wiped;

	if (fd < 0 && errno == ENOENT)
		return STATE_OK;
	wiped = fd >= 0 && overwrite(fd);
	if (fd >= 0)
		close(fd);
	if (unlink(path) != 0)
		return errno == ENOENT ? STATE_OK : STATE_ERR_IO;
	return wiped ? STATE_OK : STATE_ERR_IO;
}

static int
is_json_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 &&
	    strcmp(d->d_name + n - 5, ".json") == 0;
}

enum state_err
state_list(const char *dir, state_visit_fn *visit, void *arg,
    size_t *count)
{
	struct dirent	**names = NULL;
	struct state	  st;
	char		  path[STATE_PATH_MAX];
	enum state_err	  err;
	int		  n;

	*count = 0;
	if ((n = scandir(dir, &names, is_json_name, alphasort)) < 0)
		return errno == ENOENT ? STATE_ERR_MISSING : errno == ENOMEM ?
		    STATE_ERR_NOMEM : STATE_ERR_IO;
	for (int i = 0; i < n; i++) {
		int len = snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name);
		err = len > 0 && (size_t)len < sizeof(path) ?
		    state_load(path, &st) : STATE_ERR_PATH;
		visit(arg, path, err == STATE_OK ? &st : NULL, err);
		state_wipe(&st);
		free(names[i]);
	}
	free(names);
	*count = (size_t)n;
	return STATE_OK;
}
