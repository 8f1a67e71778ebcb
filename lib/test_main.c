/*
 * The CUnit runner of lib/: test_lib VECTORS_DIR WYCHEPROOF_JSON.
 * Exits non-zero when any test failed; prints the vector counts.
 */
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "testutil.h"

void tu_suite_tgerr(void);
void tu_suite_text(void);
void tu_suite_uuid(void);
void tu_suite_b64(void);
void tu_suite_rfc3339(void);
void tu_suite_shareurl(void);
void tu_suite_payload(void);
void tu_suite_msg(void);
void tu_suite_preview(void);
void tu_suite_wycheproof(void);

int
main(int argc, char **argv)
{
	unsigned failed;

	if (argc != 3) {
		fprintf(stderr, "usage: test_lib VECTORS_DIR WYCHEPROOF_JSON\n");
		return 2;
	}
	tu_set_paths(argv[1], argv[2]);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	tu_suite_tgerr();
	tu_suite_text();
	tu_suite_uuid();
	tu_suite_b64();
	tu_suite_rfc3339();
	tu_suite_shareurl();
	tu_suite_payload();
	tu_suite_msg();
	tu_suite_preview();
	tu_suite_wycheproof();
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	printf("\n");
	tu_print_counts();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
