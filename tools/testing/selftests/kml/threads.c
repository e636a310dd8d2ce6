// SPDX-License-Identifier: GPL-2.0
/*
 * Processes and threads of a KML process: fork, vfork and pthreads (clone
 * with CLONE_VM | CLONE_THREAD) keep the parent's privilege level;
 * exit_group ends a process of 32 busy threads; wait4 reports the child's
 * resource usage (its ring-0 loop counted as user time); thread-local
 * storage through the FS base (arch_prctl, and the FSGSBASE instructions
 * where the CPU has them); CPUID faulting (ARCH_SET_CPUID) refused in
 * ring 0, where it would not fault; futexes between threads; and a thread that
 * keeps its registers, privilege level and TLS while it is moved between
 * the two CPUs again and again. The same pthreads checks run in a
 * dynamically linked program (kml_threads_dyn).
 *
 * On IA-32 the thread pointer is the base of glibc's GS segment
 * (set_thread_area) instead of the FS base; arch_prctl's FS and GS
 * requests and the FSGSBASE instructions are 64-bit only.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#ifndef __x86_64__
#include <asm/ldt.h>
#endif
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"
#include "kml_regs.h"

static __thread uint64_t tls_value = 0x715715;

#ifdef __x86_64__
static uint64_t get_fs_base(void)
{
	uint64_t base = 0;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &base);
	return base;
}

/* glibc's thread control block starts with a pointer to itself. */
static uint64_t fs_self(void)
{
	uint64_t v;

	asm volatile("movq %%fs:0, %0" : "=r" (v));
	return v;
}
#else
/* IA-32: the base of the GS segment, as get_thread_area says. */
static uint64_t get_fs_base(void)
{
	struct user_desc desc = { 0 };
	unsigned short gs;

	asm volatile("mov %%gs, %0" : "=r" (gs));
	desc.entry_number = gs >> 3;
	if (syscall(SYS_get_thread_area, &desc))
		return 0;
	return desc.base_addr;
}

static uint64_t fs_self(void)
{
	uint32_t v;

	asm volatile("movl %%gs:0, %0" : "=r" (v));
	return v;
}
#endif

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

TEST(runs_at_expected_cpl)
{
	TH_LOG("CPL %u, expected %u", kml_cpl(), kml_expected_cpl());
	ASSERT_EQ(kml_expected_cpl(), kml_cpl());
}

TEST(fork_keeps_cpl_and_copies_memory)
{
	static volatile int shared = 1;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		shared = 2;
		_exit(kml_cpl() == kml_expected_cpl() && tls_value == 0x715715 ? 0 : 1);
	}
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(1, shared);
}

TEST(vfork_shares_memory)
{
	static volatile int shared = 1;
	static volatile unsigned int child_cpl = 99;
	pid_t pid;

	pid = vfork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		shared = 2;
		child_cpl = kml_cpl();
		_exit(0);
	}
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(2, shared);
	EXPECT_EQ(kml_expected_cpl(), child_cpl);
}

struct thr {
	pthread_t t;
	int index;
	pid_t tid;
	unsigned int cpl;
	uint64_t tls_addr, fs_base, fs_self;
	uint64_t tls_seen;
};

static void *thread_main(void *arg)
{
	struct thr *t = arg;

	t->tid = syscall(SYS_gettid);
	t->cpl = kml_cpl();
	tls_value = 1000 + t->index;
	t->tls_addr = (uintptr_t)&tls_value;
	t->fs_base = get_fs_base();
	t->fs_self = fs_self();
	sched_yield();
	t->tls_seen = tls_value;
	return (void *)(long)(t->index * 3);
}

