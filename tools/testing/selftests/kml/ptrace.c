// SPDX-License-Identifier: GPL-2.0
/*
 * ptrace of a KML process by a tracer with CAP_SYS_PTRACE (the test runs
 * as root; a trusted exec is not dumpable, so nobody else may trace it,
 * see policy.c). The tracees are children of this program, at its
 * privilege level, and copies of kml_peer from the trusted directory and
 * from an ordinary one.
 *
 * The registers a tracer sees and sets are the user view: CS and SS read
 * as __USER_CS (0x33) and __USER_DS (0x2b) even for a tracee that runs in
 * ring 0 (the kernel keeps the user view in pt_regs and the exit code
 * loads the kernel selectors), and the kernel refuses to set any selector
 * with a privilege level other than 3 (EIO), so a tracer cannot move a
 * tracee into ring 0, or a ring-0 tracee out of it. The GS base reads 0:
 * a KML program has none of its own (both GS bases hold the kernel's
 * per-CPU base while it runs), and SETREGS takes back what GETREGS gave.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"
#include "kml_regs.h"

#define STR2(x)		#x
#define STR(x)		STR2(x)

#define NEW_R12		0x0badc0de12121212ULL
#define RCX_MAGIC	0x00c0ffee00c0ffeeULL
#define POKE_MAGIC	0x706f6b6564212121ULL

static uint64_t get_fs_base(void)
{
	uint64_t base = 0;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &base);
	return base;
}

static int wait_stop(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, __WALL) != pid)
		return -1;
	return status;
}

static int exit_code(pid_t pid)
{
	int status = wait_stop(pid);

	if (status == -1)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : 2000;
}

TEST(runs_at_expected_cpl)
{
	TH_LOG("CPL %u, expected %u", kml_cpl(), kml_expected_cpl());
	ASSERT_EQ(kml_expected_cpl(), kml_cpl());
}

/* The tracee of the register tests: known registers in a loop. */
static struct kml_regs tracee_in;

static void fill_tracee_in(void)
{
	kml_regs_fill(&tracee_in, 0x7072616365000000ULL);
}

static noinline void spin_tracee(void)
{
	struct kml_regs want, out;

	want = tracee_in;
	want.r12 = NEW_R12;
	want.flags &= ~0x401UL;		/* the tracer clears CF and DF */
	kml_regs_spin(&tracee_in, &out);
	if (out.rcx != RCX_MAGIC)
		printf("# rcx %#llx\n", (unsigned long long)out.rcx);
	_exit(kml_regs_diff(&want, &out, 1U << 2) || out.rcx != RCX_MAGIC ? 1 : 0);
}

static bool in_spin_loop(uint64_t rip)
{
	return rip >= (uint64_t)kml_regs_spin_loop &&
	       rip < (uint64_t)kml_regs_spin_loop_end;
}

/* Attach with PTRACE_ATTACH; stopped inside the loop, or detach and retry. */
static int attach_in_loop(pid_t pid, struct user_regs_struct *regs)
{
	int i, status;

	for (i = 0; i < 200; i++) {
		if (ptrace(PTRACE_ATTACH, pid, NULL, NULL))
			return -1;
		status = wait_stop(pid);
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP)
			return -2;
		if (ptrace(PTRACE_GETREGS, pid, NULL, regs))
			return -3;
		if (in_spin_loop(regs->rip))
			return 0;
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		usleep(10000);
	}
	return -4;
}

