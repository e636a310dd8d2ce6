/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux, x86-64: entry and exit.
 *
 * A KML task's user code runs in ring 0 on its own user stack. An event
 * taken in ring 0 does not switch stacks unless its gate names an IST
 * stack, so an ordinary gate would push the hardware frame onto the user
 * stack: into the 128-byte red zone the SysV ABI gives every function
 * below its stack pointer, or onto a page that is not mapped yet.
 *
 * So while a KML task is current, the CPU runs on the KML IDT (built in
 * kml.c): every gate without an IST stack of its own is sent to the
 * per-CPU KML IST stack, through a stub here that looks at the saved frame
 * and then continues at the ordinary entry point of the vector:
 *
 *  - from the kernel (RPL 0, both RIP and RSP in the kernel half): the
 *    frame is moved to where the CPU would have pushed it on the
 *    interrupted stack, so the kernel sees exactly what it sees without
 *    KML;
 *  - from KML user code (RPL 0, RIP or RSP in the user half: a program may
 *    put anything in RSP, and the edges of the system call entries run
 *    kernel text on the user stack): the frame is rewritten to the user
 *    view (__USER_CS, __USER_DS, IF set; a #PF error code gets
 *    X86_PF_USER), and the ordinary code takes it as an entry from user
 *    mode: it copies the frame to the task stack (sync_regs) before it runs
 *    any C code or enables interrupts;
 *  - from ring 3 (not expected while a KML task is current): as is.
 *
 * The stub does not use GS: a program that loads GS or writes its base
 * changes the GS base the CPU has while the program runs, and only the
 * ordinary entry's SWAPGS gets the kernel's back (see "GS" below).
 *
 * Nothing here can fault but the move to the interrupted stack; if that
 * faults, the interrupted kernel stack is unusable, and the stub raises the
 * double fault the CPU itself would have raised.
 *
 * #DB and #MC have IST stacks of their own; their KML stubs only rewrite a
 * KML user frame to the user view. NMI, #DF and #VC keep their gates.
 *
 * GS: while a KML task is current, both GS bases normally hold this CPU's
 * kernel base. Every entry from KML user code executes SWAPGS (the ordinary
 * entries for user mode, and the system call entries here) and every return
 * to it executes SWAPGS again, exactly as for ring 3. So if a program loads
 * a GS selector or writes its GS base, the kernel still runs on the base
 * in MSR_KERNEL_GS_BASE, which only the kernel writes, and the program
 * keeps its own until the next context switch resets it.
 */
#include <linux/errno.h>
#include <linux/linkage.h>
#include <asm/asm-offsets.h>
#include <asm/segment.h>
#include <asm/percpu.h>
#include <asm/trapnr.h>
#include <asm/unwind_hints.h>
#include <asm/nospec-branch.h>
#include <asm/ptrace-abi.h>
#include <asm/kml.h>
#include <asm/processor-flags.h>
#include <asm/smap.h>
#include <uapi/asm/debugreg.h>
#include "../entry/calling.h"

	.pushsection .noinstr.text, "ax"

/*
 * The KML stubs' stack, from the top of the KML IST stack down: the CPU's
 * frame (SS, RSP, RFLAGS, CS, RIP), the error code if the vector has one,
 * the vector number, and the RAX the common code saves. KML_HW(e) is the
 * offset of the frame's RIP slot with (e = 1) or without (e = 0) an error
 * code; the other slots are at the pt_regs distances from it.
 */
#define KML_SAVED_RAX	0
#define KML_VECTOR	8
#define KML_ERROR_CODE	16
#define KML_HW(e)	(16 + 8 * (e))
#define HW_CS		(CS - RIP)
#define HW_FLAGS	(EFLAGS - RIP)
#define HW_SP		(RSP - RIP)
#define HW_SS		(SS - RIP)
#define HW_FRAME	(SS + 8 - RIP)		/* bytes of the CPU's frame */

/* The vectors for which the CPU pushes an error code. */
#define KML_HAS_ERRCODE(v)						\
	((v) == X86_TRAP_DF || ((v) >= X86_TRAP_TS && (v) <= X86_TRAP_PF) || \
	 (v) == X86_TRAP_AC || (v) == X86_TRAP_CP || (v) == X86_TRAP_VC || \
	 (v) == 30)

