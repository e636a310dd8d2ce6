// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux on 32-bit ARM (ARMv7-A): the basics a trusted program
 * relies on, from the trusted directory and from an ordinary one. A
 * trusted program runs in SYS mode (0x1f) unless the kernel refuses it
 * (and logs why); anything else, and everything on the baseline, in USR
 * mode (0x10); see expected_mode().
 *
 * cpsr_mode:    the mode bits of CPSR, KernelMode in /proc/self/status,
 *               and the log line of a refusal agree with what is expected
 * privileged:   SCTLR (mrc p15, c1) and a word at PAGE_OFFSET can be read
 *               in SYS mode; in USR mode they give SIGILL and SIGSEGV
 * kernel_fault: a read of an unmapped kernel address gives SIGSEGV with
 *               that si_addr in either mode, not an oops
 * svc:          system calls by svc: results, -errno, and every register
 *               but r0 kept
 * stack_growth: deep recursion, large arrays touched top-down and
 *               bottom-up, and an overflow past RLIMIT_STACK caught on an
 *               alternate signal stack
 * cow_after_fork: a child's writes to stack, data and heap pages right
 *               after fork() are copy-on-write faults that leave the
 *               parent's pages alone; the child runs in the same mode
 * pxn:          code written into a fresh PROT_EXEC mapping (in a new
 *               page table and in the stack's, made before exec finished)
 *               runs, in the program's mode, in the parent and in a child
 * signals:      a handler runs in the program's mode; its context shows
 *               the user view (USR mode); sigreturn with a changed pc
 *               resumes there; SIGALRM interrupts a spinning loop (an IRQ
 *               from the program's mode); SIGSEGV on a PROT_NONE page
 * forged_mode:  a sigreturn frame or PTRACE_SETREGS asking for SVC or SYS
 *               mode is refused, and the program keeps its mode
 * vfp:          VFP registers survive signal handlers that clobber them
 *               and preemption by other processes doing the same
 * threads:      a thread runs in the program's mode with its own TLS
 * fork_exec:    fork() keeps the mode; exec of the trusted copy and of an
 *               ordinary copy of this program gives each its own mode
 * direct_entry: AT_SYSINFO of a SYS-mode program is KML's direct entry in
 *               kernel text (none elsewhere): results and errors, six
 *               arguments, every register but r0 and lr kept, flags kept;
 *               a USR-mode caller of that address gets SIGSEGV
 * direct_restart: calls through the entry interrupted by signals: a read
 *               restarted (SA_RESTART) or ended with EINTR, a nanosleep
 *               stopped and continued (restart_syscall), an execve
 * vdso_entry:   the vDSO's __vdso_kml_syscall makes the call in SYS mode
 *               (through the entry of AT_SYSINFO) and returns -ENOSYS in
 *               USR mode
 */
#define _GNU_SOURCE
#include <elf.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../../../kml/kml_syscall.h"
#include "kml_util.h"

#define USR_MODE	0x10
#define SVC_MODE	0x13
#define SYS_MODE	0x1f
#define MODE_MASK	0x1f

/* The start of the kernel's linear map (VMSPLIT_3G, the default). */
#define KML_PAGE_OFFSET	0xc0000000UL
/* Above the vectors and stubs pages (0xffff0000, 0xffff1000): unmapped. */
#define KML_UNMAPPED	0xffff8000UL

static unsigned int read_cpsr(void)
{
	unsigned int v;

	asm volatile("mrs %0, cpsr" : "=r" (v));
	return v;
}

static unsigned int cpu_mode(void)
{
	return read_cpsr() & MODE_MASK;
}

/* The mode this run should have. */
static unsigned int expected_mode(void)
{
	return kml_expected_cpl() == 0 ? SYS_MODE : USR_MODE;
}

static sigjmp_buf fault_jmp;
static volatile int fault_signo;
static void *volatile fault_addr;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	fault_signo = sig;
	fault_addr = si->si_addr;
	siglongjmp(fault_jmp, 1);
}

/* Catch SIGILL and SIGSEGV in on_fault(). */
static void catch_faults(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	fault_signo = 0;
	fault_addr = NULL;
}

TEST(cpsr_mode)
{
	unsigned int want = expected_mode(), got = cpu_mode();
	int km = kml_status_kernel_mode(getpid());

	TH_LOG("mode %#x, expected %#x, KernelMode %d", got, want, km);
	EXPECT_EQ(want, got);
	/* The baseline has no KernelMode line. */
	EXPECT_EQ(kml_baseline() ? -1 : got == SYS_MODE, km);
	if (kml_trusted_run() && !kml_baseline() && got == USR_MODE) {
		const char *why = kml_refusal();
		char line[256];

		if (!why)
			why = kml_boot_refusal();
		ASSERT_TRUE(!!why);
		TH_LOG("refused: %s", why);
		snprintf(line, sizeof(line), "runs in user mode: %s", why);
		/* A refusal from boot on is logged once, at boot. */
		EXPECT_TRUE(kml_log_has(line) || kml_log_has(why));
	}
}

TEST(privileged)
{
	bool sys = expected_mode() == SYS_MODE;
	volatile unsigned int sctlr = 0;
	volatile unsigned long word;

	catch_faults();
	if (!sigsetjmp(fault_jmp, 1)) {
		unsigned int v;

		asm volatile("mrc p15, 0, %0, c1, c0, 0" : "=r" (v));
		sctlr = v;
	}
	TH_LOG("SCTLR %#x, signal %d", sctlr, fault_signo);
	if (sys) {
		EXPECT_EQ(0, fault_signo);
		EXPECT_EQ(1, sctlr & 1);	/* the MMU is on */
	} else {
		EXPECT_EQ(SIGILL, fault_signo);
	}

	catch_faults();
	if (!sigsetjmp(fault_jmp, 1))
		word = *(volatile unsigned long *)KML_PAGE_OFFSET;
	(void)word;
	TH_LOG("read at %#lx: signal %d", KML_PAGE_OFFSET, fault_signo);
	EXPECT_EQ(sys ? 0 : SIGSEGV, fault_signo);
	signal(SIGILL, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
}

TEST(kernel_fault)
{
	volatile unsigned long word;

	catch_faults();
	if (!sigsetjmp(fault_jmp, 1)) {
		word = *(volatile unsigned long *)KML_UNMAPPED;
		(void)word;
	}
	EXPECT_EQ(SIGSEGV, fault_signo);
	EXPECT_EQ(KML_UNMAPPED, (unsigned long)fault_addr);
	signal(SIGSEGV, SIG_DFL);
	EXPECT_FALSE(kml_log_has_splat());
}

/* A system call by svc with three arguments. */
static long svc3(long nr, long a1, long a2, long a3)
{
	register long r0 asm("r0") = a1;
	register long r1 asm("r1") = a2;
	register long r2 asm("r2") = a3;
	register long r7 asm("r7") = nr;

	asm volatile("svc #0" : "+r" (r0) : "r" (r1), "r" (r2), "r" (r7)
		     : "memory");
	return r0;
}

TEST(svc)
{
	unsigned int regs[13], sp;
	int fd = open("/dev/null", O_WRONLY);
	int r;

	EXPECT_EQ(getpid(), svc3(SYS_getpid, 0, 0, 0));
	EXPECT_EQ(getppid(), svc3(SYS_getppid, 0, 0, 0));
	EXPECT_EQ(-EBADF, svc3(SYS_close, -1, 0, 0));
	EXPECT_EQ(5, svc3(SYS_write, fd, (long)"hello", 5));
	close(fd);

	/*
	 * r1-r6, r8-r12 and lr set to known values, then svc: all kept, and
	 * sp too (the pointer to regs[] pushed below the saved r4-r11).
	 */
	asm volatile("mov %[sp], sp\n\t"
		     "push {r4-r11}\n\t"
		     "push {%[out]}\n\t"
		     "mov r1, #1\n\tmov r2, #2\n\tmov r3, #3\n\t"
		     "mov r4, #4\n\tmov r5, #5\n\tmov r6, #6\n\t"
		     "mov r8, #8\n\tmov r9, #9\n\tmov r10, #10\n\t"
		     "mov r11, #11\n\tmov r12, #12\n\tmov lr, #14\n\t"
		     "mov r7, %[nr]\n\t"
		     "svc #0\n\t"
		     "ldr r0, [sp]\n\t"
		     "stmia r0, {r1-r6, r8-r12, lr}\n\t"
		     "str sp, [r0, #48]\n\t"
		     "add sp, sp, #4\n\t"
		     "pop {r4-r11}"
		     : [sp] "=&r" (sp)
		     : [out] "r" (regs), [nr] "i" (SYS_getpid)
		     : "r0", "r1", "r2", "r3", "r12", "lr", "memory", "cc");
	for (r = 0; r < 12; r++) {
		unsigned int reg = r < 6 ? r + 1 : r < 11 ? r + 2 : 14;

		if (regs[r] != reg) {
			TH_LOG("r%u: %#x after svc, expected %#x", reg,
			       regs[r], reg);
			_metadata->exit_code = KSFT_FAIL;
		}
	}
	EXPECT_EQ(sp - 36, regs[12]);
}

/* The overflow's handler runs in the mode of the program. */
static bool in_expected_mode(void)
{
	return cpu_mode() == expected_mode();
}

TEST(stack_growth)
{
	EXPECT_EQ(expected_mode(), cpu_mode());
	EXPECT_EQ(0, kml_recurse_stack(5000));
	EXPECT_EQ(1024, kml_touch_stack(4 << 20, true));
	EXPECT_EQ(1024, kml_touch_stack(4 << 20, false));

	/* Caught on a sigaltstack, in the expected mode. */
	EXPECT_EQ(0, kml_stack_overflow_child(in_expected_mode));
}

static int cow_data = 1;

TEST(cow_after_fork)
{
	volatile char stack_page[4096];
	volatile char *heap = malloc(65536);
	int status;
	pid_t pid;

	ASSERT_TRUE(!!heap);
	stack_page[0] = 1;
	heap[0] = 1;
	heap[65535] = 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ok;

		/* Each first write is a copy-on-write fault. */
		stack_page[0] = 2;
		stack_page[4095] = 2;
		cow_data = 2;
		heap[0] = 2;
		heap[65535] = 2;
		ok = stack_page[0] == 2 && cow_data == 2 && heap[0] == 2 &&
		     heap[65535] == 2;
		_exit((cpu_mode() == expected_mode() ? 1 : 0) + (ok ? 2 : 0));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(3, WEXITSTATUS(status));
	EXPECT_EQ(1, stack_page[0]);
	EXPECT_EQ(1, cow_data);
	EXPECT_EQ(1, heap[0]);
	EXPECT_EQ(1, heap[65535]);
	/* And the parent's own first writes after fork(). */
	stack_page[0] = 3;
	cow_data = 3;
	heap[0] = 3;
	EXPECT_EQ(3, stack_page[0] + cow_data + heap[0] - 6);
	free((void *)heap);
}

/* ARM code: mrs r0, cpsr; bx lr */
static const uint32_t code_cpsr[] = { 0xe10f0000, 0xe12fff1e };

/*
 * Copy code_cpsr to @p (writable, then made read+exec), run it and return
 * the mode it saw; a run that never comes back (a prefetch abort on PXN
 * taken again and again) ends in the harness's timeout.
 */
static unsigned int run_code_at(void *p, size_t len)
{
	unsigned int (*fn)(void) = p;

	memcpy(p, code_cpsr, sizeof(code_cpsr));
	__builtin___clear_cache(p, (char *)p + sizeof(code_cpsr));
	if (mprotect(p, len, PROT_READ | PROT_EXEC))
		return 0;
	return fn() & MODE_MASK;
}

/* In a fresh mapping at @hint (a new page table when far from others). */
static unsigned int run_code_fresh(void *hint)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned int m;
	void *p;

	p = mmap(hint, pg, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	m = run_code_at(p, pg);
	munmap(p, pg);
	return m;
}

TEST(pxn)
{
	unsigned char stack_buf[3 * 4096];
	long pg = sysconf(_SC_PAGESIZE);
	void *page = (void *)(((uintptr_t)stack_buf + pg - 1) & ~(pg - 1));
	int status;
	pid_t pid;

	EXPECT_EQ(expected_mode(), run_code_fresh(NULL));
	EXPECT_EQ(expected_mode(), run_code_fresh((void *)0x50000000));

	/* A stack page: its page table was made before the exec finished. */
	ASSERT_EQ(0, mprotect(page, pg, PROT_READ | PROT_WRITE | PROT_EXEC));
	EXPECT_EQ(expected_mode(), run_code_at(page, pg));
	ASSERT_EQ(0, mprotect(page, pg, PROT_READ | PROT_WRITE));

	/* In a child: page tables copied by fork(). */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(run_code_fresh((void *)0x58000000) == expected_mode() &&
		      run_code_fresh(NULL) == expected_mode() ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

static volatile unsigned int handler_mode, handler_ctx_mode;
static volatile int handler_signo, alarm_hits;

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	handler_signo = sig;
	handler_mode = cpu_mode();
	handler_ctx_mode = uc->uc_mcontext.arm_cpsr & MODE_MASK;
	if (sig == SIGALRM)
		alarm_hits++;
	if (sig == SIGILL)
		uc->uc_mcontext.arm_pc += 4;	/* over the udf */
}

TEST(signals)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	struct itimerval it = { .it_value = { 0, 10000 } };
	long pg = sysconf(_SC_PAGESIZE);
	unsigned long spins;
	char *p;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGILL, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));

	raise(SIGUSR1);
	EXPECT_EQ(SIGUSR1, handler_signo);
	EXPECT_EQ(expected_mode(), handler_mode);
	EXPECT_EQ(USR_MODE, handler_ctx_mode);	/* the user view */
	EXPECT_EQ(expected_mode(), cpu_mode());	/* after sigreturn */

	/* An undefined instruction; the handler moves pc past it. */
	handler_signo = 0;
#ifdef __thumb__
	asm volatile("udf.w #0" ::: "memory");
#else
	asm volatile("udf #0" ::: "memory");
#endif
	EXPECT_EQ(SIGILL, handler_signo);
	EXPECT_EQ(expected_mode(), handler_mode);
	EXPECT_EQ(USR_MODE, handler_ctx_mode);
	EXPECT_EQ(expected_mode(), cpu_mode());

	/* SIGALRM while spinning: the timer interrupt hits the program. */
	handler_signo = 0;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	for (spins = 0; !alarm_hits && spins < 4000000000UL; spins++)
		asm volatile("" ::: "memory");
	EXPECT_EQ(1, alarm_hits);
	EXPECT_EQ(expected_mode(), handler_mode);
	EXPECT_EQ(expected_mode(), cpu_mode());

	catch_faults();
	p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	if (!sigsetjmp(fault_jmp, 1)) {
		p[100] = 1;
		TH_LOG("no SIGSEGV for a PROT_NONE page");
		_metadata->exit_code = KSFT_FAIL;
	}
	EXPECT_EQ(SIGSEGV, fault_signo);
	EXPECT_EQ((uintptr_t)(p + 100), (uintptr_t)fault_addr);
	ASSERT_EQ(0, mprotect(p, pg, PROT_READ | PROT_WRITE));
	p[100] = 2;
	EXPECT_EQ(2, p[100]);
	munmap(p, pg);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGILL, SIG_DFL);
}

