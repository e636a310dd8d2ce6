// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of the exec test: print the privilege level this program runs
 * at, then exec the next program of the chain given as arguments.
 *
 *	kml_cpl [next [next ...]]
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned short cs;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	printf("%u\n", cs & 3);
	fflush(stdout);
	if (argc > 1) {
		execv(argv[1], argv + 1);
		perror("kml_cpl: execv");
		return 1;
	}
	return 0;
}
