// SPDX-License-Identifier: GPL-2.0
/*
 * System calls through the Kernel Mode Linux direct entry that move the
 * stack, or that show the whole register frame to someone else.
 *
 * The direct entry is a function: the CALL that comes to it writes the
 * return address below the caller's stack pointer, and the kernel sees the
 * address of that slot as the user RSP. So:
 *
 *  - vfork, clone with CLONE_VFORK and clone with a new stack cannot work
 *    through it (a vfork child's next CALL overwrites the return address
 *    its parent resumes through; a child on a new stack would begin with a
 *    RET through the top of that stack). Through the direct entry they,
 *    and every clone3, fail with EINVAL: a program uses the SYSCALL
 *    instruction for them, which works (checked here too). A fork-like
 *    clone (no new stack, no CLONE_VFORK) works through it, as fork does.
 *  - rt_sigreturn through it finds the signal frame where the SYSCALL
 *    instruction would: the restorer calls the entry at once, with RSP as
 *    the handler's RET left it, and the interrupted code gets every
 *    register back.
 *  - exit and exit_group through it take the full path: a tracer stopped
 *    at PTRACE_EVENT_EXIT reads the registers the program had, RBX, RBP
 *    and R12-R15 included (the entry otherwise leaves them unsaved).
 *
 * Without a direct entry (ordinary processes, the baseline kernel) the
 * tests of the entry are skipped, and the same checks run by SYSCALL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../../../kml/kml_syscall.h"
#include "kml_util.h"

#define NO_ENTRY	"no direct entry: the process runs in ring 3"

/*
 * No direct entry, where there must be none: the test of the entry is
 * skipped (a process in ring 0 without one fails).
 */
static bool no_entry(struct __test_metadata *_metadata)
{
	if (kml_syscall_entry())
		return false;
	ASSERT_NE(0U, kml_expected_cpl())
	TH_LOG("a process in ring 0 must have the direct entry");
	return true;
}

/* How child @pid ended: its exit code, 1000 + a signal, or -1. */
static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, __WALL) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : -1;
}

/* Exit by the SYSCALL instruction, touching no stack. */
static __attribute__((noreturn)) void exit_by_syscall(int code)
{
	asm volatile("syscall" : : "a" (SYS_exit), "D" (code));
	__builtin_unreachable();
}

/*
 * On a kernel that runs a clone with a new stack through the direct entry,
 * the child starts with the entry's RET, which takes its return address
 * from the top of the new stack: we put this there.
 */
static void popped_from_new_stack(void)
{
	exit_by_syscall(77);
}

#define STACK_SIZE	(64 * 1024)

/* A new stack whose top word is the address of popped_from_new_stack. */
static unsigned long *new_stack_top(void)
{
	unsigned long *p = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p += STACK_SIZE / sizeof(*p) - 2;
	*p = (unsigned long)popped_from_new_stack;
	return p;
}

/* Expect -EINVAL from a clone-like call that the direct entry refuses. */
static void expect_refused(struct __test_metadata *_metadata, const char *what,
			   long r)
{
	int code;

	EXPECT_EQ(-EINVAL, r)
	TH_LOG("%s through the direct entry: expected -EINVAL (use SYSCALL), got %ld",
	       what, r);
	if (r <= 0)
		return;
	code = reap(r);
	TH_LOG("its child ended with %d%s", code,
	       code == 77 ? " (it began by a RET through the top of its new stack)" : "");
}

/*
 * vfork through the direct entry: -EINVAL. Where it is not refused, the
 * child's call of exit through the entry writes its return address over
 * the one the parent resumes through.
 */
TEST(vfork_refused)
{
	long r;

	if (no_entry(_metadata))
		SKIP(return, NO_ENTRY);
	r = kml_syscall0(SYS_vfork);
	if (r == 0) {
		kml_syscall1(SYS_exit, 0);
		/* The child is gone: this is its parent. */
		ASSERT_TRUE(0)
		TH_LOG("vfork through the direct entry: the parent resumed at the child's exit");
	}
	expect_refused(_metadata, "vfork", r);
}

