// SPDX-License-Identifier: GPL-2.0
/*
 * Exec and the trusted directory: a program runs in ring 0 exactly when
 * its file resolves under the trusted directory, and a process changes
 * privilege level at every exec that crosses the line, either way. What
 * only looks like the trusted directory is not it: another directory
 * named like it, a symbolic link inside it pointing out, a hard link or a
 * bind mount of it elsewhere. A symbolic link from elsewhere pointing in
 * resolves into it. On a 64-bit kernel a 32-bit program always runs in
 * user mode.
 *
 * The helper kml_cpl prints its privilege level and execs the rest of its
 * arguments; the test runs chains of it and reads what they print.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#define ORD_DIR	"/tmp/kml-exec-test"

static char trusted_dir[PATH_MAX / 2];	/* <trusted>/kml-exec-test */
static char self_dir[PATH_MAX / 2];

/* Run a chain of programs; return the privilege levels they printed. */
static char *run_chain(char *const argv[])
{
	static char out[64];
	int fds[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe(fds))
		return NULL;
	pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (len < (ssize_t)sizeof(out) - 1 &&
	       (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	close(fds[0]);
	waitpid(pid, &status, 0);
	out[len] = '\0';
	/* "0\n3\n" -> "03" */
	for (n = 0, len = 0; out[n]; n++)
		if (out[n] != '\n')
			out[len++] = out[n];
	out[len] = '\0';
	return out;
}

/* What a program in the trusted directory should print. */
static const char *t(void)
{
	return kml_trusted_cpl() ? "3" : "0";
}

/*
 * Why a trusted program runs in user mode, as the log line of its exec
 * says, or NULL; on IA-32 also a refusal since boot (kml_util.h).
 */
static const char *refusal(void)
{
#ifndef __x86_64__
	if (!kml_refusal() && kml_ia32_boot_refusal)
		return kml_ia32_boot_refusal;
#endif
	return kml_refusal();
}

FIXTURE(exec) {
	char trusted[PATH_MAX];
	char ordinary[PATH_MAX];
#ifdef __x86_64__
	char trusted32[PATH_MAX];
#endif
};

FIXTURE_SETUP(exec)
{
	char exe[PATH_MAX], from[PATH_MAX];
	ssize_t n;

	if (geteuid() != 0)
		SKIP(return, "needs root to write to the trusted directory");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = 0;
	snprintf(self_dir, sizeof(self_dir), "%s", dirname(exe));
	snprintf(trusted_dir, sizeof(trusted_dir), "%s/kml-exec-test",
		 kml_trusted_dir());
	mkdir(trusted_dir, 0755);
	mkdir(ORD_DIR, 0755);

	snprintf(self->trusted, sizeof(self->trusted), "%s/kml_cpl", trusted_dir);
	snprintf(self->ordinary, sizeof(self->ordinary), ORD_DIR "/kml_cpl");
	snprintf(from, sizeof(from), "%s/kml_cpl", self_dir);
	ASSERT_EQ(0, kml_copy_file(from, self->trusted, 0755));
	ASSERT_EQ(0, kml_copy_file(from, self->ordinary, 0755));
#ifdef __x86_64__
	snprintf(self->trusted32, sizeof(self->trusted32), "%s/kml_cpl_32",
		 trusted_dir);
	snprintf(from, sizeof(from), "%s/kml_cpl_32", self_dir);
	ASSERT_EQ(0, kml_copy_file(from, self->trusted32, 0755));
#endif
}

FIXTURE_TEARDOWN(exec)
{
}

TEST_F(exec, trusted_ordinary_trusted)
{
	char *argv[] = { self->trusted, self->ordinary, self->trusted, NULL };
	char want[8];

	snprintf(want, sizeof(want), "%s3%s", t(), t());
	EXPECT_STREQ(want, run_chain(argv));
}

/* Where KML refuses ring 0, the kernel log says why. */
TEST_F(exec, refusal_is_logged)
{
	char *argv[] = { self->trusted, NULL };
	char line[PATH_MAX + 128];

	if (kml_baseline() || !refusal()) {
		/* No refusal: the log names none for a trusted program. */
		EXPECT_STREQ(t(), run_chain(argv));
		snprintf(line, sizeof(line), "kml: %s runs in user mode",
			 self->trusted);
		EXPECT_FALSE(kml_log_has(line));
		return;
	}
	EXPECT_STREQ("3", run_chain(argv));
	snprintf(line, sizeof(line), "kml: %s runs in user mode: %s",
		 self->trusted, refusal());
	EXPECT_TRUE(kml_log_has(line));
}

TEST_F(exec, ordinary_trusted_ordinary)
{
	char *argv[] = { self->ordinary, self->trusted, self->ordinary, NULL };
	char want[8];

	snprintf(want, sizeof(want), "3%s3", t());
	EXPECT_STREQ(want, run_chain(argv));
}

#ifdef __x86_64__
/* A 64-bit kernel runs 32-bit programs in user mode only. */
TEST_F(exec, trusted_32bit_runs_in_user_mode)
{
	char *argv[] = { self->trusted, self->trusted32, self->trusted, NULL };
	char want[8];

	snprintf(want, sizeof(want), "%s3%s", t(), t());
	EXPECT_STREQ(want, run_chain(argv));
}
#endif

TEST_F(exec, lookalike_directory)
{
	char dir[PATH_MAX], prog[PATH_MAX + 16];
	char *argv[] = { prog, NULL };

	snprintf(dir, sizeof(dir), "%s2", kml_trusted_dir());
	mkdir(dir, 0755);
	snprintf(prog, sizeof(prog), "%s/kml_cpl", dir);
	ASSERT_EQ(0, kml_copy_file(self->trusted, prog, 0755));
	EXPECT_STREQ("3", run_chain(argv));
	unlink(prog);
	rmdir(dir);
}

/* With kml.trusted= naming another directory, /trusted is an ordinary one. */
TEST_F(exec, default_directory_when_another_is_trusted)
{
	char prog[PATH_MAX];
	char *argv[] = { prog, NULL };

	if (!strcmp(kml_trusted_dir(), "/trusted")) {
		EXPECT_STREQ(t(), run_chain((char *[]){ self->trusted, NULL }));
		return;
	}
	mkdir("/trusted", 0755);
	snprintf(prog, sizeof(prog), "/trusted/kml_cpl");
	ASSERT_EQ(0, kml_copy_file(self->trusted, prog, 0755));
	EXPECT_STREQ("3", run_chain(argv));
	unlink(prog);
}

TEST_F(exec, symlink_pointing_in)
{
	char *argv[] = { ORD_DIR "/link-in", NULL };

	unlink(argv[0]);
	ASSERT_EQ(0, symlink(self->trusted, argv[0]));
	EXPECT_STREQ(t(), run_chain(argv));
}

TEST_F(exec, symlink_pointing_out)
{
	char path[PATH_MAX + 16];
	char *argv[] = { path, NULL };

	snprintf(path, sizeof(path), "%s/link-out", trusted_dir);
	unlink(path);
	ASSERT_EQ(0, symlink(self->ordinary, path));
	EXPECT_STREQ("3", run_chain(argv));
}

TEST_F(exec, hard_link_elsewhere)
{
	char path[PATH_MAX + 32];
	char *argv[] = { path, NULL };

	/* Next to the trusted directory, on the same file system. */
	snprintf(path, sizeof(path), "%s-kml-hardlink", kml_trusted_dir());
	unlink(path);
	if (link(self->trusted, path))
		SKIP(return, "no hard link next to %s: %s", kml_trusted_dir(),
		     strerror(errno));
	EXPECT_STREQ("3", run_chain(argv));
	unlink(path);
}

TEST_F(exec, bind_mount_elsewhere)
{
	char prog[PATH_MAX];
	char *argv[] = { prog, NULL };

	mkdir(ORD_DIR "/bind", 0755);
	ASSERT_EQ(0, mount(trusted_dir, ORD_DIR "/bind", NULL, MS_BIND, NULL));
	snprintf(prog, sizeof(prog), ORD_DIR "/bind/kml_cpl");
	EXPECT_STREQ("3", run_chain(argv));
	EXPECT_EQ(0, umount(ORD_DIR "/bind"));
}

TEST_HARNESS_MAIN
