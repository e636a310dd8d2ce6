/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the Kernel Mode Linux selftests.
 *
 * The test runner tells a test what to expect through the environment:
 *   KML_BASELINE=1     the vanilla baseline kernel: no KML behaviour at all
 *   KML_MODE=trusted   the test runs from the trusted directory (else from
 *                      an ordinary one)
 *   KML_EXPECT_CPL=N   overrides the privilege level the test expects
 *   KML_TRUSTED_DIR    the trusted directory (default /trusted)
 */
#ifndef KML_SELFTEST_UTIL_H
#define KML_SELFTEST_UTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define KML_KERNEL_CS	0x10
#define KML_KERNEL_DS	0x18
#define KML_USER_DS	0x2b
#define KML_USER_CS	0x33

static inline bool kml_env_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

static inline bool kml_baseline(void)
{
	return kml_env_is("KML_BASELINE", "1");
}

static inline bool kml_trusted_run(void)
{
	return kml_env_is("KML_MODE", "trusted");
}

static inline const char *kml_trusted_dir(void)
{
	const char *d = getenv("KML_TRUSTED_DIR");

	return d ? d : "/trusted";
}

/* The privilege level this program runs at, as the CPU says. */
static inline unsigned int kml_cpl(void)
{
	unsigned short cs;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	return cs & 3;
}

/* The privilege level this run of the program should have. */
static inline unsigned int kml_expected_cpl(void)
{
	const char *v = getenv("KML_EXPECT_CPL");

	if (v)
		return atoi(v);
	return kml_trusted_run() && !kml_baseline() ? 0 : 3;
}

#endif /* KML_SELFTEST_UTIL_H */