/* clone(CLONE_VM | CLONE_VFORK) through the direct entry: -EINVAL. */
TEST(clone_vfork_refused)
{
	long r;

	if (no_entry(_metadata))
		SKIP(return, NO_ENTRY);
	r = kml_syscall5(SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		exit_by_syscall(0);
	expect_refused(_metadata, "clone(CLONE_VM | CLONE_VFORK)", r);
}

/* clone with a new stack through the direct entry: -EINVAL. */
TEST(clone_new_stack_refused)
{
	unsigned long *stack = new_stack_top();
	long r;

	if (no_entry(_metadata))
		SKIP(return, NO_ENTRY);
	ASSERT_NE(NULL, stack);
	r = kml_syscall5(SYS_clone, CLONE_VM | SIGCHLD, (long)stack, 0, 0, 0);
	if (r == 0)
		exit_by_syscall(0);
	expect_refused(_metadata, "clone(CLONE_VM, new stack)", r);
	/* The same without CLONE_VM. */
	r = kml_syscall5(SYS_clone, SIGCHLD, (long)stack, 0, 0, 0);
	if (r == 0)
		exit_by_syscall(0);
	expect_refused(_metadata, "clone(new stack)", r);
}

/* Every clone3 through the direct entry: -EINVAL. */
TEST(clone3_refused)
{
	unsigned long *stack = new_stack_top();
	struct clone_args args = { .exit_signal = SIGCHLD };
	long r;

	if (no_entry(_metadata))
		SKIP(return, NO_ENTRY);
	ASSERT_NE(NULL, stack);
	r = kml_syscall2(SYS_clone3, (long)&args, sizeof(args));
	if (r == 0)
		exit_by_syscall(0);
	expect_refused(_metadata, "clone3 (fork-like)", r);

	/* The new stack's top is its top word: stack + stack_size. */
	args.flags = CLONE_VM;
	args.stack = (unsigned long)stack - (STACK_SIZE - 16);
	args.stack_size = STACK_SIZE - 16;
	r = kml_syscall2(SYS_clone3, (long)&args, sizeof(args));
	if (r == 0)
		exit_by_syscall(0);
	expect_refused(_metadata, "clone3 (CLONE_VM, new stack)", r);
}

/* A fork-like clone (no new stack, no CLONE_VFORK) works through it. */
TEST(fork_like_clone_through_entry)
{
	long r;

	if (no_entry(_metadata))
		SKIP(return, NO_ENTRY);
	r = kml_syscall5(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	ASSERT_LE(0, r) TH_LOG("clone(SIGCHLD) through the direct entry: %ld", r);
	if (r == 0)
		_exit(kml_syscall0(SYS_getppid) == getppid() ? 42 : 1);
	EXPECT_EQ(42, reap(r));
	r = kml_syscall0(SYS_fork);
	ASSERT_LE(0, r) TH_LOG("fork through the direct entry: %ld", r);
	if (r == 0)
		_exit(43);
	EXPECT_EQ(43, reap(r));
}

/*
 * long vfork_exit(int code): vfork by SYSCALL; the child exits with @code
 * at once (by SYSCALL, with no stack access), the parent returns the pid.
 */
static noinline __attribute__((naked)) long vfork_exit(int code)
{
	asm("	movl	$58, %eax\n"			/* vfork */
	    "	syscall\n"
	    "	testq	%rax, %rax\n"
	    "	jnz	1f\n"
	    "	movl	$60, %eax\n"			/* exit(code) */
	    "	syscall\n"
	    "	ud2\n"
	    "1:	ret\n");
}

/*
 * long clone_stack_exit(unsigned long flags, unsigned long *stack): clone
 * with the new stack @stack by SYSCALL; the child exits with 42 if it runs
 * on @stack, else 1; the parent returns the pid.
 */
static noinline __attribute__((naked)) long
clone_stack_exit(unsigned long flags, unsigned long *stack)
{
	asm("	movl	$56, %eax\n"			/* clone */
	    "	xorl	%edx, %edx\n"
	    "	xorl	%r10d, %r10d\n"
	    "	xorl	%r8d, %r8d\n"
	    "	syscall\n"
	    "	testq	%rax, %rax\n"
	    "	jnz	1f\n"
	    "	movl	$1, %edi\n"
	    "	cmpq	%rsi, %rsp\n"
	    "	jne	2f\n"
	    "	movl	$42, %edi\n"
	    "2:	movl	$60, %eax\n"			/* exit */
	    "	syscall\n"
	    "	ud2\n"
	    "1:	ret\n");
}

/* What the direct entry refuses works by SYSCALL, in ring 0 and ring 3. */
TEST(vfork_and_new_stack_by_syscall)
{
	unsigned long *stack = new_stack_top();
	struct clone_args args = { .exit_signal = SIGCHLD };
	long r;

	ASSERT_NE(NULL, stack);
	r = vfork_exit(41);
	ASSERT_LT(0, r) TH_LOG("vfork by SYSCALL: %ld", r);
	EXPECT_EQ(41, reap(r));
	r = clone_stack_exit(CLONE_VM | SIGCHLD, stack);
	ASSERT_LT(0, r) TH_LOG("clone(CLONE_VM, new stack) by SYSCALL: %ld", r);
	EXPECT_EQ(42, reap(r)) TH_LOG("42: the child ran on its new stack");
	r = clone_stack_exit(CLONE_VM | CLONE_VFORK | SIGCHLD, stack);
	ASSERT_LT(0, r) TH_LOG("clone(CLONE_VM | CLONE_VFORK, new stack) by SYSCALL: %ld", r);
	EXPECT_EQ(42, reap(r));
	r = syscall(SYS_clone3, &args, sizeof(args));
	ASSERT_LE(0, r) TH_LOG("clone3 by SYSCALL: %s", strerror(errno));
	if (r == 0)
		_exit(44);
	EXPECT_EQ(44, reap(r));
}

/* The kernel's struct sigaction, to set our own restorer. */
struct ksigaction {
	void (*handler)(int sig, siginfo_t *si, void *uc);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

#define KSA_RESTORER	0x04000000UL

/* The direct entry, for the restorer below. */
unsigned long restorer_entry;

/*
 * The restorers: rt_sigreturn by SYSCALL, as the C library's, and through
 * the direct entry, called at once.
 */
static noinline __attribute__((naked)) void restorer_syscall(void)
{
	asm("	movl	$15, %eax\n"			/* rt_sigreturn */
	    "	syscall\n"
	    "	ud2\n");
}

static noinline __attribute__((naked)) void restorer_direct(void)
{
	asm("	movl	$15, %eax\n"
	    "	call	*restorer_entry(%rip)\n"
	    "	ud2\n");
}

#define REG_BASE	0x6b6d6c0000000100UL
#define NREGS		15	/* the general registers but RSP */

static const char reg_names[NREGS][4] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/*
 * void trap_regs(unsigned long *out): load REG_BASE + i into general
 * register i (the order of reg_names), execute INT3 (SIGTRAP, whose
 * handler returns by the restorer), and store the registers to
 * out[0..14], RSP before the INT3 to out[15] and after it to out[16].
 */
static noinline __attribute__((naked)) void trap_regs(unsigned long *out)
{
	asm("	pushq	%rbx\n"
	    "	pushq	%rbp\n"
	    "	pushq	%r12\n"
	    "	pushq	%r13\n"
	    "	pushq	%r14\n"
	    "	pushq	%r15\n"
	    "	pushq	%rdi\n"				/* out */
	    "	movq	%rsp, 15*8(%rdi)\n"
	    "	movabs	$0x6b6d6c0000000100, %rax\n"
	    "	leaq	1(%rax), %rbx\n"
	    "	leaq	2(%rax), %rcx\n"
	    "	leaq	3(%rax), %rdx\n"
	    "	leaq	4(%rax), %rsi\n"
	    "	leaq	5(%rax), %rdi\n"
	    "	leaq	6(%rax), %rbp\n"
	    "	leaq	7(%rax), %r8\n"
	    "	leaq	8(%rax), %r9\n"
	    "	leaq	9(%rax), %r10\n"
	    "	leaq	10(%rax), %r11\n"
	    "	leaq	11(%rax), %r12\n"
	    "	leaq	12(%rax), %r13\n"
	    "	leaq	13(%rax), %r14\n"
	    "	leaq	14(%rax), %r15\n"
	    "	int3\n"
	    "	xchgq	%rax, (%rsp)\n"			/* RAX saved, out in RAX */
	    "	movq	%rbx, 1*8(%rax)\n"
	    "	movq	%rcx, 2*8(%rax)\n"
	    "	movq	%rdx, 3*8(%rax)\n"
	    "	movq	%rsi, 4*8(%rax)\n"
	    "	movq	%rdi, 5*8(%rax)\n"
	    "	movq	%rbp, 6*8(%rax)\n"
	    "	movq	%r8, 7*8(%rax)\n"
	    "	movq	%r9, 8*8(%rax)\n"
	    "	movq	%r10, 9*8(%rax)\n"
	    "	movq	%r11, 10*8(%rax)\n"
	    "	movq	%r12, 11*8(%rax)\n"
	    "	movq	%r13, 12*8(%rax)\n"
	    "	movq	%r14, 13*8(%rax)\n"
	    "	movq	%r15, 14*8(%rax)\n"
	    "	movq	%rsp, 16*8(%rax)\n"
	    "	popq	%rcx\n"
	    "	movq	%rcx, 0*8(%rax)\n"
	    "	popq	%r15\n"
	    "	popq	%r14\n"
	    "	popq	%r13\n"
	    "	popq	%r12\n"
	    "	popq	%rbp\n"
	    "	popq	%rbx\n"
	    "	ret\n");
}

static volatile int traps;

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	traps++;
}

/* A SIGTRAP handler returns by @restorer: every register comes back. */
static void sigreturn_by(struct __test_metadata *_metadata,
			 void (*restorer)(void), const char *how)
{
	struct ksigaction sa = {
		.handler = on_trap,
		.flags = SA_SIGINFO | KSA_RESTORER,
		.restorer = restorer,
	};
	unsigned long out[17];
	int i;

	ASSERT_EQ(0, syscall(SYS_rt_sigaction, SIGTRAP, &sa, NULL, 8));
	traps = 0;
	memset(out, 0, sizeof(out));
	trap_regs(out);
	EXPECT_EQ(1, traps);
	for (i = 0; i < NREGS; i++)
		EXPECT_EQ(REG_BASE + i, out[i])
		TH_LOG("%s after rt_sigreturn %s: %#lx, expected %#lx",
		       reg_names[i], how, out[i], REG_BASE + i);
	EXPECT_EQ(out[15], out[16])
	TH_LOG("rsp after rt_sigreturn %s: %#lx, expected %#lx", how,
	       out[16], out[15]);
}

TEST(sigreturn_by_syscall)
{
	sigreturn_by(_metadata, restorer_syscall, "by SYSCALL");
}

TEST(sigreturn_through_entry)
{
	if (no_entry(_metadata))
		SKIP(return, NO_ENTRY);
	restorer_entry = kml_syscall_entry();
	sigreturn_by(_metadata, restorer_direct, "through the direct entry");
}

#define EXIT_REG	0x6b6d6c00000000b0UL

/*
 * void exit_with_regs(long nr, int code, unsigned long entry): load
 * EXIT_REG + i into RBX, RBP, R12, R13, R14 and R15 (i = 0..5) and make
 * system call @nr (exit or exit_group) with @code by SYSCALL (@entry 0)
 * or through the direct entry.
 */
static noinline __attribute__((naked)) void
exit_with_regs(long nr, int code, unsigned long entry)
{
	asm("	movq	%rdi, %rax\n"
	    "	movl	%esi, %edi\n"
	    "	movq	%rdx, %rcx\n"
	    "	movabs	$0x6b6d6c00000000b0, %rbx\n"
	    "	leaq	1(%rbx), %rbp\n"
	    "	leaq	2(%rbx), %r12\n"
	    "	leaq	3(%rbx), %r13\n"
	    "	leaq	4(%rbx), %r14\n"
	    "	leaq	5(%rbx), %r15\n"
	    "	testq	%rcx, %rcx\n"
	    "	jz	1f\n"
	    "	subq	$128, %rsp\n"
	    "	call	*%rcx\n"
	    "	ud2\n"
	    "1:	syscall\n"
	    "	ud2\n");
}

/*
 * A tracer with PTRACE_O_TRACEEXIT stops the tracee at PTRACE_EVENT_EXIT
 * of @nr made by SYSCALL or through @entry, and reads its registers.
 */
static void exit_event_regs(struct __test_metadata *_metadata, long nr,
			    unsigned long entry)
{
	const char *call = nr == SYS_exit ? "exit" : "exit_group";
	const char *how = entry ? "through the direct entry" : "by SYSCALL";
	unsigned long want[6], got[6], msg = 0;
	static const char *const names[6] = {
		"rbx", "rbp", "r12", "r13", "r14", "r15"
	};
	struct user_regs_struct regs;
	int status, i;
	pid_t pid;

	pid = kml_fork_traced();
	ASSERT_LE(0, pid);
	if (pid == 0)
		exit_with_regs(nr, 23, entry);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL, PTRACE_O_TRACEEXIT));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(SIGTRAP | (PTRACE_EVENT_EXIT << 8), status >> 8)
	TH_LOG("expected the PTRACE_EVENT_EXIT stop, got status %#x", status);
	ASSERT_EQ(0, ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg));
	EXPECT_EQ(23UL << 8, msg);
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ(nr, (long)regs.orig_rax);
	got[0] = regs.rbx;
	got[1] = regs.rbp;
	got[2] = regs.r12;
	got[3] = regs.r13;
	got[4] = regs.r14;
	got[5] = regs.r15;
	for (i = 0; i < 6; i++) {
		want[i] = EXIT_REG + i;
		EXPECT_EQ(want[i], got[i])
		TH_LOG("%s at the exit event of %s %s: %#lx, expected %#lx",
		       names[i], call, how, got[i], want[i]);
	}
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	EXPECT_EQ(23, reap(pid));
}

TEST(exit_event_regs_by_syscall)
{
	exit_event_regs(_metadata, SYS_exit, 0);
	exit_event_regs(_metadata, SYS_exit_group, 0);
}

TEST(exit_event_regs_through_entry)
{
	if (no_entry(_metadata))
		SKIP(return, NO_ENTRY);
	exit_event_regs(_metadata, SYS_exit, kml_syscall_entry());
	exit_event_regs(_metadata, SYS_exit_group, kml_syscall_entry());
}

TEST_HARNESS_MAIN
