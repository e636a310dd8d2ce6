// SPDX-License-Identifier: GPL-2.0
/*
 * kml-bench: lmbench-style system call costs, for make bench.
 *
 *	kml-bench MODE [rounds]
 *	kml-bench time N PROGRAM [ARG...]
 *	kml-bench spin MODE
 *
 * MODE, how each call enters the kernel. On x86-64: "syscall", the SYSCALL
 * instruction; "direct", the KML direct entry (kml_syscall.h; the SYSCALL
 * instruction where there is none). On IA-32 (gcc -m32): "int80", INT
 * $0x80; "sysenter", a call to the vDSO's __kernel_vsyscall, which makes
 * it with SYSENTER; "vsyscall", a call through AT_SYSINFO as glibc makes
 * its own (call *%gs:0x10): the vDSO for an ordinary process, KML's direct
 * entry for a ring-0 one. Prints one line a case:
 * "BENCH <case> <ns per operation>", the
 * median of the rounds. "time" runs PROGRAM once and prints its run time
 * divided by N ("BENCH time <ns>"), for dd bs=1 count=N. "spin" calls
 * getppid() for ever, for scripts/kml/trace-syscall. Under QEMU
 * -icount shift=0 the guest clock counts instructions: the figures are then
 * instructions per operation.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __x86_64__
#include "kml_syscall.h"
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#ifdef __x86_64__

#define MODES		"syscall|direct"
#define SYS_STAT	SYS_newfstatat
#define STAT_STRUCT	stat

static int direct;

static int set_mode(const char *mode)
{
	direct = !strcmp(mode, "direct");
	return direct || !strcmp(mode, "syscall") ? 0 : -1;
}

/* A system call with three arguments (the fourth, R10, is 0). */
static long sc3(long nr, long a, long b, long c)
{
	register long r10 asm("r10") = 0;
	long r;

	if (direct)
		return kml_syscall3(nr, a, b, c);
	asm volatile("syscall" : "=a" (r)
		     : "a" (nr), "D" (a), "S" (b), "d" (c), "r" (r10)
		     : "rcx", "r11", "memory");
	return r;
}

#else /* IA-32 */

#define MODES		"int80|sysenter|vsyscall"
#define SYS_STAT	SYS_fstatat64
#define STAT_STRUCT	stat64
/* e_entry of an ELF32 header; the 32-bit vDSO's is __kernel_vsyscall */
#define ELF32_ENTRY	24

static enum { INT80, SYSENTER, VSYSCALL } mode;
static void *kernel_vsyscall;

/*
 * The vDSO's __kernel_vsyscall, its entry point (vdso32.lds.S), which
 * AT_SYSINFO does not give a KML process; or NULL.
 */
static void *vdso_vsyscall(void)
{
	unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);

	return ehdr ? (void *)(ehdr + *(uint32_t *)(ehdr + ELF32_ENTRY)) : NULL;
}

static int set_mode(const char *m)
{
	if (!strcmp(m, "int80")) {
		mode = INT80;
	} else if (!strcmp(m, "sysenter")) {
		mode = SYSENTER;
		kernel_vsyscall = vdso_vsyscall();
		if (!kernel_vsyscall) {
			fprintf(stderr, "kml-bench: no __kernel_vsyscall in the vDSO\n");
			return -1;
		}
	} else if (!strcmp(m, "vsyscall")) {
		mode = VSYSCALL;
	} else {
		return -1;
	}
	return 0;
}

/* A system call with three arguments (the fourth, ESI, is 0). */
static long sc3(long nr, long a, long b, long c)
{
	long r;

	switch (mode) {
	case INT80:
		asm volatile("int $0x80" : "=a" (r)
			     : "a" (nr), "b" (a), "c" (b), "d" (c), "S" (0) : "memory");
		break;
	case SYSENTER:
		asm volatile("call *%[entry]" : "=a" (r)
			     : [entry] "rm" (kernel_vsyscall), "a" (nr), "b" (a),
			       "c" (b), "d" (c), "S" (0) : "memory");
		break;
	default:
		asm volatile("call *%%gs:0x10" : "=a" (r)
			     : "a" (nr), "b" (a), "c" (b), "d" (c), "S" (0) : "memory");
		break;
	}
	return r;
}

