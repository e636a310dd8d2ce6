// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux, x86-64: the system calls of KML tasks.
 *
 * kml_entry_syscall (entry_64.S) takes the SYSCALL instruction of a KML
 * task and the calls through the direct entry. It saves the pt_regs of
 * entry_SYSCALL_64 at the top of the task stack, but for the registers C
 * code keeps (RBX, RBP, R12-R15), and calls kml_do_syscall().
 *
 * The common case is dispatched directly: the task has no work pending
 * (no signal, no rescheduling, no resume notification, no FPU state to
 * reload) and no syscall work applies to it (no ptrace, seccomp, audit,
 * syscall user dispatch or tracepoint), so syscall_enter_from_user_mode()
 * and syscall_exit_to_user_mode() would find nothing to do. Then only the
 * system call runs, with interrupts on. The entry code makes these tests
 * and the call itself when nothing is counted (KML_SYSCALL_DISPATCH);
 * kml_do_syscall() and kml_do_syscall_exit() here make the same ones, for
 * the cases it hands on. What they would still do is
 * bookkeeping for a privilege change that does not happen (context
 * tracking, which sends every call the full way while it is enabled) or
 * hardening against the caller (kernel stack offset randomisation, the
 * AMD divider clearing), which a trusted program does not get.
 *
 * Whatever the system call leaves behind (a signal, a reschedule, a tracer
 * that attached, FPU state to reload) is looked at again with interrupts
 * off. A call that slept (a server's epoll_wait(), read() or futex())
 * comes back with only its FPU registers to reload: the direct dispatch
 * reloads them itself, as the way out of the full path would, and
 * returns directly. In every other case of work, and in every case the
 * direct dispatch does not take, the entry code completes the frame and
 * calls kml_do_syscall_full(), which finishes the call, or runs it, the
 * way entry_SYSCALL_64 does.
 *
 * The system calls that read or rewrite the whole frame (fork and its
 * kind copy it to the child; exec, sigreturn and uretprobe rewrite it;
 * exit and exit_group show it to a tracer at PTRACE_EVENT_EXIT) always take
 * the full path. A frame a direct dispatch leaves incomplete is seen by no
 * one but a sampling perf event of the task itself, or one with ptrace
 * access to it, which reads stale values for those registers.
 *
 * Through the direct entry, the user RSP of the frame is the slot of the
 * return address its caller pushed, 8 bytes below the RSP a SYSCALL
 * instruction would leave. rt_sigreturn is told so. The calls that give
 * the new task the stack the caller has (vfork, clone with CLONE_VFORK:
 * the child's next call would overwrite the parent's return address) or
 * another one (clone with a stack, clone3: the child would return through
 * an address on it) are refused there with EINVAL, after their entry work
 * (ptrace, seccomp and audit see them): a program makes them with SYSCALL.
 *
 * Where the calls go, and why, is counted by stats.c while debugfs's
 * kml/syscall_stats_on asks for it; otherwise each place that counts is a
 * NOP (a static key).
 */

#include <linux/context_tracking.h>
#include <linux/cpufeature.h>
#include <linux/entry-common.h>
#include <linux/init.h>
#include <linux/percpu.h>
#include <linux/processor.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/thread_info.h>

#include <asm/fpu/api.h>
#include <asm/kml.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#include <asm/vdso.h>

#include "syscall.h"

/*
 * Is reloading the FPU registers all the way out would do? A context
 * switch leaves TIF_NEED_FPU_LOAD set; nothing else may be pending.
 */
static __always_inline bool kml_exit_fpu_only(void)
{
	struct thread_info *ti = current_thread_info();

	return (READ_ONCE(ti->flags) & KML_SLOW_TIF) == _TIF_NEED_FPU_LOAD &&
	       !READ_ONCE(ti->syscall_work) &&
	       !(cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER) &&
		 this_cpu_read(x86_ibpb_exit_to_user));
}

/*
 * System calls that need the whole register frame. Set at boot, read-only
 * after.
 */
