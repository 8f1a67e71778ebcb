/*
 * store_redis: the store interface on Redis (hiredis).  Keys:
 *   tigress:lock              the write lock, with a random token
 *   tigress:mb:{id}           a mailbox, one hash field per column
 *   tigress:expiry            sorted set of mailbox ids by expiration
 *   tigress:log:{claim}:{rid} a remembered request, expiring with it
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <openssl/rand.h>

#include "store_redis.h"

#define LOCK_KEY	"tigress:lock"
#define EXPIRY_KEY	"tigress:expiry"
#define LOCK_TTL_MS	10000	/* a node that dies frees the lock */
#define LOCK_WAIT_MS	10000	/* then STORE_BUSY */
#define MAX_PENDING	8	/* buffered writes of one transaction */
#define MB_FIELDS	17	/* columns besides the id */

struct redis_store {
	redisContext	*c;
	char		 token[33];		/* our lock's value */
	char		*pending[MAX_PENDING];	/* formatted commands */
	int		 pending_len[MAX_PENDING];
	int		 npending;
	char		 why[256];
};

/* Release lock only if it is still ours (it may have timed out). */
static const char unlock_script[] =
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('del', KEYS[1]) else return 0 end";

static enum store_err
fail(struct redis_store *s, const char *what)
{
	snprintf(s->why, sizeof(s->why), "redis: %s: %s", what,
	    s->c->err ? s->c->errstr : "unexpected reply");
	return STORE_EIO;
}

/* Run a command; NULL (and s->why) on a transport or Redis error. */
static redisReply *
command(struct redis_store *s, const char *fmt, ...)
{
	redisReply	*r;
	va_list		 ap;

	va_start(ap, fmt);
	r = redisvCommand(s->c, fmt, ap);
	va_end(ap);
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		snprintf(s->why, sizeof(s->why), "redis: %s", r->str);
		freeReplyObject(r);
		return NULL;
	}
	if (r == NULL)
		fail(s, "command");
	return r;
}

static void
drop_pending(struct redis_store *s)
{
	for (int i = 0; i < s->npending; i++)
		redisFreeCommand(s->pending[i]);
	s->npending = 0;
}

/* Buffer a formatted write until commit. */
static enum store_err
buffer(struct redis_store *s, char *cmd, int len)
{
	if (len < 0 || cmd == NULL)
		return STORE_ENOMEM;
	if (s->npending == MAX_PENDING) {
		redisFreeCommand(cmd);
		snprintf(s->why, sizeof(s->why), "redis: transaction too big");
		return STORE_EIO;
	}
	s->pending[s->npending] = cmd;
	s->pending_len[s->npending++] = len;
	return STORE_OK;
}

static enum store_err
rd_begin(void *impl)
{
	struct redis_store	*s = impl;
	struct timespec		 pause = { 0, 1000000 };	/* 1 ms */
	uint8_t			 rnd[16];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return STORE_EIO;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->token + 2 * i, 3, "%02x", rnd[i]);
	for (int waited = 0; waited < LOCK_WAIT_MS; waited++) {
		redisReply *r = command(s, "SET %s %s NX PX %d", LOCK_KEY,
		    s->token, LOCK_TTL_MS);
		if (r == NULL)
			return STORE_EIO;
		int got = r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
		if (got)
			return STORE_OK;
		nanosleep(&pause, NULL);
	}
	snprintf(s->why, sizeof(s->why), "redis: lock busy");
	return STORE_BUSY;
}

static void
unlock(struct redis_store *s)
{
	redisReply *r = command(s, "EVAL %s 1 %s %s", unlock_script, LOCK_KEY,
	    s->token);

	if (r != NULL)
		freeReplyObject(r);
}

