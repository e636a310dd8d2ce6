// SPDX-License-Identifier: GPL-2.0
/*
 * The extended register state of a KML process survives preemption by
 * another process on the same CPU, signal handlers that load other values,
 * and migration between CPUs, bit for bit. The state is loaded with XRSTOR
 * from a buffer of patterns and saved with XSAVE after a loop that uses no
 * FPU or vector register, so every register of every component takes
 * part: the x87 stack, control, status and tag words; XMM0-15 and MXCSR;
 * the upper halves of YMM0-15 (AVX); the opmask registers, the upper
 * halves of ZMM0-15 and ZMM16-31 (AVX-512). Each extension is a variant,
 * skipped with its reason where the CPU or the kernel lacks it.
 *
 * Not compared: the x87 last instruction and operand pointers and opcode
 * (FIP, FDP, FOP), which AMD CPUs do not save unless an exception is
 * pending and which the kernel clears on them (X86_BUG_FXSAVE_LEAK).
 *
 * On IA-32 the program runs in 32-bit mode, where XSAVE and FXSAVE reach
 * XMM0-7 and the upper halves of YMM0-7 only: those are compared; the
 * AVX-512 variant is left out there.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"
#include "kml_regs.h"

#define XFEATURE_X87		0
#define XFEATURE_SSE		1
#define XFEATURE_YMM		2
#define XFEATURE_OPMASK		5
#define XFEATURE_ZMM_HI256	6
#define XFEATURE_HI16_ZMM	7

#define MASK_SSE	((1ULL << XFEATURE_X87) | (1ULL << XFEATURE_SSE))
#define MASK_AVX	(MASK_SSE | (1ULL << XFEATURE_YMM))
#define MASK_AVX512	(MASK_AVX | (1ULL << XFEATURE_OPMASK) | \
			 (1ULL << XFEATURE_ZMM_HI256) | (1ULL << XFEATURE_HI16_ZMM))

struct comp {
	uint32_t off, size;
};

static struct comp comps[8];
static uint32_t xsave_size;

#define XSAVE_HDR	512
#define MXCSR_OFF	24

#ifdef __x86_64__
#define NR_XMM		16
#else
#define NR_XMM		8
#define FXRSTOR32	"fxrstor"
#define XRSTOR32	"xrstor"
#endif

static volatile uint64_t xs_stop;

/*
 * xs_run(in, out, rfbm, count, stop): XRSTOR @in (components @rfbm), run
 * LOOP @count times or until *@stop is set, XSAVE to @out. With @rfbm 0,
 * FXRSTOR and FXSAVE instead (x87 and SSE on a CPU without XSAVE).
 */
#ifdef __x86_64__
static noinline __attribute__((naked)) void
xs_run_stop(const void *in, void *out, uint64_t rfbm, uint64_t count,
	    volatile uint64_t *stop)
{
	asm("	movq	%rdx, %r9\n"
	    "	testq	%r9, %r9\n"
	    "	jz	2f\n"
	    "	movl	%r9d, %eax\n"
	    "	shrq	$32, %rdx\n"
	    "	xrstor64 (%rdi)\n"
	    "	jmp	xs_loop\n"
	    "2:	fxrstor64 (%rdi)\n"
	    "	.globl xs_loop\n"
	    "xs_loop:\n"
	    "	movq	(%r8), %rax\n"
	    "	testq	%rax, %rax\n"
	    "	jnz	1f\n"
	    "	loop	xs_loop\n"
	    "1:\n"
	    "	.globl xs_loop_end\n"
	    "xs_loop_end:\n"
	    "	testq	%r9, %r9\n"
	    "	jz	3f\n"
	    "	movl	%r9d, %eax\n"
	    "	movq	%r9, %rdx\n"
	    "	shrq	$32, %rdx\n"
	    "	xsave64	(%rsi)\n"
	    "	ret\n"
	    "3:	fxsave64 (%rsi)\n"
	    "	ret\n");
}
#else
/*
 * IA-32: the same with the 32-bit forms of the instructions, which reach
 * XMM0-7 (and the upper halves of YMM0-7) only; @count is taken modulo
 * 2^32.
 */
