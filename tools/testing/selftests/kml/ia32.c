// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux on a 32-bit (IA-32) kernel: the basics a trusted
 * 32-bit program relies on, from the trusted directory and from an
 * ordinary one. The privilege level each run should have: ring 0 from
 * the trusted directory unless the kernel refuses it (and logs why), ring
 * 3 anywhere else and on the baseline; see expected_cpl().
 *
 * cpl:          the CPU's CPL, KernelMode in /proc/self/status, and the
 *               log line of a refusal agree with what is expected
 * syscalls:     int $0x80 and the vDSO's __kernel_vsyscall (AT_SYSINFO,
 *               as glibc calls it) give the results of the libc calls
 * signals:      a handler runs at the program's CPL, sees its siginfo and
 *               returns to intact registers; SIGSEGV on a PROT_NONE page
 *               with the right si_addr, recovered with siglongjmp
 * fork_exec:    a forked child and an exec'd copy run at the same CPL;
 *               a copy-on-write stack write right after fork()
 * stack_growth: deep recursion, large arrays touched top-down and
 *               bottom-up, and an overflow past RLIMIT_STACK caught on
 *               an alternate signal stack
 * irq_during_stack_fault: interrupts arrive while ESP sits 8 bytes above
 *               a page that is not there: in ring 0 the CPU cannot push
 *               their frames, double-faults, and the interrupt must still
 *               be handled (else the timer stays in service, and no
 *               interrupt comes in the next rounds) and the page faulted
 *               in, in every round
 * nmi_on_short_stack: NMIs (sysrq 'l' backtraces from the other CPU) hit
 *               the program while ESP sits 256 bytes above a PROT_NONE
 *               page: far too little for the NMI handler, which must not
 *               run there
 * singlestep:   a tracer single-steps the program (the return with TF)
 * hw_breakpoints: a tracer's instruction breakpoint and write watchpoint
 *               (debug registers) stop the program and let it go on
 * hw_breakpoint_after_entry_step: after a tracer's single step into the
 *               direct entry, a hardware breakpoint on the same CPU still
 *               stops as one (KML's #DB stub clears DR6)
 * direct_entry: AT_SYSINFO of a ring-0 program is KML's direct entry in
 *               the kernel half (the vDSO's __kernel_vsyscall elsewhere):
 *               results and errors, six arguments, every register but
 *               EAX kept, a blocked call interrupted by a signal and
 *               restarted (SA_RESTART), a single step over it
 * exec_through_entry: an untrusted program exec'd through AT_SYSINFO
 *               starts in ring 3
 * glibc_direct: glibc's own system calls go through AT_SYSINFO: a tracer
 *               sees the system call stop at the direct entry's return
 *               address in the kernel half from a ring-0 program
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

/*
 * The CPL this run should have: as kml_expected_cpl(), and ring 3 from the
 * trusted directory too while the kernel says at boot that KML is
 * unavailable (no local APIC, page table isolation); main() reads that.
 */
static const char *boot_refusal;

static unsigned int expected_cpl(void)
{
	if (kml_trusted_run() && !getenv("KML_EXPECT_CPL") && boot_refusal)
		return 3;
	return kml_expected_cpl();
}

/* Why this trusted run is in user mode: the reason its exec logged. */
static const char *refusal(void)
{
	const char *why = kml_refusal();

	return why ? why : boot_refusal;
}

static long int80(long nr, long a1, long a2, long a3)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a" (ret)
		     : "a" (nr), "b" (a1), "c" (a2), "d" (a3)
		     : "memory");
	return ret;
}

/* A system call through AT_SYSINFO, the way glibc makes it (call *%gs:0x10). */
static long vsyscall(void *entry, long nr, long a1, long a2, long a3)
{
	long ret;

	asm volatile("call *%[entry]"
		     : "=a" (ret)
		     : [entry] "rm" (entry), "a" (nr), "b" (a1), "c" (a2), "d" (a3)
		     : "memory");
	return ret;
}

