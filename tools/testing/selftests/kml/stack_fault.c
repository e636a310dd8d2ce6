// SPDX-License-Identifier: GPL-2.0
/*
 * Stack faults of a KML process: a process in ring 0 takes its faults and
 * interrupts without a stack switch by the CPU, so these check that none
 * of them lands on its user stack. Growth by deep recursion and by large
 * arrays, an overflow past RLIMIT_STACK caught on an alternate signal
 * stack, and the 128-byte red zone below the stack pointer kept intact
 * across timer interrupts and page faults.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
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
	ASSERT_NE(NULL, ss.ss_sp);
	ASSERT_EQ(0, sigaltstack(&ss, NULL));
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	ASSERT_EQ(0, setrlimit(RLIMIT_STACK, &rl));

	if (sigsetjmp(overflow_jmp, 1) == 0) {
		recurse_forever(0);
		ASSERT_TRUE(false);
	}
	EXPECT_EQ(kml_expected_cpl(), overflow_handler_cpl);
}

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

/* Local timer interrupts so far, all CPUs (the LOC line of /proc/interrupts). */
static long timer_interrupts(void)
{
	char line[1024], *p, *end;
	long sum = -1, v;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "LOC:", 4))
			continue;
		sum = 0;
		for (p += 4; (v = strtol(p, &end, 10)), end != p; p = end)
			sum += v;
		break;
	}
	fclose(f);
	return sum;
}

TEST(red_zone_survives_interrupts_and_faults)
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

		ASSERT_NE(MAP_FAILED, pages);
		mismatches += redzone_spin(64 * npages, pages, npages);
		EXPECT_EQ(1, pages[(npages - 1) * 4096]);
		munmap(pages, npages * 4096);
		ticks = timer_interrupts() - start;
	}
	TH_LOG("%d chunks, %ld timer interrupts, %lu page faults", chunk,
	       ticks, chunk * npages);
	EXPECT_EQ(0, mismatches);
	EXPECT_LE(1000, ticks);
}

TEST_HARNESS_MAIN
