/*
 * CUnit tests of session.c against the scripted transport: what share
 * sends (and that the Secret is not in it), accept and its refusals
 * (tampered data, wrong Secret, not Provisioning Information), telling
 * new content from this device's own and from replays, long-poll and
 * polling waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "b64.h"
#include "payload.h"
#include "session.h"
#include "shareurl.h"
#include "test_fake.h"

#define BASE "https://relay.example:8443"
#define API BASE "/v1/m/2bba630e-519b-41ec-bf63-0242ac130002"
#define LINK "{\"urlLink\":\"" API "\",\"isPushNotificationSupported\":false}"
#define PI "{\"format\":\"digitalwallet.carkey.ccc\",\"content\":{\"k\":1}}"
#define PI2 "{\"format\":\"reply\",\"content\":{}}"
#define WELL_KNOWN "{\"extensions\":[\"well-known\",\"long-poll\"]," \
	"\"longPoll\":{\"maxWait\":60}}"

static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
    14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    32 };

/* A read_response carrying pt sealed under k (free() it). */
static char *
read_response(const uint8_t *k, size_t klen, const char *pt)
{
	struct msg_display	 d = { "Car", "", "" };
	struct payload_ref	 ref;
	const char		*field;
	json_t			*obj = NULL;
	char			*body;

	CU_ASSERT_FATAL(payload_seal(klen == 32 ? PAYLOAD_AES_256_GCM :
	    PAYLOAD_AES_128_GCM, k, klen, (const uint8_t *)pt, strlen(pt),
	    NULL, &obj) == TGERR_OK);
	CU_ASSERT_FATAL(payload_check(obj, &ref, &field) == TGERR_OK);
	body = msg_build_read_response(&d, &ref, 1893456000);
	json_decref(obj);
	return body;
}

/* The read_response that returns what an update request carried. */
static char *
echo_update(const char *update_body)
{
	struct msg		 m;
	struct msg_display	 d = { "Car", "", "" };
	char			*body;

	CU_ASSERT_FATAL(msg_parse(MSG_UPDATE_REQUEST, update_body,
	    strlen(update_body), &m) == TGERR_OK);
	body = msg_build_read_response(&d, &m.payload, 1893456000);
	msg_free(&m);
	return body;
}

static void
share_url_of(const uint8_t *k, size_t klen, char *out, size_t size)
{
	char b64[64];

	b64_encode(k, klen, b64);
	snprintf(out, size, "%s?v=c#%s", API, b64);
}

/* Share options for PI under a 32-byte Secret, stateless, no lifetime. */
static void
share_opts(struct session_share_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->relay = BASE;
	o->pi = PI;
	o->pi_len = strlen(PI);
	o->display.title = "Car";
	o->display.description = "";
	o->display.image_url = "";
	o->vertical = 'c';
	o->now = 1700000000;
	o->key_len = 32;
}

