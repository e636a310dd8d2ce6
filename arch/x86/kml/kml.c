// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux, x86-64: the state that lets a trusted executable run
 * in ring 0. Which executables those are (the trusted directory and its
 * rules, the switches) is decided by kernel/kml.c for every architecture.
 * See Documentation/arch/x86/kml.rst.
 *
 * The state of a KML task:
 *  - TIF_KML, set when it starts a trusted executable, cleared when it
 *    starts any other; inherited by fork and clone, never by kernel threads;
 *  - its mm is a KML mm: the user half is supervisor-only at the top level
 *    of the page tables, so SMEP and SMAP do not apply to its own pages;
 *    only a holder of CAP_SYS_PTRACE in the initial user namespace may
 *    ptrace it or read and write its memory, whatever its dumpable flag;
 *  - while it is current: both GS bases hold this CPU's kernel base (the
 *    entries and exits still execute SWAPGS, so the kernel survives a
 *    program that changes its own), the CPU runs on the KML IDT, whose
 *    gates never push a frame onto the user stack (see entry_64.S),
 *    supervisor IBT enforcement is off (kml_load_cpu_state()), and
 *    kml_on_cpu is set, which entry_SYSCALL_64 and the return to user mode
 *    test (an ALTERNATIVE on X86_FEATURE_KML: no test on a kernel where
 *    KML cannot work).
 *
 * KML never writes MSR_LSTAR: the SYSCALL entry is entry_SYSCALL_64 for
 * every task, so KVM's cached user-return MSRs and resume from suspend,
 * which both restore the kernel's LSTAR, stay right.
 */

#define pr_fmt(fmt) "kml: " fmt

#include <linux/cpufeature.h>
#include <linux/elf.h>
#include <linux/init.h>
#include <linux/kml.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/processor.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/set_memory.h>

#include <asm/desc.h>
#include <asm/ibt.h>
#include <asm/kml.h>
#include <asm/msr.h>
#include <asm/traps.h>

/* Entry code data, see entry_64.S. */
unsigned long kml_entry_target[IDT_ENTRIES] __ro_after_init;
struct desc_ptr kml_std_idt __ro_after_init;

/* Is the current task of this CPU a KML task? (TIF_KML, for entry code) */
DEFINE_PER_CPU(u8, kml_on_cpu);

#define KML_IST_STACK_SIZE	(2 * PAGE_SIZE)

/*
 * How far an NMI, #DB or #MC handler moves the KML IST entry down while it
 * runs (kml_nmi_enter()): more than the stub and the ordinary entry code
 * ever keep on the stack before they leave it, so that an exception the
 * handler takes cannot overwrite the frame of the code it interrupted.
 */
#define KML_IST_NEST		1024
/* Nesting levels the stack has room for: NMI, #MC and #DB, with margin. */
#define KML_IST_LEVELS		6

struct kml_ist_stack {
	char stack[KML_IST_STACK_SIZE];
} __aligned(PAGE_SIZE);

static DEFINE_PER_CPU_PAGE_ALIGNED(struct kml_ist_stack, kml_ist_stack);

static struct desc_ptr kml_idt_descr __ro_after_init;

static KML_REFUSAL(kml_no_init, "KML could not set up its entry code");
static KML_REFUSAL(kml_no_fred, "FRED is on");
static KML_REFUSAL(kml_no_xenpv, "this is a Xen PV guest");
static KML_REFUSAL(kml_no_32bit, "not a 64-bit executable");

/* Why KML cannot work on this kernel, or NULL: set at boot. */
static struct kml_refusal *kml_off __ro_after_init = &kml_no_init;

static void kml_set_gate_offset(gate_desc *g, unsigned long addr)
{
	g->offset_low = (u16)addr;
	g->offset_middle = (u16)(addr >> 16);
	g->offset_high = (u32)(addr >> 32);
}

/*
 * Build the KML IDT from the ordinary one: every present gate without an
 * IST stack of its own goes to its KML stub on the KML IST stack; #DB and
 * #MC go to their KML stubs on their own stacks; NMI, #DF and #VC keep
 * their gates.
 */
static int __init kml_build_idt(void)
{
	gate_desc *std, *idt;
	int v;

	store_idt(&kml_std_idt);
	std = (gate_desc *)kml_std_idt.address;
	idt = (gate_desc *)get_zeroed_page(GFP_KERNEL);
	if (!idt)
		return -ENOMEM;

	for (v = 0; v < IDT_ENTRIES; v++) {
		gate_desc *g = &idt[v];

		*g = std[v];
		if (!g->bits.p)
			continue;
		kml_entry_target[v] = gate_offset(g);
		if (v == X86_TRAP_DB) {
			kml_set_gate_offset(g, (unsigned long)kml_entry_debug);
		} else if (v == X86_TRAP_MC) {
			kml_set_gate_offset(g, (unsigned long)kml_entry_machine_check);
		} else if (!g->bits.ist) {
			kml_set_gate_offset(g, (unsigned long)kml_entry_stubs +
					    v * KML_STUB_SIZE);
			g->bits.ist = KML_IST_INDEX + 1;
		}
	}
	set_memory_ro((unsigned long)idt, 1);
	kml_idt_descr.size = IDT_ENTRIES * sizeof(gate_desc) - 1;
	kml_idt_descr.address = (unsigned long)idt;
	return 0;
}

