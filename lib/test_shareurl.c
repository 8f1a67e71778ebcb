/* Tests of shareurl: parse and build vectors, SMS size, wiping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shareurl.h"
#include "testutil.h"

static int
secret_matches(const struct shareurl *u, const json_t *want)
{
	size_t	 n;
	uint8_t	*b;
	int	 ok;

	if (json_is_null(want))
		return u->secret_len == 0;
	b = tu_hex(json_string_value(want), &n);
	ok = n == u->secret_len && memcmp(b, u->secret, n) == 0;
	free(b);
	return ok;
}

static int
aead_matches(const struct shareurl *u, const json_t *want)
{
	enum payload_aead a;

	if (json_is_null(want))
		return !shareurl_aead(u, &a);
	return shareurl_aead(u, &a) &&
	    strcmp(payload_aead_name(a), json_string_value(want)) == 0;
}

static void
check_fields(const struct shareurl *u, const json_t *e, const char *id)
{
	char	 api[TG_URL_MAX + 1], canon[TG_URL_MAX + 1];
	char	 vertical[2] = { u->vertical, '\0' };

	TU_CHECK(strcmp(u->host, tu_str(e, "host")) == 0, id, "host");
	TU_CHECK(u->port == tu_int(e, "port"), id, "port");
	TU_CHECK(u->version == tu_int(e, "version"), id, "version");
	TU_CHECK(strcmp(u->mailbox_id, tu_str(e, "mailbox_id")) == 0, id,
	    "mailbox_id");
	TU_CHECK(u->uuid_version == tu_int(e, "uuid_version"), id,
	    "uuid_version");
	TU_CHECK(strcmp(vertical, tu_str(e, "vertical")) == 0, id,
	    "vertical");
	TU_CHECK(u->vertical_present ==
	    json_is_true(json_object_get(e, "vertical_present")), id,
	    "vertical_present");
	TU_CHECK(secret_matches(u, json_object_get(e, "secret")), id,
	    "secret");
	TU_CHECK(aead_matches(u, json_object_get(e, "aead")), id, "aead");
	TU_CHECK(u->length == (size_t)tu_int(e, "length"), id, "length");
	TU_CHECK(shareurl_api_url(u, api, sizeof(api)) == TGERR_OK &&
	    strcmp(api, tu_str(e, "api_url")) == 0, id, "api_url");
	TU_CHECK(shareurl_build(u, canon, sizeof(canon), NULL) == TGERR_OK &&
	    strcmp(canon, tu_str(e, "canonical")) == 0, id, "canonical");
}

static void
check_parse(const json_t *c, const char *id)
{
	struct shareurl	 u;
	const char	*url = tu_str(c, "url");
	enum tgerr	 err = shareurl_parse(url, tu_len(c, "url"), &u);

	if (strcmp(tu_str(c, "result"), "valid") == 0) {
		TU_CHECK(err == TGERR_OK, id, tgerr_code(err));
		if (err == TGERR_OK)
			check_fields(&u, json_object_get(c, "expected"), id);
	} else if (strcmp(tu_str(c, "result"), "invalid") == 0) {
		TU_CHECK(err != TGERR_OK && strcmp(tgerr_code(err),
		    tu_str(c, "error")) == 0, id, tgerr_code(err));
	}
	shareurl_wipe(&u);
}

/*
 * Fill *u from a build case's fields.  Values the struct's types cannot
 * hold (a host over 253 bytes, a port over 65535, an explicit empty
 * Secret) are refused here with the error the builder would give.
 */
static enum tgerr
fields_to_url(const json_t *f, struct shareurl *u)
{
	const json_t	*secret = json_object_get(f, "secret");
	uint8_t		*b;
	size_t		 n;

	memset(u, 0, sizeof(*u));
	if (tu_len(f, "host") > TG_HOST_MAX)
		return TGERR_URL_HOST;
	if (tu_int(f, "port") < 0 || tu_int(f, "port") > 65535)
		return TGERR_URL_PORT;
	snprintf(u->host, sizeof(u->host), "%s", tu_str(f, "host"));
	u->port = (uint16_t)tu_int(f, "port");
	u->version = (int)tu_int(f, "version");
	snprintf(u->mailbox_id, sizeof(u->mailbox_id), "%s",
	    tu_str(f, "mailbox_id"));
	u->vertical = tu_str(f, "vertical")[0];
	if (!json_is_string(secret))
		return TGERR_OK;
	b = tu_hex(json_string_value(secret), &n);
	u->secret_len = n;
	memcpy(u->secret, b, n < sizeof(u->secret) ? n : sizeof(u->secret));
	free(b);
	return n == 16 || n == 32 ? TGERR_OK : TGERR_URL_SECRET_LENGTH;
}

