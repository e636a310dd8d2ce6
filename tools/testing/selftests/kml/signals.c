// SPDX-License-Identifier: GPL-2.0
/*
 * Signals of a KML process behave as those of an ordinary one: handlers run
 * at the program's privilege level (ring 0 from the trusted directory) and
 * see the user view in their ucontext; rt_sigreturn restores every
 * general-purpose register, RFLAGS and the SSE/x87 state bit for bit,
 * whether the signal interrupted a loop or arrived on the way out of a
 * system call; SA_RESTART restarts an interrupted read entered through
 * libc or through a plain SYSCALL instruction; siginfo carries what it
 * carries in user mode; signals nest, arrive during page faults, run on an
 * alternate stack; a child is stopped, continued and killed; and signals
 * pass between a KML process and an ordinary one, both ways.
 *
 * On IA-32 the system call instruction of these checks is INT $0x80, which
 * keeps every register but EAX, and the registers are EAX-EBP, EFLAGS,
 * XMM0-7, MXCSR and the x87 control word; glibc's read() goes through
 * AT_SYSINFO (the vDSO's __kernel_vsyscall, or KML's direct entry in ring
 * 0), whose restart point is an INT $0x80 or the entry's JMP back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"
#include "kml_regs.h"

#define PAGE		4096
#ifdef __x86_64__
#define SPIN_MAGIC	0x5157a7e5c0ffee01ULL
#else
#define SPIN_MAGIC	0xc0ffee01U
#define REG_RIP		REG_EIP
#define REG_RAX		REG_EAX
#endif

static volatile unsigned int handler_cpl = 99;

#ifndef __x86_64__
/*
 * IA-32: does @ip restart a system call? An INT $0x80 (the program's, or
 * the vDSO's after its SYSENTER), or the two-byte JMP back to KML's direct
 * entry (AT_SYSINFO) right before the entry's return point.
 */
static bool restart_point(const uint8_t *ip)
{
	unsigned long entry = getauxval(AT_SYSINFO);

	if (ip[0] == 0xcd && ip[1] == 0x80)
		return true;
	return ip[0] == 0xeb && (uintptr_t)ip + 2 + (int8_t)ip[1] == entry;
}
#endif

static void handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { .sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags };

	sigaction(sig, &sa, NULL);
}

