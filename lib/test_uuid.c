/* Tests of uuid: the vectors, and version 4 generation. */
#include <string.h>

#include "testutil.h"
#include "uuid.h"

static void
test_vectors(void)
{
	json_t	*set = tu_load_set("uuid"), *c;
	size_t	 i;

	json_array_foreach(tu_cases(set), i, c) {
		const char	*id = tu_str(c, "id"), *in = tu_str(c, "input");
		const char	*result = tu_str(c, "result");
		char		 canon[UUID_STR_SIZE];
		int		 version = -1;
		enum tgerr	 err = uuid_check(in, tu_len(c, "input"), canon,
		    &version);

		if (strcmp(result, "valid") == 0) {
			TU_CHECK(err == TGERR_OK, id, "refused a valid UUID");
			TU_CHECK(err != TGERR_OK || (strcmp(canon,
			    tu_str(c, "canonical")) == 0 &&
			    version == tu_int(c, "version")), id,
			    "wrong canonical form or version");
		} else if (strcmp(result, "invalid") == 0) {
			TU_CHECK(err != TGERR_OK && strcmp(tgerr_code(err),
			    tu_str(c, "error")) == 0, id,
			    "did not refuse with the expected error");
		}
		tu_count("uuid");
	}
	json_decref(set);
}

static void
test_v4_generation(void)
{
	enum { N = 1000 };
	static char	 ids[N][UUID_STR_SIZE];
	int		 version;

	for (int i = 0; i < N; i++) {
		CU_ASSERT_EQUAL_FATAL(uuid_new_v4(ids[i]), TGERR_OK);
		CU_ASSERT_EQUAL(uuid_check(ids[i], strlen(ids[i]), NULL,
		    &version), TGERR_OK);
		CU_ASSERT_EQUAL(version, 4);
		CU_ASSERT(strchr("89ab", ids[i][19]) != NULL);	/* variant */
		for (int j = 0; j < i; j++)
			CU_ASSERT(strcmp(ids[i], ids[j]) != 0);
	}
}

void tu_suite_uuid(void);

void
tu_suite_uuid(void)
{
	tu_add("uuid", "vectors", test_vectors);
	tu_add("uuid", "v4 generation", test_v4_generation);
}
