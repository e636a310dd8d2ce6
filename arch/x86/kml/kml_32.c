// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux, IA-32: the architecture part on a 32-bit kernel.
 *
 * Which executables are trusted (the trusted directory and its rules, the
 * switches, the log) is decided by kernel/kml.c, as on x86-64. Here: the
 * KML IDT and the per-CPU state of a KML task, the supervisor-only page
 * directory entries of a KML mm, and the recovery of a KML task's double
 * fault. The entry and exit code is in entry_32.S, which explains the
 * frames.
 *
 * KML refuses ring 0 (the executable runs in user mode, and the log says
 * why) on a CPU without a local APIC, where the interrupts a double fault
 * lost could not be found, and with page table isolation, which a KML
 * task would have to leave as on x86-64 and which IA-32 KML does not do.
 */
#define pr_fmt(fmt) "kml: " fmt

#include <linux/cpufeature.h>
#include <linux/hardirq.h>
#include <linux/init.h>
#include <linux/kml.h>
#include <linux/mm.h>
#include <linux/mmu_context.h>
#include <linux/pgalloc.h>
#include <linux/processor.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/set_memory.h>
#include <linux/uaccess.h>

#include <asm/apic.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/kml.h>
#include <asm/tlbflush.h>
#include <asm/trap_pf.h>
#include <asm/trapnr.h>

#include "kml_32.h"

static KML_REFUSAL(kml_no_init, "KML could not set up its entry code");
static KML_REFUSAL(kml_no_apic, "the CPU has no local APIC");
static KML_REFUSAL(kml_no_pti, "page table isolation is on");

/* Why trusted executables run in user mode on this kernel, or NULL. */
static struct kml_refusal *kml_off __ro_after_init = &kml_no_init;

DEFINE_PER_CPU(u8, kml_on_cpu);

/* Scratch words of entry_32.S: see there. */
DEFINE_PER_CPU(unsigned long, kml_entry_sp);
DEFINE_PER_CPU(unsigned long, kml_nmi_sp);
DEFINE_PER_CPU(unsigned long, kml_ret_ip);
DEFINE_PER_CPU(u8, kml_direct_tf);

/* The ordinary entry of each vector, where the KML stubs go on. */
unsigned long kml_entry_target[IDT_ENTRIES] __ro_after_init;

static struct desc_ptr kml_idt_descr __ro_after_init;

/*
 * What kml_df_resume (entry_32.S) pops: the faulting program's registers,
 * then the ring-3 frame of its page fault.
 */
struct kml_df_frame {
	unsigned long bx, cx, dx, si, di, bp, ax, ds, es, gs;
	unsigned long error_code, ip, cs, flags, sp, ss;
};

static void kml_set_gate_offset(gate_desc *g, unsigned long addr)
{
	g->offset_low = (u16)addr;
	g->offset_middle = (u16)(addr >> 16);
}

/*
 * Build the KML IDT from the ordinary one: every present interrupt or
 * trap gate goes to its KML stub, NMI to kml_entry_nmi; the double-fault
 * task gate stays.
 */
static int __init kml_build_idt(void)
{
	struct desc_ptr std_descr;
	gate_desc *std, *idt;
	int v;

	store_idt(&std_descr);
	std = (gate_desc *)std_descr.address;
	idt = (gate_desc *)get_zeroed_page(GFP_KERNEL);
	if (!idt)
		return -ENOMEM;

	for (v = 0; v < IDT_ENTRIES; v++) {
		gate_desc *g = &idt[v];

		*g = std[v];
		if (!g->bits.p || g->bits.type == GATE_TASK)
			continue;
		kml_entry_target[v] = gate_offset(g);
		if (v == X86_TRAP_NMI)
			kml_set_gate_offset(g, (unsigned long)kml_entry_nmi);
		else
			kml_set_gate_offset(g, (unsigned long)kml_entry_stubs +
					    v * KML_STUB_SIZE);
	}
	set_memory_ro((unsigned long)idt, 1);
	kml_idt_descr.size = IDT_ENTRIES * sizeof(gate_desc) - 1;
	kml_idt_descr.address = (unsigned long)idt;
	return 0;
}

/**
 * kml_check_cpu - can KML work on this CPU and kernel?
 *
 * Called by arch_cpu_finalize_init() before the alternatives are applied:
 * without page table isolation it sets X86_FEATURE_KML, which patches the
 * KML test into the return to user mode. kml_init() decides the rest.
 */
