/*
 * store_redis: the store interface on Redis (hiredis).  Keys:
 *   tigress:mb:{id}           a mailbox, one hash field per column
 *   tigress:expiry            sorted set of mailbox ids by expiration
 *   tigress:log:{claim}:{rid} a remembered request, expiring with it
 *
 * A transaction holds a batch of requests (storeq's group commit) and
 * costs two round trips whatever their number: one that WATCHes and reads
 * every key its requests announced (store_want), and one MULTI/EXEC with
 * all their writes.  In between nothing goes to Redis: reads are answered
 * from the transaction's overlay, the versions of each key it read or
 * wrote, newest last, so that a request sees what the earlier requests of
 * its batch wrote (of two binding reads of one mailbox, the second finds
 * it bound).  store_mark() notes how many versions and buffered commands
 * there are; undoing a request drops what came after.  A read nobody
 * announced costs a round trip of its own (WATCH and read).
 *
 * No locks: when another node changed a watched key between the read and
 * the EXEC, Redis refuses the EXEC and commit answers STORE_CONFLICT: the
 * whole batch runs again on fresh data.  So correctness never depends on
 * timing: a node paused for any time between its read and its commit
 * finds its EXEC refused.
 *
 * Less to send: a put writes only the fields that changed since the
 * version it replaces (a binding read sends the recipient, not the payload
 * again); the ids of the mailboxes a commit changed go out in one PUBLISH;
 * the live count is the index's ZCARD, read with the announced keys: like
 * SQLite's counter it counts expired mailboxes until they are swept, and a
 * create at the limit sweeps first.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "store_redis.h"
#include "text.h"

#define EXPIRY_KEY	"tigress:expiry"
#define MB_PREFIX	"tigress:mb:"
#define LOG_PREFIX	"tigress:log:"
#define KEY_MAX		(sizeof(LOG_PREFIX) + UUID_STR_SIZE + TG_REQUEST_ID_MAX + 1)
#define MB_FIELDS	17	/* columns besides the id */
#define MB_NUMS		6	/* the first MB_FIELDS are numbers */
#define NUM_MAX		24	/* a formatted number */
#define CONNECT_SEC	5	/* connect and command timeouts */
#define FOLLOW_POLL_SEC	1	/* the follower looks at its stop flag */
#define SPEC_MAX	1100
#define GROW_FIRST	16	/* first size of the growing arrays */
#define NELEM(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* One version of a key in the transaction: as read, or as a request of
 * the transaction wrote it. */
struct version {
	char			 key[KEY_MAX];
	bool			 present;	/* else absent or deleted */
	bool			 changed;	/* put or del: published */
	struct store_mailbox	 mb;		/* a present mailbox */
	struct store_log	 log;		/* a present log entry */
};

/* A formatted command (an sds string of hiredis), buffered until commit. */
struct command {
	char	*text;
	size_t	 len;
};

/* Where a request started (store_mark). */
struct mark {
	size_t	nversions;
	size_t	ncommands;
	long	live_delta;
};

struct redis_store {
	redisContext	*c;		/* NULL: reconnect at next begin */
	char		 spec[SPEC_MAX];
	struct version	*versions;	/* the overlay, newest last */
	size_t		 nversions, versions_cap;
	struct command	*commands;	/* the writes, for MULTI/EXEC */
	size_t		 ncommands, commands_cap;
	char		(*wants)[KEY_MAX];	/* announced, not yet read */
	size_t		 nwants, wants_cap;
	bool		 want_count;
	bool		 have_count;
	long		 count;		/* the index's ZCARD, when read */
	long		 live_delta;	/* creates less deletes, unsent */
	struct mark	 mark;
	bool		 watching;	/* the connection WATCHes keys */
	bool		 stale;		/* ... of an earlier transaction */
	char		 why[256];
};

static const char *const mb_names[MB_FIELDS] = { "rights", "created",
    "expires", "etag", "aead", "init_aead", "initiator", "recipient",
    "title", "description", "image_url", "data", "init_data", "init_ntype",
    "init_ntoken", "rcpt_ntype", "rcpt_ntoken" };

static redisContext *connect_spec(const char *spec, char *why,
    size_t why_size);