/*
 * One stub per vector, KML_STUB_SIZE bytes apart: push the vector number
 * and go to the common code for frames with or without an error code.
 */
	.p2align 4
SYM_CODE_START(kml_entry_stubs)
	vector = 0
	.rept 256
0:
	.if KML_HAS_ERRCODE(vector)
	UNWIND_HINT_IRET_ENTRY offset=8
	ENDBR
	.byte	0x6a, vector		/* pushq $vector (sign-extended) */
	jmp	kml_entry_err
	.else
	UNWIND_HINT_IRET_ENTRY
	ENDBR
	.byte	0x6a, vector
	jmp	kml_entry_noerr
	.endif
	/* Pad to KML_STUB_SIZE; the assembler refuses a larger stub. */
	.org 0b + KML_STUB_SIZE, 0xcc
	vector = vector + 1
	.endr
SYM_CODE_END(kml_entry_stubs)

/*
 * Go to \user if the frame whose RIP is at \rip(%rsp) comes from KML user
 * code (RPL 0 is checked by the caller): RIP or RSP in the user half. The
 * sign bit is bit 7 of the top byte of each.
 */
.macro KML_IF_USER_FRAME rip user
	testb	$0x80, \rip+7(%rsp)			/* RIP */
	jz	\user
	testb	$0x80, \rip+HW_SP+7(%rsp)		/* RSP */
	jz	\user
.endm

/* Give the frame whose RIP is at \rip(%rsp) the user view. */
.macro KML_USER_VIEW rip
	movq	$__USER_CS, \rip+HW_CS(%rsp)
	orq	$X86_EFLAGS_IF, \rip+HW_FLAGS(%rsp)
	movq	$__USER_DS, \rip+HW_SS(%rsp)
.endm

/*
 * The common code, for frames without (\err = 0) and with (\err = 1) an
 * error code. On entry the KML IST stack holds
 *
 *	vector, [error code,] RIP, CS, RFLAGS, RSP, SS
 *
 * The ordinary entry point goes where the vector was, and the stub jumps
 * through that slot once it is below RSP: nothing else runs on this stack,
 * and interrupts are off.
 *
 * Only the stores to the interrupted stack can fault; kml_entry_err treats
 * a fault with RIP anywhere in [kml_entry_noerr, kml_bad_kernel_stack) as
 * such (the three are laid out in this order).
 */
.macro KML_ENTRY err
	.set	E, 8 * \err		/* size of the error code */
	.set	F, KML_HW(\err)		/* the CPU's frame, after RAX is saved */

	pushq	%rax
	/* rax, vector, [error code,] RIP, CS, RFLAGS, RSP, SS */
	testb	$3, F+HW_CS(%rsp)
	jnz	.Lcontinue_\@			/* ring 3: as is */
	KML_IF_USER_FRAME F, .Luser_\@
	jmp	.Lfrom_kernel_\@

.Luser_\@:
	/* KML user code: give the kernel the user view. */
	KML_USER_VIEW F
	.if \err
	cmpb	$X86_TRAP_PF, KML_VECTOR(%rsp)
	jne	.Lcontinue_\@
	orq	$KML_PF_USER, KML_ERROR_CODE(%rsp)
	.endif

.Lcontinue_\@:
	movzbl	KML_VECTOR(%rsp), %eax
	movq	kml_entry_target(, %rax, 8), %rax
	movq	%rax, KML_VECTOR(%rsp)		/* now the entry point */
	popq	%rax
	addq	$8, %rsp
	ANNOTATE_RETPOLINE_SAFE
	jmp	*-8(%rsp)

