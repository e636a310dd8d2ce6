// SPDX-License-Identifier: GPL-2.0
/*
 * The exec of a trusted program races an unprivileged process of the same
 * user that tries to get hold of it: PTRACE_ATTACH, PTRACE_SEIZE, or an
 * open("/proc/PID/mem", O_RDWR). Until the exec has made the new mm a KML
 * mm that refuses them, the process is an ordinary one of that user, and
 * a tracer or a memory file descriptor obtained then stays on a process
 * that runs in ring 0: the attacker owns ring 0.
 *
 * Each run: a child of this process (uid NOBODY, made non-dumpable, so
 * that no attempt before the exec works) execs kml_race_target from the
 * trusted directory while this process, on the other CPU, repeats the
 * attempt until it works or the program has started. Outcomes:
 *
 *   the exec won       every attempt refused (EPERM or EACCES), as it must
 *   the attacker won   an attempt worked and the program runs in ring 0
 *                      (its CPL, KernelMode in /proc/PID/status, or the
 *                      marker page of the new image read through the
 *                      memory file): a failure
 *   user mode          an attempt worked, but the program runs in ring 3
 *                      (the exec saw the tracer and refused ring 0, or no
 *                      ring 0 on this kernel): no harm
 *
 * The races run for a bounded time (KML_RACE_SECONDS, default 20 s from an
 * ordinary directory, 10 s from the trusted one, 5 s where nothing runs in
 * ring 0) and report how often each side won. A control run against the
 * same program in an ordinary directory must let every attack through:
 * without it, a race that nobody can win would prove nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

/* As in kml_race_target.c */
#ifdef __x86_64__
#define KML_RACE_MARKER	0x4b4d4c000000UL
#define KML_RACE_MAGIC	0x6563617220c06d6bUL
#else
#define KML_RACE_MARKER	0x4b4d0000UL
#define KML_RACE_MAGIC	0x20c06d6bUL
#endif

#define NOBODY		65534
#define MAX_RUNS	5000

enum attack { ATTACH, SEIZE, MEM };

static const char * const attack_name[] = {
	[ATTACH] = "PTRACE_ATTACH",
	[SEIZE] = "PTRACE_SEIZE",
	[MEM] = "open(/proc/PID/mem, O_RDWR)",
};

enum outcome { EXEC_WON, ATTACKER_WON, USER_MODE, BROKEN };

