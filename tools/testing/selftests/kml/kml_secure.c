// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of the policy test: print "cpl=N secure=N dumpable=N", then wait
 * for a signal if asked to (--wait), so that other processes can try to
 * trace it or touch its memory. Built static (kml_secure) and dynamically
 * linked (kml_secure_dyn), for LD_PRELOAD.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/prctl.h>

volatile long kml_secure_value = 0x4b4d4c;	/* "KML": process_vm_writev target */

int main(int argc, char **argv)
{
	unsigned short cs;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	printf("cpl=%u secure=%lu dumpable=%d value=%p\n", cs & 3,
	       getauxval(AT_SECURE), prctl(PR_GET_DUMPABLE),
	       (void *)&kml_secure_value);
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "--wait"))
		pause();
	return 0;
}