/* Apply the buffered writes in one MULTI/EXEC, then unlock. */
static enum store_err
rd_commit(void *impl)
{
	struct redis_store	*s = impl;
	redisReply		*r = NULL;
	enum store_err		 err = STORE_OK;
	int			 n = s->npending;

	if (n > 0) {
		redisAppendCommand(s->c, "MULTI");
		for (int i = 0; i < n; i++)
			redisAppendFormattedCommand(s->c, s->pending[i],
			    (size_t)s->pending_len[i]);
		redisAppendCommand(s->c, "EXEC");
		for (int i = 0; i < n + 2 && err == STORE_OK; i++) {
			if (redisGetReply(s->c, (void **)&r) != REDIS_OK)
				err = fail(s, "commit");
			else if (i == n + 1 && r->type != REDIS_REPLY_ARRAY)
				err = fail(s, "EXEC");
			freeReplyObject(r);
			r = NULL;
		}
	}
	drop_pending(s);
	unlock(s);
	return err;
}

static void
rd_rollback(void *impl)
{
	struct redis_store *s = impl;

	drop_pending(s);
	unlock(s);
}

/* The value of field name in a HGETALL reply, or NULL. */
static const char *
field(const redisReply *r, const char *name)
{
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1]->str;
	return NULL;
}

static int64_t
num(const redisReply *r, const char *name)
{
	const char *v = field(r, name);

	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

/* A copy of a field; *ok cleared when memory ran out. */
static char *
dup_field(const redisReply *r, const char *name, int *ok)
{
	const char	*v = field(r, name);
	char		*copy = v != NULL ? strdup(v) : NULL;

	if (v != NULL && copy == NULL)
		*ok = 0;
	return copy;
}

static enum store_err
rd_get(void *impl, const char *id, struct store_mailbox *m)
{
	struct redis_store	*s = impl;
	redisReply		*r = command(s, "HGETALL tigress:mb:%s", id);
	int			 ok = 1;

	memset(m, 0, sizeof(*m));
	if (r == NULL)
		return STORE_EIO;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
		freeReplyObject(r);
		return STORE_NOTFOUND;
	}
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->initiator, sizeof(m->initiator), "%s",
	    field(r, "initiator") ? field(r, "initiator") : "");
	snprintf(m->recipient, sizeof(m->recipient), "%s",
	    field(r, "recipient") ? field(r, "recipient") : "");
	m->rights = (unsigned)num(r, "rights");
	m->created = num(r, "created");
	m->expires = num(r, "expires");
	m->etag = num(r, "etag");
	m->aead = (int)num(r, "aead");
	m->init_aead = (int)num(r, "init_aead");
	m->title = dup_field(r, "title", &ok);
	m->description = dup_field(r, "description", &ok);
	m->image_url = dup_field(r, "image_url", &ok);
	m->data = dup_field(r, "data", &ok);
	m->init_data = dup_field(r, "init_data", &ok);
	m->init_ntype = dup_field(r, "init_ntype", &ok);
	m->init_ntoken = dup_field(r, "init_ntoken", &ok);
	m->rcpt_ntype = dup_field(r, "rcpt_ntype", &ok);
	m->rcpt_ntoken = dup_field(r, "rcpt_ntoken", &ok);
	freeReplyObject(r);
	if (!ok || m->title == NULL || m->data == NULL) {
		store_mailbox_clear(m);
		return ok ? STORE_EIO : STORE_ENOMEM;
	}
	return STORE_OK;
}

