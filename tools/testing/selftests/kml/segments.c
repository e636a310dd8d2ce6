// SPDX-License-Identifier: GPL-2.0
/*
 * The segment selectors and privilege level of a KML process, as the
 * program reads them, as a signal handler's ucontext reports them, and as
 * a ptrace tracer's PTRACE_GETREGS reports them. The program itself sees
 * the hardware (ring 0 from the trusted directory); the kernel's views
 * always show the user selectors.
 */
#include <asm/prctl.h>
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

TEST(selectors)
{
	unsigned int cpl = kml_expected_cpl();

	TH_LOG("CPL %u, expected %u", kml_cpl(), cpl);
	EXPECT_EQ(cpl, kml_cpl());
	EXPECT_EQ(cpl ? KML_USER_CS : KML_KERNEL_CS, READ_SEG(cs));
	EXPECT_EQ(cpl ? KML_USER_DS : KML_KERNEL_DS, READ_SEG(ss));
	EXPECT_EQ(0, READ_SEG(ds));
	EXPECT_EQ(0, READ_SEG(es));
	EXPECT_EQ(0, READ_SEG(fs));
	EXPECT_EQ(0, READ_SEG(gs));
}

static volatile uint64_t uc_csgsfs;
static volatile unsigned int handler_cpl = 99;

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	uc_csgsfs = uc->uc_mcontext.gregs[REG_CSGSFS];
	handler_cpl = kml_cpl();
}

TEST(signal_ucontext)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, raise(SIGUSR1));
	/* The handler runs at the program's privilege level ... */
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
	/* ... and its ucontext holds the user view: cs, gs, fs, ss. */
	EXPECT_EQ(KML_USER_CS, uc_csgsfs & 0xffff);
	EXPECT_EQ(0, (uc_csgsfs >> 16) & 0xffff);
	EXPECT_EQ(0, (uc_csgsfs >> 32) & 0xffff);
	EXPECT_EQ(KML_USER_DS, uc_csgsfs >> 48);
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
	EXPECT_EQ(KML_USER_CS, regs.cs);
	EXPECT_EQ(KML_USER_DS, regs.ss);
	EXPECT_EQ(0, regs.ds);
	EXPECT_EQ(0, regs.es);
	EXPECT_EQ(0, regs.fs);
	EXPECT_EQ(0, regs.gs);
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

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

TEST_HARNESS_MAIN
