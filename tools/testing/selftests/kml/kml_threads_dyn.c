// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of the threads test, dynamically linked (glibc's libc.so and
 * ld.so run at the program's privilege level too): eight threads with
 * their own TLS, passing a token round through a futex. Prints
 * "cpl=N threads=8 ok" when every check holds, else what failed.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 8
#define LAPS 100

static __thread long tls = -1;
static atomic_uint token;
static unsigned int cpls[NTHREADS];

static unsigned int cpl(void)
{
	unsigned short cs;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	return cs & 3;
}

static void *run(void *arg)
{
	unsigned int me = (unsigned int)(long)arg, v, lap;

	tls = me;
	cpls[me] = cpl();
	for (lap = 0; lap < LAPS; lap++) {
		while ((v = atomic_load(&token)) != lap * NTHREADS + me)
			syscall(SYS_futex, &token, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
		if (tls != me)
			return (void *)1;
		atomic_store(&token, v + 1);
		syscall(SYS_futex, &token, FUTEX_WAKE_PRIVATE, NTHREADS, NULL, NULL, 0);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	unsigned int i, bad = 0;
	void *ret;

	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, run, (void *)(long)i))
			bad++;
	for (i = 0; i < NTHREADS; i++) {
		if (pthread_join(t[i], &ret) || ret)
			bad++;
		if (cpls[i] != cpl())
			bad++;
	}
	if (atomic_load(&token) != NTHREADS * LAPS || tls != -1)
		bad++;
	if (bad)
		printf("cpl=%u threads=%u bad=%u token=%u\n", cpl(), NTHREADS,
		       bad, atomic_load(&token));
	else
		printf("cpl=%u threads=%u ok\n", cpl(), NTHREADS);
	return bad != 0;
}
