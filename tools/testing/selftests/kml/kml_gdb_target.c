// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of the gdb test: a dynamically linked program with debug
 * information, for a debugger to stop in kml_gdb_inner(), called from
 * kml_gdb_outer() from main(). It prints the privilege level it runs at,
 * and kml_gdb_answer after the breakpoint, which the debugger changes.
 */
#include <stdio.h>

#define noinline	__attribute__((__noinline__))

int kml_gdb_answer = 41;

noinline int kml_gdb_inner(int depth)
{
	asm volatile("" ::: "memory");
	return depth + kml_gdb_answer;
}

noinline int kml_gdb_outer(int depth)
{
	return kml_gdb_inner(depth + 1) + 1;
}

int main(void)
{
	unsigned short cs;
	int r;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	printf("kml_gdb_target: cpl %u\n", cs & 3);
	fflush(stdout);
	r = kml_gdb_outer(1);
	printf("kml_gdb_target: answer %d, result %d\n", kml_gdb_answer, r);
	return 0;
}
