// SPDX-License-Identifier: GPL-2.0
/*
 * The segment selectors and privilege level of a KML process, as the
 * program reads them, as a signal handler's ucontext reports them, and as
 * a ptrace tracer's PTRACE_GETREGS reports them, and that the tracer can
 * write them back (PTRACE_SETREGS). The program itself sees the hardware
 * (ring 0 from the trusted directory); the kernel's views show the user
 * selectors (on IA-32 but for FS in a signal's ucontext, which shows the
 * kernel's per-CPU segment that a KML program's FS holds).
 */
#ifdef __x86_64__
#include <asm/prctl.h>
#else
#include <asm/ldt.h>
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#define READ_SEG(seg) ({					\
	unsigned short __v;					\
	asm volatile("mov %%" #seg ", %0" : "=r" (__v));	\
	__v;							\
})

#ifndef __x86_64__
/*
 * IA-32: DS and ES hold __USER_DS in both rings, GS glibc's TLS segment
 * (GDT entry 6), FS nothing in ring 3 and the kernel's per-CPU segment
 * while a KML program runs (it must not load FS; the kernel's views show
 * it too).
 */
#define KML_KERNEL_PERCPU	0xd8
#define KML_TLS_GS		0x33

static unsigned int expected_fs(unsigned int cpl)
{
	return cpl ? 0 : KML_KERNEL_PERCPU;
}
#endif

TEST(selectors)
{
	unsigned int cpl = kml_expected_cpl();

	TH_LOG("CPL %u, expected %u", kml_cpl(), cpl);
	EXPECT_EQ(cpl, kml_cpl());
	EXPECT_EQ(cpl ? KML_USER_CS : KML_KERNEL_CS, READ_SEG(cs));
	EXPECT_EQ(cpl ? KML_USER_DS : KML_KERNEL_DS, READ_SEG(ss));
#ifdef __x86_64__
	EXPECT_EQ(0, READ_SEG(ds));
	EXPECT_EQ(0, READ_SEG(es));
	EXPECT_EQ(0, READ_SEG(fs));
	EXPECT_EQ(0, READ_SEG(gs));
#else
	EXPECT_EQ(KML_USER_DS, READ_SEG(ds));
	EXPECT_EQ(KML_USER_DS, READ_SEG(es));
	EXPECT_EQ(expected_fs(cpl), READ_SEG(fs));
	EXPECT_EQ(KML_TLS_GS, READ_SEG(gs));
#endif
}

#ifdef __x86_64__
static volatile uint64_t uc_csgsfs;
#else
static volatile unsigned int uc_cs, uc_ss, uc_ds, uc_es, uc_fs, uc_gs;
#endif
static volatile unsigned int handler_cpl = 99;

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

#ifdef __x86_64__
	uc_csgsfs = uc->uc_mcontext.gregs[REG_CSGSFS];
#else
	uc_cs = uc->uc_mcontext.gregs[REG_CS] & 0xffff;
	uc_ss = uc->uc_mcontext.gregs[REG_SS] & 0xffff;
	uc_ds = uc->uc_mcontext.gregs[REG_DS] & 0xffff;
	uc_es = uc->uc_mcontext.gregs[REG_ES] & 0xffff;
	uc_fs = uc->uc_mcontext.gregs[REG_FS] & 0xffff;
	uc_gs = uc->uc_mcontext.gregs[REG_GS] & 0xffff;
#endif
	handler_cpl = kml_cpl();
}

TEST(signal_ucontext)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, raise(SIGUSR1));
	/* The handler runs at the program's privilege level ... */
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
#ifdef __x86_64__
	/* ... and its ucontext holds the user view: cs, gs, fs, ss. */
	EXPECT_EQ(KML_USER_CS, uc_csgsfs & 0xffff);
	EXPECT_EQ(0, (uc_csgsfs >> 16) & 0xffff);
	EXPECT_EQ(0, (uc_csgsfs >> 32) & 0xffff);
	EXPECT_EQ(KML_USER_DS, uc_csgsfs >> 48);
#else
	/* ... and its ucontext holds the user view of CS and SS. */
	EXPECT_EQ(KML_USER_CS, uc_cs);
	EXPECT_EQ(KML_USER_DS, uc_ss);
	EXPECT_EQ(KML_USER_DS, uc_ds);
	EXPECT_EQ(KML_USER_DS, uc_es);
	EXPECT_EQ(expected_fs(kml_expected_cpl()), uc_fs);
	EXPECT_EQ(KML_TLS_GS, uc_gs);
#endif
}