static void timer_every(long usec)
{
	struct itimerval it = {
		.it_interval = { .tv_usec = usec }, .it_value = { .tv_usec = usec },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void timer_off(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_IGN);
}

TEST(runs_at_expected_cpl)
{
	TH_LOG("CPL %u, expected %u", kml_cpl(), kml_expected_cpl());
	ASSERT_EQ(kml_expected_cpl(), kml_cpl());
}

#ifdef __x86_64__
static volatile uint64_t uc_csgsfs, uc_rip;
#else
static volatile uint32_t uc_cs, uc_ss, uc_rip;
#endif

static void on_usr1_ctx(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	handler_cpl = kml_cpl();
#ifdef __x86_64__
	uc_csgsfs = uc->uc_mcontext.gregs[REG_CSGSFS];
#else
	uc_cs = uc->uc_mcontext.gregs[REG_CS] & 0xffff;
	uc_ss = uc->uc_mcontext.gregs[REG_SS] & 0xffff;
#endif
	uc_rip = uc->uc_mcontext.gregs[REG_RIP];
}

TEST(handler_cpl_and_ucontext)
{
	handle(SIGUSR1, on_usr1_ctx, 0);
	handler_cpl = 99;
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
	/* The kernel's view is the user view, whatever the hardware runs. */
#ifdef __x86_64__
	EXPECT_EQ(KML_USER_CS, uc_csgsfs & 0xffff);
	EXPECT_EQ(KML_USER_DS, uc_csgsfs >> 48);
	EXPECT_GT(0x800000000000ULL << 9, uc_rip);	/* a user address */
#else
	EXPECT_EQ(KML_USER_CS, uc_cs);
	EXPECT_EQ(KML_USER_DS, uc_ss);
	/*
	 * raise() makes its system call through AT_SYSINFO, and the signal
	 * comes at its return: in the vDSO (a user address), or in ring 0 at
	 * the return point of KML's direct entry in the kernel half, right
	 * after its restart JMP.
	 */
	EXPECT_TRUE(kml_expected_cpl() == 0 ?
		    restart_point((const uint8_t *)uc_rip - 2) :
		    uc_rip < 0xc0000000U) {
		TH_LOG("EIP %#x at CPL %u", uc_rip, kml_expected_cpl());
	}
#endif
}

/*
 * A signal that interrupts a register loop: the handler checks that its
 * ucontext holds the loop's registers, clobbers them, and returns.
 */
static struct kml_regs spin_in;
static volatile int spin_hits, spin_uc_bad;

#ifdef __x86_64__
static int uc_differs(const ucontext_t *uc, const struct kml_regs *r,
		      bool check_rax_rcx)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	int n = 0;

	n += g[REG_RBX] != (greg_t)r->rbx;
	n += g[REG_RDX] != (greg_t)r->rdx;
	n += g[REG_RSI] != (greg_t)r->rsi;
	n += g[REG_RDI] != (greg_t)r->rdi;
	n += g[REG_RBP] != (greg_t)r->rbp;
	n += g[REG_R8] != (greg_t)r->r8;
	n += g[REG_R9] != (greg_t)r->r9;
	n += g[REG_R10] != (greg_t)r->r10;
	n += g[REG_R12] != (greg_t)r->r12;
	n += g[REG_R13] != (greg_t)r->r13;
	n += g[REG_R14] != (greg_t)r->r14;
	n += g[REG_R15] != (greg_t)r->r15;
	if (check_rax_rcx) {
		n += g[REG_RAX] != (greg_t)r->rax;
		n += g[REG_RCX] != 0;
		n += g[REG_R11] != (greg_t)r->r11;
	}
	n += (g[REG_EFL] & ~0x10000ULL) != (greg_t)KML_FLAGS_PATTERN;
	n += uc->uc_mcontext.fpregs->mxcsr != r->mxcsr;
	n += uc->uc_mcontext.fpregs->cwd != r->fcw;
	n += memcmp(uc->uc_mcontext.fpregs->_xmm, r->xmm, sizeof(r->xmm)) != 0;
	return n;
}
#else
/* IA-32: EBX-EBP; EAX with @check_eax; the SSE state in the FXSAVE image. */
static int uc_differs(const ucontext_t *uc, const struct kml_regs *r,
		      bool check_eax)
{
	const struct kml_fpstate32 *fp = (const void *)uc->uc_mcontext.fpregs;
	const greg_t *g = uc->uc_mcontext.gregs;
	int n = 0;

	n += g[REG_EBX] != (greg_t)r->ebx;
	n += g[REG_ECX] != (greg_t)r->ecx;
	n += g[REG_EDX] != (greg_t)r->edx;
	n += g[REG_ESI] != (greg_t)r->esi;
	n += g[REG_EDI] != (greg_t)r->edi;
	n += g[REG_EBP] != (greg_t)r->ebp;
	if (check_eax)
		n += g[REG_EAX] != (greg_t)r->eax;
	n += (g[REG_EFL] & ~0x10000) != (greg_t)KML_FLAGS_PATTERN;
	n += fp->magic != 0;		/* an FXSAVE image follows */
	n += fp->mxcsr != r->mxcsr;
	n += (fp->cw & 0xffff) != r->fcw;
	n += memcmp(fp->xmm, r->xmm, sizeof(r->xmm)) != 0;
	return n;
}
#endif

static void on_alrm_spin(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uint64_t rip = (unsigned long)uc->uc_mcontext.gregs[REG_RIP];

	handler_cpl = kml_cpl();
	/* Under TCG the next tick may come before the loop sees the word. */
	if (kml_spin_word || rip < (uintptr_t)kml_regs_spin_loop ||
	    rip >= (uintptr_t)kml_regs_spin_loop_end)
		return;
	spin_hits++;
	if (uc_differs(uc, &spin_in, true))
		spin_uc_bad++;
	kml_clobber_fp();
	kml_clobber_gprs();
	kml_spin_word = SPIN_MAGIC;
}

