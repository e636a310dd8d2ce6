#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# IA-32 and 32-bit ARM: Debian's i386 or armhf bash and coreutils
# (dynamically linked, glibc) in the directory under test (the trusted
# directory when the suite runs from there) compute the same as the
# originals in user mode, run at the expected privilege level, and get
# KML's direct system call entry as AT_SYSINFO (on IA-32 glibc makes its
# system calls through it).
#
# - cat reads its own KernelMode line, and its own auxiliary vector:
#   AT_SYSINFO (32) is in the kernel half (0xc0000000 and up) in ring 0
#   (SYS mode on ARM); elsewhere it is the vDSO's __kernel_vsyscall on
#   IA-32, and there is none on ARM;
# - a bash script (functions, arrays, arithmetic, pipelines, subshells,
#   command substitution, a trap, coreutils) prints the same from the
#   copies as from the originals, and the KernelMode of its shell,
#   subshell, pipeline and substitution processes is the expected one.
#
# The 32-bit guest images (mkinitramfs --arch i386 or arm) have them in
# /opt/debian/bin (KML_DEBIAN_BIN overrides).

debian=${KML_DEBIAN_BIN:-/opt/debian/bin}
here=$(pwd -P)
bin=$here/dynamic32-bin
work=/tmp/kml-dynamic32

. "$(dirname "$0")/kml_lib.sh"
kml_need_debian "$debian"

cpl=$(kml_expected_cpl)
# A 32-bit kernel may refuse ring 0 at boot (PTI, no local APIC): ia32's
# cpl test checks that against the log; here the static ia32 of the same
# directory says what a trusted program gets.
if [ "$cpl" = 0 ] && [ -x ./ia32 ]; then
	./ia32 --exit-with-cpl
	cpl=$?
fi
km=0
[ "$cpl" = 0 ] && km=1
[ "$KML_BASELINE" = 1 ] && km=none
echo "running from $here (KML_MODE=${KML_MODE:-ordinary}): expecting CPL $cpl, KernelMode $km"

rm -rf "$bin" "$work"
mkdir -p "$bin" "$work"
chmod 755 "$bin"
cp "$debian"/* "$bin"/
chmod 755 "$bin"/*

# 1. KernelMode and AT_SYSINFO of a coreutils program.
got=$("$bin/cat" /proc/self/status | grep '^KernelMode:' | tr -d ' \t')
[ -n "$got" ] || got=KernelMode:none
if [ "$got" = "KernelMode:$km" ]; then
	echo "ok: $bin/cat: $got"
else
	kml_fail "$bin/cat /proc/self/status says '$got', expected KernelMode:$km"
fi
sysinfo=$("$bin/cat" /proc/self/auxv | od -An -tu4 -v |
	awk '{ for (i = 1; i < NF; i += 2) if ($i == 32) print $(i + 1) }')
arm=0
case "$(uname -m)" in
arm*) arm=1 ;;
esac
if [ $arm = 1 ] && [ "$cpl" != 0 ] && [ -z "$sysinfo" ]; then
	echo "ok: $bin/cat: no AT_SYSINFO in user mode"
elif [ -z "$sysinfo" ]; then
	kml_fail "no AT_SYSINFO in the auxiliary vector of $bin/cat"
elif [ "$cpl" = 0 ] && [ "$sysinfo" -lt 3221225472 ]; then
	kml_fail "AT_SYSINFO $sysinfo of $bin/cat is not KML's entry (kernel half)"
elif [ "$cpl" != 0 ] && [ "$sysinfo" -ge 3221225472 ]; then
	kml_fail "AT_SYSINFO $sysinfo of $bin/cat is in the kernel half in ring $cpl"
else
	echo "ok: $bin/cat: AT_SYSINFO $(printf '%#x' "$sysinfo")"
fi

# 2. A script, by the originals and by the copies.
cat >"$work/script.bash" <<'SCRIPT'
mode() { echo "$1 $(cat /proc/self/status | grep '^KernelMode:' | tr -d ' \t')" >>"$MODES"; }
mode shell
( mode subshell )
x=$(mode substitution; echo sub)
echo "$x"
true | mode pipeline
trap 'echo trapped; mode trap' USR1
kill -USR1 $$
declare -a words=(kernel mode linux ring zero)
for w in "${words[@]}"; do echo "$w ${#w} $((${#w} * 7 % 5))"; done | sort -k2n -k1
seq 1 2000 | tr 0-9 a-j | sort | uniq -c | sort -rn | head -5
seq 1 500 | sha256sum
f() { local n=$1; [ "$n" -le 1 ] && echo 1 && return; echo $((n * $(f $((n - 1))))); }
echo "fact $(f 12)"
mkdir -p "$DIR" && for i in 3 1 2; do touch "$DIR/file$i"; done
ls "$DIR" | tr '\n' ' '; echo
date -u -d @86400 +%F
seq 1 100000 | wc -l | tail -1
SCRIPT

run_script() {
	local dir=$1 name=$2

	: >"$work/$name.modes"
	PATH=$dir:$PATH MODES=$work/$name.modes DIR=$work/ls-$name \
		"$dir/bash" "$work/script.bash" >"$work/$name.out" 2>&1 ||
		kml_fail "bash from $dir exited with $?"
}

run_script "$debian" reference
run_script "$bin" test
for name in reference test; do
	want=$km
	[ $name = reference ] && want=0
	[ "$KML_BASELINE" = 1 ] && want=none
	kinds=$(cut -d' ' -f1 "$work/$name.modes" | sort | tr '\n' ' ')
	if [ "$kinds" != "pipeline shell subshell substitution trap " ]; then
		kml_fail "$name run: KernelMode lines for '$kinds'"
	elif [ "$want" = none ] && grep -q 'KernelMode:' "$work/$name.modes"; then
		kml_fail "$name run: a KernelMode line on the baseline"
	elif [ "$want" != none ] && grep -qv " KernelMode:$want\$" "$work/$name.modes"; then
		kml_fail "$name run: KernelMode not $want: $(tr '\n' ' ' <"$work/$name.modes")"
	else
		echo "ok: $name run: KernelMode $want for $kinds"
	fi
done
kml_same_output "$work/reference.out" "$work/test.out" "$bin"

rm -rf "$bin" "$work"
echo "$kml_fails failure(s)"
[ $kml_fails = 0 ]
