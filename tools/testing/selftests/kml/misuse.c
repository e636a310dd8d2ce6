// SPDX-License-Identifier: GPL-2.0
/*
 * What a program in ring 0 can get wrong without breaking the kernel: the
 * things a ring-3 program may do and that ring 0 lets through, which the
 * upstream x86 selftests do on purpose.
 *
 *  - load a GS selector or write the GS base: the kernel keeps its own GS
 *    base (every entry and exit executes SWAPGS);
 *  - put a non-canonical or kernel-half address in RSP, by itself or through
 *    sigreturn, and take an exception: it is a fault of the program;
 *  - clear IF (CLI works in ring 0): the next entry into the kernel sets it
 *    again, and the kernel never sees a user frame with IF clear;
 *  - INT $1 (open to ring 0): a SIGTRAP, as for ICEBP in ring 3.
 *
 * On IA-32 (a 32-bit kernel) the must-nots differ: a trusted program must
 * not load CS, SS or FS, nor point ESP into the kernel half, where the CPU
 * itself would push event frames. What applies there:
 *
 *  - load GS (glibc's TLS selector) with another data selector, and make
 *    system calls: the kernel keeps it and needs none of its own there;
 *  - point ESP at an unmapped page and take an exception (int3, a push,
 *    sigreturn with such an ESP): in ring 0 the CPU cannot push the frame
 *    and double-faults; that becomes the program's SIGSEGV;
 *  - CLI and INT $1, as on x86-64.
 *
 * Each test ends with the program still working: system calls, a page
 * fault, a signal and some timer interrupts. A kernel without this support
 * crashes or warns, which the test runner counts as a failure.
 */
#ifdef __x86_64__
#include <asm/hwcap2.h>
#endif
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#ifdef __x86_64__
#define BAD_RSP		0x8badf00d5aadc0deUL	/* as upstream's sigreturn test */
#define KERNEL_RSP	0xffff888000001000UL	/* canonical, kernel half */
#define REG_SP		REG_RSP
#else
/* A user address below the program, never mapped (mmap_min_addr). */
#define UNMAPPED_ESP	0x1000UL
#define REG_SP		REG_ESP
#endif
#define X86_EFLAGS_IF	0x200UL

static sigjmp_buf jump_back;
static volatile int last_signal;
static volatile uint64_t signal_rsp;
static volatile int usr1_seen;

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	last_signal = sig;
	signal_rsp = (unsigned long)uc->uc_mcontext.gregs[REG_SP];
	siglongjmp(jump_back, 1);
}

static void on_usr1(int sig)
{
	usr1_seen = 1;
}

static void catch_on_altstack(int sig)
{
	struct sigaction sa = {
		.sa_sigaction = on_signal,
		.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER,
	};

	sigaction(sig, &sa, NULL);
}

static void setup(void)
{
	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };

	sigaltstack(&ss, NULL);
	catch_on_altstack(SIGTRAP);
	catch_on_altstack(SIGSEGV);
	catch_on_altstack(SIGBUS);
	signal(SIGUSR1, on_usr1);
	last_signal = 0;
}

static unsigned long read_flags(void)
{
	unsigned long flags;

	asm volatile("pushf; pop %0" : "=r" (flags));
	return flags;
}

/*
 * After the misdeed: system calls (SYSCALL or INT $0x80, and the library),
 * a page fault
 * on a fresh page, a signal, and ~50 ms of running with timer interrupts.
 * Returns 0 if everything worked.
 */
static int still_working(void)
{
	struct timespec t0, t;
	volatile char *page;
	long ppid;

#ifdef __x86_64__
	asm volatile("syscall" : "=a" (ppid) : "0" ((long)SYS_getppid)
		     : "rcx", "r11", "memory");
#else
	asm volatile("int $0x80" : "=a" (ppid) : "0" ((long)SYS_getppid)
		     : "memory");
#endif
	if (ppid != getppid())
		return 1;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 2;
	page[100] = 42;
	if (page[100] != 42 || munmap((void *)page, 4096))
		return 3;
	usr1_seen = 0;
	raise(SIGUSR1);
	if (!usr1_seen)
		return 4;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec <
	       50000000L);
	return 0;
}

#ifdef __x86_64__
TEST(gs_null_selector)
{
	setup();
	TH_LOG("CPL %u", kml_cpl());
	asm volatile("mov %0, %%gs" : : "r" (0) : "memory");
	EXPECT_EQ(0, still_working());
	sched_yield();
	EXPECT_EQ(0, still_working());
}

TEST(gs_user_selector)
{
	unsigned short gs;

	setup();
	asm volatile("mov %0, %%gs" : : "r" (KML_USER_DS) : "memory");
	asm volatile("mov %%gs, %0" : "=r" (gs));
	EXPECT_EQ(KML_USER_DS, gs);
	EXPECT_EQ(0, still_working());
	sched_yield();
	EXPECT_EQ(0, still_working());
}

