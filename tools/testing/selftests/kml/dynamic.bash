# SPDX-License-Identifier: GPL-2.0
#
# Script of the dynamic test, run by a Debian bash with Debian coreutils
# first in PATH: once by the programs in user mode (the reference), once
# by the same programs from the directory under test. Writes what it
# computes to the file $1, which must come out the same both times, and
# the KernelMode line of /proc/PID/status of every kind of process it
# makes to the file $2: the shell, a subshell, the members of a pipeline,
# a command substitution, a trap handler, background jobs.
#
#	bash dynamic.bash OUTPUT MODES

exec >"$1"
modes=$2

# Uses builtins only, so that it adds no process of its own. "none" when
# the kernel has no KernelMode line (the baseline).
kmode() {
	local key val mode=none

	while read -r key val; do
		[ "$key" = KernelMode: ] && mode=$val
	done <"/proc/$2/status"
	echo "$1 $mode" >>"$modes"
}

kmode shell $$

echo "== coreutils"
seq 1 12 | tr '\n' ' '; echo
seq -s, 10 -3 -5
printf 'pear\napple\nfig\napple\nkiwi\n' | sort | uniq -c
printf '10\n9\n100\n-1\n' | sort -n | tr '\n' ' '; echo
printf 'kernel mode linux\n' | tr a-z A-Z
printf 'one two\nthree\n' | wc
printf 'kernel mode linux\n' | sha256sum
seq 1 1000 | sha256sum
date -u -d @0
date -u -d @1000000000 '+%Y-%m-%d %H:%M:%S %A'
mkdir -p "$KML_LS_DIR" && cd "$KML_LS_DIR" || exit 1
printf 'abc\n' >a
printf '%05000d\n' 7 >b
ln -sf a c
chmod 640 a
chmod 755 b
touch -h -d '2001-09-09 01:46:40 UTC' a b c
TZ=UTC ls -l --time-style=+%F.%T a b c
cat a b | wc -c
cat -A a
cd / || exit 1

echo "== pipes"
seq 1 200 | sort -rn | head -3 | tr '\n' ' '; echo
seq 1 20 | while read -r n; do echo $((n * n)); done | tail -2
echo x | { read -r v; kmode pipeline "$BASHPID"; echo "read $v"; }

echo "== command substitution"
n=$(seq 1 100 | wc -l)
echo "lines: $n"
s=$(kmode substitution "$BASHPID"; printf '%s' "$((6 * 7))")
echo "value: $s"
echo "nested: $(echo "$(echo inner | tr a-z A-Z)") `echo old`"

echo "== subshells"
( kmode subshell "$BASHPID"; echo "in: $((BASHPID != $$))"; exit 3 )
echo "subshell status: $?"
( ( exit 5 ) ; echo "inner status: $?" )
v=outer; ( v=inner ); echo "v: $v"

echo "== trap"
trap 'kmode trap "$BASHPID"; echo "trapped USR1"' USR1
kill -USR1 $$
trap 'echo "trapped USR2 in subshell"' USR2
( trap 'echo "subshell USR2"; exit 4' USR2; kill -USR2 "$BASHPID"; echo "not reached" )
echo "subshell trap status: $?"
trap - USR1 USR2

echo "== job control"
set -m
# Wait up to 10 s until job %1 is in state $1; print its line.
wait_job() {
	for _ in $(seq 100); do
		[[ $(jobs %1) == *"$1"* ]] && break
		sleep 0.1
	done
	jobs %1 | tr -s ' '
}

sleep 30 &
pid=$!
kmode job "$pid"
kill -STOP %1
wait_job Stopped
bg %1 2>&1
kill -CONT %1
wait_job Running
kill -TERM %1
# By pid: bash may have reaped the job and dropped %1 already.
wait "$pid"
echo "killed job status: $?"
sleep 0.1 &
fg %1 >/dev/null
echo "fg status: $?"
( kmode background "$BASHPID"; exit 7 ) &
wait $!
echo "wait status: $?"
sleep 0.1 & sleep 0.2 &
wait
echo "waited for all: $?"
set +m

echo "== exit trap"
trap 'echo "exit trap"' EXIT
exit 0
