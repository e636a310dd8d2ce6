// SPDX-License-Identifier: GPL-2.0
/*
 * System calls of a KML process: through the SYSCALL instruction (which a
 * KML task enters on its own short path, returning without IRET) and
 * through the direct entry that a KML process finds as AT_SYSINFO
 * (tools/kml/kml_syscall.h). Both must leave the red zone alone, restart
 * interrupted calls, deliver pending signals on return, and obey seccomp
 * and ptrace like any system call, and preserve every register but RAX,
 * RCX and R11. The same entry is the vDSO's __vdso_kml_syscall. Ordinary
 * processes get no AT_SYSINFO, and -ENOSYS from the vDSO symbol.
 *
 * Most calls here take the direct dispatch of syscall.c; the ones that
 * must fall back to the full path (seccomp, ptrace, a pending signal, a
 * restart, fork, exec, sigreturn) are tested through both entries.
 *
 * A caller may enter with DF or AC set in RFLAGS: the SYSCALL instruction
 * clears them for the kernel (MSR_SYSCALL_MASK) and gives them back from
 * R11. The direct entry is a function: the kernel must run with DF and AC
 * clear (DF reverses its string copies, AC turns SMAP off), and the
 * caller gets DF clear back, as from any function; AC is not given back
 * either (the entry clears it, like the kernel's CLAC after a user copy).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../../../kml/kml_syscall.h"
#include "kml_util.h"

TEST(auxv_entry)
{
	unsigned long entry = kml_syscall_entry();

	if (kml_expected_cpl() == 0) {
		/* A KML process: an entry in kernel text. */
		EXPECT_LE(0xff00000000000000UL, entry);
	} else {
		EXPECT_EQ(0UL, entry);
	}
}

/* The address of the vDSO's dynamic symbol @name, or 0. */
static unsigned long vdso_sym(const char *name)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Shdr *sh;
	int i;

	if (!base)
		return 0;
	sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym = (const Elf64_Sym *)(base + sh[i].sh_offset);
		const char *str = (const char *)(base + sh[sh[i].sh_link].sh_offset);
		unsigned long n = sh[i].sh_size / sizeof(*sym), k;

		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		for (k = 0; k < n; k++)
			if (sym[k].st_shndx != SHN_UNDEF &&
			    !strcmp(str + sym[k].st_name, name))
				return base + sym[k].st_value;
	}
	return 0;
}

/* getppid() through @entry, with the SYSCALL convention. */
static long call_entry(unsigned long entry)
{
	long r = SYS_getppid;

	asm volatile("sub $128, %%rsp\n\tcall *%[e]\n\tadd $128, %%rsp"
		     : "+a" (r) : [e] "r" (entry)
		     : "rcx", "r11", "rdi", "rsi", "rdx", "r8", "r9", "r10",
		       "memory");
	return r;
}

/*
 * __vdso_kml_syscall: the direct entry for a KML process, -ENOSYS for any
 * other; no such symbol on a kernel without KML.
 */
TEST(vdso_symbol)
{
	unsigned long entry = vdso_sym("__vdso_kml_syscall");

	if (kml_baseline()) {
		EXPECT_EQ(0UL, entry);
		return;
	}
	ASSERT_NE(0UL, entry);
	EXPECT_EQ(entry, vdso_sym("kml_syscall"));
	/* getppid() for a KML process, else -ENOSYS */
	EXPECT_EQ(kml_expected_cpl() == 0 ? getppid() : -ENOSYS,
		  call_entry(entry));
}

/*
 * unsigned long keep_regs(unsigned long entry, unsigned long *out): load
 * distinct values into every general register but RSP, RAX (getppid),
 * RCX and R11, make the call (SYSCALL for entry 0, else CALL *entry below
 * the red zone), and store the registers to out[0..11] afterwards.
 */
