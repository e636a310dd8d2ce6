/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml_syscall.h - system calls through the Kernel Mode Linux direct entry
 *
 * A program that runs in ring 0 under Kernel Mode Linux finds the direct
 * system call entry in its auxiliary vector as AT_SYSINFO. kml_syscallN()
 * calls it when it is there and executes the SYSCALL instruction when it is
 * not (any ordinary process), with the same result either way.
 *
 * x86-64: the entry has the register convention of SYSCALL: number in
 * RAX, arguments in RDI, RSI, RDX, R10, R8, R9, result in RAX; RCX and R11
 * are clobbered. The CALL writes its return address below the stack
 * pointer, so these wrappers step over the 128-byte red zone around it.
 * See Documentation/arch/x86/kml.rst.
 *
 * 32-bit ARM: a program in SYS mode finds the entry the same way, and
 * kml_syscallN() calls it with BLX (from ARM or Thumb code) where an
 * ordinary process executes svc. The register convention is svc's:
 * number in r7, arguments in r0-r5, result in r0; only lr, which the call
 * writes, is clobbered. Nothing is written below the stack pointer.
 */
#ifndef _TOOLS_KML_SYSCALL_H
#define _TOOLS_KML_SYSCALL_H

#include <sys/auxv.h>

#ifndef AT_SYSINFO
#define AT_SYSINFO	32
#endif

/* The direct entry, or 0 when this process has none. */
static inline unsigned long kml_syscall_entry(void)
{
	static unsigned long entry = 1;

	if (entry == 1)
		entry = getauxval(AT_SYSINFO);
	return entry;
}

#if defined(__x86_64__)
static inline long kml_syscall6(long nr, long a1, long a2, long a3, long a4,
				long a5, long a6)
{
	register long r10 asm("r10") = a4;
	register long r8 asm("r8") = a5;
	register long r9 asm("r9") = a6;
	unsigned long entry = kml_syscall_entry();
	long ret;

	if (entry)
		asm volatile("sub $128, %%rsp\n\t"
			     "call *%[entry]\n\t"
			     "add $128, %%rsp"
			     : "=a" (ret)
			     : "a" (nr), "D" (a1), "S" (a2), "d" (a3),
			       "r" (r10), "r" (r8), "r" (r9), [entry] "r" (entry)
			     : "rcx", "r11", "memory", "cc");
	else
		asm volatile("syscall"
			     : "=a" (ret)
			     : "a" (nr), "D" (a1), "S" (a2), "d" (a3),
			       "r" (r10), "r" (r8), "r" (r9)
			     : "rcx", "r11", "memory", "cc");
	return ret;
}
#elif defined(__arm__)
static inline long kml_syscall6(long nr, long a1, long a2, long a3, long a4,
				long a5, long a6)
{
	register long r0 asm("r0") = a1;
	register long r1 asm("r1") = a2;
	register long r2 asm("r2") = a3;
	register long r3 asm("r3") = a4;
	register long r4 asm("r4") = a5;
	register long r5 asm("r5") = a6;
	register long r7 asm("r7") = nr;
	unsigned long entry = kml_syscall_entry();

	if (entry)
		asm volatile("blx %[entry]"
			     : "+r" (r0)
			     : "r" (r1), "r" (r2), "r" (r3), "r" (r4), "r" (r5),
			       "r" (r7), [entry] "r" (entry)
			     : "lr", "memory", "cc");
	else
		asm volatile("svc #0"
			     : "+r" (r0)
			     : "r" (r1), "r" (r2), "r" (r3), "r" (r4), "r" (r5),
			       "r" (r7)
			     : "memory", "cc");
	return r0;
}
#else
#include <unistd.h>

/* No direct entry here: the C library's system call. */
static inline long kml_syscall6(long nr, long a1, long a2, long a3, long a4,
				long a5, long a6)
{
	return syscall(nr, a1, a2, a3, a4, a5, a6);
}
#endif

static inline long kml_syscall5(long nr, long a1, long a2, long a3, long a4,
				long a5)
{
	return kml_syscall6(nr, a1, a2, a3, a4, a5, 0);
}

static inline long kml_syscall4(long nr, long a1, long a2, long a3, long a4)
{
	return kml_syscall6(nr, a1, a2, a3, a4, 0, 0);
}

static inline long kml_syscall3(long nr, long a1, long a2, long a3)
{
	return kml_syscall6(nr, a1, a2, a3, 0, 0, 0);
}

static inline long kml_syscall2(long nr, long a1, long a2)
{
	return kml_syscall6(nr, a1, a2, 0, 0, 0, 0);
}

static inline long kml_syscall1(long nr, long a1)
{
	return kml_syscall6(nr, a1, 0, 0, 0, 0, 0);
}

static inline long kml_syscall0(long nr)
{
	return kml_syscall6(nr, 0, 0, 0, 0, 0, 0);
}

#endif /* _TOOLS_KML_SYSCALL_H */