static noinline __attribute__((naked)) void
xs_run_stop(const void *in, void *out, uint64_t rfbm, uint64_t count,
	    volatile uint64_t *stop)
{
	asm("	pushl	%ebx\n"
	    "	pushl	%esi\n"
	    "	pushl	%edi\n"
	    "	movl	16(%esp), %edi\n"		/* in */
	    "	movl	20(%esp), %esi\n"		/* out */
	    "	movl	24(%esp), %eax\n"		/* rfbm */
	    "	movl	28(%esp), %edx\n"
	    "	movl	32(%esp), %ecx\n"		/* count */
	    "	movl	40(%esp), %ebx\n"		/* stop */
	    "	movl	%eax, %edi\n"
	    "	orl	%edx, %edi\n"
	    "	movl	16(%esp), %edi\n"
	    "	jz	2f\n"
	    "	xrstor	(%edi)\n"
	    "	jmp	xs_loop\n"
	    "2:	fxrstor	(%edi)\n"
	    "	.globl xs_loop\n"
	    "xs_loop:\n"
	    "	cmpl	$0, (%ebx)\n"
	    "	jnz	1f\n"
	    "	loop	xs_loop\n"
	    "1:\n"
	    "	.globl xs_loop_end\n"
	    "xs_loop_end:\n"
	    "	movl	24(%esp), %eax\n"
	    "	movl	28(%esp), %edx\n"
	    "	movl	%eax, %edi\n"
	    "	orl	%edx, %edi\n"
	    "	jz	3f\n"
	    "	xsave	(%esi)\n"
	    "	jmp	4f\n"
	    "3:	fxsave	(%esi)\n"
	    "4:	popl	%edi\n"
	    "	popl	%esi\n"
	    "	popl	%ebx\n"
	    "	ret\n");
}
#endif

static void xs_run(const void *in, void *out, uint64_t rfbm, uint64_t count)
{
#ifndef __x86_64__
	if (count > 0xffffffffULL)
		count = 0xffffffffULL;
#endif
	xs_run_stop(in, out, rfbm, count, &xs_stop);
}

static void xrstor(const void *buf, uint64_t rfbm)
{
#ifdef __x86_64__
	if (!rfbm) {
		asm volatile("fxrstor64 %0" : : "m" (*(const char *)buf) : "memory");
		return;
	}
	asm volatile("xrstor64 %0" : : "m" (*(const char *)buf),
		     "a" ((uint32_t)rfbm), "d" ((uint32_t)(rfbm >> 32)) : "memory");
#else
	if (!rfbm) {
		asm volatile(FXRSTOR32 " %0" : : "m" (*(const char *)buf) : "memory");
		return;
	}
	asm volatile(XRSTOR32 " %0" : : "m" (*(const char *)buf),
		     "a" ((uint32_t)rfbm), "d" ((uint32_t)(rfbm >> 32)) : "memory");
#endif
}

/* The bytes of component @i that the program's mode reaches. */
static uint32_t comp_size(int i)
{
#ifdef __x86_64__
	return comps[i].size;
#else
	return i == XFEATURE_YMM ? comps[i].size / 2 : comps[i].size;
#endif
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
	return lo | (uint64_t)hi << 32;
}

static bool has_xsave(void)
{
	uint32_t a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE);
}

/* Why @mask cannot be used here, or NULL. */
static const char *unsupported(uint64_t mask)
{
	uint32_t a, b, c, d;
	uint64_t xcr0;
	int i;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return "no XSAVE enabled by the kernel (CPUID.1:ECX.OSXSAVE)";
	xcr0 = xgetbv0();
	if ((xcr0 & mask) != mask) {
		if (mask == MASK_AVX)
			return (c & bit_AVX) ? "AVX is not enabled in XCR0" :
			       "the CPU has no AVX";
		__cpuid_count(7, 0, a, b, c, d);
		return (b & bit_AVX512F) ? "AVX-512 is not enabled in XCR0" :
		       "the CPU has no AVX-512";
	}
	__cpuid_count(0xd, 0, a, b, c, d);
	xsave_size = b;
	for (i = 2; i < 8; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		__cpuid_count(0xd, i, a, b, c, d);
		comps[i].size = a;
		comps[i].off = b;
	}
	return NULL;
}

