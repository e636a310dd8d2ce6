// SPDX-License-Identifier: GPL-2.0
/*
 * Faults of a KML process become what they are in user mode: a page gets
 * mapped, or the process gets the signal a user-mode process gets, with
 * the same si_code and si_addr, and goes on after its handler recovers.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#define PAGE	4096

static sigjmp_buf fault_jmp;
static volatile int fault_sig;
static volatile int fault_code;
static void *volatile fault_addr;
static volatile unsigned int fault_cpl = 99;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	fault_cpl = kml_cpl();
	siglongjmp(fault_jmp, 1);
}

static void catch_faults(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	fault_sig = 0;
	fault_cpl = 99;
}

/* Run @stmt expecting a fault; the handler comes back here. */
#define EXPECT_FAULT(stmt) do {				\
	catch_faults();					\
	if (sigsetjmp(fault_jmp, 1) == 0) {		\
		stmt;					\
	}						\
	EXPECT_EQ(kml_expected_cpl(), fault_cpl);	\
} while (0)

TEST(demand_paging)
{
	unsigned char *p;
	int i;

	p = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, p[i * PAGE + i]);	/* read fault: zero page */
	for (i = 0; i < 64; i++)
		p[i * PAGE + 1] = (unsigned char)i;	/* write fault */
	for (i = 0; i < 64; i++)
		EXPECT_EQ(i, p[i * PAGE + 1]);
	munmap(p, 64 * PAGE);
}

TEST(cow_after_fork)
{
	volatile int *p;
	int status;
	pid_t pid;

	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	*p = 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		*p = 2;		/* copy on write in the child */
		_exit(*p == 2 && kml_cpl() == kml_expected_cpl() ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(1, *p);
	*p = 3;			/* and in the parent */
	EXPECT_EQ(3, *p);
}

TEST(file_mmap)
{
	char path[] = "/tmp/kml-faults-XXXXXX", buf[PAGE];
	char *p;
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	memset(buf, 'k', sizeof(buf));
	ASSERT_EQ(PAGE, write(fd, buf, PAGE));
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ('k', p[100]);
	p[200] = 'm';
	ASSERT_EQ(PAGE, pread(fd, buf, PAGE, 0));
	EXPECT_EQ('m', buf[200]);

	/* Past the end of the file: SIGBUS. */
	munmap(p, PAGE);
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_FAULT((void)*(volatile char *)(p + PAGE + 8));
	EXPECT_EQ(SIGBUS, fault_sig);
	EXPECT_EQ(BUS_ADRERR, fault_code);
	EXPECT_EQ((uintptr_t)(p + PAGE + 8), (uintptr_t)fault_addr);
	munmap(p, 2 * PAGE);
	close(fd);
}

/* Addresses the compiler cannot see through. */
static int *volatile bad_pointer = (int *)0x10;

TEST(bad_address)
{
	EXPECT_FAULT((void)*(volatile int *)bad_pointer);
	EXPECT_EQ(SIGSEGV, fault_sig);
	EXPECT_EQ(SEGV_MAPERR, fault_code);
	EXPECT_EQ(0x10, (uintptr_t)fault_addr);
}

TEST(write_to_read_only)
{
	char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_FAULT(*(volatile char *)(p + 5) = 1);
	EXPECT_EQ(SIGSEGV, fault_sig);
	EXPECT_EQ(SEGV_ACCERR, fault_code);
	EXPECT_EQ((uintptr_t)(p + 5), (uintptr_t)fault_addr);
	munmap(p, PAGE);
}

#ifndef __x86_64__
/*
 * IA-32: does the CPU enforce NX in ring 3? (QEMU 7.2's i386 emulation
 * executes PAE pages with NX set.) The answer of a copy of this program
 * in an ordinary directory, which runs in user mode, told by its exit
 * status: 0 if executing a non-executable page faulted.
 */
static int nx_probe(void)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 2;
	*(unsigned char *)p = 0xc3;	/* ret */
	signal(SIGSEGV, SIG_DFL);
	((void (*)(void))p)();
	return 1;
}

