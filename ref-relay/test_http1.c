/*
 * CUnit tests of http1 over a libevent bufferevent pair (no sockets):
 * what reaches the owner, what it refuses and why, and that the same
 * bytes parse the same way whatever pieces they arrive in (one byte at a
 * time included), which is where obs-fold and request-id capture could go
 * wrong.  Run under ASan by make asan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "http1.h"

struct harness {
	struct event_base	*base;
	struct bufferevent	*peer;		/* the client's end */
	struct http1_conn	*conn;
	struct http1_limits	 lim;
	int			 requests, faults, closed;
	enum tgerr		 fault;
	char			 rid[64];
	char			 method[16], path[64], host[64];
	char			 body[512];
	size_t			 body_len;
};

static void
on_request(struct http1_conn *c, const struct http1_req *r, void *arg)
{
	struct harness		*h = arg;
	struct http1_resp	 resp = { 200, NULL, 0, "ok", 2, false };
	const char		*host = http1_field(r, "Host");

	h->requests++;
	snprintf(h->method, sizeof(h->method), "%s", r->method);
	snprintf(h->path, sizeof(h->path), "%s", r->path);
	snprintf(h->host, sizeof(h->host), "%s", host != NULL ? host : "");
	h->body_len = r->body_len < sizeof(h->body) ? r->body_len : 0;
	memcpy(h->body, r->body, h->body_len);
	http1_respond(c, &resp);
}

static void
on_fault(struct http1_conn *c, enum tgerr err, const char *rid, void *arg)
{
	struct harness		*h = arg;
	struct http1_resp	 resp = { tgerr_http_status(err), NULL, 0, "{}",
	    2, true };

	h->faults++;
	h->fault = err;
	snprintf(h->rid, sizeof(h->rid), "%s", rid != NULL ? rid : "");
	http1_respond(c, &resp);
}

static void
on_gone(struct http1_conn *c, void *arg)
{
	(void)c, (void)arg;
}

static void
on_closed(struct http1_conn *c, void *arg)
{
	struct harness *h = arg;

	(void)c;
	h->closed++;
	h->conn = NULL;
}

static const struct http1_handler handler = {
	on_request, on_fault, on_gone, on_closed,
};

/* A connection whose head deadline is head_ms. */
static void
harness_start(struct harness *h, int head_ms)
{
	struct bufferevent *pair[2];

	memset(h, 0, sizeof(*h));
	h->lim.head_max = 1024;
	h->lim.body_max = 256;
	h->lim.body_ms = h->lim.idle_ms = 10000;
	h->lim.head_ms = head_ms;
	h->lim.write_ms = 10000;
	CU_ASSERT_FATAL((h->base = event_base_new()) != NULL);
	CU_ASSERT_FATAL(bufferevent_pair_new(h->base, BEV_OPT_CLOSE_ON_FREE,
	    pair) == 0);
	h->peer = pair[1];
	CU_ASSERT_FATAL(bufferevent_enable(h->peer, EV_READ | EV_WRITE) == 0);
	h->conn = http1_conn_new(h->base, pair[0], &h->lim, &handler, h);
	CU_ASSERT_FATAL(h->conn != NULL);
}

static void
harness_open(struct harness *h)
{
	harness_start(h, 10000);
}

static void
spin(struct harness *h)
{
	for (int i = 0; i < 8; i++)
		(void)event_base_loop(h->base, EVLOOP_NONBLOCK);
}

/* Send data in pieces of step bytes (0: at once), running the loop. */
static void
send_in(struct harness *h, const char *data, size_t step)
{
	size_t n = strlen(data);

	for (size_t i = 0; i < n; i += step ? step : n) {
		size_t len = step && step < n - i ? step : n - i;
		CU_ASSERT(bufferevent_write(h->peer, data + i, len) == 0);
		spin(h);
	}
}

/* What the client has received so far (NUL-terminated, static). */
static const char *
received(struct harness *h)
{
	static char	 out[4096];
	struct evbuffer	*in = bufferevent_get_input(h->peer);
	size_t		 n = evbuffer_get_length(in);

	if (n >= sizeof(out))
		n = sizeof(out) - 1;
	CU_ASSERT(evbuffer_remove(in, out, n) == (int)n);
	out[n] = '\0';
	return out;
}

static void
harness_close(struct harness *h)
{
	if (h->conn != NULL)
		http1_abort(h->conn);
	bufferevent_free(h->peer);
	event_base_free(h->base);
}