TEST(pthreads)
{
	struct thr t[8];
	void *ret;
	int i, j;

	for (i = 0; i < 8; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].index = i;
		ASSERT_EQ(0, pthread_create(&t[i].t, NULL, thread_main, &t[i]));
	}
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, kml_pthread_join(t[i].t, &ret));
		EXPECT_EQ(i * 3, (long)ret);
		EXPECT_EQ(kml_expected_cpl(), t[i].cpl);
		EXPECT_EQ(1000 + i, t[i].tls_seen);
		EXPECT_EQ(t[i].fs_base, t[i].fs_self);
		EXPECT_NE(getpid(), t[i].tid);
		for (j = 0; j < i; j++) {
			EXPECT_NE(t[j].tid, t[i].tid);
			EXPECT_NE(t[j].tls_addr, t[i].tls_addr);
			EXPECT_NE(t[j].fs_base, t[i].fs_base);
		}
	}
	EXPECT_EQ(0x715715, tls_value);
	EXPECT_EQ(get_fs_base(), fs_self());
}

/* exit_group from one thread ends all 32 busy ones. */
static atomic_int started;

static void *busy_thread(void *arg)
{
	atomic_fetch_add(&started, 1);
	for (;;)
		asm volatile("pause" ::: "memory");
	return NULL;
}

static void *exiting_thread(void *arg)
{
	while (atomic_load(&started) < 32)
		sched_yield();
	syscall(SYS_exit_group, 42);
	return NULL;
}

TEST(exit_group_with_32_busy_threads)
{
	struct timespec t0, t1;
	pid_t pid;
	int from_thread;

	for (from_thread = 0; from_thread < 2; from_thread++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			pthread_t t;
			int i;

			for (i = 0; i < 32; i++)
				if (pthread_create(&t, NULL, busy_thread, NULL))
					_exit(1);
			if (from_thread) {
				pthread_create(&t, NULL, exiting_thread, NULL);
				for (;;)
					pause();
			}
			while (atomic_load(&started) < 32)
				sched_yield();
			exit(42);
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		EXPECT_EQ(42, child_status(pid));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		TH_LOG("exit_group from the %s thread: %ld ms",
		       from_thread ? "33rd" : "main",
		       (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	}
}

/*
 * wait4: the child spins in its own code and touches fresh pages; its CPU
 * time is user time (the tick finds it in the user view, ring 0 or not)
 * and its page faults are counted.
 */
TEST(wait4_rusage)
{
	struct rusage ru;
	struct timespec t0, t1;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *p = malloc(256 * 4096);
		long ms;
		int i;

		for (i = 0; i < 256; i++)
			p[i * 4096] = 1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			for (i = 0; i < 100000; i++)
				asm volatile("" ::: "memory");
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ms = (t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		} while (ms < 300);
		_exit(kml_cpl() == kml_expected_cpl() ? 7 : 8);
	}
	ASSERT_EQ(pid, wait4(pid, &status, 0, &ru));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(7, WEXITSTATUS(status));
	TH_LOG("utime %ld.%06ld s, stime %ld.%06ld s, minflt %ld",
	       ru.ru_utime.tv_sec, ru.ru_utime.tv_usec,
	       ru.ru_stime.tv_sec, ru.ru_stime.tv_usec, ru.ru_minflt);
	EXPECT_LE(50000, ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec);
	EXPECT_GT(ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		  ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	EXPECT_LE(256, ru.ru_minflt);
}

#ifdef __x86_64__
/*
 * arch_prctl(ARCH_SET_FS) to a block of our own: %fs-relative loads see
 * it, across a system call and a reschedule, and ARCH_GET_FS reports it.
 * Nothing may use glibc's TLS until the old base is back: raw system calls
 * only.
 */
static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall" : "=a" (ret) : "a" (nr), "D" (a), "S" (b), "d" (c)
		     : "rcx", "r11", "memory");
	return ret;
}

