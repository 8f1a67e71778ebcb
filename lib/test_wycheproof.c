/*
 * Wycheproof AES-GCM (C2SP/wycheproof, Apache-2.0) through the AEAD under
 * payload_open(): the groups with 96-bit IVs and 128-bit tags, 128- and
 * 256-bit keys.  Every verdict must match.
 */
#include <stdlib.h>
#include <string.h>

#include "payload.h"
#include "testutil.h"

/* 1 when our verdict matches the case's result. */
static int
run_case(const json_t *t)
{
	size_t	 keylen, ivlen, aadlen, msglen, ctlen, taglen;
	uint8_t	*key = tu_hex(tu_str(t, "key"), &keylen);
	uint8_t	*iv = tu_hex(tu_str(t, "iv"), &ivlen);
	uint8_t	*aad = tu_hex(tu_str(t, "aad"), &aadlen);
	uint8_t	*msg = tu_hex(tu_str(t, "msg"), &msglen);
	uint8_t	*ct = tu_hex(tu_str(t, "ct"), &ctlen);
	uint8_t	*tag = tu_hex(tu_str(t, "tag"), &taglen);
	uint8_t	*pt = malloc(ctlen + 1);
	const char *result = tu_str(t, "result");
	int	 ok;

	enum tgerr err = payload_decrypt_raw(key, keylen, iv, ct, ctlen, tag,
	    aad, aadlen, pt);
	if (strcmp(result, "valid") == 0)
		ok = err == TGERR_OK && msglen == ctlen &&
		    memcmp(pt, msg, msglen) == 0;
	else if (strcmp(result, "invalid") == 0)
		ok = err != TGERR_OK;
	else
		ok = 1;
	free(key), free(iv), free(aad), free(msg), free(ct), free(tag);
	free(pt);
	return ok;
}

static void
test_wycheproof(void)
{
	json_error_t	 jerr;
	json_t		*root, *g, *t;
	size_t		 i, j;

	root = json_load_file(tu_wycheproof_file(), 0, &jerr);
	if (root == NULL)
		fprintf(stderr, "\ncannot load %s: %s\n", tu_wycheproof_file(),
		    jerr.text);
	CU_ASSERT_FATAL(root != NULL);
	json_array_foreach(json_object_get(root, "testGroups"), i, g) {
		long long ks = tu_int(g, "keySize");
		if (tu_int(g, "ivSize") != 96 || tu_int(g, "tagSize") != 128 ||
		    (ks != 128 && ks != 256))
			continue;
		json_array_foreach(json_object_get(g, "tests"), j, t) {
			int ok = run_case(t);
			TU_CHECK(ok, tu_str(t, "comment"), "verdict differs");
			tu_count_wycheproof(ok);
		}
	}
	json_decref(root);
}

void tu_suite_wycheproof(void);

void
tu_suite_wycheproof(void)
{
	tu_add("wycheproof", "AES-GCM verdicts", test_wycheproof);
}
