/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux, 32-bit ARM: the entry and exit code, as macros that
 * arch/arm/kernel/entry-header.S includes and entry-armv.S and
 * entry-common.S expand. asm/kml.h explains the user view of the saved
 * PSR that they give a KML task.
 */
#include <asm/kml.h>

/*
 * kml_sys_vector - slot 0xf (SYS mode) of the handler table of exception
 * @name (irq, dabt, pabt or und), in vector_stub's table in entry-armv.S
 *
 * With KML the slot points to a short handler that the macro puts into
 * .entry.text. vector_stub enters it in SVC mode with interrupts off, r0
 * pointing to this CPU's save area of the exception ({r0, lr, spsr} of the
 * interrupted program), SP at the top of the task's kernel stack, and
 * every register but r0 and lr still the program's. For a KML task it
 * gives the saved SPSR the user view and goes on as for USR mode
 * (__<name>_usr); for any other task (which can never run in SYS mode) it
 * goes to __<name>_invalid, which panics as before.
 *
 * r1 is borrowed: it goes to the kernel stack where usr_entry saves it
 * (S_R1 of the pt_regs below the stack top), and back before going on.
 */
	.macro	kml_sys_vector, name:req
#ifdef KML_SYS_ENTRY
	.long	kml_sys_\name
	.pushsection .entry.text, "ax", %progbits
kml_sys_\name:
	str	r1, [sp, #S_R1 - PT_REGS_SIZE]
#if defined(CONFIG_CURRENT_POINTER_IN_TPIDRURO) || defined(CONFIG_SMP)
	ldr_this_cpu lr, __entry_task, lr, r1
#else
	ldr_va	lr, __current
#endif
	ldr	lr, [lr, #TI_FLAGS]
	tst	lr, #_TIF_KML
	ldr	r1, [sp, #S_R1 - PT_REGS_SIZE]
	beq	__\name\()_invalid
	ldr	lr, [r0, #8]			@ the saved SPSR
	bic	lr, lr, #KML_PSR_MODE_BITS
	bic	lr, lr, #KML_PSR_MASK_BITS
	str	lr, [r0, #8]
	b	__\name\()_usr
	.popsection
#else
	.long	__\name\()_invalid
#endif
	.endm

/*
 * kml_svc_user_view - give the PSR that vector_swi saves the user view
 * @psr: the caller's PSR (SPSR_svc), for pt_regs
 *
 * A system call from SYS mode saves USR mode, as one from USR mode does
 * (for which this is a no-op), with interrupts unmasked: the return to
 * user mode refuses a PSR with mode bits or the I bit set. The direct
 * entry (entry.S) passes SVC mode, which becomes USR mode too. One
 * instruction on every system call.
 */
	.macro	kml_svc_user_view, psr:req
#ifdef KML_SYS_ENTRY
	bic	\psr, \psr, #KML_PSR_MODE_BITS | PSR_I_BIT
#endif
	.endm

/*
 * kml_return_mode - the mode of a return to user mode
 * @psr: the PSR about to be returned to, checked to be a USR-mode one
 * @tmp: a scratch register
 * @ti: the returning task's thread_info (tsk of entry-common.S)
 *
 * Called by restore_user_regs: a KML task returns to SYS mode, any other
 * to USR mode. Three instructions on every return to user mode.
 */
	.macro	kml_return_mode, psr:req, tmp:req, ti:req
#ifdef KML_SYS_ENTRY
	ldr	\tmp, [\ti, #TI_FLAGS]
	tst	\tmp, #_TIF_KML
	orrne	\psr, \psr, #KML_PSR_MODE_BITS
#endif
	.endm