TEST(attach_getregs_setregs)
{
	struct user_regs_struct regs, orig;
	const struct kml_regs *r = &tracee_in;
	pid_t pid;

	fill_tracee_in();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		spin_tracee();

	ASSERT_EQ(0, attach_in_loop(pid, &regs));
	/* Every register as the tracee loaded it. */
	EXPECT_EQ(r->rax, regs.rax);
	EXPECT_EQ(r->rbx, regs.rbx);
	EXPECT_EQ(0, regs.rcx);
	EXPECT_EQ(r->rdx, regs.rdx);
	EXPECT_EQ(r->rsi, regs.rsi);
	EXPECT_EQ(r->rdi, regs.rdi);
	EXPECT_EQ(r->rbp, regs.rbp);
	EXPECT_EQ(r->r8, regs.r8);
	EXPECT_EQ(r->r9, regs.r9);
	EXPECT_EQ(r->r10, regs.r10);
	EXPECT_EQ(r->r11, regs.r11);
	EXPECT_EQ(r->r12, regs.r12);
	EXPECT_EQ(r->r13, regs.r13);
	EXPECT_EQ(r->r14, regs.r14);
	EXPECT_EQ(r->r15, regs.r15);
	EXPECT_EQ(KML_FLAGS_PATTERN, regs.eflags & ~0x10000ULL);
	/* The user view of the selectors, whatever the CPL. */
	EXPECT_EQ(KML_USER_CS, regs.cs);
	EXPECT_EQ(KML_USER_DS, regs.ss);
	EXPECT_EQ(0, regs.ds);
	EXPECT_EQ(0, regs.es);
	EXPECT_EQ(0, regs.fs);
	EXPECT_EQ(0, regs.gs);
	EXPECT_EQ(get_fs_base(), regs.fs_base);
	/* No GS base of its own, although both hold the kernel's in ring 0. */
	EXPECT_EQ(0, regs.gs_base);

	/* What GETREGS gave, SETREGS takes back. */
	orig = regs;
	EXPECT_EQ(0, ptrace(PTRACE_SETREGS, pid, NULL, &regs)) {
		TH_LOG("SETREGS of the GETREGS result: %s", strerror(errno));
	}

	/* No selector with another privilege level than 3. */
	regs.cs = KML_KERNEL_CS;
	EXPECT_EQ(-1, ptrace(PTRACE_SETREGS, pid, NULL, &regs));
	EXPECT_EQ(EIO, errno);
	regs = orig;
	regs.ss = KML_KERNEL_DS;
	EXPECT_EQ(-1, ptrace(PTRACE_SETREGS, pid, NULL, &regs));
	EXPECT_EQ(EIO, errno);

	/* Leave the loop with a changed R12 and RFLAGS. */
	regs = orig;
	regs.r12 = NEW_R12;
	regs.rcx = RCX_MAGIC;
	regs.rip = (uint64_t)kml_regs_spin_loop_end;
	regs.eflags &= ~0x401ULL;
	EXPECT_EQ(0, ptrace(PTRACE_SETREGS, pid, NULL, &regs)) {
		TH_LOG("SETREGS: %s", strerror(errno));
	}
	memset(&regs, 0, sizeof(regs));
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ(NEW_R12, regs.r12);
	EXPECT_EQ((uint64_t)kml_regs_spin_loop_end, regs.rip);
	EXPECT_EQ(KML_USER_CS, regs.cs);
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, pid, NULL, NULL));
	EXPECT_EQ(0, exit_code(pid));
}

/* PTRACE_SEIZE, PTRACE_INTERRUPT, PEEKDATA/POKEDATA, PEEKTEXT. */
static volatile uint64_t poke_word;

static noinline void poke_tracee(void)
{
	while (!poke_word)
		asm volatile("pause" ::: "memory");
	_exit(poke_word == POKE_MAGIC && kml_cpl() == kml_expected_cpl() ? 0 : 1);
}

TEST(seize_peek_poke)
{
	long word, text;
	int status;
	pid_t pid;

	poke_word = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		poke_tracee();

	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, pid, NULL, NULL));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, pid, NULL, NULL));
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status));
	EXPECT_EQ(PTRACE_EVENT_STOP, status >> 16);

	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, pid, &poke_word, NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(0, word);
	text = ptrace(PTRACE_PEEKTEXT, pid, (void *)poke_tracee, NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(*(long *)poke_tracee, text);
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, &poke_word, (void *)POKE_MAGIC));
	EXPECT_EQ((long)POKE_MAGIC, ptrace(PTRACE_PEEKDATA, pid, &poke_word, NULL));
	EXPECT_EQ(0, poke_word);	/* ours is another copy */

	ASSERT_EQ(0, ptrace(PTRACE_DETACH, pid, NULL, NULL));
	EXPECT_EQ(0, exit_code(pid));
}

