/*
 * CUnit tests of mbox (on an in-memory SQLite store) and route: the
 * access rules, binding, replays, relinquish, expiry and capacity, with
 * the clock under the test's control (mbox takes "now" as an argument),
 * and transactions of several requests, as group commit runs them.
 *
 * With TIGRESS_TEST_STORE=redis+unix:PATH the same tests run on that
 * Redis (emptied with FLUSHALL before each test): tests/test_redis.py
 * does so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include <CUnit/Basic.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <sqlite3.h>

#include "accesslog.h"
#include "longpoll.h"
#include "mbox.h"
#include "msg.h"
#include "payload.h"
#include "route.h"
#include "walbuf.h"

#define T0_AHEAD	86400	/* "now" is a day ahead of the clock */

/* The tests' "now": ahead of the real clock, by which Redis expires keys. */
static int64_t T0;
static const char *store_spec = "sqlite::memory:";

static const char A[] = "11111111-1111-4111-8111-111111111111";	/* initiator */
static const char B[] = "22222222-2222-4222-8222-222222222222";	/* recipient */
static const char C[] = "33333333-3333-4333-8333-333333333333";	/* third */

struct fixture {
	struct store		*store;
	struct mbox_policy	 policy;
	char			 id[UUID_STR_SIZE];
	int			 seq;	/* request id counter */
};

/* A Redis store starts empty. */
static void
flush_redis(const char *spec)
{
	redisContext	*c;
	redisReply	*r;

	if (strncmp(spec, "redis+unix:", 11) != 0)
		return;
	c = redisConnectUnix(spec + 11);
	CU_ASSERT_FATAL(c != NULL && c->err == 0);
	r = redisCommand(c, "FLUSHALL");
	CU_ASSERT_FATAL(r != NULL && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	redisFree(c);
}

static void
fixture_open(struct fixture *f)
{
	char why[256];

	memset(f, 0, sizeof(*f));
	flush_redis(store_spec);
	CU_ASSERT_FATAL(store_open(store_spec, NULL, &f->store, why,
	    sizeof(why)) == STORE_OK);
	f->policy.default_ttl = 3600;
	f->policy.max_ttl = 7 * 86400;
	f->policy.max_mailboxes = 5;
	f->policy.public_url = "https://relay.test";
}

/* A body with a sealed payload of text (fixed key) and rights. */
static char *
create_body(const char *rights, int64_t expires)
{
	static const uint8_t	 key[16] = { 7 };
	json_t			*p = NULL;
	struct payload_ref	 ref;
	const char		*field;
	struct msg_display	 d = { "Car", "A car key", "https://x.test/i" };
	struct msg_notify	 n = { true, "test", "token-A" };
	struct msg_config	 cfg = { rights != NULL, true, 0, expires };
	char			*text;

	CU_ASSERT_FATAL(payload_seal(PAYLOAD_AES_128_GCM, key, 16,
	    (const uint8_t *)"hello", 5, NULL, &p) == TGERR_OK);
	CU_ASSERT_FATAL(payload_check(p, &ref, &field) == TGERR_OK);
	if (rights != NULL)
		cfg.rights = (strchr(rights, 'R') ? MSG_RIGHT_READ : 0) |
		    (strchr(rights, 'W') ? MSG_RIGHT_WRITE : 0) |
		    (strchr(rights, 'D') ? MSG_RIGHT_DELETE : 0);
	text = msg_build_create_request(&ref, &d, &n, &cfg);
	json_decref(p);
	return text;
}

/* Run one operation at time now; returns the status. */
static int
run(struct fixture *f, int64_t now, enum mbox_op op, const char *claim,
    const char *reqid, const char *body, struct mbox_res *res)
{
	struct mbox_ctx	ctx = { f->store, &f->policy, now };
	struct mbox_req	req;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.id = op == MBOX_CREATE ? NULL : f->id;
	req.claim = claim;
	req.request_id = reqid;
	req.body = body != NULL ? body : "";
	req.body_len = strlen(req.body);
	mbox_handle(&ctx, &req, res);
	return res->status;
}

static int
op(struct fixture *f, enum mbox_op o, const char *claim, const char *body)
{
	struct mbox_res	res;
	char		reqid[32];
	int		status;

	snprintf(reqid, sizeof(reqid), "req-%d", ++f->seq);
	status = run(f, T0, o, claim, o == MBOX_READ ? NULL : reqid, body,
	    &res);
	mbox_res_clear(&res);
	return status;
}

/* Create a mailbox as A; its id goes to f->id. */
static void
create(struct fixture *f, const char *rights)
{
	struct mbox_res	 res;
	char		*body = create_body(rights, T0 + 600);
	char		 reqid[32];
	json_t		*o;

	snprintf(reqid, sizeof(reqid), "create-%d", ++f->seq);
	CU_ASSERT_EQUAL_FATAL(run(f, T0, MBOX_CREATE, A, reqid, body, &res),
	    200);
	o = json_loads(res.body, 0, NULL);
	const char *url = json_string_value(json_object_get(o, "urlLink"));
	CU_ASSERT_FATAL(url != NULL && strlen(url) > 36);
	snprintf(f->id, sizeof(f->id), "%s", url + strlen(url) - 36);
	CU_ASSERT(strncmp(url, "https://relay.test/v1/m/", 24) == 0);
	json_decref(o);
	mbox_res_clear(&res);
	free(body);
}

static char *
update_body(void)
{
	struct payload_ref r = { PAYLOAD_AES_128_GCM,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 40, 0 };

	return msg_build_update_request(&r, NULL);
}

static void
test_parties(void)
{
	struct fixture	 f;
	char		*upd = update_body();

	fixture_open(&f);
	create(&f, NULL);				/* default RD */
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, A, NULL), 200);	/* no binding */
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, B, NULL), 200);	/* binds B */
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, C, NULL), 401);
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, B, NULL), 200);
	CU_ASSERT_EQUAL(op(&f, MBOX_UPDATE, A, upd), 401);	/* no W */
	CU_ASSERT_EQUAL(op(&f, MBOX_UPDATE, B, upd), 401);
	CU_ASSERT_EQUAL(op(&f, MBOX_RELINQUISH, A, NULL), 401);
	CU_ASSERT_EQUAL(op(&f, MBOX_RELINQUISH, C, NULL), 401);
	CU_ASSERT_EQUAL(op(&f, MBOX_DELETE, C, NULL), 401);
	CU_ASSERT_EQUAL(op(&f, MBOX_DELETE, B, NULL), 200);	/* D */
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, B, NULL), 404);
	store_close(f.store);
	free(upd);
}