TEST(cpl)
{
	unsigned int want = expected_cpl(), got = kml_cpl();
	int km = kml_status_kernel_mode(getpid());

	TH_LOG("CPL %u, expected %u, KernelMode %d", got, want, km);
	EXPECT_EQ(want, got);
	/* The baseline has no KernelMode line. */
	EXPECT_EQ(kml_baseline() ? -1 : got == 0, km);
	if (kml_trusted_run() && !kml_baseline() && got == 3) {
		const char *why = refusal();
		char line[256];

		ASSERT_TRUE(!!why);
		snprintf(line, sizeof(line), "runs in user mode: %s", why);
		TH_LOG("refused: %s", why);
		EXPECT_TRUE(kml_log_has(line));
	}
}

TEST(syscalls)
{
	void *entry = (void *)getauxval(AT_SYSINFO);
	char buf[8] = "";
	int fds[2];

	EXPECT_EQ(getppid(), int80(SYS_getppid, 0, 0, 0));
	EXPECT_EQ(getpid(), int80(SYS_getpid, 0, 0, 0));
	ASSERT_EQ(0, pipe(fds));
	EXPECT_EQ(3, int80(SYS_write, fds[1], (long)"abc", 3));
	EXPECT_EQ(3, int80(SYS_read, fds[0], (long)buf, sizeof(buf)));
	EXPECT_STREQ("abc", buf);
	EXPECT_EQ(-9, int80(SYS_close, 12345, 0, 0));	/* -EBADF */
	ASSERT_TRUE(!!entry);
	EXPECT_EQ(getppid(), vsyscall(entry, SYS_getppid, 0, 0, 0));
	EXPECT_EQ(2, vsyscall(entry, SYS_write, fds[1], (long)"xy", 2));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(2, vsyscall(entry, SYS_read, fds[0], (long)buf, sizeof(buf)));
	EXPECT_STREQ("xy", buf);
	close(fds[0]);
	close(fds[1]);
}

static volatile unsigned int handler_cpl = ~0u;
static volatile int handler_signo, handler_code;
static sigjmp_buf segv_jmp;
static void *volatile segv_addr;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	handler_cpl = kml_cpl();
	handler_signo = si->si_signo;
	handler_code = si->si_code;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	segv_addr = si->si_addr;
	siglongjmp(segv_jmp, 1);
}

TEST(signals)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	long pg = sysconf(_SC_PAGESIZE);
	unsigned int esi = 0x9abcdef0, edi = 0x0badf00d;
	unsigned int ebx2, esi2, edi2;
	char *p;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	/* Registers across a signal delivered on the way out of tgkill. */
	asm volatile("int $0x80"
		     : "=b" (ebx2), "=S" (esi2), "=D" (edi2)
		     : "a" (SYS_tgkill), "b" (getpid()), "c" (syscall(SYS_gettid)),
		       "d" (SIGUSR1), "S" (esi), "D" (edi)
		     : "memory");
	EXPECT_EQ(esi, esi2);
	EXPECT_EQ(edi, edi2);
	EXPECT_EQ((unsigned int)getpid(), ebx2);
	EXPECT_EQ(kml_cpl(), handler_cpl);
	EXPECT_EQ(SIGUSR1, handler_signo);
	EXPECT_EQ(SI_TKILL, handler_code);

	sa.sa_sigaction = on_segv;
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	if (!sigsetjmp(segv_jmp, 1)) {
		p[100] = 1;
		TH_LOG("no SIGSEGV for a PROT_NONE page");
		_metadata->exit_code = KSFT_FAIL;
	}
	EXPECT_EQ((uintptr_t)(p + 100), (uintptr_t)segv_addr);
	ASSERT_EQ(0, mprotect(p, pg, PROT_READ | PROT_WRITE));
	p[100] = 2;
	EXPECT_EQ(2, p[100]);
	munmap(p, pg);
	signal(SIGSEGV, SIG_DFL);
}

TEST(fork_exec)
{
	volatile char stack_page[4096];
	char exe[PATH_MAX];
	int status;
	pid_t pid;
	ssize_t n;

	stack_page[0] = 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The first write to a stack page after fork() is a COW fault. */
		stack_page[0] = 2;
		stack_page[4095] = 3;
		_exit(kml_cpl() + 10 * (stack_page[0] == 2));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(kml_cpl() + 10, WEXITSTATUS(status));
	EXPECT_EQ(1, stack_page[0]);

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl(exe, exe, "--exit-with-cpl", NULL);
		_exit(99);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(kml_cpl(), WEXITSTATUS(status));
}