.Lfrom_kernel_\@:
	/*
	 * Put [error code,] RIP, CS, RFLAGS, RSP, SS where the CPU would
	 * have pushed them: below the interrupted stack pointer, aligned
	 * down to 16 bytes; below them the interrupted RDI and the entry
	 * point. Then switch to that stack. From here the stub's own slots
	 * are 8 bytes further up, past the RDI pushed here.
	 */
	pushq	%rdi
	.set	F, F + 8
	/* rdi, rax, vector, [error code,] RIP, CS, RFLAGS, RSP, SS */
	movq	F+HW_SP(%rsp), %rdi
	andq	$~0xf, %rdi
	subq	$HW_FRAME+E, %rdi
	.if \err
	movq	8+KML_ERROR_CODE(%rsp), %rax
	movq	%rax, (%rdi)
	.endif
	movq	F(%rsp), %rax
	movq	%rax, E(%rdi)
	movq	F+HW_CS(%rsp), %rax
	movq	%rax, E+HW_CS(%rdi)
	movq	F+HW_FLAGS(%rsp), %rax
	movq	%rax, E+HW_FLAGS(%rdi)
	movq	F+HW_SP(%rsp), %rax
	movq	%rax, E+HW_SP(%rdi)
	movq	F+HW_SS(%rsp), %rax
	movq	%rax, E+HW_SS(%rdi)
	movq	(%rsp), %rax
	movq	%rax, -8(%rdi)			/* the interrupted RDI */
	movzbl	8+KML_VECTOR(%rsp), %eax
	movq	kml_entry_target(, %rax, 8), %rax
	movq	%rax, -16(%rdi)			/* the entry point */
	movq	8+KML_SAVED_RAX(%rsp), %rax
	leaq	-16(%rdi), %rsp
	UNWIND_HINT_IRET_ENTRY offset=16+E
	movq	8(%rsp), %rdi
	addq	$16, %rsp
	UNWIND_HINT_IRET_ENTRY offset=E
	ANNOTATE_RETPOLINE_SAFE
	jmp	*-16(%rsp)
.endm

SYM_CODE_START_LOCAL(kml_entry_noerr)
	UNWIND_HINT_IRET_ENTRY offset=8
	ANNOTATE_NOENDBR
	KML_ENTRY err=0
SYM_CODE_END(kml_entry_noerr)

SYM_CODE_START_LOCAL(kml_entry_err)
	UNWIND_HINT_IRET_ENTRY offset=16
	/*
	 * A fault inside this common code comes from a store to an
	 * interrupted kernel stack that cannot be used (overflowed into its
	 * guard page, or not canonical). RAX is not saved yet.
	 */
	cmpq	$kml_entry_noerr, KML_HW(1) - 8(%rsp)
	jb	1f
	cmpq	$kml_bad_kernel_stack, KML_HW(1) - 8(%rsp)
	jb	kml_bad_kernel_stack
1:
	KML_ENTRY err=1
SYM_CODE_END(kml_entry_err)

/*
 * The interrupted kernel stack cannot take the frame: do what the CPU does
 * when it cannot push an exception frame, and raise a double fault. Go
 * back to the ordinary IDT and push onto the unusable stack again; the
 * CPU cannot deliver that fault either and takes #DF on its own IST stack,
 * where the kernel reports the stack overflow. RDI still holds the address
 * the interrupted entry code was writing to.
 */
SYM_CODE_START_LOCAL(kml_bad_kernel_stack)
	UNWIND_HINT_IRET_ENTRY offset=16
	ANNOTATE_NOENDBR
	lidt	kml_std_idt(%rip)
	movq	%rdi, %rsp
	UNWIND_HINT_UNDEFINED
	pushq	$0
	ud2
SYM_CODE_END(kml_bad_kernel_stack)

/*
 * #DB and #MC keep their own IST stacks: hand a KML user frame over in the
 * user view, anything else as it is. Unlike the other vectors, these
 * also hit the instructions of the system call entries and exits that run
 * kernel text on the user stack, around their SWAPGS: such a frame (RIP in
 * the kernel text, RSP in the user half) is the kernel's. The ordinary
 * paranoid entry finds the right GS base itself, as for the same
 * instructions of entry_SYSCALL_64; the user path would SWAPGS once more.
 * A RIP in the kernel half outside the kernel text with a user RSP is the
 * program's (a single step into the vsyscall page).
 *
 * But a single-step trap at the direct entry (after a CALL with TF set)
 * steps over the whole system call, as over a SYSCALL instruction: TF
 * goes, and the entry runs on. Stepping on into it would trap in kernel
 * text, which the kernel takes for a stray single step and warns about. A
 * ptrace single step sets SYSCALL_EXIT_TRAP too, which sends the call the
 * full way and reports the step on its way out, at kml_direct_ret; a
 * program that sets TF itself loses it here.
 */