static void
test_rights(void)
{
	struct fixture	 f;
	char		*upd = update_body();

	fixture_open(&f);
	create(&f, "RW");
	CU_ASSERT_EQUAL(op(&f, MBOX_UPDATE, A, upd), 200);	/* before bind */
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, B, NULL), 200);
	CU_ASSERT_EQUAL(op(&f, MBOX_UPDATE, B, upd), 200);
	CU_ASSERT_EQUAL(op(&f, MBOX_DELETE, B, NULL), 401);	/* no D */
	CU_ASSERT_EQUAL(op(&f, MBOX_DELETE, A, NULL), 200);	/* cancel */
	store_close(f.store);
	free(upd);
}

/* The first recipient's content never reaches the next one. */
static void
test_relinquish(void)
{
	struct fixture	 f;
	struct mbox_res	 res;
	char		*upd = update_body();

	fixture_open(&f);
	create(&f, "RWD");
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, B, NULL), 200);
	CU_ASSERT_EQUAL(op(&f, MBOX_UPDATE, B, upd), 200);
	CU_ASSERT_EQUAL(op(&f, MBOX_RELINQUISH, B, NULL), 200);
	CU_ASSERT_EQUAL(op(&f, MBOX_RELINQUISH, B, NULL), 401);
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_READ, C, NULL, NULL, &res), 200);
	CU_ASSERT(strstr(res.body, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	    == NULL);
	mbox_res_clear(&res);
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, B, NULL), 401);
	store_close(f.store);
	free(upd);
}

