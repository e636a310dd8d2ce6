// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux: which executables run in the CPU's privileged mode.
 *
 * An executable whose file resolves under the trusted directory (default
 * /trusted) starts in the privileged mode (ring 0 on x86) and stays there:
 * its process is an ordinary process in every other way. This file holds
 * what every architecture shares: the trust rules, the switches (command
 * line and sysctl), the /proc/PID/status line, the ptrace rule and the
 * log lines that say why a trusted executable runs in user mode. The
 * architecture code (arch/<arch>/kml/) says whether KML can work on this
 * CPU and executable, converts the new mm, and owns the entry code and
 * the per-task state. See Documentation/arch/x86/kml.rst.
 */

#define pr_fmt(fmt) "kml: " fmt

#include <linux/binfmts.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/init.h>
#include <linux/kml.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <linux/user_namespace.h>

#include <asm/kml.h>

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "kml."

static bool kml_enabled = true;
module_param_named(enabled, kml_enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "Run executables under the trusted directory in the privileged mode");

static char kml_trusted_name[256] = "/trusted";
module_param_string(trusted, kml_trusted_name, sizeof(kml_trusted_name), 0444);
MODULE_PARM_DESC(trusted, "The trusted directory (default /trusted)");

static KML_REFUSAL(kml_no_enabled, "KML is disabled (kernel.kml.enabled = 0)");
static KML_REFUSAL(kml_no_lockdown, "the kernel is locked down");
static KML_REFUSAL(kml_no_share, "its fs_struct is shared with another process");
static KML_REFUSAL(kml_no_nnp, "no_new_privs is set");
static KML_REFUSAL(kml_no_userns, "the exec is in a user namespace");
static KML_REFUSAL(kml_no_chroot, "the exec is in a chroot");
static KML_REFUSAL(kml_no_nosuid, "the file system is mounted nosuid");
static KML_REFUSAL(kml_no_ptrace, "it is traced by a tracer without CAP_SYS_PTRACE");
static KML_REFUSAL(kml_no_file_owner, "the file is not owned by root");
static KML_REFUSAL(kml_no_file_mode, "the file is writable by group or others");
static KML_REFUSAL(kml_no_dir_owner, "a directory on the way is not owned by root");
static KML_REFUSAL(kml_no_dir_mode, "a directory on the way is writable by group or others");

/* Why KML cannot work on this kernel, or "": kernel.kml.unavailable. */
static char kml_unavailable[96] __ro_after_init;

/**
 * kml_boot_report - log whether trusted executables get the privileged mode
 * @why: why KML cannot work on this kernel, or NULL when it can
 *
 * Called once by the architecture code, when it has set up its entry code
 * or found that it cannot.
 */
void __init kml_boot_report(const struct kml_refusal *why)
{
	if (why) {
		strscpy(kml_unavailable, why->why);
		pr_info("unavailable: %s\n", why->why);
	} else if (kml_enabled) {
		pr_info("executables under %s run in " KML_MODE_NAME "\n",
			kml_trusted_name);
	} else {
		pr_info("disabled on the command line (kml.enabled=0)\n");
	}
}

/*
 * The trusted directory and the root it was looked up in. Readers take
 * kml_trusted_cache_lock, a spinlock held for two reference counts; a
 * lookup, which may sleep, is serialised by kml_trusted_lock.
 *
 * The reference pins the directory's mount: its file system cannot be
 * unmounted (EBUSY) until init changes its root. path_is_under() needs
 * the path, and a lookup at every exec would cost every exec.
 */
static DEFINE_MUTEX(kml_trusted_lock);
static DEFINE_SPINLOCK(kml_trusted_cache_lock);
static struct path kml_trusted_root;
static struct path kml_trusted_dir;
static bool kml_trusted_missing;

/* The cached trusted directory, if it was looked up in @root. */
static bool kml_cached_trusted_dir(const struct path *root, struct path *dir)
{
	bool ok;

	spin_lock(&kml_trusted_cache_lock);
	ok = kml_trusted_dir.mnt && path_equal(root, &kml_trusted_root);
	if (ok) {
		*dir = kml_trusted_dir;
		path_get(dir);
	}
	spin_unlock(&kml_trusted_cache_lock);
	return ok;
}