.macro KML_IST_ENTRY name vector
SYM_CODE_START(\name)
	UNWIND_HINT_IRET_ENTRY
	ENDBR
	/* RIP, CS, RFLAGS, RSP, SS */
	.if \vector == X86_TRAP_DB
	cmpq	$kml_syscall_direct, (%rsp)
	jne	.Lnot_direct_\@
	testl	$X86_EFLAGS_TF, HW_FLAGS(%rsp)
	jz	.Lnot_direct_\@
	andl	$~X86_EFLAGS_TF, HW_FLAGS(%rsp)
	pushq	%rax
	movl	$DR6_RESERVED, %eax		/* this #DB is consumed */
	movq	%rax, %dr6
	popq	%rax
	iretq
.Lnot_direct_\@:
	.endif
	testb	$3, HW_CS(%rsp)
	jnz	.Lgo_\@
	testb	$0x80, 7(%rsp)			/* RIP in the user half: user */
	jz	.Luser_\@
	testb	$0x80, HW_SP+7(%rsp)		/* both in the kernel half */
	jnz	.Lgo_\@
	/* RSP in the user half: kernel text is an entry's edge, else user */
	cmpq	$_stext, (%rsp)
	jb	.Luser_\@
	cmpq	$_etext, (%rsp)
	jb	.Lgo_\@
.Luser_\@:
	KML_USER_VIEW 0
.Lgo_\@:
	ANNOTATE_RETPOLINE_SAFE
	jmp	*(kml_entry_target + 8 * \vector)(%rip)
SYM_CODE_END(\name)
.endm

KML_IST_ENTRY kml_entry_debug, X86_TRAP_DB
KML_IST_ENTRY kml_entry_machine_check, X86_TRAP_MC

/*
 * The exit: swapgs_restore_regs_and_return_to_usermode comes here for a
 * KML task. The frame gets the hardware selectors back, SWAPGS gives the
 * program its GS base, and the ordinary return to kernel mode, which uses
 * no GS, IRETs to ring 0 on the user stack, whose red zone no part of this
 * touched. An IRET that faults is a kernel-mode fault at
 * native_irq_return_iret, which error_entry handles with a SWAPGS first,
 * as after the SWAPGS of a return to ring 3.
 */
SYM_CODE_START(kml_return_to_user)
	UNWIND_HINT_REGS
	ANNOTATE_NOENDBR
	movq	$__KERNEL_CS, CS(%rsp)
	movq	$__KERNEL_DS, SS(%rsp)
	swapgs
	jmp	restore_regs_and_return_to_kernel
SYM_CODE_END(kml_return_to_user)

/*
 * System calls of KML tasks.
 *
 * The SYSCALL instruction of every task enters entry_SYSCALL_64. Where KML
 * can work (X86_FEATURE_KML), that entry tests kml_on_cpu once it has
 * executed SWAPGS, saved the user RSP in TSS.sp2 and switched to the task
 * stack, and a KML task's call continues at kml_entry_syscall; elsewhere
 * the test is not there at all. The program runs in ring 0 on the kernel
 * page tables, even with page table isolation on (SWITCH_TO_KERNEL_CR3
 * finds the kernel CR3 and writes nothing), and the per-entry speculation
 * mitigations (register clearing included) are skipped, because the
 * program is trusted. SWAPGS is kept (see "GS" above).
 *
 * Both entries save the pt_regs of entry_SYSCALL_64 at the top of the task
 * stack, but for RBX, RBP and R12-R15: C code keeps those, so they are
 * only stored when the full path needs them. The user view of RFLAGS has
 * IF set, as in ring 3: a program that cleared it gets it back. Then
 * KML_SYSCALL_DISPATCH calls the system call function directly when
 * nothing else is to be done (with kml_do_syscall() in syscall.c when it
 * is to be counted). Otherwise the frame is completed and
 * kml_do_syscall_full() takes the full path of any process (tracing,
 * seccomp, audit, signals and restarts included), from the start or after
 * the call.
 *
 * The return leaves the user stack alone. After a direct dispatch the
 * frame is as the entry saved it, but for RAX. After the full path it is
 * checked: anything unusual (TF or RF set, IF clear, changed selectors, an
 * exec of an ordinary program, RCX not the user RIP, a RIP that is not a
 * user address) returns by IRET; else restore the registers, pop RFLAGS
 * with IF clear, SWAPGS, switch to the user stack and STI, whose shadow
 * covers the JMP to the user RIP in RCX (as SYSRET takes it).
 */