void __init kml_check_cpu(void)
{
	if (!boot_cpu_has(X86_FEATURE_PTI))
		setup_force_cpu_cap(X86_FEATURE_KML);
}

/*
 * An early initcall: the local APIC is set up (or given up, with
 * X86_FEATURE_APIC cleared) by then.
 */
static int __init kml_init(void)
{
	BUILD_BUG_ON(KML_PF_USER != X86_PF_USER);
	BUILD_BUG_ON(sizeof(struct pt_regs) != sizeof(struct kml_df_frame) +
		     sizeof(unsigned long));

	if (boot_cpu_has(X86_FEATURE_PTI))
		kml_off = &kml_no_pti;
	else if (!boot_cpu_has(X86_FEATURE_APIC))
		kml_off = &kml_no_apic;
	else if (!boot_cpu_has(X86_FEATURE_KML) || kml_build_idt())
		kml_off = &kml_no_init;
	else
		kml_off = NULL;
	kml_boot_report(kml_off);
	return 0;
}
early_initcall(kml_init);

/**
 * arch_kml_exec_refusal - can this kernel run the executable in ring 0?
 * @elf_class: the ELF class of the executable (ELFCLASS32 on IA-32)
 *
 * Return: why KML cannot work on this CPU or kernel (set at boot), or
 * NULL when it can.
 */
struct kml_refusal *arch_kml_exec_refusal(int elf_class)
{
	return kml_off;
}

/**
 * arch_kml_mm_enable - make the new mm of a trusted exec a KML mm
 * @mm: the mm, not yet installed by begin_new_exec()
 *
 * Its user half becomes supervisor-only in the page directory, for the
 * entries made so far (the stack's) and, through kml_pmd_table_flags(),
 * for every later one. A huge page is a page-directory entry of its own
 * with _PAGE_USER: transparent huge pages are off for a KML mm.
 */
void arch_kml_mm_enable(struct mm_struct *mm)
{
	unsigned long addr;

	mmap_write_lock(mm);
	set_bit(MM_CONTEXT_KML, &mm->context.flags);
	set_bit(MMF_DISABLE_THP, &mm->flags);
	for (addr = 0; addr < TASK_SIZE; addr += PMD_SIZE) {
		pgd_t *pgd = pgd_offset(mm, addr);
		p4d_t *p4d;
		pud_t *pud;
		pmd_t *pmd;

		if (pgd_none(*pgd))
			continue;
		p4d = p4d_offset(pgd, addr);
		pud = pud_offset(p4d, addr);
		if (pud_none(*pud))
			continue;
		pmd = pmd_offset(pud, addr);
		if (pmd_present(*pmd) && !pmd_leaf(*pmd))
			set_pmd(pmd, __pmd(pmd_val(*pmd) & ~_PAGE_USER));
	}
	mmap_write_unlock(mm);
}

/*
 * The per-CPU state for a KML task (@kml) or any other: the IDT and the
 * flag the return to user mode tests. Called with interrupts off.
 */
static void kml_load_cpu_state(bool kml)
{
	if (kml) {
		load_idt(&kml_idt_descr);
		this_cpu_write(kml_on_cpu, 1);
	} else {
		this_cpu_write(kml_on_cpu, 0);
		load_current_idt();
	}
}

/**
 * kml_start_thread - set up the task that starts a new executable
 * @regs: its user registers, already set up by start_thread()
 *
 * The registers keep the user view; the exit code gives a KML task its
 * ring-0 selectors.
 */