TEST(sigreturn_restores_registers_after_interrupt)
{
	struct kml_regs out;

#ifdef __x86_64__
	kml_regs_fill(&spin_in, 0x0102030405060708ULL);
#else
	kml_regs_fill(&spin_in, 0x05060708U);
#endif
	spin_hits = 0;
	spin_uc_bad = 0;
	kml_spin_word = 0;
	handler_cpl = 99;
	handle(SIGALRM, on_alrm_spin, 0);
	timer_every(10000);
	kml_regs_spin(&spin_in, &out);
	timer_off();
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
	EXPECT_EQ(1, spin_hits);
	EXPECT_EQ(0, spin_uc_bad);
#ifdef __x86_64__
	EXPECT_EQ(SPIN_MAGIC, out.rcx);
#else
	EXPECT_EQ(SPIN_MAGIC, out.ecx);
#endif
	EXPECT_EQ(0, kml_regs_diff(&spin_in, &out, 1U << 2));
}

/*
 * The same with the signal sent by tgkill() from a SYSCALL instruction
 * (IA-32: INT $0x80).
 */
static volatile int usr1_hits;

static void on_usr1_clobber(int sig, siginfo_t *si, void *ctx)
{
	handler_cpl = kml_cpl();
	usr1_hits++;
	kml_clobber_fp();
	kml_clobber_gprs();
}

TEST(sigreturn_restores_registers_after_syscall)
{
	struct kml_regs in, out;

#ifdef __x86_64__
	kml_regs_fill(&in, 0x1122334455667788ULL);
	in.rax = SYS_tgkill;
	in.rdi = getpid();
	in.rsi = syscall(SYS_gettid);
	in.rdx = SIGUSR1;
#else
	kml_regs_fill(&in, 0x55667788U);
	in.eax = SYS_tgkill;
	in.ebx = getpid();
	in.ecx = syscall(SYS_gettid);
	in.edx = SIGUSR1;
#endif
	usr1_hits = 0;
	handler_cpl = 99;
	handle(SIGUSR1, on_usr1_clobber, 0);
#ifdef __x86_64__
	kml_regs_syscall(&in, &out);
#else
	kml_regs_int80(&in, &out);
#endif
	EXPECT_EQ(1, usr1_hits);
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
#ifdef __x86_64__
	EXPECT_EQ(0, out.rax);
	/* SYSCALL put the return address in RCX and RFLAGS in R11. */
	EXPECT_EQ((uint64_t)kml_regs_syscall_ret, out.rcx);
	EXPECT_EQ(KML_FLAGS_PATTERN, out.r11);
	EXPECT_EQ(0, kml_regs_diff(&in, &out, 1U << 0 | 1U << 2 | 1U << 10));
#else
	EXPECT_EQ(0, out.eax);
	/* INT $0x80 keeps every register but EAX. */
	EXPECT_EQ(0, kml_regs_diff(&in, &out, 1U << 0));
#endif
}

/*
 * A read from an empty pipe, interrupted by SIGALRM: the handler sees the
 * interrupted read (the SYSCALL instruction at RIP, and with SA_RESTART
 * RAX already back to the system call number) and writes the byte the
 * read waits for.
 */
static int rd_fds[2];
static volatile int rd_interrupted, rd_uc_bad;
static volatile uint64_t rd_uc_rip, rd_uc_rax;
static const struct kml_regs *rd_in;

