// SPDX-License-Identifier: GPL-2.0
/*
 * kml-demo: show the privilege level a program runs at and what a null
 * system call costs it. make run starts it from an ordinary directory and
 * from /trusted, side by side.
 *
 * The time is the guest's clock: under QEMU's TCG it is emulator time, so
 * compare the two runs of one boot with each other, never with hardware.
 * It is the best of ROUNDS timings: the others include what other work on
 * the host took from the emulator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "kml_syscall.h"

#define ROUNDS	9
#define CALLS	20000

static unsigned int cpl(void)
{
	unsigned short cs;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	return cs & 3;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Best time of a getppid() round trip, in ns: @direct through kml_syscall0(). */
static double null_call_ns(int direct)
{
	long long t[ROUNDS];
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		long long t0 = now_ns();

		if (direct) {
			for (i = 0; i < CALLS; i++)
				kml_syscall0(SYS_getppid);
		} else {
			for (i = 0; i < CALLS; i++)
				asm volatile("syscall" : : "a" (SYS_getppid)
					     : "rcx", "r11", "memory");
		}
		t[r] = now_ns() - t0;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp_ll);
	return (double)t[0] / CALLS;
}

int main(int argc, char **argv)
{
	char self[256], direct[32] = "-";
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	if (kml_syscall_entry())
		snprintf(direct, sizeof(direct), "%.1f ns", null_call_ns(1));
	printf("kml-demo: %-20s CPL %u  getppid: syscall %6.1f ns, direct entry %9s\n",
	       self, cpl(), null_call_ns(0), direct);
	return 0;
}
