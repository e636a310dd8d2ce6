// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux, x86-64: which executables run in ring 0, and the
 * state that lets them.
 *
 * An executable whose file resolves under the trusted directory (default
 * /trusted) starts in ring 0 and stays there: its process is an ordinary
 * process in every other way. See Documentation/arch/x86/kml.rst.
 *
 * The state of a KML task:
 *  - TIF_KML, set when it starts a trusted executable, cleared when it
 *    starts any other; inherited by fork and clone, never by kernel threads;
 *  - its mm is a KML mm: the user half is supervisor-only at the top level
 *    of the page tables, so SMEP and SMAP do not apply to its own pages;
 *    only a holder of CAP_SYS_PTRACE in the initial user namespace may
 *    ptrace it or read and write its memory, whatever its dumpable flag;
 *  - while it is current: both GS bases hold this CPU's kernel base (the
 *    entries and exits still execute SWAPGS, so the kernel survives a
 *    program that changes its own), the CPU runs on the KML IDT, whose
 *    gates never push a frame onto the user stack (see entry_64.S), and
 *    kml_on_cpu is set, which entry_SYSCALL_64 and the return to user mode
 *    test (an ALTERNATIVE on X86_FEATURE_KML: no test on a kernel where
 *    KML cannot work).
 *
 * KML never writes MSR_LSTAR: the SYSCALL entry is entry_SYSCALL_64 for
 * every task, so KVM's cached user-return MSRs and resume from suspend,
 * which both restore the kernel's LSTAR, stay right.
 */

#define pr_fmt(fmt) "kml: " fmt

#include <linux/binfmts.h>
#include <linux/capability.h>
#include <linux/cpufeature.h>
#include <linux/cred.h>
#include <linux/elf.h>
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
#include <linux/ratelimit.h>
#include <linux/percpu.h>
#include <linux/pid_namespace.h>
#include <linux/processor.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/set_memory.h>
#include <linux/spinlock.h>
#include <linux/sysctl.h>
#include <linux/user_namespace.h>

#include <asm/desc.h>
#include <asm/kml.h>
#include <asm/msr.h>
#include <asm/traps.h>

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "kml."

static bool kml_enabled = true;
module_param_named(enabled, kml_enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "Run executables under the trusted directory in ring 0");

static char kml_trusted_name[256] = "/trusted";
module_param_string(trusted, kml_trusted_name, sizeof(kml_trusted_name), 0444);
MODULE_PARM_DESC(trusted, "The trusted directory (default /trusted)");

/* Entry code data, see entry_64.S. */
unsigned long kml_entry_target[IDT_ENTRIES] __ro_after_init;
struct desc_ptr kml_std_idt __ro_after_init;

/* Is the current task of this CPU a KML task? (TIF_KML, for entry code) */
DEFINE_PER_CPU(u8, kml_on_cpu);

#define KML_IST_STACK_SIZE	(2 * PAGE_SIZE)

/*
 * How far an NMI, #DB or #MC handler moves the KML IST entry down while it
 * runs (kml_nmi_enter()): more than the stub and the ordinary entry code
 * ever keep on the stack before they leave it, so that an exception the
 * handler takes cannot overwrite the frame of the code it interrupted.
 */
#define KML_IST_NEST		1024
/* Nesting levels the stack has room for: NMI, #MC and #DB, with margin. */
#define KML_IST_LEVELS		6

struct kml_ist_stack {
	char stack[KML_IST_STACK_SIZE];
} __aligned(PAGE_SIZE);

static DEFINE_PER_CPU_PAGE_ALIGNED(struct kml_ist_stack, kml_ist_stack);

static struct desc_ptr kml_idt_descr __ro_after_init;

/*
 * Why a program under the trusted directory runs in user mode. Each reason
 * has its own log rate limit, so that one busy reason hides no other.
 */
struct kml_refusal {
	const char *why;
	struct ratelimit_state rs;
};

#define KML_REFUSAL(name, text)						\
	static struct kml_refusal name = {				\
		.why = text,						\
		.rs = RATELIMIT_STATE_INIT(kml_refusal_rs, 5 * HZ, 10),	\
	}