unsigned long keep_regs(unsigned long entry, unsigned long *out);
asm("	.text\n"
"	.globl keep_regs\n"
"	.type keep_regs, @function\n"
"keep_regs:\n"
"	pushq	%rbx\n"
"	pushq	%rbp\n"
"	pushq	%r12\n"
"	pushq	%r13\n"
"	pushq	%r14\n"
"	pushq	%r15\n"
"	pushq	%rsi\n"			/* out */
"	movq	%rdi, %rax\n"
"	pushq	%rax\n"			/* entry */
"	movabs	$0x6b6d6c0000000001, %rbx\n"
"	leaq	1(%rbx), %rbp\n"
"	leaq	2(%rbx), %rdi\n"
"	leaq	3(%rbx), %rsi\n"
"	leaq	4(%rbx), %rdx\n"
"	leaq	5(%rbx), %r8\n"
"	leaq	6(%rbx), %r9\n"
"	leaq	7(%rbx), %r10\n"
"	leaq	8(%rbx), %r12\n"
"	leaq	9(%rbx), %r13\n"
"	leaq	10(%rbx), %r14\n"
"	leaq	11(%rbx), %r15\n"
"	movl	$110, %eax\n"			/* getppid */
"	cmpq	$0, (%rsp)\n"
"	je	1f\n"
"	subq	$128, %rsp\n"
"	call	*128(%rsp)\n"
"	addq	$128, %rsp\n"
"	jmp	2f\n"
"1:	syscall\n"
"2:	movq	8(%rsp), %rax\n"		/* out */
"	movq	%rbx, 0(%rax)\n"
"	movq	%rbp, 8(%rax)\n"
"	movq	%rdi, 16(%rax)\n"
"	movq	%rsi, 24(%rax)\n"
"	movq	%rdx, 32(%rax)\n"
"	movq	%r8, 40(%rax)\n"
"	movq	%r9, 48(%rax)\n"
"	movq	%r10, 56(%rax)\n"
"	movq	%r12, 64(%rax)\n"
"	movq	%r13, 72(%rax)\n"
"	movq	%r14, 80(%rax)\n"
"	movq	%r15, 88(%rax)\n"
"	addq	$16, %rsp\n"
"	popq	%r15\n"
"	popq	%r14\n"
"	popq	%r13\n"
"	popq	%r12\n"
"	popq	%rbp\n"
"	popq	%rbx\n"
"	ret\n"
"	.size keep_regs, . - keep_regs\n");

static void check_regs(struct __test_metadata *_metadata, unsigned long entry)
{
	unsigned long out[12], i;

	keep_regs(entry, out);
	for (i = 0; i < 12; i++)
		EXPECT_EQ(0x6b6d6c0000000001UL + i, out[i]);
}

/* Every register but RAX, RCX and R11 comes back as it went in. */
TEST(registers_preserved)
{
	check_regs(_metadata, 0);
	if (kml_syscall_entry())
		check_regs(_metadata, kml_syscall_entry());
}

/* fork() through the direct entry: the child resumes where the parent does. */
TEST(fork_through_entry)
{
	int status;
	long pid;

	pid = kml_syscall0(SYS_fork);
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kml_syscall0(SYS_getpid) == getpid() ? 42 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(42, WEXITSTATUS(status));
}

