/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: the hooks generic code calls.
 */
#ifndef _LINUX_KML_H
#define _LINUX_KML_H

struct linux_binprm;
struct seq_file;
struct task_struct;

#ifdef CONFIG_KERNEL_MODE_LINUX
void kml_exec_prepare(struct linux_binprm *bprm, int elf_class);
void kml_proc_status(struct seq_file *m, struct task_struct *task);
bool kml_ptrace_refused(struct task_struct *task);
/* For ARCH_DLINFO (x86 asm/elf.h), which binfmt_elf.c expands. */
unsigned long kml_sysinfo_entry(void);
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