static void on_alrm_read(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	const uint8_t *rip = (const uint8_t *)uc->uc_mcontext.gregs[REG_RIP];
	uint64_t rax = (long)uc->uc_mcontext.gregs[REG_RAX];

	handler_cpl = kml_cpl();
#ifdef __x86_64__
	/* At the SYSCALL (restart) or right after it (EINTR)? */
	if (!(rip[0] == 0x0f && rip[1] == 0x05) &&
	    !(rip[-2] == 0x0f && rip[-1] == 0x05))
		return;
	if (uc->uc_mcontext.gregs[REG_RDI] != rd_fds[0])
		return;
#else
	/* At the restart point or right after it (EINTR)? */
	if (!restart_point(rip) && !restart_point(rip - 2))
		return;
	if (uc->uc_mcontext.gregs[REG_EBX] != rd_fds[0])
		return;
#endif
	rd_interrupted++;
	rd_uc_rip = (uintptr_t)rip;
	rd_uc_rax = rax;
	if (rd_in && uc_differs(uc, rd_in, false))
		rd_uc_bad++;
	if (write(rd_fds[1], "k", 1) != 1)
		rd_uc_bad++;
	kml_clobber_fp();
	kml_clobber_gprs();
}

static void read_setup(int flags)
{
	rd_interrupted = 0;
	rd_uc_bad = 0;
	rd_uc_rip = 0;
	rd_in = NULL;
	handler_cpl = 99;
	pipe(rd_fds);
	handle(SIGALRM, on_alrm_read, flags);
	timer_every(20000);
}

static void read_done(void)
{
	timer_off();
	close(rd_fds[0]);
	close(rd_fds[1]);
}

TEST(sa_restart_read_libc)
{
	char c = 0;

	read_setup(SA_RESTART);
	EXPECT_EQ(1, read(rd_fds[0], &c, 1));
	read_done();
	EXPECT_EQ('k', c);
	EXPECT_LE(1, rd_interrupted);
#ifdef __x86_64__
	EXPECT_EQ(0, rd_uc_rax);		/* SYS_read, ready to restart */
	EXPECT_EQ(0x050f, *(uint16_t *)rd_uc_rip);
#else
	EXPECT_EQ(SYS_read, rd_uc_rax);		/* ready to restart */
	EXPECT_TRUE(restart_point((const uint8_t *)(uintptr_t)rd_uc_rip));
	TH_LOG("restart at %#llx (AT_SYSINFO %#lx)",
	       (unsigned long long)rd_uc_rip, getauxval(AT_SYSINFO));
#endif
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
}

TEST(sa_restart_read_syscall_instruction)
{
	struct kml_regs in, out;
	char c = 0;

	read_setup(SA_RESTART);
#ifdef __x86_64__
	kml_regs_fill(&in, 0xa5a5a5a500000000ULL);
	in.rax = SYS_read;
	in.rdi = rd_fds[0];
	in.rsi = (uint64_t)&c;
	in.rdx = 1;
	rd_in = &in;
	kml_regs_syscall(&in, &out);
#else
	kml_regs_fill(&in, 0xa5a50000U);
	in.eax = SYS_read;
	in.ebx = rd_fds[0];
	in.ecx = (uintptr_t)&c;
	in.edx = 1;
	rd_in = &in;
	kml_regs_int80(&in, &out);
#endif
	read_done();
#ifdef __x86_64__
	EXPECT_EQ(1, out.rax);
#else
	EXPECT_EQ(1, out.eax);
#endif
	EXPECT_EQ('k', c);
	EXPECT_LE(1, rd_interrupted);
	EXPECT_EQ(0, rd_uc_bad);
#ifdef __x86_64__
	/* The handler saw RIP backed up onto the SYSCALL instruction. */
	EXPECT_EQ((uint64_t)kml_regs_syscall_insn, rd_uc_rip);
	EXPECT_EQ(SYS_read, rd_uc_rax);
	EXPECT_EQ((uint64_t)kml_regs_syscall_ret, out.rcx);
	EXPECT_EQ(KML_FLAGS_PATTERN, out.r11);
	EXPECT_EQ(0, kml_regs_diff(&in, &out, 1U << 0 | 1U << 2 | 1U << 10));
#else
	/* The handler saw EIP backed up onto the INT $0x80. */
	EXPECT_EQ((uintptr_t)kml_regs_int80_insn, rd_uc_rip);
	EXPECT_EQ(SYS_read, rd_uc_rax);
	EXPECT_EQ(0, kml_regs_diff(&in, &out, 1U << 0));
#endif
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
}