/* execve() through the direct entry starts the new program. */
TEST(exec_through_entry)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kml_syscall3(SYS_execve, (long)"/bin/true", (long)argv,
			     (long)envp);
		_exit(1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(arguments_and_results)
{
	char buf[8] = "", msg[] = "kml";
	int fds[2];
	void *p;

	EXPECT_EQ(getppid(), kml_syscall0(SYS_getppid));
	ASSERT_EQ(0, kml_syscall1(SYS_pipe, (long)fds));
	EXPECT_EQ(3, kml_syscall3(SYS_write, fds[1], (long)msg, 3));
	EXPECT_EQ(3, kml_syscall3(SYS_read, fds[0], (long)buf, sizeof(buf)));
	EXPECT_STREQ("kml", buf);
	EXPECT_EQ(-EBADF, kml_syscall3(SYS_read, 1000, (long)buf, 1));
	p = (void *)kml_syscall6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	((char *)p)[100] = 1;
	EXPECT_EQ(0, kml_syscall2(SYS_munmap, (long)p, 4096));
	close(fds[0]);
	close(fds[1]);
}

/*
 * unsigned long redzone_calls(unsigned long n, unsigned long entry): make
 * n getppid() calls with 16 values in the red zone, by SYSCALL (entry 0)
 * or through the direct entry (RSP moved below the red zone around the
 * CALL, as kml_syscall.h does); return how many values changed.
 */
unsigned long redzone_calls(unsigned long n, unsigned long entry);
asm("	.text\n"
"	.globl redzone_calls\n"
"	.type redzone_calls, @function\n"
"redzone_calls:\n"
"	movq	%rsi, %r8\n"
"	movabs	$0x6b6d6c0000000000, %r9\n"
"	movq	$1, %rcx\n"
"1:	leaq	(%r9, %rcx), %rax\n"
"	negq	%rcx\n"
"	movq	%rax, (%rsp, %rcx, 8)\n"
"	negq	%rcx\n"
"	incq	%rcx\n"
"	cmpq	$16, %rcx\n"
"	jbe	1b\n"
"2:	movl	$110, %eax\n"			/* getppid */
"	testq	%r8, %r8\n"
"	jz	3f\n"
"	subq	$128, %rsp\n"
"	call	*%r8\n"
"	addq	$128, %rsp\n"
"	jmp	4f\n"
"3:	syscall\n"
"4:	decq	%rdi\n"
"	jnz	2b\n"
"	xorq	%rax, %rax\n"
"	movq	$1, %rcx\n"
"5:	leaq	(%r9, %rcx), %rsi\n"
"	negq	%rcx\n"
"	cmpq	%rsi, (%rsp, %rcx, 8)\n"
"	je	6f\n"
"	incq	%rax\n"
"6:	negq	%rcx\n"
"	incq	%rcx\n"
"	cmpq	$16, %rcx\n"
"	jbe	5b\n"
"	ret\n"
"	.size redzone_calls, . - redzone_calls\n");

TEST(red_zone_across_syscall_instruction)
{
	EXPECT_EQ(0UL, redzone_calls(20000, 0));
}

TEST(red_zone_across_direct_entry)
{
	if (!kml_syscall_entry()) {
		EXPECT_NE(0U, kml_expected_cpl());
		return;
	}
	EXPECT_EQ(0UL, redzone_calls(20000, kml_syscall_entry()));
}

TEST(red_zone_across_vdso_symbol)
{
	unsigned long entry = vdso_sym("__vdso_kml_syscall");

	if (!entry || kml_expected_cpl() != 0) {
		EXPECT_TRUE(kml_baseline() || kml_expected_cpl() != 0);
		return;
	}
	EXPECT_EQ(0UL, redzone_calls(2000, entry));
}

static volatile int alarms;

static void on_alarm(int sig)
{
	alarms++;
}

/* A read interrupted by SIGALRM (SA_RESTART) restarts and completes. */
TEST(restart_read)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };
	char c = 0;
	int fds[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(300000);
		_exit(write(fds[1], "k", 1) == 1 ? 0 : 1);
	}
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(1, kml_syscall3(SYS_read, fds[0], (long)&c, 1));
	EXPECT_EQ('k', c);
	EXPECT_EQ(1, alarms);
	waitpid(pid, NULL, 0);
}

static volatile int usr1;

static void on_usr1(int sig)
{
	usr1++;
}

/* A signal that becomes deliverable in a system call arrives on its return. */
TEST(pending_signal_delivered_on_return)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t set;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	EXPECT_EQ(0, usr1);
	EXPECT_EQ(0, kml_syscall4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set,
				  0, 8));
	EXPECT_EQ(1, usr1);
}

/* A seccomp filter that denies getppid() denies it through every entry. */
TEST(seccomp_denies)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(filter), .filter = filter };
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(2);
		if (kml_syscall0(SYS_getppid) != -EPERM)
			_exit(3);
		_exit(syscall(SYS_getppid) == -1 && errno == EPERM ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* PTRACE_SYSCALL stops on entry to and exit from a call. */
TEST(ptrace_syscall_stops)
{
	struct user_regs_struct regs;
	int status;
	pid_t pid;

	pid = kml_fork_traced();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kml_syscall0(SYS_getppid);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL, PTRACE_O_TRACESYSGOOD));
	/* Entry of getppid(). */
	ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80));
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ(SYS_getppid, (long)regs.orig_rax);
	EXPECT_EQ(KML_USER_CS, (int)regs.cs);
	/* Its exit, with the result. */
	ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80));
	ASSERT_EQ(0, ptrace(PTRACE_GETREGS, pid, NULL, &regs));
	EXPECT_EQ(SYS_getppid, (long)regs.orig_rax);
	EXPECT_EQ(getpid(), (pid_t)regs.rax);
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define FLAG_DF		0x400UL		/* X86_EFLAGS_DF */
#define FLAG_AC		0x40000UL	/* X86_EFLAGS_AC */