static volatile unsigned int forged;

static void on_forge(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	uc->uc_mcontext.arm_cpsr = (uc->uc_mcontext.arm_cpsr & ~MODE_MASK) |
				   forged;
}

/* A child whose sigreturn asks for @m: how it ends (a wait status). */
static int sigreturn_to_mode(unsigned int m)
{
	struct sigaction sa = { .sa_sigaction = on_forge, .sa_flags = SA_SIGINFO };
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		forged = m;
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
		/* Only if sigreturn took the frame: in which mode? */
		_exit(cpu_mode());
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

TEST(forged_mode)
{
	struct user_regs regs;
	int status;
	pid_t pid;

	/* sigreturn refuses a frame with another mode: SIGSEGV. */
	status = sigreturn_to_mode(SVC_MODE);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	status = sigreturn_to_mode(SYS_MODE);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	status = sigreturn_to_mode(USR_MODE);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(expected_mode(), WEXITSTATUS(status));

	/* A tracer sees USR mode and cannot set another. */
	pid = kml_fork_traced();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(cpu_mode());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ(USR_MODE, regs.uregs[16] & MODE_MASK);
	regs.uregs[16] = (regs.uregs[16] & ~MODE_MASK) | SVC_MODE;
	EXPECT_EQ(-1, ptrace(PTRACE_SETREGS, pid, NULL, &regs));
	regs.uregs[16] = (regs.uregs[16] & ~MODE_MASK) | SYS_MODE;
	EXPECT_EQ(-1, ptrace(PTRACE_SETREGS, pid, NULL, &regs));
	/* PTRACE_POKEUSER of the CPSR slot (16) is refused too. */
	EXPECT_EQ(-1, ptrace(PTRACE_POKEUSER, pid, (void *)(16 * 4),
			     (void *)(uintptr_t)regs.uregs[16]));
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ(USR_MODE, regs.uregs[16] & MODE_MASK);
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(expected_mode(), WEXITSTATUS(status));
}

static volatile int vfp_stop;

static void on_vfp_signal(int sig)
{
	/* Clobber the caller-saved VFP registers and FPSCR's flags. */
	asm volatile("vmov.f64 d0, #-2.0\n\t"
		     "vmov.f64 d7, #-3.0\n\t"
		     "vmov.f64 d16, #-4.0\n\t"
		     "vmov.f64 d31, #-5.0\n\t"
		     "vcmp.f64 d0, d7\n\t"
		     "vmrs APSR_nzcv, fpscr"
		     ::: "d0", "d7", "d16", "d31", "cc");
	vfp_stop = 1;
}

/*
 * Load @seed-derived values into d0, d7, d16 and d31, spin until
 * *@stop or @loops run out, and check the registers: 0 if intact.
 */
static int vfp_hold(double seed, volatile int *stop, unsigned long loops)
{
	double in[4] = { seed, seed + 1, seed + 2, seed + 3 }, out[4];
	int i;

	asm volatile("vldr d0, [%[in]]\n\t"
		     "vldr d7, [%[in], #8]\n\t"
		     "vldr d16, [%[in], #16]\n\t"
		     "vldr d31, [%[in], #24]\n"
		     "1:\tldr r3, [%[stop]]\n\t"
		     "cmp r3, #0\n\t"
		     "bne 2f\n\t"
		     "subs %[n], %[n], #1\n\t"
		     "bne 1b\n"
		     "2:\tvstr d0, [%[out]]\n\t"
		     "vstr d7, [%[out], #8]\n\t"
		     "vstr d16, [%[out], #16]\n\t"
		     "vstr d31, [%[out], #24]"
		     : [n] "+r" (loops)
		     : [in] "r" (in), [out] "r" (out), [stop] "r" (stop)
		     : "r3", "d0", "d7", "d16", "d31", "memory", "cc");
	for (i = 0; i < 4; i++)
		if (in[i] != out[i])
			return 1;
	return 0;
}

TEST(vfp)
{
	struct itimerval it = { .it_value = { 0, 5000 } };
	int i, bad = 0, status;
	pid_t pids[4];

	/* Across signal handlers that clobber the registers. */
	signal(SIGALRM, on_vfp_signal);
	for (i = 0; i < 10; i++) {
		vfp_stop = 0;
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
		bad += vfp_hold(100.0 * i, &vfp_stop, 4000000000UL);
		EXPECT_EQ(1, vfp_stop);
	}
	EXPECT_EQ(0, bad);
	signal(SIGALRM, SIG_DFL);

	/* Across preemption: more processes than CPUs, all holding values. */
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			struct timespec t0, t;
			int errs = 0, rounds = 0;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			do {
				errs += vfp_hold(1000.0 * (i + 1) + rounds,
						 &vfp_stop, 2000000);
				rounds++;
				clock_gettime(CLOCK_MONOTONIC, &t);
			} while (t.tv_sec - t0.tv_sec < 2);
			_exit(errs ? 1 : cpu_mode() == expected_mode() ? 0 : 2);
		}
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
}

