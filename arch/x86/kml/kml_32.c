// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux, IA-32: the architecture part on a 32-bit kernel.
 *
 * Which executables are trusted (the trusted directory and its rules, the
 * switches, the log) is decided by kernel/kml.c, as on x86-64. Ring 0 for
 * a 32-bit task is not implemented yet: every event taken in ring 0
 * pushes its frame onto the program's own stack (no IST on IA-32), and the
 * entry code, the double-fault task and the NMI entry must learn to take
 * such frames first (Documentation/arch/x86/kml.rst, "IA-32"). Until then
 * this file refuses every trusted executable with a reason, logged once
 * at boot and, rate-limited, at each exec; the executable runs in user
 * mode. No task ever gets TIF_KML, no mm MM_CONTEXT_KML, and
 * X86_FEATURE_KML stays clear, so no KML path of the shared x86 code runs.
 *
 * The reasons are tested from the most specific one: a CPU or kernel on
 * which the IA-32 design cannot work at all (no local APIC to find the
 * interrupts a double fault lost; page table isolation) says so, and
 * otherwise the log says that ring 0 is not there yet.
 */

#define pr_fmt(fmt) "kml: " fmt

#include <linux/cpufeature.h>
#include <linux/hardirq.h>
#include <linux/init.h>
#include <linux/kml.h>
#include <linux/sched.h>

#include <asm/kml.h>

static KML_REFUSAL(kml_no_apic, "the CPU has no local APIC");
static KML_REFUSAL(kml_no_pti, "page table isolation is on");
static KML_REFUSAL(kml_no_ia32, "ring 0 is not implemented on IA-32 yet");

/* Why trusted executables run in user mode on this kernel: set at boot. */
static struct kml_refusal *kml_off __ro_after_init = &kml_no_ia32;

/*
 * An early initcall: the local APIC is set up (or given up, with
 * X86_FEATURE_APIC cleared) by then, and page table isolation decided.
 */
static int __init kml_init(void)
{
	if (!boot_cpu_has(X86_FEATURE_APIC))
		kml_off = &kml_no_apic;
	else if (boot_cpu_has(X86_FEATURE_PTI))
		kml_off = &kml_no_pti;
	else
		kml_off = &kml_no_ia32;
	kml_boot_report(kml_off);
	return 0;
}
early_initcall(kml_init);

/**
 * arch_kml_exec_refusal - can this kernel run the executable in ring 0?
 * @elf_class: the ELF class of the executable (ELFCLASS32 on IA-32)
 *
 * Return: why trusted executables run in user mode on this kernel; never
 * NULL on IA-32 yet.
 */
struct kml_refusal *arch_kml_exec_refusal(int elf_class)
{
	return kml_off;
}

/**
 * arch_kml_mm_enable - make the new mm of a trusted exec a KML mm
 * @mm: the mm, not yet installed by begin_new_exec()
 *
 * Never called on IA-32 yet: arch_kml_exec_refusal() refuses every exec.
 */
void arch_kml_mm_enable(struct mm_struct *mm)
{
	WARN_ON_ONCE(1);
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