/*
 * PTRACE_SYSCALL: entry and exit stops of system calls made by the SYSCALL
 * instruction; the tracer changes a result at an exit stop and a system
 * call number at an entry stop.
 */
static noinline __attribute__((naked)) long sc_getppid(void)
{
	asm("	movl	$" STR(SYS_getppid) ", %eax\n"
	    "	syscall\n"
	    "	.globl sc_after\n"
	    "sc_after:\n"
	    "	ret\n");
}

static noinline void syscall_tracee(void)
{
	long a, b;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(10);
	raise(SIGSTOP);
	a = sc_getppid();		/* the tracer makes it 0x12345 */
	b = sc_getppid();		/* the tracer makes it gettid() */
	_exit(a == 0x12345 && b == syscall(SYS_gettid) ? 0 : 1);
}

/* Run to the next system call stop of getppid; 1 at entry, 2 at exit. */
static int next_getppid_stop(pid_t pid, struct user_regs_struct *regs)
{
	struct __ptrace_syscall_info info;
	int status, i;

	for (i = 0; i < 1000; i++) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL))
			return -1;
		status = wait_stop(pid);
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80))
			return -2;
		if (ptrace(PTRACE_GETREGS, pid, NULL, regs))
			return -3;
		if (regs->orig_rax != SYS_getppid)
			continue;
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) <= 0)
			return -5;
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == SYS_getppid)
			return 1;
		if (info.op == PTRACE_SYSCALL_INFO_EXIT)
			return info.exit.rval == (int64_t)regs->rax ? 2 : -6;
		return -7;
	}
	return -4;
}

static int setregs(pid_t pid, struct user_regs_struct *regs)
{
	return ptrace(PTRACE_SETREGS, pid, NULL, regs);
}

TEST(syscall_entry_and_exit_stops)
{
	struct user_regs_struct regs;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		syscall_tracee();
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL, PTRACE_O_TRACESYSGOOD));

	/* First call: entry, then exit, where the tracer changes the result. */
	ASSERT_EQ(1, next_getppid_stop(pid, &regs));
	EXPECT_EQ(KML_LABEL(sc_after), regs.rip);
	EXPECT_EQ(KML_LABEL(sc_after), regs.rcx);
	EXPECT_EQ(KML_USER_CS, regs.cs);
	EXPECT_EQ(KML_USER_DS, regs.ss);
	ASSERT_EQ(2, next_getppid_stop(pid, &regs));
	EXPECT_EQ(getpid(), (pid_t)regs.rax);
	EXPECT_EQ(KML_LABEL(sc_after), regs.rip);
	regs.rax = 0x12345;
	EXPECT_EQ(0, setregs(pid, &regs));

	/* Second call: the tracer turns it into gettid at the entry. */
	ASSERT_EQ(1, next_getppid_stop(pid, &regs));
	regs.orig_rax = SYS_gettid;
	EXPECT_EQ(0, setregs(pid, &regs));
	ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, NULL, NULL));
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80));
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ(SYS_gettid, regs.orig_rax);
	EXPECT_EQ(pid, (pid_t)regs.rax);

	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	EXPECT_EQ(0, exit_code(pid));
}

/*
 * PTRACE_SINGLESTEP through a known sequence: arithmetic, a jump, a call
 * and return, and a SYSCALL (whose exit the kernel reports as the step).
 */