KML_REFUSAL(kml_no_init, "KML could not set up its entry code");
KML_REFUSAL(kml_no_fred, "FRED is on");
KML_REFUSAL(kml_no_xenpv, "this is a Xen PV guest");
KML_REFUSAL(kml_no_pti, "page table isolation (PTI) is on");
KML_REFUSAL(kml_no_ibt, "kernel IBT is on");
KML_REFUSAL(kml_no_32bit, "not a 64-bit executable");
KML_REFUSAL(kml_no_enabled, "KML is disabled (kernel.kml.enabled = 0)");
KML_REFUSAL(kml_no_lockdown, "the kernel is locked down");
KML_REFUSAL(kml_no_share, "its fs_struct is shared with another process");
KML_REFUSAL(kml_no_nnp, "no_new_privs is set");
KML_REFUSAL(kml_no_userns, "the exec is in a user namespace");
KML_REFUSAL(kml_no_chroot, "the exec is in a chroot");
KML_REFUSAL(kml_no_nosuid, "the file system is mounted nosuid");
KML_REFUSAL(kml_no_ptrace, "it is traced by a tracer without CAP_SYS_PTRACE");
KML_REFUSAL(kml_no_file_owner, "the file is not owned by root");
KML_REFUSAL(kml_no_file_mode, "the file is writable by group or others");
KML_REFUSAL(kml_no_dir_owner, "a directory on the way is not owned by root");
KML_REFUSAL(kml_no_dir_mode, "a directory on the way is writable by group or others");

/* Why KML cannot work on this kernel, or NULL: set at boot. */
static struct kml_refusal *kml_off __ro_after_init = &kml_no_init;

static void kml_set_gate_offset(gate_desc *g, unsigned long addr)
{
	g->offset_low = (u16)addr;
	g->offset_middle = (u16)(addr >> 16);
	g->offset_high = (u32)(addr >> 32);
}

/*
 * Build the KML IDT from the ordinary one: every present gate without an
 * IST stack of its own goes to its KML stub on the KML IST stack; #DB and
 * #MC go to their KML stubs on their own stacks; NMI, #DF and #VC keep
 * their gates.
 */
static int __init kml_build_idt(void)
{
	gate_desc *std, *idt;
	int v;

	store_idt(&kml_std_idt);
	std = (gate_desc *)kml_std_idt.address;
	idt = (gate_desc *)get_zeroed_page(GFP_KERNEL);
	if (!idt)
		return -ENOMEM;

	for (v = 0; v < IDT_ENTRIES; v++) {
		gate_desc *g = &idt[v];

		*g = std[v];
		if (!g->bits.p)
			continue;
		kml_entry_target[v] = gate_offset(g);
		if (v == X86_TRAP_DB) {
			kml_set_gate_offset(g, (unsigned long)kml_entry_debug);
		} else if (v == X86_TRAP_MC) {
			kml_set_gate_offset(g, (unsigned long)kml_entry_machine_check);
		} else if (!g->bits.ist) {
			kml_set_gate_offset(g, (unsigned long)kml_entry_stubs +
					    v * KML_STUB_SIZE);
			g->bits.ist = KML_IST_INDEX + 1;
		}
	}
	set_memory_ro((unsigned long)idt, 1);
	kml_idt_descr.size = IDT_ENTRIES * sizeof(gate_desc) - 1;
	kml_idt_descr.address = (unsigned long)idt;
	return 0;
}

/**
 * kml_check_cpu - can KML work on this CPU and kernel?
 *
 * Called by arch_cpu_finalize_init() once the boot CPU's features are
 * known and before the alternatives are applied: where KML can work, it
 * sets X86_FEATURE_KML, which patches the KML tests into the system call
 * entry and the return to user mode. Elsewhere they are never executed.
 */
void __init kml_check_cpu(void)
{
	if (cpu_feature_enabled(X86_FEATURE_XENPV))
		kml_off = &kml_no_xenpv;
	else if (cpu_feature_enabled(X86_FEATURE_FRED))
		kml_off = &kml_no_fred;
	else if (boot_cpu_has(X86_FEATURE_PTI))
		kml_off = &kml_no_pti;
	else if (cpu_feature_enabled(X86_FEATURE_IBT))
		kml_off = &kml_no_ibt;
	else
		setup_force_cpu_cap(X86_FEATURE_KML);
}