static const char simple[] =
    "POST /v1/m?x=1 HTTP/1.1\r\nHost: relay.test\r\n"
    "Mailbox-Request-ID: r-1\r\nContent-Length: 5\r\n\r\nhello";

static void
test_pieces(void)
{
	static const size_t steps[] = { 0, 1, 2, 7, 31 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct harness h;

		harness_open(&h);
		send_in(&h, simple, steps[i]);
		CU_ASSERT_EQUAL(h.requests, 1);
		CU_ASSERT_EQUAL(h.faults, 0);
		CU_ASSERT_STRING_EQUAL(h.method, "POST");
		CU_ASSERT_STRING_EQUAL(h.path, "/v1/m");
		CU_ASSERT_STRING_EQUAL(h.host, "relay.test");
		CU_ASSERT(h.body_len == 5 && memcmp(h.body, "hello", 5) == 0);
		CU_ASSERT(strncmp(received(&h), "HTTP/1.1 200 OK\r\n", 17) == 0);
		harness_close(&h);
	}
}

static void
test_pipelined(void)
{
	struct harness	h;
	char		two[512];

	harness_open(&h);
	snprintf(two, sizeof(two), "%s%s", simple, simple);
	send_in(&h, two, 0);
	CU_ASSERT_EQUAL(h.requests, 2);
	const char *got = received(&h);
	CU_ASSERT(strstr(got, "HTTP/1.1 200") == got);
	CU_ASSERT(strstr(got + 1, "HTTP/1.1 200") != NULL);
	harness_close(&h);
}

static void
test_chunked(void)
{
	static const char req[] = "PUT /v1/m/x HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;e=1\r\nde\r\n"
	    "0\r\nTrailer: t\r\n\r\n";

	for (size_t step = 0; step < 4; step += 3) {
		struct harness h;

		harness_open(&h);
		send_in(&h, req, step);
		CU_ASSERT_EQUAL(h.requests, 1);
		CU_ASSERT(h.body_len == 5 && memcmp(h.body, "abcde", 5) == 0);
		harness_close(&h);
	}
}

/* Each is refused with fault, and the request id read before it. */
static void
refused(const char *req, enum tgerr fault, const char *rid, size_t step)
{
	struct harness h;

	harness_open(&h);
	send_in(&h, req, step);
	CU_ASSERT_EQUAL(h.requests, 0);
	CU_ASSERT_EQUAL(h.faults, 1);
	CU_ASSERT_EQUAL(h.fault, fault);
	if (h.fault != fault)
		fprintf(stderr, "\n%s: fault %d\n", req, h.fault);
	CU_ASSERT_STRING_EQUAL(h.rid, rid);
	CU_ASSERT(strstr(received(&h), "Connection: close\r\n") != NULL);
	harness_close(&h);
}

static void
test_refused(void)
{
	for (size_t step = 0; step < 2; step++) {
		refused("GET / HTTP/1.1\r\nMailbox-Request-ID: f1\r\n"
		    "X: a\r\n b\r\nHost: h\r\n\r\n", TGERR_HTTP_SYNTAX, "f1",
		    step);
		refused("GET / HTTP/1.1\r\nMailbox-Request-ID: f2\r\n\r\n",
		    TGERR_HTTP_SYNTAX, "f2", step);
		refused("POST / HTTP/1.1\r\nHost: h\r\nMailbox-Request-ID: f3\r\n"
		    "Content-Length: 257\r\n\r\n", TGERR_TOO_LARGE, "f3", step);
		refused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		    "Content-Length: 1\r\n\r\nx", TGERR_HTTP_SYNTAX, "", step);
		refused("BREW / HTTP/1.1\r\nHost: h\r\n\r\n",
		    TGERR_NOT_IMPLEMENTED, "", step);
		refused("GET / HTTP/1.1\r\nHost : h\r\n\r\n", TGERR_HTTP_SYNTAX,
		    "", step);
		refused("GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n",
		    TGERR_HTTP_SYNTAX, "", step);
		/* llhttp stops at these; the id comes from the rest */
		refused("BREW /v1/m HTTP/1.1\r\nHost: h\r\n"
		    "Mailbox-Request-ID: f4\r\n\r\n", TGERR_NOT_IMPLEMENTED,
		    "f4", step);
		refused("GET / HTTP/1.2\r\nMailbox-Request-ID: f5\r\n\r\n",
		    TGERR_HTTP_SYNTAX, "f5", step);
		refused("GET / HTTP/3.0\r\nHost: h\r\n"
		    "Mailbox-Request-ID: f6\r\nX : y\r\n\r\n",
		    TGERR_HTTP_SYNTAX, "f6", step);
		refused("BREW / HTTP/1.1\r\nMailbox-Request-ID: f7\r\n"
		    "Mailbox-Request-ID: f8\r\n\r\n", TGERR_NOT_IMPLEMENTED, "",
		    step);
	}
}