.macro KML_SYSCALL_FRAME
	/*
	 * RCX = user RIP, R11 = user RFLAGS, IF = 0, RSP = the top of the
	 * task stack, TSS.sp2 = user RSP (entry_SYSCALL_64)
	 */
	orl	$X86_EFLAGS_IF, %r11d
	pushq	$__USER_DS				/* pt_regs->ss */
	pushq	PER_CPU_VAR(cpu_tss_rw + TSS_sp2)	/* pt_regs->sp */
	pushq	%r11					/* pt_regs->flags */
	pushq	$__USER_CS				/* pt_regs->cs */
	pushq	%rcx					/* pt_regs->ip */
	pushq	%rax					/* pt_regs->orig_ax */
	pushq	%rdi					/* pt_regs->di */
	pushq	%rsi					/* pt_regs->si */
	pushq	%rdx					/* pt_regs->dx */
	pushq	%rcx					/* pt_regs->cx */
	pushq	$-ENOSYS				/* pt_regs->ax */
	pushq	%r8					/* pt_regs->r8 */
	pushq	%r9					/* pt_regs->r9 */
	pushq	%r10					/* pt_regs->r10 */
	pushq	%r11					/* pt_regs->r11 */
	subq	$6*8, %rsp			/* RBX, RBP, R12-R15: not yet */
	UNWIND_HINT_REGS
.endm

/* Restore the registers the frame holds after a direct dispatch. */
.macro KML_SYSCALL_POP
	addq	$6*8, %rsp
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	/* orig_ax, ip, cs, flags, sp, ss */
.endm

/*
 * Dispatch the call in RAX directly if nothing else is to be done; else go
 * to the full path with KML_SYSCALL_FULL or KML_SYSCALL_EXIT_WORK in ESI.
 *
 * The common case is decided and run here, with the tests of
 * kml_do_syscall() (syscall.c) and without a C function around the call:
 * a number in the table and not one of the calls that need the whole
 * frame, no work in the thread flags (KML_SLOW_TIF) or syscall work for
 * the task, no context tracking, and the counters off. Then the call runs
 * with interrupts on, and on the way out, interrupts off again, the same
 * tests find nothing new (the IBPB on exit to user mode, too; and with
 * X86_DEBUG_FPU, what fpregs_assert_state_consistent() checks). Anything
 * else goes to kml_do_syscall() or, after the call, to
 * kml_do_syscall_exit(), which count it and reload the FPU registers
 * after a call that slept.
 *
 * The table is called, not x64_sys_call(): its switch keeps an untrusted
 * caller's branch history away from an indirect branch, and this caller is
 * trusted. With the kernel options of KML_DIRECT_CONFIG (those that
 * validate noinstr code among them), the C functions decide everything.
 */
.macro KML_SYSCALL_DISPATCH
.if KML_DIRECT_ASM
	cmpl	$KML_NR_syscalls, %eax
	jae	.Lkml_c_\@
	btl	%eax, kml_full_frame(%rip)
	jc	.Lkml_c_\@
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %r11
	testl	$KML_SLOW_TIF_ASM, KML_TASK_flags(%r11)
	jnz	.Lkml_c_\@
	cmpq	$0, KML_TASK_syscall_work(%r11)
	jne	.Lkml_c_\@
#ifdef CONFIG_CONTEXT_TRACKING_USER
	cmpl	$0, context_tracking_key(%rip)	/* static_key.enabled */
	jne	.Lkml_c_\@
#endif
#ifdef CONFIG_DEBUG_FS
	cmpl	$0, kml_stats_on(%rip)		/* static_key.enabled */
	jne	.Lkml_c_\@