TEST(wrgsbase)
{
	uint64_t base = 0x12345000, now;

	if (!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE))
		SKIP(return, "this CPU model has no FSGSBASE instructions");
	setup();
	asm volatile("wrgsbase %0" : : "r" (base) : "memory");
	asm volatile("rdgsbase %0" : "=r" (now));
	EXPECT_EQ(base, now);
	EXPECT_EQ(0, still_working());
	/* Ring 3 keeps it; ring 0 may have it reset by a context switch. */
	asm volatile("rdgsbase %0" : "=r" (now));
	if (kml_cpl())
		EXPECT_EQ(base, now);
	asm volatile("wrgsbase %0" : : "r" (0UL) : "memory");
	sched_yield();
	EXPECT_EQ(0, still_working());
}
#else
/*
 * GS with __USER_DS instead of glibc's TLS selector across system calls
 * and a yield (raw INT $0x80: glibc needs its GS); the kernel keeps it.
 */
TEST(gs_user_selector)
{
	unsigned short saved, gs_after_syscall, gs_after_yield;
	long ppid, yield;

	setup();
	TH_LOG("CPL %u", kml_cpl());
	asm volatile("mov %%gs, %0" : "=r" (saved));
	asm volatile("movw %w[ds], %%gs\n\t"
		     "int $0x80\n\t"
		     "movl %%eax, %[ppid]\n\t"
		     "movw %%gs, %[a]\n\t"
		     "movl %[nr], %%eax\n\t"
		     "int $0x80\n\t"
		     "movw %%gs, %[b]\n\t"
		     "movw %[saved], %%gs"
		     : "=&a" (yield), [ppid] "=m" (ppid),
		       [a] "=m" (gs_after_syscall), [b] "=m" (gs_after_yield)
		     : "0" ((long)SYS_getppid), [ds] "r" (KML_USER_DS),
		       [nr] "i" (SYS_sched_yield), [saved] "m" (saved)
		     : "memory");
	EXPECT_EQ(getppid(), ppid);
	EXPECT_EQ(0, yield);
	EXPECT_EQ(KML_USER_DS, gs_after_syscall);
	EXPECT_EQ(KML_USER_DS, gs_after_yield);
	EXPECT_EQ(0, still_working());
}
#endif

#ifdef __x86_64__
/* int3 with \rsp in RSP: a SIGTRAP that reports it, on the altstack. */
static void int3_with_rsp(struct __test_metadata *_metadata, uint64_t rsp)
{
	setup();
	if (!sigsetjmp(jump_back, 1)) {
		asm volatile("mov %0, %%rsp; int3" : : "r" (rsp) : "memory");
		__builtin_unreachable();
	}
	EXPECT_EQ(SIGTRAP, last_signal);
	EXPECT_EQ(rsp, signal_rsp);
	EXPECT_EQ(0, still_working());
}

TEST(noncanonical_rsp)
{
	int3_with_rsp(_metadata, BAD_RSP);
}

TEST(kernel_half_rsp)
{
	int3_with_rsp(_metadata, KERNEL_RSP);
}

/*
 * A push with a non-canonical RSP: #SS or #GP, depending on the CPU (QEMU
 * raises #GP), so SIGBUS or SIGSEGV; in ring 0 as in ring 3.
 */
TEST(noncanonical_rsp_push)
{
	setup();
	if (!sigsetjmp(jump_back, 1)) {
		asm volatile("mov %0, %%rsp; pushq $0" : : "r" (BAD_RSP) : "memory");
		__builtin_unreachable();
	}
	EXPECT_TRUE(last_signal == SIGBUS || last_signal == SIGSEGV)
		TH_LOG("signal %d", last_signal);
	EXPECT_EQ(BAD_RSP, signal_rsp);
	EXPECT_EQ(0, still_working());
}
#else
/*
 * The signal an event at ESP = UNMAPPED_ESP gives: in ring 3 the CPU
 * pushes its frame on the kernel stack, and the event is what it is; in
 * ring 0 it cannot push it, double-faults, and the program gets the
 * SIGSEGV of a fault at the stack.
 */
static int unmapped_esp_signal(int sig)
{
	return kml_cpl() ? sig : SIGSEGV;
}

/* int3 with ESP at an unmapped page, the signal on the altstack. */
TEST(unmapped_esp_int3)
{
	setup();
	if (!sigsetjmp(jump_back, 1)) {
		asm volatile("mov %0, %%esp; int3" : : "r" (UNMAPPED_ESP) : "memory");
		__builtin_unreachable();
	}
	EXPECT_EQ(unmapped_esp_signal(SIGTRAP), last_signal);
	EXPECT_EQ(UNMAPPED_ESP, signal_rsp);
	EXPECT_EQ(0, still_working());
}