/* Buffer "HSET tigress:mb:{id} field value ..." for the non-NULL ones. */
static enum store_err
buffer_hset(struct redis_store *s, const struct store_mailbox *m)
{
	char		 key[64], nums[7][24];
	const char	*argv[2 + 2 * MB_FIELDS];
	size_t		 lens[2 + 2 * MB_FIELDS];
	int		 argc = 0;
	const char	*names[] = { "rights", "created", "expires", "etag",
	    "aead", "init_aead", "initiator", "recipient", "title",
	    "description", "image_url", "data", "init_data", "init_ntype",
	    "init_ntoken", "rcpt_ntype", "rcpt_ntoken" };
	const char	*values[MB_FIELDS] = { nums[0], nums[1], nums[2],
	    nums[3], nums[4], nums[5], m->initiator, m->recipient, m->title,
	    m->description, m->image_url, m->data, m->init_data,
	    m->init_ntype, m->init_ntoken, m->rcpt_ntype, m->rcpt_ntoken };
	char		*cmd = NULL;

	snprintf(key, sizeof(key), "tigress:mb:%s", m->id);
	snprintf(nums[0], sizeof(nums[0]), "%u", m->rights);
	snprintf(nums[1], sizeof(nums[1]), "%lld", (long long)m->created);
	snprintf(nums[2], sizeof(nums[2]), "%lld", (long long)m->expires);
	snprintf(nums[3], sizeof(nums[3]), "%lld", (long long)m->etag);
	snprintf(nums[4], sizeof(nums[4]), "%d", m->aead);
	snprintf(nums[5], sizeof(nums[5]), "%d", m->init_aead);
	argv[argc++] = "HSET";
	argv[argc++] = key;
	for (int i = 0; i < MB_FIELDS; i++) {
		if (values[i] == NULL)
			continue;
		argv[argc++] = names[i];
		argv[argc++] = values[i];
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	return buffer(s, cmd, len);
}

/* Buffer the whole record: old fields dropped, expiry index updated. */
static enum store_err
buffer_mailbox(struct redis_store *s, const struct store_mailbox *m)
{
	char		*cmd = NULL;
	enum store_err	 err;
	int		 len;

	len = redisFormatCommand(&cmd, "DEL tigress:mb:%s", m->id);
	if ((err = buffer(s, cmd, len)) != STORE_OK ||
	    (err = buffer_hset(s, m)) != STORE_OK)
		return err;
	len = redisFormatCommand(&cmd, "EXPIREAT tigress:mb:%s %lld", m->id,
	    (long long)m->expires);
	if ((err = buffer(s, cmd, len)) != STORE_OK)
		return err;
	len = redisFormatCommand(&cmd, "ZADD %s %lld %s", EXPIRY_KEY,
	    (long long)m->expires, m->id);
	return buffer(s, cmd, len);
}

static enum store_err
exists(struct redis_store *s, const char *id, int *yes)
{
	redisReply *r = command(s, "EXISTS tigress:mb:%s", id);

	if (r == NULL)
		return STORE_EIO;
	*yes = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return STORE_OK;
}

static enum store_err
rd_put_new(void *impl, const struct store_mailbox *m)
{
	struct redis_store	*s = impl;
	enum store_err		 err;
	int			 yes;

	if ((err = exists(s, m->id, &yes)) != STORE_OK)
		return err;
	return yes ? STORE_EXISTS : buffer_mailbox(s, m);
}

static enum store_err
rd_put(void *impl, const struct store_mailbox *m)
{
	struct redis_store	*s = impl;
	enum store_err		 err;
	int			 yes;

	if ((err = exists(s, m->id, &yes)) != STORE_OK)
		return err;
	return yes ? buffer_mailbox(s, m) : STORE_NOTFOUND;
}

static enum store_err
rd_del(void *impl, const char *id)
{
	struct redis_store	*s = impl;
	enum store_err		 err;
	char			*cmd = NULL;
	int			 yes, len;

	if ((err = exists(s, id, &yes)) != STORE_OK)
		return err;
	if (!yes)
		return STORE_NOTFOUND;
	len = redisFormatCommand(&cmd, "DEL tigress:mb:%s", id);
	if ((err = buffer(s, cmd, len)) != STORE_OK)
		return err;
	len = redisFormatCommand(&cmd, "ZREM %s %s", EXPIRY_KEY, id);
	return buffer(s, cmd, len);
}

static enum store_err
rd_log_get(void *impl, const char *claim, const char *request_id,
    int64_t now, struct store_log *l)
{
	struct redis_store	*s = impl;
	redisReply		*r;
	int			 ok = 1;

	memset(l, 0, sizeof(*l));
	r = command(s, "HGETALL tigress:log:%s:%s", claim, request_id);
	if (r == NULL)
		return STORE_EIO;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0 ||
	    num(r, "expires") <= now) {
		freeReplyObject(r);
		return STORE_NOTFOUND;
	}
	snprintf(l->claim, sizeof(l->claim), "%s", claim);
	snprintf(l->request_id, sizeof(l->request_id), "%s", request_id);
	snprintf(l->mailbox, sizeof(l->mailbox), "%s",
	    field(r, "mailbox") ? field(r, "mailbox") : "");
	l->op = (int)num(r, "op");
	l->expires = num(r, "expires");
	l->body = dup_field(r, "body", &ok);
	freeReplyObject(r);
	if (l->body == NULL) {
		return ok ? STORE_EIO : STORE_ENOMEM;
	}
	return STORE_OK;
}

