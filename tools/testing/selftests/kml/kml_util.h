/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the Kernel Mode Linux selftests.
 *
 * The test runner tells a test what to expect through the environment:
 *   KML_BASELINE=1     the vanilla baseline kernel: no KML behaviour at all
 *   KML_MODE=trusted   the test runs from the trusted directory (else from
 *                      an ordinary one)
 *   KML_EXPECT_CPL=N   overrides the privilege level the test expects
 *
 * KML refuses ring 0 (trusted programs run in user mode, and the kernel
 * log says why) while the kernel is locked down, or while
 * kernel.kml.enabled = 0: see kml_refusal().
 *   KML_TRUSTED_DIR    the trusted directory (default /trusted)
 */
#ifndef KML_SELFTEST_UTIL_H
#define KML_SELFTEST_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <sys/resource.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define noinline	__attribute__((__noinline__))

#ifdef __x86_64__
#define KML_KERNEL_CS	0x10
#define KML_KERNEL_DS	0x18
#define KML_USER_DS	0x2b
#define KML_USER_CS	0x33
#else
/* The 32-bit kernel's __KERNEL_CS, __KERNEL_DS, __USER_DS, __USER_CS */
#define KML_KERNEL_CS	0x60
#define KML_KERNEL_DS	0x68
#define KML_USER_DS	0x7b
#define KML_USER_CS	0x73
#endif

static inline bool kml_env_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

static inline bool kml_baseline(void)
{
	return kml_env_is("KML_BASELINE", "1");
}

static inline bool kml_trusted_run(void)
{
	return kml_env_is("KML_MODE", "trusted");
}

static inline const char *kml_trusted_dir(void)
{
	const char *d = getenv("KML_TRUSTED_DIR");

	return d ? d : "/trusted";
}

/* The privilege level this program runs at, as the CPU says. */
static inline unsigned int kml_cpl(void)
{
	unsigned short cs;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	return cs & 3;
}

