/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux, IA-32: the entry and exit code of tasks that run
 * their user code in ring 0.
 *
 * An event taken in ring 0 pushes EFLAGS, CS, EIP (and an error code) on
 * the current stack, and a same-privilege IRET pops no stack pointer: the
 * events of a KML task land on its own user stack, and nothing of its
 * ring 0 frames looks like a user frame. While a KML task is current the
 * CPU uses the KML IDT (kml_32.c), whose gates lead here:
 *
 *  - kml_entry_stubs: a stub per vector. An event that interrupted the
 *    kernel (ESP in the kernel half) goes on to its ordinary entry as it
 *    is. An event of the program (ESP in the user half) moves to the top
 *    of the task stack as the ring-3 frame the CPU would have pushed for a
 *    user-mode program (__USER_CS, __USER_DS, the stack pointer before the
 *    event, X86_PF_USER in a page fault's error code), and the ordinary
 *    entry runs on it: SWITCH_TO_KERNEL_STACK finds it on the task stack,
 *    and C code sees a user-mode event. The stub writes nothing to the
 *    program's stack, so that it cannot fault there: it needs FS to be
 *    the per-CPU segment, which it always is while a KML program runs
 *    (its FS is reset on every return; a trusted program must not load
 *    FS).
 *
 *  - kml_entry_nmi: an NMI that hit the program, or this code while it is
 *    on the program's stack, runs the ordinary NMI entry on the top of the
 *    task stack as an NMI of the kernel, which returns to a ring-0 IRET
 *    that pops the CPU's frame off the program's stack.
 *
 *  - kml_return_to_user: restore_all_switch_stack sends every return of a
 *    KML task here. It leaves with POPF, a load of the program's ESP and
 *    STI; JMP through a per-CPU slot, and so writes nothing below the
 *    program's stack pointer; with TF or RF to restore it leaves with an
 *    IRET frame written there by kml_put_iret_frame() (kml_32.c).
 *
 *  - kml_syscall_direct: the AT_SYSINFO of a KML process, which glibc
 *    calls for every system call: a call into the kernel, returning
 *    through kml_return_to_user to a RET.
 *
 * A fault while the CPU pushes an event frame on the program's stack (a
 * stack that must grow, or a copy-on-write stack page after fork())
 * faults again while the CPU pushes the page fault's frame, and ends in
 * the double-fault task: kml_double_fault() (kml_32.c) turns it into the
 * page fault of the program, through kml_df_resume below.
 */
#include <linux/errno.h>
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/asm-offsets.h>
#include <asm/extable_fixup_types.h>
#include <asm/kml.h>
#include <asm/page_types.h>
#include <asm/percpu.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/trapnr.h>
#include <uapi/asm/debugreg.h>

/* The vectors whose exceptions push an error code. */
#define KML_ERROR_CODE_VECTORS	((1 << X86_TRAP_DF) | (1 << X86_TRAP_TS) | \
				 (1 << X86_TRAP_NP) | (1 << X86_TRAP_SS) | \
				 (1 << X86_TRAP_GP) | (1 << X86_TRAP_PF) | \
				 (1 << X86_TRAP_AC) | (1 << X86_TRAP_CP) | \
				 (1 << X86_TRAP_VC))

	.section .entry.text, "ax"

/*
 * The stubs, KML_STUB_SIZE bytes each. On entry: interrupts off, ESP at
 * the frame the CPU pushed. A stub that moves the frame reserves the
 * ring-3 frame's words at the top of the task stack and pushes its vector
 * below them.
 */
	.p2align 6
SYM_CODE_START(kml_entry_stubs)
	vector = 0
	.rept 256
	.if vector == X86_TRAP_DB
	cmpl	$kml_direct_step_ip, (%esp)
	je	kml_direct_step
.Lkml_db_stub:
	.endif
	cmpl	$__PAGE_OFFSET, %esp
	jae	1f
	movl	%esp, PER_CPU_VAR(kml_entry_sp)
	movl	PER_CPU_VAR(cpu_tss_rw + TSS_sp1), %esp
	/* Shift by less than 32 only: the assembler warns otherwise. */
	.if (KML_ERROR_CODE_VECTORS >> (vector & 31)) & (vector < 32) & 1
	subl	$6 * 4, %esp
	pushl	$vector
	jmp	kml_entry_error_code
	.else
	subl	$5 * 4, %esp
	pushl	$vector
	jmp	kml_entry_no_error_code
	.endif
1:	jmp	*%ss:kml_entry_target + 4 * vector
	/* Fails the build if the stub has grown past its size. */
	.org	kml_entry_stubs + (vector + 1) * KML_STUB_SIZE, 0xcc
	vector = vector + 1
	.endr
	.p2align 6, 0xcc
SYM_CODE_END(kml_entry_stubs)