/* Without SA_RESTART the same read fails with EINTR. */
TEST(read_without_sa_restart_fails_eintr)
{
	struct kml_regs in, out;
	char c = 0;

	read_setup(0);
#ifdef __x86_64__
	kml_regs_fill(&in, 0x5a5a5a5a00000000ULL);
	in.rax = SYS_read;
	in.rdi = rd_fds[0];
	in.rsi = (uint64_t)&c;
	in.rdx = 1;
	kml_regs_syscall(&in, &out);
	timer_off();
	EXPECT_EQ(-EINTR, (long)out.rax);
	EXPECT_LE(1, rd_interrupted);
	EXPECT_EQ((uint64_t)kml_regs_syscall_ret, rd_uc_rip);
#else
	kml_regs_fill(&in, 0x5a5a0000U);
	in.eax = SYS_read;
	in.ebx = rd_fds[0];
	in.ecx = (uintptr_t)&c;
	in.edx = 1;
	kml_regs_int80(&in, &out);
	timer_off();
	EXPECT_EQ(-EINTR, (long)out.eax);
	EXPECT_LE(1, rd_interrupted);
	EXPECT_EQ((uintptr_t)kml_regs_int80_ret, rd_uc_rip);
#endif
	EXPECT_EQ(-EINTR, (long)rd_uc_rax);
	EXPECT_EQ(1, read(rd_fds[0], &c, 1));	/* the handler's byte */
	read_done();
#ifdef __x86_64__
	EXPECT_EQ(0, kml_regs_diff(&in, &out, 1U << 0 | 1U << 2 | 1U << 10));
#else
	EXPECT_EQ(0, kml_regs_diff(&in, &out, 1U << 0));
#endif
}

static siginfo_t last_si;
static volatile int si_count;

static void on_info(int sig, siginfo_t *si, void *ctx)
{
	last_si = *si;
	si_count++;
	handler_cpl = kml_cpl();
}

TEST(siginfo_kill_tgkill_sigqueue)
{
	union sigval v = { .sival_int = 0x4b4d4c };

	handle(SIGUSR1, on_info, 0);
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	EXPECT_EQ(SIGUSR1, last_si.si_signo);
	EXPECT_EQ(SI_USER, last_si.si_code);
	EXPECT_EQ(getpid(), last_si.si_pid);
	EXPECT_EQ(getuid(), last_si.si_uid);
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);

	ASSERT_EQ(0, syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
	EXPECT_EQ(SI_TKILL, last_si.si_code);
	EXPECT_EQ(getpid(), last_si.si_pid);

	ASSERT_EQ(0, sigqueue(getpid(), SIGUSR1, v));
	EXPECT_EQ(SI_QUEUE, last_si.si_code);
	EXPECT_EQ(getpid(), last_si.si_pid);
	EXPECT_EQ(0x4b4d4c, last_si.si_value.sival_int);
}

TEST(siginfo_sigchld)
{
	pid_t pid;

	handle(SIGCHLD, on_info, 0);
	si_count = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(42);
	while (!si_count)
		kml_usleep(1000);
	EXPECT_EQ(SIGCHLD, last_si.si_signo);
	EXPECT_EQ(CLD_EXITED, last_si.si_code);
	EXPECT_EQ(pid, last_si.si_pid);
	EXPECT_EQ(42, last_si.si_status);
	waitpid(pid, NULL, 0);
	signal(SIGCHLD, SIG_DFL);
}

/*
 * SIGSEGV on a PROT_NONE page: the handler makes the page writable and
 * returns; the store runs again and completes.
 */
static char *segv_page;
static volatile int segv_count;
static volatile int segv_code;
static void *volatile segv_addr;