static noinline __attribute__((naked)) long ss_seq(void)
{
	asm("	int3\n"
	    "	.globl ss_0, ss_1, ss_2, ss_3, ss_4, ss_5, ss_6, ss_7, ss_8, ss_9\n"
	    "	.globl ss_sub, ss_sub_ret\n"
	    "ss_0:	movl	$1, %eax\n"
	    "ss_1:	addl	$2, %eax\n"
	    "ss_2:	xorl	%ecx, %ecx\n"
	    "ss_3:	incl	%ecx\n"
	    "ss_4:	jmp	ss_5\n"
	    "	ud2\n"
	    "ss_5:	call	ss_sub\n"
	    "ss_6:	movl	$" STR(SYS_getpid) ", %eax\n"
	    "ss_7:	syscall\n"
	    "ss_8:	movq	%rax, %rdx\n"
	    "ss_9:	movq	%rdx, %rax\n"
	    "	ret\n"
	    "ss_sub:	addl	$4, %eax\n"
	    "ss_sub_ret:\n"
	    "	ret\n");
}

static noinline void step_tracee(void)
{
	long r;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(10);
	raise(SIGSTOP);
	r = ss_seq();
	_exit(r == getpid() && kml_cpl() == kml_expected_cpl() ? 0 : 1);
}

/*
 * Let a tracee stopped by its raise(SIGSTOP) run to the int3 that starts
 * its sequence; its registers there. 0, or -1 if it stopped otherwise.
 */
static int run_to_int3(pid_t pid, struct user_regs_struct *regs)
{
	int status;

	status = wait_stop(pid);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP ||
	    ptrace(PTRACE_CONT, pid, NULL, NULL))
		return -1;
	status = wait_stop(pid);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP)
		return -1;
	return ptrace(PTRACE_GETREGS, pid, NULL, regs) ? -1 : 0;
}

/* One PTRACE_SINGLESTEP; the registers after it. 0, or -1. */
static int step(pid_t pid, struct user_regs_struct *regs)
{
	int status;

	if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL))
		return -1;
	status = wait_stop(pid);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP)
		return -1;
	return ptrace(PTRACE_GETREGS, pid, NULL, regs) ? -1 : 0;
}

TEST(singlestep)
{
	const uint64_t want[] = {
		KML_LABEL(ss_1), KML_LABEL(ss_2), KML_LABEL(ss_3),
		KML_LABEL(ss_4), KML_LABEL(ss_5), KML_LABEL(ss_sub),
		KML_LABEL(ss_sub_ret), KML_LABEL(ss_6), KML_LABEL(ss_7),
		KML_LABEL(ss_8), KML_LABEL(ss_9),
	};
	struct user_regs_struct regs;
	siginfo_t si;
	int i;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		step_tracee();
	ASSERT_EQ(0, run_to_int3(pid, &regs));
	ASSERT_EQ(KML_LABEL(ss_0), regs.rip);

	for (i = 0; i < (int)ARRAY_SIZE(want); i++) {
		ASSERT_EQ(0, step(pid, &regs));
		EXPECT_EQ(want[i], regs.rip) {
			TH_LOG("step %d: rip %#llx, want %#llx", i + 1,
			       (unsigned long long)regs.rip,
			       (unsigned long long)want[i]);
		}
		EXPECT_EQ(KML_USER_CS, regs.cs);
		EXPECT_EQ(0, regs.eflags & 0x100);	/* TF is the tracer's */
		if (want[i] == KML_LABEL(ss_4))
			EXPECT_EQ(1, regs.rcx);
		if (want[i] == KML_LABEL(ss_sub_ret))
			EXPECT_EQ(7, regs.rax);
		if (want[i] == KML_LABEL(ss_8))
			EXPECT_EQ(pid, (pid_t)regs.rax);
		if (i == 0) {
			ASSERT_EQ(0, ptrace(PTRACE_GETSIGINFO, pid, NULL, &si));
			EXPECT_EQ(SIGTRAP, si.si_signo);
			EXPECT_EQ(TRAP_TRACE, si.si_code);
		}
	}
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	EXPECT_EQ(0, exit_code(pid));
}

/*
 * PTRACE_SINGLESTEP over a call of the direct entry (in RDI): the call and
 * the system call are one step, reported on the way out of the system
 * call at the entry's return point; the next step is back in the caller.
 */
