#include "harness.h"

int t_pass, t_fail;
const char *t_suite;

int
main(void)
{
	run_tests();
	printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail == 0 ? 0 : 1;
}