/* A push there: SIGSEGV in both rings (in ring 0 through the double fault). */
TEST(unmapped_esp_push)
{
	setup();
	if (!sigsetjmp(jump_back, 1)) {
		asm volatile("mov %0, %%esp; pushl $0" : : "r" (UNMAPPED_ESP) : "memory");
		__builtin_unreachable();
	}
	EXPECT_EQ(SIGSEGV, last_signal);
	EXPECT_EQ(UNMAPPED_ESP, signal_rsp);
	EXPECT_EQ(0, still_working());
}
#endif

/*
 * sigreturn to a bad stack pointer (x86-64: non-canonical, as upstream's
 * sigreturn test; IA-32: unmapped), at an int3.
 */
extern char misuse_int3[];
asm(".pushsection .text\n"
	"misuse_int3: int3\n"
	"ud2\n"
	".popsection");

static void on_usr2(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

#ifdef __x86_64__
	uc->uc_mcontext.gregs[REG_RSP] = BAD_RSP;
	uc->uc_mcontext.gregs[REG_RIP] = (uint64_t)misuse_int3;
#else
	uc->uc_mcontext.gregs[REG_ESP] = UNMAPPED_ESP;
	uc->uc_mcontext.gregs[REG_EIP] = (uintptr_t)misuse_int3;
#endif
}

#ifdef __x86_64__
TEST(sigreturn_noncanonical_rsp)
#else
TEST(sigreturn_unmapped_esp)
#endif
{
	struct sigaction sa = { .sa_sigaction = on_usr2, .sa_flags = SA_SIGINFO };

	setup();
	ASSERT_EQ(0, sigaction(SIGUSR2, &sa, NULL));
	if (!sigsetjmp(jump_back, 1)) {
		raise(SIGUSR2);
		ASSERT_TRUE(0) TH_LOG("sigreturn came back to raise()");
	}
#ifdef __x86_64__
	EXPECT_EQ(SIGTRAP, last_signal);
	EXPECT_EQ(BAD_RSP, signal_rsp);
#else
	EXPECT_EQ(unmapped_esp_signal(SIGTRAP), last_signal);
	EXPECT_EQ(UNMAPPED_ESP, signal_rsp);
#endif
	EXPECT_EQ(0, still_working());
}

/*
 * CLI: #GP in ring 3. In ring 0 it works until the next entry into the
 * kernel, which sees IF set in the user view and returns with IF set.
 */
TEST(cli_then_fault)
{
	volatile char *page;
	unsigned long flags;

	setup();
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(page != MAP_FAILED);
	if (!sigsetjmp(jump_back, 1)) {
		asm volatile("cli; movb $1, (%1); pushf; pop %0"
			     : "=r" (flags) : "r" (page) : "memory");
		ASSERT_EQ(0, kml_cpl()) TH_LOG("CLI worked in ring 3");
		EXPECT_EQ(1, page[0]);
		EXPECT_EQ(X86_EFLAGS_IF, flags & X86_EFLAGS_IF);
	} else {
		EXPECT_NE(0, kml_cpl()) TH_LOG("CLI faulted in ring 0");
		EXPECT_EQ(SIGSEGV, last_signal);
	}
	EXPECT_EQ(X86_EFLAGS_IF, read_flags() & X86_EFLAGS_IF);
	EXPECT_EQ(0, still_working());
}

TEST(cli_then_syscall)
{
	unsigned long flags;
	long ppid;

	setup();
	if (!sigsetjmp(jump_back, 1)) {
#ifdef __x86_64__
		asm volatile("cli; syscall; pushfq; popq %1"
			     : "=a" (ppid), "=r" (flags)
			     : "0" ((long)SYS_getppid) : "rcx", "r11", "memory");
#else
		asm volatile("cli; int $0x80; pushfl; popl %1"
			     : "=a" (ppid), "=r" (flags)
			     : "0" ((long)SYS_getppid) : "memory");
#endif
		ASSERT_EQ(0, kml_cpl()) TH_LOG("CLI worked in ring 3");
		EXPECT_EQ(getppid(), ppid);
		EXPECT_EQ(X86_EFLAGS_IF, flags & X86_EFLAGS_IF);
	} else {
		EXPECT_NE(0, kml_cpl());
		EXPECT_EQ(SIGSEGV, last_signal);
	}
	EXPECT_EQ(0, still_working());
}

/* INT $1: the #DB gate is closed to ring 3 (SIGSEGV), open to ring 0. */
TEST(int1)
{
	setup();
	if (!sigsetjmp(jump_back, 1)) {
		asm volatile("int $1" : : : "memory");
		ASSERT_TRUE(0) TH_LOG("int $1 came back without a signal");
	}
	EXPECT_EQ(kml_cpl() ? SIGSEGV : SIGTRAP, last_signal);
	EXPECT_EQ(0, still_working());
}

TEST_HARNESS_MAIN