static void
test_replay(void)
{
	struct fixture	 f;
	struct mbox_res	 first, again;
	char		*body = create_body(NULL, T0 + 600);

	fixture_open(&f);
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_CREATE, A, "r1", body, &first), 200);
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_CREATE, A, "r1", "junk", &again),
	    201);
	CU_ASSERT_STRING_EQUAL(first.body, again.body);
	mbox_res_clear(&again);
	/* Another claim with the same id is a new request. */
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_CREATE, B, "r1", body, &again), 200);
	CU_ASSERT_STRING_NOT_EQUAL(first.body, again.body);
	snprintf(f.id, sizeof(f.id), "%s", strstr(again.body, "/v1/m/") + 6);
	f.id[36] = '\0';
	mbox_res_clear(&again);
	/* The same claim and id on another operation: 409. */
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_DELETE, B, "r1", NULL, &again), 409);
	mbox_res_clear(&again);
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_DELETE, B, "r2", NULL, &again), 200);
	mbox_res_clear(&again);
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_DELETE, B, "r2", NULL, &again), 201);
	mbox_res_clear(&again);
	mbox_res_clear(&first);
	store_close(f.store);
	free(body);
}

static void
test_expiry_and_limits(void)
{
	struct fixture	 f;
	struct mbox_res	 res;
	char		*past = create_body("RD", T0), *far;
	long		 removed = 0;

	fixture_open(&f);
	create(&f, NULL);
	/* Default lifetime: 3600 s; gone from its expiration second. */
	CU_ASSERT_EQUAL(run(&f, T0 + 3599, MBOX_DISPLAY, NULL, NULL, NULL,
	    &res), 200);
	CU_ASSERT(strstr(res.body, "og:title") != NULL);
	mbox_res_clear(&res);
	CU_ASSERT_EQUAL(run(&f, T0 + 3600, MBOX_DISPLAY, NULL, NULL, NULL,
	    &res), 404);
	mbox_res_clear(&res);
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_CREATE, A, "p", past, &res), 400);
	CU_ASSERT_STRING_EQUAL(res.field, "mailboxConfiguration.expiration");
	mbox_res_clear(&res);
	far = create_body("RD", T0 + 8 * 86400);
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_CREATE, A, "f", far, &res), 400);
	mbox_res_clear(&res);
	for (int i = 1; i < 5; i++)
		create(&f, NULL);
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_CREATE, C, "x", far, &res), 400);
	mbox_res_clear(&res);
	free(far);
	far = create_body(NULL, 0);
	CU_ASSERT_EQUAL(run(&f, T0, MBOX_CREATE, C, "x", far, &res), 503);
	CU_ASSERT_EQUAL(res.err, TGERR_CAPACITY);
	mbox_res_clear(&res);
	CU_ASSERT_EQUAL_FATAL(store_begin(f.store, STORE_LOCK_WAIT), STORE_OK);
	CU_ASSERT_EQUAL(store_sweep(f.store, T0 + 3601, 3, &removed), STORE_OK);
	CU_ASSERT_EQUAL(removed, 3);	/* at most the limit per call */
	CU_ASSERT_EQUAL(store_sweep(f.store, T0 + 3601, 3, &removed), STORE_OK);
	CU_ASSERT_EQUAL(removed, 2);
	CU_ASSERT_EQUAL(store_commit(f.store), STORE_OK);
	CU_ASSERT_EQUAL(store_count_live(f.store, T0 + 3601, &removed),
	    STORE_OK);
	CU_ASSERT_EQUAL(removed, 0);
	store_close(f.store);
	free(past);
	free(far);
}

/* Requests as route prepares them (mbox_parse runs in run_batch). */
static struct mbox_req
request(enum mbox_op op, const char *id, const char *claim,
    const char *reqid, const char *body)
{
	struct mbox_req req;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.id = id;
	req.claim = claim;
	req.request_id = reqid;
	req.body = body != NULL ? body : "";
	req.body_len = strlen(req.body);
	return req;
}

/*
 * Run n requests in one transaction as storeq's group commit does: told
 * to the store first (store_want, store_fetch) when announce, else each
 * read asked for when it is made.  Statuses to res[] (cleared by the
 * caller).
 */
static void
run_batch(struct fixture *f, bool announce, struct mbox_req *reqs, int n,
    struct mbox_res *res)
{
	struct mbox_ctx ctx = { f->store, &f->policy, T0 };

	for (int i = 0; i < n; i++)
		mbox_parse(&reqs[i]);
	CU_ASSERT_FATAL(store_begin(f->store, STORE_LOCK_WAIT) == STORE_OK);
	if (announce) {
		for (int i = 0; i < n; i++)
			mbox_want(f->store, &reqs[i]);
		CU_ASSERT_FATAL(store_fetch(f->store) == STORE_OK);
	}
	for (int i = 0; i < n; i++)
		mbox_apply(&ctx, &reqs[i], &res[i]);
	CU_ASSERT_FATAL(store_commit(f->store) == STORE_OK);
	for (int i = 0; i < n; i++)
		mbox_req_clear(&reqs[i]);
}

