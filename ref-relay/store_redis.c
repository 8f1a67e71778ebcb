/*
 * store_redis: the store interface on Redis (hiredis).  Keys:
 *   tigress:mb:{id}           a mailbox, one hash field per column
 *   tigress:expiry            sorted set of mailbox ids by expiration
 *   tigress:log:{claim}:{rid} a remembered request, expiring with it
 *
 * Optimistic transactions, no locks: every key a transaction reads is
 * WATCHed first (in the same round trip as the read), writes are buffered
 * and sent as one MULTI/EXEC at commit.  When another node changed a
 * watched key meanwhile, Redis refuses the EXEC and commit answers
 * STORE_CONFLICT: the caller runs the request again on fresh data.  So
 * correctness never depends on timing: a node paused for any time between
 * its read and its commit finds its EXEC refused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "store_redis.h"

#define EXPIRY_KEY	"tigress:expiry"
#define MAX_PENDING	16	/* buffered writes of one transaction */
#define MB_FIELDS	17	/* columns besides the id */
#define CONNECT_SEC	5	/* connect and command timeouts */
#define FOLLOW_POLL_SEC	1	/* the follower looks at its stop flag */
#define SPEC_MAX	1100

struct redis_store {
	redisContext	*c;		/* NULL: reconnect at next begin */
	char		 spec[SPEC_MAX];
	char		*pending[MAX_PENDING];	/* formatted commands */
	int		 pending_len[MAX_PENDING];
	int		 npending;
	int		 mark;		/* npending at store_mark() */
	int		 watching;
	char		 why[256];
};

static redisContext *connect_spec(const char *spec, char *why,
    size_t why_size);

/* The connection failed: drop it, reconnect at the next transaction. */
static enum store_err
down(struct redis_store *s, const char *what)
{
	snprintf(s->why, sizeof(s->why), "redis: %s: %s", what,
	    s->c != NULL && s->c->err ? s->c->errstr : "no connection");
	if (s->c != NULL)
		redisFree(s->c);
	s->c = NULL;
	s->watching = 0;
	return STORE_DOWN;
}