TEST(stack_growth)
{
	EXPECT_EQ(expected_cpl(), kml_cpl());
	EXPECT_EQ(0, kml_recurse_stack(5000));
	EXPECT_EQ(1024, kml_touch_stack(4 << 20, true));
	EXPECT_EQ(1024, kml_touch_stack(4 << 20, false));

	/* Caught on a sigaltstack. */
	EXPECT_EQ(0, kml_stack_overflow_child(NULL));
}

/* Iterations of spin_at() long enough for several timer ticks under TCG. */
#define SPIN_LOOPS	20000000UL

static unsigned long spin_saved_sp;
static volatile int never;

/*
 * Run a loop that uses no stack with ESP at @sp, until *@stop is set or
 * @loops iterations have run; return the iterations left. Every event the
 * CPU takes meanwhile in ring 0 pushes its frame below @sp.
 */
static noinline unsigned long spin_at(void *sp, volatile int *stop,
				      unsigned long loops)
{
	asm volatile("movl %%esp, %[saved]\n\t"
		     "movl %[sp], %%esp\n"
		     "1:\tcmpl $0, (%[stop])\n\t"
		     "jne 2f\n\t"
		     "decl %[n]\n\t"
		     "jnz 1b\n"
		     "2:\tmovl %[saved], %%esp"
		     : [n] "+r" (loops), [saved] "+m" (spin_saved_sp)
		     : [sp] "r" (sp), [stop] "r" (stop)
		     : "memory", "cc");
	return loops;
}

/* Seconds since @t0 on the monotonic clock. */
static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - t0->tv_sec + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

TEST(irq_during_stack_fault)
{
	long pg = sysconf(_SC_PAGESIZE);
	int rounds = 10, faulted = 0, i;
	/* In ring 3 the CPU pushes event frames on the kernel stack. */
	double limit = expected_cpl() == 0 ? 5 : 0;
	unsigned char present;
	struct timespec t0;
	char *stk;

	stk = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(stk != MAP_FAILED);
	for (i = 0; i < rounds; i++) {
		/* Only the top page is there; ESP 8 bytes into it. */
		ASSERT_TRUE(mmap(stk, 3 * pg, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) == stk);
		stk[3 * pg] = 1;
		/*
		 * Spin there until an interrupt has come (its frame faulted
		 * the page below in), for at most @limit seconds: without
		 * the recovery of the lost interrupt, the timer of this CPU
		 * stays in service after the first round, and no interrupt
		 * comes any more.
		 */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			spin_at(stk + 3 * pg + 8, &never, SPIN_LOOPS / 20);
			ASSERT_EQ(0, mincore(stk + 2 * pg, pg, &present));
		} while (!(present & 1) && since(&t0) < limit);
		faulted += present & 1;
	}
	TH_LOG("an event frame faulted in the page below ESP in %d of %d rounds",
	       faulted, rounds);
	EXPECT_EQ(expected_cpl() == 0 ? rounds : 0, faulted);
	munmap(stk, 4 * pg);
}

TEST(nmi_on_short_stack)
{
	long pg = sysconf(_SC_PAGESIZE), nmis;
	struct kml_nmi_burst burst;
	char *stk;

	if (access("/proc/sysrq-trigger", W_OK))
		SKIP(return, "no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ, root)");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs, has %ld",
		     sysconf(_SC_NPROCESSORS_ONLN));
	ASSERT_EQ(0, kml_pin_to(0));
	ASSERT_FALSE(kml_log_has_splat());
	stk = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(stk != MAP_FAILED);
	ASSERT_EQ(0, mprotect(stk, pg, PROT_NONE));
	stk[pg] = 1;

	ASSERT_EQ(0, kml_nmi_burst_start(&burst, "<7>ia32: flush\n"));
	spin_at(stk + pg + 256, burst.stop, ~0UL);
	nmis = kml_nmi_burst_end(&burst);
	TH_LOG("CPU 0 took %ld NMIs with ESP 256 bytes above a PROT_NONE page",
	       nmis);
	EXPECT_LT(0, nmis);
	EXPECT_FALSE(kml_log_has_splat());
	/* Clear the backtraces, which the runner would take for a splat. */
	klogctl(5, NULL, 0);	/* SYSLOG_ACTION_CLEAR */
	kml_pin_to(-1);
	munmap(stk, 2 * pg);
}