static __thread int tls_value = 1;

static void *thread_fn(void *arg)
{
	tls_value = 2;
	*(unsigned int *)arg = cpu_mode();
	return &tls_value;
}

TEST(threads)
{
	unsigned int tmode = 0;
	pthread_t t;
	void *ret;

	ASSERT_EQ(0, pthread_create(&t, NULL, thread_fn, &tmode));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(expected_mode(), tmode);
	EXPECT_EQ(1, tls_value);
	EXPECT_NE((uintptr_t)&tls_value, (uintptr_t)ret);
	EXPECT_EQ(expected_mode(), cpu_mode());
}

/* Run @path --exit-with-mode in a child: its exit status, or -1. */
static int exec_mode(const char *path)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		execl(path, path, "--exit-with-mode", NULL);
		_exit(99);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(fork_exec)
{
	char exe[PATH_MAX], trusted[PATH_MAX], ordinary[PATH_MAX];
	unsigned int trusted_mode;
	int status;
	pid_t pid;
	ssize_t n;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(cpu_mode());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(expected_mode(), WEXITSTATUS(status));

	/* This program again: the same mode. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	EXPECT_EQ(expected_mode(), exec_mode(exe));

	/* Copies of it in the trusted directory and in /tmp. */
	snprintf(trusted, sizeof(trusted), "%s/kml_arm_exec", kml_trusted_dir());
	snprintf(ordinary, sizeof(ordinary), "/tmp/kml_arm_exec");
	ASSERT_EQ(0, kml_copy_file(exe, trusted, 0755));
	ASSERT_EQ(0, kml_copy_file(exe, ordinary, 0755));
	trusted_mode = kml_trusted_cpl() == 0 ? SYS_MODE : USR_MODE;
	EXPECT_EQ(trusted_mode, exec_mode(trusted));
	EXPECT_EQ(USR_MODE, exec_mode(ordinary));
	unlink(trusted);
	unlink(ordinary);
}