static void on_segv_mprotect(int sig, siginfo_t *si, void *ctx)
{
	segv_count++;
	segv_code = si->si_code;
	segv_addr = si->si_addr;
	handler_cpl = kml_cpl();
	if (mprotect(segv_page, PAGE, PROT_READ | PROT_WRITE))
		_exit(3);
}

TEST(sigsegv_mprotect_and_resume)
{
	volatile uint64_t *p;

	segv_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(segv_page != MAP_FAILED);
	p = (volatile uint64_t *)(segv_page + 256);
	handle(SIGSEGV, on_segv_mprotect, 0);
	segv_count = 0;
	*p = 0x1234567887654321ULL;
	EXPECT_EQ(1, segv_count);
	EXPECT_EQ(SEGV_ACCERR, segv_code);
	EXPECT_EQ((uintptr_t)p, (uintptr_t)segv_addr);
	EXPECT_EQ(0x1234567887654321ULL, *p);
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
	signal(SIGSEGV, SIG_DFL);
	munmap(segv_page, PAGE);
}

static sigjmp_buf segv_jmp;

static void on_segv_jump(int sig, siginfo_t *si, void *ctx)
{
	last_si = *si;
	handler_cpl = kml_cpl();
	siglongjmp(segv_jmp, 1);
}

TEST(siginfo_sigsegv)
{
	volatile char *p;

	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(0, munmap((char *)p + PAGE, PAGE));
	handle(SIGSEGV, on_segv_jump, 0);

	memset(&last_si, 0, sizeof(last_si));
	handler_cpl = 99;
	if (!sigsetjmp(segv_jmp, 1))
		p[PAGE + 8] = 1;		/* not mapped */
	EXPECT_EQ(SIGSEGV, last_si.si_signo);
	EXPECT_EQ(SEGV_MAPERR, last_si.si_code);
	EXPECT_EQ((uintptr_t)(p + PAGE + 8), (uintptr_t)last_si.si_addr);
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);

	memset(&last_si, 0, sizeof(last_si));
	if (!sigsetjmp(segv_jmp, 1))
		p[24] = 1;			/* read-only */
	EXPECT_EQ(SIGSEGV, last_si.si_signo);
	EXPECT_EQ(SEGV_ACCERR, last_si.si_code);
	EXPECT_EQ((uintptr_t)(p + 24), (uintptr_t)last_si.si_addr);
	munmap((char *)p, PAGE);
	signal(SIGSEGV, SIG_DFL);
}

/* Timer signals while the program faults in fresh pages, and the handler too. */
static char *fresh_handler_pages;
static volatile int fresh_signals;

static void on_alrm_fresh(int sig, siginfo_t *si, void *ctx)
{
	if (fresh_signals < 256)
		fresh_handler_pages[fresh_signals * PAGE + 7] = (char)fresh_signals;
	fresh_signals++;
	handler_cpl = kml_cpl();
}

TEST(signals_during_page_faults)
{
	const size_t npages = 8192;
	uint64_t *p;
	size_t i, touched;
	int bad = 0;

	p = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	fresh_handler_pages = mmap(NULL, 256 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(fresh_handler_pages != MAP_FAILED);
	fresh_signals = 0;
	handler_cpl = 99;
	handle(SIGALRM, on_alrm_fresh, SA_RESTART);
	timer_every(1000);
	for (i = 0; i < npages && fresh_signals < 20; i++)
		p[i * PAGE / 8 + (i & 63)] = i * 0x9e3779b97f4a7c15ULL;
	timer_off();
	touched = i;
	TH_LOG("%zu pages faulted in, %d signals", touched, fresh_signals);
	for (i = 0; i < touched; i++)
		bad += p[i * PAGE / 8 + (i & 63)] != i * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < (size_t)fresh_signals && i < 256; i++)
		bad += fresh_handler_pages[i * PAGE + 7] != (char)i;
	EXPECT_EQ(0, bad);
	EXPECT_LE(1, fresh_signals);
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
	munmap(p, npages * PAGE);
	munmap(fresh_handler_pages, 256 * PAGE);
}

