// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux, IA-32: the system calls a KML task makes through its
 * direct entry (kml_syscall_direct in entry_32.S, AT_SYSINFO, which glibc
 * calls for every system call).
 *
 * The entry saves the complete pt_regs of an int $0x80 on the task stack
 * and calls kml_do_syscall_32(). The common case is dispatched directly:
 * the task has no work pending (no signal, no rescheduling, no resume
 * notification, no FPU state to reload) and no syscall work applies to it
 * (no ptrace, seccomp, audit, syscall user dispatch or tracepoint), so
 * syscall_enter_from_user_mode() and syscall_exit_to_user_mode() would
 * find nothing to do. Then only the system call runs, with interrupts on,
 * and the task returns through kml_return_to_user as from the full path.
 * What the full path would still do is bookkeeping for a privilege change
 * that does not happen (context tracking, which sends every call the full
 * way while it is enabled) or hardening against the caller (kernel stack
 * offset randomisation, the index masking of the system call number),
 * which a trusted program does not get, as on x86-64 (syscall.c).
 *
 * Work that the system call leaves behind is done by
 * kml_do_syscall_32_exit(), the way out of do_int80_syscall_32(). The
 * calls that give the new task a copy of the frame or rewrite it (fork and
 * its kind, exec, sigreturn) and exit take the full path: the entry
 * goes on into entry_INT80_32 with the registers it was called with. So
 * do the calls made while a tracer single-steps the task.
 */

#include <linux/entry-common.h>
#include <linux/init.h>
#include <linux/instrumentation.h>
#include <linux/irqflags.h>
#include <linux/thread_info.h>

#include <asm/fpu/api.h>
#include <asm/kml.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

#include "kml_32.h"
#include "syscall.h"

/* System calls that need the full path. Set at boot, read-only after. */
static DECLARE_BITMAP(kml_full_frame_32, IA32_NR_syscalls) __ro_after_init;

static int __init kml_syscall_32_init(void)
{
	static const unsigned int full_frame[] __initconst = {
		__NR_sigreturn, __NR_rt_sigreturn, __NR_execve, __NR_execveat,
		__NR_fork, __NR_vfork, __NR_clone, __NR_clone3, __NR_exit,
		__NR_exit_group,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(full_frame); i++)
		__set_bit(full_frame[i], kml_full_frame_32);
	return 0;
}
early_initcall(kml_syscall_32_init);

/**
 * kml_do_syscall_32 - dispatch a system call of a KML task directly
 * @regs: the task's pt_regs at the top of its stack, complete
 *
 * Called by kml_syscall_direct with interrupts off; returns with
 * interrupts off.
 *
 * Return: KML_SYSCALL_DONE when the call ran and nothing is to be done on
 * the way out; KML_SYSCALL_FULL when it did not run, for the full path
 * (@regs untouched); KML_SYSCALL_EXIT_WORK when it ran and left work for
 * kml_do_syscall_32_exit().
 */
__visible noinstr int kml_do_syscall_32(struct pt_regs *regs)
{
	unsigned int nr = regs->orig_ax;

	if (!KML_DIRECT_CONFIG || unlikely(nr >= IA32_NR_syscalls) ||
	    unlikely(arch_test_bit(nr, kml_full_frame_32)) ||
	    unlikely(!kml_no_entry_work()))
		return KML_SYSCALL_FULL;

	instrumentation_begin();
	/*
	 * Interrupts were on in the task and are on again: IRQ-flag tracing
	 * is not told about either change (lockdep takes the full path).
	 * The call goes through the table that kernel/trace/ keeps, not
	 * ia32_sys_call(), whose switch is there for untrusted callers.
	 */
	raw_local_irq_enable();
	regs->ax = sys_call_table[nr](regs);
	raw_local_irq_disable();
	/* What X86_DEBUG_FPU checks on every exit to user mode. */
	fpregs_assert_state_consistent();
	instrumentation_end();

	if (unlikely(!kml_no_exit_work()))
		return KML_SYSCALL_EXIT_WORK;
	return KML_SYSCALL_DONE;
}

/**
 * kml_do_syscall_32_exit - the way out of a direct dispatch that found work
 * @regs: the task's pt_regs, with the result in @regs->ax
 *
 * Called by kml_syscall_direct with interrupts off, after
 * kml_do_syscall_32() returned KML_SYSCALL_EXIT_WORK; returns with
 * interrupts off, as do_int80_syscall_32() does.
 */
__visible noinstr void kml_do_syscall_32_exit(struct pt_regs *regs)
{
	instrumentation_begin();
	raw_local_irq_enable();
	instrumentation_end();
	syscall_exit_to_user_mode(regs);
}
