// SPDX-License-Identifier: GPL-2.0
/*
 * An NMI whose handler takes an exception, while the CPU it interrupts is
 * on the KML IST stack.
 *
 * While a KML task is current, every vector without an IST stack of its
 * own enters on one per-CPU KML IST stack (arch/x86/kml/entry_64.S), and
 * the entry code runs there until it has moved to the task stack. An NMI
 * that arrives in that window, and whose handler takes a #BP (a kprobe,
 * the int3 of text patching), a #PF (a user stack read for a call chain)
 * or a #UD (a WARN), enters again at the top of the same stack: the frame
 * of the interrupted entry is overwritten, and the kernel crashes or
 * returns to the wrong place.
 *
 * So: a child on CPU 1 takes page faults (reads of fresh anonymous pages,
 * MADV_DONTNEED, again), int3 traps and system calls in a tight loop; this
 * process, on CPU 0, writes 'l' to /proc/sysrq-trigger in a loop, so that
 * CPU 1 gets one NMI backtrace IPI after another; and a kprobe event on
 * show_regs(), which the NMI handler calls for a busy CPU, makes each of
 * those NMIs take an int3 (kprobe optimisation is turned off, so that the
 * probe stays an int3). It passes when the kernel survives it: no oops,
 * BUG or WARNING in the kernel log, the child alive until it is killed,
 * its faults reading zeroes. It prints how many NMIs CPU 1 took and how
 * many of them hit the kprobe.
 *
 * The backtraces are kept off the console (console log level 1 while it
 * runs) and, when nothing went wrong, cleared from the kernel log
 * afterwards: they are call traces, which the test runner takes for a
 * kernel splat. The log is read during the run, so that a splat is seen
 * before the backtraces push it out of the ring buffer.
 *
 * Needs root, two CPUs, CONFIG_MAGIC_SYSRQ and CONFIG_KPROBE_EVENTS
 * (kernel/configs/kml_qemu.config); KML_NMI_NEST_SECONDS sets how long it
 * runs (default 10 s).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#define PAGE		4096
#define VICTIM_PAGES	1024
#define TRACEFS		"/sys/kernel/tracing"
#define PROBE_GROUP	"kml"
#define PROBE_NAME	"nmi_nest_show_regs"
#define PROBE_EVENT	PROBE_GROUP "/" PROBE_NAME
#define PROBE_SYMBOL	"show_regs"
#define OPTIMIZATION	"/proc/sys/debug/kprobes-optimization"
#define RECORD_CMD	TRACEFS "/options/record-cmd"
#define FLUSH_MSG	"<7>nmi_nest: flush\n"
#define DEVKMSG		"/proc/sys/kernel/printk_devkmsg"

/* What the child on CPU 1 did, in memory it shares with this process. */
struct victim_counts {
	unsigned long faults, traps, int3s, syscalls, bad;
};

static struct victim_counts *vc;

/* Write @s to @path; 0 or -errno. */
static int write_str(const char *path, const char *s, int flags)
{
	ssize_t n, len = strlen(s);
	int fd = open(path, O_WRONLY | flags);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n == len ? 0 : n < 0 ? n : -EIO;
}

/* The first line of @path into @buf (newline dropped); 0 or -1. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	char *nl;

	if (!f)
		return -1;
	if (!fgets(buf, size, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

/* Hits and misses of our kprobe, from kprobe_profile (by event name); 0 or -1. */
static int probe_hits(unsigned long *hit, unsigned long *missed)
{
	char line[512], name[256];
	int found = -1;
	FILE *f;

	f = fopen(TRACEFS "/kprobe_profile", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %lu %lu", name, hit, missed) == 3 &&
		    !strcmp(name, PROBE_NAME)) {
			found = 0;
			break;
		}
	fclose(f);
	return found;
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	vc->traps++;
}

/*
 * The child on CPU 1: read faults on fresh anonymous pages (each maps the
 * zero page), every 8th page a system call, every 32nd an int3 and its
 * SIGTRAP; then MADV_DONTNEED and again, until it is killed.
 */