#endif
	movl	%eax, %eax
	movq	sys_call_table(, %rax, 8), %rax
	movq	%rsp, %rdi
	sti
	CALL_NOSPEC rax
	cli
	movq	%rax, RAX(%rsp)

	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %r11
	testl	$KML_SLOW_TIF_ASM, KML_TASK_flags(%r11)
	jnz	.Lkml_exit_c_\@
	cmpq	$0, KML_TASK_syscall_work(%r11)
	jne	.Lkml_exit_c_\@
	ALTERNATIVE "jmp .Lkml_no_ibpb_\@", "", X86_FEATURE_IBPB_EXIT_TO_USER
	cmpb	$0, PER_CPU_VAR(x86_ibpb_exit_to_user)
	jne	.Lkml_exit_c_\@
.Lkml_no_ibpb_\@:
#ifdef CONFIG_X86_DEBUG_FPU
	leaq	KML_TASK_fpu(%r11), %rcx
	cmpq	%rcx, PER_CPU_VAR(fpu_fpregs_owner_ctx)
	jne	.Lkml_exit_c_\@
	movl	PER_CPU_VAR(pcpu_hot + KML_cpu_number), %ecx
	cmpl	%ecx, KML_TASK_fpu + KML_FPU_last_cpu(%r11)
	jne	.Lkml_exit_c_\@
#endif
	jmp	.Lkml_done_\@

.Lkml_exit_c_\@:
	movq	%rsp, %rdi
	call	kml_do_syscall_exit		/* returns with IRQs off */
	jmp	.Lkml_ret_\@
.endif
.Lkml_c_\@:
	movq	%rsp, %rdi
	movslq	%eax, %rsi
	call	kml_do_syscall			/* returns with IRQs off */
.Lkml_ret_\@:
	testl	%eax, %eax
	movl	%eax, %esi
	jnz	.Lkml_full
.Lkml_done_\@:
.endm

SYM_CODE_START(kml_entry_syscall)
	UNWIND_HINT_ENTRY
	ANNOTATE_NOENDBR			/* jumped to from entry_SYSCALL_64 */
	KML_SYSCALL_FRAME
	/* Flags POPF cannot give back: TF, RF. */
	movl	$KML_SYSCALL_FULL, %esi
	testl	$(X86_EFLAGS_TF | X86_EFLAGS_RF), %r11d
	jnz	.Lkml_full
	KML_SYSCALL_DISPATCH

	andl	$~X86_EFLAGS_IF, EFLAGS(%rsp)
	KML_SYSCALL_POP
	jmp	.Lkml_popf_return

.Lkml_full:
	/* ESI = KML_SYSCALL_FULL or KML_SYSCALL_EXIT_WORK */
	movq	%rbx, RBX(%rsp)
	movq	%rbp, RBP(%rsp)
	movq	%r12, R12(%rsp)
	movq	%r13, R13(%rsp)
	movq	%r14, R14(%rsp)
	movq	%r15, R15(%rsp)
	movq	%rsp, %rdi
	call	kml_do_syscall_full		/* returns with IRQs off */

	cmpb	$0, PER_CPU_VAR(kml_on_cpu)
	je	.Lkml_iret			/* it exec'd an ordinary program */
	cmpq	$__USER_CS, CS(%rsp)
	jne	.Lkml_iret
	cmpq	$__USER_DS, SS(%rsp)
	jne	.Lkml_iret
	movl	EFLAGS(%rsp), %r11d
	andl	$(X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_RF), %r11d
	cmpl	$X86_EFLAGS_IF, %r11d
	jne	.Lkml_iret
	movq	RIP(%rsp), %r11
	cmpq	%r11, RCX(%rsp)
	jne	.Lkml_iret
	cmpq	$kml_direct_ret, %r11
	je	1f
	shrq	$47, %r11			/* below the 4-level user limit */
	jnz	.Lkml_iret
1:
	andl	$~X86_EFLAGS_IF, EFLAGS(%rsp)
	POP_REGS