/* Does /proc/cpuinfo list @flag for the first CPU? */
static inline bool kml_cpu_flag(const char *flag)
{
	char line[4096], *word, *save;
	bool found = false;
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		for (word = strtok_r(line, " \t\n:", &save); word;
		     word = strtok_r(NULL, " \t\n:", &save))
			if (!strcmp(word, flag))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

/*
 * Is the kernel locked down (integrity or confidentiality)? As
 * /sys/kernel/security/lockdown says: "none" when securityfs is not
 * mounted there.
 */
static inline bool kml_locked_down(void)
{
	char line[128] = "";
	FILE *f;

	f = fopen("/sys/kernel/security/lockdown", "r");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return line[0] && !strstr(line, "[none]");
}

/* The kernel log (SYSLOG_ACTION_READ_ALL), NUL-terminated; free() it. */
static inline char *kml_read_klog(void)
{
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf;
	int n;

	if (size <= 0)
		return NULL;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	n = klogctl(3, buf, size);		/* SYSLOG_ACTION_READ_ALL */
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * Why KML cannot work on the running kernel at all (a CPU without a local
 * APIC, PTI on IA-32, FRED, Xen PV), or NULL: kernel.kml.unavailable, or,
 * on a kernel without it, its boot line "kml: unavailable: <why>". The
 * reason points into a static buffer. Not for loops or signal handlers.
 */
static inline const char *kml_boot_refusal(void)
{
	static char why[128];
	const char *key = "kml: unavailable: ";
	char *buf, *p;
	bool found;
	FILE *f;
	int n;

	/* The kernel keeps the reason in kernel.kml.unavailable ("" if none). */
	f = fopen("/proc/sys/kernel/kml/unavailable", "r");
	if (f) {
		found = fgets(why, sizeof(why), f);
		fclose(f);
		why[strcspn(why, "\n")] = '\0';
		return found && why[0] ? why : NULL;
	}
	buf = kml_read_klog();
	if (!buf)
		return NULL;
	p = strstr(buf, key);
	found = p;
	if (found) {
		p += strlen(key);
		n = strcspn(p, "\n");
		snprintf(why, sizeof(why), "%.*s", n, p);
	}
	free(buf);
	return found ? why : NULL;
}

/*
 * Why the running kernel gives no program ring 0 (the text of its log
 * line), or NULL.
 */
static inline const char *kml_refusal(void)
{
	char v = '1';
	FILE *f;

	if (kml_locked_down())
		return "the kernel is locked down";
	f = fopen("/proc/sys/kernel/kml/enabled", "r");
	if (f) {
		v = fgetc(f);
		fclose(f);
	}
	if (v == '0')
		return "KML is disabled (kernel.kml.enabled = 0)";
	return NULL;
}

#ifndef __x86_64__
/*
 * On IA-32 a kernel may refuse ring 0 from boot on (no local APIC, page
 * table isolation): its reason, read once when the program starts, before
 * a test clears the kernel log or a signal handler asks.
 */
static const char *kml_ia32_boot_refusal;

static __attribute__((constructor, unused)) void kml_ia32_read_refusal(void)
{
	const char *why = kml_boot_refusal();

	kml_ia32_boot_refusal = why ? strdup(why) : NULL;
}

/*
 * Does the kernel enforce NX on user pages? A 32-bit kernel does when the
 * CPU has NX and the kernel uses PAE page tables, which /proc/meminfo
 * tells by the size of its direct-map pages (2M with PAE, 4M without).
 */
static inline bool kml_nx_enforced(void)
{
	char line[256];
	bool pae = false;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		pae |= !strncmp(line, "DirectMap2M:", 12);
	fclose(f);
	return pae && kml_cpu_flag("nx");
}
#endif

/* The privilege level a program in the trusted directory should have. */
static inline unsigned int kml_trusted_cpl(void)
{
#ifndef __x86_64__
	if (kml_ia32_boot_refusal)
		return 3;
#endif
	return kml_baseline() || kml_refusal() ? 3 : 0;
}

/* The privilege level this run of the program should have. */
static inline unsigned int kml_expected_cpl(void)
{
	const char *v = getenv("KML_EXPECT_CPL");

	if (v)
		return atoi(v);
	return kml_trusted_run() ? kml_trusted_cpl() : 3;
}

/* Copy the file @from to @to, mode @mode (exactly: no umask). 0 or -1. */
static inline int kml_copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open(from, O_RDONLY);
	if (in < 0)
		return -1;
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	close(out);
	return n < 0 ? -1 : chmod(to, mode);
}

/*
 * Install the helper program @name, built next to this test, as
 * <trusted dir>/@sub/@name and as /tmp/@sub/@name (an ordinary
 * directory); @trusted and @ordinary (PATH_MAX bytes each) get the two
 * paths. 0 or -1.
 */
static inline int kml_install_pair(const char *name, const char *sub,
				   char *trusted, char *ordinary)
{
	char exe[PATH_MAX], from[PATH_MAX + 64], dir[PATH_MAX / 2];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(from, sizeof(from), "%s/%s", exe, name);
	snprintf(dir, sizeof(dir), "%s/%s", kml_trusted_dir(), sub);
	mkdir(dir, 0755);
	chmod(dir, 0755);
	snprintf(trusted, PATH_MAX, "%s/%s", dir, name);
	snprintf(dir, sizeof(dir), "/tmp/%s", sub);
	mkdir(dir, 0755);
	snprintf(ordinary, PATH_MAX, "%s/%s", dir, name);
	if (kml_copy_file(from, trusted, 0755) ||
	    kml_copy_file(from, ordinary, 0755))
		return -1;
	return 0;
}

/*
 * The KernelMode: line of /proc/@pid/status (0 or 1), -1 when it has
 * none (a kernel without KML), -2 when there is no such process.
 */
static inline int kml_status_kernel_mode(pid_t pid)
{
	char path[64], line[256];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "KernelMode: %d", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Write @value to the file @path (a sysctl): 0 or -errno. */
static inline int kml_write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY), r;

	if (fd < 0)
		return -errno;
	r = write(fd, value, strlen(value)) == (ssize_t)strlen(value) ? 0 : -errno;
	close(fd);
	return r;
}

/*
 * fork() a child that the caller traces: in the child, it returns (0) once
 * the tracer has seen it stop with SIGSTOP and let it go on; in the caller,
 * as fork(). A child that cannot be traced exits with 1.
 */
static inline pid_t kml_fork_traced(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(1);
		raise(SIGSTOP);
	}
	return pid;
}

/*
 * Does a message of the kernel log start as a splat does (the patterns of
 * the test runner, less the call traces the NMI backtraces print)?
 */
static inline bool kml_log_has_splat(void)
{
	static const char * const splat[] = {
		"BUG:", "WARNING:", "Oops", "general protection fault",
		"double fault", "Kernel panic", "kernel BUG at", NULL,
	};
	char *buf = kml_read_klog(), *line, *p;
	bool found = false;
	unsigned int i;

	if (!buf)
		return false;
	for (line = strtok(buf, "\n"); line && !found; line = strtok(NULL, "\n")) {
		p = strchr(line, '>');
		if (*line == '<' && p)
			line = p + 1;
		p = strchr(line, ']');
		if (*line == '[' && p)
			line = p + 1;
		line += strspn(line, " ");
		for (i = 0; splat[i]; i++)
			found |= !strncmp(line, splat[i], strlen(splat[i]));
	}
	free(buf);
	return found;
}