static enum store_err
reply_error(struct redis_store *s, const redisReply *r)
{
	snprintf(s->why, sizeof(s->why), "redis: %s",
	    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	return STORE_EIO;
}

/*
 * Send the n commands queued with redisAppendCommand() and read their
 * replies into r[0..n) (freed by the caller).  A transport failure drops
 * the connection.
 */
static enum store_err
replies(struct redis_store *s, redisReply **r, int n)
{
	for (int i = 0; i < n; i++)
		r[i] = NULL;
	for (int i = 0; i < n; i++) {
		void *reply = NULL;
		if (redisGetReply(s->c, &reply) != REDIS_OK) {
			for (int j = 0; j < i; j++)
				freeReplyObject(r[j]);
			return down(s, "reply");
		}
		r[i] = reply;
	}
	return STORE_OK;
}

static void
free_replies(redisReply **r, int n)
{
	for (int i = 0; i < n; i++)
		if (r[i] != NULL)
			freeReplyObject(r[i]);
}

/* WATCH key, then run the read "CMD key": one round trip. */
static enum store_err
watched(struct redis_store *s, const char *cmd, const char *key,
    redisReply **out)
{
	redisReply	*r[2];
	enum store_err	 err;

	*out = NULL;
	if (s->c == NULL)
		return down(s, "read");
	if (redisAppendCommand(s->c, "WATCH %s", key) != REDIS_OK ||
	    redisAppendCommand(s->c, "%s %s", cmd, key) != REDIS_OK)
		return down(s, "read");
	if ((err = replies(s, r, 2)) != STORE_OK)
		return err;
	s->watching = 1;
	if (r[0]->type == REDIS_REPLY_ERROR || r[1]->type == REDIS_REPLY_ERROR) {
		err = reply_error(s, r[0]->type == REDIS_REPLY_ERROR ? r[0] :
		    r[1]);
		free_replies(r, 2);
		return err;
	}
	freeReplyObject(r[0]);
	*out = r[1];
	return STORE_OK;
}

/* Run one command outside the watched reads (count, sweep). */
static enum store_err
plain(struct redis_store *s, redisReply **out, const char *fmt, ...)
{
	va_list ap;

	*out = NULL;
	if (s->c == NULL)
		return down(s, "command");
	va_start(ap, fmt);
	*out = redisvCommand(s->c, fmt, ap);
	va_end(ap);
	if (*out == NULL)
		return down(s, "command");
	if ((*out)->type == REDIS_REPLY_ERROR) {
		enum store_err err = reply_error(s, *out);
		freeReplyObject(*out);
		*out = NULL;
		return err;
	}
	return STORE_OK;
}

static void
drop_pending(struct redis_store *s, int keep)
{
	while (s->npending > keep)
		redisFreeCommand(s->pending[--s->npending]);
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

static void
unwatch(struct redis_store *s)
{
	redisReply *r = NULL;

	if (s->c != NULL && s->watching &&
	    plain(s, &r, "UNWATCH") == STORE_OK)
		freeReplyObject(r);
	s->watching = 0;
}

static enum store_err
rd_begin(void *impl)
{
	struct redis_store *s = impl;

	drop_pending(s, 0);
	s->mark = 0;
	if (s->c == NULL &&
	    (s->c = connect_spec(s->spec, s->why, sizeof(s->why))) == NULL)
		return STORE_DOWN;
	if (s->c->err)
		return down(s, "connect");
	return STORE_OK;
}

/* Check EXEC's answer: nil when a watched key changed, else each reply. */
static enum store_err
check_exec(struct redis_store *s, const redisReply *r)
{
	if (r->type == REDIS_REPLY_NIL)
		return STORE_CONFLICT;
	if (r->type != REDIS_REPLY_ARRAY)
		return reply_error(s, r);
	for (size_t i = 0; i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_ERROR)
			return reply_error(s, r->element[i]);
	return STORE_OK;
}

/* Apply the buffered writes in one MULTI/EXEC, if nothing watched moved. */
static enum store_err
rd_commit(void *impl)
{
	struct redis_store	*s = impl;
	redisReply		*r[MAX_PENDING + 2] = { NULL };
	enum store_err		 err = STORE_OK;
	int			 n = s->npending;

	if (n == 0) {
		unwatch(s);
		return s->c != NULL ? STORE_OK : STORE_DOWN;
	}
	if (s->c == NULL)
		return down(s, "commit");
	if (redisAppendCommand(s->c, "MULTI") != REDIS_OK)
		return down(s, "commit");
	for (int i = 0; i < n; i++)
		if (redisAppendFormattedCommand(s->c, s->pending[i],
		    (size_t)s->pending_len[i]) != REDIS_OK)
			return down(s, "commit");
	if (redisAppendCommand(s->c, "EXEC") != REDIS_OK)
		return down(s, "commit");
	drop_pending(s, 0);
	s->watching = 0;
	if ((err = replies(s, r, n + 2)) != STORE_OK)
		return err;
	for (int i = 0; i < n + 1 && err == STORE_OK; i++)
		if (r[i]->type == REDIS_REPLY_ERROR)
			err = reply_error(s, r[i]);
	if (err == STORE_OK)
		err = check_exec(s, r[n + 1]);
	free_replies(r, n + 2);
	return err;
}

static void
rd_rollback(void *impl)
{
	struct redis_store *s = impl;

	drop_pending(s, 0);
	unwatch(s);
}

static enum store_err
rd_mark(void *impl)
{
	struct redis_store *s = impl;

	s->mark = s->npending;
	return STORE_OK;
}

static void
rd_release(void *impl, int keep)
{
	struct redis_store *s = impl;

	if (!keep)
		drop_pending(s, s->mark);
}

/* The value of field name in a HGETALL reply, or NULL. */
static const char *
field(const redisReply *r, const char *name)
{
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1]->type == REDIS_REPLY_STRING ?
			    r->element[i + 1]->str : NULL;
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

static void
copy_field(const redisReply *r, const char *name, char *out, size_t size)
{
	const char *v = field(r, name);

	snprintf(out, size, "%s", v != NULL ? v : "");
}

static enum store_err
rd_get(void *impl, const char *id, struct store_mailbox *m)
{
	struct redis_store	*s = impl;
	redisReply		*r;
	char			 key[64];
	enum store_err		 err;
	int			 ok = 1;

	memset(m, 0, sizeof(*m));
	snprintf(key, sizeof(key), "tigress:mb:%s", id);
	if ((err = watched(s, "HGETALL", key, &r)) != STORE_OK)
		return err;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
		freeReplyObject(r);
		return STORE_NOTFOUND;
	}
	snprintf(m->id, sizeof(m->id), "%s", id);
	copy_field(r, "initiator", m->initiator, sizeof(m->initiator));
	copy_field(r, "recipient", m->recipient, sizeof(m->recipient));
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
		snprintf(s->why, sizeof(s->why), "redis: incomplete mailbox");
		return ok ? STORE_EIO : STORE_ENOMEM;
	}
	return STORE_OK;
}

