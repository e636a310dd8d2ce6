// SPDX-License-Identifier: GPL-2.0
/*
 * Who gets ring 0. A program under the trusted directory runs in ring 0
 * only if every rule holds (Documentation/arch/x86/kml.rst); each test
 * breaks one rule and checks the refusal from the program's own view (its
 * CPL) and in the kernel log. Then what a trusted exec brings (AT_SECURE,
 * LD_PRELOAD ignored, not dumpable, no ptrace or memory access for
 * unprivileged processes, not even once the program has made itself
 * dumpable again or changed its user) and the switches (sysctl
 * kernel.kml.enabled, KernelMode in /proc/PID/status).
 *
 * The helper kml_secure prints "cpl=N secure=N dumpable=N value=ADDR".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#define SYSCTL	"/proc/sys/kernel/kml/enabled"
#define ORD	"/tmp/kml-policy"
#define USER	1000
#define NOBODY	65534
#define SUID_DUMPABLE	"/proc/sys/fs/suid_dumpable"

static char tdir[PATH_MAX / 4];		/* <trusted>/kml-policy */
static char helper[PATH_MAX];		/* <tdir>/kml_secure */
static char self_dir[PATH_MAX / 2];

/* Is KML active for programs under the trusted directory? */
static bool kml_active(void)
{
	return kml_trusted_cpl() == 0;
}