DECLARE_BITMAP(kml_full_frame, NR_syscalls) __ro_after_init;

/*
 * The direct entry for the vDSO's __vdso_kml_syscall (vkml.S), which
 * jumps through %gs:offset: each CPU keeps the entry's address here.
 */
static DEFINE_PER_CPU_READ_MOSTLY(unsigned long, kml_vdso_entry);

static void __init kml_vdso_init(void)
{
	const struct vdso_image *image = &vdso_image_64;
	unsigned int cpu;
	long offset;

	if (!image->sym_kml_entry_slot)
		return;
	for_each_possible_cpu(cpu)
		per_cpu(kml_vdso_entry, cpu) = (unsigned long)kml_syscall_direct;
	/* The slot's offset from the kernel GS base (the same on every CPU). */
	cpu = get_cpu();
	offset = (unsigned long)this_cpu_ptr(&kml_vdso_entry) -
		 cpu_kernelmode_gs_base(cpu);
	put_cpu();
	/* The image is __ro_after_init: written before anything maps it. */
	memcpy(image->data + image->sym_kml_entry_slot, &offset, sizeof(offset));
}

static int __init kml_syscall_init(void)
{
	static const unsigned int full_frame[] __initconst = {
		__NR_rt_sigreturn, __NR_execve, __NR_execveat, __NR_fork,
		__NR_vfork, __NR_clone, __NR_clone3, __NR_exit, __NR_exit_group,
#ifdef __NR_uretprobe
		__NR_uretprobe,
#endif
	};
	unsigned int i;

	BUILD_BUG_ON(KML_DIRECT_FLAGS != (X86_EFLAGS_IF | X86_EFLAGS_FIXED));
	/* The entry code tests the low 32 bits of the thread flags. */
	BUILD_BUG_ON((u64)KML_SLOW_TIF > U32_MAX);
	for (i = 0; i < ARRAY_SIZE(full_frame); i++)
		__set_bit(full_frame[i], kml_full_frame);
	kml_vdso_init();
	return 0;
}
early_initcall(kml_syscall_init);

/*
 * The way out of a direct dispatch, with interrupts off: return directly if
 * nothing is to be done, or if reloading the FPU registers is all.
 */
static __always_inline int kml_syscall_exit(struct pt_regs *regs)
{
	/*
	 * The check that X86_DEBUG_FPU (set in Debian's configuration) adds
	 * to every exit to user mode.
	 */
	instrumentation_begin();
	fpregs_assert_state_consistent();
	instrumentation_end();

	/*
	 * The counters take the number from the frame: keeping it in a
	 * register across the call would cost the direct dispatch a push
	 * and a pop while they are off.
	 */
	if (unlikely(!kml_no_exit_work())) {
		if (!kml_exit_fpu_only()) {
			if (kml_stats_enabled())
				kml_stat_exit_work((unsigned int)regs->orig_ax);
			return KML_SYSCALL_EXIT_WORK;
		}
		/*
		 * What arch_exit_work() does for it, with interrupts off
		 * until the return: no new work can come in between.
		 */
		instrumentation_begin();
		switch_fpu_return();
		instrumentation_end();
		if (kml_stats_enabled())
			kml_stat_fpu_reload((unsigned int)regs->orig_ax);
		return KML_SYSCALL_DONE;
	}
	if (kml_stats_enabled())
		kml_stat_direct((unsigned int)regs->orig_ax);
	return KML_SYSCALL_DONE;
}

/**
 * kml_do_syscall - dispatch a system call of a KML task directly
 * @regs: the task's pt_regs, at the top of its stack, without RBX, RBP and
 *	  R12-R15 (still in the registers)
 * @nr: the system call number
 *
 * Called by kml_entry_syscall with interrupts off; returns with interrupts
 * off.
 *
 * Return: KML_SYSCALL_DONE when the call was dispatched directly (@regs
 * are as the entry saved them, but for the result in ax);
 * KML_SYSCALL_FULL when the call is for the full path;
 * KML_SYSCALL_EXIT_WORK when it ran, and left work for the way out.
 */