/**
 * kml_check_cpu - can KML work on this CPU and kernel?
 *
 * Called by arch_cpu_finalize_init() once the boot CPU's features are
 * known and before the alternatives are applied: where KML can work, it
 * sets X86_FEATURE_KML, which patches the KML tests into the system call
 * entry and the return to user mode. Elsewhere they are never executed.
 */
void __init kml_check_cpu(void)
{
	if (cpu_feature_enabled(X86_FEATURE_XENPV))
		kml_off = &kml_no_xenpv;
	else if (cpu_feature_enabled(X86_FEATURE_FRED))
		kml_off = &kml_no_fred;
	else
		setup_force_cpu_cap(X86_FEATURE_KML);
}

static int __init kml_init(void)
{
	unsigned int cpu;

	BUILD_BUG_ON(KML_PF_USER != X86_PF_USER);
	BUILD_BUG_ON(ARRAY_SIZE(((struct x86_hw_tss *)0)->ist) <= KML_IST_INDEX);
	BUILD_BUG_ON(KML_IST_NEST * KML_IST_LEVELS > KML_IST_STACK_SIZE - 1024);

	if (!boot_cpu_has(X86_FEATURE_KML))
		goto off;
	for_each_possible_cpu(cpu) {
		struct kml_ist_stack *s = per_cpu_ptr(&kml_ist_stack, cpu);

		per_cpu(cpu_tss_rw, cpu).x86_tss.ist[KML_IST_INDEX] =
			(unsigned long)(s + 1);
	}
	if (kml_build_idt()) {
		kml_off = &kml_no_init;
		goto off;
	}
	kml_off = NULL;
off:
	kml_boot_report(kml_off);
	return 0;
}
early_initcall(kml_init);

/**
 * arch_kml_exec_refusal - can this kernel run the executable in ring 0?
 * @elf_class: the ELF class of the executable
 *
 * Return: why KML cannot work on this CPU or kernel (set at boot), or
 * cannot run an executable of this class (only 64-bit ones run in ring
 * 0); NULL when it can.
 */
struct kml_refusal *arch_kml_exec_refusal(int elf_class)
{
	if (kml_off)
		return kml_off;
	if (elf_class != ELFCLASS64)
		return &kml_no_32bit;
	return NULL;
}

/**
 * arch_kml_mm_enable - make the new mm of a trusted exec a KML mm
 * @mm: the mm, not yet installed by begin_new_exec()
 *
 * Its user half becomes supervisor-only at the top level, now and for
 * every top-level entry made later (kml_top_table_flags()).
 *
 * With page table isolation on, mm->pgd is the kernel copy of the top
 * level, the one a KML task runs on, and __pti_set_user_pgtbl() gave each
 * present user entry made so far (the stack's, at least) NX in it: clear
 * that too, or the program could not run its code there. A later entry,
 * made without _PAGE_USER, gets no NX. The user copy is never loaded for
 * a KML task and is left as it is.
 */
void arch_kml_mm_enable(struct mm_struct *mm)
{
	pgdval_t clear = _PAGE_USER;
	unsigned int i;

	if (boot_cpu_has(X86_FEATURE_PTI))
		clear |= _PAGE_NX;
	mmap_write_lock(mm);
	set_bit(MM_CONTEXT_KML, &mm->context.flags);
	for (i = 0; i < KERNEL_PGD_BOUNDARY; i++) {
		pgdval_t v = READ_ONCE(mm->pgd[i].pgd);

		if (v & _PAGE_PRESENT)
			WRITE_ONCE(mm->pgd[i].pgd, v & ~clear);
	}
	mmap_write_unlock(mm);
}

/*
 * Supervisor IBT (CET_ENDBR_EN in MSR_IA32_S_CET) is off while a KML task
 * is current: a trusted program runs in ring 0, where the CPU would
 * demand an ENDBR64 at the target of each of its indirect branches, and
 * compilers emit none unless asked to (-fcf-protection). kml_s_cet holds
 * this CPU's MSR_IA32_S_CET as the kernel had set it when the CPU switched
 * to a KML task; switching away gives its CET_ENDBR_EN back. Only that
 * bit changes, and only where the kernel runs with IBT (X86_FEATURE_IBT:
 * not with ibt=off, nor after a failed IBT selftest).
 */
static DEFINE_PER_CPU(u64, kml_s_cet);

/*
 * The per-CPU state for a KML task (@kml) or any other: the IDT, the flag
 * the entry code tests, and IBT enforcement. Called with interrupts off.
 * The KML IDT's stubs start with ENDBR64, so either order would do for
 * them; IBT goes off before the KML IDT is loaded and on after the
 * ordinary one is, so that enforcement is never on with the KML IDT.
 */