static void
clear_results(struct mbox_res *res, int n)
{
	for (int i = 0; i < n; i++)
		mbox_res_clear(&res[i]);
}

/*
 * A transaction's requests see what the earlier ones wrote: of two
 * binding reads only the first binds; a request id used twice is a
 * replay; capacity counts the transaction's own creates.
 */
static void
test_batch(void)
{
	struct fixture	 f;
	struct mbox_res	 res[5];
	char		*body = create_body(NULL, T0 + 600);
	char		 id[UUID_STR_SIZE];

	for (int announce = 0; announce < 2; announce++) {
		fixture_open(&f);
		create(&f, "RWD");
		memcpy(id, f.id, sizeof(id));
		struct mbox_req two_reads[] = {
			request(MBOX_READ, id, B, NULL, NULL),
			request(MBOX_READ, id, C, NULL, NULL),
			request(MBOX_DELETE, id, C, "d1", NULL),
		};
		run_batch(&f, announce, two_reads, 3, res);
		CU_ASSERT_EQUAL(res[0].status, 200);
		CU_ASSERT_EQUAL(res[1].status, 401);
		CU_ASSERT_EQUAL(res[2].status, 401);
		clear_results(res, 3);
		CU_ASSERT_EQUAL(op(&f, MBOX_READ, B, NULL), 200);
		CU_ASSERT_EQUAL(op(&f, MBOX_READ, C, NULL), 401);

		struct mbox_req replay[] = {
			request(MBOX_CREATE, NULL, A, "same", body),
			request(MBOX_CREATE, NULL, A, "same", body),
			request(MBOX_DELETE, id, A, "gone", NULL),
			request(MBOX_READ, id, B, NULL, NULL),
		};
		run_batch(&f, announce, replay, 4, res);
		CU_ASSERT_EQUAL(res[0].status, 200);
		CU_ASSERT_EQUAL(res[1].status, 201);
		CU_ASSERT(res[0].body != NULL && res[1].body != NULL &&
		    strcmp(res[0].body, res[1].body) == 0);
		CU_ASSERT_EQUAL(res[2].status, 200);
		CU_ASSERT_EQUAL(res[3].status, 404);	/* deleted just before */
		clear_results(res, 4);
		CU_ASSERT_EQUAL(op(&f, MBOX_READ, B, NULL), 404);

		/* one live of 5: four more fit, the fifth does not */
		struct mbox_req fill[] = {
			request(MBOX_CREATE, NULL, A, "c1", body),
			request(MBOX_CREATE, NULL, A, "c2", body),
			request(MBOX_CREATE, NULL, A, "c3", body),
			request(MBOX_CREATE, NULL, A, "c4", body),
			request(MBOX_CREATE, NULL, A, "c5", body),
		};
		run_batch(&f, announce, fill, 5, res);
		for (int i = 0; i < 4; i++)
			CU_ASSERT_EQUAL(res[i].status, 200);
		CU_ASSERT_EQUAL(res[4].status, 503);
		CU_ASSERT_EQUAL(res[4].err, TGERR_CAPACITY);
		clear_results(res, 5);
		store_close(f.store);
	}
	free(body);
}