__visible noinstr int kml_do_syscall(struct pt_regs *regs, int nr)
{
	unsigned int unr = nr;

	if (!KML_DIRECT_CONFIG || unlikely(unr >= NR_syscalls) ||
	    unlikely(arch_test_bit(unr, kml_full_frame)) ||
	    unlikely(!kml_no_entry_work())) {
		if (kml_stats_enabled())
			kml_stat_full(unr);
		return KML_SYSCALL_FULL;
	}

	instrumentation_begin();
	/*
	 * Interrupts were on in the task and are on again: IRQ-flag tracing
	 * is not told about either change (lockdep takes the full path).
	 *
	 * The call goes through the table, not x64_sys_call(), whose switch
	 * keeps an untrusted caller's branch history away from an indirect
	 * branch, and without array_index_nospec(): this caller is trusted.
	 */
	raw_local_irq_enable();
	regs->ax = sys_call_table[unr](regs);
	raw_local_irq_disable();
	instrumentation_end();

	return kml_syscall_exit(regs);
}

/**
 * kml_do_syscall_exit - the way out of a direct dispatch that found work
 * @regs: the task's pt_regs, as for kml_do_syscall()
 *
 * Called by kml_entry_syscall, with interrupts off, after a call it
 * dispatched itself and found something to do on the way out (or, with
 * X86_DEBUG_FPU, an FPU state to check again).
 *
 * Return: as kml_do_syscall(), but never KML_SYSCALL_FULL.
 */
__visible noinstr int kml_do_syscall_exit(struct pt_regs *regs)
{
	return kml_syscall_exit(regs);
}

/* Is this a call through the direct entry that it refuses? */
static __always_inline bool kml_direct_refused(struct pt_regs *regs, int nr)
{
	switch (nr) {
	case __NR_vfork:
	case __NR_clone3:
		return true;
	case __NR_clone:	/* flags in RDI, the new stack in RSI */
		return (regs->di & CLONE_VFORK) || regs->si;
	}
	return false;
}

/* The full path for a call through the direct entry that it refuses. */
static __always_inline void kml_direct_refuse(struct pt_regs *regs, int nr)
{
	regs->ax = -EINVAL;
	/* Entry work may change the number or the result, nothing more. */
	(void)syscall_enter_from_user_mode(regs, nr);
	syscall_exit_to_user_mode(regs);
}

/**
 * kml_do_syscall_full - the full path for a system call of a KML task
 * @regs: the task's pt_regs, complete
 * @how: KML_SYSCALL_FULL or KML_SYSCALL_EXIT_WORK, from kml_do_syscall()
 *	 or from the entry code
 *
 * Runs the system call in @regs->orig_ax as entry_SYSCALL_64 does, or
 * only the work on the way out of one kml_do_syscall() ran. Called and
 * returns with interrupts off.
 */
__visible noinstr void kml_do_syscall_full(struct pt_regs *regs, int how)
{
	int nr = (int)regs->orig_ax;

	if (how == KML_SYSCALL_FULL) {
		/* The entry code sent it here without kml_do_syscall(). */
		if (kml_stats_enabled() &&
		    (regs->flags & (X86_EFLAGS_TF | X86_EFLAGS_RF)))
			kml_stat_tf_rf((unsigned int)nr);
		if (regs->ip == (unsigned long)kml_direct_ret) {
			if (unlikely(kml_direct_refused(regs, nr))) {
				kml_direct_refuse(regs, nr);
				return;
			}
			/* Its frame is above the return address. */
			if (nr == __NR_rt_sigreturn)
				regs->sp += sizeof(long);
		}
		do_syscall_64(regs, nr);
		return;
	}
	instrumentation_begin();
	raw_local_irq_enable();
	instrumentation_end();
	syscall_exit_to_user_mode(regs);
}
