// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux, x86-64: where the system calls of KML tasks go.
 *
 * Counters of what kml_do_syscall() (syscall.c) decides for each system
 * call of a KML task: dispatched directly (fpu_reload: of those, the ones
 * that slept and reloaded the FPU registers on their way out); dispatched
 * directly, but with work left for the way out; or sent to the full path,
 * and why (which thread flag or syscall-work bit, a system call that
 * needs the whole frame, TF or RF in the caller's flags, context tracking,
 * a debugging configuration). Per CPU and per system call number, in
 * debugfs:
 *
 *   kml/syscall_stats_on  write 1: zero the counters and start counting;
 *                         write 0: stop (the counts stay readable)
 *   kml/syscall_stats     the counts, summed over the CPUs
 *
 * Both files are root's (0600 and 0400). The counters sit behind a static
 * key: while it is off, each place that counts is a NOP in the code of the
 * direct dispatch, and nothing else runs.
 */

#include <linux/context_tracking.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include <asm/nospec-branch.h>

#include "syscall.h"

DEFINE_STATIC_KEY_FALSE(kml_stats_on);

/* Why a call took the full path, besides the bits of the flags. */
enum kml_stat_reason {
	KML_STAT_CONFIG,		/* a debugging option checks every call */
	KML_STAT_NR_RANGE,		/* a number beyond the table */
	KML_STAT_FULL_FRAME,		/* fork, exec, sigreturn, exit... */
	KML_STAT_TF_RF,			/* TF or RF set: POPF cannot return */
	KML_STAT_CONTEXT_TRACKING,	/* context tracking is on */
	KML_STAT_IBPB_EXIT,		/* an IBPB on the way out */
	KML_STAT_REASONS
};

static const char * const kml_stat_reason_names[KML_STAT_REASONS] = {
	[KML_STAT_CONFIG]		= "config",
	[KML_STAT_NR_RANGE]		= "nr_range",
	[KML_STAT_FULL_FRAME]		= "full_frame",
	[KML_STAT_TF_RF]		= "tf_rf",
	[KML_STAT_CONTEXT_TRACKING]	= "context_tracking",
	[KML_STAT_IBPB_EXIT]		= "ibpb_exit",
};

#define KML_FLAG_BITS	32

struct kml_stats {
	unsigned long direct[NR_syscalls];	/* no work before or after */
	unsigned long exit_work[NR_syscalls];	/* ran, work on the way out */
	unsigned long full[NR_syscalls];	/* the full path from the start */
	unsigned long fpu_reload;		/* direct, with the FPU reloaded */
	unsigned long reason[KML_STAT_REASONS];
	unsigned long entry_tif[KML_FLAG_BITS];	/* thread flag on entry */
	unsigned long entry_work[KML_FLAG_BITS]; /* syscall-work bit on entry */
	unsigned long exit_tif[KML_FLAG_BITS];	/* thread flag on exit */
	unsigned long exit_work_bit[KML_FLAG_BITS]; /* syscall-work bit on exit */
};

static DEFINE_PER_CPU(struct kml_stats, kml_stats);

/* Count each bit of @bits in @ctr (a member of kml_stats). */
#define kml_stat_bits(ctr, bits)					\
	do {								\
		unsigned long __b = (bits);				\
		unsigned int __i;					\
									\
		for (__i = 0; __i < KML_FLAG_BITS; __i++)		\
			if (__b & BIT(__i))				\
				this_cpu_inc(kml_stats.ctr[__i]);	\
	} while (0)

/**
 * kml_stat_direct - count a system call that took the direct dispatch
 * @nr: its number, below NR_syscalls
 *
 * Called from the direct dispatch only while kml_stats_on is set.
 */
noinstr void kml_stat_direct(unsigned int nr)
{
	this_cpu_inc(kml_stats.direct[nr]);
}

/**
 * kml_stat_fpu_reload - count a direct dispatch that reloaded the FPU state
 * @nr: its number, below NR_syscalls
 *
 * The call slept, and the direct dispatch reloaded the task's FPU
 * registers on its way out: a direct dispatch, counted as one, and in
 * fpu_reload.
 */
