// SPDX-License-Identifier: GPL-2.0
/* Helper of the policy test: a library that says when it is preloaded. */
#include <stdio.h>

static void __attribute__((constructor)) kml_preloaded(void)
{
	printf("preloaded ");
	fflush(stdout);
}