static void
test_share_sends_no_secret(void)
{
	struct session_share_opts	 o;
	struct fake			 f;
	struct client_ctx		 ctx;
	struct client_error		 e;
	struct state			 st;
	struct shareurl			 u;
	struct msg			 m;
	char				 b64[64], url[TG_URL_MAX + 1], hdr[64];
	uint8_t				*pt = NULL;
	size_t				 n = 0, len;
	const char			*field;

	share_opts(&o);
	o.rights = MSG_RIGHT_READ | MSG_RIGHT_WRITE | MSG_RIGHT_DELETE;
	o.lifetime = 600;
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, LINK, NULL);
	CU_ASSERT_EQUAL_FATAL(session_share(&ctx, &o, &st, &e), CLIENT_OK);
	CU_ASSERT_EQUAL(st.role, STATE_INITIATOR);
	CU_ASSERT_STRING_EQUAL(st.mailbox_url, API);
	CU_ASSERT_EQUAL(st.expiration, 1700000600);
	CU_ASSERT_STRING_EQUAL(f.seen[0].url, BASE "/v1/m");
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[0], "Mailbox-Device-Claim",
	    hdr, sizeof(hdr)), st.claim);
	/* the body is a valid create_request that opens with the Secret */
	CU_ASSERT_EQUAL_FATAL(msg_parse(MSG_CREATE_REQUEST, f.seen[0].body,
	    strlen(f.seen[0].body), &m), TGERR_OK);
	CU_ASSERT_EQUAL(m.config.rights, o.rights);
	CU_ASSERT_EQUAL(m.config.expiration, 1700000600);
	CU_ASSERT_EQUAL(payload_open(json_object_get(m.root, "payload"),
	    st.secret, st.secret_len, &pt, &n, &field), TGERR_OK);
	CU_ASSERT(n == strlen(PI) && memcmp(pt, PI, n) == 0);
	free(pt);
	msg_free(&m);
	b64_encode(st.secret, st.secret_len, b64);
	CU_ASSERT(strstr(f.seen[0].body, b64) == NULL);
	CU_ASSERT(strstr(f.seen[0].headers, b64) == NULL);
	/* the share URL carries it, in the fragment only */
	CU_ASSERT_EQUAL(session_share_url(&st, true, url, sizeof(url), &len,
	    &e), CLIENT_OK);
	CU_ASSERT_EQUAL_FATAL(shareurl_parse(url, len, &u), TGERR_OK);
	CU_ASSERT(u.secret_len == 32 && memcmp(u.secret, st.secret, 32) == 0);
	CU_ASSERT_EQUAL(u.vertical, 'c');
	shareurl_wipe(&u);
	CU_ASSERT_EQUAL(session_share_url(&st, false, url, sizeof(url), &len,
	    &e), CLIENT_OK);
	CU_ASSERT_STRING_EQUAL(url, API "?v=c");
	fake_free(&f);
}

/*
 * Without a lifetime no mailboxConfiguration is sent and the relay's
 * default applies: the state records it from /.well-known/tigress,
 * counted from the end of the create (which the fake clock makes last
 * 1.5 s); a relay that does not advertise it leaves it unknown.
 */
static void
test_share_learns_default_lifetime(void)
{
	struct session_share_opts	 o;
	struct fake			 f;
	struct client_ctx		 ctx;
	struct client_error		 e;
	struct state			 st;

	share_opts(&o);
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, "{\"defaultLifetime\":3600}", NULL);
	fake_push(&f, HTTP_OK, 200, LINK, NULL);
	f.replies[1].held_ms = 1500;
	CU_ASSERT_EQUAL_FATAL(session_share(&ctx, &o, &st, &e), CLIENT_OK);
	CU_ASSERT_EQUAL_FATAL(f.nseen, 2);
	/* asked before the create: after it, only the state save remains */
	CU_ASSERT_STRING_EQUAL(f.seen[0].method, "GET");
	CU_ASSERT_STRING_EQUAL(f.seen[0].url, BASE "/.well-known/tigress");
	CU_ASSERT_STRING_EQUAL(f.seen[1].url, BASE "/v1/m");
	CU_ASSERT(strstr(f.seen[1].body, "mailboxConfiguration") == NULL);
	CU_ASSERT_EQUAL(st.expiration, 1700000000 + 2 + 3600);
	fake_free(&f);
	/* not advertised, or no document: unknown, and still a share */
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, WELL_KNOWN, NULL);
	fake_push(&f, HTTP_OK, 200, LINK, NULL);
	CU_ASSERT_EQUAL(session_share(&ctx, &o, &st, &e), CLIENT_OK);
	CU_ASSERT_EQUAL(st.expiration, 0);
	fake_free(&f);
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 404, NULL, NULL);
	fake_push(&f, HTTP_OK, 200, LINK, NULL);
	CU_ASSERT_EQUAL(session_share(&ctx, &o, &st, &e), CLIENT_OK);
	CU_ASSERT_EQUAL(st.expiration, 0);
	CU_ASSERT_STRING_EQUAL(st.mailbox_url, API);
	fake_free(&f);
	/* a lifetime asked for: as asked, and no more requests */
	o.lifetime = 600;
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, LINK, NULL);
	CU_ASSERT_EQUAL(session_share(&ctx, &o, &st, &e), CLIENT_OK);
	CU_ASSERT_EQUAL(st.expiration, 1700000600);
	CU_ASSERT_EQUAL(f.nseen, 1);
	fake_free(&f);
	state_wipe(&st);
}

