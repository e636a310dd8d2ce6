// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of the dynamic test: a dynamically linked program that prints the
 * privilege level its code runs at before main (an ELF constructor, which
 * the dynamic loader calls), in main, and in a function of the C library
 * reached through the PLT, the same way the loader resolved it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned int ctor_cpl = 9;

static unsigned int cpl(void)
{
	unsigned short cs;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	return cs & 3;
}

static void __attribute__((constructor)) early(void)
{
	ctor_cpl = cpl();
}

static int cmp(const void *a, const void *b)
{
	static unsigned int cmp_cpl = 9;

	/* qsort() of the C library calls back into the program. */
	if (cmp_cpl == 9) {
		cmp_cpl = cpl();
		printf("callback %u\n", cmp_cpl);
	}
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *words[] = { "ring", "kernel", "mode", "linux" };
	unsigned int i;

	printf("constructor %u\nmain %u\n", ctor_cpl, cpl());
	qsort(words, 4, sizeof(words[0]), cmp);
	for (i = 0; i < 4; i++)
		printf("%s%c", words[i], i < 3 ? ' ' : '\n');
	return 0;
}
