/* Tests of msg: the body vectors, and builders that parse back. */
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "testutil.h"

static void
test_vectors(void)
{
	json_t	*set = tu_load_set("bodies"), *c;
	size_t	 i;

	json_array_foreach(tu_cases(set), i, c) {
		const char	*id = tu_str(c, "id"), *body = tu_str(c, "body");
		enum msg_kind	 kind;
		struct msg	 m;
		enum tgerr	 err;

		TU_CHECK(msg_kind_from_name(tu_str(c, "kind"), &kind), id,
		    "unknown kind");
		err = msg_parse(kind, body, tu_len(c, "body"), &m);
		if (strcmp(tu_str(c, "result"), "valid") == 0) {
			TU_CHECK(err == TGERR_OK, id, tgerr_code(err));
		} else if (strcmp(tu_str(c, "result"), "invalid") == 0) {
			TU_CHECK(err != TGERR_OK && strcmp(tgerr_code(err),
			    tu_str(c, "error")) == 0, id, tgerr_code(err));
			TU_CHECK(err == TGERR_OK ||
			    json_object_get(c, "field") == NULL ||
			    strcmp(m.field, tu_str(c, "field")) == 0, id,
			    m.field);
		}
		msg_free(&m);
		tu_count("bodies");
	}
	json_decref(set);
}

/* Parse text as kind; it must be valid. Frees text. */
static void
parses(enum msg_kind kind, char *text, struct msg *m)
{
	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT_EQUAL(msg_parse(kind, text, strlen(text), m), TGERR_OK);
	free(text);
}

static void
test_builders(void)
{
	static const char data[] =
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";	/* 30 bytes */
	struct payload_ref	 p = { PAYLOAD_AES_256_GCM, data,
	    sizeof(data) - 1, 0 };
	struct msg_display	 d = { "Car <Key>", "", "https://x/i.png" };
	struct msg_notify	 n = { true, "com.example.push", "tok" };
	struct msg_config	 cfg = { true, true, MSG_RIGHT_READ |
	    MSG_RIGHT_WRITE, 1700000000 };
	struct msg		 m;

	parses(MSG_CREATE_REQUEST, msg_build_create_request(&p, &d, &n, &cfg),
	    &m);
	CU_ASSERT_STRING_EQUAL(m.display.title, "Car <Key>");
	CU_ASSERT_EQUAL(m.config.rights, MSG_RIGHT_READ | MSG_RIGHT_WRITE);
	CU_ASSERT_EQUAL(m.config.expiration, 1700000000);
	CU_ASSERT_STRING_EQUAL(m.notify.token, "tok");
	CU_ASSERT_EQUAL(m.payload.aead, PAYLOAD_AES_256_GCM);
	msg_free(&m);
	parses(MSG_CREATE_REQUEST, msg_build_create_request(&p, &d, NULL,
	    NULL), &m);
	CU_ASSERT_EQUAL(m.config.rights, MSG_RIGHTS_DEFAULT);
	CU_ASSERT(!m.notify.present && !m.config.present);
	msg_free(&m);
	parses(MSG_CREATE_RESPONSE, msg_build_create_response(
	    "https://r.example/v1/m/2bba630e-519b-11ec-bf63-0242ac130002",
	    true), &m);
	CU_ASSERT(m.push_supported);
	msg_free(&m);
	parses(MSG_UPDATE_REQUEST, msg_build_update_request(&p, &n), &m);
	msg_free(&m);
	parses(MSG_UPDATE_RESPONSE, msg_build_update_response(false), &m);
	CU_ASSERT(!m.push_supported);
	msg_free(&m);
	parses(MSG_READ_REQUEST, msg_build_read_request(&n), &m);
	CU_ASSERT(m.notify.present);
	msg_free(&m);
	parses(MSG_READ_RESPONSE, msg_build_read_response(&d, &p, 0), &m);
	CU_ASSERT_EQUAL(m.expiration, 0);
	msg_free(&m);
	parses(MSG_DELETE_RESPONSE, msg_build_empty(), &m);
	msg_free(&m);
	parses(MSG_ERROR_RESPONSE, msg_build_error("not_found", "gone"), &m);
	CU_ASSERT_STRING_EQUAL(m.error, "not_found");
	msg_free(&m);
}

static void
test_rights_string(void)
{
	char s[4];

	msg_rights_string(MSG_RIGHT_DELETE | MSG_RIGHT_READ, s);
	CU_ASSERT_STRING_EQUAL(s, "RD");
	msg_rights_string(7, s);
	CU_ASSERT_STRING_EQUAL(s, "RWD");
}

/* A body that is not JSON says where (line, column) and why. */
static void
test_syntax_position(void)
{
	static const char bad[] = "{\"format\": \"x\",\n \"content\": {]}";
	struct msg m;

	CU_ASSERT_EQUAL(msg_parse(MSG_PROVISIONING_INFO, bad, strlen(bad),
	    &m), TGERR_JSON_SYNTAX);
	CU_ASSERT_EQUAL(m.line, 2);
	CU_ASSERT(m.column > 10);
	CU_ASSERT(m.syntax[0] != '\0');
	CU_ASSERT_EQUAL(msg_parse(MSG_PROVISIONING_INFO, "[1]", 3, &m),
	    TGERR_JSON_SYNTAX);
	CU_ASSERT_EQUAL(m.line, 0);	/* JSON, but not an object */
	CU_ASSERT_EQUAL(msg_parse(MSG_PROVISIONING_INFO, "", 0, &m),
	    TGERR_JSON_SYNTAX);
	CU_ASSERT(m.line >= 1 && m.column >= 1);
}

/*
 * A read's answer is written from a template when its payload is base64:
 * the same bytes as jansson's dump, whatever the display strings hold;
 * anything else in the data still goes through jansson.
 */
static void
test_read_answer_bytes(void)
{
	struct msg_display	 d = { "Car \"Key\" \xc3\xa9\x01\\/", "a\nb",
	    "https://x/i.png" };
	const char		*datas[] = { "AAECAw+/", "ab-_cd==", "a\"b" };

	for (size_t i = 0; i < sizeof(datas) / sizeof(datas[0]); i++) {
		struct payload_ref	 p = { PAYLOAD_AES_256_GCM, datas[i],
		    strlen(datas[i]), 0 };
		json_t			*obj;
		char			*got, *want;

		got = msg_build_read_response(&d, &p, 1893456000);
		obj = json_pack("{s:{s:s, s:s, s:s}, s:{s:s, s:s}, s:s}",
		    "displayInformation", "title", d.title, "description",
		    d.description, "imageURL", d.image_url, "payload", "type",
		    "AEAD_AES_256_GCM", "data", datas[i], "expiration",
		    "2030-01-01T00:00:00Z");
		want = json_dumps(obj, JSON_COMPACT);
		json_decref(obj);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_PTR_NOT_NULL_FATAL(want);
		CU_ASSERT_STRING_EQUAL(got, want);
		free(got);
		free(want);
	}
}

void tu_suite_msg(void);

void
tu_suite_msg(void)
{
	tu_add("msg", "vectors", test_vectors);
	tu_add("msg", "builders parse back", test_builders);
	tu_add("msg", "rights string", test_rights_string);
	tu_add("msg", "where JSON syntax fails", test_syntax_position);
	tu_add("msg", "a read's answer: jansson's bytes", test_read_answer_bytes);
}