/* arr (of *cap elements of size bytes, n in use) with room for one more,
 * *cap updated; NULL, arr unchanged, when memory ran out. */
static void *
room(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t	 want = *cap > 0 ? *cap * 2 : GROW_FIRST;
	void	*bigger;

	if (n < *cap)
		return arr;
	if ((bigger = reallocarray(arr, want, size)) == NULL)
		return NULL;
	*cap = want;
	return bigger;
}

/* The connection failed: drop it, reconnect at the next transaction. */
static enum store_err
down(struct redis_store *s, const char *what)
{
	snprintf(s->why, sizeof(s->why), "redis: %s: %s", what,
	    s->c != NULL && s->c->err ? s->c->errstr : "no connection");
	if (s->c != NULL)
		redisFree(s->c);
	s->c = NULL;
	s->watching = s->stale = false;
	return STORE_DOWN;
}

static enum store_err
reply_error(struct redis_store *s, const redisReply *r)
{
	snprintf(s->why, sizeof(s->why), "redis: %s",
	    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	return STORE_EIO;
}

static void
free_replies(redisReply **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i] != NULL)
			freeReplyObject(r[i]);
}

/*
 * Send the n commands appended to the pipeline and read their
 * replies into r[0..n) (freed by the caller), failing on any error reply.
 * A transport failure drops the connection.
 */
static enum store_err
replies(struct redis_store *s, redisReply **r, size_t n)
{
	enum store_err err = STORE_OK;

	for (size_t i = 0; i < n; i++)
		r[i] = NULL;
	for (size_t i = 0; i < n; i++) {
		void *reply = NULL;
		if (redisGetReply(s->c, &reply) != REDIS_OK) {
			free_replies(r, i);
			return down(s, "reply");
		}
		r[i] = reply;
		if (err == STORE_OK && r[i]->type == REDIS_REPLY_ERROR)
			err = reply_error(s, r[i]);
	}
	return err;
}

/* Run one command outside the transaction's reads (sweep). */
static enum store_err
plain(struct redis_store *s, redisReply **out, int argc, const char **argv,
    const size_t *lens)
{
	*out = NULL;
	if (s->c == NULL)
		return down(s, "command");
	if ((*out = redisCommandArgv(s->c, argc, argv, lens)) == NULL)
		return down(s, "command");
	if ((*out)->type == REDIS_REPLY_ERROR) {
		enum store_err err = reply_error(s, *out);
		freeReplyObject(*out);
		*out = NULL;
		return err;
	}
	return STORE_OK;
}

/* ---- the overlay ----------------------------------------------------- */

static void
mb_key(const char *id, char key[KEY_MAX])
{
	snprintf(key, KEY_MAX, MB_PREFIX "%s", id);
}

static void
log_key(const char *claim, const char *request_id, char key[KEY_MAX])
{
	snprintf(key, KEY_MAX, LOG_PREFIX "%s:%s", claim, request_id);
}

static bool
is_mb_key(const char *key)
{
	return strncmp(key, MB_PREFIX, sizeof(MB_PREFIX) - 1) == 0;
}

/* The newest version of key in the transaction, or -1. */
static long
find(const struct redis_store *s, const char *key)
{
	for (size_t i = s->nversions; i-- > 0;)
		if (strcmp(s->versions[i].key, key) == 0)
			return (long)i;
	return -1;
}

/* A new, absent version of key (it invalidates pointers to the others). */
static struct version *
add_version(struct redis_store *s, const char *key)
{
	struct version *v;

	if ((v = room(s->versions, &s->versions_cap, s->nversions,
	    sizeof(*s->versions))) == NULL)
		return NULL;
	s->versions = v;
	v = &s->versions[s->nversions++];
	memset(v, 0, sizeof(*v));
	(void)text_copy(v->key, sizeof(v->key), key);
	return v;
}

static void
drop_versions(struct redis_store *s, size_t keep)
{
	while (s->nversions > keep) {
		struct version *v = &s->versions[--s->nversions];
		store_mailbox_clear(&v->mb);
		store_log_clear(&v->log);
	}
}

