// SPDX-License-Identifier: GPL-2.0
/*
 * The counters of where the system calls of KML tasks go
 * (/sys/kernel/debug/kml/syscall_stats, switched on and off through
 * syscall_stats_on):
 *  - a KML task's getppid() calls are counted, as direct dispatches, while
 *    the counters are on, and not while they are off; an ordinary task's
 *    calls are never counted;
 *  - a call that takes the full path is counted there with its reason: a
 *    fork() as a call that needs the whole frame, a call under a seccomp
 *    filter with the seccomp syscall-work bit;
 *  - a call that slept (nanosleep) comes back with its FPU registers to
 *    reload, and the direct dispatch reloads them itself: counted as
 *    direct and in fpu_reload, not as exit work, and the registers are
 *    the task's own, though another task used them meanwhile on the CPU;
 *  - only root may switch the counters or read them.
 *
 * Skipped where the kernel has no such files (the baseline, a kernel
 * without debugfs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define STATS		DEBUGFS "/kml/syscall_stats"
#define STATS_ON	DEBUGFS "/kml/syscall_stats_on"
#define CALLS		2000

struct counts {
	unsigned long direct, exit_work, full;	/* of getppid */
	unsigned long full_frame;		/* reason full_frame */
	unsigned long fork_full;		/* fork's full path */
	unsigned long seccomp;			/* entry_work seccomp */
	unsigned long sleep_direct, sleep_exit_work;	/* of nanosleep */
	unsigned long fpu_reload;		/* direct, FPU reloaded */
	unsigned long counting;			/* 1: on */
};

static char buf[256 * 1024];

/* The number of @line, if it is of the form @fmt. */
static void scan(const char *line, const char *fmt, unsigned long *v)
{
	unsigned long x;

	if (sscanf(line, fmt, &x) == 1)
		*v = x;
}

/* Read the counters: 0, or -errno. */
static int read_counts(struct counts *c)
{
	unsigned long nr, d, e, f;
	char *line, *save;
	ssize_t n;
	int fd;

	memset(c, 0, sizeof(*c));
	fd = open(STATS, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "syscall %lu %lu %lu %lu", &nr, &d, &e, &f) == 4) {
			if (nr == SYS_getppid) {
				c->direct = d;
				c->exit_work = e;
				c->full = f;
			} else if (nr == SYS_fork) {
				c->fork_full = f;
			} else if (nr == SYS_nanosleep) {
				c->sleep_direct = d;
				c->sleep_exit_work = e;
			}
		}
		scan(line, "fpu_reload %lu", &c->fpu_reload);
		scan(line, "reason full_frame %lu", &c->full_frame);
		scan(line, "entry_work seccomp %lu", &c->seccomp);
		scan(line, "counting %lu", &c->counting);
	}
	return 0;
}

static void getppid_calls(int n)
{
	while (n--)
		syscall(SYS_getppid);
}

FIXTURE(stats) {
	bool ring0;
};

