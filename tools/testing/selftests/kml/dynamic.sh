#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Dynamically linked programs in the directory under test (the trusted
# directory when the suite runs from there): the whole process, dynamic
# loader and libraries included, runs at the expected privilege level, and
# Debian's bash and coreutils compute the same as in user mode.
#
# - kml_dyn (ours, dynamically linked) prints the CPL of an ELF
#   constructor, of main and of a qsort() callback; run directly and
#   through a copy of the dynamic loader in the directory under test.
# - dynamic.bash runs under a copy of Debian's bash, with copies of Debian's
#   coreutils first in PATH, on a pseudo-terminal (kml_pty) so that it has
#   job control. What it prints must equal what the originals in user mode
#   print; the KernelMode line of /proc/PID/status of every process it makes
#   (shell, subshell, pipeline, substitution, trap, jobs) must say the
#   expected mode, and that of the reference run must say 0 (on the
#   baseline the line must be absent from both).
#
# The mkinitramfs of this project installs Debian's bash and coreutils in
# /opt/debian/bin (KML_DEBIAN_BIN overrides).

debian=${KML_DEBIAN_BIN:-/opt/debian/bin}
here=$(pwd -P)
bin=$here/dynamic-bin
work=/tmp/kml-dynamic

. "$(dirname "$0")/kml_lib.sh"
kml_need_debian "$debian"
if [ ! -x ./kml_dyn ] || [ ! -x ./kml_pty ]; then
	echo "FAIL: run me from the directory of kml_dyn and kml_pty"
	exit 1
fi

cpl=$(kml_expected_cpl)
# KernelMode in /proc/PID/status: none on the baseline.
km=0 refkm=0
[ "$cpl" = 0 ] && km=1
[ "$KML_BASELINE" = 1 ] && km=none refkm=none
echo "running from $here (KML_MODE=${KML_MODE:-ordinary}): expecting CPL $cpl, KernelMode $km"

rm -rf "$bin" "$work"
mkdir -p "$bin" "$work"
chmod 755 "$bin"
cp "$debian"/* "$bin"/
loader=$(readlink -f /lib64/ld-linux-x86-64.so.2)
cp "$loader" "$bin/ld.so"
chmod 755 "$bin"/*

# 1. Our dynamically linked program, directly and through the loader copy.
want=$(printf 'constructor %s\nmain %s\ncallback %s\nkernel linux mode ring' "$cpl" "$cpl" "$cpl")
got=$(./kml_dyn)
if [ "$got" = "$want" ]; then
	echo "ok: kml_dyn: $(echo "$got" | tr '\n' ' ')"
else
	kml_fail "kml_dyn printed '$got', expected '$want'"
fi
got=$("$bin/ld.so" ./kml_dyn)
if [ "$got" = "$want" ]; then
	echo "ok: ld.so kml_dyn: $(echo "$got" | tr '\n' ' ')"
else
	kml_fail "$bin/ld.so ./kml_dyn printed '$got', expected '$want'"
fi

# 2. A coreutils program reading its own status.
got=$("$bin/cat" /proc/self/status | grep '^KernelMode:' | tr -d ' \t')
[ -n "$got" ] || got=KernelMode:none
if [ "$got" = "KernelMode:$km" ]; then
	echo "ok: $bin/cat: $got"
else
	kml_fail "$bin/cat /proc/self/status says '$got', expected KernelMode:$km"
fi

# 3. The script, by the originals and by the copies.
run_script() {
	local dir=$1 name=$2 rc

	rc=0
	PATH=$dir:$PATH KML_LS_DIR=$work/ls-$name \
		./kml_pty "$dir/bash" ./dynamic.bash "$work/$name.out" \
		"$work/$name.modes" >"$work/$name.tty" 2>&1 </dev/null || rc=$?
	[ $rc = 0 ] || kml_fail "bash from $dir exited with $rc; terminal: $(cat "$work/$name.tty")"
}

check_modes() {
	local name=$1 want=$2 kinds

	kinds=$(cut -d' ' -f1 "$work/$name.modes" 2>/dev/null | sort | tr '\n' ' ')
	if [ "$kinds" != "background job pipeline shell subshell substitution trap " ]; then
		kml_fail "$name run: KernelMode lines for '$kinds'"
	elif grep -qv " $want\$" "$work/$name.modes"; then
		kml_fail "$name run: KernelMode not $want for: $(grep -v " $want\$" "$work/$name.modes" | tr '\n' ' ')"
	else
		echo "ok: $name run: KernelMode $want for $kinds"
	fi
}

run_script "$debian" reference
run_script "$bin" test
check_modes reference "$refkm"
check_modes test "$km"
kml_same_output "$work/reference.out" "$work/test.out" "$bin"

rm -rf "$bin" "$work"
echo "$kml_fails failure(s)"
[ $kml_fails = 0 ]
