#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Debian's gdb (a tracer with CAP_SYS_PTRACE, in user mode) debugs a program
# of the directory under test (in ring 0 when that is the trusted
# directory): a breakpoint in kml_gdb_inner() is hit, the backtrace names
# kml_gdb_inner, kml_gdb_outer and main, a variable the debugger sets is
# what the program then prints, single steps and continue run the program
# to a normal exit, and the program ran at the expected privilege level.

if ! command -v gdb >/dev/null; then
	echo "SKIP: no gdb"
	exit 4
fi
if [ ! -x ./kml_gdb_target ]; then
	echo "FAIL: run me from the directory of kml_gdb_target"
	exit 1
fi

. "$(dirname "$0")/kml_lib.sh"
cpl=$(kml_expected_cpl)
echo "debugging $(pwd -P)/kml_gdb_target (KML_MODE=${KML_MODE:-ordinary}): expecting CPL $cpl"

out=/tmp/kml-gdb.out
rc=0
gdb -nx -batch \
	-ex 'set startup-with-shell off' \
	-ex 'set pagination off' \
	-ex 'break kml_gdb_inner' \
	-ex 'run' \
	-ex 'backtrace' \
	-ex 'print depth' \
	-ex 'set var kml_gdb_answer = 42' \
	-ex 'stepi 3' \
	-ex 'continue' \
	./kml_gdb_target >"$out" 2>&1 </dev/null || rc=$?
sed 's/^/gdb: /' "$out"

fails=0
expect() {
	if grep -qE "$1" "$out"; then
		echo "ok: $2"
	else
		echo "FAIL: $2: no line matching '$1'"
		fails=$((fails + 1))
	fi
}

[ $rc = 0 ] || { echo "FAIL: gdb exited with $rc"; fails=$((fails + 1)); }
expect "^kml_gdb_target: cpl $cpl\$" "the program runs at CPL $cpl"
expect '^Breakpoint 1, kml_gdb_inner \(depth=2\) at ' "the breakpoint is hit"
expect '^#0 +kml_gdb_inner \(depth=2\) at ' "backtrace frame 0 is kml_gdb_inner"
expect '^#1 +0x[0-9a-f]+ in kml_gdb_outer \(depth=1\) at ' "backtrace frame 1 is kml_gdb_outer"
expect '^#2 +0x[0-9a-f]+ in main \(\) at ' "backtrace frame 2 is main"
expect '^\$1 = 2$' "gdb reads an argument"
expect '^kml_gdb_target: answer 42, result 45$' "the variable gdb set reached the program"
expect '^\[Inferior 1 \(process [0-9]+\) exited normally\]$' "the program exits normally"
rm -f "$out"
[ $fails = 0 ]