/* Pop the general registers of a pt_regs but EAX, from EBX on. */
.macro KML_POP_REGS
	popl	%ebx
	popl	%ecx
	popl	%edx
	popl	%esi
	popl	%edi
	popl	%ebp
.endm

/*
 * Copy EIP, EFLAGS (with IF) and the ESP before the event from the CPU's
 * frame at EAX, where EIP is word @src, to the ring-3 frame on the stack,
 * where EIP goes to word @dst; add __USER_CS and __USER_DS. ECX is scratch.
 * Until the ordinary entry loads DS, DS and ES are the program's, which
 * may have loaded other segments there: memory is reached through SS (the
 * kernel's, which a trusted program must not load) and FS.
 */
.macro KML_USER_FRAME src:req, dst:req
	movl	%ss:\src * 4(%eax), %ecx	/* EIP */
	movl	%ecx, \dst * 4(%esp)
	movl	$__USER_CS, (\dst + 1) * 4(%esp)
	movl	%ss:(\src + 2) * 4(%eax), %ecx	/* EFLAGS */
	orl	$X86_EFLAGS_IF, %ecx
	movl	%ecx, (\dst + 2) * 4(%esp)
	leal	(\src + 3) * 4(%eax), %ecx	/* ESP before the event */
	movl	%ecx, (\dst + 3) * 4(%esp)
	movl	$__USER_DS, (\dst + 4) * 4(%esp)
.endm

/*
 * The words of the ring-3 frame, right below where the task's pt_regs end
 * (TSS.sp1, as SWITCH_TO_KERNEL_STACK finds it): SS, ESP,
 * EFLAGS, CS, EIP and the error code. On entry to both below: the vector
 * at 0(%esp), the words of the frame above it (with or without the error
 * code), the CPU's frame at kml_entry_sp.
 */
SYM_CODE_START_LOCAL(kml_entry_no_error_code)
	pushl	%eax
	pushl	%ecx
	movl	PER_CPU_VAR(kml_entry_sp), %eax
	KML_USER_FRAME src=0, dst=3
	jmp	kml_entry_go
SYM_CODE_END(kml_entry_no_error_code)

SYM_CODE_START_LOCAL(kml_entry_error_code)
	pushl	%eax
	pushl	%ecx
	movl	PER_CPU_VAR(kml_entry_sp), %eax
	movl	%ss:0 * 4(%eax), %ecx		/* error code */
	cmpl	$X86_TRAP_PF, 2 * 4(%esp)
	jne	1f
	orl	$KML_PF_USER, %ecx		/* a fault of the program */
1:	movl	%ecx, 3 * 4(%esp)
	KML_USER_FRAME src=1, dst=4
	jmp	kml_entry_go
SYM_CODE_END(kml_entry_error_code)

/*
 * Replace the vector by its ordinary entry, restore the scratch registers
 * and go there with ESP at the ring-3 frame: RET pops the entry.
 */
SYM_CODE_START_LOCAL(kml_entry_go)
	movl	2 * 4(%esp), %ecx
	movl	%ss:kml_entry_target(, %ecx, 4), %ecx
	movl	%ecx, 2 * 4(%esp)
	popl	%ecx
	popl	%eax
	ret
SYM_CODE_END(kml_entry_go)

/*
 * NMI. Below the kernel half, the NMI hit the program or this file's code
 * while on the program's stack, never the ordinary entry code: hand the
 * ordinary NMI entry a kernel frame on the top of the task stack (nothing
 * else is there at such a time) that returns to kml_nmi_return, which
 * goes back through the CPU's frame on the program's stack. An NMI that
 * hits kml_nmi_return after its load of ESP takes this path again and
 * comes back to the same IRET.
 */
SYM_CODE_START(kml_entry_nmi)
	cmpl	$__PAGE_OFFSET, %esp
	jae	asm_exc_nmi
	movl	%esp, PER_CPU_VAR(kml_nmi_sp)
	movl	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %esp
	pushl	$X86_EFLAGS_FIXED
	pushl	$__KERNEL_CS
	pushl	$kml_nmi_return
	jmp	asm_exc_nmi
kml_nmi_return:
	movl	PER_CPU_VAR(kml_nmi_sp), %esp
SYM_INNER_LABEL(kml_nmi_iret, SYM_L_GLOBAL)
	iret
SYM_CODE_END(kml_entry_nmi)

/*
 * The return of a KML task: ESP at its pt_regs on the task stack, IRQs
 * off, any exit work done. FS stays the per-CPU segment; GS is the
 * program's (the 32-bit kernel leaves it alone).
 */
SYM_CODE_START(kml_return_to_user)
	testl	$(X86_EFLAGS_TF | X86_EFLAGS_RF), PT_EFLAGS(%esp)
	jnz	.Lkml_return_iret
	movl	PT_EIP(%esp), %eax
	movl	%eax, PER_CPU_VAR(kml_ret_ip)
	KML_POP_REGS
	popl	%eax