/* Buffer "HSET tigress:mb:{id} field value ..." for the non-NULL ones. */
static enum store_err
buffer_hset(struct redis_store *s, const struct store_mailbox *m)
{
	char		 key[64], nums[6][24];
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
	long long len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	return buffer(s, cmd, len > 0 && len < (1LL << 30) ? (int)len : -1);
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

/* Tell the other nodes (store_redis_follow) that mailbox id changed. */
static enum store_err
buffer_publish(struct redis_store *s, const char *id)
{
	char	*cmd = NULL;
	int	 len = redisFormatCommand(&cmd, "PUBLISH %s %s",
	    STORE_REDIS_CHANNEL, id);

	return buffer(s, cmd, len);
}

static enum store_err
rd_put_new(void *impl, const struct store_mailbox *m)
{
	struct redis_store	*s = impl;
	redisReply		*r;
	char			 key[64];
	enum store_err		 err;
	int			 yes;

	snprintf(key, sizeof(key), "tigress:mb:%s", m->id);
	if ((err = watched(s, "EXISTS", key, &r)) != STORE_OK)
		return err;
	yes = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return yes ? STORE_EXISTS : buffer_mailbox(s, m);
}

/* put and del follow a get of the same record, which watches it. */
static enum store_err
rd_put(void *impl, const struct store_mailbox *m)
{
	enum store_err err = buffer_mailbox(impl, m);

	return err != STORE_OK ? err : buffer_publish(impl, m->id);
}

static enum store_err
rd_del(void *impl, const char *id)
{
	struct redis_store	*s = impl;
	enum store_err		 err;
	char			*cmd = NULL;
	int			 len;

	len = redisFormatCommand(&cmd, "DEL tigress:mb:%s", id);
	if ((err = buffer(s, cmd, len)) != STORE_OK)
		return err;
	len = redisFormatCommand(&cmd, "ZREM %s %s", EXPIRY_KEY, id);
	if ((err = buffer(s, cmd, len)) != STORE_OK)
		return err;
	return buffer_publish(s, id);
}

static enum store_err
rd_log_get(void *impl, const char *claim, const char *request_id,
    int64_t now, struct store_log *l)
{
	struct redis_store	*s = impl;
	redisReply		*r;
	char			 key[64 + TG_REQUEST_ID_MAX];
	enum store_err		 err;
	int			 ok = 1;

	memset(l, 0, sizeof(*l));
	snprintf(key, sizeof(key), "tigress:log:%s:%s", claim, request_id);
	if ((err = watched(s, "HGETALL", key, &r)) != STORE_OK)
		return err;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0 ||
	    num(r, "expires") <= now) {
		freeReplyObject(r);
		return STORE_NOTFOUND;
	}
	snprintf(l->claim, sizeof(l->claim), "%s", claim);
	snprintf(l->request_id, sizeof(l->request_id), "%s", request_id);
	copy_field(r, "mailbox", l->mailbox, sizeof(l->mailbox));
	l->op = (int)num(r, "op");
	l->expires = num(r, "expires");
	l->body = dup_field(r, "body", &ok);
	freeReplyObject(r);
	if (l->body == NULL) {
		snprintf(s->why, sizeof(s->why), "redis: incomplete log entry");
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

/* Live mailboxes: the expiry index from now on, O(log n) in Redis. */
static enum store_err
rd_count_live(void *impl, int64_t now, long *n)
{
	struct redis_store	*s = impl;
	redisReply		*r;
	enum store_err		 err;

	if ((err = plain(s, &r, "ZCOUNT %s (%lld +inf", EXPIRY_KEY,
	    (long long)now)) != STORE_OK)
		return err;
	*n = r->type == REDIS_REPLY_INTEGER ? (long)r->integer : 0;
	freeReplyObject(r);
	return STORE_OK;
}

/* Mailbox hashes expire by themselves (EXPIREAT); tidy the index too. */
static enum store_err
rd_sweep(void *impl, int64_t now, long limit, long *removed)
{
	struct redis_store	*s = impl;
	redisReply		*r;
	enum store_err		 err;

	(void)limit;	/* one ZREMRANGEBYSCORE, fast in Redis */
	*removed = 0;
	if ((err = plain(s, &r, "ZREMRANGEBYSCORE %s -inf %lld", EXPIRY_KEY,
	    (long long)now)) != STORE_OK)
		return err;
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
	drop_pending(s, 0);
	if (s->c != NULL)
		redisFree(s->c);
	free(s);
}

static const struct store_ops redis_ops = {
	rd_begin, rd_commit, rd_rollback, rd_mark, rd_release, rd_get,
	rd_put_new, rd_put, rd_del, rd_log_get, rd_log_put, rd_count_live,
	rd_sweep, NULL, NULL, rd_why, rd_close, NULL, NULL,
};

/* "redis://HOST:PORT" or "redis+unix:PATH" to a connection; NULL + why. */
static redisContext *
connect_spec(const char *spec, char *why, size_t why_size)
{
	struct timeval	 tv = { CONNECT_SEC, 0 };
	redisContext	*c;
	char		 host[256];
	const char	*colon, *p = spec + 8;	/* after "redis://" */
	char		*end;
	long		 port;

	if (strncmp(spec, "redis+unix:", 11) == 0)
		c = redisConnectUnixWithTimeout(spec + 11, tv);
	else {
		if ((colon = strrchr(p, ':')) == NULL ||
		    (size_t)(colon - p) >= sizeof(host) || colon == p) {
			snprintf(why, why_size,
			    "redis store: expected redis://HOST:PORT");
			return NULL;
		}
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || port < 1 || port > 65535) {
			snprintf(why, why_size, "redis store: bad port");
			return NULL;
		}
		memcpy(host, p, (size_t)(colon - p));
		host[colon - p] = '\0';
		c = redisConnectWithTimeout(host, (int)port, tv);
	}
	if (c == NULL || c->err || redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(why, why_size, "%s: %s", spec, c != NULL && c->err ?
		    c->errstr : "cannot connect");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	return c;
}

enum store_err
store_redis_open(const char *spec, struct store **out, char *why,
    size_t why_size)
{
	struct redis_store	*s = calloc(1, sizeof(*s));
	struct store		*st = calloc(1, sizeof(*st));

	*out = NULL;
	if (s == NULL || st == NULL) {
		free(s);
		free(st);
		return STORE_ENOMEM;
	}
	why[0] = '\0';
	if (strlen(spec) >= sizeof(s->spec) ||
	    (s->c = connect_spec(spec, why, why_size)) == NULL) {
		if (why[0] == '\0')
			snprintf(why, why_size, "redis store: spec too long");
		rd_close(s);
		free(st);
		return strstr(why, "redis store:") == why ? STORE_ESPEC :
		    STORE_DOWN;
	}
	snprintf(s->spec, sizeof(s->spec), "%s", spec);
	st->ops = &redis_ops;
	st->impl = s;
	st->caps.writers = STORE_REDIS_WRITERS;
	st->caps.batch = 1;
	st->caps.readers = 0;
	*out = st;
	return STORE_OK;
}

/* ---- following the other nodes' changes ---------------------------------- */

struct store_follow {
	char		 spec[SPEC_MAX];
	void		(*changed)(const char *id, void *arg);
	void		*arg;
	pthread_t	 thread;
	atomic_bool	 stop;
};

/* A subscribed connection, or NULL (the follower tries again later). */
static redisContext *
subscribe(struct store_follow *f)
{
	struct timeval	 poll = { FOLLOW_POLL_SEC, 0 };
	char		 why[256];
	redisContext	*c = connect_spec(f->spec, why, sizeof(why));
	redisReply	*r;

	if (c == NULL)
		return NULL;
	r = redisCommand(c, "SUBSCRIBE %s", STORE_REDIS_CHANNEL);
	if (r == NULL || r->type == REDIS_REPLY_ERROR ||
	    redisSetTimeout(c, poll) != REDIS_OK) {
		if (r != NULL)
			freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

/* A "message" reply: ["message", channel, id]. */
static void
deliver(struct store_follow *f, const redisReply *r)
{
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "message") == 0 &&
	    r->element[2]->type == REDIS_REPLY_STRING)
		f->changed(r->element[2]->str, f->arg);
}

static void *
follow_main(void *arg)
{
	struct store_follow	*f = arg;
	redisContext		*c = NULL;
	struct timespec		 pause = { FOLLOW_POLL_SEC, 0 };

	while (!atomic_load(&f->stop)) {
		void *reply = NULL;

		if (c == NULL && (c = subscribe(f)) == NULL) {
			(void)nanosleep(&pause, NULL);
			continue;
		}
		if (redisGetReply(c, &reply) == REDIS_OK) {
			deliver(f, reply);
			freeReplyObject(reply);
		} else if (c->err == REDIS_ERR_IO && (errno == EAGAIN ||
		    errno == EWOULDBLOCK)) {
			c->err = 0;	/* only the poll timeout: read on */
			c->errstr[0] = '\0';
		} else {
			redisFree(c);	/* lost: subscribe again */
			c = NULL;
		}
	}
	if (c != NULL)
		redisFree(c);
	return NULL;
}

enum store_err
store_redis_follow(const char *spec, void (*changed)(const char *id,
    void *arg), void *arg, struct store_follow **out, char *why,
    size_t why_size)
{
	struct store_follow *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (f == NULL || strlen(spec) >= sizeof(f->spec)) {
		free(f);
		snprintf(why, why_size, "redis store: cannot follow changes");
		return STORE_ENOMEM;
	}
	snprintf(f->spec, sizeof(f->spec), "%s", spec);
	f->changed = changed;
	f->arg = arg;
	atomic_init(&f->stop, false);
	if (pthread_create(&f->thread, NULL, follow_main, f) != 0) {
		free(f);
		snprintf(why, why_size, "cannot start the Redis follower");
		return STORE_ENOMEM;
	}
	*out = f;
	return STORE_OK;
}

void
store_redis_unfollow(struct store_follow *f)
{
	if (f == NULL)
		return;
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	free(f);
}