/*
 * Get the trusted directory, looked up in the root of the init process:
 * once at the first exec that asks, and again when init changes its root
 * (an initramfs handing over to the real root file system), or while the
 * directory does not exist.
 */
static bool kml_get_trusted_dir(struct path *dir)
{
	struct path root = {}, found, old_dir, old_root;
	struct task_struct *init;
	bool ok = false;
	int err;

	rcu_read_lock();
	init = find_task_by_pid_ns(1, &init_pid_ns);
	if (init)
		get_task_struct(init);
	rcu_read_unlock();
	if (!init)
		return false;
	task_lock(init);
	if (init->fs)
		get_fs_root(init->fs, &root);
	task_unlock(init);
	put_task_struct(init);
	if (!root.mnt)
		return false;

	if (kml_cached_trusted_dir(&root, dir)) {
		path_put(&root);
		return true;
	}

	mutex_lock(&kml_trusted_lock);
	if (kml_cached_trusted_dir(&root, dir)) {
		ok = true;
		goto out;
	}
	err = vfs_path_lookup(root.dentry, root.mnt, kml_trusted_name,
			      LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &found);
	if (err) {
		if (!kml_trusted_missing)
			pr_info("trusted directory %s not found (%d): nothing runs in %s until it exists\n",
				kml_trusted_name, err, KML_MODE_NAME);
		kml_trusted_missing = true;
		goto out;
	}
	kml_trusted_missing = false;
	*dir = found;
	path_get(dir);
	path_get(&root);
	spin_lock(&kml_trusted_cache_lock);
	old_dir = kml_trusted_dir;
	old_root = kml_trusted_root;
	kml_trusted_dir = found;
	kml_trusted_root = root;
	spin_unlock(&kml_trusted_cache_lock);
	path_put(&old_dir);
	path_put(&old_root);
	ok = true;
out:
	mutex_unlock(&kml_trusted_lock);
	path_put(&root);
	return ok;
}

/*
 * Is the file, and every directory from the trusted directory down to it,
 * owned by root and not writable by group or others? Returns why not, or
 * NULL. @file is under @dir (path_is_under()).
 */
static struct kml_refusal *kml_check_owners(const struct path *file,
					    const struct path *dir)
{
	struct kml_refusal *why = NULL;
	struct path p = *file;
	bool covered = false;

	path_get(&p);
	for (;;) {
		struct inode *inode = d_inode(p.dentry);
		bool is_file = p.dentry == file->dentry;

		/* A directory a mount covers is not on the way. */
		if (!covered) {
			if (!uid_eq(inode->i_uid, GLOBAL_ROOT_UID)) {
				why = is_file ? &kml_no_file_owner : &kml_no_dir_owner;
				break;
			}
			if (inode->i_mode & 0022) {	/* group or others may write */
				why = is_file ? &kml_no_file_mode : &kml_no_dir_mode;
				break;
			}
		}
		if (path_equal(&p, dir))
			break;
		if (p.dentry == p.mnt->mnt_root) {
			if (!follow_up(&p))
				break;
			covered = true;
		} else {
			struct dentry *parent = dget_parent(p.dentry);

			dput(p.dentry);
			p.dentry = parent;
			covered = false;
		}
	}
	path_put(&p);
	return why;
}

/*
 * The rules besides the trusted directory, for an executable under it
 * that the architecture can run in the privileged mode: returns the rule
 * that refuses it, or NULL.
 */
static struct kml_refusal *kml_check_exec(struct linux_binprm *bprm,
					  const struct path *dir)
{
	/* Unsigned code in the kernel's mode is what lockdown keeps out. */
	if (security_locked_down(LOCKDOWN_KERNEL_MODE_LINUX))
		return &kml_no_lockdown;
	if (!READ_ONCE(kml_enabled))
		return &kml_no_enabled;
	if (task_no_new_privs(current) ||
	    (bprm->unsafe & LSM_UNSAFE_NO_NEW_PRIVS))
		return &kml_no_nnp;
	if (bprm->cred->user_ns != &init_user_ns)
		return &kml_no_userns;
	if (current_chrooted())
		return &kml_no_chroot;
	if (!mnt_may_suid(bprm->file->f_path.mnt))
		return &kml_no_nosuid;
	if ((bprm->unsafe & LSM_UNSAFE_PTRACE) &&
	    !ptracer_capable(current, &init_user_ns))
		return &kml_no_ptrace;
	/* Another process could chroot or chdir the trusted program. */
	if (bprm->unsafe & LSM_UNSAFE_SHARE)
		return &kml_no_share;
	return kml_check_owners(&bprm->file->f_path, dir);
}