/* A buffer for XRSTOR/XSAVE in the standard format, holding patterns. */
static void *xbuf_new(void)
{
	void *p = aligned_alloc(64, (xsave_size + 4095) & ~4095U);

	if (p)
		memset(p, 0, xsave_size);
	return p;
}

static void xbuf_fill(uint8_t *b, uint64_t rfbm, uint8_t seed)
{
	uint32_t mxcsr = 0xff80;		/* round to zero, flush to zero */
	uint16_t fcw = 0x0e7f, fsw = 0x0000;	/* round to zero; TOP = 0 */
	int i, j;

	memset(b, 0, xsave_size);
	memcpy(b + 0, &fcw, 2);
	memcpy(b + 2, &fsw, 2);
	b[4] = 0xff;				/* every x87 register valid */
	memcpy(b + MXCSR_OFF, &mxcsr, 4);
	for (i = 0; i < 8; i++) {		/* normal 80-bit numbers */
		uint64_t mant = 0x8000000000000000ULL |
				(0x0101010101010101ULL * (seed + i)) >> 1;
		uint16_t exp = 0x3fff + i * 3 + seed;

		memcpy(b + 32 + 16 * i, &mant, 8);
		memcpy(b + 32 + 16 * i + 8, &exp, 2);
	}
	for (i = 0; i < 256; i++)		/* XMM0-15 */
		b[160 + i] = (uint8_t)(i * 7 + seed);
	for (i = 2; i < 8; i++) {
		if (!(rfbm & (1ULL << i)))
			continue;
		for (j = 0; j < (int)comps[i].size; j++)
			b[comps[i].off + j] = (uint8_t)(j * 13 + i * 31 + seed);
	}
	if (rfbm)
		memcpy(b + XSAVE_HDR, &rfbm, 8);	/* XSTATE_BV: all in use */
}

/* Compare the state in two buffers; print what differs. */
static int xbuf_diff(const uint8_t *want, const uint8_t *got, uint64_t rfbm)
{
	static const char *const names[8] = {
		[2] = "YMM upper halves", [5] = "opmask registers",
		[6] = "ZMM0-15 upper halves", [7] = "ZMM16-31",
	};
	int i, n = 0;

	if (memcmp(want, got, 5)) {
		printf("# x87 control/status/tag words differ\n");
		n++;
	}
	if (memcmp(want + MXCSR_OFF, got + MXCSR_OFF, 4)) {
		printf("# MXCSR differs\n");
		n++;
	}
	for (i = 0; i < 8; i++) {
		if (memcmp(want + 32 + 16 * i, got + 32 + 16 * i, 10)) {
			printf("# x87 register %d differs\n", i);
			n++;
		}
	}
	for (i = 0; i < NR_XMM; i++) {
		if (memcmp(want + 160 + 16 * i, got + 160 + 16 * i, 16)) {
			printf("# XMM%d differs\n", i);
			n++;
		}
	}
	for (i = 2; i < 8; i++) {
		if (!(rfbm & (1ULL << i)))
			continue;
		if (memcmp(want + comps[i].off, got + comps[i].off, comp_size(i))) {
			printf("# %s differ\n", names[i]);
			n++;
		}
	}
	if (rfbm && memcmp(want + XSAVE_HDR, got + XSAVE_HDR, 8)) {
		printf("# XSTATE_BV %#llx, want %#llx\n",
		       *(unsigned long long *)(got + XSAVE_HDR),
		       *(unsigned long long *)(want + XSAVE_HDR));
		n++;
	}
	return n;
}

static int pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set);
}

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* LOOP iterations that take about @ms milliseconds here. */
static uint64_t loops_for_ms(void *in, void *out, uint64_t rfbm, long ms)
{
	uint64_t n = 100000;
	long t;

	for (;;) {
		t = now_us();
		xs_run(in, out, rfbm, n);
		t = now_us() - t;
		if (t > 20000 || n > (1ULL << 40))
			break;
		n *= 4;
	}
	return n * ms * 1000 / (t ? t : 1);
}

