// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of the exec_race test: the program whose exec the test races.
 * It maps a page at KML_RACE_MARKER, writes KML_RACE_MAGIC into it,
 * prints "cpl=N" and waits to be killed (for at most 10 s). A process
 * that can read the marker through /proc/PID/mem reads the memory of
 * this image, not of the one before the exec.
 */
#include <stdio.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef __x86_64__
#define KML_RACE_MARKER	0x4b4d4c000000UL
#define KML_RACE_MAGIC	0x6563617220c06d6bUL
#else
#define KML_RACE_MARKER	0x4b4d0000UL
#define KML_RACE_MAGIC	0x20c06d6bUL
#endif

int main(void)
{
	unsigned short cs;
	unsigned long *m;

	m = mmap((void *)KML_RACE_MARKER, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m != (void *)KML_RACE_MARKER)
		return 1;
	*(volatile unsigned long *)m = KML_RACE_MAGIC;
	asm volatile("mov %%cs, %0" : "=r" (cs));
	printf("cpl=%u\n", cs & 3);
	fflush(stdout);
	alarm(10);
	for (;;)
		pause();
}