/*
 * A refused request line whose head never ends: the deadline answers with
 * the refusal, and the id whose line ended.
 */
static void
test_refused_line_deadline(void)
{
	struct harness h;

	harness_start(&h, 50);
	send_in(&h, "BREW / HTTP/1.1\r\nMailbox-Request-ID: f9\r\n", 0);
	CU_ASSERT_EQUAL(h.faults, 0);
	for (int i = 0; i < 100 && h.faults == 0; i++)
		(void)event_base_loop(h.base, EVLOOP_ONCE);
	CU_ASSERT_EQUAL(h.faults, 1);
	CU_ASSERT_EQUAL(h.fault, TGERR_NOT_IMPLEMENTED);
	CU_ASSERT_STRING_EQUAL(h.rid, "f9");
	harness_close(&h);
}

/*
 * A CR not followed by LF (RFC 9112 §2.2), at the end of the head or in
 * the chunked framing: llhttp's default mode took the byte after it for
 * the LF; the Makefile builds llhttp in its strict mode, which refuses.
 */
static void
test_bare_cr(void)
{
	static const char *framing[] = {
		"5\rXhello\r\n0\r\n\r\n", "5\r\nhello\rX0\r\n\r\n",
		"5\r\nhello\r\n0\rX\r\n",
	};
	char req[512];

	for (size_t step = 0; step < 2; step++) {
		refused("GET / HTTP/1.1\r\nHost: h\r\nMailbox-Request-ID: c1\r\n"
		    "\rXGET / HTTP/1.1\r\nHost: h\r\n\r\n", TGERR_HTTP_SYNTAX,
		    "c1", step);
		refused("POST / HTTP/1.1\r\nHost: h\r\nMailbox-Request-ID: c2\r\n"
		    "Content-Length: 5\r\n\rXhello", TGERR_HTTP_SYNTAX, "c2",
		    step);
		for (size_t i = 0; i < sizeof(framing) / sizeof(framing[0]);
		    i++) {
			snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: h"
			    "\r\nMailbox-Request-ID: c3\r\nTransfer-Encoding: "
			    "chunked\r\n\r\n%s", framing[i]);
			refused(req, TGERR_HTTP_SYNTAX, "c3", step);
		}
	}
}

static void
test_limits(void)
{
	char	req[2048], pad[1100];

	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "Mailbox-Request-ID: big\r\nX-Pad: %s\r\n\r\n", pad);
	refused(req, TGERR_HEADERS_TOO_LARGE, "big", 0);
	refused(req, TGERR_HEADERS_TOO_LARGE, "big", 5);
	/* A chunked body over the limit. */
	snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n%x\r\n%.300s\r\n0\r\n\r\n", 300,
	    pad);
	refused(req, TGERR_TOO_LARGE, "", 0);
}

static void
test_fields(void)
{
	struct http1_field	 f[] = { { "Prefer", "a" }, { "X", "1" },
	    { "prefer", "wait=1" } };
	struct http1_req	 r = { "GET", "/", "/", f, 3, "", 0 };
	char			 out[32];

	CU_ASSERT_EQUAL(http1_field_count(&r, "PREFER"), 2);
	CU_ASSERT_STRING_EQUAL(http1_field(&r, "x"), "1");
	CU_ASSERT_STRING_EQUAL(http1_field_join(&r, "Prefer", out,
	    sizeof(out)), "a, wait=1");
	CU_ASSERT(http1_field_join(&r, "Prefer", out, 5) == NULL);
	CU_ASSERT(http1_field(&r, "Y") == NULL);
}

int
main(void)
{
	CU_pSuite	s;
	unsigned	failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("http1", NULL, NULL);
	CU_add_test(s, "a request in pieces of any size", test_pieces);
	CU_add_test(s, "pipelined requests", test_pipelined);
	CU_add_test(s, "chunked body", test_chunked);
	CU_add_test(s, "refused requests and the request id", test_refused);
	CU_add_test(s, "a refused request line's head cut by its deadline",
	    test_refused_line_deadline);
	CU_add_test(s, "bare CR in the head's end and chunk framing",
	    test_bare_cr);
	CU_add_test(s, "head and body limits", test_limits);
	CU_add_test(s, "field lookup", test_fields);
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
