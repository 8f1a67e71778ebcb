/*
 * CUnit tests of client.c: Request-ID per request and reuse on retry,
 * 201 as success, status and transport failures to classes, profile
 * header names, relay base URLs; all on the scripted transport.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "client.h"
#include "test_fake.h"

#define API "https://relay.example:8443/v1/m/2bba630e-519b-41ec-bf63-0242ac130002"
#define CLAIM "6f1c1e6e-2a6b-4c55-9d8e-0b8f1b2c3d4e"
#define LINK "{\"urlLink\":\"https://relay.example:8443/v1/m/" \
	"2bba630e-519b-41ec-bf63-0242ac130002\"," \
	"\"isPushNotificationSupported\":false}"

static void
test_retry_same_request_id(void)
{
	struct fake		f;
	struct client_ctx	ctx;
	struct client_error	e;
	struct msg		m;

	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_ERR_DROPPED, 0, NULL, NULL);
	fake_push(&f, HTTP_ERR_TIMEOUT, 0, NULL, NULL);
	fake_push(&f, HTTP_OK, 201, LINK, NULL);
	CU_ASSERT_EQUAL(client_create(&ctx, "https://relay.example:8443",
	    CLAIM, "{}", &m, &e), CLIENT_OK);
	CU_ASSERT_EQUAL_FATAL(f.nseen, 3);
	CU_ASSERT_EQUAL(strlen(f.seen[0].request_id), 36);
	CU_ASSERT_STRING_EQUAL(f.seen[0].request_id, f.seen[1].request_id);
	CU_ASSERT_STRING_EQUAL(f.seen[1].request_id, f.seen[2].request_id);
	CU_ASSERT_STRING_EQUAL(f.seen[2].body, "{}");
	CU_ASSERT_STRING_EQUAL(f.seen[0].url,
	    "https://relay.example:8443/v1/m");
	/* the original's body, from the 201 */
	CU_ASSERT_PTR_NOT_NULL(m.url_link);
	if (m.url_link != NULL)
		CU_ASSERT(strstr(m.url_link, "2bba630e") != NULL);
	msg_free(&m);
	/* backoff between the tries */
	CU_ASSERT_EQUAL(f.nsleeps, 2);
	CU_ASSERT_EQUAL(f.slept_ms[0], 250);
	CU_ASSERT_EQUAL(f.slept_ms[1], 500);
	fake_free(&f);
}

static void
test_fresh_request_id_each_call(void)
{
	struct fake		f;
	struct client_ctx	ctx;
	struct client_error	e;

	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, "{}", NULL);
	fake_push(&f, HTTP_OK, 200, "{}", NULL);
	CU_ASSERT_EQUAL(client_delete(&ctx, API, CLAIM, &e), CLIENT_OK);
	CU_ASSERT_EQUAL(client_relinquish(&ctx, API, CLAIM, &e), CLIENT_OK);
	CU_ASSERT_EQUAL_FATAL(f.nseen, 2);
	CU_ASSERT_STRING_NOT_EQUAL(f.seen[0].request_id, f.seen[1].request_id);
	CU_ASSERT_STRING_EQUAL(f.seen[0].method, "DELETE");
	CU_ASSERT_STRING_EQUAL(f.seen[1].method, "PATCH");
	CU_ASSERT_PTR_NULL(f.seen[0].body);
	fake_free(&f);
}

static void
test_retries_exhausted(void)
{
	struct fake		f;
	struct client_ctx	ctx;
	struct client_error	e;

	fake_init(&f);
	fake_ctx(&f, &ctx);
	ctx.retries = 2;
	for (int i = 0; i < 3; i++)
		fake_push(&f, HTTP_ERR_DROPPED, 0, NULL, NULL);
	CU_ASSERT_EQUAL(client_delete(&ctx, API, CLAIM, &e),
	    CLIENT_ERR_NETWORK);
	CU_ASSERT_EQUAL(f.nseen, 3);
	CU_ASSERT(strncmp(e.msg, "cannot reach the relay at "
	    "https://relay.example:8443: ", 54) == 0);
	CU_ASSERT(strstr(e.msg, "/v1/m") == NULL);	/* origin only */
	fake_free(&f);
}

static void
test_no_retry_when_pointless(void)
{
	struct fake		f;
	struct client_ctx	ctx;
	struct client_error	e;

	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_ERR_CONNECT, 0, NULL, NULL);
	fake_push(&f, HTTP_ERR_TLS, 0, NULL, NULL);
	CU_ASSERT_EQUAL(client_delete(&ctx, API, CLAIM, &e),
	    CLIENT_ERR_NETWORK);
	CU_ASSERT_EQUAL(f.nseen, 1);
	CU_ASSERT_EQUAL(client_delete(&ctx, API, CLAIM, &e), CLIENT_ERR_TLS);
	CU_ASSERT_EQUAL(f.nseen, 2);
	CU_ASSERT(strncmp(e.msg, "TLS failure talking to https://", 31) == 0);
	fake_free(&f);
}