FIXTURE(xstate) {
	uint64_t rfbm;
	uint8_t *in, *out;
};

FIXTURE_VARIANT(xstate) {
	const char *name;
	uint64_t mask;
};

FIXTURE_VARIANT_ADD(xstate, sse) {
	.name = "x87 and SSE",
	.mask = MASK_SSE,
};

FIXTURE_VARIANT_ADD(xstate, avx) {
	.name = "AVX",
	.mask = MASK_AVX,
};

FIXTURE_VARIANT_ADD(xstate, avx512) {
	.name = "AVX-512",
	.mask = MASK_AVX512,
};

FIXTURE_SETUP(xstate)
{
	const char *why;

	ASSERT_EQ(kml_expected_cpl(), kml_cpl());
#ifndef __x86_64__
	if (variant->mask == MASK_AVX512)
		SKIP(return, "%s: not covered on IA-32, where 32-bit mode reaches ZMM0-7 only",
		     variant->name);
#endif
	why = unsupported(variant->mask);
	self->rfbm = variant->mask;
	if (why && variant->mask == MASK_SSE && !has_xsave()) {
		/* Every x86-64 CPU has FXSAVE for x87 and SSE. */
		TH_LOG("%s through FXSAVE and FXRSTOR: %s", variant->name, why);
		self->rfbm = 0;
		xsave_size = 512;
	} else if (why) {
		SKIP(return, "%s: %s", variant->name, why);
	} else {
		TH_LOG("%s: XCR0 %#llx, XSAVE area %u bytes", variant->name,
		       (unsigned long long)xgetbv0(), xsave_size);
	}
	self->in = xbuf_new();
	self->out = xbuf_new();
	ASSERT_TRUE(!!self->in);
	ASSERT_TRUE(!!self->out);
	xbuf_fill(self->in, self->rfbm, 0x11);
}

FIXTURE_TEARDOWN(xstate)
{
}

/*
 * Preemption: this process and a child, both on CPU 0, run loops of about
 * 20 ms each with their own patterns, checking after each, until this one
 * was preempted a few times (at least 300 ms, at most 20 s: under TCG the
 * guest clock is not steady enough to size one long loop).
 */
TEST_F(xstate, preemption)
{
	volatile int *stop;
	struct rusage r0, r1;
	long t0, preempted = 0;
	unsigned long rounds = 0, bad = 0;
	uint64_t n;
	int status;
	pid_t pid;

	stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(stop != MAP_FAILED);
	ASSERT_EQ(0, pin(0, 0));
	n = loops_for_ms(self->in, self->out, self->rfbm, 20);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint8_t *in = xbuf_new(), *out = xbuf_new();

		xbuf_fill(in, self->rfbm, 0x5a);
		while (!*stop) {
			xs_run(in, out, self->rfbm, n);
			if (xbuf_diff(in, out, self->rfbm))
				_exit(1);
		}
		_exit(0);
	}
	getrusage(RUSAGE_SELF, &r0);
	t0 = now_us();
	do {
		xs_run(self->in, self->out, self->rfbm, n);
		bad += xbuf_diff(self->in, self->out, self->rfbm) != 0;
		rounds++;
		getrusage(RUSAGE_SELF, &r1);
		preempted = r1.ru_nivcsw - r0.ru_nivcsw;
	} while ((now_us() - t0 < 300000 || preempted < 5) &&
		 now_us() - t0 < 20000000);
	*stop = 1;
	EXPECT_EQ(0, bad);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	TH_LOG("%lu rounds of %llu loops, %ld involuntary context switches",
	       rounds, (unsigned long long)n, preempted);
	EXPECT_LE(5, preempted);
}

/*
 * Signals: SIGALRM handlers that interrupt the loop load other values
 * into every register; sigreturn must bring the loop's back. The handler
 * also finds the loop's XMM registers and MXCSR in its ucontext.
 */
static uint8_t *junk;
static const uint8_t *sig_want;
static uint64_t sig_rfbm;
static volatile int sig_hits, sig_uc_bad;
static volatile unsigned int sig_cpl = 99;

