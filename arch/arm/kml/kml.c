// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux, 32-bit ARM: the architecture part.
 *
 * Which executables are trusted (the trusted directory and its rules, the
 * switches, the log) is decided by kernel/kml.c. Here: whether this kernel
 * can run them in SYS mode, the page tables of a KML mm (no PXN), and the
 * thread flag TIF_KML, which the return to user mode turns into SYS mode.
 * The entry and exit code is in the macros of entry-macros.S; asm/kml.h
 * explains the user view of the saved PSR. The direct system call entry
 * is in entry.S, and the vDSO's __vdso_kml_syscall, which jumps to it,
 * in arch/arm/vdso/kml.S.
 *
 * KML refuses SYS mode (the executable runs in USR mode, and the log says
 * why) on a Thumb-2 kernel, whose entry code enters SYS mode itself and
 * has another return path; with OABI compatibility, where vector_swi
 * decodes the calling instruction and a system call can be an OABI one,
 * which KML does not give the user view of (its restart and the direct
 * entry assume EABI); and on a CPU older than ARMv7.
 */
#define pr_fmt(fmt) "kml: " fmt

#include <linux/elf.h>
#include <linux/init.h>
#include <linux/kml.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>

#include <asm/cputype.h>
#include <asm/kml.h>
#include <asm/system_info.h>
#include <asm/tlbflush.h>

static KML_REFUSAL(kml_no_init, "KML could not set up its entry code");
static KML_REFUSAL(kml_no_thumb2, "the kernel is built as Thumb-2 code");
static KML_REFUSAL(kml_no_oabi, "the kernel has OABI compatibility");
static KML_REFUSAL(kml_no_v7, "the CPU is older than ARMv7");

/* Why trusted executables run in user mode on this kernel, or NULL. */
static struct kml_refusal *kml_off __ro_after_init = &kml_no_init;

static int __init kml_init(void)
{
	BUILD_BUG_ON(TIF_KML < 16);	/* not a work bit (do_work_pending) */
	BUILD_BUG_ON((USR_MODE | KML_PSR_MODE_BITS) != SYSTEM_MODE);

	if (IS_ENABLED(CONFIG_THUMB2_KERNEL))
		kml_off = &kml_no_thumb2;
	else if (IS_ENABLED(CONFIG_OABI_COMPAT))
		kml_off = &kml_no_oabi;
	else if (cpu_architecture() < CPU_ARCH_ARMv7)
		kml_off = &kml_no_v7;
#ifdef KML_SYS_ENTRY
	else
		kml_off = NULL;
#endif
	kml_boot_report(kml_off);
	return 0;
}
early_initcall(kml_init);

/**
 * arch_kml_exec_refusal - can this kernel run the executable in SYS mode?
 * @elf_class: the ELF class of the executable (ELFCLASS32 on ARM)
 *
 * Return: why KML cannot work on this CPU or kernel (set at boot), or
 * NULL when it can.
 */
struct kml_refusal *arch_kml_exec_refusal(int elf_class)
{
	return kml_off;
}

#ifdef CONFIG_ARM_LPAE
/*
 * LPAE: every user page entry has PXN (protection_map); the page tables
 * have no PXNTable bit. Rewrite the valid user entries of the page table
 * at @pmd (covering @addr on): set_ptes() leaves PXN out for a KML mm.
 */
static void kml_table_clear_pxn(struct mm_struct *mm, pmd_t *pmd,
				unsigned long addr)
{
	unsigned long end = addr + PMD_SIZE;
	spinlock_t *ptl;	/* the page table's lock */
	pte_t *start, *pte;

	start = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!start)
		return;
	for (pte = start; addr < end; pte++, addr += PAGE_SIZE) {
		pte_t entry = ptep_get(pte);

		if (pte_valid_user(entry) && (pte_val(entry) & PTE_EXT_PXN))
			set_pte_at(mm, addr, pte, entry);
	}
	pte_unmap_unlock(start, ptl);
}
#else
/*
 * Classic page tables: PXN is the PXNTable bit of the two first-level
 * entries of each page table (pmd_populate()); the small-page entries
 * have none.
 */