static void kml_load_cpu_state(bool kml)
{
	if (kml) {
		if (cpu_feature_enabled(X86_FEATURE_IBT))
			this_cpu_write(kml_s_cet, ibt_save(true));
		load_idt(&kml_idt_descr);
		this_cpu_write(kml_on_cpu, 1);
	} else {
		this_cpu_write(kml_on_cpu, 0);
		load_current_idt();
		if (cpu_feature_enabled(X86_FEATURE_IBT))
			ibt_restore(this_cpu_read(kml_s_cet));
	}
}

/* Make current a KML task (on a KML mm) or an ordinary one. */
static void kml_set_current(bool kml)
{
	unsigned long base = 0, flags;

	local_irq_save(flags);
	if (kml) {
		base = cpu_kernelmode_gs_base(smp_processor_id());
		if (!test_thread_flag(TIF_KML)) {
			set_thread_flag(TIF_KML);
			kml_load_cpu_state(true);
		}
	} else if (test_thread_flag(TIF_KML)) {
		clear_thread_flag(TIF_KML);
		kml_load_cpu_state(false);
	}
	current->thread.gsindex = 0;
	current->thread.gsbase = base;
	wrmsrl(MSR_KERNEL_GS_BASE, base);
	local_irq_restore(flags);
}

/**
 * kml_start_thread - set up the task that starts a new executable
 * @regs: its user registers, already set up by start_thread()
 *
 * The registers keep the user view; the exit code gives them the kernel
 * selectors for a KML task.
 */
void kml_start_thread(struct pt_regs *regs)
{
	bool kml = mm_is_kml(current->mm);

	/* Its memory and registers are ring-0 code: no dumps, no ptrace without CAP_SYS_PTRACE. */
	if (kml)
		set_dumpable(current->mm, SUID_DUMP_DISABLE);
	if (kml || test_thread_flag(TIF_KML))
		kml_set_current(kml);
}

/**
 * kml_nmi_enter - an NMI, #DB or #MC handler starts: move the KML IST down
 *
 * NMI, #DB and #MC run on IST stacks of their own, and may interrupt code
 * that runs on the KML IST stack: the KML stub, or the ordinary entry code
 * before it moves to the task stack. An exception their handlers take
 * (#PF on a user stack walk, #BP of a kprobe or text_poke(), #UD of a
 * WARN) goes to the KML IST stack too while the KML IDT is loaded. Move
 * the KML IST entry down while such a handler runs, as SEV-ES does for
 * #VC, so that the nested exception's frame lands below the interrupted
 * one. __nmi_enter() calls this (arch_nmi_enter()), with nothing before it
 * that can fault; handlers nest, each moving the entry further down.
 */
noinstr void kml_nmi_enter(void)
{
	if (cpu_feature_enabled(X86_FEATURE_KML))
		this_cpu_sub(cpu_tss_rw.x86_tss.ist[KML_IST_INDEX], KML_IST_NEST);
}

/**
 * kml_nmi_exit - an NMI, #DB or #MC handler ends: move the KML IST back
 *
 * Called by __nmi_exit() (arch_nmi_exit()), in the reverse order of
 * kml_nmi_enter().
 */
noinstr void kml_nmi_exit(void)
{
	if (cpu_feature_enabled(X86_FEATURE_KML))
		this_cpu_add(cpu_tss_rw.x86_tss.ist[KML_IST_INDEX], KML_IST_NEST);
}

/**
 * kml_copy_thread - a new task inherits KML from its parent, or not
 * @p: the new task
 * @kernel_thread: @p is a kernel thread or a user worker (io_uring), which
 *	never runs user code
 */
void kml_copy_thread(struct task_struct *p, bool kernel_thread)
{
	if (kernel_thread)
		clear_tsk_thread_flag(p, TIF_KML);
}

/**
 * __kml_switch_to - context switch from or to a KML task
 * @prev: the task switched from
 * @next: the task switched to
 *
 * Called by __switch_to() before the next task's segment bases are loaded.
 * A KML task gets this CPU's kernel GS base as its inactive GS base, and
 * the CPU the KML IDT while it runs.
 */
void notrace __kml_switch_to(struct task_struct *prev, struct task_struct *next)
{
	if (kml_task(next)) {
		next->thread.gsindex = 0;
		next->thread.gsbase = cpu_kernelmode_gs_base(smp_processor_id());
		if (!kml_task(prev))
			kml_load_cpu_state(true);
	} else {
		kml_load_cpu_state(false);
	}
}

/**
 * kml_sysinfo_entry - the AT_SYSINFO entry of a new executable
 *
 * Return: the direct system call entry for a KML process, else 0 (no
 * entry).
 */
unsigned long kml_sysinfo_entry(void)
{
	return mm_is_kml(current->mm) ? (unsigned long)kml_syscall_direct : 0;
}
