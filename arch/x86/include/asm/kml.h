/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux (KML), x86: what the rest of the kernel sees of it.
 *
 * x86-64: a KML task runs its user code with the kernel code segment in
 * CS, on its own user stack, with both GS bases holding this CPU's kernel
 * base. Its pt_regs always show the user view (__USER_CS, __USER_DS): the
 * entry code rewrites the hardware frame on the way in and back on the way
 * out.
 *
 * IA-32: a KML task runs its user code with the kernel code and stack
 * segments in CS and SS and the per-CPU segment in FS, on its own user
 * stack. Every event it takes lands on that stack; the KML IDT's stubs
 * (arch/x86/kml/entry_32.S) move it to the task stack as a ring-3 frame,
 * so that its pt_regs show the user view here too.
 */
#ifndef _ASM_X86_KML_H
#define _ASM_X86_KML_H

/* The mode trusted executables run in, for the log (kernel/kml.c). */
#define KML_MODE_NAME	"ring 0"

/* X86_PF_USER, for the entry code (asm/trap_pf.h has it as an enum). */
#define KML_PF_USER	4

#ifdef CONFIG_X86_64
/* The TSS slot of the per-CPU KML entry stack; slots 0-4 are taken. */
#define KML_IST_INDEX	5

/* Bytes between the KML entry stubs of two vectors (entry_64.S). */
#define KML_STUB_SIZE	16

/*
 * The RFLAGS the direct entry shows: X86_EFLAGS_IF | X86_EFLAGS_FIXED (a
 * plain number, for a PUSH immediate).
 */
#define KML_DIRECT_FLAGS	0x202
#else
/* Bytes between the KML entry stubs of two vectors (entry_32.S). */
#define KML_STUB_SIZE	64
#endif /* CONFIG_X86_64 */

/*
 * What kml_do_syscall() (x86-64) and kml_do_syscall_32() (IA-32) tell
 * the system call entry.
 */
#define KML_SYSCALL_DONE	0	/* dispatched directly */
#define KML_SYSCALL_FULL	1	/* for the full path */
#define KML_SYSCALL_EXIT_WORK	2	/* ran; work on the way out */

#ifndef __ASSEMBLY__

#include <linux/types.h>
#include <linux/thread_info.h>
#include <linux/mm_types.h>
#include <asm/pgtable_types.h>
#include <asm/ptrace.h>
#include <asm/segment.h>
#include <uapi/asm/prctl.h>

struct task_struct;

/*
 * Thread flags that ask for work on the way into or out of a system call
 * (EXIT_TO_USER_MODE_WORK is in linux/entry-common.h): a call of a KML
 * task that finds one takes the full path. The x86-64 entry code has it
 * as KML_SLOW_TIF_ASM (asm-offsets_64.c).
 */
#define KML_SLOW_TIF	(EXIT_TO_USER_MODE_WORK | _TIF_SINGLESTEP |	\
			 _TIF_USER_RETURN_NOTIFY | _TIF_IO_BITMAP |	\
			 _TIF_NEED_FPU_LOAD)

/*
 * Kernel debugging options that check something at every system call:
 * with one of them, every call of a KML task takes the full path.
 */
#define KML_DIRECT_CONFIG						\
	(!IS_ENABLED(CONFIG_DEBUG_ENTRY) &&				\
	 !IS_ENABLED(CONFIG_PROVE_LOCKING) &&				\
	 !IS_ENABLED(CONFIG_DEBUG_RSEQ) &&				\
	 !IS_ENABLED(CONFIG_KMSAN))

#ifdef CONFIG_KERNEL_MODE_LINUX

/* Is current a KML task? Usable in noinstr code. */
static __always_inline bool kml_current(void)
{
	return read_thread_flags() & _TIF_KML;
}

static __always_inline bool kml_task(struct task_struct *t)
{
	return read_ti_thread_flags(task_thread_info(t)) & _TIF_KML;
}

/* Does @mm belong to a KML process (user half supervisor-only)? */
static inline bool mm_is_kml(struct mm_struct *mm)
{
	return mm && test_bit(MM_CONTEXT_KML, &mm->context.flags);
}

void kml_copy_thread(struct task_struct *p, bool kernel_thread);

/* Set while the current task of this CPU is a KML task (entry code). */
DECLARE_PER_CPU(u8, kml_on_cpu);

/* Is the current task of this CPU a KML task? One per-CPU byte. */
static __always_inline bool kml_on_this_cpu(void)
{
	return this_cpu_read(kml_on_cpu);
}

void __kml_switch_to(struct task_struct *prev, struct task_struct *next);

/* In __switch_to(), before the segments of @next are loaded. */
static __always_inline void kml_switch_to(struct task_struct *prev,
					  struct task_struct *next)
{
	if (unlikely(kml_task(prev) || kml_task(next)))
		__kml_switch_to(prev, next);
}

void kml_start_thread(struct pt_regs *regs);
void kml_check_cpu(void);

#else /* !CONFIG_KERNEL_MODE_LINUX */