/* store_release(s, 0) drops the request's writes, and only those. */
static void
test_undo(void)
{
	struct fixture		f;
	struct store_mailbox	m;
	long			live = 0;

	fixture_open(&f);
	create(&f, "RWD");
	CU_ASSERT_FATAL(store_begin(f.store, STORE_LOCK_WAIT) == STORE_OK);
	CU_ASSERT_FATAL(store_get(f.store, f.id, &m) == STORE_OK);
	CU_ASSERT_EQUAL(store_mark(f.store), STORE_OK);
	snprintf(m.recipient, sizeof(m.recipient), "%s", C);
	CU_ASSERT_EQUAL(store_put(f.store, &m), STORE_OK);
	store_release(f.store, 0);			/* undone */
	CU_ASSERT_EQUAL(store_mark(f.store), STORE_OK);
	snprintf(m.recipient, sizeof(m.recipient), "%s", B);
	CU_ASSERT_EQUAL(store_put(f.store, &m), STORE_OK);
	store_release(f.store, 1);			/* kept */
	store_mailbox_clear(&m);
	CU_ASSERT_EQUAL(store_count_live(f.store, T0, &live), STORE_OK);
	CU_ASSERT_EQUAL(live, 1);
	CU_ASSERT_EQUAL(store_mark(f.store), STORE_OK);
	CU_ASSERT_EQUAL(store_del(f.store, f.id), STORE_OK);
	CU_ASSERT_EQUAL(store_get(f.store, f.id, &m), STORE_NOTFOUND);
	store_release(f.store, 0);			/* undone */
	CU_ASSERT_EQUAL(store_count_live(f.store, T0, &live), STORE_OK);
	CU_ASSERT_EQUAL(live, 1);
	CU_ASSERT_FATAL(store_get(f.store, f.id, &m) == STORE_OK);
	CU_ASSERT_STRING_EQUAL(m.recipient, B);
	store_mailbox_clear(&m);
	CU_ASSERT_EQUAL(store_commit(f.store), STORE_OK);
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, B, NULL), 200);
	CU_ASSERT_EQUAL(op(&f, MBOX_READ, C, NULL), 401);
	store_close(f.store);
}

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	(*(int *)arg)++;
}

/* A held read is woken by its mailbox's change, also by one woken between
 * the read of the mailbox and the hold (the other thread or node was
 * faster). */
static void
test_longpoll_epoch(void)
{
	struct event_base	*base = event_base_new();
	struct longpoll		*lp = longpoll_new(10, 10);
	struct longpoll_waiter	 w;
	int			 fired = 0;

	CU_ASSERT_FATAL(base != NULL && lp != NULL);
	memset(&w, 0, sizeof(w));
	CU_ASSERT_FATAL((w.ev = event_new(base, -1, 0, count_cb, &fired)) !=
	    NULL);
	snprintf(w.id, sizeof(w.id), "%s", A);
	snprintf(w.addr, sizeof(w.addr), "192.0.2.1");
	w.since = longpoll_epoch(lp, A);
	CU_ASSERT_FATAL(longpoll_add(lp, &w));
	(void)event_base_loop(base, EVLOOP_NONBLOCK);
	CU_ASSERT_EQUAL(fired, 0);			/* held */
	longpoll_wake(lp, A);
	(void)event_base_loop(base, EVLOOP_NONBLOCK);
	CU_ASSERT_EQUAL(fired, 1);			/* woken */
	longpoll_remove(lp, &w);
	w.since = longpoll_epoch(lp, A);
	longpoll_wake(lp, A);				/* before the hold */
	CU_ASSERT_FATAL(longpoll_add(lp, &w));
	(void)event_base_loop(base, EVLOOP_NONBLOCK);
	CU_ASSERT_EQUAL(fired, 2);			/* woken at once */
	longpoll_remove(lp, &w);
	CU_ASSERT_EQUAL(longpoll_count(lp), 0);
	event_free(w.ev);
	longpoll_free(lp);
	event_base_free(base);
}

/* route: the HTTP-level checks before any operation. */
static int
route_status(struct fixture *f, const char *method, const char *path,
    const char *claim, const char *ct, const char *body)
{
	struct route_ctx	ctx = { f->store, &f->policy, "http-00", 60 };
	struct route_req	req;
	struct route_resp	resp;
	int			status;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.claim = claim;
	req.claim_header = "Mailbox-Device-Claim";
	req.request_id = "rid";
	req.content_type = ct;
	req.body = body != NULL ? body : "";
	req.body_len = strlen(req.body);
	req.now = T0;
	route_handle(&ctx, &req, &resp);
	status = resp.status;
	if (status >= 400) {
		json_t *o = json_loadb(resp.body, resp.body_len, 0, NULL);
		CU_ASSERT(json_is_string(json_object_get(o, "error")));
		CU_ASSERT(json_is_string(json_object_get(o, "message")));
		json_decref(o);
	}
	route_resp_clear(&resp);
	return status;
}