static void
drop_commands(struct redis_store *s, size_t keep)
{
	while (s->ncommands > keep)
		redisFreeSdsCommand(s->commands[--s->ncommands].text);
}

/* Forget the transaction (its watches stay, stale, until the next reads). */
static void
reset(struct redis_store *s)
{
	drop_versions(s, 0);
	drop_commands(s, 0);
	s->nwants = 0;
	s->want_count = s->have_count = false;
	s->live_delta = 0;
	memset(&s->mark, 0, sizeof(s->mark));
}

/*
 * Buffer a write of argc arguments (NUL-terminated) until commit.
 * hiredis's sds formatter: its printf-style and plain argv formatters
 * run printf once or twice per argument, which was a fifth of the
 * relay's instructions with this store.
 */
static enum store_err
buffer_argv(struct redis_store *s, int argc, const char **argv)
{
	struct command	*c;
	sds		 text = NULL;
	int		 len = redisFormatSdsCommandArgv(&text, argc, argv, NULL);

	if (len <= 0 || text == NULL)
		return STORE_ENOMEM;
	if ((c = room(s->commands, &s->commands_cap, s->ncommands,
	    sizeof(*s->commands))) == NULL) {
		redisFreeSdsCommand(text);
		return STORE_ENOMEM;
	}
	s->commands = c;
	s->commands[s->ncommands].text = text;
	s->commands[s->ncommands++].len = (size_t)len;
	return STORE_OK;
}

/* Append a command to the pipeline, formatted as buffer_argv() does. */
static bool
append_argv(struct redis_store *s, int argc, const char **argv)
{
	return redisAppendCommandArgv(s->c, argc, argv, NULL) == REDIS_OK;
}

/* A number as a command argument. */
static void
num_arg(char out[NUM_MAX], long long v)
{
	(void)snprintf(out, NUM_MAX, "%lld", v);
}

/* ---- records from replies ------------------------------------------- */

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
dup_field(const redisReply *r, const char *name, bool *ok)
{
	const char	*v = field(r, name);
	char		*copy = v != NULL ? strdup(v) : NULL;

	if (v != NULL && copy == NULL)
		*ok = false;
	return copy;
}

static void
copy_field(const redisReply *r, const char *name, char *out, size_t size)
{
	const char *v = field(r, name);

	(void)text_copy(out, size, v != NULL ? v : "");
}

/* A mailbox hash as HGETALL gave it (a non-empty array). */
static enum store_err
parse_mailbox(struct redis_store *s, const redisReply *r, const char *id,
    struct store_mailbox *m)
{
	bool ok = true;

	(void)text_copy(m->id, sizeof(m->id), id);
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
	if (ok && m->title != NULL && m->data != NULL)
		return STORE_OK;
	store_mailbox_clear(m);
	snprintf(s->why, sizeof(s->why), "redis: incomplete mailbox");
	return ok ? STORE_EIO : STORE_ENOMEM;
}

/* A log hash as HGETALL gave it; claim and request id from its key. */
static enum store_err
parse_log(struct redis_store *s, const redisReply *r, const char *key,
    struct store_log *l)
{
	const char	*claim = key + sizeof(LOG_PREFIX) - 1;
	const char	*colon = strchr(claim, ':');
	bool		 ok = true;

	if (colon != NULL && (size_t)(colon - claim) < sizeof(l->claim)) {
		memcpy(l->claim, claim, (size_t)(colon - claim));
		l->claim[colon - claim] = '\0';
		(void)text_copy(l->request_id, sizeof(l->request_id),
		    colon + 1);
	}
	copy_field(r, "mailbox", l->mailbox, sizeof(l->mailbox));
	l->op = (int)num(r, "op");
	l->expires = num(r, "expires");
	l->body = dup_field(r, "body", &ok);
	if (l->body != NULL)
		return STORE_OK;
	snprintf(s->why, sizeof(s->why), "redis: incomplete log entry");
	return ok ? STORE_EIO : STORE_ENOMEM;
}

