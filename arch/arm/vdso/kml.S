/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: __vdso_kml_syscall, the direct system call entry for
 * programs that find it by the vDSO's symbol rather than AT_SYSINFO.
 *
 * Called (BL or BLX, from ARM or Thumb code) with the register convention
 * of svc: the number in r7, the arguments in r0-r5, the result in r0. In
 * SYS mode (a Kernel Mode Linux program) it jumps to the kernel's direct
 * entry, kml_syscall_direct, whose address the kernel writes into the
 * word below at boot (kml_patch_vdso()), and the entry returns to the
 * caller. In USR mode, or where KML is unavailable (the word is 0), it
 * returns -ENOSYS. ip and the flags are clobbered, as by any function.
 */
#include <linux/errno.h>
#include <linux/linkage.h>
#include <asm/kml.h>

	.text
	.arm
	.align	2
ENTRY(__vdso_kml_syscall)
	mrs	ip, cpsr
	and	ip, ip, #MODE_MASK
	cmp	ip, #SYSTEM_MODE
	bne	1f
	ldr	ip, .Lkml_entry
	cmp	ip, #0
	bxne	ip				@ lr: back to the caller
1:	mvn	r0, #ENOSYS - 1		@ -ENOSYS
	bx	lr
.Lkml_entry:
	.word	0				@ kml_syscall_direct
ENDPROC(__vdso_kml_syscall)

	.if	.Lkml_entry - __vdso_kml_syscall != KML_VDSO_ENTRY_OFFSET
	.error	"KML_VDSO_ENTRY_OFFSET (asm/kml.h) does not match"
	.endif