static void on_alrm(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
#ifdef __x86_64__
	uint64_t rip = uc->uc_mcontext.gregs[REG_RIP];
#else
	uint32_t rip = uc->uc_mcontext.gregs[REG_EIP];
	const struct kml_fpstate32 *fp = (const void *)uc->uc_mcontext.fpregs;
#endif

	sig_cpl = kml_cpl();
	/* Under TCG the next tick may come before the loop sees xs_stop. */
	if (xs_stop || rip < KML_LABEL(xs_loop) || rip >= KML_LABEL(xs_loop_end))
		return;
#ifdef __x86_64__
	if (memcmp(uc->uc_mcontext.fpregs->_xmm, sig_want + 160, 256) ||
	    uc->uc_mcontext.fpregs->mxcsr != *(uint32_t *)(sig_want + MXCSR_OFF))
		sig_uc_bad++;
#else
	/* The FXSAVE image (magic 0) after the legacy one. */
	if (fp->magic != 0 || memcmp(fp->xmm, sig_want + 160, sizeof(fp->xmm)) ||
	    fp->mxcsr != *(uint32_t *)(sig_want + MXCSR_OFF))
		sig_uc_bad++;
#endif
	xrstor(junk, sig_rfbm);
	if (++sig_hits == 5)
		xs_stop = 1;
}

TEST_F(xstate, signals)
{
	struct sigaction sa = { .sa_sigaction = on_alrm, .sa_flags = SA_SIGINFO };
	struct itimerval it = { .it_interval = { .tv_usec = 10000 },
				.it_value = { .tv_usec = 10000 } };

	junk = xbuf_new();
	ASSERT_TRUE(!!junk);
	xbuf_fill(junk, self->rfbm, 0xe7);
	sig_want = self->in;
	sig_rfbm = self->rfbm;
	xs_stop = 0;
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	xs_run(self->in, self->out, self->rfbm, ~0ULL);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_EQ(5, sig_hits);
	EXPECT_EQ(0, sig_uc_bad);
	EXPECT_EQ(kml_expected_cpl(), sig_cpl);
	EXPECT_EQ(0, xbuf_diff(self->in, self->out, self->rfbm));
}

/* Migration: a thread runs loops while the main thread moves it. */
struct mover {
	const uint8_t *in;
	uint64_t rfbm, n;
	atomic_int stop;
	atomic_int tid;
	unsigned long rounds, bad, moves, on_cpu[2];
};

static void *moving(void *arg)
{
	struct mover *m = arg;
	uint8_t *out = xbuf_new();
	int cpu, last = -1;

	atomic_store(&m->tid, syscall(SYS_gettid));
	while (!atomic_load(&m->stop)) {
		xs_run(m->in, out, m->rfbm, m->n);
		if (xbuf_diff(m->in, out, m->rfbm) || kml_cpl() != kml_expected_cpl())
			m->bad++;
		cpu = sched_getcpu();
		if (cpu == 0 || cpu == 1)
			m->on_cpu[cpu]++;
		if (last >= 0 && cpu != last)
			m->moves++;
		last = cpu;
		m->rounds++;
	}
	free(out);
	return NULL;
}

TEST_F(xstate, migration)
{
	struct mover m = { .in = self->in, .rfbm = self->rfbm };
	pthread_t t;
	int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	m.n = loops_for_ms(self->in, self->out, self->rfbm, 1);
	ASSERT_EQ(0, pthread_create(&t, NULL, moving, &m));
	while (!atomic_load(&m.tid))
		sched_yield();
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, pin(atomic_load(&m.tid), i & 1));
		kml_usleep(3000);
	}
	atomic_store(&m.stop, 1);
	ASSERT_EQ(0, kml_pthread_join(t, NULL));
	TH_LOG("%lu rounds (%lu on CPU 0, %lu on CPU 1), %lu moves seen",
	       m.rounds, m.on_cpu[0], m.on_cpu[1], m.moves);
	EXPECT_EQ(0, m.bad);
	EXPECT_LT(0, m.on_cpu[0]);
	EXPECT_LT(0, m.on_cpu[1]);
	EXPECT_LE(5, m.moves);
}

TEST_HARNESS_MAIN