/* Copy the helper @name from this program's directory to @to. */
static int copy_to(const char *name, const char *to, mode_t mode)
{
	char from[PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s", self_dir, name);
	return kml_copy_file(from, to, mode);
}

typedef void (*prep_fn)(void);

/*
 * Run @path with the option @opt if not NULL (and --wait if @pid is given:
 * then leave it running and store its pid) after @prep in the child;
 * return its first output line.
 */
static char *run_opt(const char *path, prep_fn prep, pid_t *pid, const char *opt)
{
	static char out[256];
	int fds[2], status;
	ssize_t n, len = 0;
	pid_t p;

	out[0] = '\0';
	if (pipe(fds))
		return out;
	p = fork();
	if (p == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		if (prep)
			prep();
		if (opt)
			execl(path, path, opt, pid ? "--wait" : NULL, NULL);
		else
			execl(path, path, pid ? "--wait" : NULL, NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < (ssize_t)sizeof(out) - 1 &&
	       (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0) {
		len += n;
		if (memchr(out, '\n', len))
			break;
	}
	out[len] = '\0';
	close(fds[0]);
	if (pid)
		*pid = p;
	else
		waitpid(p, &status, 0);
	return out;
}

static char *run(const char *path, prep_fn prep, pid_t *pid)
{
	return run_opt(path, prep, pid, NULL);
}

static int cpl_of(const char *out)
{
	const char *c = strstr(out, "cpl=");

	return c ? c[4] - '0' : -1;
}

static void become_user(void)
{
	if (setresgid(USER, USER, USER) || setresuid(USER, USER, USER))
		_exit(126);
}

/* @path ran in user mode, and where KML is active the log says why. */
static void expect_refused(struct __test_metadata *_metadata,
			   const char *path, const char *rule, const char *out)
{
	char line[PATH_MAX + 128];

	EXPECT_EQ(3, cpl_of(out));
	if (!kml_active())
		return;
	snprintf(line, sizeof(line), "kml: %s runs in user mode: %s", path, rule);
	EXPECT_TRUE(kml_log_has(line)) {
		TH_LOG("no log line \"%s\"", line);
	}
}

FIXTURE(policy) {
	char path[PATH_MAX];
};

FIXTURE_SETUP(policy)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (geteuid() != 0)
		SKIP(return, "needs root to write to the trusted directory");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	snprintf(self_dir, sizeof(self_dir), "%s", dirname(exe));
	snprintf(tdir, sizeof(tdir), "%s/kml-policy", kml_trusted_dir());
	mkdir(tdir, 0755);
	chmod(tdir, 0755);
	mkdir(ORD, 0755);
	snprintf(helper, sizeof(helper), "%s/kml_secure", tdir);
	ASSERT_EQ(0, copy_to("kml_secure", helper, 0755));
	ASSERT_EQ(0, copy_to("kml_secure", ORD "/kml_secure", 0755));
}

FIXTURE_TEARDOWN(policy)
{
}

TEST_F(policy, trusted_file_runs_in_ring_0)
{
	EXPECT_EQ((int)kml_trusted_cpl(), cpl_of(run(helper, NULL, NULL)));
	EXPECT_EQ(3, cpl_of(run(ORD "/kml_secure", NULL, NULL)));
}

TEST_F(policy, world_writable_file)
{
	snprintf(self->path, sizeof(self->path), "%s/ww", tdir);
	ASSERT_EQ(0, copy_to("kml_secure", self->path, 0757));
	expect_refused(_metadata, self->path, "the file is writable by group or others",
		       run(self->path, NULL, NULL));
}

TEST_F(policy, group_writable_file)
{
	snprintf(self->path, sizeof(self->path), "%s/gw", tdir);
	ASSERT_EQ(0, copy_to("kml_secure", self->path, 0775));
	expect_refused(_metadata, self->path, "the file is writable by group or others",
		       run(self->path, NULL, NULL));
}

TEST_F(policy, file_owned_by_another_user)
{
	snprintf(self->path, sizeof(self->path), "%s/other", tdir);
	ASSERT_EQ(0, copy_to("kml_secure", self->path, 0755));
	ASSERT_EQ(0, chown(self->path, USER, 0));
	ASSERT_EQ(0, chmod(self->path, 0755));
	expect_refused(_metadata, self->path, "the file is not owned by root",
		       run(self->path, NULL, NULL));
}

TEST_F(policy, writable_parent_directory)
{
	char dir[PATH_MAX / 2];

	snprintf(dir, sizeof(dir), "%s/wdir", tdir);
	mkdir(dir, 0777);
	ASSERT_EQ(0, chmod(dir, 0777));
	snprintf(self->path, sizeof(self->path), "%s/prog", dir);
	ASSERT_EQ(0, copy_to("kml_secure", self->path, 0755));
	expect_refused(_metadata, self->path,
		       "a directory on the way is writable by group or others",
		       run(self->path, NULL, NULL));
}

TEST_F(policy, directory_owned_by_another_user)
{
	char dir[PATH_MAX / 2];

	snprintf(dir, sizeof(dir), "%s/udir", tdir);
	mkdir(dir, 0755);
	ASSERT_EQ(0, chown(dir, USER, 0));
	snprintf(self->path, sizeof(self->path), "%s/prog", dir);
	ASSERT_EQ(0, copy_to("kml_secure", self->path, 0755));
	expect_refused(_metadata, self->path,
		       "a directory on the way is not owned by root",
		       run(self->path, NULL, NULL));
}

TEST_F(policy, tmpfs_mounted_over_a_trusted_directory)
{
	char dir[PATH_MAX / 2];

	/* A fresh tmpfs: its root is mode 1777. */
	snprintf(dir, sizeof(dir), "%s/over", tdir);
	mkdir(dir, 0755);
	ASSERT_EQ(0, mount("tmpfs", dir, "tmpfs", 0, NULL));
	snprintf(self->path, sizeof(self->path), "%s/prog", dir);
	ASSERT_EQ(0, copy_to("kml_secure", self->path, 0755));
	expect_refused(_metadata, self->path,
		       "a directory on the way is writable by group or others",
		       run(self->path, NULL, NULL));
	EXPECT_EQ(0, umount(dir));
}

TEST_F(policy, nosuid_mount)
{
	char dir[PATH_MAX / 2];

	snprintf(dir, sizeof(dir), "%s/nosuid", tdir);
	mkdir(dir, 0755);
	ASSERT_EQ(0, mount("tmpfs", dir, "tmpfs", MS_NOSUID, "mode=0755"));
	snprintf(self->path, sizeof(self->path), "%s/prog", dir);
	ASSERT_EQ(0, copy_to("kml_secure", self->path, 0755));
	expect_refused(_metadata, self->path, "the file system is mounted nosuid",
		       run(self->path, NULL, NULL));
	EXPECT_EQ(0, umount(dir));
}

static void do_chroot(void)
{
	if (chroot(tdir) || chdir("/"))
		_exit(125);
}

TEST_F(policy, chroot)
{
	expect_refused(_metadata, "/kml_secure", "the exec is in a chroot",
		       run("/kml_secure", do_chroot, NULL));
}

static void do_unshare_user(void)
{
	if (unshare(CLONE_NEWUSER))
		_exit(125);
}

/*
 * What the IA-32 test kernels are built without: user namespaces
 * (CONFIG_USER_NS) and process_vm_readv/writev (CONFIG_CROSS_MEMORY_ATTACH).
 * The checks that need them are left out there, with the reason said.
 */
static bool have_user_ns(void)
{
#ifdef __x86_64__
	return true;
#else
	int status;
	pid_t p = fork();

	if (p == 0)
		_exit(unshare(CLONE_NEWUSER) ? 1 : 0);
	return p > 0 && waitpid(p, &status, 0) == p && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
#endif
}

static bool have_process_vm(void)
{
#ifdef __x86_64__
	return true;
#else
	long v = 1, w = 0;
	struct iovec local = { &w, sizeof(w) }, remote = { &v, sizeof(v) };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == sizeof(v) ||
	       errno != ENOSYS;
#endif
}

TEST_F(policy, user_namespace)
{
	if (!have_user_ns())
		SKIP(return, "no user namespaces (CONFIG_USER_NS)");
	expect_refused(_metadata, helper, "the exec is in a user namespace",
		       run(helper, do_unshare_user, NULL));
}

static void do_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(125);
}

TEST_F(policy, no_new_privs)
{
	expect_refused(_metadata, helper, "no_new_privs is set",
		       run(helper, do_no_new_privs, NULL));
}

/*
 * Share the fs_struct (root, working directory, umask) with a process of
 * our own, which lives until we exit: the exec is LSM_UNSAFE_SHARE.
 */
static void do_share_fs(void)
{
	pid_t parent = getpid();
	long p = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, NULL, NULL, 0);

	if (p < 0)
		_exit(125);
	if (p == 0) {
		close(1);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		for (;;)
			pause();
	}
}

