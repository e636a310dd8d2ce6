// SPDX-License-Identifier: GPL-2.0
/*
 * Suspend to RAM and back, started by the program under test: afterwards
 * it must still run at its privilege level, by the SYSCALL instruction and
 * through the direct entry, and so must a child it forks.
 *
 * Resume from ACPI S3 runs restore_processor_state() on the CPU that
 * suspended, which sets up the SYSCALL MSRs again (syscall_init()) and
 * loads the IDT saved at suspend. A kernel that keeps per-task state in
 * them (an MSR_LSTAR for KML tasks only) must not lose it there: the task
 * that wrote "mem" to /sys/power/state is still current on that CPU.
 *
 * The guest suspends with ACPI S3 ("deep" in /sys/power/mem_sleep; s2idle
 * does not reset the CPU, and /sys/power/pm_test stops before the
 * platform's enter) and is woken by the alarm of the CMOS RTC
 * (/sys/class/rtc/rtc0/wakealarm), which QEMU's RTC and PIIX4/ICH9 ACPI
 * emulation turn into a wake-up. The test is skipped, with the reason,
 * where the guest cannot do that (not root, no S3, no RTC alarm).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "../../../kml/kml_syscall.h"
#include "kml_util.h"

#define WAKE_LINE	"Waking up from system sleep state S3"

/* The contents of @path (at most @size - 1 bytes, no trailing newline). */
static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* Write @s to @path; 0 or an errno value. */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = errno;
	close(fd);
	return err;
}

/* How many times the kernel log says that the guest woke from S3. */
static int s3_wakeups(void)
{
	int size = klogctl(10, NULL, 0), n, count = 0;
	char *buf, *p;

	if (size <= 0)
		return -1;
	buf = malloc(size + 1);
	if (!buf)
		return -1;
	n = klogctl(3, buf, size);
	buf[n > 0 ? n : 0] = '\0';
	for (p = buf; (p = strstr(p, WAKE_LINE)); p++)
		count++;
	free(buf);
	return count;
}

/*
 * Why this guest cannot suspend to RAM and wake by itself, or NULL; it
 * selects S3 ("deep") on the way.
 */
static const char *cannot_suspend(char *why, size_t size)
{
	char buf[128];
	int err;

	if (geteuid())
		return "needs root to suspend";
	if (read_file("/sys/power/state", buf, sizeof(buf)) || !strstr(buf, "mem")) {
		snprintf(why, size, "no suspend to RAM: /sys/power/state is \"%s\"", buf);
		return why;
	}
	if (read_file("/sys/power/mem_sleep", buf, sizeof(buf)) ||
	    !strstr(buf, "deep")) {
		snprintf(why, size,
			 "no ACPI S3: /sys/power/mem_sleep is \"%s\" (s2idle does not reset the CPU)",
			 buf);
		return why;
	}
	err = write_file("/sys/power/mem_sleep", "deep");
	if (err) {
		snprintf(why, size, "cannot select S3 in /sys/power/mem_sleep: %s",
			 strerror(err));
		return why;
	}
	if (access("/sys/class/rtc/rtc0/wakealarm", W_OK))
		return "no RTC wake alarm (/sys/class/rtc/rtc0/wakealarm)";
	return NULL;
}

/* Suspend to RAM with an RTC alarm @secs seconds ahead; 0 or an errno. */
static int suspend_with_alarm(int secs, bool direct)
{
	char alarm[16];
	int fd, err;
	long r;

	err = write_file("/sys/class/rtc/rtc0/wakealarm", "0");
	snprintf(alarm, sizeof(alarm), "+%d", secs);
	if (!err)
		err = write_file("/sys/class/rtc/rtc0/wakealarm", alarm);
	if (err)
		return err;
	fd = open("/sys/power/state", O_WRONLY);
	if (fd < 0)
		return errno;
	if (direct)
		r = kml_syscall3(SYS_write, fd, (long)"mem", 3);
	else
		r = syscall(SYS_write, fd, "mem", 3) < 0 ? -errno : 3;
	close(fd);
	return r == 3 ? 0 : -r;
}

/*
 * The CPL after getppid() by SYSCALL and through the direct entry, in the
 * order @direct_first says: a bit set in the result for each CPL that is
 * not @want (1: at the start; 2: after SYSCALL; 4: after the direct entry).
 */
static int cpl_checks(unsigned int want, bool direct_first, unsigned int *cpl)
{
	int bad = 0, i;

	cpl[0] = kml_cpl();
	if (cpl[0] != want)
		bad |= 1;
	for (i = 0; i < 2; i++) {
		bool direct = direct_first == !i;
		long r;

		if (direct)
			r = kml_syscall0(SYS_getppid);
		else
			asm volatile("syscall" : "=a" (r) : "a" (SYS_getppid)
				     : "rcx", "r11", "memory");
		cpl[direct ? 2 : 1] = kml_cpl();
		if (cpl[direct ? 2 : 1] != want || r != getppid())
			bad |= direct ? 4 : 2;
	}
	return bad;
}

static void suspend_and_check(struct __test_metadata *_metadata, bool direct)
{
	unsigned int want = kml_expected_cpl(), cpl[3];
	const char *how = direct ? "through the direct entry" : "by SYSCALL";
	int before = s3_wakeups(), err = EBUSY, secs, bad, status;
	char why[512];
	const char *no;
	pid_t pid;

	no = cannot_suspend(why, sizeof(why));
	if (no)
		SKIP(return, "%s", no);
	ASSERT_EQ(want, kml_cpl());
	/* An alarm that goes off before the guest is down aborts it: longer. */
	for (secs = 3; secs <= 12 && err == EBUSY; secs *= 2) {
		err = suspend_with_alarm(secs, direct);
		/* Nothing before these checks: this CPU has just resumed. */
		bad = cpl_checks(want, direct, cpl);
		if (err)
			TH_LOG("suspend with a %d s alarm: %s", secs, strerror(err));
	}
	ASSERT_EQ(0, err) TH_LOG("writing \"mem\" to /sys/power/state %s", how);
	EXPECT_EQ(before + 1, s3_wakeups())
	TH_LOG("expected one more \"%s\" in the kernel log", WAKE_LINE);
	EXPECT_EQ(0, bad)
	TH_LOG("after resume: CPL %u at once, %u after SYSCALL, %u after the entry; want %u",
	       cpl[0], cpl[1], cpl[2], want);

	/* A child forked after the resume. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(cpl_checks(want, direct, cpl));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* Its exit code: bit 0 CPL at once, 1 after SYSCALL, 2 after the entry */
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
	TH_LOG("child forked after resume: status %#x, expected 0", status);
}

FIXTURE(suspend) {
};

FIXTURE_SETUP(suspend)
{
}

FIXTURE_TEARDOWN(suspend)
{
}

/* Suspended by a write by SYSCALL, SYSCALL first after resume. */
TEST_F_TIMEOUT(suspend, syscall_first, 120)
{
	suspend_and_check(_metadata, false);
}

/* Suspended by a write through the direct entry, which comes first after. */
TEST_F_TIMEOUT(suspend, direct_entry_first, 120)
{
	if (!kml_syscall_entry()) {
		ASSERT_NE(0U, kml_expected_cpl())
		TH_LOG("a process in ring 0 must have the direct entry");
		SKIP(return, "no direct entry: the process runs in ring 3");
	}
	suspend_and_check(_metadata, true);
}

TEST_HARNESS_MAIN
