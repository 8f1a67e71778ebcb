/* store: backend selection and the helpers every backend shares. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_redis.h"
#include "store_sqlite.h"

enum store_err
store_open(const char *spec, const struct store_opts *opts,
    struct store **out, char *why, size_t why_size)
{
	*out = NULL;
	if (strncmp(spec, "sqlite:", 7) == 0 && spec[7] != '\0')
		return store_sqlite_open(spec + 7, opts, out, why, why_size);
	if (strncmp(spec, "redis://", 8) == 0 ||
	    strncmp(spec, "redis+unix:", 11) == 0)
		return store_redis_open(spec, out, why, why_size);
	snprintf(why, why_size, "unknown store \"%s\" (use sqlite:PATH, "
	    "redis://HOST:PORT or redis+unix:PATH)", spec);
	return STORE_ESPEC;
}

enum store_err
store_open_reader(const char *spec, struct store **out, char *why,
    size_t why_size)
{
	struct store_opts opts = { 0, 1 };

	*out = NULL;
	if (strncmp(spec, "sqlite:", 7) == 0 && spec[7] != '\0')
		return store_sqlite_open(spec + 7, &opts, out, why, why_size);
	return STORE_OK;	/* no read handles: reads take the write path */
}

enum store_err
store_follow(const char *spec, void (*changed)(const char *id, void *arg),
    void *arg, struct store_follow **out, char *why, size_t why_size)
{
	*out = NULL;
	if (strncmp(spec, "redis://", 8) == 0 ||
	    strncmp(spec, "redis+unix:", 11) == 0)
		return store_redis_follow(spec, changed, arg, out, why,
		    why_size);
	return STORE_OK;
}

void
store_unfollow(struct store_follow *f)
{
	store_redis_unfollow(f);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s->impl);
	free(s);
}

const char *
store_strerror(enum store_err err)
{
	switch (err) {
	case STORE_OK:
		return "no error";
	case STORE_NOTFOUND:
		return "not found";
	case STORE_EXISTS:
		return "already exists";
	case STORE_BUSY:
		return "store busy";
	case STORE_EIO:
		return "store I/O error";
	case STORE_ENOMEM:
		return "out of memory";
	case STORE_ESPEC:
		return "unknown store kind";
	case STORE_FULL:
		return "no space left for the store";
	case STORE_CONFLICT:
		return "a record changed during the transaction";
	case STORE_DOWN:
		return "store unreachable";
	}
	return "unknown store error";
}

void
store_mailbox_clear(struct store_mailbox *m)
{
	char **strs[] = { &m->title, &m->description, &m->image_url,
	    &m->data, &m->init_data, &m->init_ntype, &m->init_ntoken,
	    &m->rcpt_ntype, &m->rcpt_ntoken };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

void
store_log_clear(struct store_log *l)
{
	free(l->body);
	l->body = NULL;
}

enum store_err
store_mailbox_copy(struct store_mailbox *dst, const struct store_mailbox *src)
{
	char **to[] = { &dst->title, &dst->description, &dst->image_url,
	    &dst->data, &dst->init_data, &dst->init_ntype, &dst->init_ntoken,
	    &dst->rcpt_ntype, &dst->rcpt_ntoken };
	const char *from[] = { src->title, src->description, src->image_url,
	    src->data, src->init_data, src->init_ntype, src->init_ntoken,
	    src->rcpt_ntype, src->rcpt_ntoken };
	bool ok = true;

	*dst = *src;
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		*to[i] = ok && from[i] != NULL ? strdup(from[i]) : NULL;
		ok = ok && (from[i] == NULL || *to[i] != NULL);
	}
	if (ok)
		return STORE_OK;
	store_mailbox_clear(dst);
	return STORE_ENOMEM;
}

enum store_err
store_log_copy(struct store_log *dst, const struct store_log *src)
{
	*dst = *src;
	if (src->body == NULL || (dst->body = strdup(src->body)) != NULL)
		return STORE_OK;
	memset(dst, 0, sizeof(*dst));
	return STORE_ENOMEM;
}
