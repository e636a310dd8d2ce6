// SPDX-License-Identifier: GPL-2.0
/*
 * The KML kernel names itself: its release string carries the fork's local
 * version "-kml", which the vanilla baseline's does not.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

static bool names_kml(const char *release)
{
	return strstr(release, "-kml");
}

TEST(uname_release)
{
	struct utsname u;

	ASSERT_EQ(0, uname(&u));
	TH_LOG("release %s, %s kernel expected", u.release,
	       kml_baseline() ? "baseline" : "KML");
	EXPECT_EQ(!kml_baseline(), names_kml(u.release));
}

TEST(proc_osrelease_agrees)
{
	char buf[128] = "";
	struct utsname u;
	FILE *f;

	ASSERT_EQ(0, uname(&u));
	f = fopen("/proc/sys/kernel/osrelease", "r");
	ASSERT_TRUE(!!f);
	ASSERT_TRUE(!!fgets(buf, sizeof(buf), f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	EXPECT_STREQ(u.release, buf);
}

TEST_HARNESS_MAIN