static __always_inline bool kml_current(void)
{
	return false;
}

static __always_inline bool kml_task(struct task_struct *t)
{
	return false;
}

static __always_inline bool kml_on_this_cpu(void)
{
	return false;
}

static inline bool mm_is_kml(struct mm_struct *mm)
{
	return false;
}

static inline void kml_copy_thread(struct task_struct *p, bool kernel_thread)
{
}

static inline void kml_switch_to(struct task_struct *prev,
				 struct task_struct *next)
{
}

static inline void kml_start_thread(struct pt_regs *regs)
{
}

static inline void kml_check_cpu(void)
{
}

#endif /* CONFIG_KERNEL_MODE_LINUX */

#if defined(CONFIG_KERNEL_MODE_LINUX) && defined(CONFIG_X86_32)

/*
 * The flags of a new page-directory entry of @mm, the only level on IA-32
 * with a U/S bit above the page tables (PAE's PDPTEs have none): a KML
 * mm's user half is supervisor-only there, as at the top level on x86-64.
 */
static inline pmdval_t kml_pmd_table_flags(struct mm_struct *mm)
{
	return mm_is_kml(mm) ? _PAGE_TABLE & ~_PAGE_USER : _PAGE_TABLE;
}

/* Entry code, arch/x86/kml/entry_32.S */
extern const char kml_entry_stubs[];
extern const char kml_entry_nmi[];

noinstr void kml_double_fault(unsigned long cr2);

#else

static inline pmdval_t kml_pmd_table_flags(struct mm_struct *mm)
{
	return _PAGE_TABLE;
}

static inline void kml_double_fault(unsigned long cr2)
{
}

#endif /* CONFIG_KERNEL_MODE_LINUX && CONFIG_X86_32 */

#if defined(CONFIG_KERNEL_MODE_LINUX) && defined(CONFIG_X86_64)

/*
 * The flags of a new top-level page-table entry of @mm. A KML mm's user
 * half is supervisor-only at the top level: the U/S bit is ANDed across
 * the levels, so SMEP and SMAP do not apply to the KML process's own pages
 * and stay on for every other process.
 */
static inline pgdval_t kml_top_table_flags(struct mm_struct *mm)
{
	return mm_is_kml(mm) ? _PAGE_TABLE & ~_PAGE_USER : _PAGE_TABLE;
}

/* The same for a P4D entry, which is the top level under 4-level paging. */
static inline p4dval_t kml_p4d_table_flags(struct mm_struct *mm)
{
	return pgtable_l5_enabled() ? _PAGE_TABLE : kml_top_table_flags(mm);
}

/* Entry code, arch/x86/kml/entry_64.S */
extern const char kml_entry_stubs[];
extern const char kml_entry_debug[];
extern const char kml_entry_machine_check[];
extern const char kml_entry_syscall[];
extern const char kml_syscall_direct[];
extern const char kml_direct_ret[];

/* arch/x86/kml/syscall.c, for kml_entry_syscall */
int kml_do_syscall(struct pt_regs *regs, int nr);
int kml_do_syscall_exit(struct pt_regs *regs);
void kml_do_syscall_full(struct pt_regs *regs, int how);

/*
 * arch_prctl() options a KML task may not use: its GS bases both hold the
 * kernel's (ARCH_SET_GS would break the next entry); shadow stacks, linear
 * address masking and CPUID faulting (ARCH_SET_CPUID 0) apply to ring 3
 * only, and would silently not work.
 */
static inline bool kml_arch_prctl_refused(struct task_struct *t, int option,
					  unsigned long arg2)
{
	return kml_task(t) &&
	       (option == ARCH_SET_GS || option == ARCH_SHSTK_ENABLE ||
		option == ARCH_ENABLE_TAGGED_ADDR ||
		option == ARCH_FORCE_TAGGED_SVA ||
		(option == ARCH_SET_CPUID && !arg2));
}

/*
 * An IRET back to a KML task faulted: the frame that IRET could not use
 * holds the hardware selectors; give C code the user view.
 */
static __always_inline void kml_fixup_bad_iret(struct pt_regs *regs)
{
	if (kml_current() && regs->cs == __KERNEL_CS) {
		regs->cs = __USER_CS;
		regs->ss = __USER_DS;
	}
}

#else /* !(CONFIG_KERNEL_MODE_LINUX && CONFIG_X86_64) */

static inline pgdval_t kml_top_table_flags(struct mm_struct *mm)
{
	return _PAGE_TABLE;
}

static inline p4dval_t kml_p4d_table_flags(struct mm_struct *mm)
{
	return _PAGE_TABLE;
}

static __always_inline void kml_fixup_bad_iret(struct pt_regs *regs)
{
}

static inline bool kml_arch_prctl_refused(struct task_struct *t, int option,
					  unsigned long arg2)
{
	return false;
}

#endif /* CONFIG_KERNEL_MODE_LINUX && CONFIG_X86_64 */

#endif /* !__ASSEMBLY__ */

#endif /* _ASM_X86_KML_H */
