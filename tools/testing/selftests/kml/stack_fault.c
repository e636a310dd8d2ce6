// SPDX-License-Identifier: GPL-2.0
/*
 * Stack faults of a KML process: a process in ring 0 takes its faults and
 * interrupts without a stack switch by the CPU, so these check that none
 * of them lands on its user stack. Growth by deep recursion and by large
 * arrays, an overflow past RLIMIT_STACK caught on an alternate signal
 * stack, and the 128-byte red zone below the stack pointer kept intact
 * across timer interrupts and page faults.
 */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/klog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#define MB	(1024 * 1024)

TEST(deep_recursion)
{
	EXPECT_EQ(kml_expected_cpl(), kml_cpl());
	/* About 5 MB of stack, one page fault after another. */
	EXPECT_EQ(0, kml_recurse_stack(5000));
}

TEST(large_array_top_down)
{
	EXPECT_EQ(6 * MB / 4096, kml_touch_stack(6 * MB, true));
}

TEST(large_array_bottom_up)
{
	EXPECT_EQ(6 * MB / 4096, kml_touch_stack(6 * MB, false));
}

static sigjmp_buf overflow_jmp;
static volatile unsigned int overflow_handler_cpl = 99;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	overflow_handler_cpl = kml_cpl();
	siglongjmp(overflow_jmp, 1);
}

static volatile int stack_is_endless = 1;

static noinline int recurse_forever(int n)
{
	volatile char frame[4096];

	frame[0] = (char)n;
	if (!stack_is_endless)
		return 0;
	return recurse_forever(n + 1) + frame[0];
}