/*
 * long flagged_call(unsigned long entry, unsigned long set,
 *		     unsigned long *after, long nr, long a1, long a2, long a3):
 * set the RFLAGS bits @set, make system call @nr (a4 = 0) by SYSCALL
 * (entry 0) or through the direct entry at @entry, store RFLAGS as the
 * call left them to *@after, clear DF and AC again, and return the result.
 */
static noinline __attribute__((naked)) long
flagged_call(unsigned long entry, unsigned long set, unsigned long *after,
	     long nr, long a1, long a2, long a3)
{
	asm("	pushq	%rbx\n"
	    "	pushq	%r12\n"
	    "	movq	%rdx, %rbx\n"			/* after */
	    "	movq	%rdi, %r12\n"			/* entry */
	    "	movq	%rsi, %r10\n"			/* set */
	    "	movq	%rcx, %rax\n"			/* nr */
	    "	movq	%r8, %rdi\n"			/* a1 */
	    "	movq	%r9, %rsi\n"			/* a2 */
	    "	movq	24(%rsp), %rdx\n"		/* a3 */
	    "	pushfq\n"
	    "	orq	%r10, (%rsp)\n"
	    "	popfq\n"
	    "	xorl	%r10d, %r10d\n"			/* a4 */
	    "	testq	%r12, %r12\n"
	    "	jz	1f\n"
	    "	subq	$128, %rsp\n"
	    "	call	*%r12\n"
	    "	addq	$128, %rsp\n"
	    "	jmp	2f\n"
	    "1:	syscall\n"
	    "2:	pushfq\n"
	    "	popq	(%rbx)\n"
	    "	cld\n"
	    "	pushfq\n"
	    "	andq	$~0x40000, (%rsp)\n"		/* AC */
	    "	popfq\n"
	    "	popq	%r12\n"
	    "	popq	%rbx\n"
	    "	ret\n");
}

/*
 * A read-write page with PROT_NONE pages on both sides: a copy that runs
 * backwards from its start (DF set in the kernel) faults at once instead
 * of overwriting what lies below.
 */
static char *guarded_page(void)
{
	char *p = mmap(NULL, 3 * 4096, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + 4096, 4096, PROT_READ | PROT_WRITE))
		return NULL;
	return p + 4096;
}