/* What the traced child runs: a few instructions to step through. */
static noinline int step_target(int n)
{
	volatile int x = 0;
	int i;

	for (i = 0; i < n; i++)
		x += i;
	return x;
}

TEST(singlestep)
{
	struct user_regs_struct regs;
	unsigned long last = 0;
	int status, i, moved = 0;
	pid_t pid;

	pid = kml_fork_traced();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		step_target(1000);
		_exit(kml_cpl());
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSTOPPED(status));
		ASSERT_EQ(SIGTRAP, WSTOPSIG(status));
		ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
		/* Each step stops in the program, one instruction on. */
		EXPECT_GT(0xc0000000UL, (unsigned long)regs.eip);
		moved += regs.eip != last;
		last = regs.eip;
	}
	EXPECT_EQ(50, moved);
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(expected_cpl(), WEXITSTATUS(status));
}

/* What hw_breakpoints' child runs: a function to break in, a word to watch. */
static volatile uint32_t watched __attribute__((aligned(4)));

static noinline int bp_target(int n)
{
	return n * 3 + 1;
}

#define DR_OFF(n)	offsetof(struct user, u_debugreg[n])

/*
 * Hardware breakpoints: an instruction breakpoint (a fault, EIP at the
 * instruction; the return sets RF) and a write watchpoint (a trap after
 * the store), which the CPU raises in ring 0 as in ring 3. In ring 0 the
 * #DB frame lands on the program's stack and goes through KML's #DB
 * stub. Each is a SIGTRAP stop (TRAP_HWBKPT) with the user view of the
 * registers and DR6 telling which one hit, and the program goes on.
 */
static void hw_breakpoint_stops(struct __test_metadata *_metadata)
{
	/* L0: execute, 1 byte; L1: write, 4 bytes. */
	const unsigned long dr7 = 1UL | 4UL | 1UL << 20 | 3UL << 22;
	struct user_regs_struct regs;
	siginfo_t si;
	long dr6;
	int status;
	pid_t pid;

	pid = kml_fork_traced();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int r = bp_target(0x411);

		watched = 5;
		_exit(r == 0xc34 && watched == 5 ? (int)kml_cpl() : 100);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(0), bp_target));
	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(1), &watched));
	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(7), dr7));

	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(SIGTRAP, WSTOPSIG(status));
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ((uintptr_t)bp_target, (uintptr_t)regs.eip);
	EXPECT_EQ(KML_USER_CS, regs.xcs);
	ASSERT_EQ(0, ptrace(PTRACE_GETSIGINFO, pid, NULL, &si));
	EXPECT_EQ(TRAP_HWBKPT, si.si_code);
	EXPECT_EQ((uintptr_t)bp_target, (uintptr_t)si.si_addr);
	errno = 0;
	dr6 = ptrace(PTRACE_PEEKUSER, pid, DR_OFF(6), NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(1, dr6 & 3);

	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(7), dr7 & ~1UL));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(SIGTRAP, WSTOPSIG(status));
	EXPECT_EQ(5, ptrace(PTRACE_PEEKDATA, pid, &watched, NULL));
	ASSERT_EQ(0, ptrace(PTRACE_GETSIGINFO, pid, NULL, &si));
	EXPECT_EQ(TRAP_HWBKPT, si.si_code);
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ((uintptr_t)regs.eip, (uintptr_t)si.si_addr);	/* x86: EIP */
	EXPECT_EQ(KML_USER_CS, regs.xcs);
	dr6 = ptrace(PTRACE_PEEKUSER, pid, DR_OFF(6), NULL);
	EXPECT_EQ(2, dr6 & 3);

	ASSERT_EQ(0, ptrace(PTRACE_POKEUSER, pid, DR_OFF(7), 0));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(expected_cpl(), WEXITSTATUS(status));
}

TEST(hw_breakpoints)
{
	hw_breakpoint_stops(_metadata);
}

/*
 * call_entry6(entry, nr, a1..a6): a system call through @entry with all
 * six argument registers; regs_kept(entry): getpid through @entry with
 * EBX..EBP set to patterns, returns how many of them changed.
 */