static bool nx_in_user_mode(void)
{
	const char *copy = "/tmp/kml-faults-nx-probe";
	int status;
	pid_t pid;

	if (kml_copy_file("/proc/self/exe", copy, 0755))
		return false;
	pid = fork();
	if (pid == 0) {
		execl(copy, copy, "--nx-probe", NULL);
		_exit(3);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	unlink(copy);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}
#endif

TEST(execute_non_executable)
{
	unsigned char *p;

#ifndef __x86_64__
	int persona = personality(0xffffffff);

	if (!kml_nx_enforced())
		SKIP(return, "no NX: the CPU lacks it or the kernel is not PAE");
	/*
	 * A 32-bit program without PT_GNU_STACK makes readable mappings
	 * executable (READ_IMPLIES_EXEC), for itself and, inherited, for
	 * every program it runs: not for this one.
	 */
	if (persona != -1 && (persona & READ_IMPLIES_EXEC)) {
		TH_LOG("READ_IMPLIES_EXEC inherited: cleared");
		ASSERT_NE(-1, personality(persona & ~READ_IMPLIES_EXEC));
	}
	if (!nx_in_user_mode())
		SKIP(return, "NX is not enforced even in user mode (the CPU model)");
#endif
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	p[0] = 0xc3;	/* ret */
	EXPECT_FAULT(((void (*)(void))p)());
	EXPECT_EQ(SIGSEGV, fault_sig);
	EXPECT_EQ(SEGV_ACCERR, fault_code);
	EXPECT_EQ((uintptr_t)p, (uintptr_t)fault_addr);
	munmap(p, PAGE);
}

TEST(general_protection)
{
#ifdef __x86_64__
	/* A non-canonical address: #GP, not #PF. */
	EXPECT_FAULT((void)*(volatile long *)0x8000000000000000UL);
#else
	/* A selector past the end of the GDT: #GP, in ring 0 as in ring 3. */
	EXPECT_FAULT(asm volatile("movw %w0, %%es" : : "r" (0xfffb) : "memory"));
#endif
	EXPECT_EQ(SIGSEGV, fault_sig);
	EXPECT_EQ(SI_KERNEL, fault_code);
	EXPECT_EQ(0, (uintptr_t)fault_addr);
}

static void *volatile ud2_addr;

/* Run UD2, after storing its address in ud2_addr. */
static noinline void do_ud2(void)
{
#ifdef __x86_64__
	asm volatile("lea 1f(%%rip), %%rax\n\t"
		     "mov %%rax, %0\n"
		     "1:\tud2" : "=m" (ud2_addr) : : "rax", "memory");
#else
	asm volatile("movl $1f, %0\n"
		     "1:\tud2" : "=m" (ud2_addr) : : "memory");
#endif
}

TEST(invalid_opcode)
{
	EXPECT_FAULT(do_ud2());
	EXPECT_EQ(SIGILL, fault_sig);
	EXPECT_EQ(ILL_ILLOPN, fault_code);
	EXPECT_EQ((uintptr_t)ud2_addr, (uintptr_t)fault_addr);
}

TEST(divide_error)
{
	volatile int zero = 0, r = 1;

	EXPECT_FAULT(r = r / zero);
	EXPECT_EQ(SIGFPE, fault_sig);
	EXPECT_EQ(FPE_INTDIV, fault_code);
}

TEST(breakpoint)
{
	EXPECT_FAULT(asm volatile("int3"));
	EXPECT_EQ(SIGTRAP, fault_sig);
	EXPECT_EQ(SI_KERNEL, fault_code);
}

#ifdef __x86_64__
TEST_HARNESS_MAIN
#else
int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--nx-probe"))
		return nx_probe();
	return test_harness_run(argc, argv);
}
#endif