static void kml_table_clear_pxn(struct mm_struct *mm, pmd_t *pmd,
				unsigned long addr)
{
	pmd[0] = __pmd(pmd_val(pmd[0]) & ~PMD_PXNTABLE);
	pmd[1] = __pmd(pmd_val(pmd[1]) & ~PMD_PXNTABLE);
	flush_pmd_entry(pmd);
}
#endif

/**
 * arch_kml_mm_enable - make the new mm of a trusted exec a KML mm
 * @mm: the mm, not yet installed by begin_new_exec()
 *
 * Its page tables leave out PXN from now on (pmd_populate() and set_ptes()
 * ask mm_is_kml()), and the tables made so far (the stack's, which
 * copy_strings() filled) lose it here. The mm has never been installed on
 * a CPU: no TLB holds its entries. Transparent huge pages are off for a
 * KML mm: a huge page's entry would have PXN.
 */
void arch_kml_mm_enable(struct mm_struct *mm)
{
	unsigned long addr;

	mmap_write_lock(mm);
	WRITE_ONCE(mm->context.kml, true);
	set_bit(MMF_DISABLE_THP, &mm->flags);
	for (addr = 0; addr < TASK_SIZE; addr += PMD_SIZE) {
		pgd_t *pgd = pgd_offset(mm, addr);
		p4d_t *p4d = p4d_offset(pgd, addr);
		pud_t *pud = pud_offset(p4d, addr);
		pmd_t *pmd;

		/* LPAE: no second-level table here (classic: never none) */
		if (pud_none(*pud) || pud_bad(*pud))
			continue;
		pmd = pmd_offset(pud, addr);
		if (pmd_none(*pmd) || pmd_bad(*pmd))
			continue;
		kml_table_clear_pxn(mm, pmd, addr);
	}
	mmap_write_unlock(mm);
}

/* The address of the direct entry, or 0 on a kernel without it. */
static unsigned long kml_sysinfo_entry_addr(void)
{
#ifdef KML_SYS_ENTRY
	return (unsigned long)kml_syscall_direct;
#else
	return 0;
#endif
}

/**
 * kml_sysinfo_entry - the AT_SYSINFO entry of a new executable
 *
 * For ARCH_DLINFO (asm/elf.h), once the exec has made the task a KML
 * task or not.
 *
 * Return: the direct system call entry (entry.S) for a KML process, else
 * 0: no AT_SYSINFO.
 */
unsigned long kml_sysinfo_entry(void)
{
	return mm_is_kml(current->mm) ? kml_sysinfo_entry_addr() : 0;
}

/**
 * kml_patch_vdso - give __vdso_kml_syscall the direct entry
 * @image: the vDSO image, not yet mapped by any process
 * @sym: its dynamic symbol __vdso_kml_syscall, or NULL
 *
 * Called by patch_vdso() at boot, after kml_init(): the word that
 * __vdso_kml_syscall jumps through in SYS mode gets kml_syscall_direct,
 * or stays 0 (-ENOSYS) where KML is unavailable.
 */
void __init kml_patch_vdso(void *image, struct elf32_sym *sym)
{
	u32 *word;

	if (!sym)
		return;
	word = image + sym->st_value + KML_VDSO_ENTRY_OFFSET;
	*word = kml_off ? 0 : kml_sysinfo_entry_addr();
}

/**
 * arch_setup_new_exec - the task that starts a program: a KML task or not
 *
 * Called by setup_new_exec(), once begin_new_exec() has installed the new
 * mm: the task that runs a program on a KML mm is a KML task (TIF_KML, the
 * return to user mode goes to SYS mode), and any other is not. Threads and
 * children inherit the flag with the mm. A KML program's memory and
 * registers are kernel code: its mm is never dumpable.
 */
void arch_setup_new_exec(void)
{
	if (mm_is_kml(current->mm)) {
		set_dumpable(current->mm, SUID_DUMP_DISABLE);
		set_thread_flag(TIF_KML);
	} else {
		clear_thread_flag(TIF_KML);
	}
}
