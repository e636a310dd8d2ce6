/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux, IA-32: what entry_32.S and kml_32.c give each other.
 */
#ifndef _ARCH_X86_KML_KML_32_H
#define _ARCH_X86_KML_KML_32_H

#include <linux/compiler.h>
#include <linux/types.h>

struct kml_df_frame;
struct pt_regs;

/* Labels of entry_32.S, for the double-fault recovery */
extern const char kml_return_tail[], kml_return_tail_end[];
extern const char kml_return_iret[], kml_nmi_iret[], kml_direct_step_iret[];
extern const char kml_syscall_direct[], kml_direct_step_ip[];
extern const char kml_direct_ret[];

/* entry_32.S */
void __noreturn kml_df_resume(struct kml_df_frame *frame);

/* kml_32.c, called by entry_32.S */
void kml_df_lost_interrupts(void);
bool kml_put_iret_frame(struct pt_regs *regs);

/* syscall_32.c, called by entry_32.S */
int kml_do_syscall_32(struct pt_regs *regs);
void kml_do_syscall_32_exit(struct pt_regs *regs);

#endif /* _ARCH_X86_KML_KML_32_H */