.Lkml_popf_return:
	addq	$3*8, %rsp			/* orig_ax, ip, cs */
	popfq					/* the user's RFLAGS, IF clear */
	swapgs
	movq	(%rsp), %rsp			/* pt_regs->sp */
	UNWIND_HINT_UNDEFINED
	sti
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%rcx

.Lkml_iret:
	UNWIND_HINT_REGS
	jmp	swapgs_restore_regs_and_return_to_usermode

/*
 * The direct entry, published to KML processes as AT_SYSINFO and as the
 * vDSO's __vdso_kml_syscall: a function with the register convention of
 * the SYSCALL instruction (number in RAX, arguments in RDI, RSI, RDX, R10,
 * R8, R9, result in RAX, RCX and R11 clobbered). The CALL that comes here
 * writes the return address below the caller's stack pointer, so a caller
 * that keeps data in its red zone moves RSP down 128 bytes around the call
 * (tools/kml/kml_syscall.h). Like any function it may change the
 * arithmetic flags; it returns with interrupts on.
 *
 * The kernel sees kml_direct_ret as the user RIP and the return address's
 * slot as the user RSP: returning there runs the RET to the caller, and
 * after a direct dispatch the exit runs that RET itself. A restarted
 * system call backs RIP up by the 2 bytes of the SYSCALL instruction; here
 * they are a jump back to the entry.
 *
 * The calls that move the stack or need it where a SYSCALL instruction
 * leaves it see the return address's slot as the user RSP: vfork, clone
 * with CLONE_VFORK or a new stack, and clone3 are refused with EINVAL
 * here (make them with SYSCALL), and rt_sigreturn looks 8 bytes higher
 * for its frame (syscall.c).
 */
kml_direct_restart:
	UNWIND_HINT_UNDEFINED
	ANNOTATE_NOENDBR
	/* jmp kml_syscall_direct, in the 2-byte form */
	.byte	0xeb, kml_syscall_direct - (kml_direct_restart + 2)
SYM_INNER_LABEL(kml_direct_ret, SYM_L_GLOBAL)
	UNWIND_HINT_UNDEFINED
	ANNOTATE_NOENDBR
	ANNOTATE_UNRET_SAFE
	ret
	int3

SYM_INNER_LABEL(kml_syscall_direct, SYM_L_GLOBAL)
	UNWIND_HINT_ENTRY
	ENDBR
	/*
	 * What FMASK does for SYSCALL: IF, DF and AC clear (a caller with
	 * AC set would run the call with SMAP off, one with DF set would
	 * copy backwards). Neither comes back: a function returns with DF
	 * clear, and AC means nothing else in ring 0.
	 */
	cli
	cld
	ASM_CLAC
	swapgs
	movq	%rsp, %rcx			/* at the return address */
	movq	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %rsp
	pushq	$__USER_DS			/* pt_regs->ss */
	pushq	%rcx				/* pt_regs->sp */
	pushq	$KML_DIRECT_FLAGS		/* pt_regs->flags */
	pushq	$__USER_CS			/* pt_regs->cs */
	pushq	$kml_direct_ret			/* pt_regs->ip */
	pushq	%rax				/* pt_regs->orig_ax */
	pushq	%rdi				/* pt_regs->di */
	pushq	%rsi				/* pt_regs->si */
	pushq	%rdx				/* pt_regs->dx */
	pushq	$kml_direct_ret			/* pt_regs->cx, as SYSCALL sets it */
	pushq	$-ENOSYS			/* pt_regs->ax */
	pushq	%r8				/* pt_regs->r8 */
	pushq	%r9				/* pt_regs->r9 */
	pushq	%r10				/* pt_regs->r10 */
	pushq	$KML_DIRECT_FLAGS		/* pt_regs->r11, as SYSCALL sets it */
	subq	$6*8, %rsp			/* RBX, RBP, R12-R15: not yet */
	UNWIND_HINT_REGS
	KML_SYSCALL_DISPATCH
	KML_SYSCALL_POP
	swapgs
	movq	4*8(%rsp), %rsp			/* pt_regs->sp */
	UNWIND_HINT_UNDEFINED
	sti
	ANNOTATE_UNRET_SAFE
	ret
	int3
SYM_CODE_END(kml_entry_syscall)

	.popsection