FIXTURE_SETUP(stats)
{
	if (access(STATS_ON, F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	if (access(STATS_ON, F_OK))
		SKIP(return, "no %s (baseline, or a kernel without debugfs)",
		     STATS_ON);
	if (geteuid())
		SKIP(return, "the counters are root's");
	self->ring0 = kml_cpl() == 0;
	ASSERT_EQ(kml_expected_cpl(), kml_cpl());
}

FIXTURE_TEARDOWN(stats)
{
	kml_write_file(STATS_ON, "0");
}

/* getppid() from this task: counted when in ring 0 and on, else not. */
TEST_F(stats, counted_while_on)
{
	struct counts c, after;

	ASSERT_EQ(0, kml_write_file(STATS_ON, "1"));
	getppid_calls(CALLS);
	ASSERT_EQ(0, read_counts(&c));
	EXPECT_EQ(1, c.counting);
	if (self->ring0) {
		/* A rare interrupt may leave work for the way out. */
		EXPECT_GE(c.direct + c.exit_work + c.full, CALLS);
		EXPECT_GE(c.direct, CALLS / 2) {
			TH_LOG("getppid: %lu direct, %lu exit work, %lu full",
			       c.direct, c.exit_work, c.full);
		}
	} else {
		EXPECT_LT(c.direct + c.exit_work + c.full, CALLS) {
			TH_LOG("the calls of an ordinary task were counted");
		}
	}

	/* Off: the counts stay where they are. */
	ASSERT_EQ(0, kml_write_file(STATS_ON, "0"));
	ASSERT_EQ(0, read_counts(&c));
	EXPECT_EQ(0, c.counting);
	getppid_calls(CALLS);
	ASSERT_EQ(0, read_counts(&after));
	EXPECT_EQ(c.direct + c.exit_work + c.full,
		  after.direct + after.exit_work + after.full);
}

/* fork() and seccomp take the full path, and say why. */
TEST_F(stats, fallback_reasons)
{
	struct sock_filter allow[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 1, .filter = allow };
	struct counts c;
	int status;
	pid_t pid;

	if (!self->ring0)
		SKIP(return, "an ordinary task: nothing is counted");
	ASSERT_EQ(0, kml_write_file(STATS_ON, "1"));
	pid = syscall(SYS_fork);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(2);
		getppid_calls(CALLS);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_EQ(0, read_counts(&c));
	EXPECT_GE(c.fork_full, 1);
	EXPECT_GE(c.full_frame, 1);
	EXPECT_GE(c.full, CALLS) {
		TH_LOG("getppid under seccomp: %lu full, %lu direct",
		       c.full, c.direct);
	}
	EXPECT_GE(c.seccomp, CALLS);
}

#define SLEEPS		200
#define XMM_MINE	0x5a5a5a5a01234567ul

/*
 * nanosleep() through SYSCALL with @mine in XMM8, and what XMM8 holds
 * after it.
 */
static unsigned long sleep_keeping_xmm8(unsigned long mine)
{
	struct timespec ts = { .tv_nsec = 1000 };
	long ret = SYS_nanosleep;
	unsigned long after;

	asm volatile("movq %[mine], %%xmm8\n\t"
		     "syscall\n\t"
		     "movq %%xmm8, %[after]"
		     : [after] "=r" (after), "+a" (ret)
		     : [mine] "r" (mine), "D" (&ts), "S" (NULL)
		     : "rcx", "r11", "xmm8", "memory");
	return ret ? ~mine : after;
}

/* Another task on the same CPU, with its own XMM8; never returns. */
static void clobber_xmm8(void)
{
	for (;;) {
		asm volatile("movq %0, %%xmm8" : : "r" (~XMM_MINE) : "xmm8");
		sched_yield();
	}
}

/*
 * A call that slept comes back with TIF_NEED_FPU_LOAD: the direct dispatch
 * reloads the registers and returns directly. The registers must be the
 * task's own, whatever ran on the CPU while it slept.
 */
TEST_F(stats, sleep_reloads_fpu)
{
	unsigned long bad = 0, got = 0;
	struct counts c;
	cpu_set_t one;
	pid_t pid;
	int i;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		clobber_xmm8();
	ASSERT_EQ(0, kml_write_file(STATS_ON, "1"));
	for (i = 0; i < SLEEPS; i++) {
		unsigned long v = sleep_keeping_xmm8(XMM_MINE + i);

		if (v != XMM_MINE + i) {
			bad++;
			got = v;
		}
	}
	ASSERT_EQ(0, kml_write_file(STATS_ON, "0"));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(0, bad) {
		TH_LOG("%lu of %d sleeps came back with another XMM8 (0x%lx)",
		       bad, SLEEPS, got);
	}
	ASSERT_EQ(0, read_counts(&c));
	if (!self->ring0)
		return;
	/* A reschedule or a signal may still leave work for some. */
	EXPECT_GE(c.fpu_reload, SLEEPS / 2);
	EXPECT_GE(c.sleep_direct, SLEEPS / 2) {
		TH_LOG("nanosleep: %lu direct, %lu exit work; fpu_reload %lu",
		       c.sleep_direct, c.sleep_exit_work, c.fpu_reload);
	}
}

/* Anyone but root is refused. */
TEST_F(stats, root_only)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (open(STATS_ON, O_WRONLY) >= 0 || errno != EACCES)
			_exit(3);
		if (open(STATS, O_RDONLY) >= 0 || errno != EACCES)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status) {
		TH_LOG("exit %d: 2 no setuid, 3 could open %s, 4 could open %s",
		       WEXITSTATUS(status), STATS_ON, STATS);
	}
}

TEST_HARNESS_MAIN