static void
test_share_refuses_bad_input(void)
{
	struct session_share_opts	 o;
	struct fake			 f;
	struct client_ctx		 ctx;
	struct client_error		 e;
	struct state			 st;
	char				 title[300];

	share_opts(&o);
	o.pi = "{\"format\":\"\",\"content\":{}}";
	o.pi_len = strlen(o.pi);
	o.vertical = 'a';
	fake_init(&f);
	fake_ctx(&f, &ctx);
	CU_ASSERT_EQUAL(session_share(&ctx, &o, &st, &e), CLIENT_ERR_INPUT);
	o.pi = PI;
	o.pi_len = strlen(PI);
	memset(title, 'x', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	o.display.title = title;
	CU_ASSERT_EQUAL(session_share(&ctx, &o, &st, &e), CLIENT_ERR_USAGE);
	CU_ASSERT(strstr(e.msg, "--title") != NULL);
	CU_ASSERT_EQUAL(f.nseen, 0);	/* nothing was sent */
	fake_free(&f);
}

static void
test_accept(void)
{
	struct fake		 f;
	struct client_ctx	 ctx;
	struct client_error	 e;
	struct state		 st, other;
	struct session_msg	 m;
	char			 url[256], hdr[64], *body = read_response(key,
	    32, PI);

	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, body, "\"1\"");
	share_url_of(key, 32, url, sizeof(url));
	CU_ASSERT_EQUAL_FATAL(session_prepare_accept(url, NULL, &st, &e),
	    CLIENT_OK);
	CU_ASSERT_EQUAL_FATAL(session_prepare_accept(url, NULL, &other, &e),
	    CLIENT_OK);
	CU_ASSERT_STRING_NOT_EQUAL(st.claim, other.claim);	/* fresh */
	CU_ASSERT_EQUAL(st.role, STATE_RECIPIENT);
	CU_ASSERT_EQUAL(st.vertical, 'c');
	CU_ASSERT_EQUAL_FATAL(session_accept(&ctx, &st, NULL, &m, &e),
	    CLIENT_OK);
	CU_ASSERT_STRING_EQUAL(m.pi, PI);
	CU_ASSERT(m.fresh);
	CU_ASSERT_EQUAL(m.expiration, 1893456000);
	CU_ASSERT_STRING_EQUAL(st.etag, "\"1\"");
	CU_ASSERT_STRING_EQUAL(f.seen[0].url, API);	/* no ?v=, no # */
	CU_ASSERT_STRING_EQUAL(f.seen[0].method, "POST");
	CU_ASSERT_STRING_EQUAL(f.seen[0].body, "");
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[0], "Mailbox-Device-Claim",
	    hdr, sizeof(hdr)), st.claim);
	session_msg_clear(&m);
	free(body);
	fake_free(&f);
}

static void
test_accept_secret_separately(void)
{
	struct client_error	 e;
	struct state		 st;
	char			 b64[64];

	b64_encode(key, 16, b64);
	CU_ASSERT_EQUAL(session_prepare_accept(API, b64, &st, &e), CLIENT_OK);
	CU_ASSERT(st.secret_len == 16 && memcmp(st.secret, key, 16) == 0);
	CU_ASSERT_EQUAL(session_prepare_accept(API, NULL, &st, &e),
	    CLIENT_ERR_INPUT);
	CU_ASSERT_EQUAL(session_prepare_accept(API, "c2hvcnQ=", &st, &e),
	    CLIENT_ERR_INPUT);
	CU_ASSERT(strstr(e.msg, "c2hvcnQ") == NULL);
}

/* Accept against body, expecting err; the message never holds the key. */
static void
accept_fails(const char *body, const uint8_t *k, enum client_err want)
{
	struct fake		 f;
	struct client_ctx	 ctx;
	struct client_error	 e;
	struct state		 st;
	struct session_msg	 m;
	char			 url[256], b64[64];

	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, body, "\"1\"");
	share_url_of(k, 32, url, sizeof(url));
	CU_ASSERT_EQUAL_FATAL(session_prepare_accept(url, NULL, &st, &e),
	    CLIENT_OK);
	CU_ASSERT_EQUAL(session_accept(&ctx, &st, NULL, &m, &e), want);
	CU_ASSERT_PTR_NULL(m.pi);
	b64_encode(k, 32, b64);
	CU_ASSERT(strstr(e.msg, b64) == NULL);
	fake_free(&f);
}

