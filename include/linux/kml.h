/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: the hooks generic code calls.
 */
#ifndef _LINUX_KML_H
#define _LINUX_KML_H

struct linux_binprm;

#ifdef CONFIG_KERNEL_MODE_LINUX
void kml_exec_prepare(struct linux_binprm *bprm, int elf_class);
#else
static inline void kml_exec_prepare(struct linux_binprm *bprm, int elf_class)
{
}
#endif

#endif /* _LINUX_KML_H */