TEST(overflow_caught_on_sigaltstack)
{
	struct rlimit rl = { .rlim_cur = 2 * MB, .rlim_max = RLIM_INFINITY };
	struct sigaction sa = { .sa_sigaction = on_segv,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	stack_t ss = { .ss_size = 64 * 1024 };

	ss.ss_sp = malloc(ss.ss_size);
	ASSERT_TRUE(!!ss.ss_sp);
	ASSERT_EQ(0, sigaltstack(&ss, NULL));
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	ASSERT_EQ(0, setrlimit(RLIMIT_STACK, &rl));

	if (sigsetjmp(overflow_jmp, 1) == 0) {
		recurse_forever(0);
		ASSERT_TRUE(false);
	}
	EXPECT_EQ(kml_expected_cpl(), overflow_handler_cpl);
}

#ifdef __x86_64__
/*
 * Leaf code that keeps 16 values in the red zone, [rsp - 128, rsp), while
 * it spins, touches a new page every 64th round (a page fault) and lets
 * timer interrupts come; returns how many of the values changed.
 *
 * unsigned long redzone_spin(unsigned long rounds, char *pages,
 *			      unsigned long npages);
 */
unsigned long redzone_spin(unsigned long rounds, char *pages,
			   unsigned long npages);
asm("	.text\n"
"	.globl redzone_spin\n"
"	.type redzone_spin, @function\n"
"redzone_spin:\n"
"	movabs	$0xa5a5a5a500000000, %r8\n"
"	movq	$1, %rcx\n"
"1:	leaq	(%r8, %rcx), %rax\n"
"	negq	%rcx\n"
"	movq	%rax, (%rsp, %rcx, 8)\n"
"	negq	%rcx\n"
"	incq	%rcx\n"
"	cmpq	$16, %rcx\n"
"	jbe	1b\n"
"	xorq	%r9, %r9\n"			/* round */
"	xorq	%r10, %r10\n"			/* next page */
"2:	movl	$2000, %ecx\n"
"3:	pause\n"
"	decl	%ecx\n"
"	jnz	3b\n"
"	testq	$63, %r9\n"
"	jnz	4f\n"
"	cmpq	%rdx, %r10\n"
"	jae	4f\n"
"	movq	%r10, %r11\n"
"	shlq	$12, %r11\n"
"	movb	$1, (%rsi, %r11)\n"		/* page fault */
"	incq	%r10\n"
"4:	incq	%r9\n"
"	cmpq	%rdi, %r9\n"
"	jb	2b\n"
"	xorq	%rax, %rax\n"			/* mismatches */
"	movq	$1, %rcx\n"
"5:	leaq	(%r8, %rcx), %r11\n"
"	negq	%rcx\n"
"	cmpq	%r11, (%rsp, %rcx, 8)\n"
"	je	6f\n"
"	incq	%rax\n"
"6:	negq	%rcx\n"
"	incq	%rcx\n"
"	cmpq	$16, %rcx\n"
"	jbe	5b\n"
"	ret\n"
"	.size redzone_spin, . - redzone_spin\n"
);
#else
/*
 * The IA-32 ABI has no red zone: what an event frame pushed at the wrong
 * place would hit first is the stack just above ESP. Leaf code that keeps
 * 16 values at [esp, esp + 64) while it spins, touches a new page every
 * 64th round (a page fault) and lets timer interrupts come; returns how
 * many of the values changed.
 *
 * unsigned long above_sp_spin(unsigned long rounds, char *pages,
 *			       unsigned long npages);
 */
unsigned long above_sp_spin(unsigned long rounds, char *pages,
			    unsigned long npages);
asm("	.text\n"
"	.globl above_sp_spin\n"
"	.type above_sp_spin, @function\n"
"above_sp_spin:\n"
"	pushl	%ebx\n"
"	pushl	%esi\n"
"	pushl	%edi\n"
"	pushl	%ebp\n"
"	movl	20(%esp), %edi\n"			/* rounds */
"	movl	24(%esp), %esi\n"			/* pages */
"	movl	28(%esp), %ebp\n"			/* npages */
"	subl	$64, %esp\n"
"	xorl	%ecx, %ecx\n"
"1:	leal	0xa5a50000(%ecx), %eax\n"
"	movl	%eax, (%esp, %ecx, 4)\n"
"	incl	%ecx\n"
"	cmpl	$16, %ecx\n"
"	jb	1b\n"
"	xorl	%ebx, %ebx\n"			/* round */
"	xorl	%edx, %edx\n"			/* next page */
"2:	movl	$2000, %ecx\n"
"3:	pause\n"
"	decl	%ecx\n"
"	jnz	3b\n"
"	testl	$63, %ebx\n"
"	jnz	4f\n"
"	cmpl	%ebp, %edx\n"
"	jae	4f\n"
"	movl	%edx, %eax\n"
"	shll	$12, %eax\n"
"	movb	$1, (%esi, %eax)\n"		/* page fault */
"	incl	%edx\n"
"4:	incl	%ebx\n"
"	cmpl	%edi, %ebx\n"
"	jb	2b\n"
"	xorl	%eax, %eax\n"			/* mismatches */
"	xorl	%ecx, %ecx\n"
"5:	leal	0xa5a50000(%ecx), %edx\n"
"	cmpl	%edx, (%esp, %ecx, 4)\n"
"	je	6f\n"
"	incl	%eax\n"
"6:	incl	%ecx\n"
"	cmpl	$16, %ecx\n"
"	jb	5b\n"
"	addl	$64, %esp\n"
"	popl	%ebp\n"
"	popl	%edi\n"
"	popl	%esi\n"
"	popl	%ebx\n"
"	ret\n"
"	.size above_sp_spin, . - above_sp_spin\n"
);
#endif

/*
 * Timer interrupts so far, all CPUs: the local APIC timer's (the LOC line
 * of /proc/interrupts) and IRQ 0's (the PIT or HPET, the timer where there
 * is no local APIC, as with nolapic on IA-32).
 */
static long timer_interrupts(void)
{
	char line[1024], *p, *end;
	long sum = -1, v;
	int len;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (!strncmp(p, "LOC:", 4))
			len = 4;
		else if (!strncmp(p, "0:", 2))
			len = 2;
		else
			continue;
		if (sum < 0)
			sum = 0;
		for (p += len; (v = strtol(p, &end, 10)), end != p; p = end)
			sum += v;
	}
	fclose(f);
	return sum;
}