static void
test_accept_refusals(void)
{
	uint8_t	 wrong[32];
	char	*body = read_response(key, 32, PI), *p;

	memcpy(wrong, key, 32);
	wrong[0] ^= 1;
	accept_fails(body, wrong, CLIENT_ERR_CRYPTO);
	/* one ciphertext character changed */
	p = strstr(body, "\"data\":\"") + 20;
	*p = *p == 'A' ? 'B' : 'A';
	accept_fails(body, key, CLIENT_ERR_CRYPTO);
	free(body);
	/* Opens, but is not Provisioning Information: a bad share, exit 7. */
	body = read_response(key, 32, "{\"not\":\"provisioning\"}");
	accept_fails(body, key, CLIENT_ERR_CRYPTO);
	free(body);
}

static void
test_relinquish_needs_recipient(void)
{
	struct fake		f;
	struct client_ctx	ctx;
	struct client_error	e;
	struct state		st;

	memset(&st, 0, sizeof(st));
	st.role = STATE_INITIATOR;
	fake_init(&f);
	fake_ctx(&f, &ctx);
	CU_ASSERT_EQUAL(session_relinquish(&ctx, &st, &e), CLIENT_ERR_USAGE);
	CU_ASSERT_EQUAL(f.nseen, 0);
	fake_free(&f);
}

/* A recipient state as accept of body leaves it (ETag "1"). */
static void
accepted(struct state *st, const char *body)
{
	struct fake		 f;
	struct client_ctx	 ctx;
	struct client_error	 e;
	struct session_msg	 m;
	char			 url[256];

	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, body, "\"1\"");
	share_url_of(key, 32, url, sizeof(url));
	CU_ASSERT_EQUAL_FATAL(session_prepare_accept(url, NULL, st, &e),
	    CLIENT_OK);
	CU_ASSERT_EQUAL_FATAL(session_accept(&ctx, st, NULL, &m, &e),
	    CLIENT_OK);
	session_msg_clear(&m);
	fake_free(&f);
}

static void
test_wait_long_poll_skips_own(void)
{
	struct fake		 f;
	struct client_ctx	 ctx;
	struct client_error	 e;
	struct state		 st;
	struct session_msg	 m;
	char			 hdr[64], *own, *theirs = read_response(key, 32,
	    PI2), *first = read_response(key, 32, PI);

	accepted(&st, first);
	free(first);
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, "{\"isPushNotificationSupported\":false}",
	    NULL);
	CU_ASSERT_EQUAL_FATAL(session_send(&ctx, &st, PI2, strlen(PI2), NULL,
	    &e), CLIENT_OK);
	CU_ASSERT_STRING_EQUAL(f.seen[0].method, "PUT");
	own = echo_update(f.seen[0].body);
	fake_push(&f, HTTP_OK, 200, WELL_KNOWN, NULL);
	fake_push(&f, HTTP_OK, 200, own, "\"2\"");	/* our own message */
	fake_push(&f, HTTP_OK, 304, NULL, "\"2\"");
	f.replies[f.nreplies - 1].held_ms = 60000;	/* the relay held it */
	fake_push(&f, HTTP_OK, 200, theirs, "\"3\"");
	CU_ASSERT_EQUAL_FATAL(session_wait(&ctx, &st, 100, &m, &e), CLIENT_OK);
	CU_ASSERT_STRING_EQUAL(m.pi, PI2);
	CU_ASSERT(m.fresh);
	CU_ASSERT_STRING_EQUAL(st.etag, "\"3\"");
	CU_ASSERT_EQUAL(f.nseen, 5);
	CU_ASSERT_STRING_EQUAL(f.seen[1].url,
	    "https://relay.example:8443/.well-known/tigress");
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[2], "If-None-Match", hdr,
	    sizeof(hdr)), "\"1\"");
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[2], "Prefer", hdr,
	    sizeof(hdr)), "wait=60");
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[3], "If-None-Match", hdr,
	    sizeof(hdr)), "\"2\"");
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[4], "If-None-Match", hdr,
	    sizeof(hdr)), "\"2\"");
	CU_ASSERT_EQUAL(f.nsleeps, 0);	/* the relay held the reads */
	session_msg_clear(&m);
	free(own);
	free(theirs);
	fake_free(&f);
}