/* The version of key that a HGETALL reply says (none when unreadable). */
static enum store_err
add_read(struct redis_store *s, const char *key, const redisReply *r)
{
	struct version	*v;
	enum store_err	 err;

	if (r->type != REDIS_REPLY_ARRAY)
		return reply_error(s, r);
	if ((v = add_version(s, key)) == NULL)
		return STORE_ENOMEM;
	if (r->elements == 0)
		return STORE_OK;		/* absent */
	v->present = true;
	err = is_mb_key(key) ?
	    parse_mailbox(s, r, key + sizeof(MB_PREFIX) - 1, &v->mb) :
	    parse_log(s, r, key, &v->log);
	if (err != STORE_OK)
		drop_versions(s, s->nversions - 1);
	return err;
}

/* ---- reading: WATCH and read in one round trip ----------------------- */

/* Append WATCH keys... and a HGETALL of each (n > 0). */
static bool
append_reads(struct redis_store *s, char (*keys)[KEY_MAX], size_t n)
{
	const char	**argv = calloc(n + 1, sizeof(*argv));
	bool		  ok = argv != NULL;

	if (ok) {
		argv[0] = "WATCH";
		for (size_t i = 0; i < n; i++)
			argv[i + 1] = keys[i];
		ok = append_argv(s, (int)n + 1, argv);
	}
	for (size_t i = 0; ok && i < n; i++) {
		const char *hgetall[] = { "HGETALL", keys[i] };
		ok = append_argv(s, NELEM(hgetall), hgetall);
	}
	free(argv);
	return ok;
}

/*
 * Watch and read keys[0..n) (adding a version of each) and, with count,
 * the live count: one round trip.  Watches left by an earlier transaction
 * are dropped first, in the same round trip.
 */
static enum store_err
read_keys(struct redis_store *s, char (*keys)[KEY_MAX], size_t n,
    bool count)
{
	const char	 *unwatch_cmd[] = { "UNWATCH" };
	const char	 *zcard[] = { "ZCARD", EXPIRY_KEY };
	redisReply	**r;
	size_t		  nr = 0, first;
	bool		  unwatch = n > 0 && s->stale;
	enum store_err	  err;

	if (s->c == NULL)
		return down(s, "read");
	nr = (unwatch ? 1 : 0) + (n > 0 ? n + 1 : 0) + (count ? 1 : 0);
	if ((r = calloc(nr, sizeof(*r))) == NULL)
		return STORE_ENOMEM;
	if ((unwatch && !append_argv(s, NELEM(unwatch_cmd), unwatch_cmd)) ||
	    (n > 0 && !append_reads(s, keys, n)) ||
	    (count && !append_argv(s, NELEM(zcard), zcard))) {
		free(r);
		return down(s, "read");	/* half a pipeline: start over */
	}
	if ((err = replies(s, r, nr)) == STORE_DOWN) {
		free(r);
		return err;
	}
	if (n > 0) {
		s->watching = true;
		s->stale = false;
	}
	first = (unwatch ? 1 : 0) + (n > 0 ? 1 : 0);
	for (size_t i = 0; i < n && err == STORE_OK; i++)
		err = add_read(s, keys[i], r[first + i]);
	if (err == STORE_OK && count) {
		s->count = r[nr - 1]->type == REDIS_REPLY_INTEGER ?
		    (long)r[nr - 1]->integer : 0;
		s->have_count = true;
	}
	free_replies(r, nr);
	free(r);
	return err;
}

/* The newest version of key, read from Redis when the transaction has
 * none. */
static enum store_err
known(struct redis_store *s, const char *key, struct version **out)
{
	char		one[1][KEY_MAX];
	long		i;
	enum store_err	err;

	*out = NULL;
	if ((i = find(s, key)) < 0) {
		(void)text_copy(one[0], sizeof(one[0]), key);
		if ((err = read_keys(s, one, 1, false)) != STORE_OK)
			return err;
		if ((i = find(s, key)) < 0)
			return STORE_EIO;
	}
	*out = &s->versions[i];
	return STORE_OK;
}