static __attribute__((naked)) long
call_entry6(void *entry, long nr, long a1, long a2, long a3, long a4,
	    long a5, long a6)
{
	asm("pushl %ebp\n\tpushl %edi\n\tpushl %esi\n\tpushl %ebx\n\t"
	    "movl 24(%esp), %eax\n\tmovl 28(%esp), %ebx\n\t"
	    "movl 32(%esp), %ecx\n\tmovl 36(%esp), %edx\n\t"
	    "movl 40(%esp), %esi\n\tmovl 44(%esp), %edi\n\t"
	    "movl 48(%esp), %ebp\n\t"
	    "call *20(%esp)\n\t"
	    "popl %ebx\n\tpopl %esi\n\tpopl %edi\n\tpopl %ebp\n\t"
	    "ret");
}

static __attribute__((naked)) int regs_kept(void *entry)
{
	asm("pushl %ebp\n\tpushl %edi\n\tpushl %esi\n\tpushl %ebx\n\t"
	    "movl $0x11111111, %ebx\n\tmovl $0x22222222, %ecx\n\t"
	    "movl $0x33333333, %edx\n\tmovl $0x44444444, %esi\n\t"
	    "movl $0x55555555, %edi\n\tmovl $0x66666666, %ebp\n\t"
	    "movl $20, %eax\n\t"		/* SYS_getpid */
	    "call *20(%esp)\n\t"
	    "xorl %eax, %eax\n\t"
	    "cmpl $0x11111111, %ebx\n\tsetne %al\n\t"
	    "cmpl $0x22222222, %ecx\n\tsetne %ah\n\taddb %ah, %al\n\t"
	    "cmpl $0x33333333, %edx\n\tsetne %ah\n\taddb %ah, %al\n\t"
	    "cmpl $0x44444444, %esi\n\tsetne %ah\n\taddb %ah, %al\n\t"
	    "cmpl $0x55555555, %edi\n\tsetne %ah\n\taddb %ah, %al\n\t"
	    "cmpl $0x66666666, %ebp\n\tsetne %ah\n\taddb %ah, %al\n\t"
	    "movzbl %al, %eax\n\t"
	    "popl %ebx\n\tpopl %esi\n\tpopl %edi\n\tpopl %ebp\n\t"
	    "ret");
}

static volatile int usr2_seen;
static int futex_word = 5, futex_word2;

#define FUTEX_CMP_REQUEUE_PRIVATE	(4 | 128)

static void on_usr2(int sig)
{
	usr2_seen = 1;
}

/*
 * In a child: read 4 bytes from @fd through @entry while the parent
 * interrupts the read with SIGUSR2 (handled with @sa_flags) and then
 * writes; tell the parent through @ready once the handler is set. Exit 0
 * if the read returned @want, and the handler ran.
 */
static void read_interrupted(void *entry, int fd, int ready, int sa_flags,
			     long want)
{
	struct sigaction sa = { .sa_handler = on_usr2, .sa_flags = sa_flags };
	char buf[4];
	long n;

	if (sigaction(SIGUSR2, &sa, NULL) || write(ready, "r", 1) != 1)
		_exit(2);
	n = vsyscall(entry, SYS_read, fd, (long)buf, sizeof(buf));
	_exit(n == want && usr2_seen ? 0 : 1);
}

/*
 * Wait until @pid blocks in read() (/proc/PID/syscall starts with its
 * number): 0, or -1 after 10 s.
 */
static int wait_in_read(pid_t pid)
{
	char path[64], line[256];
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, line, sizeof(line) - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			return -1;
		line[n] = '\0';
		if (!strncmp(line, "3 ", 2))	/* SYS_read */
			return 0;
		usleep(10000);
	}
	return -1;
}