static void
test_wait_polling_and_timeout(void)
{
	struct fake		 f;
	struct client_ctx	 ctx;
	struct client_error	 e;
	struct state		 st;
	struct session_msg	 m;
	char			 hdr[64], *same = read_response(key, 32, PI);

	accepted(&st, same);
	/* same content twice: backoff; the timeout ends it */
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 404, "{\"error\":\"not_found\",\"message\":\"\"}",
	    NULL);
	fake_push(&f, HTTP_OK, 200, same, NULL);
	fake_push(&f, HTTP_OK, 200, same, NULL);
	CU_ASSERT_EQUAL(session_wait(&ctx, &st, 3, &m, &e),
	    CLIENT_ERR_TIMEOUT);
	CU_ASSERT_EQUAL(f.nseen, 3);
	CU_ASSERT_PTR_NULL(fake_header(&f.seen[1], "Prefer", hdr,
	    sizeof(hdr)));
	CU_ASSERT_EQUAL(f.nsleeps, 2);
	CU_ASSERT_EQUAL(f.slept_ms[0], 1000);
	CU_ASSERT_EQUAL(f.slept_ms[1], 2000);
	CU_ASSERT_PTR_NULL(m.pi);
	/* a deleted mailbox ends the wait at once */
	fake_free(&f);
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, WELL_KNOWN, NULL);
	fake_push(&f, HTTP_OK, 404, "{\"error\":\"not_found\",\"message\":\"\"}",
	    NULL);
	CU_ASSERT_EQUAL(session_wait(&ctx, &st, 3, &m, &e), CLIENT_ERR_GONE);
	free(same);
	fake_free(&f);
}

static void
test_wait_skips_replays(void)
{
	struct fake		 f;
	struct client_ctx	 ctx;
	struct client_error	 e;
	struct state		 st;
	struct session_msg	 m;
	char			*own, *first = read_response(key, 32, PI),
	    *theirs = read_response(key, 32, PI2);

	accepted(&st, first);
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, "{\"isPushNotificationSupported\":false}",
	    NULL);
	CU_ASSERT_EQUAL_FATAL(session_send(&ctx, &st, PI, strlen(PI), NULL,
	    &e), CLIENT_OK);
	own = echo_update(f.seen[0].body);
	/* the relay serves this device's reply, then the first message,
	 * again (errata E-RECEIVE-NEW): neither is new; then a new one */
	fake_push(&f, HTTP_OK, 404, "{\"error\":\"not_found\",\"message\":\"\"}",
	    NULL);
	fake_push(&f, HTTP_OK, 200, own, NULL);
	fake_push(&f, HTTP_OK, 200, first, NULL);
	fake_push(&f, HTTP_OK, 200, theirs, NULL);
	CU_ASSERT_EQUAL_FATAL(session_wait(&ctx, &st, 100, &m, &e), CLIENT_OK);
	CU_ASSERT_STRING_EQUAL(m.pi, PI2);
	CU_ASSERT(m.fresh);
	CU_ASSERT_EQUAL(f.nseen, 5);
	CU_ASSERT_EQUAL(f.nsleeps, 2);
	CU_ASSERT_EQUAL(st.nseen, 3);
	session_msg_clear(&m);
	free(own);
	free(first);
	free(theirs);
	fake_free(&f);
}

void
ct_suite_session(void)
{
	CU_pSuite s = CU_add_suite("session", NULL, NULL);

	CU_add_test(s, "share: body, claim, no Secret sent",
	    test_share_sends_no_secret);
	CU_add_test(s, "share without a lifetime: the relay's default",
	    test_share_learns_default_lifetime);
	CU_add_test(s, "share refuses bad input before sending",
	    test_share_refuses_bad_input);
	CU_add_test(s, "accept: bind, open, state", test_accept);
	CU_add_test(s, "accept with the Secret given apart",
	    test_accept_secret_separately);
	CU_add_test(s, "accept refuses tampered or wrong payloads",
	    test_accept_refusals);
	CU_add_test(s, "relinquish is the recipient's",
	    test_relinquish_needs_recipient);
	CU_add_test(s, "wait: long-poll, skipping our own message",
	    test_wait_long_poll_skips_own);
	CU_add_test(s, "wait: polling backoff, timeout, deletion",
	    test_wait_polling_and_timeout);
	CU_add_test(s, "wait: a payload seen or sent before is not new",
	    test_wait_skips_replays);
}