noinstr void kml_stat_fpu_reload(unsigned int nr)
{
	this_cpu_inc(kml_stats.direct[nr]);
	this_cpu_inc(kml_stats.fpu_reload);
}

/**
 * kml_stat_tf_rf - count a system call sent to the full path by TF or RF
 * @nr: its number (counted per call only when below NR_syscalls)
 *
 * The caller found the trap flag or the resume flag set in the flags of
 * the calling KML task and sent the call to the full path.
 */
noinstr void kml_stat_tf_rf(unsigned int nr)
{
	this_cpu_inc(kml_stats.reason[KML_STAT_TF_RF]);
	if (nr < NR_syscalls)
		this_cpu_inc(kml_stats.full[nr]);
}

/**
 * kml_stat_full - count a system call sent to the full path, and why
 * @nr: its number, as the caller found it
 *
 * kml_do_syscall() sends @nr to the full path: count the call and each
 * reason that applies (configuration, number out of range, a call that
 * needs the whole frame, context tracking, thread flags, syscall work).
 */
noinstr void kml_stat_full(unsigned int nr)
{
	struct thread_info *ti = current_thread_info();

	if (!KML_DIRECT_CONFIG)
		this_cpu_inc(kml_stats.reason[KML_STAT_CONFIG]);
	if (nr >= NR_syscalls) {
		this_cpu_inc(kml_stats.reason[KML_STAT_NR_RANGE]);
		return;
	}
	this_cpu_inc(kml_stats.full[nr]);
	if (arch_test_bit(nr, kml_full_frame))
		this_cpu_inc(kml_stats.reason[KML_STAT_FULL_FRAME]);
	if (context_tracking_enabled())
		this_cpu_inc(kml_stats.reason[KML_STAT_CONTEXT_TRACKING]);
	kml_stat_bits(entry_tif, READ_ONCE(ti->flags) & KML_SLOW_TIF);
	kml_stat_bits(entry_work, READ_ONCE(ti->syscall_work));
}

/**
 * kml_stat_exit_work - count a direct call that found work on the way out
 * @nr: its number, below NR_syscalls
 *
 * kml_do_syscall() ran @nr and found work for the way out: count the call
 * and the thread flags, syscall-work bits and IBPB that asked for it.
 */
noinstr void kml_stat_exit_work(unsigned int nr)
{
	struct thread_info *ti = current_thread_info();

	this_cpu_inc(kml_stats.exit_work[nr]);
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER) &&
	    this_cpu_read(x86_ibpb_exit_to_user))
		this_cpu_inc(kml_stats.reason[KML_STAT_IBPB_EXIT]);
	kml_stat_bits(exit_tif, READ_ONCE(ti->flags) & KML_SLOW_TIF);
	kml_stat_bits(exit_work_bit, READ_ONCE(ti->syscall_work));
}

/* Names of the bits counted, for the reader; others print as bitN. */
static const char * const kml_tif_names[KML_FLAG_BITS] = {
	[TIF_NOTIFY_RESUME]	= "notify_resume",
	[TIF_SIGPENDING]	= "sigpending",
	[TIF_NEED_RESCHED]	= "need_resched",
	[TIF_SINGLESTEP]	= "singlestep",
	[TIF_USER_RETURN_NOTIFY] = "user_return_notify",
	[TIF_UPROBE]		= "uprobe",
	[TIF_PATCH_PENDING]	= "patch_pending",
	[TIF_NEED_FPU_LOAD]	= "need_fpu_load",
	[TIF_NOTIFY_SIGNAL]	= "notify_signal",
	[TIF_IO_BITMAP]		= "io_bitmap",
};

static const char * const kml_work_names[KML_FLAG_BITS] = {
	[SYSCALL_WORK_BIT_SECCOMP]		= "seccomp",
	[SYSCALL_WORK_BIT_SYSCALL_TRACEPOINT]	= "tracepoint",
	[SYSCALL_WORK_BIT_SYSCALL_TRACE]	= "ptrace",
	[SYSCALL_WORK_BIT_SYSCALL_EMU]		= "sysemu",
	[SYSCALL_WORK_BIT_SYSCALL_AUDIT]	= "audit",
	[SYSCALL_WORK_BIT_SYSCALL_USER_DISPATCH] = "user_dispatch",
	[SYSCALL_WORK_BIT_SYSCALL_EXIT_TRAP]	= "exit_trap",
};

