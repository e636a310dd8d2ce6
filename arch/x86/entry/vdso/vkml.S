/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: __vdso_kml_syscall, the direct system call entry
 * under a vDSO symbol (the same entry as AT_SYSINFO, see
 * Documentation/arch/x86/kml.rst).
 *
 * A KML process runs in ring 0 with GS holding the kernel's per-CPU base,
 * where every CPU keeps the address of the entry; the kernel writes the
 * offset of that per-CPU slot into kml_entry_slot at boot. Publishing the
 * offset, a constant of the kernel image, gives away nothing about where
 * the kernel is. A caller in ring 3 (any ordinary process), or any caller
 * when the kernel filled in no slot, gets -ENOSYS.
 */
#include <linux/linkage.h>
#include <uapi/asm-generic/errno-base.h>
#include <uapi/asm-generic/errno.h>

	.text
	.balign 8
kml_entry_slot:
	.quad	0

SYM_FUNC_START(__vdso_kml_syscall)
	movl	%cs, %r11d
	testb	$3, %r11b
	jnz	1f
	movq	kml_entry_slot(%rip), %r11
	testq	%r11, %r11
	jz	1f
	jmp	*%gs:(%r11)
1:
	movq	$-ENOSYS, %rax
	RET
SYM_FUNC_END(__vdso_kml_syscall)

	.weak	kml_syscall
	.set	kml_syscall, __vdso_kml_syscall