#endif /* __x86_64__ */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int fd_zero, fd_null, p2c[2], c2p[2];
static char byte;

static void op_null(void)
{
#ifndef __x86_64__
	/* glibc's own getppid(): a call through AT_SYSINFO */
	if (mode == VSYSCALL) {
		getppid();
		return;
	}
#endif
	sc3(SYS_getppid, 0, 0, 0);
}

static void op_read(void)
{
	sc3(SYS_read, fd_zero, (long)&byte, 1);
}

static void op_write(void)
{
	sc3(SYS_write, fd_null, (long)&byte, 1);
}

static void op_stat(void)
{
	struct STAT_STRUCT st;

	if (sc3(SYS_STAT, AT_FDCWD, (long)"/etc/passwd", (long)&st))
		abort();
}

static void op_open_close(void)
{
	long fd = sc3(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY);

	if (fd < 0 || sc3(SYS_close, fd, 0, 0))
		abort();
}

static void op_clock_gettime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
}

static void op_pipe(void)
{
	sc3(SYS_write, p2c[1], (long)&byte, 1);
	sc3(SYS_read, c2p[0], (long)&byte, 1);
}

struct bench_case {
	const char *name;
	void (*op)(void);
	long iterations;
};

static const struct bench_case cases[] = {
	{ "null", op_null, 20000 },
	{ "read", op_read, 20000 },
	{ "write", op_write, 20000 },
	{ "stat", op_stat, 5000 },
	{ "open_close", op_open_close, 5000 },
	{ "clock_gettime", op_clock_gettime, 20000 },
	{ "pipe", op_pipe, 2000 },
};

static int time_program(long n, char **argv)
{
	long long t0 = now_ns();
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	printf("BENCH time %.1f\n", (double)(now_ns() - t0) / n);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	double t[64];
	unsigned int c;
	pid_t child;
	int r;
	long i;

	if (argc > 3 && !strcmp(argv[1], "time"))
		return time_program(atol(argv[2]), argv + 3);
	if (argc > 2 && !strcmp(argv[1], "spin") && !set_mode(argv[2])) {
		for (;;)
			op_null();
	}
	if (argc < 2 || set_mode(argv[1])) {
		fprintf(stderr,
			"usage: kml-bench " MODES " [rounds]\n"
			"       kml-bench time N PROGRAM [ARG...]\n"
			"       kml-bench spin " MODES "\n");
		return 2;
	}
	if (rounds < 1 || rounds > 64)
		rounds = 5;
	fd_zero = open("/dev/zero", O_RDONLY);
	fd_null = open("/dev/null", O_WRONLY);
	if (fd_zero < 0 || fd_null < 0 || pipe(p2c) || pipe(c2p))
		return 1;
	/* The pipe partner echoes each byte back, in the same mode. */
	child = fork();
	if (child == 0) {
		close(p2c[1]);
		close(c2p[0]);
		while (sc3(SYS_read, p2c[0], (long)&byte, 1) == 1)
			sc3(SYS_write, c2p[1], (long)&byte, 1);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		for (r = 0; r < rounds; r++) {
			long long t0 = now_ns();

			for (i = 0; i < cases[c].iterations; i++)
				cases[c].op();
			t[r] = (double)(now_ns() - t0) / cases[c].iterations;
		}
		qsort(t, rounds, sizeof(t[0]), cmp_d);
		printf("BENCH %s %.1f\n", cases[c].name, t[rounds / 2]);
		fflush(stdout);
	}
	close(p2c[1]);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return 0;
}