/* The sum over the CPUs of the counter at @offset in struct kml_stats. */
static unsigned long kml_stat_sum(size_t offset)
{
	unsigned long sum = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		sum += *(unsigned long *)((char *)per_cpu_ptr(&kml_stats, cpu) +
					  offset);
	return sum;
}

#define KML_STAT_SUM(member) kml_stat_sum(offsetof(struct kml_stats, member))

static void kml_show_bits(struct seq_file *m, const char *what,
			  const char * const *names, size_t offset)
{
	unsigned long n;
	unsigned int i;

	for (i = 0; i < KML_FLAG_BITS; i++) {
		n = kml_stat_sum(offset + i * sizeof(long));
		if (!n)
			continue;
		if (names[i])
			seq_printf(m, "%s %s %lu\n", what, names[i], n);
		else
			seq_printf(m, "%s bit%u %lu\n", what, i, n);
	}
}

static int kml_stats_show(struct seq_file *m, void *v)
{
	unsigned long d, e, f, td = 0, te = 0, tf = 0;
	unsigned int i;

	for (i = 0; i < NR_syscalls; i++) {
		td += KML_STAT_SUM(direct[i]);
		te += KML_STAT_SUM(exit_work[i]);
		tf += KML_STAT_SUM(full[i]);
	}
	seq_printf(m, "counting %d\n", static_key_enabled(&kml_stats_on));
	seq_printf(m, "direct %lu\nexit_work %lu\nfull %lu\n", td, te, tf);
	seq_printf(m, "fpu_reload %lu\n", KML_STAT_SUM(fpu_reload));
	for (i = 0; i < KML_STAT_REASONS; i++)
		seq_printf(m, "reason %s %lu\n", kml_stat_reason_names[i],
			   KML_STAT_SUM(reason[i]));
	kml_show_bits(m, "entry_flag", kml_tif_names,
		      offsetof(struct kml_stats, entry_tif));
	kml_show_bits(m, "entry_work", kml_work_names,
		      offsetof(struct kml_stats, entry_work));
	kml_show_bits(m, "exit_flag", kml_tif_names,
		      offsetof(struct kml_stats, exit_tif));
	kml_show_bits(m, "exit_work", kml_work_names,
		      offsetof(struct kml_stats, exit_work_bit));
	for (i = 0; i < NR_syscalls; i++) {
		d = KML_STAT_SUM(direct[i]);
		e = KML_STAT_SUM(exit_work[i]);
		f = KML_STAT_SUM(full[i]);
		if (d || e || f)
			seq_printf(m, "syscall %u %lu %lu %lu\n", i, d, e, f);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kml_stats);

static DEFINE_MUTEX(kml_stats_lock);

static ssize_t kml_stats_on_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	unsigned int cpu;
	bool on;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &on);
	if (ret)
		return ret;
	mutex_lock(&kml_stats_lock);
	if (on && !static_key_enabled(&kml_stats_on)) {
		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(&kml_stats, cpu), 0,
			       sizeof(struct kml_stats));
		static_branch_enable(&kml_stats_on);
	} else if (!on) {
		static_branch_disable(&kml_stats_on);
	}
	mutex_unlock(&kml_stats_lock);
	return count;
}

static ssize_t kml_stats_on_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[2] = { static_key_enabled(&kml_stats_on) ? '1' : '0', '\n' };

	return simple_read_from_buffer(ubuf, count, ppos, buf, sizeof(buf));
}

static const struct file_operations kml_stats_on_fops = {
	.owner	= THIS_MODULE,
	.read	= kml_stats_on_read,
	.write	= kml_stats_on_write,
	.llseek	= default_llseek,
};

static int __init kml_stats_init(void)
{
	struct dentry *dir;

	if (!boot_cpu_has(X86_FEATURE_KML))
		return 0;
	dir = debugfs_create_dir("kml", NULL);
	debugfs_create_file("syscall_stats_on", 0600, dir, NULL,
			    &kml_stats_on_fops);
	debugfs_create_file("syscall_stats", 0400, dir, NULL,
			    &kml_stats_fops);
	return 0;
}
late_initcall(kml_stats_init);