static void
test_status_classes(void)
{
	struct fake		f;
	struct client_ctx	ctx;
	struct client_error	e;
	struct client_read	r;

	CU_ASSERT_EQUAL(client_status_class(404, false), CLIENT_ERR_GONE);
	CU_ASSERT_EQUAL(client_status_class(401, true), CLIENT_ERR_CLAIMED);
	CU_ASSERT_EQUAL(client_status_class(401, false), CLIENT_ERR_REFUSED);
	CU_ASSERT_EQUAL(client_status_class(500, true), CLIENT_ERR_REFUSED);
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 404,
	    "{\"error\":\"not_found\",\"message\":\"x\"}", NULL);
	fake_push(&f, HTTP_OK, 401,
	    "{\"error\":\"unauthorized\",\"message\":\"x\"}", NULL);
	fake_push(&f, HTTP_OK, 503,
	    "{\"error\":\"capacity\",\"message\":\"full\"}", NULL);
	CU_ASSERT_EQUAL(client_read(&ctx, API, CLAIM, NULL, NULL, 0, true, &r,
	    &e), CLIENT_ERR_GONE);
	CU_ASSERT_STRING_EQUAL(e.msg, "this share has expired, was "
	    "cancelled or never existed");	/* a 404 cannot tell */
	CU_ASSERT_EQUAL(client_read(&ctx, API, CLAIM, NULL, NULL, 0, true, &r,
	    &e), CLIENT_ERR_CLAIMED);
	CU_ASSERT_STRING_EQUAL(e.msg, "this share was already accepted by "
	    "another device");
	CU_ASSERT_EQUAL(e.status, 401);
	CU_ASSERT_EQUAL(client_delete(&ctx, API, CLAIM, &e),
	    CLIENT_ERR_REFUSED);
	CU_ASSERT(strstr(e.msg, "(503 capacity: full)") != NULL);
	fake_free(&f);
}

static void
test_request_id_echo_checked(void)
{
	struct fake		f;
	struct client_ctx	ctx;
	struct client_error	e;
	struct msg		m;

	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, "{}", NULL);
	f.replies[0].request_id = "someone-else";
	CU_ASSERT_EQUAL(client_delete(&ctx, API, CLAIM, &e),
	    CLIENT_ERR_REFUSED);
	CU_ASSERT(strstr(e.msg, "another Mailbox-Request-ID") != NULL);
	fake_free(&f);

	/* no echo at all is no match either (http-00 §5.1), on every call */
	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, LINK, NULL);
	fake_push(&f, HTTP_OK, 200, "{}", NULL);
	fake_push(&f, HTTP_OK, 404, "{}", NULL);
	for (size_t i = 0; i < 3; i++)
		f.replies[i].no_request_id = true;
	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(client_create(&ctx, "https://relay.example:8443",
	    CLAIM, "{}", &m, &e), CLIENT_ERR_REFUSED);
	CU_ASSERT_PTR_NULL(m.url_link);
	CU_ASSERT(strstr(e.msg, "without the request's Mailbox-Request-ID")
	    != NULL);
	CU_ASSERT_EQUAL(client_delete(&ctx, API, CLAIM, &e),
	    CLIENT_ERR_REFUSED);
	CU_ASSERT_EQUAL(client_relinquish(&ctx, API, CLAIM, &e),
	    CLIENT_ERR_REFUSED);
	CU_ASSERT_EQUAL(e.status, 404);
	fake_free(&f);
}

static void
test_profiles_and_headers(void)
{
	struct fake		f;
	struct client_ctx	ctx;
	struct client_error	e;
	struct client_read	r;
	char			buf[128];

	fake_init(&f);
	fake_ctx(&f, &ctx);
	ctx.attestation = "att";
	fake_push(&f, HTTP_OK, 200, "{\"isPushNotificationSupported\":true}",
	    NULL);
	fake_push(&f, HTTP_OK, 304, NULL, "\"4\"");
	CU_ASSERT_EQUAL(client_update(&ctx, API, CLAIM, "{}", &e), CLIENT_OK);
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[0], "Mailbox-Device-Claim",
	    buf, sizeof(buf)), CLAIM);
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[0],
	    "Mailbox-Device-Attestation", buf, sizeof(buf)), "att");
	ctx.profile = CLIENT_PROFILE_SCT04;
	CU_ASSERT_EQUAL(client_read(&ctx, API, CLAIM, NULL, "\"4\"", 20, false,
	    &r, &e), CLIENT_OK);
	CU_ASSERT_EQUAL(r.status, 304);
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[1], "Device-Claim", buf,
	    sizeof(buf)), CLAIM);
	CU_ASSERT_PTR_NULL(fake_header(&f.seen[1], "Mailbox-Device-Claim",
	    buf, sizeof(buf)));
	CU_ASSERT_PTR_NULL(fake_header(&f.seen[1], "Device-Attestation", buf,
	    sizeof(buf)));	/* reads carry no attestation */
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[1], "Prefer", buf,
	    sizeof(buf)), "wait=20");
	CU_ASSERT_STRING_EQUAL(fake_header(&f.seen[1], "If-None-Match", buf,
	    sizeof(buf)), "\"4\"");
	CU_ASSERT_EQUAL(f.seen[1].timeout, 20 + ctx.timeout);
	CU_ASSERT_STRING_EQUAL(f.seen[1].body, "");
	fake_free(&f);
}