/* The child's exit status, or 128 + the signal that killed it. */
static int run_interrupted(void *entry, int sa_flags, long want)
{
	int fds[2], ready[2], status;
	char c;
	pid_t pid;

	if (pipe(fds) || pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0)
		read_interrupted(entry, fds[0], ready[1], sa_flags, want);
	if (read(ready[0], &c, 1) != 1 || wait_in_read(pid))
		return -1;
	kill(pid, SIGUSR2);
	usleep(200000);
	if (write(fds[1], "abcd", 4) != 4)
		return -1;
	waitpid(pid, &status, 0);
	close(fds[0]);
	close(fds[1]);
	close(ready[0]);
	close(ready[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	       128 + WTERMSIG(status);
}

TEST(direct_entry)
{
	void *entry = (void *)getauxval(AT_SYSINFO);
	long pg = sysconf(_SC_PAGESIZE);
	char *p;

	ASSERT_TRUE(!!entry);
	TH_LOG("AT_SYSINFO %p", entry);
	/* In ring 0, KML's entry in the kernel half; else the vDSO's. */
	EXPECT_EQ(expected_cpl() == 0, (uintptr_t)entry >= 0xc0000000u);
	EXPECT_EQ(getppid(), call_entry6(entry, SYS_getppid, 0, 0, 0, 0, 0, 0));
	EXPECT_EQ(-9, call_entry6(entry, SYS_close, 12345, 0, 0, 0, 0, 0));
	/* mmap2 takes its sixth argument, the page offset, in EBP. */
	p = (char *)call_entry6(entry, 192, 0, pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE((uintptr_t)p < -4096u);
	p[0] = 1;
	EXPECT_EQ(0, call_entry6(entry, SYS_munmap, (long)p, pg, 0, 0, 0, 0));
	/*
	 * futex_time64 (422) FUTEX_CMP_REQUEUE compares the futex with the
	 * sixth argument.
	 */
	EXPECT_EQ(0, call_entry6(entry, 422, (long)&futex_word,
				 FUTEX_CMP_REQUEUE_PRIVATE, 0, 0,
				 (long)&futex_word2, 5));
	EXPECT_EQ(-11, call_entry6(entry, 422, (long)&futex_word,
				   FUTEX_CMP_REQUEUE_PRIVATE, 0, 0,
				   (long)&futex_word2, 6));	/* -EAGAIN */
	EXPECT_EQ(0, regs_kept(entry));
	/* Interrupted while blocked, restarted after the handler. */
	EXPECT_EQ(0, run_interrupted(entry, SA_RESTART, 4));
}

/*
 * An exec of an untrusted program through AT_SYSINFO: the new program is
 * no KML task, and its return from execve must be the ring-3 one.
 */
TEST(exec_through_entry)
{
	void *entry = (void *)getauxval(AT_SYSINFO);
	char *argv[] = { "sh", "-c", "exit 7", NULL }, *envp[] = { NULL };
	int status;
	pid_t pid;

	ASSERT_TRUE(!!entry);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		call_entry6(entry, SYS_execve, (long)"/bin/sh", (long)argv,
			    (long)envp, 0, 0, 0);
		_exit(99);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(7, WEXITSTATUS(status));
}

/* A tracer single-steps over a call through AT_SYSINFO. */
TEST(singlestep_over_entry)
{
	void *entry = (void *)getauxval(AT_SYSINFO);
	struct user_regs_struct regs;
	int status, i;
	pid_t pid;

	ASSERT_TRUE(!!entry);
	pid = kml_fork_traced();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long r = vsyscall(entry, SYS_getppid, 0, 0, 0);

		_exit(r == getppid() ? kml_cpl() : 99);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* Step through the rest of the child, every stop a SIGTRAP. */
	for (i = 0; i < 100000; i++) {
		ASSERT_EQ(0, ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (!WIFSTOPPED(status))
			break;
		ASSERT_EQ(SIGTRAP, WSTOPSIG(status));
		ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	}
	TH_LOG("%d single steps", i);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(expected_cpl(), WEXITSTATUS(status));
}

/*
 * The single step over the direct entry's CLI is consumed by KML's #DB
 * stub, which must clear DR6 as the kernel's #DB handler does: a tracer
 * steps a child into the entry (its step is reported on the way out of the
 * system call, with no debug exception after it) and lets it run on; then,
 * on the same CPU, a hardware breakpoint must stop the next child as one
 * (TRAP_HWBKPT, DR6 B0), not as a single step (a stale DR6.BS).
 */
TEST(hw_breakpoint_after_entry_step)
{
	void *entry = (void *)getauxval(AT_SYSINFO);
	struct user_regs_struct regs;
	int status, i;
	pid_t pid;

	ASSERT_TRUE(!!entry);
	ASSERT_EQ(0, kml_pin_to(0));
	pid = kml_fork_traced();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long r = vsyscall(entry, SYS_getppid, 0, 0, 0);

		_exit(r == getppid() ? 0 : 99);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* Step to the entry, then into it: the step ends after the call. */
	for (i = 0; i < 100000; i++) {
		ASSERT_EQ(0, ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSTOPPED(status));
		ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
		if ((uintptr_t)regs.eip == (uintptr_t)entry)
			break;
	}
	ASSERT_EQ(0, ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	hw_breakpoint_stops(_metadata);
	kml_pin_to(-1);
}

static sigjmp_buf lost_jmp;

static void on_lost_step_segv(int sig, siginfo_t *si, void *uc)
{
	siglongjmp(lost_jmp, 1);
}

static void on_lost_step_trap(int sig, siginfo_t *si, void *uc)
{
}

/*
 * A single step whose #DB frame cannot be pushed: in ring 0 the CPU
 * pushes it on the program's stack, 8 bytes above a PROT_NONE page, so
 * the #DB is lost to the double fault and the program gets SIGSEGV. The
 * CPU has set the step's status in DR6 all the same, which nothing but a
 * #DB handler clears: then, on the same CPU, a hardware breakpoint must
 * still stop a child as one (TRAP_HWBKPT, DR6 B0), not as a single step.
 * In ring 3 the steps are SIGTRAPs, then the third push the SIGSEGV.
 */
TEST(dr6_after_lost_step)
{
	struct sigaction sa = { .sa_sigaction = on_lost_step_segv,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	struct sigaction old_segv, old_trap;
	long pg = sysconf(_SC_PAGESIZE);
	stack_t ss = { .ss_size = 65536 }, old_ss;
	volatile int recovered = 0;
	char *stk;

	ASSERT_EQ(0, kml_pin_to(0));
	stk = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(stk != MAP_FAILED);
	ASSERT_EQ(0, mprotect(stk, pg, PROT_NONE));
	ss.ss_sp = malloc(ss.ss_size);
	ASSERT_TRUE(!!ss.ss_sp);
	ASSERT_EQ(0, sigaltstack(&ss, &old_ss));
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, &old_segv));
	sa.sa_sigaction = on_lost_step_trap;
	ASSERT_EQ(0, sigaction(SIGTRAP, &sa, &old_trap));
	if (!sigsetjmp(lost_jmp, 1)) {
		/* TF traps after the instruction that follows the POPF. */
		asm volatile("pushfl\n\t"
			     "orl $0x100, (%%esp)\n\t"
			     "popfl\n\t"
			     "movl %0, %%esp\n\t"
			     "pushl %%eax\n\t"
			     "pushl %%eax\n\t"
			     "pushl %%eax\n\t"
			     "ud2"
			     : : "r" (stk + pg + 8) : "memory");
	} else {
		recovered = 1;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGTRAP, &old_trap, NULL);
	sigaltstack(&old_ss, NULL);
	EXPECT_TRUE(recovered);
	hw_breakpoint_stops(_metadata);
	kml_pin_to(-1);
	munmap(stk, 2 * pg);
	free(ss.ss_sp);
}

TEST(glibc_direct)
{
	struct user_regs_struct regs;
	int status, stops = 0, at_kml = 0;
	pid_t pid;

	pid = kml_fork_traced();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int i;

		for (i = 0; i < 5; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	for (;;) {
		ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, NULL, NULL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (!WIFSTOPPED(status))
			break;
		ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
		if (regs.orig_eax != SYS_getppid)
			continue;
		stops++;
		at_kml += (unsigned long)regs.eip >= 0xc0000000u;
	}
	TH_LOG("%d getppid stops, %d of them at KML's entry", stops, at_kml);
	EXPECT_EQ(10, stops);
	EXPECT_EQ(expected_cpl() == 0 ? stops : 0, at_kml);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--exit-with-cpl"))
		return kml_cpl();
	/* Read before nmi_on_short_stack clears the kernel log. */
	boot_refusal = kml_boot_refusal();
	if (boot_refusal)
		boot_refusal = strdup(boot_refusal);
	return test_harness_run(argc, argv);
}