/**
 * kml_exec_prepare - decide whether an executable runs in the privileged mode
 * @bprm: the exec, before its point of no return
 * @elf_class: the ELF class of the executable
 *
 * An executable whose file resolves under the trusted directory runs in
 * the privileged mode when the architecture can run it there
 * (arch_kml_exec_refusal()) and the rules of
 * Documentation/arch/x86/kml.rst allow it: its new mm is made a KML mm
 * here (arch_kml_mm_enable()), the exec becomes a secure exec (AT_SECURE),
 * and the architecture's start_thread() hook makes the task a KML task.
 * Any other executable is left alone. A trusted executable that a rule
 * refuses runs in user mode, and a rate-limited log line names the rule.
 *
 * From the moment begin_new_exec() installs the new mm, only a holder of
 * CAP_SYS_PTRACE in the initial user namespace may ptrace the task or
 * open its memory (kml_ptrace_refused()), and begin_new_exec() treats
 * the exec as a setuid one: the mm gets fs.suid_dumpable as its dumpable
 * flag (not dumpable by default), and then the per-task perf events of
 * the old program go, all while the exec still holds cred_guard_mutex
 * and exec_update_lock. The architecture makes the mm non-dumpable in
 * any case when the task starts.
 *
 * While KML cannot work on this kernel, an exec of a trusted program still
 * logs why it runs in user mode; any other exec costs the cached lookup of
 * the trusted directory (a spinlock) and path_is_under().
 */
void kml_exec_prepare(struct linux_binprm *bprm, int elf_class)
{
	struct kml_refusal *why;
	struct path dir;

	if (!kml_get_trusted_dir(&dir))
		return;
	if (!path_is_under(&bprm->file->f_path, &dir)) {
		path_put(&dir);
		return;
	}
	why = arch_kml_exec_refusal(elf_class);
	if (!why)
		why = kml_check_exec(bprm, &dir);
	path_put(&dir);
	if (why) {
		if (__ratelimit(&why->rs))
			pr_info("%s runs in user mode: %s\n",
				bprm->filename, why->why);
		return;
	}
	bprm->secureexec = 1;
	bprm->interp_flags |= BINPRM_FLAGS_ENFORCE_NONDUMP;
	arch_kml_mm_enable(bprm->mm);
}

/**
 * kml_ptrace_refused - may this access to @task's process be refused?
 * @task: the task a ptrace access check is about
 *
 * Return: true when @task's mm is a KML mm: only a holder of
 * CAP_SYS_PTRACE in the initial user namespace may ptrace it, read or
 * write its memory, or attach perf events to it, whatever its dumpable
 * flag says (a trusted program may set it with PR_SET_DUMPABLE, and
 * setuid() sets it from fs.suid_dumpable). Called with task_lock(@task).
 */
bool kml_ptrace_refused(struct task_struct *task)
{
	return mm_is_kml(task->mm);
}

/**
 * kml_proc_status - the KML line of /proc/PID/status
 * @m: the status file
 * @task: the task it describes
 */
void kml_proc_status(struct seq_file *m, struct task_struct *task)
{
	seq_printf(m, "KernelMode:\t%d\n", kml_task(task));
}

static struct ctl_table kml_sysctls[] = {
	{
		.procname	= "enabled",
		.data		= &kml_enabled,
		.maxlen		= sizeof(kml_enabled),
		.mode		= 0644,
		.proc_handler	= proc_dobool,
	},
	{
		.procname	= "unavailable",
		.data		= kml_unavailable,
		.maxlen		= sizeof(kml_unavailable),
		.mode		= 0444,
		.proc_handler	= proc_dostring,
	},
};

static int __init kml_sysctl_init(void)
{
	register_sysctl_init("kernel/kml", kml_sysctls);
	return 0;
}
late_initcall(kml_sysctl_init);
