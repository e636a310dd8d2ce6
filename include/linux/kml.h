/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: the hooks generic code calls, and what the generic
 * part (kernel/kml.c) and the architecture part (arch/<arch>/kml/) of KML
 * give each other.
 *
 * An architecture that offers CONFIG_KERNEL_MODE_LINUX provides in
 * <asm/kml.h>:
 *  - KML_MODE_NAME, the name of the mode trusted programs run in, for the
 *    log ("ring 0");
 *  - mm_is_kml(mm): is @mm the mm of a KML process?
 *  - kml_task(task): does @task run its user code in the privileged mode?
 * and implements arch_kml_exec_refusal() and arch_kml_mm_enable() below,
 * calls kml_boot_report() once at boot, and makes the task that starts a
 * program on a KML mm a KML task (and any other task not one).
 */
#ifndef _LINUX_KML_H
#define _LINUX_KML_H

#include <linux/ratelimit_types.h>

struct linux_binprm;
struct mm_struct;
struct seq_file;
struct task_struct;

/*
 * Why a program under the trusted directory runs in user mode. Each reason
 * has its own log rate limit, so that one busy reason hides no other.
 */
struct kml_refusal {
	const char *why;
	struct ratelimit_state rs;
};

#define KML_REFUSAL(name, text)						\
	struct kml_refusal name = {					\
		.why = text,						\
		.rs = RATELIMIT_STATE_INIT(kml_refusal_rs, 5 * HZ, 10),	\
	}

#ifdef CONFIG_KERNEL_MODE_LINUX
void kml_exec_prepare(struct linux_binprm *bprm, int elf_class);
void kml_proc_status(struct seq_file *m, struct task_struct *task);
bool kml_ptrace_refused(struct task_struct *task);
/* For ARCH_DLINFO (x86 asm/elf.h), which binfmt_elf.c expands. */
unsigned long kml_sysinfo_entry(void);

void kml_boot_report(const struct kml_refusal *why);

/* Implemented by the architecture. */

/**
 * arch_kml_exec_refusal - can this kernel run the executable privileged?
 * @elf_class: the ELF class of the executable
 *
 * Return: why KML cannot work on this CPU or kernel, or cannot run an
 * executable of this class; NULL when it can.
 */
struct kml_refusal *arch_kml_exec_refusal(int elf_class);

/**
 * arch_kml_mm_enable - make the new mm of a trusted exec a KML mm
 * @mm: the mm, not yet installed by begin_new_exec()
 */
void arch_kml_mm_enable(struct mm_struct *mm);
#else
static inline void kml_exec_prepare(struct linux_binprm *bprm, int elf_class)
{
}

static inline void kml_proc_status(struct seq_file *m,
				   struct task_struct *task)
{
}

static inline bool kml_ptrace_refused(struct task_struct *task)
{
	return false;
}
#endif

#endif /* _LINUX_KML_H */