static void
check_build(const json_t *c, const char *id)
{
	struct shareurl	 u;
	char		 out[TG_URL_MAX + 1];
	enum tgerr	 err;

	err = fields_to_url(json_object_get(c, "fields"), &u);
	if (err == TGERR_OK)
		err = shareurl_build(&u, out, sizeof(out), NULL);
	if (strcmp(tu_str(c, "result"), "valid") == 0)
		TU_CHECK(err == TGERR_OK && strcmp(out, tu_str(c, "url")) == 0,
		    id, "built URL differs");
	else if (strcmp(tu_str(c, "result"), "invalid") == 0)
		TU_CHECK(err != TGERR_OK && strcmp(tgerr_code(err),
		    tu_str(c, "error")) == 0, id, tgerr_code(err));
	shareurl_wipe(&u);
}

static void
test_vectors(void)
{
	json_t	*set = tu_load_set("shareurl"), *c;
	size_t	 i;

	json_array_foreach(tu_cases(set), i, c) {
		if (strcmp(tu_str(c, "op"), "build") == 0)
			check_build(c, tu_str(c, "id"));
		else
			check_parse(c, tu_str(c, "id"));
		tu_count("shareurl");
	}
	json_decref(set);
}

/* URL-SMS: a car key with a 256-bit Secret on a 20-character host. */
static void
test_sms_size(void)
{
	struct shareurl	 u;
	char		 out[TG_URL_MAX + 1];
	size_t		 n = 0;

	memset(&u, 0, sizeof(u));
	snprintf(u.host, sizeof(u.host), "relay.example.co.uk");
	CU_ASSERT_EQUAL(strlen(u.host), 19);
	snprintf(u.host, sizeof(u.host), "relay1.example.co.uk");
	u.version = 1;
	CU_ASSERT_EQUAL(uuid_new_v4(u.mailbox_id), TGERR_OK);
	u.vertical = 'c';
	u.secret_len = 32;
	memset(u.secret, 0xa5, 32);
	CU_ASSERT_EQUAL(shareurl_build(&u, out, sizeof(out), &n), TGERR_OK);
	CU_ASSERT_EQUAL(n, 119);
	CU_ASSERT(n <= 160);
	CU_ASSERT_EQUAL(shareurl_build(&u, out, 100, &n), TGERR_TOO_LARGE);
	shareurl_wipe(&u);
	for (size_t i = 0; i < sizeof(u); i++)
		CU_ASSERT_EQUAL(((unsigned char *)&u)[i], 0);
}

/* Relay origins: https://host[:port] and nothing after it. */
static void
test_origin(void)
{
	struct shareurl	 u;
	char		 out[TG_HOST_MAX + 16];
	static const struct {
		const char	*in;
		enum tgerr	 err;
		const char	*origin;
	} cases[] = {
		{ "https://Relay.Example:8443", TGERR_OK,
		    "https://relay.example:8443" },
		{ "https://relay.example/", TGERR_OK, "https://relay.example" },
		{ "https://[::1]:443", TGERR_OK, "https://[::1]:443" },
		{ "http://relay.example", TGERR_URL_SCHEME, NULL },
		{ "https://relay.example/v1", TGERR_URL_PATH, NULL },
		{ "https://relay.example?x", TGERR_URL_PATH, NULL },
		{ "https://u@relay.example", TGERR_URL_USERINFO, NULL },
		{ "https://relay.example:0", TGERR_URL_PORT, NULL },
		{ "https://", TGERR_URL_HOST, NULL },
		{ "relay.example", TGERR_URL_SYNTAX, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum tgerr err = shareurl_origin_parse(cases[i].in,
		    strlen(cases[i].in), &u);
		CU_ASSERT_EQUAL(err, cases[i].err);
		if (err != TGERR_OK)
			continue;
		CU_ASSERT_EQUAL(shareurl_origin(&u, out, sizeof(out)),
		    TGERR_OK);
		CU_ASSERT_STRING_EQUAL(out, cases[i].origin);
	}
	CU_ASSERT_EQUAL(shareurl_origin(&u, out, 8), TGERR_TOO_LARGE);
}

void tu_suite_shareurl(void);

void
tu_suite_shareurl(void)
{
	tu_add("shareurl", "vectors", test_vectors);
	tu_add("shareurl", "SMS size", test_sms_size);
	tu_add("shareurl", "relay origins", test_origin);
}