TEST(arch_set_fs)
{
	static uint64_t block[4] = { 0, 0x1111222233334444ULL, 0x5555666677778888ULL };
	uint64_t old = get_fs_base(), seen = 0, v1, v2;
	long r1, r2;

	block[0] = (uint64_t)block;
	r1 = raw_syscall3(SYS_arch_prctl, ARCH_SET_FS, (long)block, 0);
	asm volatile("movq %%fs:8, %0" : "=r" (v1));
	raw_syscall3(SYS_sched_yield, 0, 0, 0);
	asm volatile("movq %%fs:16, %0" : "=r" (v2));
	raw_syscall3(SYS_arch_prctl, ARCH_GET_FS, (long)&seen, 0);
	r2 = raw_syscall3(SYS_arch_prctl, ARCH_SET_FS, (long)old, 0);
	EXPECT_EQ(0, r1);
	EXPECT_EQ(0, r2);
	EXPECT_EQ(block[1], v1);
	EXPECT_EQ(block[2], v2);
	EXPECT_EQ((uint64_t)block, seen);
	EXPECT_EQ(old, get_fs_base());
	EXPECT_EQ(0x715715, tls_value);
}

/* ARCH_GET_GS: 0, in ring 0 too, where both GS bases hold the kernel's. */
TEST(arch_get_gs)
{
	uint64_t base = 1;

	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_GET_GS, &base));
	EXPECT_EQ(0, base);
}
#endif

/*
 * ARCH_SET_CPUID, 0 asks for CPUID faulting, which the CPU applies at
 * CPL > 0 only: a KML task would go on executing CPUID as if nothing had
 * been said, so the kernel refuses it (EPERM). In user mode it works: the
 * next CPUID raises SIGSEGV. ARCH_GET_CPUID says 1 (CPUID allowed) either
 * way.
 */
TEST(arch_set_cpuid)
{
	unsigned int a = 0, b, c = 0, d;
	pid_t pid;
	long r;

	ASSERT_EQ(1, syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
	if (!kml_cpu_flag("cpuid_fault"))
		SKIP(return, "no CPUID faulting (cpuid_fault in /proc/cpuinfo): always ENODEV");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		r = syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
		if (kml_expected_cpl() == 0)
			_exit(r == -1 && errno == EPERM &&
			      syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0) == 1 ? 0 :
			      r == 0 ? 10 : 11);
		if (r)
			_exit(12);
		if (syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0) != 0)
			_exit(13);
		asm volatile("cpuid" : "+a" (a), "=b" (b), "+c" (c), "=d" (d));
		_exit(14);	/* CPUID did not fault */
	}
	r = child_status(pid);
	if (kml_expected_cpl() == 0) {
		EXPECT_EQ(0, r) {
			TH_LOG("at CPL 0: expected ARCH_SET_CPUID, 0 to fail with EPERM; %s",
			       r == 10 ? "it worked" : r == 11 ? "it failed otherwise" :
			       "the child died");
		}
	} else {
		EXPECT_EQ(1000 + SIGSEGV, r) {
			TH_LOG("at CPL 3: expected CPUID to fault after ARCH_SET_CPUID 0; %s (%ld)",
			       r == 12 ? "ARCH_SET_CPUID, 0 failed" :
			       r == 13 ? "ARCH_GET_CPUID did not say 0 after it" :
			       r == 14 ? "CPUID did not fault" : "the child ended otherwise", r);
		}
	}
}

#ifdef __x86_64__
static uint64_t fsbase_rd(void)
{
	uint64_t v;

	asm volatile("rdfsbase %0" : "=r" (v));
	return v;
}

static void fsbase_wr(uint64_t v)
{
	asm volatile("wrfsbase %0" : : "r" (v) : "memory");
}

static uint64_t gsbase_rd(void)
{
	uint64_t v;

	asm volatile("rdgsbase %0" : "=r" (v));
	return v;
}
#endif

static int move_to(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set);
}

/*
 * The FSGSBASE instructions: RDFSBASE/WRFSBASE work on the FS base as in
 * user mode, across a migration to the other CPU. RDGSBASE reads 0 in user
 * mode; in a KML program both GS bases hold the kernel's per-CPU base
 * (Documentation/arch/x86/kml.rst), which a trusted program must not
 * change (no WRGSBASE here).
 */