static noinline __attribute__((naked)) long ds_seq(unsigned long entry)
{
	asm("	int3\n"
	    "	.globl ds_0, ds_1, ds_2, ds_3, ds_4\n"
	    "ds_0:	movl	$" STR(SYS_getpid) ", %eax\n"
	    "ds_1:	subq	$128, %rsp\n"
	    "ds_2:	call	*%rdi\n"
	    "ds_3:	addq	$128, %rsp\n"
	    "ds_4:	ret\n");
}

static noinline void direct_step_tracee(unsigned long entry)
{
	long r;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(10);
	raise(SIGSTOP);
	r = ds_seq(entry);
	_exit(r == getpid() ? 0 : 1);
}

TEST(singlestep_direct_entry)
{
	const uint64_t want[] = {
		KML_LABEL(ds_1), KML_LABEL(ds_2), 0, KML_LABEL(ds_3),
		KML_LABEL(ds_4),
	};
	unsigned long entry = getauxval(AT_SYSINFO);
	struct user_regs_struct regs;
	int i;
	pid_t pid;

	if (!entry)
		SKIP(return, "no direct entry: the process runs in ring 3");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		direct_step_tracee(entry);
	ASSERT_EQ(0, run_to_int3(pid, &regs));
	ASSERT_EQ(KML_LABEL(ds_0), regs.rip);

	for (i = 0; i < (int)ARRAY_SIZE(want); i++) {
		ASSERT_EQ(0, step(pid, &regs));
		TH_LOG("step %d: rip %#llx, rax %lld", i + 1,
		       (unsigned long long)regs.rip, (long long)regs.rax);
		if (want[i]) {
			EXPECT_EQ(want[i], regs.rip);
			continue;
		}
		/* The system call done, at the entry's return point. */
		EXPECT_LE(0xff00000000000000UL, regs.rip);
		EXPECT_GT(entry, regs.rip);
		EXPECT_EQ(pid, (pid_t)regs.rax);
	}
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	EXPECT_EQ(0, exit_code(pid));
}

/* An int3 breakpoint the tracer writes into the tracee's text. */
static noinline __attribute__((naked)) long bp_func(void)
{
	asm("	movl	$0x1234, %eax\n"
	    "	ret\n");
}

static noinline void bp_tracee(void)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(10);
	raise(SIGSTOP);
	_exit(bp_func() == 0x1234 && bp_func() == 0x1234 ? 0 : 1);
}

TEST(int3_breakpoint)
{
	struct user_regs_struct regs;
	long orig, mine = *(long *)bp_func;
	siginfo_t si;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		bp_tracee();
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);

	errno = 0;
	orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)bp_func, NULL);
	ASSERT_EQ(0, errno);
	EXPECT_EQ(mine, orig);
	ASSERT_EQ(0, ptrace(PTRACE_POKETEXT, pid, (void *)bp_func,
			    (void *)((orig & ~0xffL) | 0xcc)));
	EXPECT_EQ(mine, *(long *)bp_func);	/* our text is untouched */

	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status));
	EXPECT_EQ(SIGTRAP, WSTOPSIG(status));
	ASSERT_EQ(0, ptrace(PTRACE_GETSIGINFO, pid, NULL, &si));
	EXPECT_EQ(SIGTRAP, si.si_signo);
	EXPECT_EQ(SI_KERNEL, si.si_code);
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ((uint64_t)bp_func + 1, regs.rip);
	EXPECT_EQ(KML_USER_CS, regs.cs);

	/* Put the instruction back, back RIP up, continue. */
	ASSERT_EQ(0, ptrace(PTRACE_POKETEXT, pid, (void *)bp_func, (void *)orig));
	regs.rip = (uint64_t)bp_func;
	ASSERT_EQ(0, setregs(pid, &regs));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	EXPECT_EQ(0, exit_code(pid));
}

/*
 * Hardware breakpoints through the debug registers: an instruction
 * breakpoint and a write watchpoint, which the CPU raises at any privilege
 * level; the tracee gets them as SIGTRAP (TRAP_HWBKPT) in ring 0 too.
 */
static volatile uint64_t watched;

