// SPDX-License-Identifier: GPL-2.0
/*
 * A locked-down kernel (lockdown=integrity or confidentiality) runs no
 * program in ring 0: ring 0 is kernel code chosen by root, which lockdown
 * takes from root. Trusted programs run in user mode, the kernel log says
 * why, and kernel.kml.enabled = 1 does not bring ring 0 back.
 *
 * The state of lockdown comes from /sys/kernel/security/lockdown (securityfs
 * is mounted there if it is not yet); the test is skipped when the kernel
 * is not locked down.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#define LOCKDOWN	"/sys/kernel/security/lockdown"
#define SYSCTL		"/proc/sys/kernel/kml/enabled"
#define LOG_TEXT	"the kernel is locked down"

/* The lockdown file's line ("none [integrity] confidentiality"), or "". */
static const char *lockdown_state(void)
{
	static char line[128];
	ssize_t n;
	int fd;

	fd = open(LOCKDOWN, O_RDONLY);
	if (fd < 0 && errno == ENOENT) {
		mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL);
		fd = open(LOCKDOWN, O_RDONLY);
	}
	if (fd < 0)
		return "";
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	line[n > 0 ? n : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return line;
}

/*
 * Start @prog --wait; store the CPL it prints and its KernelMode in
 * /proc/PID/status, then end it.
 */
static void run_trusted(const char *prog, int *cpl, int *kernel_mode)
{
	char out[128] = "";
	int fds[2];
	ssize_t n;
	pid_t pid;

	*cpl = *kernel_mode = -1;
	if (pipe(fds))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		execl(prog, prog, "--wait", NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	if (!strncmp(out, "cpl=", 4))
		*cpl = out[4] - '0';
	*kernel_mode = kml_status_kernel_mode(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

TEST(trusted_programs_run_in_user_mode)
{
	char trusted[PATH_MAX], ordinary[PATH_MAX], line[PATH_MAX + 128];
	const char *state = lockdown_state();
	int cpl, km, r;

	if (geteuid() != 0)
		SKIP(return, "needs root to install a program in the trusted directory");
	if (!*state)
		SKIP(return, "no %s: a kernel without the lockdown LSM", LOCKDOWN);
	if (strstr(state, "[none]"))
		SKIP(return, "the kernel is not locked down (%s: %s)", LOCKDOWN, state);
	TH_LOG("lockdown: %s", state);

	/* This program too, if it was started from the trusted directory. */
	EXPECT_EQ(3, kml_cpl());
	EXPECT_EQ(kml_baseline() ? -1 : 0, kml_status_kernel_mode(getpid()));

	ASSERT_EQ(0, kml_install_pair("kml_secure", "kml-lockdown", trusted, ordinary));
	run_trusted(trusted, &cpl, &km);
	EXPECT_EQ(3, cpl) {
		TH_LOG("%s ran at CPL %d in a locked-down kernel", trusted, cpl);
	}
	EXPECT_EQ(kml_baseline() ? -1 : 0, km);
	if (kml_baseline())
		return;
	snprintf(line, sizeof(line), "kml: %s runs in user mode: " LOG_TEXT, trusted);
	EXPECT_TRUE(kml_log_has(line)) {
		TH_LOG("no log line \"%s\"", line);
	}

	/* The switch does not override lockdown, whether it takes the write or not. */
	r = kml_write_file(SYSCTL, "1");
	TH_LOG("writing 1 to %s: %s", SYSCTL, r ? strerror(-r) : "accepted");
	run_trusted(trusted, &cpl, &km);
	EXPECT_EQ(3, cpl) {
		TH_LOG("after kernel.kml.enabled = 1, %s ran at CPL %d", trusted, cpl);
	}
	EXPECT_EQ(0, km);
}

TEST_HARNESS_MAIN
