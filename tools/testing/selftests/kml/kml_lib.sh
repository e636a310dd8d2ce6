# SPDX-License-Identifier: GPL-2.0
#
# Shell helpers of the KML selftests (dynamic.sh, dynamic32.sh, gdb.sh),
# sourced from the directory under test.

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

# Say what failed and count it in kml_fails.
kml_fails=0
kml_fail()
{
	echo "FAIL: $*"
	kml_fails=$((kml_fails + 1))
}

# Skip the test (exit 4) unless Debian's bash and coreutils are in $1.
kml_need_debian()
{
	if [ ! -x "$1/bash" ] || [ ! -x "$1/sort" ]; then
		echo "SKIP: no Debian bash and coreutils in $1"
		exit 4
	fi
}

# Did Debian's bash and coreutils copied into $3 print ($2) what the
# originals printed ($1)? Says so, or counts a failure.
kml_same_output()
{
	if [ ! -s "$1" ]; then
		kml_fail "the reference run printed nothing"
	elif cmp -s "$1" "$2"; then
		echo "ok: the output of bash and coreutils from $3 equals the reference ($(wc -l <"$2") lines)"
	else
		kml_fail "the output of bash and coreutils from $3 differs from the reference:"
		diff "$1" "$2"
	fi
}