static enum store_err
rd_log_put(void *impl, const struct store_log *l)
{
	struct redis_store	*s = impl;
	enum store_err		 err;
	char			*cmd = NULL;
	int			 len;

	len = redisFormatCommand(&cmd, "HSET tigress:log:%s:%s op %d mailbox "
	    "%s body %s expires %lld", l->claim, l->request_id, l->op,
	    l->mailbox, l->body, (long long)l->expires);
	if ((err = buffer(s, cmd, len)) != STORE_OK)
		return err;
	len = redisFormatCommand(&cmd, "EXPIREAT tigress:log:%s:%s %lld",
	    l->claim, l->request_id, (long long)l->expires);
	return buffer(s, cmd, len);
}

static enum store_err
rd_count_live(void *impl, int64_t now, long *n)
{
	struct redis_store	*s = impl;
	redisReply		*r = command(s, "ZCOUNT %s (%lld +inf",
	    EXPIRY_KEY, (long long)now);

	if (r == NULL)
		return STORE_EIO;
	*n = r->type == REDIS_REPLY_INTEGER ? (long)r->integer : 0;
	freeReplyObject(r);
	return STORE_OK;
}

/* Mailbox hashes expire by themselves (EXPIREAT); tidy the index too. */
static enum store_err
rd_sweep(void *impl, int64_t now, long *removed)
{
	struct redis_store	*s = impl;
	redisReply		*r = command(s, "ZREMRANGEBYSCORE %s -inf %lld",
	    EXPIRY_KEY, (long long)now);

	*removed = 0;
	if (r == NULL)
		return STORE_EIO;
	*removed = r->type == REDIS_REPLY_INTEGER ? (long)r->integer : 0;
	freeReplyObject(r);
	return STORE_OK;
}

static const char *
rd_why(void *impl)
{
	struct redis_store *s = impl;

	return s->why;
}

static void
rd_close(void *impl)
{
	struct redis_store *s = impl;

	if (s == NULL)
		return;
	drop_pending(s);
	if (s->c != NULL)
		redisFree(s->c);
	free(s);
}

static const struct store_ops redis_ops = {
	rd_begin, rd_commit, rd_rollback, rd_get, rd_put_new, rd_put, rd_del,
	rd_log_get, rd_log_put, rd_count_live, rd_sweep, rd_why, rd_close,
};

/* "redis://HOST:PORT" or "redis+unix:PATH" to a connection. */
static redisContext *
connect_spec(const char *spec, char *why, size_t why_size)
{
	struct timeval	 tv = { 5, 0 };
	char		 host[256];
	const char	*colon;
	char		*end;
	long		 port;

	if (strncmp(spec, "redis+unix:", 11) == 0)
		return redisConnectUnixWithTimeout(spec + 11, tv);
	spec += 8;	/* "redis://" */
	if ((colon = strrchr(spec, ':')) == NULL ||
	    (size_t)(colon - spec) >= sizeof(host)) {
		snprintf(why, why_size, "redis store: expected redis://HOST:PORT");
		return NULL;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port < 1 || port > 65535) {
		snprintf(why, why_size, "redis store: bad port");
		return NULL;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	return redisConnectWithTimeout(host, (int)port, tv);
}

enum store_err
store_redis_open(const char *spec, struct store **out, char *why,
    size_t why_size)
{
	struct redis_store	*s = calloc(1, sizeof(*s));
	struct store		*st = malloc(sizeof(*st));

	*out = NULL;
	if (s == NULL || st == NULL) {
		free(s);
		free(st);
		return STORE_ENOMEM;
	}
	why[0] = '\0';
	s->c = connect_spec(spec, why, why_size);
	if (s->c == NULL || s->c->err) {
		if (s->c != NULL)
			snprintf(why, why_size, "%s: %s", spec, s->c->errstr);
		rd_close(s);
		free(st);
		return why[0] != '\0' ? STORE_EIO : STORE_ESPEC;
	}
	st->ops = &redis_ops;
	st->impl = s;
	*out = st;
	return STORE_OK;
}
