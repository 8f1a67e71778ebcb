/*
 * The CUnit runner of ref-client: test_client.  No network: the relay is
 * played by the scripted transport of test_fake.c.  Exits non-zero when
 * any test failed.
 */
#include <stdio.h>

#include <CUnit/Basic.h>

#include "test_fake.h"

int
main(void)
{
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	ct_suite_state();
	ct_suite_client();
	ct_suite_cli();
	ct_suite_session();
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