#ifdef __x86_64__
TEST(fsgsbase_instructions)
{
	static uint64_t block[2] = { 0, 0x0123456789abcdefULL };
	uint64_t old, seen = 0, seen2, v, gs0, gs1;
	unsigned int cpu = 99;
	cpu_set_t set1;

	if (!kml_cpu_flag("fsgsbase"))
		SKIP(return, "the CPU (or the kernel) has no FSGSBASE");
	old = fsbase_rd();
	EXPECT_EQ(get_fs_base(), old);
	block[0] = (uint64_t)block;
	CPU_ZERO(&set1);
	CPU_SET(1, &set1);

	ASSERT_EQ(0, move_to(0, 0));
	gs0 = gsbase_rd();
	/* No glibc from here: the FS base is ours. */
	fsbase_wr((uint64_t)block);
	raw_syscall3(SYS_sched_yield, 0, 0, 0);
	raw_syscall3(SYS_arch_prctl, ARCH_GET_FS, (long)&seen, 0);
	raw_syscall3(SYS_sched_setaffinity, 0, sizeof(set1), (long)&set1);
	raw_syscall3(SYS_sched_yield, 0, 0, 0);
	asm volatile("movq %%fs:8, %0" : "=r" (v));
	seen2 = fsbase_rd();
	raw_syscall3(SYS_getcpu, (long)&cpu, 0, 0);
	gs1 = gsbase_rd();
	fsbase_wr(old);

	EXPECT_EQ((uint64_t)block, seen);
	EXPECT_EQ((uint64_t)block, seen2);
	EXPECT_EQ(block[1], v);
	EXPECT_EQ(1, cpu);
	EXPECT_EQ(old, get_fs_base());
	EXPECT_EQ(0x715715, tls_value);
	TH_LOG("GS base on CPU 0: %#llx, on CPU 1: %#llx",
	       (unsigned long long)gs0, (unsigned long long)gs1);
	if (kml_expected_cpl() == 0) {
		EXPECT_NE(0, gs0 >> 63);
		EXPECT_NE(0, gs1 >> 63);
		EXPECT_NE(gs0, gs1);
	} else {
		EXPECT_EQ(0, gs0);
		EXPECT_EQ(0, gs1);
	}
}
#endif

/* Futex ping-pong between two threads. */
#define ROUNDS 2000
static atomic_uint ball;

static long futex(atomic_uint *uaddr, int op, unsigned int val)
{
#ifdef __x86_64__
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
#else
	/* The same without a timeout; the 32-bit-time one may be missing. */
	return syscall(SYS_futex_time64, uaddr, op, val, NULL, NULL, 0);
#endif
}

/* Wait until the ball holds @want, then hand it over as @next. */
static int play(unsigned int want, unsigned int next, unsigned int *waits)
{
	unsigned int v;

	while ((v = atomic_load(&ball)) != want) {
		if (futex(&ball, FUTEX_WAIT_PRIVATE, v) && errno != EAGAIN &&
		    errno != EINTR)
			return -1;
		(*waits)++;
	}
	atomic_store(&ball, next);
	return futex(&ball, FUTEX_WAKE_PRIVATE, 1) < 0 ? -1 : 0;
}

static unsigned int partner_waits, partner_cpl = 99;

static void *partner(void *arg)
{
	unsigned int i;

	partner_cpl = kml_cpl();
	for (i = 0; i < ROUNDS; i++)
		if (play(2 * i + 1, 2 * i + 2, &partner_waits))
			return (void *)1;
	return NULL;
}

TEST(futex_ping_pong)
{
	unsigned int i, waits = 0;
	pthread_t t;
	void *ret;

	atomic_store(&ball, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, partner, NULL));
	for (i = 0; i < ROUNDS; i++)
		ASSERT_EQ(0, play(2 * i, 2 * i + 1, &waits));
	ASSERT_EQ(0, kml_pthread_join(t, &ret));
	EXPECT_TRUE(!ret);
	EXPECT_EQ(2 * ROUNDS, atomic_load(&ball));
	EXPECT_EQ(kml_expected_cpl(), partner_cpl);
	TH_LOG("%u rounds, %u + %u futex waits", ROUNDS, waits, partner_waits);
	EXPECT_LT(0, waits + partner_waits);
}

