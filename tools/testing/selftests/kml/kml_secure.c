// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of the policy test: print "cpl=N secure=N dumpable=N", then wait
 * for a signal if asked to (--wait), so that other processes can try to
 * trace it or touch its memory. Built static (kml_secure) and dynamically
 * linked (kml_secure_dyn), for LD_PRELOAD. Before it prints, it can make
 * itself dumpable again (--dumpable: prctl(PR_SET_DUMPABLE, 1)) or give up
 * root (--setuid=UID: real, effective and saved user and group IDs).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/prctl.h>

volatile long kml_secure_value = 0x4b4d4c;	/* "KML": process_vm_writev target */

int main(int argc, char **argv)
{
	unsigned short cs;
	int wait = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait")) {
			wait = 1;
		} else if (!strcmp(argv[i], "--dumpable")) {
			if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
				return 3;
		} else if (!strncmp(argv[i], "--setuid=", 9)) {
			int id = atoi(argv[i] + 9);

			if (setresgid(id, id, id) || setresuid(id, id, id))
				return 4;
		}
	}
	asm volatile("mov %%cs, %0" : "=r" (cs));
	printf("cpl=%u secure=%lu dumpable=%d value=%p\n", cs & 3,
	       getauxval(AT_SECURE), prctl(PR_GET_DUMPABLE),
	       (void *)&kml_secure_value);
	fflush(stdout);
	if (wait)
		pause();
	return 0;
}
