/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux, 32-bit ARM: the direct system call entry.
 *
 * A program in SYS mode can enter the kernel without an exception: it
 * calls kml_syscall_direct (BLX from ARM or Thumb code; AT_SYSINFO gives
 * the address) with the register convention of svc: the number in r7,
 * the arguments in r0-r6, the result in r0; every other register is kept
 * except lr, which the call itself writes.
 *
 * The entry does what the svc exception would: SVC mode with interrupts
 * off, SPSR_svc the caller's PSR, LR_svc the address to return to, and
 * on into vector_swi, which saves the program's registers on the kernel
 * stack (SP_svc), gives the saved PSR the user view and dispatches the
 * call. The return to user mode then lands on kml_direct_ret in SYS mode,
 * which returns to the caller. Its flags (NZCV, GE) are kept, as by svc.
 *
 * Restart: a system call interrupted by a signal and restarted has its
 * pc moved back by one ARM instruction, to the branch just before
 * kml_direct_ret, which enters again with the restored r0 and r7 (or
 * restart_syscall's number).
 *
 * A caller in USR mode cannot execute this kernel text (it takes a
 * prefetch abort and SIGSEGV); only a KML process gets AT_SYSINFO.
 */
#include <linux/linkage.h>

#include <asm/assembler.h>
#include <asm/kml.h>

#ifdef KML_SYS_ENTRY

	.section .entry.text, "ax", %progbits
	.arm
	.align	5
ENTRY(kml_syscall_direct)
	msr	cpsr_c, #SVC_MODE | PSR_I_BIT	@ SYS -> SVC, IRQs off
	mrs	lr, cpsr			@ the caller's flags, SVC mode
	msr	spsr_cxsf, lr			@ vector_swi makes it USR
	adr	lr, kml_direct_ret		@ LR_svc: where to return
	b	vector_swi
.Lkml_restart:					@ kml_direct_ret - 4
	b	kml_syscall_direct
SYM_INNER_LABEL(kml_direct_ret, SYM_L_GLOBAL)
	bx	lr				@ lr_usr: the caller's return
ENDPROC(kml_syscall_direct)

	/* do_signal() moves an ARM-state pc back by 4 to restart. */
	.if	kml_direct_ret - .Lkml_restart != 4
	.error	"the restart branch must be the instruction before kml_direct_ret"
	.endif

#endif /* KML_SYS_ENTRY */
