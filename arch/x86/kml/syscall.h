/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux, x86-64: what syscall.c shares with stats.c.
 */
#ifndef _ARCH_X86_KML_SYSCALL_H
#define _ARCH_X86_KML_SYSCALL_H

#include <linux/entry-common.h>
#include <linux/jump_label.h>
#include <linux/thread_info.h>

#include <asm/kml.h>
#include <asm/syscall.h>

/* System calls that need the whole register frame (syscall.c). */
extern unsigned long kml_full_frame[];

/*
 * Where the system calls of KML tasks go (stats.c): per-CPU counters,
 * counted only while the static key is on (debugfs kml/syscall_stats_on).
 */
#ifdef CONFIG_DEBUG_FS
DECLARE_STATIC_KEY_FALSE(kml_stats_on);

void kml_stat_direct(unsigned int nr);
void kml_stat_full(unsigned int nr);
void kml_stat_exit_work(unsigned int nr);
void kml_stat_fpu_reload(unsigned int nr);
void kml_stat_tf_rf(unsigned int nr);

static __always_inline bool kml_stats_enabled(void)
{
	return static_branch_unlikely(&kml_stats_on);
}
#else
static __always_inline bool kml_stats_enabled(void)
{
	return false;
}

static inline void kml_stat_direct(unsigned int nr) { }
static inline void kml_stat_full(unsigned int nr) { }
static inline void kml_stat_exit_work(unsigned int nr) { }
static inline void kml_stat_fpu_reload(unsigned int nr) { }
static inline void kml_stat_tf_rf(unsigned int nr) { }
#endif

#endif /* _ARCH_X86_KML_SYSCALL_H */