TEST_F(policy, shared_fs_struct)
{
	expect_refused(_metadata, helper, "its fs_struct is shared with another process",
		       run(helper, do_share_fs, NULL));
	/* Not shared: ring 0 again. */
	EXPECT_EQ((int)kml_trusted_cpl(), cpl_of(run(helper, NULL, NULL)));
}

TEST_F(policy, secure_exec_and_not_dumpable)
{
	char *out = run(helper, NULL, NULL);

	EXPECT_TRUE(!!strstr(out, kml_active() ? "secure=1" : "secure=0"));
	EXPECT_TRUE(!!strstr(out, kml_active() ? "dumpable=0" : "dumpable=1"));
	out = run(ORD "/kml_secure", NULL, NULL);
	EXPECT_TRUE(!!strstr(out, "secure=0 dumpable=1"));
}

static void do_preload(void)
{
	setenv("LD_PRELOAD", ORD "/libkml_preload.so", 1);
}

TEST_F(policy, ld_preload_ignored)
{
	char dyn[PATH_MAX];
	char *out;

	snprintf(dyn, sizeof(dyn), "%s/kml_secure_dyn", tdir);
	ASSERT_EQ(0, copy_to("kml_secure_dyn", dyn, 0755));
	ASSERT_EQ(0, copy_to("kml_secure_dyn", ORD "/kml_secure_dyn", 0755));
	ASSERT_EQ(0, copy_to("libkml_preload.so", ORD "/libkml_preload.so", 0755));

	out = run(dyn, do_preload, NULL);
	EXPECT_EQ((int)kml_trusted_cpl(), cpl_of(out));
	EXPECT_EQ(kml_active(), !strstr(out, "preloaded")) {
		TH_LOG("trusted: %s", out);
	}
	out = run(ORD "/kml_secure_dyn", do_preload, NULL);
	EXPECT_TRUE(!!strstr(out, "preloaded")) {
		TH_LOG("ordinary: %s", out);
	}
}

/*
 * A process of USER tries to ptrace, open /proc/PID/mem of, and write with
 * process_vm_writev into a process of USER running @prog: returns a bit
 * for each that worked.
 */