/* Does the kernel log hold @text? */
static inline bool kml_log_has(const char *text)
{
	char *buf = kml_read_klog();
	bool found;

	if (!buf)
		return false;
	found = strstr(buf, text);
	free(buf);
	return found;
}

/*
 * Recurse @n levels deep with a 1 KiB frame each, writing both ends of
 * every frame; returns 0 when every frame read back as written.
 */
static noinline __attribute__((unused)) int kml_recurse_stack(int n)
{
	volatile char frame[1024];

	frame[0] = (char)n;
	frame[sizeof(frame) - 1] = (char)n;
	if (n == 0)
		return 0;
	return kml_recurse_stack(n - 1) + (frame[0] == (char)n) +
	       (frame[sizeof(frame) - 1] == (char)n) - 2;
}

/*
 * Grow the stack by a @size-byte array (a VLA), touching one byte a page
 * from the top down or from the bottom up, each touch a fault on a page
 * not yet there; returns the number of pages read back as written.
 */
static noinline __attribute__((unused)) long kml_touch_stack(size_t size,
							     bool top_down)
{
	volatile char big[size];
	long sum = 0;
	size_t i;

	if (top_down) {
		for (i = size; i >= 4096; i -= 4096)
			big[i - 1] = 1;
	} else {
		for (i = 0; i < size; i += 4096)
			big[i] = 1;
	}
	for (i = 0; i < size; i += 4096)
		sum += big[i + (top_down ? 4095 : 0)];
	return sum;
}

/* NMIs CPU @cpu has taken, from /proc/interrupts; -1 if unknown. */
static inline long kml_nmi_count(int cpu)
{
	char line[1024], *p, *end;
	long v = -1;
	FILE *f;
	int i;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "NMI:", 4))
			continue;
		p += 4;
		for (i = 0; i <= cpu; i++) {
			v = strtol(p, &end, 10);
			if (end == p) {
				v = -1;
				break;
			}
			p = end;
		}
		break;
	}
	fclose(f);
	return v;
}

/*
 * The 32-bit test kernels are built without CONFIG_COMPAT_32BIT_TIME: no
 * system calls of 32-bit time (nanosleep, futex, rt_sigtimedwait, ...),
 * which glibc 2.36 on i386 makes whenever a time fits in 32 bits (and
 * aborts in pthread_join() on their ENOSYS). Their 64-bit-time versions
 * are always there: these use them on IA-32, and are libc's calls on
 * x86-64.
 */
#ifdef __x86_64__
#define kml_usleep		usleep
#define kml_sigtimedwait	sigtimedwait
#define kml_pthread_join	pthread_join
#else
#include <linux/time_types.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

static inline int kml_usleep(unsigned int us)
{
	struct __kernel_timespec ts = {
		.tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000LL,
	};

	return syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &ts, NULL);
}

static inline int kml_sigtimedwait(const sigset_t *set, siginfo_t *info,
				   const struct timespec *timeout)
{
	struct __kernel_timespec ts = {
		.tv_sec = timeout->tv_sec, .tv_nsec = timeout->tv_nsec,
	};

	return syscall(SYS_rt_sigtimedwait_time64, set, info, &ts, _NSIG / 8);
}

/* pthread_join() without waiting in the kernel: poll pthread_tryjoin_np(). */
static inline int kml_pthread_join(pthread_t t, void **ret)
{
	int r;

	while ((r = pthread_tryjoin_np(t, ret)) == EBUSY)
		kml_usleep(1000);
	return r;
}
#endif