/* Nesting: an unblocked signal raised in a handler runs inside it. */
static char order[32];
static volatile int order_len;
static volatile uintptr_t sp1, sp2;
static volatile unsigned int nested_cpl = 99;

static void note(char c)
{
	if (order_len < (int)sizeof(order) - 1)
		order[order_len++] = c;
}

static void on_usr2_nested(int sig, siginfo_t *si, void *ctx)
{
	int local;

	note('B');
	sp2 = (uintptr_t)&local;
	nested_cpl = kml_cpl();
	note('b');
}

static void on_usr1_nested(int sig, siginfo_t *si, void *ctx)
{
	int local;

	note('A');
	sp1 = (uintptr_t)&local;
	handler_cpl = kml_cpl();
	raise(SIGUSR2);
	note('a');
}

static volatile int nodefer_depth, nodefer_max;

static void on_usr1_nodefer(int sig, siginfo_t *si, void *ctx)
{
	nodefer_depth++;
	if (nodefer_depth > nodefer_max)
		nodefer_max = nodefer_depth;
	if (nodefer_depth < 8)
		raise(SIGUSR1);
	nodefer_depth--;
}

TEST(nested_signals)
{
	struct sigaction sa = { .sa_sigaction = on_usr1_nested,
				.sa_flags = SA_SIGINFO };

	memset(order, 0, sizeof(order));
	order_len = 0;
	handle(SIGUSR2, on_usr2_nested, 0);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	EXPECT_STREQ("ABba", order);
	EXPECT_GT(sp1, sp2);		/* the nested frame is below */
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);
	EXPECT_EQ(kml_expected_cpl(), nested_cpl);

	/* Blocked by the first handler's sa_mask: delivered after it. */
	memset(order, 0, sizeof(order));
	order_len = 0;
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	EXPECT_STREQ("AaBb", order);

	/* SA_NODEFER: the handler interrupts itself. */
	nodefer_depth = 0;
	nodefer_max = 0;
	handle(SIGUSR1, on_usr1_nodefer, SA_NODEFER);
	raise(SIGUSR1);
	EXPECT_EQ(8, nodefer_max);
	EXPECT_EQ(0, nodefer_depth);
}

/* sigaltstack: the handler runs on the alternate stack, a fresh mapping. */
static volatile uintptr_t alt_sp;
static volatile int alt_onstack;

static void on_usr1_alt(int sig, siginfo_t *si, void *ctx)
{
	stack_t cur;
	int local;

	alt_sp = (uintptr_t)&local;
	sigaltstack(NULL, &cur);
	alt_onstack = !!(cur.ss_flags & SS_ONSTACK);
	handler_cpl = kml_cpl();
}

TEST(sigaltstack_used)
{
	const size_t size = 16 * PAGE;
	stack_t ss = { .ss_size = size }, old;
	char *stack;

	/* Not touched yet: the kernel faults in the pages of the frame. */
	stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(stack != MAP_FAILED);
	ss.ss_sp = stack;
	ASSERT_EQ(0, sigaltstack(&ss, &old));
	handle(SIGUSR1, on_usr1_alt, SA_ONSTACK);
	handler_cpl = 99;
	alt_sp = 0;
	raise(SIGUSR1);
	EXPECT_LE((uintptr_t)stack, alt_sp);
	EXPECT_GT((uintptr_t)stack + size, alt_sp);
	EXPECT_EQ(1, alt_onstack);
	EXPECT_EQ(kml_expected_cpl(), handler_cpl);

	/* Without SA_ONSTACK, the ordinary stack. */
	handle(SIGUSR1, on_usr1_alt, 0);
	raise(SIGUSR1);
	EXPECT_TRUE(alt_sp < (uintptr_t)stack || alt_sp >= (uintptr_t)stack + size);
	EXPECT_EQ(0, alt_onstack);

	ss.ss_flags = SS_DISABLE;
	EXPECT_EQ(0, sigaltstack(&ss, NULL));
	munmap(stack, size);
}