/* The direct entry of this run, or 0 (checked against the mode). */
static unsigned long check_entry(struct __test_metadata *_metadata)
{
	unsigned long entry = kml_syscall_entry();

	TH_LOG("AT_SYSINFO %#lx, mode %#x", entry, cpu_mode());
	/* KML's entry in the kernel half in SYS mode, none in USR mode. */
	EXPECT_EQ(cpu_mode() == SYS_MODE, entry >= KML_PAGE_OFFSET);
	EXPECT_EQ(cpu_mode() == SYS_MODE, entry != 0);
	return entry;
}

TEST(direct_entry)
{
	unsigned long entry = check_entry(_metadata);
	char path[] = "/tmp/kml_arm_direct_XXXXXX";
	unsigned int regs[14], sp, flags_in, flags_out;
	long pg = sysconf(_SC_PAGESIZE);
	char *buf, *p;
	int fd, r, status;
	pid_t pid;

	/* Results and errors; kml_syscallN() uses svc without the entry. */
	EXPECT_EQ(getpid(), kml_syscall0(SYS_getpid));
	EXPECT_EQ(-EBADF, kml_syscall1(SYS_close, -1));
	EXPECT_EQ(-EFAULT, kml_syscall3(SYS_write, 1, 16, 1));

	/* Six arguments: mmap2 of the second page of a file, at a hint. */
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	buf = calloc(2, pg);
	ASSERT_TRUE(!!buf);
	snprintf(buf + pg, pg, "second page");
	ASSERT_EQ(2 * pg, write(fd, buf, 2 * pg));
	p = (char *)kml_syscall6(SYS_mmap2, 0x60000000, pg, PROT_READ,
				 MAP_PRIVATE | MAP_FIXED, fd, 1);
	EXPECT_EQ((char *)0x60000000, p);
	if (p == (char *)0x60000000) {
		EXPECT_STREQ("second page", p);
		munmap(p, pg);
	}
	close(fd);
	free(buf);
	if (!entry)
		return;

	/*
	 * r1-r6, r8-r12 set to known values and the flags to NZCV = 1010,
	 * then the call: all kept, sp too; lr is the return address.
	 */
	asm volatile("mov %[sp], sp\n\t"
		     "push {r4-r11}\n\t"
		     "push {%[entry]}\n\t"
		     "push {%[out]}\n\t"
		     "mov r1, #1\n\tmov r2, #2\n\tmov r3, #3\n\t"
		     "mov r4, #4\n\tmov r5, #5\n\tmov r6, #6\n\t"
		     "mov r8, #8\n\tmov r9, #9\n\tmov r10, #10\n\t"
		     "mov r11, #11\n\tmov r12, #12\n\t"
		     "mov r7, %[nr]\n\t"
		     "ldr lr, [sp, #4]\n\t"
		     "msr APSR_nzcvq, #0xa0000000\n\t"
		     "blx lr\n\t"
		     "1:\tmrs r0, APSR\n\t"
		     "push {r0}\n\t"
		     "ldr r0, [sp, #4]\n\t"
		     "stmia r0, {r1-r6, r8-r12}\n\t"
		     "adr r1, 1b\n\t"
		     "sub r1, lr, r1\n\t"
		     "bic r1, r1, #1\n\t"
		     "str r1, [r0, #44]\n\t"
		     "pop {r1}\n\t"
		     "str r1, [r0, #48]\n\t"
		     "str sp, [r0, #52]\n\t"
		     "add sp, sp, #8\n\t"
		     "pop {r4-r11}"
		     : [sp] "=&r" (sp)
		     : [out] "r" (regs), [entry] "r" (entry), [nr] "i" (SYS_getpid)
		     : "r0", "r1", "r2", "r3", "r12", "lr", "memory", "cc");
	for (r = 0; r < 11; r++) {
		unsigned int reg = r < 6 ? r + 1 : r + 2;

		if (regs[r] != reg) {
			TH_LOG("r%u: %#x after the call, expected %#x", reg,
			       regs[r], reg);
			_metadata->exit_code = KSFT_FAIL;
		}
	}
	EXPECT_EQ(0, regs[11]);		/* lr: the return address */
	flags_in = 0xa0000000;
	flags_out = regs[12] & 0xf0000000;
	EXPECT_EQ(flags_in, flags_out);
	EXPECT_EQ(sp - 40, regs[13]);

	/* A USR-mode caller of the entry: SIGSEGV, and no oops. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char exe[PATH_MAX], arg[32], copy[] = "/tmp/kml_arm_direct";
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n <= 0)
			_exit(2);
		exe[n] = '\0';
		if (kml_copy_file(exe, copy, 0755))
			_exit(3);
		snprintf(arg, sizeof(arg), "%#lx", entry);
		execl(copy, copy, "--call-entry", arg, NULL);
		_exit(4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	unlink("/tmp/kml_arm_direct");
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	EXPECT_FALSE(kml_log_has_splat());
}

static volatile int restart_hits;

static void on_restart_alarm(int sig)
{
	restart_hits++;
}

/* A read of one byte from a pipe that a child fills after @delay_ms. */
static long read_late(int flags, int delay_ms, char *c)
{
	struct sigaction sa = { .sa_handler = on_restart_alarm,
				.sa_flags = flags };
	struct itimerval it = { .it_value = { 0, 20000 } };
	int fds[2], status;
	pid_t pid;
	long r;

	if (pipe(fds))
		return -1000;
	pid = fork();
	if (pid == 0) {
		usleep(delay_ms * 1000);
		_exit(write(fds[1], "x", 1) != 1);
	}
	sigaction(SIGALRM, &sa, NULL);
	restart_hits = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	r = kml_syscall3(SYS_read, fds[0], (long)c, 1);
	waitpid(pid, &status, 0);
	close(fds[0]);
	close(fds[1]);
	signal(SIGALRM, SIG_DFL);
	return r;
}

TEST(direct_restart)
{
	struct timespec ts = { 0, 300000000 }, t0, t1;
	char c = 0, exe[PATH_MAX], copy[] = "/tmp/kml_arm_restart";
	int status;
	pid_t pid;
	ssize_t n;

	check_entry(_metadata);

	/* SA_RESTART: the read goes on after the handler and gets the byte. */
	EXPECT_EQ(1, read_late(SA_RESTART, 200, &c));
	EXPECT_EQ('x', c);
	EXPECT_EQ(1, restart_hits);
	/* Without it: EINTR. */
	EXPECT_EQ(-EINTR, read_late(0, 200, &c));
	EXPECT_EQ(1, restart_hits);

	/* Stopped and continued: nanosleep goes on by restart_syscall. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long r, ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = kml_syscall2(SYS_nanosleep, (long)&ts, 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		_exit(r == 0 && ms >= 290 ? 0 : r ? 1 : 2);
	}
	usleep(100000);
	kill(pid, SIGSTOP);
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	EXPECT_TRUE(WIFSTOPPED(status));
	kill(pid, SIGCONT);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* execve through the entry: an ordinary copy starts in USR mode. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	ASSERT_EQ(0, kml_copy_file(exe, copy, 0755));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *argv[] = { copy, "--exit-with-mode", NULL };

		kml_syscall3(SYS_execve, (long)copy, (long)argv, (long)environ);
		_exit(99);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	unlink(copy);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(USR_MODE, WEXITSTATUS(status));
}

/* The address of the vDSO's dynamic symbol @name, or NULL. */
static void *vdso_sym(const char *name)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	const Elf32_Ehdr *eh = (const void *)base;
	const Elf32_Shdr *sh;
	int i, j;

	if (!base)
		return NULL;
	sh = (const void *)(base + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf32_Sym *sym = (const void *)(base + sh[i].sh_offset);
		const char *str;

		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		str = (const char *)(base + sh[sh[i].sh_link].sh_offset);
		for (j = 0; j < sh[i].sh_size / sizeof(*sym); j++)
			if (sym[j].st_name && !strcmp(str + sym[j].st_name, name))
				return (void *)(base + sym[j].st_value);
	}
	return NULL;
}

/* A call of @fn with svc's convention; ip, lr and the flags clobbered. */
static long vdso_call3(void *fn, long nr, long a1, long a2, long a3)
{
	register long r0 asm("r0") = a1;
	register long r1 asm("r1") = a2;
	register long r2 asm("r2") = a3;
	register long r7 asm("r7") = nr;

	asm volatile("blx %[fn]"
		     : "+r" (r0)
		     : "r" (r1), "r" (r2), "r" (r7), [fn] "r" (fn)
		     : "ip", "lr", "memory", "cc");
	return r0;
}

TEST(vdso_entry)
{
	void *fn = vdso_sym("__vdso_kml_syscall");
	bool sys = cpu_mode() == SYS_MODE;

	TH_LOG("__vdso_kml_syscall %p, mode %#x", fn, cpu_mode());
	if (!fn) {
		/* Only a kernel without KML has none. */
		EXPECT_TRUE(kml_baseline());
		return;
	}
	EXPECT_EQ(sys ? getpid() : -ENOSYS,
		  vdso_call3(fn, SYS_getpid, 0, 0, 0));
	EXPECT_EQ(sys ? -EBADF : -ENOSYS, vdso_call3(fn, SYS_close, -1, 0, 0));
	/* The word it jumps through (KML_VDSO_ENTRY_OFFSET) is AT_SYSINFO. */
	if (sys)
		EXPECT_EQ(kml_syscall_entry(), *(unsigned long *)(fn + 36));
}

typedef long (*entry_fn)(void);

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--exit-with-mode"))
		return cpu_mode();
	if (argc == 3 && !strcmp(argv[1], "--call-entry")) {
		entry_fn entry = (entry_fn)strtoul(argv[2], NULL, 0);

		return entry();		/* SIGSEGV in USR mode */
	}
	return test_harness_run(argc, argv);
}