static int unprivileged_access(const char *prog)
{
	char *out, memfile[64];
	int status, worked = 0;
	void *addr = NULL;
	pid_t target, p;

	out = run(prog, become_user, &target);
	if (!strstr(out, "value=") ||
	    sscanf(strstr(out, "value=") + 6, "%p", &addr) != 1)
		addr = NULL;
	p = fork();
	if (p == 0) {
		long v = 42;
		struct iovec local = { &v, sizeof(v) }, remote = { addr, sizeof(v) };
		int fd, r = 0;

		become_user();
		if (!ptrace(PTRACE_ATTACH, target, NULL, NULL)) {
			r |= 1;
			waitpid(target, NULL, 0);
			ptrace(PTRACE_DETACH, target, NULL, NULL);
		}
		snprintf(memfile, sizeof(memfile), "/proc/%d/mem", target);
		fd = open(memfile, O_RDWR);
		if (fd >= 0) {
			r |= 2;
			close(fd);
		}
		if (process_vm_writev(target, &local, 1, &remote, 1, 0) == sizeof(v))
			r |= 4;
		_exit(r);
	}
	waitpid(p, &status, 0);
	worked = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	return worked;
}

TEST_F(policy, unprivileged_cannot_trace_or_write)
{
	int all = have_process_vm() ? 7 : 3;

	if (all != 7)
		TH_LOG("no process_vm_writev (CONFIG_CROSS_MEMORY_ATTACH): not tried");
	/* The same program from an ordinary directory: all three work. */
	EXPECT_EQ(all, unprivileged_access(ORD "/kml_secure"));
	EXPECT_EQ(kml_active() ? 0 : all, unprivileged_access(helper));
}

static void become_nobody(void)
{
	if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
		_exit(126);
}

static const char *err_name(int err)
{
	return err ? strerror(err) : "worked";
}

/*
 * Start @prog (with the option @opt, after @prep) and let a process of
 * NOBODY try PTRACE_ATTACH, open("/proc/PID/mem", O_RDWR) and a
 * process_vm_readv of it. Where @closed, each must fail: EPERM, EACCES,
 * EPERM; else each must work.
 */
static void check_nobody_access(struct __test_metadata *_metadata,
				const char *prog, prep_fn prep, const char *opt,
				bool closed)
{
	static const char * const what[] = {
		"PTRACE_ATTACH", "open(/proc/PID/mem, O_RDWR)", "process_vm_readv",
	};
	int fds[2], err[3] = { -1, -1, -1 }, i, n;
	char *out, memfile[64];
	void *addr = NULL;
	pid_t target, p;

	out = run_opt(prog, prep, &target, opt);
	ASSERT_TRUE(!!strstr(out, "value=")) {
		TH_LOG("%s %s printed \"%s\"", prog, opt ? opt : "", out);
	}
	ASSERT_EQ(1, sscanf(strstr(out, "value=") + 6, "%p", &addr));
	ASSERT_EQ(0, pipe(fds));
	p = fork();
	if (p == 0) {
		long v = 0;
		struct iovec local = { &v, sizeof(v) }, remote = { addr, sizeof(v) };
		int fd, e[3] = { 0, 0, 0 };

		become_nobody();
		if (ptrace(PTRACE_ATTACH, target, NULL, NULL))
			e[0] = errno;
		else
			ptrace(PTRACE_DETACH, target, NULL, NULL);
		snprintf(memfile, sizeof(memfile), "/proc/%d/mem", target);
		fd = open(memfile, O_RDWR);
		if (fd < 0)
			e[1] = errno;
		else
			close(fd);
		errno = 0;
		if (process_vm_readv(target, &local, 1, &remote, 1, 0) != sizeof(v))
			e[2] = errno ? errno : EIO;
		else if (v != 0x4b4d4c)
			e[2] = EFAULT;
		_exit(write(fds[1], e, sizeof(e)) == sizeof(e) ? 0 : 1);
	}
	close(fds[1]);
	ASSERT_EQ(sizeof(err), read(fds[0], err, sizeof(err)));
	close(fds[0]);
	waitpid(p, NULL, 0);
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);

	n = have_process_vm() ? 3 : 2;
	if (n != 3)
		TH_LOG("no process_vm_readv (CONFIG_CROSS_MEMORY_ATTACH): not tried");
	for (i = 0; i < n; i++) {
		EXPECT_EQ(closed ? (i == 1 ? EACCES : EPERM) : 0, err[i]) {
			TH_LOG("%s %s, %s: expected %s, got %s", prog, opt ? opt : "",
			       what[i], closed ? (i == 1 ? "EACCES" : "EPERM") : "it to work",
			       err_name(err[i]));
		}
	}
}