/* A spinning child (no system calls) is stopped, continued and killed. */
static int cont_fd = -1;

static void on_cont(int sig, siginfo_t *si, void *ctx)
{
	char c = '0' + kml_cpl();

	if (write(cont_fd, &c, 1) != 1)
		_exit(5);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

TEST(stop_continue_kill_child)
{
	int fds[2], status;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		cont_fd = fds[1];
		handle(SIGCONT, on_cont, 0);
		c = '0' + kml_cpl();
		if (write(fds[1], &c, 1) != 1)
			_exit(4);
		for (;;)
			asm volatile("pause" ::: "memory");
	}
	ASSERT_EQ(1, read(fds[0], &c, 1));
	EXPECT_EQ('0' + kml_expected_cpl(), c);

	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	EXPECT_TRUE(WIFSTOPPED(status));
	EXPECT_EQ(SIGSTOP, WSTOPSIG(status));
	EXPECT_EQ('T', proc_state(pid));

	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_EQ(pid, waitpid(pid, &status, WCONTINUED));
	EXPECT_TRUE(WIFCONTINUED(status));
	/* Its SIGCONT handler ran, at its privilege level. */
	ASSERT_EQ(1, read(fds[0], &c, 1));
	EXPECT_EQ('0' + kml_expected_cpl(), c);
	EXPECT_EQ('R', proc_state(pid));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	close(fds[0]);
	close(fds[1]);
}

/*
 * kill between a KML process and an ordinary one: this program (at its
 * level) and copies of kml_peer in the trusted directory and in an
 * ordinary one signal each other.
 */

static pid_t spawn_peer(const char *path, const char *mode, int *out_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(path, path, mode, NULL);
		_exit(127);
	}
	close(fds[1]);
	*out_fd = fds[0];
	return pid;
}

static char *read_line(int fd)
{
	static char buf[128];
	size_t len = 0;

	while (len < sizeof(buf) - 1 && read(fd, buf + len, 1) == 1 &&
	       buf[len] != '\n')
		len++;
	buf[len] = '\0';
	return buf;
}

static void kill_peer(struct __test_metadata *_metadata, const char *path,
		      unsigned int peer_cpl)
{
	struct timespec tmo = { .tv_sec = 20 };
	char want[64], *line;
	siginfo_t si;
	sigset_t set;
	int fd, status;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = spawn_peer(path, "signal", &fd);
	ASSERT_LT(0, pid);
	snprintf(want, sizeof(want), "cpl=%u", peer_cpl);
	EXPECT_STREQ(want, read_line(fd));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ(SIGUSR2, kml_sigtimedwait(&set, &si, &tmo));
	EXPECT_EQ(pid, si.si_pid);
	EXPECT_EQ(SI_QUEUE, si.si_code);
	EXPECT_EQ((int)peer_cpl, si.si_value.sival_int);
	line = read_line(fd);
	snprintf(want, sizeof(want), "got pid=%d code=%d cpl=%u", getpid(),
		 SI_USER, peer_cpl);
	EXPECT_STREQ(want, line);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);

	/* A default action: SIGTERM kills the spinning peer. */
	pid = spawn_peer(path, "spin", &fd);
	ASSERT_LT(0, pid);
	snprintf(want, sizeof(want), "cpl=%u", peer_cpl);
	EXPECT_STREQ(want, read_line(fd));
	ASSERT_EQ(0, kill(pid, SIGTERM));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

TEST(kill_between_kml_and_ordinary)
{
	char tpeer[PATH_MAX], opeer[PATH_MAX];

	if (geteuid() != 0)
		SKIP(return, "needs root to write to the trusted directory");
	ASSERT_EQ(0, kml_install_pair("kml_peer", "kml-signals", tpeer, opeer));

	kill_peer(_metadata, tpeer, kml_trusted_cpl());
	kill_peer(_metadata, opeer, 3);
}

TEST_HARNESS_MAIN
