// SPDX-License-Identifier: GPL-2.0
/*
 * kml-ibt: indirect branches to targets without ENDBR64, for make test-ibt
 * (scripts/kml/test-ibt), which boots a kernel with kernel IBT in Bochs.
 *
 * Built with -fcf-protection=none, so that no function and no jump table
 * target starts with ENDBR64 (test-ibt checks that with objdump). From
 * /trusted it runs in ring 0, where the CPU would raise #CP at the first
 * indirect call if the kernel left supervisor IBT enforcement on for it;
 * from an ordinary directory it runs in ring 3, where user IBT is off.
 *
 * It calls through a table of function pointers and branches through a
 * switch statement's jump table, in a forked child too, with sleeps in
 * between so that the CPU switches to other tasks and back, and checks
 * every result. In ring 0 it also reads MSR_IA32_S_CET (it may: it is
 * ring-0 code), which must have CET_ENDBR_EN clear. With an argument PATH
 * it then execs PATH (the same program outside /trusted): the exec leaves
 * ring 0.
 *
 * Prints one line: "kml-ibt: <argv[0]> CPL <n> <calls> indirect calls,
 * <branches> jump-table branches (and a child's)[, S_CET <value>]: ok"
 * (or "FAIL"), and exits 0 on success.
 *
 * kml-ibt --control, in ring 0 only, is the test's control: it sets
 * CET_ENDBR_EN itself (which a trusted program must never do), makes one
 * indirect call, and clears the bit again. The CPU must raise #CP there,
 * which the kernel reports as an unexpected user-mode #CP (a KML
 * program's frame is a user frame for it) and returns from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#define ROUNDS	20
#define CALLS	1000

#define MSR_IA32_S_CET	0x6a2
#define CET_ENDBR_EN	0x4ULL		/* bit 2 */

static unsigned int cpl(void)
{
	unsigned short cs;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	return cs & 3;
}

/* Ring 0 only. */
static unsigned long long read_s_cet(void)
{
	unsigned int lo, hi;

	asm volatile("rdmsr" : "=a" (lo), "=d" (hi) : "c" (MSR_IA32_S_CET));
	return lo | (unsigned long long)hi << 32;
}

/*
 * Eight functions reached only through the table below (noipa: the
 * compiler makes no assumptions about them, and inlines none).
 */
static __attribute__((noipa)) long op_add(long a, long b) { return a + b; }
static __attribute__((noipa)) long op_sub(long a, long b) { return a - b; }
static __attribute__((noipa)) long op_mul(long a, long b) { return a * b; }
static __attribute__((noipa)) long op_xor(long a, long b) { return a ^ b; }
static __attribute__((noipa)) long op_and(long a, long b) { return a & b; }
static __attribute__((noipa)) long op_or(long a, long b) { return a | b; }
static __attribute__((noipa)) long op_shl(long a, long b) { return a << (b & 7); }
static __attribute__((noipa)) long op_neg(long a, long b) { return -a + b; }

static long (*ops[8])(long, long) = {
	op_add, op_sub, op_mul, op_xor, op_and, op_or, op_shl, op_neg,
};

/* Call ops[k], through a pointer the compiler cannot see through. */
static long call_op(unsigned int k, long a, long b)
{
	long (*f)(long, long) = ops[k];

	asm("" : "+r" (f));
	return f(a, b);
}

static long expect_op(unsigned int i, long a, long b)
{
	static const char kind[] = "+-*^&|<n";

	switch (kind[i]) {
	case '+':
		return a + b;
	case '-':
		return a - b;
	case '*':
		return a * b;
	case '^':
		return a ^ b;
	case '&':
		return a & b;
	case '|':
		return a | b;
	case '<':
		return a << (b & 7);
	default:
		return -a + b;
	}
}

/* Make @v observable, so that the cases below differ in their code. */
static inline void sink(long v)
{
	asm volatile("" : : "r" (v));
}

/*
 * Twelve dense cases with code of their own: with
 * -fno-tree-switch-conversion gcc makes this a jump table (jmp *), not a
 * table of values.
 */
