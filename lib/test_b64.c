/* Tests of b64: strictness beyond OpenSSL's permissive decoder. */
#include <string.h>

#include "b64.h"
#include "testutil.h"

static int
decodes(const char *s, enum b64_mode mode, size_t want)
{
	uint8_t	 out[64];
	size_t	 n = 0;

	if (b64_decode(s, strlen(s), mode, out, &n) != 0)
		return 0;
	return n == want;
}

static void
test_standard(void)
{
	char out[16];

	CU_ASSERT_EQUAL(b64_encode((const uint8_t *)"ab", 2, out), 4);
	CU_ASSERT_STRING_EQUAL(out, "YWI=");
	CU_ASSERT(decodes("YWI=", B64_STANDARD, 2));
	CU_ASSERT(decodes("YWJj", B64_STANDARD, 3));
	CU_ASSERT(decodes("", B64_STANDARD, 0));
	CU_ASSERT(!decodes("YWI", B64_STANDARD, 2));	/* padding required */
	CU_ASSERT(!decodes("YWJ=", B64_STANDARD, 2));	/* not canonical */
	CU_ASSERT(!decodes("YW I=", B64_STANDARD, 2));	/* whitespace */
	CU_ASSERT(!decodes("YW-_", B64_STANDARD, 3));	/* URL-safe */
	CU_ASSERT(!decodes("YQ===", B64_STANDARD, 1));	/* three pads */
	CU_ASSERT(!decodes("=YWI", B64_STANDARD, 2));	/* pad first */
}

static void
test_any(void)
{
	CU_ASSERT(decodes("YWI", B64_ANY, 2));
	CU_ASSERT(decodes("YWI=", B64_ANY, 2));
	CU_ASSERT(decodes("-_-_", B64_ANY, 3));
	CU_ASSERT(decodes("+/+/", B64_ANY, 3));
	CU_ASSERT(!decodes("-/+_", B64_ANY, 3));	/* mixed alphabets */
	CU_ASSERT(!decodes("YWJjZ", B64_ANY, 3));	/* length % 4 == 1 */
	CU_ASSERT(!decodes("YW=", B64_ANY, 1));		/* short padding */
	CU_ASSERT(!decodes("YR", B64_ANY, 1));		/* unused bits set */
}

/* What b64_decode() accepted, b64_decode_checked() decodes the same. */
static void
test_checked(void)
{
	const char	*texts[] = { "", "YQ==", "YWI=", "YWJj", "+/+/AA==" };
	uint8_t		 a[16], b[16];
	size_t		 na, nb;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t len = strlen(texts[i]);

		CU_ASSERT_EQUAL(b64_decode(texts[i], len, B64_STANDARD, a,
		    &na), 0);
		CU_ASSERT_EQUAL(b64_decode_checked(texts[i], len, b, &nb), 0);
		CU_ASSERT_EQUAL(na, nb);
		CU_ASSERT(memcmp(a, b, na) == 0);
	}
	CU_ASSERT_EQUAL(b64_decode_checked("YWI", 3, b, &nb), -1);
	CU_ASSERT_EQUAL(b64_decode_checked("Y*I=", 4, b, &nb), -1);
}

void tu_suite_b64(void);

void
tu_suite_b64(void)
{
	tu_add("b64", "standard", test_standard);
	tu_add("b64", "any alphabet", test_any);
	tu_add("b64", "decoding checked text", test_checked);
}