static void __attribute__((noreturn)) victim(void)
{
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	volatile char *area;
	unsigned long i;

	kml_pin_to(1);
	sigaction(SIGTRAP, &sa, NULL);
	area = mmap(NULL, VICTIM_PAGES * PAGE, PROT_READ,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		_exit(2);
	for (;;) {
		for (i = 0; i < VICTIM_PAGES; i++) {
			if (area[i * PAGE])
				vc->bad++;
			vc->faults++;
			if (i % 8 == 0) {
				syscall(SYS_getppid);
				vc->syscalls++;
			}
			if (i % 32 == 0) {
				vc->int3s++;
				asm volatile("int3" ::: "memory");
			}
		}
		madvise((void *)area, VICTIM_PAGES * PAGE, MADV_DONTNEED);
	}
}

/*
 * Kernel log lines that the test runner takes for a splat
 * (scripts/kml/lib.sh), and the NMIs that a broken NMI return can bring.
 */
static const char *const splats[] = {
	"Oops", "BUG:", "WARNING:", "Kernel panic", "kernel BUG at",
	"general protection fault,", "double fault", "UBSAN:",
	"NMI received for unknown reason",
};

struct log_scan {
	unsigned long records, lost, backtraces, splats;
	char first_splat[256];
};

/*
 * Read the kernel log records that came since the last call from @fd
 * (/dev/kmsg, non-blocking): count NMI backtraces of CPU 1 and splats.
 */
static void scan_log(int fd, struct log_scan *s)
{
	char rec[8192], *text, *nl;
	ssize_t n;
	size_t i;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) {	/* overwritten before we read */
			s->lost++;
			continue;
		}
		if (n <= 0)
			return;
		rec[n] = '\0';
		s->records++;
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		if (strstr(text, "NMI backtrace for cpu 1"))
			s->backtraces++;
		for (i = 0; i < ARRAY_SIZE(splats); i++) {
			if (!strstr(text, splats[i]))
				continue;
			if (!s->splats++)
				snprintf(s->first_splat, sizeof(s->first_splat),
					 "%s", text);
			break;
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(nmi_nest) {
	char loglevel[64];
	char devkmsg[32];
	char optimization[16];
	char tracing_on[16];
	char record_cmd[8];
	bool probe_added;
};

FIXTURE_SETUP(nmi_nest)
{
	char event[256];
	int err;

	self->loglevel[0] = '\0';
	self->devkmsg[0] = '\0';
	self->optimization[0] = '\0';
	self->tracing_on[0] = '\0';
	self->record_cmd[0] = '\0';
	self->probe_added = false;
	if (geteuid())
		SKIP(return, "needs root");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	if (access("/proc/sysrq-trigger", W_OK))
		SKIP(return, "no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ)");
	if (access(TRACEFS "/kprobe_events", W_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (access(TRACEFS "/kprobe_events", W_OK))
		SKIP(return, "no %s/kprobe_events (CONFIG_KPROBE_EVENTS)", TRACEFS);

	/* An int3 in show_regs(), not a jump: no kprobe optimisation. */
	if (!read_line(OPTIMIZATION, self->optimization,
		       sizeof(self->optimization)))
		ASSERT_EQ(0, write_str(OPTIMIZATION, "0", 0));
	write_str(TRACEFS "/kprobe_events", "-:" PROBE_EVENT "\n", O_APPEND);
	err = write_str(TRACEFS "/kprobe_events",
			"p:" PROBE_EVENT " " PROBE_SYMBOL "\n", O_APPEND);
	ASSERT_EQ(0, err) TH_LOG("adding the kprobe: %s", strerror(-err));
	self->probe_added = true;
	/*
	 * With record-cmd on, enabling the event turns on the sched_switch
	 * and sched_wakeup tracepoints (comm recording), and disabling it
	 * turns them off: text_poke_bp() on __schedule() and ttwu_do_wakeup()
	 * while the other CPU runs them. Under QEMU 7.2's multi-threaded TCG
	 * that CPU now and then executes the patch's int3 after the patch is
	 * done, and the kernel dies of an "int3" oops, a vanilla kernel too
	 * (see kml.rst): keep the scheduler's code still, and test our NMIs.
	 */
	if (!read_line(RECORD_CMD, self->record_cmd, sizeof(self->record_cmd)))
		write_str(RECORD_CMD, "0", 0);
	/* Count the hits (kprobe_profile), but record nothing. */
	if (!read_line(TRACEFS "/tracing_on", self->tracing_on,
		       sizeof(self->tracing_on)))
		write_str(TRACEFS "/tracing_on", "0", 0);
	snprintf(event, sizeof(event), TRACEFS "/events/%s/enable", PROBE_EVENT);
	ASSERT_EQ(0, write_str(event, "1", 0));

	/* The backtraces stay off the console. */
	ASSERT_EQ(0, read_line("/proc/sys/kernel/printk", self->loglevel,
			       sizeof(self->loglevel)));
	ASSERT_EQ(0, write_str("/proc/sys/kernel/printk", "1", 0));
	/* Our messages to /dev/kmsg, which flush the console, unlimited. */
	if (read_line(DEVKMSG, self->devkmsg, sizeof(self->devkmsg)) ||
	    write_str(DEVKMSG, "on\n", 0)) {
		TH_LOG("cannot set %s: backtraces may reach the console", DEVKMSG);
		self->devkmsg[0] = '\0';
	}
}

FIXTURE_TEARDOWN(nmi_nest)
{
	char event[256], level[16];

	if (self->loglevel[0]) {
		/*
		 * Let the console skip what came at level 1 before the level
		 * goes back up: a message of ours flushes it.
		 */
		write_str("/dev/kmsg", FLUSH_MSG, 0);
		usleep(200 * 1000);
		snprintf(level, sizeof(level), "%d", atoi(self->loglevel));
		write_str("/proc/sys/kernel/printk", level, 0);
	}
	if (self->devkmsg[0]) {
		strcat(self->devkmsg, "\n");	/* it takes one newline */
		write_str(DEVKMSG, self->devkmsg, 0);
	}
	if (self->probe_added) {
		snprintf(event, sizeof(event), TRACEFS "/events/%s/enable",
			 PROBE_EVENT);
		write_str(event, "0", 0);
		write_str(TRACEFS "/kprobe_events", "-:" PROBE_EVENT "\n",
			  O_APPEND);
	}
	if (self->tracing_on[0])
		write_str(TRACEFS "/tracing_on", self->tracing_on, 0);
	if (self->record_cmd[0])
		write_str(RECORD_CMD, self->record_cmd, 0);
	if (self->optimization[0])
		write_str(OPTIMIZATION, self->optimization, 0);
}

TEST_F_TIMEOUT(nmi_nest, nmi_handler_exceptions_survive, 120)
{
	unsigned long hit0 = 0, missed0 = 0, hit1 = 0, missed1 = 0, rounds = 0;
	const char *env = getenv("KML_NMI_NEST_SECONDS");
	double seconds = env ? atof(env) : 10, start, progress;
	unsigned long faults = 0;
	struct log_scan log = { 0 };
	int sysrq, kmsg, kmsg_w, status;
	long nmi0, nmi1;
	pid_t child, dead = 0;

	EXPECT_EQ(kml_expected_cpl(), kml_cpl());
	vc = mmap(NULL, sizeof(*vc), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, vc);
	sysrq = open("/proc/sysrq-trigger", O_WRONLY);
	ASSERT_LE(0, sysrq);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, kmsg);
	kmsg_w = open("/dev/kmsg", O_WRONLY);
	ASSERT_LE(0, kmsg_w);
	lseek(kmsg, 0, SEEK_END);
	ASSERT_EQ(0, probe_hits(&hit0, &missed0));
	nmi0 = kml_nmi_count(1);
	ASSERT_LE(0, nmi0) TH_LOG("no NMI line for CPU 1 in /proc/interrupts");

	kml_pin_to(0);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		victim();
	start = now();
	progress = start;
	while (now() - start < seconds) {
		if (write(sysrq, "l", 1) != 1)
			break;
		rounds++;
		/*
		 * The console prints the backtraces of CPU 1 later (they
		 * were logged in NMI context); SysRq raises the console
		 * level while it logs its header line, so flush them now,
		 * at level 1, with a message of ours.
		 */
		if (write(kmsg_w, FLUSH_MSG, strlen(FLUSH_MSG)) < 0)
			break;
		if (vc->faults != faults) {
			faults = vc->faults;
			progress = now();
		}
		scan_log(kmsg, &log);
		if (log.splats)
			break;
		dead = waitpid(child, &status, WNOHANG);
		if (dead)
			break;
	}
	if (!dead) {
		kill(child, SIGKILL);
		dead = waitpid(child, &status, 0);
	}
	scan_log(kmsg, &log);
	nmi1 = kml_nmi_count(1);
	probe_hits(&hit1, &missed1);

	TH_LOG("%.1f s, %lu SysRq-l rounds; CPU 1: %ld NMIs, %lu backtraces",
	       now() - start, rounds, nmi1 - nmi0, log.backtraces);
	TH_LOG("kprobe hits in the NMI handler: %lu (%lu missed)",
	       hit1 - hit0, missed1 - missed0);
	TH_LOG("child on CPU 1: %lu page faults, %lu int3 traps (%lu SIGTRAPs), %lu system calls",
	       vc->faults, vc->int3s, vc->traps, vc->syscalls);
	TH_LOG("kernel log: %lu records read, %lu overruns, %lu splats%s%s",
	       log.records, log.lost, log.splats,
	       log.splats ? ": " : "", log.first_splat);

	EXPECT_EQ(0, log.splats);
	EXPECT_EQ(child, dead);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("the child ended with status %#x", status);
	EXPECT_EQ(0, vc->bad);
	EXPECT_GT(5, now() - progress)
		TH_LOG("no page fault for the last %.1f s", now() - progress);
	/* Each round sends CPU 1 one NMI, whose handler calls show_regs(). */
	EXPECT_LE(rounds, nmi1 - nmi0);
	EXPECT_LT(0, hit1 - hit0);
	/* Clean: drop the backtraces, which the runner would take for splats. */
	if (!log.splats)
		klogctl(5, NULL, 0);	/* SYSLOG_ACTION_CLEAR */
	close(kmsg_w);
	close(kmsg);
	close(sysrq);
}

TEST_HARNESS_MAIN