static void
rd_want(void *impl, enum store_want what, const char *a, const char *b)
{
	struct redis_store	*s = impl;
	char			 key[KEY_MAX];
	char			(*wants)[KEY_MAX];

	if (what == STORE_WANT_COUNT) {
		s->want_count = !s->have_count;
		return;
	}
	if (what == STORE_WANT_MAILBOX)
		mb_key(a, key);
	else
		log_key(a, b, key);
	if (find(s, key) >= 0)
		return;
	for (size_t i = 0; i < s->nwants; i++)
		if (strcmp(s->wants[i], key) == 0)
			return;
	if ((wants = room(s->wants, &s->wants_cap, s->nwants,
	    sizeof(*s->wants))) == NULL)
		return;		/* a hint: it is read when asked for */
	s->wants = wants;
	memcpy(s->wants[s->nwants++], key, sizeof(key));
}

static enum store_err
rd_fetch(void *impl)
{
	struct redis_store	*s = impl;
	enum store_err		 err = STORE_OK;

	if (s->nwants > 0 || s->want_count)
		err = read_keys(s, s->wants, s->nwants, s->want_count);
	s->nwants = 0;
	s->want_count = false;
	return err;
}

/* ---- transactions ----------------------------------------------------- */

/* Redis runs on store threads only (quick_commit is 0): lock unused. */
static enum store_err
rd_begin(void *impl, enum store_lock lock)
{
	struct redis_store *s = impl;

	(void)lock;
	reset(s);
	s->stale = s->watching;
	if (s->c == NULL &&
	    (s->c = connect_spec(s->spec, s->why, sizeof(s->why))) == NULL)
		return STORE_DOWN;
	if (s->c->err)
		return down(s, "connect");
	return STORE_OK;
}

/* Buffer one PUBLISH of the ids of every mailbox the batch changed. */
static enum store_err
buffer_publish(struct redis_store *s)
{
	const char	*publish[] = { "PUBLISH", STORE_REDIS_CHANNEL, NULL };
	size_t		 n = 0, at = 0;
	char		*ids;
	enum store_err	 err;

	for (size_t i = 0; i < s->nversions; i++)
		n += s->versions[i].changed;
	if (n == 0)
		return STORE_OK;
	if ((ids = malloc(n * UUID_STR_SIZE)) == NULL)
		return STORE_ENOMEM;
	ids[0] = '\0';
	for (size_t i = 0; i < s->nversions; i++) {
		const struct version *v = &s->versions[i];
		if (!v->changed)
			continue;
		if (at > 0)
			at = text_append(ids, n * UUID_STR_SIZE, at, " ");
		at = text_append(ids, n * UUID_STR_SIZE, at,
		    v->key + sizeof(MB_PREFIX) - 1);
	}
	publish[2] = ids;
	err = buffer_argv(s, NELEM(publish), publish);
	free(ids);
	return err;
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
	struct redis_store	 *s = impl;
	const char		 *unwatch_cmd[] = { "UNWATCH" };
	const char		 *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	redisReply		**r;
	enum store_err		  err;
	size_t			  n, nr;
	bool			  unwatch = s->stale;

	if (s->ncommands == 0) {	/* its watches go stale */
		reset(s);
		return s->c != NULL ? STORE_OK : STORE_DOWN;
	}
	if (s->c == NULL)
		return down(s, "commit");
	if ((err = buffer_publish(s)) != STORE_OK)
		return err;
	n = s->ncommands;
	nr = n + 2 + (unwatch ? 1 : 0);
	if ((r = calloc(nr, sizeof(*r))) == NULL)
		return STORE_ENOMEM;
	if ((unwatch && !append_argv(s, NELEM(unwatch_cmd), unwatch_cmd)) ||
	    !append_argv(s, NELEM(multi), multi)) {
		free(r);
		return down(s, "commit");
	}
	for (size_t i = 0; i < n; i++)
		if (redisAppendFormattedCommand(s->c, s->commands[i].text,
		    s->commands[i].len) != REDIS_OK) {
			free(r);
			return down(s, "commit");
		}
	if (!append_argv(s, NELEM(exec), exec)) {
		free(r);
		return down(s, "commit");
	}
	reset(s);
	s->watching = s->stale = false;		/* EXEC ends them */
	if ((err = replies(s, r, nr)) == STORE_OK)
		err = check_exec(s, r[nr - 1]);
	free_replies(r, nr);
	free(r);
	return err;
}