static void
test_route(void)
{
	struct fixture	 f;
	char		*body = create_body(NULL, 0);
	char		 path[64];

	fixture_open(&f);
	CU_ASSERT_EQUAL(route_status(&f, "GET", "/nope", NULL, NULL, NULL),
	    404);
	CU_ASSERT_EQUAL(route_status(&f, "GET", "/v2/m", NULL, NULL, NULL),
	    404);
	CU_ASSERT_EQUAL(route_status(&f, "GET", "/v1/m", NULL, NULL, NULL),
	    405);
	CU_ASSERT_EQUAL(route_status(&f, "GET", "/v1/m/not-a-uuid", NULL,
	    NULL, NULL), 404);
	CU_ASSERT_EQUAL(route_status(&f, "POST", "/v1/m", NULL,
	    "application/json", body), 400);
	CU_ASSERT_EQUAL(route_status(&f, "POST", "/v1/m", "nope",
	    "application/json", body), 400);
	CU_ASSERT_EQUAL(route_status(&f, "POST", "/v1/m", A, "text/plain",
	    body), 415);
	CU_ASSERT_EQUAL(route_status(&f, "POST", "/v1/m", A,
	    "application/json; charset=utf-8", body), 200);
	CU_ASSERT_EQUAL(route_status(&f, "GET", "/.well-known/tigress", NULL,
	    NULL, NULL), 200);
	CU_ASSERT_EQUAL(route_status(&f, "DELETE", "/.well-known/tigress",
	    NULL, NULL, NULL), 405);
	snprintf(path, sizeof(path), "/v1/m/%s", A);
	CU_ASSERT_EQUAL(route_status(&f, "TRACE", path, A, NULL, NULL), 405);
	CU_ASSERT_EQUAL(route_status(&f, "GET", path, NULL, NULL, NULL), 404);
	store_close(f.store);
	free(body);
}

/* Prefer's wait (RFC 7240) and which request ids are echoed. */
static void
test_route_headers(void)
{
	CU_ASSERT_EQUAL(route_prefer_wait("wait=2"), 2);
	CU_ASSERT_EQUAL(route_prefer_wait("wait=\"2\""), 2);
	CU_ASSERT_EQUAL(route_prefer_wait("a, wait = \"1\\2\"; p=1"), 12);
	CU_ASSERT_EQUAL(route_prefer_wait("wait=\"2"), 0);
	CU_ASSERT_EQUAL(route_prefer_wait("wait=\"2 \""), 0);
	CU_ASSERT_EQUAL(route_prefer_wait("wait=\"\""), 0);
	CU_ASSERT_EQUAL(route_prefer_wait("wait=1234567890"), 0);
	CU_ASSERT_EQUAL(route_prefer_wait("x=\"wait=2\", nowait=2"), 0);
	CU_ASSERT(route_echo_ok("r-1"));
	CU_ASSERT(route_echo_ok("a b"));
	CU_ASSERT(!route_echo_ok(""));
	CU_ASSERT(!route_echo_ok("caf\xe9"));
	CU_ASSERT(!route_echo_ok("a\x7f"));
	CU_ASSERT(!route_echo_ok("a\tb"));
}

static void
test_accesslog(void)
{
	char ip[64], line[ACCESSLOG_LINE_MAX], path[128];
	char hash[ACCESSLOG_HASH_LEN + 2];

	accesslog_truncate_ip("192.0.2.77", ip, sizeof(ip));
	CU_ASSERT_STRING_EQUAL(ip, "192.0.2.0");
	accesslog_truncate_ip("2001:db8:1:2:3:4:5:6", ip, sizeof(ip));
	CU_ASSERT_STRING_EQUAL(ip, "2001:db8:1::");
	accesslog_truncate_ip("junk", ip, sizeof(ip));
	CU_ASSERT_STRING_EQUAL(ip, "-");
	CU_ASSERT(accesslog_line(line, sizeof(line), 0, "-", "GET", "/", 200,
	    5, NULL) > 0);
	CU_ASSERT_STRING_EQUAL(line, "1970-01-01T00:00:00Z - GET / 200 5\n");
	/* Every byte outside printable ASCII escaped, and the backslash. */
	CU_ASSERT(accesslog_line(line, sizeof(line), 0, "-", "G T",
	    "/\x1b[31m\\\xff", 400, 0, NULL) > 0);
	CU_ASSERT_STRING_EQUAL(line, "1970-01-01T00:00:00Z - G\\x20T "
	    "/\\x1b[31m\\x5c\\xff 400 0\n");
	/* Mailbox ids as keyed hashes, also inside other paths; the hash is
	 * what `printf %s ID | openssl dgst -sha256 -hmac key` begins with. */
	CU_ASSERT_EQUAL(accesslog_hash_id("key", A, hash), 0);
	CU_ASSERT_STRING_EQUAL(hash, "#f92033b44968450b");
	snprintf(path, sizeof(path), "/v1/m/%s", A);
	CU_ASSERT(accesslog_line(line, sizeof(line), 0, "-", "POST", path,
	    200, 0, "key") > 0);
	CU_ASSERT(strstr(line, A) == NULL);
	CU_ASSERT(strstr(line, hash) != NULL);
	CU_ASSERT_EQUAL(strlen(hash), 1 + ACCESSLOG_HASH_LEN);
	snprintf(path, sizeof(path), "/v9/x/11111111-1111-4111-8111-"
	    "111111111111/y");
	CU_ASSERT(accesslog_line(line, sizeof(line), 0, "-", "GET", path,
	    404, 0, "key") > 0);
	CU_ASSERT(strstr(line, hash) != NULL);
}