#ifdef __x86_64__
TEST(red_zone_survives_interrupts_and_faults)
#else
TEST(stack_above_sp_survives_interrupts_and_faults)
#endif
{
	unsigned long npages = 256, mismatches = 0;
	long start, ticks = 0;
	int chunk;

	EXPECT_EQ(kml_expected_cpl(), kml_cpl());
	start = timer_interrupts();
	ASSERT_LE(0, start);
	/*
	 * Until 1000 timer interrupts have hit the spinning code: each chunk
	 * spins 64 x 256 rounds over a fresh mapping, so that every page
	 * fault also comes with live red-zone data.
	 */
	for (chunk = 0; chunk < 200 && ticks < 1000; chunk++) {
		char *pages = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_TRUE(pages != MAP_FAILED);
#ifdef __x86_64__
		mismatches += redzone_spin(64 * npages, pages, npages);
#else
		mismatches += above_sp_spin(64 * npages, pages, npages);
#endif
		EXPECT_EQ(1, pages[(npages - 1) * 4096]);
		munmap(pages, npages * 4096);
		ticks = timer_interrupts() - start;
	}
	TH_LOG("%d chunks, %ld timer interrupts, %lu page faults", chunk,
	       ticks, chunk * npages);
	EXPECT_EQ(0, mismatches);
	EXPECT_LE(1000, ticks);
}

#ifndef __x86_64__
/*
 * IA-32: in ring 0 the CPU pushes every event frame onto the program's own
 * stack. When that push faults, the CPU double-faults; the kernel must
 * turn that into the page fault (stack growth, copy on write) and still
 * handle the interrupt whose delivery failed.
 */

/* Iterations of spin_at() long enough for a timer tick or two under TCG. */
#define SPIN_LOOPS	1000000UL

static unsigned long spin_saved_sp;

/*
 * Run a loop that uses no stack with ESP at @sp for @loops iterations.
 * Every event the CPU takes meanwhile in ring 0 pushes its frame below
 * @sp.
 */
static noinline void spin_at(unsigned long sp, unsigned long loops)
{
	asm volatile("movl %%esp, %[saved]\n\t"
		     "movl %[sp], %%esp\n"
		     "1:\tdecl %[n]\n\t"
		     "jnz 1b\n\t"
		     "movl %[saved], %%esp"
		     : [n] "+r" (loops), [saved] "+m" (spin_saved_sp)
		     : [sp] "r" (sp)
		     : "memory", "cc");
}

/* Seconds since @t0 on the monotonic clock. */
static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - t0->tv_sec + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The lowest address of the main stack ([stack] in /proc/self/maps), or 0. */
static unsigned long stack_bottom(void)
{
	unsigned long lo = 0, hi;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
	fclose(f);
	return lo;
}

/*
 * Interrupts arrive while ESP sits 8 bytes above the lowest page of the
 * stack: their frames must grow the stack (in ring 0, through the double
 * fault), round after round, and the interrupts must still be handled
 * (else the timer of this CPU stays in service and nothing comes any more).
 * In ring 3 the frames go to the kernel stack, and the stack stays.
 */
TEST(irq_grows_stack)
{
	int rounds = 10, grown = 0, i;
	double limit = kml_expected_cpl() == 0 ? 5 : 0;
	unsigned long bottom, first;
	struct timespec t0;

	first = stack_bottom();
	ASSERT_LT(0, first);
	for (i = 0; i < rounds; i++) {
		bottom = stack_bottom();
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			spin_at(bottom + 8, SPIN_LOOPS);
		} while (stack_bottom() == bottom && since(&t0) < limit);
		grown += stack_bottom() < bottom;
	}
	TH_LOG("an event frame grew the stack in %d of %d rounds, by %lu KiB",
	       grown, rounds, (first - stack_bottom()) / 1024);
	EXPECT_EQ(kml_expected_cpl() == 0 ? rounds : 0, grown);
}

/*
 * NMIs (sysrq 'l' backtraces, sent from the other CPU) hit the program
 * while ESP sits 32 bytes above the lowest page of its stack, with
 * nothing mapped below: the CPU pushes 12 bytes there for each, and the
 * NMI handler must run elsewhere (had it run there, its frames would have
 * grown the stack). Then the program grows its stack into those pages.
 */
