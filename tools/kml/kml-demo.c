// SPDX-License-Identifier: GPL-2.0
/*
 * kml-demo: show the privilege level a program runs at and what a null
 * system call costs it. make run starts it from an ordinary directory and
 * from /trusted, side by side.
 *
 * The time is the guest's clock: under QEMU's TCG it is emulator time, so
 * compare the two runs of one boot with each other, never with hardware.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

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

int main(int argc, char **argv)
{
	long long t[ROUNDS];
	char self[256];
	ssize_t n;
	int r, i;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';

	for (r = 0; r < ROUNDS; r++) {
		long long t0 = now_ns();

		for (i = 0; i < CALLS; i++)
			syscall(SYS_getppid);
		t[r] = now_ns() - t0;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp_ll);

	printf("kml-demo: %-28s CPL %u (%s)  getppid: %5.1f ns a call\n",
	       self, cpl(), cpl() ? "user mode" : "kernel mode",
	       (double)t[ROUNDS / 2] / CALLS);
	return 0;
}