static void
rd_rollback(void *impl)
{
	reset(impl);	/* the watches go stale */
}

static enum store_err
rd_mark(void *impl)
{
	struct redis_store *s = impl;

	s->mark.nversions = s->nversions;
	s->mark.ncommands = s->ncommands;
	s->mark.live_delta = s->live_delta;
	return STORE_OK;
}

static void
rd_release(void *impl, int keep)
{
	struct redis_store *s = impl;

	if (keep)
		return;
	drop_versions(s, s->mark.nversions);
	drop_commands(s, s->mark.ncommands);
	s->live_delta = s->mark.live_delta;
}

/* ---- records ---------------------------------------------------------- */

static enum store_err
rd_get(void *impl, const char *id, struct store_mailbox *m)
{
	struct redis_store	*s = impl;
	struct version		*v;
	char			 key[KEY_MAX];
	enum store_err		 err;

	memset(m, 0, sizeof(*m));
	mb_key(id, key);
	if ((err = known(s, key, &v)) != STORE_OK)
		return err;
	return v->present ? store_mailbox_copy(m, &v->mb) : STORE_NOTFOUND;
}

/* Each field of m as text (NULL: absent); nums holds the numbers. */
static void
mailbox_fields(const struct store_mailbox *m, char nums[MB_NUMS][NUM_MAX],
    const char *values[MB_FIELDS])
{
	const char *v[MB_FIELDS] = { nums[0], nums[1], nums[2], nums[3],
	    nums[4], nums[5], m->initiator, m->recipient, m->title,
	    m->description, m->image_url, m->data, m->init_data,
	    m->init_ntype, m->init_ntoken, m->rcpt_ntype, m->rcpt_ntoken };

	num_arg(nums[0], m->rights);
	num_arg(nums[1], m->created);
	num_arg(nums[2], m->expires);
	num_arg(nums[3], m->etag);
	num_arg(nums[4], m->aead);
	num_arg(nums[5], m->init_aead);
	memcpy(values, v, sizeof(v));
}

/* Buffer the expiration of m: the hash's own and the index's. */
static enum store_err
buffer_expiry(struct redis_store *s, const struct store_mailbox *m)
{
	char		 key[KEY_MAX], when[NUM_MAX];
	const char	*expireat[] = { "EXPIREAT", key, when };
	const char	*zadd[] = { "ZADD", EXPIRY_KEY, when, m->id };
	enum store_err	 err;

	mb_key(m->id, key);
	num_arg(when, (long long)m->expires);
	if ((err = buffer_argv(s, NELEM(expireat), expireat)) != STORE_OK)
		return err;
	return buffer_argv(s, NELEM(zadd), zadd);
}

/*
 * Buffer what turns the stored old into m: HSET of the fields that
 * differ, HDEL of those now absent, the expiration when it changed.  With
 * old NULL (nothing stored), the whole record.
 */
static enum store_err
buffer_mailbox(struct redis_store *s, const struct store_mailbox *old,
    const struct store_mailbox *m)
{
	char		 key[KEY_MAX], nums[MB_NUMS][NUM_MAX];
	char		 old_nums[MB_NUMS][NUM_MAX];
	const char	*now[MB_FIELDS], *was[MB_FIELDS] = { NULL };
	const char	*set[2 + 2 * MB_FIELDS] = { "HSET", key };
	const char	*del[2 + MB_FIELDS] = { "HDEL", key };
	int		 nset = 2, ndel = 2;
	enum store_err	 err = STORE_OK;

	mb_key(m->id, key);
	mailbox_fields(m, nums, now);
	if (old != NULL)
		mailbox_fields(old, old_nums, was);
	for (int i = 0; i < MB_FIELDS; i++) {
		if (now[i] != NULL && (was[i] == NULL ||
		    strcmp(now[i], was[i]) != 0)) {
			set[nset++] = mb_names[i];
			set[nset++] = now[i];
		} else if (now[i] == NULL && was[i] != NULL)
			del[ndel++] = mb_names[i];
	}
	if (nset > 2)
		err = buffer_argv(s, nset, set);
	if (err == STORE_OK && ndel > 2)
		err = buffer_argv(s, ndel, del);
	if (err == STORE_OK && (old == NULL || old->expires != m->expires))
		err = buffer_expiry(s, m);
	return err;
}