/*
 * A thread runs register loops (every GPR, RFLAGS, XMM, MXCSR, x87 CW set
 * and checked bit for bit) and checks its CPL and TLS after each, while the
 * main thread moves it between CPU 0 and CPU 1.
 */
struct mover {
	atomic_int stop;
	pid_t tid;
	unsigned long rounds, bad_regs, bad_cpl, bad_tls, moves;
	unsigned long on_cpu[2];
	uint64_t gsbase[2];
	unsigned long bad_gs;
};

static void *moving_thread(void *arg)
{
	struct mover *m = arg;
#ifdef __x86_64__
	bool fsgs = kml_cpu_flag("fsgsbase");
#endif
	struct kml_regs in, out;
	int cpu, last = -1;

	m->tid = syscall(SYS_gettid);
	tls_value = 0xabcdef;
	while (!atomic_load(&m->stop)) {
		kml_regs_fill(&in, m->rounds * 0x10001);
		kml_regs_loop(&in, &out);
#ifdef __x86_64__
		if (kml_regs_diff(&in, &out, 1U << 2) || out.rcx)
#else
		if (kml_regs_diff(&in, &out, 1U << 2) || out.ecx)
#endif
			m->bad_regs++;
		if (kml_cpl() != kml_expected_cpl())
			m->bad_cpl++;
		if (tls_value != 0xabcdef || fs_self() != get_fs_base())
			m->bad_tls++;
		cpu = sched_getcpu();
		if (cpu == 0 || cpu == 1) {
			m->on_cpu[cpu]++;
#ifdef __x86_64__
			if (fsgs && kml_expected_cpl() == 0) {
				uint64_t gs = gsbase_rd();

				if (!(gs >> 63))
					m->bad_gs++;
			}
#endif
		}
		if (last >= 0 && cpu != last)
			m->moves++;
		last = cpu;
		m->rounds++;
	}
	return NULL;
}

TEST(migration_between_cpus)
{
	struct mover m = { 0 };
	pthread_t t;
	int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	kml_loop_count = 20000;
	ASSERT_EQ(0, pthread_create(&t, NULL, moving_thread, &m));
	while (!m.tid)
		sched_yield();
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, move_to(m.tid, i & 1));
		kml_usleep(2000);
	}
	atomic_store(&m.stop, 1);
	ASSERT_EQ(0, kml_pthread_join(t, NULL));
	TH_LOG("%lu rounds (%lu on CPU 0, %lu on CPU 1), %lu moves seen",
	       m.rounds, m.on_cpu[0], m.on_cpu[1], m.moves);
	EXPECT_EQ(0, m.bad_regs);
	EXPECT_EQ(0, m.bad_cpl);
	EXPECT_EQ(0, m.bad_tls);
	EXPECT_EQ(0, m.bad_gs);
	EXPECT_LT(0, m.on_cpu[0]);
	EXPECT_LT(0, m.on_cpu[1]);
	EXPECT_LE(10, m.moves);
}

/* The same pthreads, TLS and futex checks in a dynamically linked program. */
TEST(dynamically_linked_pthreads)
{
	char exe[PATH_MAX], prog[PATH_MAX + 32], out[256], want[64];
	int fds[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	snprintf(prog, sizeof(prog), "%s/kml_threads_dyn", dirname(exe));
	if (access(prog, X_OK))
		SKIP(return, "kml_threads_dyn is missing");
#ifndef __x86_64__
	if (syscall(SYS_futex, &status, FUTEX_WAKE, 1, NULL, NULL, 0) < 0 &&
	    errno == ENOSYS)
		SKIP(return, "no futex of 32-bit time for glibc's pthread_join() %s",
		     "(CONFIG_COMPAT_32BIT_TIME)");
#endif
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(prog, prog, NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < (ssize_t)sizeof(out) - 1 &&
	       (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(fds[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TH_LOG("%s", out);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(want, sizeof(want), "cpl=%u threads=8 ok\n", kml_expected_cpl());
	EXPECT_STREQ(want, out);
}

TEST_HARNESS_MAIN