TEST(nmi_at_stack_bottom)
{
	unsigned long bottom, after_nmis;
	struct kml_nmi_burst burst;
	size_t size;
	long nmis;

	if (access("/proc/sysrq-trigger", W_OK))
		SKIP(return, "no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ, root)");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs, has %ld",
		     sysconf(_SC_NPROCESSORS_ONLN));
	ASSERT_EQ(0, kml_pin_to(0));
	ASSERT_FALSE(kml_log_has_splat());
	ASSERT_EQ(0, kml_nmi_burst_start(&burst, "<7>stack_fault: flush\n"));
	bottom = stack_bottom();
	while (!*burst.stop)
		spin_at(bottom + 32, SPIN_LOOPS);
	after_nmis = stack_bottom();
	nmis = kml_nmi_burst_end(&burst);
	/* Now grow the stack 64 KiB into the pages below. */
	size = (((uintptr_t)&size - bottom) & ~4095UL) + 65536;
	EXPECT_EQ(size / 4096, kml_touch_stack(size, true));
	TH_LOG("CPU 0 took %ld NMIs with ESP 32 bytes above the stack's lowest page",
	       nmis);
	EXPECT_LT(0, nmis);
	EXPECT_EQ(bottom, after_nmis);
	EXPECT_GT(bottom, stack_bottom());
	EXPECT_FALSE(kml_log_has_splat());
	/* Clear the backtraces, which the runner would take for a splat. */
	klogctl(5, NULL, 0);	/* SYSLOG_ACTION_CLEAR */
	kml_pin_to(-1);
}

#define COW_PAGES	8

/*
 * Is the page at @p present and mapped by this process only (bit 63 and
 * bit 56 of /proc/self/pagemap)? 1, 0, or -1 if unknown.
 */
static int page_exclusive(const void *p)
{
	uint64_t e = 0;
	int fd, ok;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -1;
	ok = pread(fd, &e, sizeof(e), (uintptr_t)p / 4096 * sizeof(e)) == sizeof(e);
	close(fd);
	if (!ok)
		return -1;
	return (e >> 63 & 1) && (e >> 56 & 1);
}

/*
 * Spin with ESP 64 bytes into each of the COW_PAGES pages at @base, shared
 * copy-on-write with another process, until an event frame has written
 * the page (it is this process's own then), for at most @limit seconds a
 * page. Returns the number of pages that became this process's own, plus
 * 100 if the data above ESP changed.
 */
static int cow_rounds(char *base, double limit)
{
	struct timespec t0;
	int own = 0, bad = 0, k, j;

	for (k = 0; k < COW_PAGES; k++) {
		char *pg = base + k * 4096;

		if (page_exclusive(pg))
			return 200 + k;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			spin_at((unsigned long)pg + 64, SPIN_LOOPS);
		} while (page_exclusive(pg) != 1 && since(&t0) < limit);
		own += page_exclusive(pg) == 1;
		for (j = 64; j < 4096; j++)
			bad |= pg[j] != (char)(k + j);
	}
	return own + (bad ? 100 : 0);
}

/*
 * Right after fork(), every stack page is copy-on-write in both processes:
 * the first write to one, here the frame of an interrupt that the CPU
 * pushes in ring 0, faults. In a child and then in the parent, every page
 * must be copied this way, the data above ESP intact, and the other
 * process's copy unchanged. A second child that only waits keeps the
 * parent's pages shared (else they would be the parent's own again once
 * the first child has its copies, and only write-protected).
 */
TEST(cow_stack_after_fork)
{
	volatile char area[(COW_PAGES + 2) * 4096];
	char *base = (char *)(((uintptr_t)area + 4096) & ~4095UL);
	double limit = kml_expected_cpl() == 0 ? 5 : 0;
	int want = kml_expected_cpl() == 0 ? COW_PAGES : 0;
	int status, k, j, r, bad = 0, go[2];
	pid_t pid, holder;
	char c;

	for (k = 0; k < COW_PAGES; k++)
		for (j = 0; j < 4096; j++)
			base[k * 4096 + j] = (char)(k + j);
	for (k = 0; k < COW_PAGES; k++)
		ASSERT_EQ(1, page_exclusive(base + k * 4096));
	ASSERT_EQ(0, pipe(go));
	holder = fork();
	ASSERT_LE(0, holder);
	if (holder == 0)
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(cow_rounds(base, limit));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* The child's frames did not reach the parent's copy. */
	for (k = 0; k < COW_PAGES; k++)
		for (j = 0; j < 64; j++)
			bad += base[k * 4096 + j] != (char)(k + j);
	r = cow_rounds(base, limit);
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(holder, waitpid(holder, NULL, 0));
	ASSERT_TRUE(WIFEXITED(status));
	TH_LOG("pages copied by an event frame: child %d, parent %d of %d",
	       WEXITSTATUS(status) % 100, r % 100, COW_PAGES);
	EXPECT_EQ(want, WEXITSTATUS(status));
	EXPECT_EQ(want, r);
	EXPECT_EQ(0, bad);
	close(go[0]);
	close(go[1]);
}
#endif

TEST_HARNESS_MAIN