/* The first offset at which @a and @b differ, or -1. */
static long first_difference(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

/*
 * System calls that copy to and from user memory (pipe write and read,
 * pread of a file, uname), each made with @flag set in RFLAGS by SYSCALL
 * (@entry 0) or through the direct entry: the data must be exact, and the
 * direct entry must return with DF clear, and AC clear where the CPU has
 * SMAP.
 */
static void flag_calls(struct __test_metadata *_metadata, unsigned long entry,
		       unsigned long flag)
{
	const char *how = entry ? "the direct entry" : "SYSCALL";
	const char *name = flag == FLAG_DF ? "DF" : "AC";
	char *src = guarded_page(), *dst = guarded_page();
	struct utsname want, *got = (struct utsname *)guarded_page();
	char path[] = "/tmp/kml_flags_XXXXXX";
	unsigned long after, clear = FLAG_DF | FLAG_AC;
	int fds[2], fd, i;
	long r;

	ASSERT_TRUE(src && dst && got);
	for (i = 0; i < 4096; i++)
		src[i] = (i * 31 + (i >> 8)) & 0xff;

	/*
	 * The entry clears AC with CLAC, which the kernel patches out on a
	 * CPU without SMAP (-cpu qemu64), as in every entry: there AC means
	 * nothing in ring 0, and stays as the caller set it.
	 */
	if (!kml_cpu_flag("smap"))
		clear &= ~FLAG_AC;

#define CHECK_AFTER(call)						\
	do {								\
		if (!entry)						\
			break;						\
		EXPECT_EQ(0UL, after & clear)				\
		TH_LOG("%s through the direct entry with %s set: "	\
		       "RFLAGS %#lx after it, expected %s clear",	\
		       call, name, after,				\
		       clear & FLAG_AC ? "DF and AC" : "DF");		\
	} while (0)

	/* No user copy: nothing in the kernel touches the flag. */
	r = flagged_call(entry, flag, &after, SYS_getppid, 0, 0, 0);
	EXPECT_EQ(getppid(), r) TH_LOG("getppid by %s with %s set", how, name);
	CHECK_AFTER("getppid");

	ASSERT_EQ(0, pipe(fds));
	r = flagged_call(entry, flag, &after, SYS_write, fds[1], (long)src, 4096);
	EXPECT_EQ(4096, r)
	TH_LOG("write of 4096 bytes to a pipe by %s with %s set", how, name);
	CHECK_AFTER("write");
	memset(dst, 0, 4096);
	r = flagged_call(entry, flag, &after, SYS_read, fds[0], (long)dst, 4096);
	EXPECT_EQ(4096, r)
	TH_LOG("read of 4096 bytes from a pipe by %s with %s set", how, name);
	CHECK_AFTER("read");
	EXPECT_EQ(-1, first_difference(src, dst, 4096))
	TH_LOG("pipe data by %s with %s set: offset of the first wrong byte",
	       how, name);
	close(fds[0]);
	close(fds[1]);

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	ASSERT_EQ(4096, write(fd, src, 4096));
	memset(dst, 0, 4096);
	r = flagged_call(entry, flag, &after, SYS_pread64, fd, (long)dst, 4096);
	EXPECT_EQ(4096, r)
	TH_LOG("pread of 4096 bytes of a file by %s with %s set", how, name);
	CHECK_AFTER("pread64");
	EXPECT_EQ(-1, first_difference(src, dst, 4096))
	TH_LOG("pread data by %s with %s set: offset of the first wrong byte",
	       how, name);
	close(fd);

	ASSERT_EQ(0, uname(&want));
	memset(got, 0, sizeof(*got));
	r = flagged_call(entry, flag, &after, SYS_uname, (long)got, 0, 0);
	EXPECT_EQ(0, r) TH_LOG("uname by %s with %s set", how, name);
	CHECK_AFTER("uname");
	EXPECT_EQ(-1, first_difference((char *)&want, (char *)got, sizeof(want)))
	TH_LOG("uname by %s with %s set: release \"%s\", expected \"%s\"",
	       how, name, got->release, want.release);
#undef CHECK_AFTER
}

/* DF set: the kernel's copies still run forwards; SYSCALL hands DF back. */
TEST(df_set_syscall_instruction)
{
	flag_calls(_metadata, 0, FLAG_DF);
}

/* DF set: the direct entry clears it for the kernel and returns it clear. */
TEST(df_set_direct_entry)
{
	if (!kml_syscall_entry()) {
		ASSERT_NE(0U, kml_expected_cpl())
		TH_LOG("a process in ring 0 must have the direct entry");
		SKIP(return, "no direct entry: the process runs in ring 3");
	}
	flag_calls(_metadata, kml_syscall_entry(), FLAG_DF);
}

/*
 * AC set (in ring 3 it turns on alignment checks, which the accesses of
 * flagged_call() pass): the kernel runs with SMAP on whichever way.
 */
TEST(ac_set_syscall_instruction)
{
	flag_calls(_metadata, 0, FLAG_AC);
}

/* AC set: the direct entry clears it, and does not give it back. */
TEST(ac_set_direct_entry)
{
	if (!kml_syscall_entry()) {
		ASSERT_NE(0U, kml_expected_cpl())
		TH_LOG("a process in ring 0 must have the direct entry");
		SKIP(return, "no direct entry: the process runs in ring 3");
	}
	flag_calls(_metadata, kml_syscall_entry(), FLAG_AC);
}

TEST_HARNESS_MAIN