void kml_start_thread(struct pt_regs *regs)
{
	bool kml = mm_is_kml(current->mm);
	unsigned long flags;

	if (!kml && !test_thread_flag(TIF_KML))
		return;
	/* Its memory and registers are ring-0 code: no dumps, no ptrace without CAP_SYS_PTRACE. */
	if (kml)
		set_dumpable(current->mm, SUID_DUMP_DISABLE);
	local_irq_save(flags);
	if (kml && !test_thread_flag(TIF_KML)) {
		set_thread_flag(TIF_KML);
		kml_load_cpu_state(true);
	} else if (!kml) {
		clear_thread_flag(TIF_KML);
		kml_load_cpu_state(false);
	}
	local_irq_restore(flags);
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
 * Called by __switch_to() with interrupts off: the CPU uses the KML IDT
 * while a KML task is current.
 */
void notrace __kml_switch_to(struct task_struct *prev, struct task_struct *next)
{
	if (kml_task(next)) {
		if (!kml_task(prev))
			kml_load_cpu_state(true);
	} else {
		kml_load_cpu_state(false);
	}
}

/**
 * kml_nmi_enter - an NMI-like handler starts
 *
 * Called by __nmi_enter() (arch_nmi_enter()). IA-32 has no IST stack to
 * move: nothing to do.
 */
noinstr void kml_nmi_enter(void)
{
}

/**
 * kml_nmi_exit - an NMI-like handler ends
 *
 * Called by __nmi_exit() (arch_nmi_exit()): nothing to do on IA-32.
 */
noinstr void kml_nmi_exit(void)
{
}

/**
 * kml_put_iret_frame - write the IRET frame of a return with TF or RF
 * @regs: the user view of the returning KML task, interrupts off
 *
 * Called by kml_return_to_user (entry_32.S). The frame (EIP, __KERNEL_CS,
 * EFLAGS) goes right below the program's stack pointer, where an event
 * frame would go; a program has no red zone on IA-32.
 *
 * Return: true if written, and @regs->sp then points at the frame; else
 * TF and RF are cleared in @regs (a lost single step) and the return takes
 * the path without IRET.
 */
bool kml_put_iret_frame(struct pt_regs *regs)
{
	u32 __user *frame = (u32 __user *)(regs->sp - 3 * 4);
	bool ok;

	pagefault_disable();
	ok = regs->sp >= 3 * 4 &&
	     !put_user(regs->ip, &frame[0]) &&
	     !put_user(__KERNEL_CS, &frame[1]) &&
	     !put_user(regs->flags | X86_EFLAGS_IF, &frame[2]);
	pagefault_enable();
	if (ok)
		regs->sp = (unsigned long)frame;
	else
		regs->flags &= ~(X86_EFLAGS_TF | X86_EFLAGS_RF);
	return ok;
}

#define KML_TSS(x) this_cpu_read(cpu_tss_rw.x86_tss.x)

/*
 * The instructions of the direct entry that run in the program's state,
 * on its stack: its first (the CLI), the restart JMP and the RET.
 */
static __always_inline bool kml_direct_program_ip(unsigned long ip)
{
	return ip == (unsigned long)kml_syscall_direct ||
	       ip == (unsigned long)kml_direct_ret - 2 ||
	       ip == (unsigned long)kml_direct_ret;
}

/**
 * kml_double_fault - recover a KML program's stack fault
 * @cr2: CR2 as the double fault left it: the address of the second fault
 *
 * Called by doublefault_shim(), in the double-fault task with the
 * ordinary TSS made current again: the CPU could not push an event frame
 * on the program's stack (the page is not there yet, or is a
 * copy-on-write page), and then could not push the frame of that page
 * fault either. The task switch saved the program's registers in the
 * ordinary TSS, with EIP at the instruction that took the first event,
 * but not its CR3: the double-fault task runs on swapper_pg_dir.
 *
 * If the program was running (EIP in the user half; in the last two
 * instructions of kml_return_to_user, where everything but EIP is the
 * program's already; at an instruction of the direct entry that runs in
 * the program's state; at the IRET of a return to it, whose frame holds
 * EIP and EFLAGS), restore CR3 and the LDT, build the ring-3 view of a
 * write fault of the program at @cr2 on the task stack and enter the page
 * fault entry with it: the fault is handled, or becomes a signal, as in
 * user mode, and the program then restarts the instruction that took the
 * first event. A program whose ESP points into the kernel half (which a
 * trusted program must not do) gets there when that part of the kernel
 * half is not mapped, and its fault then becomes a SIGSEGV. An external
 * interrupt whose delivery faulted is still in service in the local APIC
 * and is handled first by kml_df_lost_interrupts(). An NMI whose delivery
 * faulted is lost.
 *
 * Returns only if the double fault is not a KML program's.
 */
noinstr void kml_double_fault(unsigned long cr2)
{
	unsigned long ip = KML_TSS(ip), sp = KML_TSS(sp), flags;
	struct kml_df_frame *f;
	struct mm_struct *mm;
	bool iret;

	if (!kml_current() || KML_TSS(cs) != __KERNEL_CS)
		return;
	iret = ip == (unsigned long)kml_return_iret ||
	       ip == (unsigned long)kml_nmi_iret ||
	       ip == (unsigned long)kml_direct_step_iret;
	if (iret && sp >= TASK_SIZE)
		return;
	if (ip >= (unsigned long)kml_return_tail &&
	    ip < (unsigned long)kml_return_tail_end)
		ip = this_cpu_read(kml_ret_ip);
	else if (ip == (unsigned long)kml_direct_step_ip)
		ip = (unsigned long)kml_syscall_direct;	/* the CLI again */
	else if (ip >= TASK_SIZE && !iret && !kml_direct_program_ip(ip))
		return;
	mm = this_cpu_read(cpu_tlbstate.loaded_mm);
	if (!mm_is_kml(mm))
		return;

	native_write_cr3(__pa(mm->pgd));
	flags = KML_TSS(flags);
	if (iret) {
		/*
		 * An NMI hit the IRET of a return to the program: the frame
		 * at ESP (just written, so there) holds its EIP and EFLAGS.
		 */
		u32 *frame = (u32 *)sp;

		ip = READ_ONCE(frame[0]);
		flags = READ_ONCE(frame[2]);
		sp += 3 * 4;
	}
	instrumentation_begin();
	load_mm_ldt(mm);
	instrumentation_end();

	f = (struct kml_df_frame *)this_cpu_read(cpu_tss_rw.x86_tss.sp1) - 1;
	f->bx = KML_TSS(bx);
	f->cx = KML_TSS(cx);
	f->dx = KML_TSS(dx);
	f->si = KML_TSS(si);
	f->di = KML_TSS(di);
	f->bp = KML_TSS(bp);
	f->ax = KML_TSS(ax);
	f->ds = KML_TSS(ds);
	f->es = KML_TSS(es);
	f->gs = KML_TSS(gs);
	f->error_code = X86_PF_USER | X86_PF_WRITE;
	f->ip = ip;
	f->cs = __USER_CS;
	f->flags = flags | X86_EFLAGS_IF;
	f->sp = sp;
	f->ss = __USER_DS;
	/*
	 * A #DB (a single step, a watchpoint) whose frame could not be
	 * pushed is lost, but the CPU has set its status in DR6 and never
	 * clears it: the next #DB on this CPU, anyone's, would report it
	 * too, a hardware breakpoint as a single step. Clear DR6 as the #DB
	 * handler does once it has read it.
	 */
	set_debugreg(DR6_RESERVED, 6);
	native_write_cr2(cr2);
	kml_df_resume(f);
}

/**
 * kml_df_lost_interrupts - handle the interrupts a double fault lost
 *
 * Called by kml_df_resume on the task stack, interrupts off. If the
 * program ran with interrupts on, no interrupt handler can be in progress
 * on this CPU: a vector in service in the local APIC is one whose
 * delivery double-faulted. Run its ordinary entry as an interrupt of the
 * kernel (it ends with its EOI and an IRET back here), highest first, as
 * the APIC would have delivered them.
 */
void kml_df_lost_interrupts(void)
{
	int i;

	if (!(KML_TSS(flags) & X86_EFLAGS_IF))
		return;
	for (i = APIC_ISR_NR - 1; i >= 0; i--) {
		u32 isr = apic_read(APIC_ISR + i * 0x10);

		while (isr) {
			unsigned int bit = __fls(isr);
			unsigned long entry = kml_entry_target[i * 32 + bit];

			isr &= ~BIT(bit);
			if (!entry)
				continue;
			asm volatile("pushfl\n\t"
				     "pushl $%c[cs]\n\t"
				     "call *%[entry]"
				     : ASM_CALL_CONSTRAINT
				     : [entry] "r" (entry), [cs] "i" (__KERNEL_CS)
				     : "memory", "cc");
		}
	}
}

/**
 * kml_sysinfo_entry - the AT_SYSINFO entry of a new executable
 *
 * Return: the direct system call entry for a KML process, else 0 (the
 * vDSO's __kernel_vsyscall).
 */
unsigned long kml_sysinfo_entry(void)
{
	return mm_is_kml(current->mm) ? (unsigned long)kml_syscall_direct : 0;
}