static noinline void hw_tracee(void)
{
	long r;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(10);
	raise(SIGSTOP);
	r = bp_func();
	watched = 5;
	_exit(r == 0x1234 && watched == 5 ? 0 : 1);
}

#define DR_OFF(n)	offsetof(struct user, u_debugreg[n])

TEST(hardware_breakpoint_and_watchpoint)
{
	/* L0: execute, 1 byte; L1: write, 8 bytes. */
	const unsigned long dr7 = 1UL | 4UL | 1UL << 20 | 3UL << 22;
	struct user_regs_struct regs;
	siginfo_t si;
	long dr6;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		hw_tracee();
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(0), bp_func));
	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(1), &watched));
	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(7), dr7));

	/* The instruction breakpoint: a fault, RIP at the instruction. */
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP);
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ((uint64_t)bp_func, regs.rip);
	EXPECT_EQ(KML_USER_CS, regs.cs);
	ASSERT_EQ(0, ptrace(PTRACE_GETSIGINFO, pid, NULL, &si));
	EXPECT_EQ(TRAP_HWBKPT, si.si_code);
	EXPECT_EQ((void *)bp_func, si.si_addr);
	errno = 0;
	dr6 = ptrace(PTRACE_PEEKUSER, pid, DR_OFF(6), NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(1, dr6 & 3);

	/* The watchpoint: a trap after the store. */
	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(7), dr7 & ~1UL));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP);
	errno = 0;
	EXPECT_EQ(5, ptrace(PTRACE_PEEKDATA, pid, &watched, NULL));
	ASSERT_EQ(0, ptrace(PTRACE_GETSIGINFO, pid, NULL, &si));
	EXPECT_EQ(TRAP_HWBKPT, si.si_code);
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ((void *)regs.rip, si.si_addr);	/* x86: the RIP */
	EXPECT_EQ(KML_USER_CS, regs.cs);
	dr6 = ptrace(PTRACE_PEEKUSER, pid, DR_OFF(6), NULL);
	EXPECT_EQ(2, dr6 & 3);

	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(7), 0));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	EXPECT_EQ(0, exit_code(pid));
}

/*
 * Trace the exec of kml_peer copies: the tracer (root: CAP_SYS_PTRACE)
 * does not keep the trusted copy out of ring 0; then attach to one that
 * runs.
 */

static void trace_peer(struct __test_metadata *_metadata, const char *path,
		       unsigned int peer_cpl)
{
	struct user_regs_struct regs;
	char line[32], want[32];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(10);
		execl(path, path, "spin", NULL);
		_exit(127);
	}
	close(fds[1]);
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP);
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ(KML_USER_CS, regs.cs);
	EXPECT_EQ(KML_USER_DS, regs.ss);
	if (!kml_baseline())
		EXPECT_EQ(peer_cpl == 0, kml_status_kernel_mode(pid));
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, pid, NULL, NULL));
	n = read(fds[0], line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "cpl=%u\n", peer_cpl);
	EXPECT_STREQ(want, line);

	/* PTRACE_ATTACH to the running peer. */
	ASSERT_EQ(0, ptrace(PTRACE_ATTACH, pid, NULL, NULL));
	status = wait_stop(pid);
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ(KML_USER_CS, regs.cs);
	EXPECT_EQ(KML_USER_DS, regs.ss);
	EXPECT_EQ(0, setregs(pid, &regs));
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, pid, NULL, NULL));
	kill(pid, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, exit_code(pid));
	close(fds[0]);
}

TEST(trace_trusted_and_ordinary_exec)
{
	char tpeer[PATH_MAX], opeer[PATH_MAX];

	if (geteuid() != 0)
		SKIP(return, "needs root (CAP_SYS_PTRACE, the trusted directory)");
	ASSERT_EQ(0, kml_install_pair("kml_peer", "kml-ptrace", tpeer, opeer));

	trace_peer(_metadata, tpeer, kml_trusted_cpl());
	trace_peer(_metadata, opeer, 3);
}

TEST_HARNESS_MAIN
