// SPDX-License-Identifier: GPL-2.0
/*
 * That the direct entry dispatches directly, checked in one run: a KML
 * process times getppid() through its direct entry (AT_SYSINFO), and an
 * ordinary copy of this program times the same call through the SYSCALL
 * instruction in user mode, in alternating rounds; the fastest rounds must
 * differ by at least KML_MIN_SPEEDUP. Each round takes the best of SAMPLES
 * timings on either side, which keeps out most of what other work on the
 * machine adds. A direct entry that takes the full path every time is
 * about as fast as the ordinary path (0.9x); the direct dispatch measures
 * 1.25x to 1.6x under a loaded TCG host. This is no speed goal: the figures
 * are make bench's, in instructions.
 *
 * A process outside ring 0 has no direct entry, and nothing to compare.
 *
 *	syscall_latency				the test
 *	syscall_latency --ordinary N		time N calls, print ns per call
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "../../../kml/kml_syscall.h"
#include "kml_util.h"

#define KML_MIN_SPEEDUP	1.1
#define ROUNDS		11
#define SAMPLES		5
#define CALLS		5000

/* n getppid() calls: by SYSCALL (entry 0) or through the direct entry. */
static void null_calls(unsigned long n, unsigned long entry)
{
	unsigned long nr;

	if (!entry) {
		while (n--) {
			nr = SYS_getppid;
			asm volatile("syscall" : "+a" (nr) : : "rcx", "r11", "memory");
		}
		return;
	}
	while (n--) {
		nr = SYS_getppid;
		asm volatile("sub $128, %%rsp\n\tcall *%1\n\tadd $128, %%rsp"
			     : "+a" (nr) : "r" (entry) : "rcx", "r11", "memory");
	}
}

/* Nanoseconds per call of n calls, the best of SAMPLES timings. */
static double time_calls(unsigned long n, unsigned long entry)
{
	struct timespec a, b;
	double best = 0, t;
	int i;

	null_calls(n / 10, entry);	/* warm up */
	for (i = 0; i < SAMPLES; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		null_calls(n, entry);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
		if (!i || t < best)
			best = t;
	}
	return best;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One round of the ordinary copy: its ns per call, or a negative value. */
static double ordinary_round(const char *copy)
{
	char buf[64] = "", calls[16];
	int fds[2], status;
	double v = -1;
	pid_t pid;
	ssize_t n;

	snprintf(calls, sizeof(calls), "%d", CALLS);
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		execl(copy, copy, "--ordinary", calls, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    !WEXITSTATUS(status) && n > 0)
		v = atof(buf);
	return v;
}

int main(int argc, char **argv)
{
	double direct[ROUNDS], ordinary[ROUNDS], d, o;
	const char *copy = "/tmp/kml_syscall_latency";
	unsigned long entry;
	int i;

	if (argc == 3 && !strcmp(argv[1], "--ordinary")) {
		printf("%f\n", time_calls(strtoul(argv[2], NULL, 0), 0));
		return 0;
	}

	ksft_print_header();
	ksft_set_plan(1);
	entry = kml_syscall_entry();
	if (kml_expected_cpl() != 0) {
		if (entry)
			ksft_exit_fail_msg("a process in ring %u has a direct entry\n",
					   kml_cpl());
		ksft_test_result_pass("no direct entry in ring %u: nothing to compare\n",
				      kml_cpl());
		ksft_finished();
	}
	if (!entry)
		ksft_exit_fail_msg("a KML process without a direct entry\n");

	/* The ordinary copy: the same program outside the trusted directory. */
	if (kml_copy_file("/proc/self/exe", copy, 0755))
		ksft_exit_fail_msg("cannot copy this program to %s\n", copy);

	for (i = 0; i < ROUNDS; i++) {
		direct[i] = time_calls(CALLS, entry);
		ordinary[i] = ordinary_round(copy);
		if (ordinary[i] <= 0)
			ksft_exit_fail_msg("the ordinary copy failed\n");
		ksft_print_msg("round %d: direct entry %.1f ns, ordinary %.1f ns per call\n",
			       i + 1, direct[i], ordinary[i]);
	}
	unlink(copy);
	qsort(direct, ROUNDS, sizeof(double), cmp_double);
	qsort(ordinary, ROUNDS, sizeof(double), cmp_double);
	ksft_print_msg("median: direct entry %.1f ns, ordinary %.1f ns: %.2fx\n",
		       direct[ROUNDS / 2], ordinary[ROUNDS / 2],
		       ordinary[ROUNDS / 2] / direct[ROUNDS / 2]);
	d = direct[0];
	o = ordinary[0];
	ksft_print_msg("fastest: direct entry %.1f ns, ordinary %.1f ns: %.2fx\n",
		       d, o, o / d);
	ksft_test_result(o / d >= KML_MIN_SPEEDUP,
			 "direct entry %.2fx faster than the ordinary path (at least %.1fx)\n",
			 o / d, KML_MIN_SPEEDUP);
	ksft_finished();
}