/* Add the version of a mailbox a request wrote. */
static enum store_err
add_written(struct redis_store *s, const struct store_mailbox *m,
    bool changed)
{
	struct version	*v;
	char		 key[KEY_MAX];

	mb_key(m->id, key);
	if ((v = add_version(s, key)) == NULL)
		return STORE_ENOMEM;
	v->present = true;
	v->changed = changed;
	return store_mailbox_copy(&v->mb, m);
}

/* A new mailbox: its key was watched and read absent (ids are random). */
static enum store_err
rd_put_new(void *impl, const struct store_mailbox *m)
{
	struct redis_store	*s = impl;
	struct version		*v;
	char			 key[KEY_MAX];
	enum store_err		 err;

	mb_key(m->id, key);
	if ((err = known(s, key, &v)) != STORE_OK)
		return err;
	if (v->present)
		return STORE_EXISTS;
	if ((err = buffer_mailbox(s, NULL, m)) != STORE_OK ||
	    (err = add_written(s, m, false)) != STORE_OK)
		return err;
	s->live_delta++;
	return STORE_OK;
}

/* put and del follow a get of the same record, which watched it. */
static enum store_err
rd_put(void *impl, const struct store_mailbox *m)
{
	struct redis_store	*s = impl;
	char			 key[KEY_MAX];
	const char		*del[] = { "DEL", key };
	long			 i;
	enum store_err		 err;

	mb_key(m->id, key);
	if ((i = find(s, key)) >= 0 && s->versions[i].present)
		err = buffer_mailbox(s, &s->versions[i].mb, m);
	else if ((err = buffer_argv(s, NELEM(del), del)) == STORE_OK)
		err = buffer_mailbox(s, NULL, m);	/* not read: all of it */
	return err != STORE_OK ? err : add_written(s, m, true);
}

static enum store_err
rd_del(void *impl, const char *id)
{
	struct redis_store	*s = impl;
	struct version		*v;
	char			 key[KEY_MAX];
	const char		*del[] = { "DEL", key };
	const char		*zrem[] = { "ZREM", EXPIRY_KEY, id };
	long			 i;
	bool			 was;
	enum store_err		 err;

	mb_key(id, key);
	i = find(s, key);
	was = i >= 0 && s->versions[i].present;
	if ((err = buffer_argv(s, NELEM(del), del)) != STORE_OK ||
	    (err = buffer_argv(s, NELEM(zrem), zrem)) != STORE_OK)
		return err;
	if ((v = add_version(s, key)) == NULL)
		return STORE_ENOMEM;
	v->changed = true;
	if (was)
		s->live_delta--;
	return STORE_OK;
}

static enum store_err
rd_log_get(void *impl, const char *claim, const char *request_id,
    int64_t now, struct store_log *l)
{
	struct redis_store	*s = impl;
	struct version		*v;
	char			 key[KEY_MAX];
	enum store_err		 err;

	memset(l, 0, sizeof(*l));
	log_key(claim, request_id, key);
	if ((err = known(s, key, &v)) != STORE_OK)
		return err;
	if (!v->present || v->log.expires <= now)
		return STORE_NOTFOUND;
	return store_log_copy(l, &v->log);
}

static enum store_err
rd_log_put(void *impl, const struct store_log *l)
{
	struct redis_store	*s = impl;
	struct version		*v;
	char			 key[KEY_MAX], op[NUM_MAX], when[NUM_MAX];
	enum store_err		 err;
	const char		*hset[] = { "HSET", key, "op", op, "mailbox",
	    l->mailbox, "body", l->body, "expires", when };
	const char		*expireat[] = { "EXPIREAT", key, when };

	log_key(l->claim, l->request_id, key);
	num_arg(op, l->op);
	num_arg(when, (long long)l->expires);
	if ((err = buffer_argv(s, NELEM(hset), hset)) != STORE_OK ||
	    (err = buffer_argv(s, NELEM(expireat), expireat)) != STORE_OK)
		return err;
	if ((v = add_version(s, key)) == NULL)
		return STORE_ENOMEM;
	v->present = true;
	return store_log_copy(&v->log, l);
}