/* The sum of t.v as another connection (the default VFS) sees it. */
static long long
walbuf_sum(const char *path)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	long long	 sum = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT total(length(v))"
	    " FROM t", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		sum = (long long)sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return sum;
}

/*
 * walbuf: every commit, small or bigger than its buffer and than one
 * write of the unix VFS, is in the log for another connection the
 * moment it returns, and in the database after a checkpoint and reopen.
 */
static void
test_walbuf(void)
{
	char		 dir[] = "/tmp/test_walbuf.XXXXXX", path[64], wal[80];
	sqlite3		*db = NULL;
	long long	 want = 0;
	const int	 sizes[] = { 10, 3000, 200000, 900000 };

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/w.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	CU_ASSERT_FATAL(walbuf_register() == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, WALBUF_VFS) == SQLITE_OK);
	CU_ASSERT(sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
	    " PRAGMA wal_autocheckpoint=0; CREATE TABLE t (v BLOB);", NULL,
	    NULL, NULL) == SQLITE_OK);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char sql[96];

		snprintf(sql, sizeof(sql), "INSERT INTO t VALUES"
		    " (randomblob(%d)), (zeroblob(%d))", sizes[i], sizes[i]);
		CU_ASSERT(sqlite3_exec(db, sql, NULL, NULL, NULL) ==
		    SQLITE_OK);
		want += 2LL * sizes[i];
		CU_ASSERT_EQUAL(walbuf_sum(path), want);
	}
	CU_ASSERT(sqlite3_wal_checkpoint_v2(db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK);
	CU_ASSERT(sqlite3_exec(db, "INSERT INTO t VALUES (zeroblob(5))",
	    NULL, NULL, NULL) == SQLITE_OK);	/* the log starts over */
	want += 5;
	CU_ASSERT_EQUAL(walbuf_sum(path), want);
	CU_ASSERT(sqlite3_close(db) == SQLITE_OK);
	CU_ASSERT_EQUAL(walbuf_sum(path), want);
	(void)unlink(wal);
	(void)unlink(path);
	(void)rmdir(dir);
}

int
main(void)
{
	CU_pSuite s;
	unsigned failed;

	T0 = (int64_t)time(NULL) + T0_AHEAD;
	if (getenv("TIGRESS_TEST_STORE") != NULL)
		store_spec = getenv("TIGRESS_TEST_STORE");
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("relay", NULL, NULL);
	CU_add_test(s, "parties and binding", test_parties);
	CU_add_test(s, "access rights", test_rights);
	CU_add_test(s, "relinquish restores the initiator's payload",
	    test_relinquish);
	CU_add_test(s, "replays", test_replay);
	CU_add_test(s, "expiry, lifetime and capacity", test_expiry_and_limits);
	CU_add_test(s, "a transaction of several requests", test_batch);
	CU_add_test(s, "undoing a request of a transaction", test_undo);
	CU_add_test(s, "a change woken before the hold wakes it",
	    test_longpoll_epoch);
	CU_add_test(s, "route checks", test_route);
	CU_add_test(s, "Prefer and the request id's echo", test_route_headers);
	CU_add_test(s, "access log", test_accesslog);
	CU_add_test(s, "walbuf: one write per commit, nothing lost",
	    test_walbuf);
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