/*
 * A trusted program that makes itself dumpable again stays closed to its
 * own user: its memory and registers are ring-0 code whatever its
 * dumpable flag says. The same program in user mode is open.
 */
TEST_F(policy, dumpable_again_still_closed)
{
	check_nobody_access(_metadata, helper, become_nobody, "--dumpable", kml_active());
	check_nobody_access(_metadata, ORD "/kml_secure", become_nobody, "--dumpable",
			    false);
}

/*
 * A trusted program started by root that gives up root while
 * fs.suid_dumpable = 1 (which makes a process dumpable at the change of
 * user) stays closed to the new user.
 */
TEST_F(policy, setuid_with_suid_dumpable_still_closed)
{
	char old[16] = "", opt[32];
	int fd;

	fd = open(SUID_DUMPABLE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, old, sizeof(old) - 1));
	EXPECT_EQ(2, pwrite(fd, "1\n", 2, 0));
	snprintf(opt, sizeof(opt), "--setuid=%d", NOBODY);
	check_nobody_access(_metadata, helper, NULL, opt, kml_active());
	check_nobody_access(_metadata, ORD "/kml_secure", NULL, opt, false);
	EXPECT_LT(0, pwrite(fd, old, strlen(old), 0));
	close(fd);
}

TEST_F(policy, root_can_trace)
{
	pid_t target;
	int status;

	run(helper, become_user, &target);
	EXPECT_EQ(0, ptrace(PTRACE_ATTACH, target, NULL, NULL));
	waitpid(target, &status, 0);
	EXPECT_TRUE(WIFSTOPPED(status));
	ptrace(PTRACE_DETACH, target, NULL, NULL);
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
}

TEST_F(policy, sysctl_switch_and_proc_status)
{
	bool active = kml_active();
	char was[2] = "1";
	pid_t before, ord;
	int fd;

	if (kml_baseline()) {
		EXPECT_EQ(-ENOENT, kml_write_file(SYSCTL, "1"));
		run(helper, NULL, &before);
		EXPECT_EQ(-1, kml_status_kernel_mode(before));	/* no such line */
		kill(before, SIGKILL);
		waitpid(before, NULL, 0);
		return;
	}
	fd = open(SYSCTL, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, read(fd, was, 1));
	close(fd);
	run(helper, NULL, &before);
	run(ORD "/kml_secure", NULL, &ord);
	EXPECT_EQ(active, kml_status_kernel_mode(before));
	EXPECT_EQ(0, kml_status_kernel_mode(ord));

	ASSERT_EQ(0, kml_write_file(SYSCTL, "0"));
	expect_refused(_metadata, helper, "KML is disabled (kernel.kml.enabled = 0)",
		       run(helper, NULL, NULL));
	/* A process already in ring 0 stays there. */
	EXPECT_EQ(active, kml_status_kernel_mode(before));
	ASSERT_EQ(0, kml_write_file(SYSCTL, "1"));
	EXPECT_EQ((int)kml_trusted_cpl(), cpl_of(run(helper, NULL, NULL)));
	/* Leave the switch as the test found it. */
	kml_write_file(SYSCTL, was);

	kill(before, SIGKILL);
	kill(ord, SIGKILL);
	waitpid(before, NULL, 0);
	waitpid(ord, NULL, 0);
}

static void do_sysctl_as_user(void)
{
	become_user();
	_exit(kml_write_file(SYSCTL, "0") == (kml_baseline() ? -ENOENT : -EACCES) ? 0 : 1);
}

TEST_F(policy, sysctl_refused_to_unprivileged)
{
	int status;
	pid_t p;

	p = fork();
	if (p == 0)
		do_sysctl_as_user();
	waitpid(p, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_HARNESS_MAIN