/*
 * Live mailboxes: the index's size, read once a transaction (with its
 * announced keys), plus the transaction's creates less its deletes.  Like
 * SQLite's counter it counts expired mailboxes until they are swept (now
 * is not needed); a create at the limit sweeps and counts again.
 */
static enum store_err
rd_count_live(void *impl, int64_t now, long *n)
{
	struct redis_store	*s = impl;
	enum store_err		 err;

	(void)now;
	if (!s->have_count &&
	    (err = read_keys(s, NULL, 0, true)) != STORE_OK)
		return err;
	*n = s->count + s->live_delta;
	return STORE_OK;
}

/*
 * Up to limit expired mailboxes out of the index (their hashes expire by
 * themselves, EXPIREAT): two round trips, outside the transaction's
 * writes, so that the count read next is fresh.
 */
static enum store_err
rd_sweep(void *impl, int64_t now, long limit, long *removed)
{
	struct redis_store	*s = impl;
	redisReply		*r = NULL, *gone = NULL;
	char			 until[NUM_MAX], lim[NUM_MAX];
	const char		*argv[] = { "ZRANGEBYSCORE", EXPIRY_KEY, "-inf",
	    until, "LIMIT", "0", lim };
	const char		**ids = NULL;
	size_t			*lens = NULL;
	enum store_err		 err;

	*removed = 0;
	num_arg(until, now);
	num_arg(lim, limit);
	if ((err = plain(s, &r, 7, argv, NULL)) != STORE_OK)
		return err;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		goto done;
	ids = calloc(r->elements + 2, sizeof(*ids));
	lens = calloc(r->elements + 2, sizeof(*lens));
	if (ids == NULL || lens == NULL) {
		err = STORE_ENOMEM;
		goto done;
	}
	ids[0] = "ZREM";
	ids[1] = EXPIRY_KEY;
	lens[0] = 4;
	lens[1] = strlen(EXPIRY_KEY);
	for (size_t i = 0; i < r->elements; i++) {
		ids[i + 2] = r->element[i]->str;
		lens[i + 2] = r->element[i]->len;
	}
	if ((err = plain(s, &gone, (int)r->elements + 2, ids, lens)) ==
	    STORE_OK && gone->type == REDIS_REPLY_INTEGER)
		*removed = (long)gone->integer;
	s->have_count = false;
done:
	if (gone != NULL)
		freeReplyObject(gone);
	freeReplyObject(r);
	free(ids);
	free(lens);
	return err;
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
	reset(s);
	free(s->versions);
	free(s->commands);
	free(s->wants);
	if (s->c != NULL)
		redisFree(s->c);
	free(s);
}

static const struct store_ops redis_ops = {
	rd_begin, rd_commit, rd_rollback, rd_mark, rd_release, rd_get,
	rd_put_new, rd_put, rd_del, rd_log_get, rd_log_put, rd_count_live,
	rd_sweep, NULL, NULL, rd_why, rd_close, rd_want, rd_fetch,
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
	(void)text_copy(s->spec, sizeof(s->spec), spec);
	st->ops = &redis_ops;
	st->impl = s;
	st->caps.writers = STORE_REDIS_WRITERS;
	st->caps.batch = STORE_REDIS_BATCH;
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

/* A "message" reply: ["message", channel, "id id ..."]. */
static void
deliver(struct store_follow *f, const redisReply *r)
{
	char		 id[UUID_STR_SIZE];
	const char	*p, *end;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "message") != 0 ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return;
	for (p = r->element[2]->str; *p != '\0'; p = *end != '\0' ? end + 1 :
	    end) {
		if ((end = strchr(p, ' ')) == NULL)
			end = p + strlen(p);
		if (end == p || (size_t)(end - p) >= sizeof(id))
			continue;	/* not an id of ours */
		memcpy(id, p, (size_t)(end - p));
		id[end - p] = '\0';
		f->changed(id, f->arg);
	}
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
	(void)text_copy(f->spec, sizeof(f->spec), spec);
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
