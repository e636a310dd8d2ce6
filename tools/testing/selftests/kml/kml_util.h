/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the Kernel Mode Linux selftests.
 */
#ifndef KML_SELFTEST_UTIL_H
#define KML_SELFTEST_UTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * The test runner sets KML_BASELINE=1 when it runs the suite on the vanilla
 * baseline kernel, where no KML behaviour is expected.
 */
static inline bool kml_baseline(void)
{
	const char *v = getenv("KML_BASELINE");

	return v && !strcmp(v, "1");
}

#endif /* KML_SELFTEST_UTIL_H */