1:	popl	%ds
2:	popl	%es
3:	addl	$5 * 4, %esp		/* FS, GS, orig_ax, EIP, CS */
	btrl	$X86_EFLAGS_IF_BIT, (%esp)
	popfl
	movl	(%esp), %esp
SYM_INNER_LABEL(kml_return_tail, SYM_L_GLOBAL)
	sti
	jmp	*PER_CPU_VAR(kml_ret_ip)
SYM_INNER_LABEL(kml_return_tail_end, SYM_L_GLOBAL)

	_ASM_EXTABLE_TYPE(1b, 2b, EX_TYPE_POP_ZERO|EX_REG_DS)
	_ASM_EXTABLE_TYPE(2b, 3b, EX_TYPE_POP_ZERO|EX_REG_ES)

	/*
	 * Single-stepping, or RF to restore: an IRET frame below the
	 * program's ESP, which kml_put_iret_frame() writes and points
	 * PT_OLDESP at. If it cannot be written, it clears TF and RF and the
	 * return takes the path above.
	 */
.Lkml_return_iret:
	movl	%esp, %eax
	call	kml_put_iret_frame
	testb	%al, %al
	jz	kml_return_to_user
	KML_POP_REGS
	popl	%eax
4:	popl	%ds
5:	popl	%es
6:	movl	6 * 4(%esp), %esp	/* PT_OLDESP: the IRET frame */
SYM_INNER_LABEL(kml_return_iret, SYM_L_GLOBAL)
	iret

	_ASM_EXTABLE_TYPE(4b, 5b, EX_TYPE_POP_ZERO|EX_REG_DS)
	_ASM_EXTABLE_TYPE(5b, 6b, EX_TYPE_POP_ZERO|EX_REG_ES)
SYM_CODE_END(kml_return_to_user)

/*
 * kml_df_resume - leave the double-fault recovery for a page fault entry
 * @frame (%eax): the ring-3 view of the faulting program on the task
 *	stack, struct kml_df_frame of kml_32.c: its general registers, DS,
 *	ES, GS, then the error code and the ring-3 frame
 *
 * Runs the handlers of the interrupts whose delivery double-faulted, then
 * enters the page fault entry as the program's fault, with interrupts
 * off, CR2 and CR3 restored by the caller.
 */
SYM_CODE_START(kml_df_resume)
	movl	%eax, %esp
	call	kml_df_lost_interrupts
	KML_POP_REGS
	popl	%eax
7:	popl	%ds
8:	popl	%es
9:	popl	%gs
10:	jmp	asm_exc_page_fault

	_ASM_EXTABLE_TYPE(7b, 8b, EX_TYPE_POP_ZERO|EX_REG_DS)
	_ASM_EXTABLE_TYPE(8b, 9b, EX_TYPE_POP_ZERO|EX_REG_ES)
	_ASM_EXTABLE_TYPE(9b, 10b, EX_TYPE_POP_ZERO|EX_REG_GS)
SYM_CODE_END(kml_df_resume)

/*
 * kml_syscall_direct - the system call entry of a KML process
 *
 * AT_SYSINFO of a KML process (kml_sysinfo_entry()). glibc calls it as it
 * calls __kernel_vsyscall (call *%gs:0x10): the number in EAX, the
 * arguments in EBX, ECX, EDX, ESI, EDI and EBP; the result comes back in
 * EAX and every other register as it was, as with int $0x80. It builds
 * the ring-3 view of an int $0x80 on the task stack, with EIP
 * kml_direct_ret and ESP the program's (at the return address), and the
 * rest of its pt_regs as entry_INT80_32 saves them. kml_do_syscall_32()
 * (syscall_32.c) runs the common calls directly; the others go on into
 * entry_INT80_32 with the registers they came with. Either way the return
 * goes through kml_return_to_user to kml_direct_ret, whose RET pops the
 * return address: nothing is written below the program's stack pointer.
 * A restarted call (EIP moved back 2 bytes, as after int $0x80) runs the
 * JMP right before kml_direct_ret, back here.
 *
 * A tracer's single step (TF) traps after the CLI, on the program's
 * stack: the #DB stub sends that trap to kml_direct_step, which clears TF
 * and notes it, and the entry sets TF in the frame again and takes the
 * full path, so that the step ends after the RET, as one over int $0x80
 * ends after it.
 */
	.p2align 4
SYM_CODE_START(kml_syscall_direct)
	cli
