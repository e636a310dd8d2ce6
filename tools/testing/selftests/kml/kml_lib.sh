# SPDX-License-Identifier: GPL-2.0
#
# Shell helpers of the KML selftests (dynamic.sh, gdb.sh), sourced from the
# directory under test.

# The privilege level a program of the directory under test should have,
# as kml_expected_cpl() in kml_util.h computes it.
kml_expected_cpl()
{
	if [ -n "$KML_EXPECT_CPL" ]; then
		echo "$KML_EXPECT_CPL"
	elif [ "$KML_MODE" != trusted ] || [ "$KML_BASELINE" = 1 ] ||
	     [ "$(cat /proc/sys/kernel/kml/enabled 2>/dev/null)" = 0 ]; then
		echo 3
	else
		echo 0
	fi
}
