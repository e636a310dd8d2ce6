/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux (KML), 32-bit ARM: what the rest of the kernel sees
 * of it.
 *
 * A KML task runs its user code in SYS mode: privileged, but with the
 * stack pointer and link register of USR mode, so that the program keeps
 * its own stack and no exception enters the mode it runs in. Its pt_regs
 * always show the user view: the entry code clears the mode bits that
 * tell SYS from USR (and the interrupt masks, which a USR program cannot
 * set) in the saved PSR, and the return to user mode sets the mode bits
 * again for a task with TIF_KML, and for no other. A program that masks
 * interrupts in SYS mode finds them unmasked after its next exception or
 * system call. So user_mode(), valid_user_regs(),
 * signal frames, sigreturn, ptrace and the undefined-instruction hooks
 * all see a USR-mode task, and nothing a program or a tracer writes into
 * the saved PSR can choose a mode: valid_user_regs() forces USR, and the
 * return path makes that SYS for a KML task only.
 *
 * The page tables of a KML mm leave out PXN (the classic format's
 * PXNTable bit of the first-level table entries, LPAE's PXN bit of the
 * page entries), so that SYS mode can execute the program's pages; every
 * other mm keeps it.
 */
#ifndef _ASM_ARM_KML_H
#define _ASM_ARM_KML_H

#include <asm/ptrace.h>

/* The mode trusted executables run in, for the log (kernel/kml.c). */
#define KML_MODE_NAME	"SYS mode"

/*
 * The entry code takes exceptions from SYS mode only where it can return
 * there: in ARM state (a Thumb-2 kernel has another return path, and its
 * store_user_sp_lr enters SYS mode itself) and without OABI compatibility
 * (arch/arm/kml/kml.c says why). Elsewhere an exception from SYS mode
 * stays a "bad mode", and trusted executables run in USR mode.
 */
#if defined(CONFIG_KERNEL_MODE_LINUX) && !defined(CONFIG_THUMB2_KERNEL) && \
	!defined(CONFIG_OABI_COMPAT) && !defined(CONFIG_CPU_V7M)
#define KML_SYS_ENTRY	1
#endif

/* The PSR bits of SYS mode that no USR-mode program can have. */
#define KML_PSR_MODE_BITS	(SYSTEM_MODE & ~USR_MODE)	/* 0x0f */
#define KML_PSR_MASK_BITS	(PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

/*
 * __vdso_kml_syscall (arch/arm/vdso/kml.S): the offset from the symbol
 * of the word that kml_patch_vdso() fills with the direct entry's address.
 */
#define KML_VDSO_ENTRY_OFFSET	36

#ifndef __ASSEMBLY__

#include <linux/mm_types.h>
#include <linux/thread_info.h>
#include <asm/pgtable-hwdef.h>

struct elf32_sym;

#ifdef CONFIG_KERNEL_MODE_LINUX

void kml_patch_vdso(void *image, struct elf32_sym *sym);

/* The direct system call entry (arch/arm/kml/entry.S) and its return. */
extern const char kml_syscall_direct[];
extern const char kml_direct_ret[];

/* Does @mm belong to a KML process (no PXN in its page tables)? */
static inline bool mm_is_kml(struct mm_struct *mm)
{
	return mm && READ_ONCE(mm->context.kml);
}

/*
 * Does task @t run its user code in SYS mode? A macro: task_thread_info()
 * needs linux/sched.h, which the page-table headers that include this
 * one cannot include.
 */
#define kml_task(t)	test_ti_thread_flag(task_thread_info(t), TIF_KML)

#else /* !CONFIG_KERNEL_MODE_LINUX */

static inline bool mm_is_kml(struct mm_struct *mm)
{
	return false;
}

#define kml_task(t)	((void)(t), false)

static inline void kml_patch_vdso(void *image, struct elf32_sym *sym)
{
}

#endif /* CONFIG_KERNEL_MODE_LINUX */

/*
 * The first-level table entry flags of a new page table of @mm (classic
 * page tables, pmd_populate()): a KML mm's tables leave out PXNTable. LPAE
 * never sets PXN at the table level.
 */
static inline pmdval_t kml_user_pmd_table(struct mm_struct *mm, pmdval_t prot)
{
#ifndef CONFIG_ARM_LPAE
	if (mm_is_kml(mm))
		prot &= ~PMD_PXNTABLE;
#endif
	return prot;
}

/*
 * A user page entry of @mm (set_ptes()): LPAE marks every user page PXN
 * (protection_map), except in a KML mm. The classic small-page entry has
 * no PXN bit.
 */
static inline pte_t kml_user_pte(struct mm_struct *mm, pte_t pte)
{
#ifdef CONFIG_ARM_LPAE
	if (mm_is_kml(mm))
		pte = __pte(pte_val(pte) & ~PTE_EXT_PXN);
#endif
	return pte;
}

#endif /* !__ASSEMBLY__ */

#endif /* _ASM_ARM_KML_H */