struct run {
	enum outcome outcome;
	int attempts;
	int last_errno;		/* of the last refused attempt */
	int cpl;		/* what the program printed, -1 if nothing */
	int kernel_mode;	/* KernelMode of /proc/PID/status */
	int stop_kernel_mode;	/* the same at the first ptrace stop, or -1 */
	bool marker;		/* the memory file read the new image's marker */
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Has the child written its line, or closed the pipe? */
static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

/*
 * One race: fork a child that execs @prog, attack it with @how until an
 * attempt works or the program has started, and classify the outcome.
 */
static void race(const char *prog, enum attack how, bool two_cpus, struct run *r)
{
	char memfile[64], line[64] = "";
	int fds[2], memfd = -1, st;
	bool got = false, late = false;
	double deadline;
	ssize_t n;
	pid_t pid;

	*r = (struct run){ .outcome = BROKEN, .cpl = -1, .stop_kernel_mode = -1 };
	if (pipe2(fds, O_CLOEXEC))
		return;
	pid = fork();
	if (pid == 0) {
		if (two_cpus)
			kml_pin_to(1);
		dup2(fds[1], 1);
		execl(prog, prog, NULL);
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return;
	}
	snprintf(memfile, sizeof(memfile), "/proc/%d/mem", pid);

	/* Attack until an attempt works; one more once the program is up. */
	for (;;) {
		int ret;

		r->attempts++;
		switch (how) {
		case ATTACH:
			ret = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
			break;
		case SEIZE:
			ret = ptrace(PTRACE_SEIZE, pid, NULL, NULL);
			break;
		default:
			memfd = open(memfile, O_RDWR | O_CLOEXEC);
			ret = memfd < 0 ? -1 : 0;
			break;
		}
		if (!ret) {
			got = true;
			break;
		}
		r->last_errno = errno;
		if (late)
			break;
		late = readable(fds[0], 0);
	}

	/* Let the program start: continue it from any ptrace stop. */
	deadline = now() + 10;
	while (!readable(fds[0], got && how == ATTACH ? 1 : 100) && now() < deadline) {
		if (!got || how != ATTACH)
			continue;
		if (waitpid(pid, &st, WNOHANG | __WALL) == pid && WIFSTOPPED(st)) {
			if (r->stop_kernel_mode < 0)
				r->stop_kernel_mode = kml_status_kernel_mode(pid);
			ptrace(PTRACE_CONT, pid, NULL, NULL);
		}
	}
	n = read(fds[0], line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	if (strncmp(line, "cpl=", 4) == 0)
		r->cpl = line[4] - '0';
	r->kernel_mode = kml_status_kernel_mode(pid);
	if (memfd >= 0) {
		unsigned long v = 0;

		r->marker = pread(memfd, &v, sizeof(v), KML_RACE_MARKER) == sizeof(v) &&
			    v == KML_RACE_MAGIC;
		close(memfd);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, __WALL);
	close(fds[0]);

	if (r->cpl < 0)
		r->outcome = BROKEN;
	else if (!got)
		r->outcome = EXEC_WON;
	else if (how == MEM ? r->marker && r->cpl == 0 :
		 r->cpl == 0 || r->kernel_mode == 1 || r->stop_kernel_mode == 1)
		r->outcome = ATTACKER_WON;
	else
		r->outcome = USER_MODE;
}

/* Leave root for NOBODY, non-dumpable: children inherit that until exec. */
static int become_nobody(void)
{
	if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static double budget(void)
{
	const char *v = getenv("KML_RACE_SECONDS");

	if (v)
		return atof(v);
	if (kml_trusted_cpl() != 0)
		return 5;
	return kml_trusted_run() ? 10 : 20;
}

FIXTURE(exec_race) {
	char trusted[PATH_MAX];
	char ordinary[PATH_MAX];
	bool two_cpus;
};

FIXTURE_SETUP(exec_race)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to install the program in the trusted directory");
	ASSERT_EQ(0, kml_install_pair("kml_race_target", "kml-exec-race",
				      self->trusted, self->ordinary));
	ASSERT_EQ(0, become_nobody());
	self->two_cpus = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	if (self->two_cpus)
		kml_pin_to(0);
}

FIXTURE_TEARDOWN(exec_race)
{
}

static void run_races(struct __test_metadata *_metadata, const char *trusted,
		      const char *ordinary, bool two_cpus, enum attack how)
{
	int count[BROKEN + 1] = {}, errs[2] = {}, attempts = 0, runs, i;
	double t0 = now(), limit = budget() / 3;
	struct run r;

	/*
	 * The control: the same program outside the trusted directory is an
	 * ordinary process of NOBODY once it has started, open to the attack.
	 */
	for (i = 0; i < 3; i++) {
		race(ordinary, how, two_cpus, &r);
		ASSERT_EQ(USER_MODE, r.outcome) {
			TH_LOG("control: %s of %s: expected it to work; outcome %d, CPL %d, %s",
			       attack_name[how], ordinary, r.outcome, r.cpl,
			       strerror(r.last_errno));
		}
		if (how == MEM) {
			ASSERT_TRUE(r.marker) {
				TH_LOG("control: the memory file did not read the marker page");
			}
		}
	}

	for (runs = 0; runs < MAX_RUNS && now() - t0 < limit; runs++) {
		race(trusted, how, two_cpus, &r);
		count[r.outcome]++;
		attempts += r.attempts;
		if (r.outcome == EXEC_WON)
			errs[r.last_errno == EACCES]++;
		if (r.outcome == ATTACKER_WON && count[ATTACKER_WON] <= 3)
			TH_LOG("[FAIL] run %d: %s worked (attempt %d); CPL %d, KernelMode %d%s",
			       runs, attack_name[how], r.attempts, r.cpl, r.kernel_mode,
			       how == MEM ? ", its marker page read through the file" :
			       r.stop_kernel_mode == 1 ? " (1 at the first stop)" : "");
	}
	TH_LOG("%s against the exec of %s: %d runs in %.1f s, %d attempts",
	       attack_name[how], trusted, runs, now() - t0, attempts);
	TH_LOG("  the exec won (all refused: %d EPERM, %d EACCES): %d",
	       errs[0], errs[1], count[EXEC_WON]);
	TH_LOG("  the attacker won (got a process that runs in ring 0): %d",
	       count[ATTACKER_WON]);
	TH_LOG("  the attempt worked, the program ran in user mode: %d", count[USER_MODE]);
	if (count[BROKEN])
		TH_LOG("  the program did not start: %d", count[BROKEN]);
	EXPECT_EQ(0, count[ATTACKER_WON]) {
		TH_LOG("[FAIL] %d times in %d runs, a process of nobody held a ring-0 process",
		       count[ATTACKER_WON], runs);
	}
	EXPECT_EQ(0, count[BROKEN]);
	if (kml_trusted_cpl() == 0) {
		EXPECT_EQ(0, count[USER_MODE]) {
			TH_LOG("a trusted program ran in user mode, but nothing refuses ring 0");
		}
	}
	EXPECT_LT(0, runs);
}

TEST_F_TIMEOUT(exec_race, ptrace_attach, 100)
{
	run_races(_metadata, self->trusted, self->ordinary, self->two_cpus, ATTACH);
}

TEST_F_TIMEOUT(exec_race, ptrace_seize, 100)
{
	run_races(_metadata, self->trusted, self->ordinary, self->two_cpus, SEIZE);
}

TEST_F_TIMEOUT(exec_race, proc_pid_mem, 100)
{
	run_races(_metadata, self->trusted, self->ordinary, self->two_cpus, MEM);
}

TEST_HARNESS_MAIN