static __attribute__((noipa)) long branch(unsigned int x, long v)
{
	switch (x) {
	case 0:
		v += 3;
		sink(v);
		break;
	case 1:
		v *= 5;
		sink(v);
		break;
	case 2:
		v ^= 0x55;
		break;
	case 3:
		v -= 7;
		sink(v);
		break;
	case 4:
		v <<= 2;
		break;
	case 5:
		v = ~v;
		sink(v);
		break;
	case 6:
		v += 11;
		break;
	case 7:
		v *= 3;
		sink(-v);
		break;
	case 8:
		v >>= 1;
		break;
	case 9:
		v |= 0x100;
		sink(v);
		break;
	case 10:
		v &= 0xff;
		break;
	case 11:
		v = v * v;
		sink(v + 1);
		break;
	default:
		v = -1;
		break;
	}
	return v;
}

static long expect_branch(unsigned int x, long v)
{
	static const long add[] = { 3, 0, 0, -7, 0, 0, 11 };

	if (x == 0 || x == 3 || x == 6)
		return v + add[x];
	if (x == 1)
		return v * 5;
	if (x == 2)
		return v ^ 0x55;
	if (x == 4)
		return v << 2;
	if (x == 5)
		return ~v;
	if (x == 7)
		return v * 3;
	if (x == 8)
		return v >> 1;
	if (x == 9)
		return v | 0x100;
	if (x == 10)
		return v & 0xff;
	return v * v;
}

/* Returns the number of wrong results. */
static int run(long *calls, long *branches)
{
	int bad = 0, r, i;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < CALLS; i++) {
			unsigned int k = (unsigned int)(i * 7 + r) % 8;
			unsigned int x = (unsigned int)(i * 5 + r) % 12;
			long a = i + r, b = 3 * i - r;

			if (call_op(k, a, b) != expect_op(k, a, b))
				bad++;
			if (branch(x, a) != expect_branch(x, a))
				bad++;
			*calls += 1;
			*branches += 1;
		}
		/* Let the CPU run other tasks, and come back. */
		usleep(1000);
	}
	return bad;
}

static int run_control(void)
{
	unsigned long long s_cet;
	long r;

	if (cpl() != 0) {
		printf("kml-ibt: --control needs ring 0 (/trusted)\n");
		return 1;
	}
	s_cet = read_s_cet();
	printf("kml-ibt: control: S_CET 0x%llx, now with CET_ENDBR_EN for one indirect call\n",
	       s_cet);
	fflush(stdout);
	asm volatile("wrmsr" : : "c" (MSR_IA32_S_CET),
		     "a" ((unsigned int)(s_cet | CET_ENDBR_EN)),
		     "d" ((unsigned int)(s_cet >> 32)));
	r = call_op(0, 40, 2);
	asm volatile("wrmsr" : : "c" (MSR_IA32_S_CET), "a" ((unsigned int)s_cet),
		     "d" ((unsigned int)(s_cet >> 32)));
	printf("kml-ibt: control: the call returned %ld\n", r);
	return r == 42 ? 0 : 1;
}

int main(int argc, char **argv)
{
	long calls = 0, branches = 0;
	unsigned long long s_cet = 0;
	char msr[40] = "";
	int bad, status;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "--control"))
		return run_control();

	bad = run(&calls, &branches);

	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		long c = 0, b = 0;

		_exit(run(&c, &b) ? 1 : (cpl() == 0 ? 10 : 13));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		printf("kml-ibt: %s FAIL: the child died (status 0x%x)\n",
		       argv[0], status);
		return 1;
	}
	if (WEXITSTATUS(status) == 1)
		bad++;
	else if (WEXITSTATUS(status) != 10 + cpl())
		printf("kml-ibt: %s FAIL: the child ran at CPL %d, the parent at %u\n",
		       argv[0], WEXITSTATUS(status) - 10, cpl()), bad++;

	if (cpl() == 0) {
		s_cet = read_s_cet();
		snprintf(msr, sizeof(msr), ", S_CET 0x%llx", s_cet);
		if (s_cet & CET_ENDBR_EN) {
			printf("kml-ibt: %s FAIL: CET_ENDBR_EN is set in ring 0\n", argv[0]);
			bad++;
		}
	}
	printf("kml-ibt: %s CPL %u %ld indirect calls, %ld jump-table branches",
	       argv[0], cpl(), calls, branches);
	printf(" (and a child's)%s: %s\n", msr, bad ? "FAIL" : "ok");
	fflush(stdout);
	if (bad)
		return 1;
	if (argc > 1) {
		execv(argv[1], (char *[]){ argv[1], NULL });
		perror("execv");
		return 1;
	}
	return 0;
}