SYM_INNER_LABEL(kml_direct_step_ip, SYM_L_GLOBAL)
	movl	%esp, PER_CPU_VAR(kml_entry_sp)
	movl	PER_CPU_VAR(cpu_tss_rw + TSS_sp1), %esp
	pushl	$__USER_DS			/* pt_regs->ss */
	pushl	PER_CPU_VAR(kml_entry_sp)	/* pt_regs->sp */
	pushfl					/* pt_regs->flags */
	orb	$(X86_EFLAGS_IF >> 8), 1(%esp)
	/*
	 * A CALL, unlike INT, keeps the program's flags: clear NT (an IRET
	 * with NT set is a task return), AC and DF, as entry_SYSENTER_32
	 * does.
	 */
	pushl	$X86_EFLAGS_FIXED
	popfl
	pushl	$__USER_CS			/* pt_regs->cs */
	pushl	$kml_direct_ret			/* pt_regs->ip */
	cmpb	$0, PER_CPU_VAR(kml_direct_tf)
	jne	.Lkml_direct_step
	/*
	 * What entry_INT80_32 saves (FS is the per-CPU segment already),
	 * then the kernel's DS and ES, whatever the program loaded.
	 */
	pushl	%eax				/* pt_regs->orig_ax */
	pushl	$0				/* pt_regs->gs */
	pushl	%fs
	pushl	%es
	pushl	%ds
	pushl	$-ENOSYS			/* pt_regs->ax */
	pushl	%ebp
	pushl	%edi
	pushl	%esi
	pushl	%edx
	pushl	%ecx
	pushl	%ebx
	movl	$__USER_DS, %edx
	movl	%edx, %ds
	movl	%edx, %es
	movl	%esp, %eax
	call	kml_do_syscall_32
	testl	%eax, %eax			/* KML_SYSCALL_DONE */
	jz	kml_return_to_user
	jmp	.Lkml_direct_work

	/*
	 * The 2-byte instruction before kml_direct_ret: a restarted call.
	 * Its displacement is one byte: the entry starts 128 bytes before
	 * kml_direct_ret (the .org fails the build if the code above has
	 * grown past that).
	 */
	.org	kml_syscall_direct + 126, 0xcc
	.byte	0xeb, kml_syscall_direct - kml_direct_ret
SYM_INNER_LABEL(kml_direct_ret, SYM_L_GLOBAL)
	ret

.Lkml_direct_work:
	cmpl	$KML_SYSCALL_FULL, %eax
	jne	.Lkml_direct_exit_work
	/* Not run: back to the ring-3 frame and the registers it came with */
	KML_POP_REGS
	addl	$4, %esp			/* pt_regs->ax */
10:	popl	%ds
11:	popl	%es
12:	addl	$2 * 4, %esp			/* FS, GS */
	popl	%eax				/* pt_regs->orig_ax */
	/*
	 * The frame of an int $0x80 from ring 3: go on there. Its return
	 * comes back through kml_return_to_user, unless the call ended the
	 * task's KML (an exec of an untrusted program), which then returns
	 * to ring 3 as usual.
	 */
	jmp	entry_INT80_32

	_ASM_EXTABLE_TYPE(10b, 11b, EX_TYPE_POP_ZERO|EX_REG_DS)
	_ASM_EXTABLE_TYPE(11b, 12b, EX_TYPE_POP_ZERO|EX_REG_ES)

.Lkml_direct_exit_work:
	movl	%esp, %eax
	call	kml_do_syscall_32_exit
	jmp	kml_return_to_user

.Lkml_direct_step:
	movb	$0, PER_CPU_VAR(kml_direct_tf)
	orl	$X86_EFLAGS_TF, PT_EFLAGS - PT_EIP(%esp)
	jmp	entry_INT80_32
SYM_CODE_END(kml_syscall_direct)

/*
 * A single-step trap after the CLI of kml_syscall_direct, on the
 * program's stack: go on without TF, and let the entry put it back. Any
 * other debug exception there (an instruction breakpoint) takes the #DB
 * stub's way.
 */
SYM_CODE_START_LOCAL(kml_direct_step)
	testl	$X86_EFLAGS_TF, 2 * 4(%esp)
	jz	.Lkml_db_stub			/* not a single step */
	andl	$~X86_EFLAGS_TF, 2 * 4(%esp)
	movb	$1, PER_CPU_VAR(kml_direct_tf)
	/*
	 * This #DB is consumed: clear DR6, whose BS would otherwise stay set
	 * into the next debug exception on this CPU (maybe another task's).
	 * EAX goes to kml_entry_sp meanwhile, which the entry sets next.
	 */
	movl	%eax, PER_CPU_VAR(kml_entry_sp)
	movl	$DR6_RESERVED, %eax
	movl	%eax, %dr6
	movl	PER_CPU_VAR(kml_entry_sp), %eax
SYM_INNER_LABEL(kml_direct_step_iret, SYM_L_GLOBAL)
	iret
SYM_CODE_END(kml_direct_step)