/* Run on CPU @cpu only, or on every CPU with @cpu < 0: 0 or -1. */
static inline int kml_pin_to(int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * NMIs for CPU 0: a child on CPU 1 writes 'l' to /proc/sysrq-trigger ten
 * times, 20 ms apart, each an NMI backtrace of every other CPU, then sets
 * *stop. The backtraces are call traces, which the test runner takes for
 * a splat: they stay off the console (console level 1; our flush
 * messages to /dev/kmsg, unlimited, print what is pending at that level)
 * and the caller clears them from the kernel log once it has checked it.
 */
struct kml_nmi_burst {
	char level[64], devkmsg[64];
	const char *flush;	/* "<7>test: flush\n" */
	volatile int *stop;
	long before;
	pid_t pid;
};

/* Start the burst; 0, or -1 (nothing started). */
static inline int kml_nmi_burst_start(struct kml_nmi_burst *b,
				      const char *flush)
{
	FILE *f;
	bool ok;

	memset(b, 0, sizeof(*b));
	b->flush = flush;
	f = fopen("/proc/sys/kernel/printk", "r");
	ok = f && fgets(b->level, sizeof(b->level), f);
	if (f)
		fclose(f);
	f = fopen("/proc/sys/kernel/printk_devkmsg", "r");
	ok = ok && f && fgets(b->devkmsg, sizeof(b->devkmsg), f);
	if (f)
		fclose(f);
	if (!ok)
		return -1;
	b->stop = mmap(NULL, sizeof(*b->stop), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b->stop == MAP_FAILED)
		return -1;
	if (kml_write_file("/proc/sys/kernel/printk", "1") ||
	    kml_write_file("/proc/sys/kernel/printk_devkmsg", "on\n"))
		goto restore;
	b->before = kml_nmi_count(0);
	b->pid = fork();
	if (b->pid < 0)
		goto restore;
	if (b->pid == 0) {
		int fd = open("/proc/sysrq-trigger", O_WRONLY), i, sent = 0;

		if (fd >= 0 && !kml_pin_to(1)) {
			kml_usleep(100000);
			for (i = 0; i < 10; i++) {
				sent += write(fd, "l", 1) == 1;
				kml_usleep(20000);
				/*
				 * Flush the backtrace at console level 1,
				 * before the next sysrq raises it for its
				 * header line.
				 */
				kml_write_file("/dev/kmsg", flush);
			}
		}
		*b->stop = 1;
		_exit(sent == 10 ? 0 : 1);
	}
	return 0;
restore:
	kml_write_file("/proc/sys/kernel/printk", b->level);
	kml_write_file("/proc/sys/kernel/printk_devkmsg", b->devkmsg);
	munmap((void *)b->stop, sizeof(*b->stop));
	return -1;
}

/*
 * Wait for the burst's child and put the console back: the NMIs CPU 0
 * took meanwhile, or -1 if the child did not send all ten.
 */
static inline long kml_nmi_burst_end(struct kml_nmi_burst *b)
{
	long nmis;
	int status;

	if (waitpid(b->pid, &status, 0) != b->pid)
		status = -1;
	nmis = kml_nmi_count(0) - b->before;
	/*
	 * The console prints what is pending at the level it has then: let
	 * a message of ours flush the backtraces while it is still 1.
	 */
	kml_write_file("/dev/kmsg", b->flush);
	kml_usleep(200000);
	kml_write_file("/proc/sys/kernel/printk", b->level);
	kml_write_file("/proc/sys/kernel/printk_devkmsg", b->devkmsg);
	munmap((void *)b->stop, sizeof(*b->stop));
	return WIFEXITED(status) && !WEXITSTATUS(status) ? nmis : -1;
}

/* kml_stack_overflow_child()'s state, in the child only. */
static sigjmp_buf kml_overflow_jmp __attribute__((unused));
static volatile int kml_overflow_caught __attribute__((unused));
static volatile int kml_overflow_stop __attribute__((unused));
static bool (*kml_overflow_check)(void) __attribute__((unused));

static inline void kml_on_overflow(int sig, siginfo_t *si, void *uc)
{
	stack_t ss;

	kml_overflow_caught = sigaltstack(NULL, &ss) == 0 &&
			      (ss.ss_flags & SS_ONSTACK) &&
			      (!kml_overflow_check || kml_overflow_check());
	siglongjmp(kml_overflow_jmp, 1);
}

/* Recurses until the stack overflows (kml_overflow_stop is never set). */
static noinline __attribute__((unused)) int kml_overflow_forever(int n)
{
	volatile char frame[4096];

	frame[0] = (char)n;
	if (kml_overflow_stop)
		return n;
	return kml_overflow_forever(n + 1) + frame[0];
}

/*
 * In a child (the overflow leaves its stack limit used up), with an 8 MiB
 * stack limit: recurse until the stack overflows, and catch the SIGSEGV on
 * a sigaltstack, where @check (if any) must hold too. The child's exit
 * status, or -1: 0 when it was caught so, 2 if the child could not set
 * up, 3 if the handler found it otherwise.
 */
static inline int kml_stack_overflow_child(bool (*check)(void))
{
	struct sigaction sa = { .sa_sigaction = kml_on_overflow,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	struct rlimit rl = { 8 << 20, 8 << 20 };
	stack_t ss = { .ss_size = 65536 };
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		kml_overflow_check = check;
		ss.ss_sp = malloc(ss.ss_size);
		if (!ss.ss_sp || setrlimit(RLIMIT_STACK, &rl) ||
		    sigaltstack(&ss, NULL) || sigaction(SIGSEGV, &sa, NULL))
			_exit(2);
		if (!sigsetjmp(kml_overflow_jmp, 1))
			kml_overflow_forever(0);
		_exit(kml_overflow_caught ? 0 : 3);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#endif /* KML_SELFTEST_UTIL_H */