static void
test_bad_answers(void)
{
	struct fake		f;
	struct client_ctx	ctx;
	struct client_error	e;
	struct msg		m;

	fake_init(&f);
	fake_ctx(&f, &ctx);
	fake_push(&f, HTTP_OK, 200, "{\"urlLink\":\"http://x/v1/m/1\","
	    "\"isPushNotificationSupported\":false}", NULL);
	fake_push(&f, HTTP_ERR_TOO_LARGE, 0, NULL, NULL);
	CU_ASSERT_EQUAL(client_create(&ctx, "https://relay.example", CLAIM,
	    "{}", &m, &e), CLIENT_ERR_REFUSED);
	CU_ASSERT(strstr(e.msg, "invalid create_response") != NULL);
	CU_ASSERT_EQUAL(client_delete(&ctx, API, CLAIM, &e),
	    CLIENT_ERR_REFUSED);
	fake_free(&f);
}

static void
test_relay_base(void)
{
	char			out[CLIENT_ORIGIN_MAX];
	struct client_error	e;

	CU_ASSERT_EQUAL(client_relay_base("https://Relay.Example:8443/", out,
	    &e), CLIENT_OK);
	CU_ASSERT_STRING_EQUAL(out, "https://relay.example:8443");
	CU_ASSERT_EQUAL(client_relay_base("https://[::1]:9", out, &e),
	    CLIENT_OK);
	CU_ASSERT_STRING_EQUAL(out, "https://[::1]:9");
	CU_ASSERT_EQUAL(client_relay_base("http://relay.example", out, &e),
	    CLIENT_ERR_USAGE);
	CU_ASSERT_EQUAL(client_relay_base("https://relay.example/v1", out,
	    &e), CLIENT_ERR_USAGE);
	CU_ASSERT_STRING_EQUAL(e.msg, "--relay must be https://HOST[:PORT]: "
	    "no path, query or fragment after the host (tigress adds "
	    "/v1/m/...)");
	CU_ASSERT_EQUAL(client_relay_base("not a url", out, &e),
	    CLIENT_ERR_USAGE);
	CU_ASSERT_STRING_EQUAL(e.msg, "--relay must be https://HOST[:PORT]: "
	    "not a URL");
	CU_ASSERT_EQUAL(client_relay_base("https://u@relay.example", out, &e),
	    CLIENT_ERR_USAGE);
	CU_ASSERT_EQUAL(client_relay_base("https://relay.example:0", out, &e),
	    CLIENT_ERR_USAGE);
	CU_ASSERT_EQUAL(client_relay_base("https://r#x", out, &e),
	    CLIENT_ERR_USAGE);
	client_origin(API, out);
	CU_ASSERT_STRING_EQUAL(out, "https://relay.example:8443");
}

static void
test_names(void)
{
	enum client_profile p;

	CU_ASSERT(client_profile_from_name("sct-04", &p) &&
	    p == CLIENT_PROFILE_SCT04);
	CU_ASSERT(client_profile_from_name("http-00", &p) &&
	    p == CLIENT_PROFILE_HTTP00);
	CU_ASSERT(!client_profile_from_name("http-01", &p));
	for (int i = 0; i < CLIENT_ERR_COUNT; i++)
		for (int j = i + 1; j < CLIENT_ERR_COUNT; j++)
			CU_ASSERT_STRING_NOT_EQUAL(client_err_code(i),
			    client_err_code(j));
}

void
ct_suite_client(void)
{
	CU_pSuite s = CU_add_suite("client", NULL, NULL);

	CU_add_test(s, "retry reuses the Request-ID, 201 is success",
	    test_retry_same_request_id);
	CU_add_test(s, "a fresh Request-ID per request",
	    test_fresh_request_id_each_call);
	CU_add_test(s, "retries exhausted", test_retries_exhausted);
	CU_add_test(s, "no retry after connect/TLS failures",
	    test_no_retry_when_pointless);
	CU_add_test(s, "status classes", test_status_classes);
	CU_add_test(s, "Request-ID echo checked", test_request_id_echo_checked);
	CU_add_test(s, "profiles, attestation, long-poll headers",
	    test_profiles_and_headers);
	CU_add_test(s, "invalid answers", test_bad_answers);
	CU_add_test(s, "relay base URL", test_relay_base);
	CU_add_test(s, "names", test_names);
}
