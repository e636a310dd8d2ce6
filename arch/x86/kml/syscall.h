/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux, x86: what syscall.c shares with stats.c, and the
 * tests of the direct dispatch that syscall.c (x86-64) and syscall_32.c
 * (IA-32) make alike.
 */
#ifndef _ARCH_X86_KML_SYSCALL_H
#define _ARCH_X86_KML_SYSCALL_H

#include <linux/context_tracking.h>
#include <linux/entry-common.h>
#include <linux/jump_label.h>
#include <linux/thread_info.h>

#include <asm/kml.h>
#include <asm/syscall.h>

/* Thread flags that ask for work, or syscall work (no ptrace, seccomp...)? */
static __always_inline bool kml_work(void)
{
	struct thread_info *ti = current_thread_info();

	return (READ_ONCE(ti->flags) & KML_SLOW_TIF) |
	       READ_ONCE(ti->syscall_work);
}

/* Would the full path find nothing to do on the way in? */
static __always_inline bool kml_no_entry_work(void)
{
	return !kml_work() && !context_tracking_enabled();
}

/* And on the way out? */
static __always_inline bool kml_no_exit_work(void)
{
	return !kml_work() &&
	       !(cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER) &&
		 this_cpu_read(x86_ibpb_exit_to_user));
}

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