TEST(ptrace_getregs)
{
	struct user_regs_struct regs;
	int status;
	pid_t pid;

	pid = kml_fork_traced();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kml_cpl() == kml_expected_cpl() ? 0 : 2);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
#ifdef __x86_64__
	EXPECT_EQ(KML_USER_CS, regs.cs);
	EXPECT_EQ(KML_USER_DS, regs.ss);
	EXPECT_EQ(0, regs.ds);
	EXPECT_EQ(0, regs.es);
	EXPECT_EQ(0, regs.fs);
	EXPECT_EQ(0, regs.gs);
#else
	EXPECT_EQ(KML_USER_CS, regs.xcs);
	EXPECT_EQ(KML_USER_DS, regs.xss);
	EXPECT_EQ(KML_USER_DS, regs.xds);
	EXPECT_EQ(KML_USER_DS, regs.xes);
	/*
	 * A KML task's FS is the kernel's: ptrace shows the null selector,
	 * which a tracer can write back (the RPL-0 selector would be
	 * refused with EIO, and gdb writes back every register it read).
	 */
	EXPECT_EQ(0, regs.xfs);
	EXPECT_EQ(KML_TLS_GS, regs.xgs);
#endif
	EXPECT_EQ(0, ptrace(PTRACE_SETREGS, pid, NULL, &regs));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

#ifdef __x86_64__
/* A KML task keeps the kernel's GS base: ARCH_SET_GS is refused to it. */
TEST(arch_set_gs)
{
	unsigned long base = 1;
	long r;

	r = syscall(SYS_arch_prctl, ARCH_SET_GS, 0x10000UL);
	if (kml_expected_cpl() == 0) {
		EXPECT_EQ(-1, r);
		EXPECT_EQ(EPERM, errno);
		return;
	}
	EXPECT_EQ(0, r);
	EXPECT_EQ(0, syscall(SYS_arch_prctl, ARCH_GET_GS, &base));
	EXPECT_EQ(0x10000UL, base);
	EXPECT_EQ(0, syscall(SYS_arch_prctl, ARCH_SET_GS, 0UL));
}
#else
/*
 * IA-32: a TLS segment of the program's own (set_thread_area) loaded into
 * GS, at either privilege level, reads its memory and stays loaded across
 * a system call and a signal (whose handler runs with it, as it does in
 * ring 3; the handler calls nothing that needs glibc's TLS).
 */
static volatile unsigned int gs_in_handler;

static void on_usr2(int sig)
{
	gs_in_handler = READ_SEG(gs);
}

TEST(tls_segment_in_gs)
{
	static unsigned int word[2] = { 0x4b4d4c31, 0x4b4d4c32 };
	struct user_desc desc = {
		.entry_number = -1,
		.base_addr = (uintptr_t)word,
		.limit = sizeof(word) - 1,
		.seg_32bit = 1,
	};
	unsigned int first, second;
	unsigned short sel, gs_after, saved = READ_SEG(gs);

	ASSERT_EQ(0, syscall(SYS_set_thread_area, &desc));
	sel = desc.entry_number << 3 | 3;
	signal(SIGUSR2, on_usr2);
	/* glibc needs its own GS: nothing but raw instructions meanwhile. */
	asm volatile("movw %[sel], %%gs\n\t"
		     "movl %%gs:0, %%edx\n\t"
		     "movl %%edx, %[first]\n\t"
		     "movl $20, %%eax\n\t"		/* getpid */
		     "int $0x80\n\t"
		     "movl %%eax, %%ebx\n\t"
		     "movl $37, %%eax\n\t"		/* kill(getpid(), SIGUSR2) */
		     "movl $12, %%ecx\n\t"
		     "int $0x80\n\t"
		     "movl %%gs:4, %%edx\n\t"
		     "movl %%edx, %[second]\n\t"
		     "movw %%gs, %[after]\n\t"
		     "movw %[saved], %%gs"
		     : [first] "=m" (first), [second] "=m" (second),
		       [after] "=m" (gs_after)
		     : [sel] "m" (sel), [saved] "m" (saved)
		     : "eax", "ebx", "ecx", "edx", "memory", "cc");
	EXPECT_EQ(0x4b4d4c31, first);
	EXPECT_EQ(0x4b4d4c32, second);
	EXPECT_EQ(sel, gs_after);
	/* The handler ran with the program's GS, as it does in ring 3. */
	EXPECT_EQ(sel, gs_in_handler);
	signal(SIGUSR2, SIG_DFL);
}
#endif

TEST_HARNESS_MAIN
