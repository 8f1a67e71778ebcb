/* Tests of payload: open and seal vectors, fresh IVs, round trips. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "tglimits.h"
#include "payload.h"
#include "testutil.h"

/* Seal pt with the IV found at the start of want's data; compare. */
static int
reseals_to(const json_t *want, const uint8_t *key, size_t keylen,
    const uint8_t *pt, size_t ptlen)
{
	const char		*data = json_string_value(json_object_get(want,
	    "data"));
	uint8_t			 iv[B64_DECODED_MAX(16)];
	size_t			 n;
	enum payload_aead	 aead;
	json_t			*got = NULL;
	int			 ok;

	if (data == NULL || b64_decode(data, 16, B64_STANDARD, iv, &n) != 0 ||
	    !payload_aead_from_name(json_string_value(json_object_get(want,
	    "type")), &aead))
		return 0;
	ok = payload_seal(aead, key, keylen, pt, ptlen, iv, &got) == TGERR_OK &&
	    json_equal(json_object_get(got, "type"), json_object_get(want,
	    "type")) && json_equal(json_object_get(got, "data"),
	    json_object_get(want, "data"));
	json_decref(got);
	return ok;
}

static void
check_open(const json_t *c, const char *id)
{
	const json_t	*obj = json_object_get(c, "payload");
	const char	*field = "";
	uint8_t		*key, *want, *pt = NULL;
	size_t		 keylen, wantlen, ptlen = 0;
	enum tgerr	 err;

	key = tu_hex(tu_str(c, "key"), &keylen);
	err = payload_open(obj, key, keylen, &pt, &ptlen, &field);
	if (strcmp(tu_str(c, "result"), "valid") == 0) {
		want = tu_hex(tu_str(c, "plaintext"), &wantlen);
		TU_CHECK(err == TGERR_OK && ptlen == wantlen &&
		    memcmp(pt, want, wantlen) == 0, id, tgerr_code(err));
		TU_CHECK(reseals_to(obj, key, keylen, want, wantlen), id,
		    "sealing with the same IV differs");
		free(want);
	} else if (strcmp(tu_str(c, "result"), "invalid") == 0) {
		TU_CHECK(err != TGERR_OK && strcmp(tgerr_code(err),
		    tu_str(c, "error")) == 0, id, tgerr_code(err));
		TU_CHECK(json_object_get(c, "field") == NULL ||
		    strcmp(field, tu_str(c, "field")) == 0, id, field);
	}
	if (pt != NULL) {
		OPENSSL_cleanse(pt, ptlen);
		free(pt);
	}
	free(key);
}

static void
check_seal(const json_t *c, const char *id)
{
	uint8_t			*key, *iv, *pt;
	size_t			 keylen, ivlen, ptlen;
	enum payload_aead	 aead = PAYLOAD_AES_128_GCM;
	json_t			*got = NULL;
	enum tgerr		 err;

	key = tu_hex(tu_str(c, "key"), &keylen);
	iv = tu_hex(tu_str(c, "iv"), &ivlen);
	pt = tu_hex(tu_str(c, "plaintext"), &ptlen);
	CU_ASSERT_FATAL(payload_aead_from_name(tu_str(c, "type"), &aead));
	err = payload_seal(aead, key, keylen, pt, ptlen, iv, &got);
	if (strcmp(tu_str(c, "result"), "valid") == 0)
		TU_CHECK(err == TGERR_OK && json_equal(got,
		    json_object_get(c, "payload")), id, "sealed data differs");
	else if (strcmp(tu_str(c, "result"), "invalid") == 0)
		TU_CHECK(err != TGERR_OK && strcmp(tgerr_code(err),
		    tu_str(c, "error")) == 0, id, tgerr_code(err));
	json_decref(got);
	free(key);
	free(iv);
	free(pt);
}

static void
test_vectors(void)
{
	json_t	*set = tu_load_set("payload"), *c;
	size_t	 i;

	json_array_foreach(tu_cases(set), i, c) {
		if (strcmp(tu_str(c, "op"), "seal") == 0)
			check_seal(c, tu_str(c, "id"));
		else
			check_open(c, tu_str(c, "id"));
		tu_count("payload");
	}
	json_decref(set);
}

/* Two seals of the same plaintext use different IVs and both open. */
static void
test_fresh_iv(void)
{
	static const uint8_t	 key[32] = { 1, 2, 3 };
	json_t			*a = NULL, *b = NULL;
	uint8_t			*pt = NULL;
	size_t			 ptlen;
	const char		*field;

	CU_ASSERT_EQUAL_FATAL(payload_seal(PAYLOAD_AES_256_GCM, key, 32,
	    (const uint8_t *)"hi", 2, NULL, &a), TGERR_OK);
	CU_ASSERT_EQUAL_FATAL(payload_seal(PAYLOAD_AES_256_GCM, key, 32,
	    (const uint8_t *)"hi", 2, NULL, &b), TGERR_OK);
	CU_ASSERT(!json_equal(a, b));
	CU_ASSERT_EQUAL(payload_open(b, key, 32, &pt, &ptlen, &field),
	    TGERR_OK);
	CU_ASSERT(ptlen == 2 && memcmp(pt, "hi", 2) == 0);
	json_decref(b);
	CU_ASSERT_EQUAL(payload_seal(PAYLOAD_AES_128_GCM, key, 32,
	    (const uint8_t *)"hi", 2, NULL, &b), TGERR_PAYLOAD_KEY);
	CU_ASSERT(b == NULL);
	free(pt);
	json_decref(a);
}

void tu_suite_payload(void);

void
tu_suite_payload(void)
{
	tu_add("payload", "vectors", test_vectors);
	tu_add("payload", "fresh IV", test_fresh_iv);
}
