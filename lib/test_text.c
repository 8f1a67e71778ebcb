/* Tests of text.c: copies that fit, copies that are cut, appends. */
#include <string.h>

#include "testutil.h"
#include "text.h"

static void
test_copy_fits(void)
{
	char buf[8];

	CU_ASSERT_EQUAL(text_copy(buf, sizeof(buf), "abc"), 3);
	CU_ASSERT_STRING_EQUAL(buf, "abc");
	CU_ASSERT_EQUAL(text_copy(buf, sizeof(buf), ""), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(text_copy(buf, sizeof(buf), "1234567"), 7);
	CU_ASSERT_STRING_EQUAL(buf, "1234567");
}

static void
test_copy_cut(void)
{
	char buf[4];

	CU_ASSERT_EQUAL(text_copy(buf, sizeof(buf), "abcdef"), 6);
	CU_ASSERT_STRING_EQUAL(buf, "abc");
	CU_ASSERT_EQUAL(text_copy(buf, 1, "abc"), 3);
	CU_ASSERT_STRING_EQUAL(buf, "");
}

static void
test_append(void)
{
	char	buf[8];
	size_t	n = text_copy(buf, sizeof(buf), "ab");

	n = text_append(buf, sizeof(buf), n, ".");
	n = text_append(buf, sizeof(buf), n, "cd");
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_STRING_EQUAL(buf, "ab.cd");
	n = text_append(buf, sizeof(buf), n, "efgh");
	CU_ASSERT_EQUAL(n, 7);
	CU_ASSERT_STRING_EQUAL(buf, "ab.cdef");
	CU_ASSERT_EQUAL(text_append(buf, sizeof(buf), n, "x"), 7);
	CU_ASSERT_STRING_EQUAL(buf, "ab.cdef");
}

void tu_suite_text(void);

void
tu_suite_text(void)
{
	tu_add("text", "a copy that fits", test_copy_fits);
	tu_add("text", "a copy cut to the buffer", test_copy_cut);
	tu_add("text", "appends, cut at the end", test_append);
}