static int __init kml_init(void)
{
	unsigned int cpu;

	BUILD_BUG_ON(KML_PF_USER != X86_PF_USER);
	BUILD_BUG_ON(ARRAY_SIZE(((struct x86_hw_tss *)0)->ist) <= KML_IST_INDEX);
	BUILD_BUG_ON(KML_IST_NEST * KML_IST_LEVELS > KML_IST_STACK_SIZE - 1024);

	if (!boot_cpu_has(X86_FEATURE_KML))
		goto off;
	for_each_possible_cpu(cpu) {
		struct kml_ist_stack *s = per_cpu_ptr(&kml_ist_stack, cpu);

		per_cpu(cpu_tss_rw, cpu).x86_tss.ist[KML_IST_INDEX] =
			(unsigned long)(s + 1);
	}
	if (kml_build_idt()) {
		kml_off = &kml_no_init;
		goto off;
	}
	kml_off = NULL;
	if (kml_enabled)
		pr_info("executables under %s run in ring 0\n", kml_trusted_name);
	else
		pr_info("disabled on the command line (kml.enabled=0)\n");
	return 0;
off:
	pr_info("unavailable: %s\n", kml_off->why);
	return 0;
}
early_initcall(kml_init);

/* Why this kernel cannot run a trusted executable in ring 0, or NULL. */
static struct kml_refusal *kml_unsupported(int elf_class)
{
	if (kml_off)
		return kml_off;
	if (elf_class != ELFCLASS64)
		return &kml_no_32bit;
	return NULL;
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
			pr_info("trusted directory %s not found (%d): nothing runs in ring 0 until it exists\n",
				kml_trusted_name, err);
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
 * Make @mm a KML mm: its user half supervisor-only at the top level, now
 * and for every top-level entry made later (kml_top_table_flags()).
 */
static void kml_mm_enable(struct mm_struct *mm)
{
	unsigned int i;

	mmap_write_lock(mm);
	set_bit(MM_CONTEXT_KML, &mm->context.flags);
	for (i = 0; i < KERNEL_PGD_BOUNDARY; i++) {
		pgdval_t v = READ_ONCE(mm->pgd[i].pgd);

		if (v & _PAGE_PRESENT)
			WRITE_ONCE(mm->pgd[i].pgd, v & ~_PAGE_USER);
	}
	mmap_write_unlock(mm);
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
 * The rules for ring 0 besides the trusted directory, for a 64-bit ELF
 * executable under it: returns the rule that refuses it, or NULL.
 */
static struct kml_refusal *kml_check_exec(struct linux_binprm *bprm,
					  const struct path *dir)
{
	/* Unsigned code in ring 0 is what lockdown keeps out. */
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
 * kml_exec_prepare - decide whether an executable runs in ring 0
 * @bprm: the exec, before its point of no return
 * @elf_class: the ELF class of the executable
 *
 * An executable whose file resolves under the trusted directory runs in
 * ring 0 when the rules of Documentation/arch/x86/kml.rst allow it: its new
 * mm is made a KML mm here, the exec becomes a secure exec (AT_SECURE),
 * and kml_start_thread() makes the task a KML task. Any other executable
 * is left alone. A trusted executable that a rule refuses runs in user
 * mode, and a rate-limited log line names the rule.
 *
 * From the moment begin_new_exec() installs the new mm, only a holder of
 * CAP_SYS_PTRACE in the initial user namespace may ptrace the task or
 * open its memory (kml_ptrace_refused()), and begin_new_exec() treats
 * the exec as a setuid one: the mm gets fs.suid_dumpable as its dumpable
 * flag (not dumpable by default), and then the per-task perf events of
 * the old program go, all while the exec still holds cred_guard_mutex
 * and exec_update_lock. kml_start_thread() makes the mm non-dumpable in
 * any case.
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
	why = kml_unsupported(elf_class);
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
	kml_mm_enable(bprm->mm);
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

/*
 * The per-CPU state for a KML task (@kml) or any other: the IDT, and the
 * flag the entry code tests.
 */
static void kml_load_cpu_state(bool kml)
{
	if (kml) {
		load_idt(&kml_idt_descr);
		this_cpu_write(kml_on_cpu, 1);
	} else {
		this_cpu_write(kml_on_cpu, 0);
		load_current_idt();
	}
}

/* Make current a KML task (on a KML mm) or an ordinary one. */
static void kml_set_current(bool kml)
{
	unsigned long base = 0, flags;

	local_irq_save(flags);
	if (kml) {
		base = cpu_kernelmode_gs_base(smp_processor_id());
		if (!test_thread_flag(TIF_KML)) {
			set_thread_flag(TIF_KML);
			kml_load_cpu_state(true);
		}
	} else if (test_thread_flag(TIF_KML)) {
		clear_thread_flag(TIF_KML);
		kml_load_cpu_state(false);
	}
	current->thread.gsindex = 0;
	current->thread.gsbase = base;
	wrmsrl(MSR_KERNEL_GS_BASE, base);
	local_irq_restore(flags);
}

/**
 * kml_start_thread - set up the task that starts a new executable
 * @regs: its user registers, already set up by start_thread()
 *
 * The registers keep the user view; the exit code gives them the kernel
 * selectors for a KML task.
 */
void kml_start_thread(struct pt_regs *regs)
{
	bool kml = mm_is_kml(current->mm);

	/* Its memory and registers are ring-0 code: no dumps, no ptrace without CAP_SYS_PTRACE. */
	if (kml)
		set_dumpable(current->mm, SUID_DUMP_DISABLE);
	if (kml || test_thread_flag(TIF_KML))
		kml_set_current(kml);
}

/**
 * kml_nmi_enter - an NMI, #DB or #MC handler starts: move the KML IST down
 *
 * NMI, #DB and #MC run on IST stacks of their own, and may interrupt code
 * that runs on the KML IST stack: the KML stub, or the ordinary entry code
 * before it moves to the task stack. An exception their handlers take
 * (#PF on a user stack walk, #BP of a kprobe or text_poke(), #UD of a
 * WARN) goes to the KML IST stack too while the KML IDT is loaded. Move
 * the KML IST entry down while such a handler runs, as SEV-ES does for
 * #VC, so that the nested exception's frame lands below the interrupted
 * one. __nmi_enter() calls this (arch_nmi_enter()), with nothing before it
 * that can fault; handlers nest, each moving the entry further down.
 */
noinstr void kml_nmi_enter(void)
{
	if (cpu_feature_enabled(X86_FEATURE_KML))
		this_cpu_sub(cpu_tss_rw.x86_tss.ist[KML_IST_INDEX], KML_IST_NEST);
}

/**
 * kml_nmi_exit - an NMI, #DB or #MC handler ends: move the KML IST back
 *
 * Called by __nmi_exit() (arch_nmi_exit()), in the reverse order of
 * kml_nmi_enter().
 */
noinstr void kml_nmi_exit(void)
{
	if (cpu_feature_enabled(X86_FEATURE_KML))
		this_cpu_add(cpu_tss_rw.x86_tss.ist[KML_IST_INDEX], KML_IST_NEST);
}

/**
 * kml_copy_thread - a new task inherits KML from its parent, or not
 * @p: the new task
 * @kernel_thread: @p is a kernel thread or a user worker (io_uring), which
 *	never runs user code
 */
void kml_copy_thread(struct task_struct *p, bool kernel_thread)
{
	if (kernel_thread)
		clear_tsk_thread_flag(p, TIF_KML);
}

/**
 * __kml_switch_to - context switch from or to a KML task
 * @prev: the task switched from
 * @next: the task switched to
 *
 * Called by __switch_to() before the next task's segment bases are loaded.
 * A KML task gets this CPU's kernel GS base as its inactive GS base, and
 * the CPU the KML IDT while it runs.
 */
void notrace __kml_switch_to(struct task_struct *prev, struct task_struct *next)
{
	if (kml_task(next)) {
		next->thread.gsindex = 0;
		next->thread.gsbase = cpu_kernelmode_gs_base(smp_processor_id());
		if (!kml_task(prev))
			kml_load_cpu_state(true);
	} else {
		kml_load_cpu_state(false);
	}
}

/**
 * kml_sysinfo_entry - the AT_SYSINFO entry of a new executable
 *
 * Return: the direct system call entry for a KML process, else 0 (no
 * entry).
 */
unsigned long kml_sysinfo_entry(void)
{
	return mm_is_kml(current->mm) ? (unsigned long)kml_syscall_direct : 0;
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
};

static int __init kml_sysctl_init(void)
{
	register_sysctl_init("kernel/kml", kml_sysctls);
	return 0;
}
late_initcall(kml_sysctl_init);
