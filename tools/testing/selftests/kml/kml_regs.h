/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Register snapshots for the KML selftests: load every general-purpose
 * register, RFLAGS, XMM0-15, MXCSR and the x87 control word with known
 * values, let something happen (spin until a signal handler writes a
 * word, or execute one SYSCALL instruction), and store what the registers
 * hold afterwards, so that the test compares them bit for bit.
 *
 *	kml_regs_spin(in, out)     spin with the registers of @in until
 *	                           kml_spin_word is non-zero; RCX is the loop
 *	                           register: it ends up holding kml_spin_word
 *	kml_regs_loop(in, out)     spin kml_loop_count rounds of LOOP with
 *	                           the registers of @in; RCX ends up 0
 *	kml_regs_syscall(in, out)  execute SYSCALL with the registers of @in
 *	                           (RAX the number, RDI, RSI, RDX, R10, R8,
 *	                           R9 the arguments); RCX and R11 end up
 *	                           holding the return address and RFLAGS
 *
 * @in->rcx is not used. @out->rsp is the stack pointer after the event,
 * @out->rsp_before the one before: they must be equal.
 */
#ifndef KML_SELFTEST_REGS_H
#define KML_SELFTEST_REGS_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __x86_64__
struct kml_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;		/*   0 */
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;		/*  56 */
	uint64_t rsp, rsp_before, flags, pad;			/* 120 */
	uint8_t xmm[16][16];					/* 152 */
	uint32_t mxcsr;						/* 408 */
	uint16_t fcw;						/* 412 */
	uint16_t pad2;
};

static_assert(offsetof(struct kml_regs, r8) == 56, "kml_regs layout");
static_assert(offsetof(struct kml_regs, rsp) == 120, "kml_regs layout");
static_assert(offsetof(struct kml_regs, xmm) == 152, "kml_regs layout");
static_assert(offsetof(struct kml_regs, mxcsr) == 408, "kml_regs layout");
static_assert(offsetof(struct kml_regs, fcw) == 412, "kml_regs layout");

/*
 * RFLAGS the snapshots run with: CF, PF, AF, ZF, SF, DF, OF and ID set,
 * IF set (ring 0 could clear it), never AC (alignment checks in ring 3),
 * TF, NT or IOPL.
 */
#define KML_FLAGS_PATTERN	0x200ed7UL
/* Round toward zero, flush to zero, exceptions masked. */
#define KML_MXCSR_PATTERN	0xff80U
/* Round toward zero, double precision, exceptions masked. */
#define KML_FCW_PATTERN		0x0e7fU

volatile uint64_t kml_spin_word __attribute__((used));
uint64_t kml_loop_count __attribute__((used)) = 100000;

void kml_regs_spin(const struct kml_regs *in, struct kml_regs *out);
void kml_regs_syscall(const struct kml_regs *in, struct kml_regs *out);
void kml_regs_loop(const struct kml_regs *in, struct kml_regs *out);
extern const char kml_regs_spin_loop[], kml_regs_spin_loop_end[];
extern const char kml_regs_syscall_insn[], kml_regs_syscall_ret[];

#define KML_REGS_BODY(name, event)					\
asm(".text\n"								\
"	.globl " #name "\n"						\
"	.type " #name ", @function\n"					\
#name ":\n"								\
"	pushq	%rbx\n"							\
"	pushq	%rbp\n"							\
"	pushq	%r12\n"							\
"	pushq	%r13\n"							\
"	pushq	%r14\n"							\
"	pushq	%r15\n"							\
"	pushfq\n"							\
"	subq	$16, %rsp\n"						\
"	stmxcsr	(%rsp)\n"						\
"	fnstcw	4(%rsp)\n"						\
"	pushq	%rsi\n"							\
"	movq	%rsp, 128(%rsi)\n"					\
"	ldmxcsr	408(%rdi)\n"						\
"	fldcw	412(%rdi)\n"						\
"	movdqu	152+16*0(%rdi), %xmm0\n"				\
"	movdqu	152+16*1(%rdi), %xmm1\n"				\
"	movdqu	152+16*2(%rdi), %xmm2\n"				\
"	movdqu	152+16*3(%rdi), %xmm3\n"				\
"	movdqu	152+16*4(%rdi), %xmm4\n"				\
"	movdqu	152+16*5(%rdi), %xmm5\n"				\
"	movdqu	152+16*6(%rdi), %xmm6\n"				\
"	movdqu	152+16*7(%rdi), %xmm7\n"				\
"	movdqu	152+16*8(%rdi), %xmm8\n"				\
"	movdqu	152+16*9(%rdi), %xmm9\n"				\
"	movdqu	152+16*10(%rdi), %xmm10\n"				\
"	movdqu	152+16*11(%rdi), %xmm11\n"				\
"	movdqu	152+16*12(%rdi), %xmm12\n"				\
"	movdqu	152+16*13(%rdi), %xmm13\n"				\
"	movdqu	152+16*14(%rdi), %xmm14\n"				\
"	movdqu	152+16*15(%rdi), %xmm15\n"				\
"	pushq	136(%rdi)\n"						\
"	popfq\n"							\
"	movq	0(%rdi), %rax\n"					\
"	movq	8(%rdi), %rbx\n"					\
"	movq	24(%rdi), %rdx\n"					\
"	movq	32(%rdi), %rsi\n"					\
"	movq	48(%rdi), %rbp\n"					\
"	movq	56(%rdi), %r8\n"					\
"	movq	64(%rdi), %r9\n"					\
"	movq	72(%rdi), %r10\n"					\
"	movq	80(%rdi), %r11\n"					\
"	movq	88(%rdi), %r12\n"					\
"	movq	96(%rdi), %r13\n"					\
"	movq	104(%rdi), %r14\n"					\
"	movq	112(%rdi), %r15\n"					\
"	movq	40(%rdi), %rdi\n"					\
	event								\
"	pushfq\n"							\
"	pushq	%rax\n"							\
"	movq	16(%rsp), %rax\n"					\
"	movq	%rbx, 8(%rax)\n"					\
"	movq	%rcx, 16(%rax)\n"					\
"	movq	%rdx, 24(%rax)\n"					\
"	movq	%rsi, 32(%rax)\n"					\
"	movq	%rdi, 40(%rax)\n"					\
"	movq	%rbp, 48(%rax)\n"					\
"	movq	%r8, 56(%rax)\n"					\
"	movq	%r9, 64(%rax)\n"					\
"	movq	%r10, 72(%rax)\n"					\
"	movq	%r11, 80(%rax)\n"					\
"	movq	%r12, 88(%rax)\n"					\
"	movq	%r13, 96(%rax)\n"					\
"	movq	%r14, 104(%rax)\n"					\
"	movq	%r15, 112(%rax)\n"					\
"	popq	0(%rax)\n"						\
"	popq	136(%rax)\n"						\
"	movq	%rsp, 120(%rax)\n"					\
"	movdqu	%xmm0, 152+16*0(%rax)\n"				\
"	movdqu	%xmm1, 152+16*1(%rax)\n"				\
"	movdqu	%xmm2, 152+16*2(%rax)\n"				\
"	movdqu	%xmm3, 152+16*3(%rax)\n"				\
"	movdqu	%xmm4, 152+16*4(%rax)\n"				\
"	movdqu	%xmm5, 152+16*5(%rax)\n"				\
"	movdqu	%xmm6, 152+16*6(%rax)\n"				\
"	movdqu	%xmm7, 152+16*7(%rax)\n"				\
"	movdqu	%xmm8, 152+16*8(%rax)\n"				\
"	movdqu	%xmm9, 152+16*9(%rax)\n"				\
"	movdqu	%xmm10, 152+16*10(%rax)\n"				\
"	movdqu	%xmm11, 152+16*11(%rax)\n"				\
"	movdqu	%xmm12, 152+16*12(%rax)\n"				\
"	movdqu	%xmm13, 152+16*13(%rax)\n"				\
"	movdqu	%xmm14, 152+16*14(%rax)\n"				\
"	movdqu	%xmm15, 152+16*15(%rax)\n"				\
"	stmxcsr	408(%rax)\n"						\
"	fnstcw	412(%rax)\n"						\
"	popq	%rsi\n"							\
"	ldmxcsr	(%rsp)\n"						\
"	fldcw	4(%rsp)\n"						\
"	addq	$16, %rsp\n"						\
"	popfq\n"							\
"	popq	%r15\n"							\
"	popq	%r14\n"							\
"	popq	%r13\n"							\
"	popq	%r12\n"							\
"	popq	%rbp\n"							\
"	popq	%rbx\n"							\
"	ret\n"								\
"	.size " #name ", . - " #name "\n")

/* MOV and JRCXZ leave RFLAGS alone. */
#define KML_SPIN_EVENT							\
"	.globl kml_regs_spin_loop\n"					\
"kml_regs_spin_loop:\n"						\
"	movq	kml_spin_word(%rip), %rcx\n"				\
"	jrcxz	kml_regs_spin_loop\n"					\
"	.globl kml_regs_spin_loop_end\n"				\
"kml_regs_spin_loop_end:\n"

/* LOOP leaves RFLAGS alone too. */
#define KML_LOOP_EVENT							\
"	movq	kml_loop_count(%rip), %rcx\n"				\
"1:	loop	1b\n"

#define KML_SYSCALL_EVENT						\
"	.globl kml_regs_syscall_insn\n"				\
"kml_regs_syscall_insn:\n"						\
"	syscall\n"							\
"	.globl kml_regs_syscall_ret\n"					\
"kml_regs_syscall_ret:\n"

KML_REGS_BODY(kml_regs_spin, KML_SPIN_EVENT);
KML_REGS_BODY(kml_regs_loop, KML_LOOP_EVENT);
KML_REGS_BODY(kml_regs_syscall, KML_SYSCALL_EVENT);

/* Fill @r with values that differ in every byte from register to register. */
static inline void kml_regs_fill(struct kml_regs *r, uint64_t seed)
{
	uint64_t *g = &r->rax;
	int i, j;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 15; i++)
		g[i] = 0x0101010101010101ULL * (i + 1) ^ seed;
	r->rcx = 0;
	r->flags = KML_FLAGS_PATTERN;
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			r->xmm[i][j] = (uint8_t)(0x11 * (i + 1) + j) ^ (uint8_t)seed;
	r->mxcsr = KML_MXCSR_PATTERN;
	r->fcw = KML_FCW_PATTERN;
}

static const char *const kml_reg_names[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10",
	"r11", "r12", "r13", "r14", "r15",
};

/*
 * Compare @got with @want and print every difference; @skip_mask has bit
 * N set for general-purpose register N (rax = 0 ... r15 = 14) not to be
 * compared. Returns the number of differences.
 */
static inline int kml_regs_diff(const struct kml_regs *want,
				const struct kml_regs *got, unsigned int skip_mask)
{
	const uint64_t *w = &want->rax, *g = &got->rax;
	int i, n = 0;

	for (i = 0; i < 15; i++) {
		if ((skip_mask & (1U << i)) || w[i] == g[i])
			continue;
		printf("# %s: want %#018llx, got %#018llx\n", kml_reg_names[i],
		       (unsigned long long)w[i], (unsigned long long)g[i]);
		n++;
	}
	if (got->rsp != got->rsp_before) {
		printf("# rsp: want %#llx, got %#llx\n",
		       (unsigned long long)got->rsp_before,
		       (unsigned long long)got->rsp);
		n++;
	}
	if (want->flags != got->flags) {
		printf("# rflags: want %#llx, got %#llx\n",
		       (unsigned long long)want->flags,
		       (unsigned long long)got->flags);
		n++;
	}
	for (i = 0; i < 16; i++) {
		if (!memcmp(want->xmm[i], got->xmm[i], 16))
			continue;
		printf("# xmm%d differs\n", i);
		n++;
	}
	if (want->mxcsr != got->mxcsr) {
		printf("# mxcsr: want %#x, got %#x\n", want->mxcsr, got->mxcsr);
		n++;
	}
	if (want->fcw != got->fcw) {
		printf("# x87 control word: want %#x, got %#x\n", want->fcw, got->fcw);
		n++;
	}
	return n;
}

/* Load other values into XMM0-15, MXCSR and the x87 control word. */
static inline void kml_clobber_fp(void)
{
	static const uint8_t junk[16] __attribute__((aligned(16))) = {
		0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
		0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
	};
	uint32_t mxcsr = 0x1f80 | 0x4000;	/* round up */
	uint16_t fcw = 0x077f;			/* round down */

	asm volatile("movdqa %0, %%xmm0\n movdqa %0, %%xmm1\n"
		     "movdqa %0, %%xmm2\n movdqa %0, %%xmm3\n"
		     "movdqa %0, %%xmm4\n movdqa %0, %%xmm5\n"
		     "movdqa %0, %%xmm6\n movdqa %0, %%xmm7\n"
		     "movdqa %0, %%xmm8\n movdqa %0, %%xmm9\n"
		     "movdqa %0, %%xmm10\n movdqa %0, %%xmm11\n"
		     "movdqa %0, %%xmm12\n movdqa %0, %%xmm13\n"
		     "movdqa %0, %%xmm14\n movdqa %0, %%xmm15\n"
		     "ldmxcsr %1\n fldcw %2\n"
		     : : "m" (junk), "m" (mxcsr), "m" (fcw)
		     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		       "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
		       "xmm13", "xmm14", "xmm15");
}

/* Load other values into the caller-saved general-purpose registers. */
static inline void kml_clobber_gprs(void)
{
	asm volatile("movabs $0xbad0bad0bad0bad0, %%rax\n"
		     "movq %%rax, %%rcx\n movq %%rax, %%rdx\n"
		     "movq %%rax, %%rsi\n movq %%rax, %%rdi\n"
		     "movq %%rax, %%r8\n movq %%rax, %%r9\n"
		     "movq %%rax, %%r10\n movq %%rax, %%r11\n"
		     "std\n cld\n"
		     : : : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
		       "r10", "r11", "cc", "memory");
}

/* The address of an assembler label, without declaring it in C. */
#define KML_LABEL(l) ({						\
	uint64_t __a;						\
	asm("leaq " #l "(%%rip), %0" : "=r" (__a));		\
	__a;							\
})

#else
/*
 * IA-32: the same with EAX-EBP, EFLAGS, XMM0-7, MXCSR and the x87 control
 * word; INT $0x80 is the system call instruction (EAX the number, EBX,
 * ECX, EDX, ESI, EDI, EBP the arguments; every register but EAX kept):
 *
 *	kml_regs_spin(in, out)     ECX is the loop register, as above
 *	kml_regs_loop(in, out)     as above, ECX ends up 0
 *	kml_regs_int80(in, out)    execute INT $0x80 with the registers of
 *	                           @in
 *
 * @out->esp is the stack pointer after the event, @out->esp_before the one
 * before: they must be equal.
 */
struct kml_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp;		/*   0 */
	uint32_t esp, esp_before, flags;			/*  28 */
	uint8_t xmm[8][16];					/*  40 */
	uint32_t mxcsr;						/* 168 */
	uint16_t fcw;						/* 172 */
	uint16_t pad2;
};

static_assert(offsetof(struct kml_regs, esp) == 28, "kml_regs layout");
static_assert(offsetof(struct kml_regs, xmm) == 40, "kml_regs layout");
static_assert(offsetof(struct kml_regs, mxcsr) == 168, "kml_regs layout");
static_assert(offsetof(struct kml_regs, fcw) == 172, "kml_regs layout");

/* As on x86-64 (bit 21 is ID, which every SSE2 CPU has). */
#define KML_FLAGS_PATTERN	0x200ed7UL
#define KML_MXCSR_PATTERN	0xff80U
#define KML_FCW_PATTERN		0x0e7fU

volatile uint32_t kml_spin_word __attribute__((used));
uint32_t kml_loop_count __attribute__((used)) = 100000;

void kml_regs_spin(const struct kml_regs *in, struct kml_regs *out);
void kml_regs_int80(const struct kml_regs *in, struct kml_regs *out);
void kml_regs_loop(const struct kml_regs *in, struct kml_regs *out);
extern const char kml_regs_spin_loop[], kml_regs_spin_loop_end[];
extern const char kml_regs_int80_insn[], kml_regs_int80_ret[];

/*
 * After the four pushes, PUSHF and the 8 bytes for MXCSR and FCW, @in is
 * at 32(%esp) and @out at 36(%esp); with EAX and EFLAGS pushed after the
 * event, @out is at 44(%esp).
 */
#define KML_REGS_BODY(name, event)					\
asm(".text\n"								\
"	.globl " #name "\n"						\
"	.type " #name ", @function\n"					\
#name ":\n"								\
"	pushl	%ebx\n"							\
"	pushl	%esi\n"							\
"	pushl	%edi\n"							\
"	pushl	%ebp\n"							\
"	pushfl\n"							\
"	subl	$8, %esp\n"						\
"	stmxcsr	(%esp)\n"						\
"	fnstcw	4(%esp)\n"						\
"	movl	36(%esp), %eax\n"					\
"	movl	%esp, 32(%eax)\n"					\
"	movl	32(%esp), %eax\n"					\
"	ldmxcsr	168(%eax)\n"						\
"	fldcw	172(%eax)\n"						\
"	movdqu	40+16*0(%eax), %xmm0\n"				\
"	movdqu	40+16*1(%eax), %xmm1\n"				\
"	movdqu	40+16*2(%eax), %xmm2\n"				\
"	movdqu	40+16*3(%eax), %xmm3\n"				\
"	movdqu	40+16*4(%eax), %xmm4\n"				\
"	movdqu	40+16*5(%eax), %xmm5\n"				\
"	movdqu	40+16*6(%eax), %xmm6\n"				\
"	movdqu	40+16*7(%eax), %xmm7\n"				\
"	pushl	36(%eax)\n"						\
"	popfl\n"							\
"	movl	4(%eax), %ebx\n"					\
"	movl	8(%eax), %ecx\n"					\
"	movl	12(%eax), %edx\n"					\
"	movl	16(%eax), %esi\n"					\
"	movl	20(%eax), %edi\n"					\
"	movl	24(%eax), %ebp\n"					\
"	movl	0(%eax), %eax\n"					\
	event								\
"	pushfl\n"							\
"	pushl	%eax\n"							\
"	movl	44(%esp), %eax\n"					\
"	movl	%ebx, 4(%eax)\n"					\
"	movl	%ecx, 8(%eax)\n"					\
"	movl	%edx, 12(%eax)\n"					\
"	movl	%esi, 16(%eax)\n"					\
"	movl	%edi, 20(%eax)\n"					\
"	movl	%ebp, 24(%eax)\n"					\
"	popl	0(%eax)\n"						\
"	popl	36(%eax)\n"						\
"	movl	%esp, 28(%eax)\n"					\
"	movdqu	%xmm0, 40+16*0(%eax)\n"				\
"	movdqu	%xmm1, 40+16*1(%eax)\n"				\
"	movdqu	%xmm2, 40+16*2(%eax)\n"				\
"	movdqu	%xmm3, 40+16*3(%eax)\n"				\
"	movdqu	%xmm4, 40+16*4(%eax)\n"				\
"	movdqu	%xmm5, 40+16*5(%eax)\n"				\
"	movdqu	%xmm6, 40+16*6(%eax)\n"				\
"	movdqu	%xmm7, 40+16*7(%eax)\n"				\
"	stmxcsr	168(%eax)\n"						\
"	fnstcw	172(%eax)\n"						\
"	ldmxcsr	(%esp)\n"						\
"	fldcw	4(%esp)\n"						\
"	addl	$8, %esp\n"						\
"	popfl\n"							\
"	popl	%ebp\n"							\
"	popl	%edi\n"							\
"	popl	%esi\n"							\
"	popl	%ebx\n"							\
"	ret\n"								\
"	.size " #name ", . - " #name "\n")

/* MOV and JECXZ leave EFLAGS alone. */
#define KML_SPIN_EVENT							\
"	.globl kml_regs_spin_loop\n"					\
"kml_regs_spin_loop:\n"						\
"	movl	kml_spin_word, %ecx\n"					\
"	jecxz	kml_regs_spin_loop\n"					\
"	.globl kml_regs_spin_loop_end\n"				\
"kml_regs_spin_loop_end:\n"

/* LOOP leaves EFLAGS alone too. */
#define KML_LOOP_EVENT							\
"	movl	kml_loop_count, %ecx\n"					\
"1:	loop	1b\n"

#define KML_INT80_EVENT							\
"	.globl kml_regs_int80_insn\n"					\
"kml_regs_int80_insn:\n"						\
"	int	$0x80\n"						\
"	.globl kml_regs_int80_ret\n"					\
"kml_regs_int80_ret:\n"

KML_REGS_BODY(kml_regs_spin, KML_SPIN_EVENT);
KML_REGS_BODY(kml_regs_loop, KML_LOOP_EVENT);
KML_REGS_BODY(kml_regs_int80, KML_INT80_EVENT);

/* Fill @r with values that differ in every byte from register to register. */
static inline void kml_regs_fill(struct kml_regs *r, uint32_t seed)
{
	uint32_t *g = &r->eax;
	int i, j;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 7; i++)
		g[i] = 0x01010101U * (i + 1) ^ seed;
	r->ecx = 0;
	r->flags = KML_FLAGS_PATTERN;
	for (i = 0; i < 8; i++)
		for (j = 0; j < 16; j++)
			r->xmm[i][j] = (uint8_t)(0x11 * (i + 1) + j) ^ (uint8_t)seed;
	r->mxcsr = KML_MXCSR_PATTERN;
	r->fcw = KML_FCW_PATTERN;
}

static const char *const kml_reg_names[] = {
	"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp",
};

/*
 * Compare @got with @want and print every difference; @skip_mask has bit
 * N set for general-purpose register N (eax = 0 ... ebp = 6) not to be
 * compared. Returns the number of differences.
 */
static inline int kml_regs_diff(const struct kml_regs *want,
				const struct kml_regs *got, unsigned int skip_mask)
{
	const uint32_t *w = &want->eax, *g = &got->eax;
	int i, n = 0;

	for (i = 0; i < 7; i++) {
		if ((skip_mask & (1U << i)) || w[i] == g[i])
			continue;
		printf("# %s: want %#010x, got %#010x\n", kml_reg_names[i],
		       w[i], g[i]);
		n++;
	}
	if (got->esp != got->esp_before) {
		printf("# esp: want %#x, got %#x\n", got->esp_before, got->esp);
		n++;
	}
	if (want->flags != got->flags) {
		printf("# eflags: want %#x, got %#x\n", want->flags, got->flags);
		n++;
	}
	for (i = 0; i < 8; i++) {
		if (!memcmp(want->xmm[i], got->xmm[i], 16))
			continue;
		printf("# xmm%d differs\n", i);
		n++;
	}
	if (want->mxcsr != got->mxcsr) {
		printf("# mxcsr: want %#x, got %#x\n", want->mxcsr, got->mxcsr);
		n++;
	}
	if (want->fcw != got->fcw) {
		printf("# x87 control word: want %#x, got %#x\n", want->fcw, got->fcw);
		n++;
	}
	return n;
}

/*
 * Load other values into XMM0-7, MXCSR and the x87 control word. (32-bit
 * code built without -msse uses no XMM register; gcc then takes none as a
 * clobber either.)
 */
static inline void kml_clobber_fp(void)
{
	static const uint8_t junk[16] __attribute__((aligned(16))) = {
		0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
		0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
	};
	uint32_t mxcsr = 0x1f80 | 0x4000;	/* round up */
	uint16_t fcw = 0x077f;			/* round down */

	asm volatile("movdqa %0, %%xmm0\n movdqa %0, %%xmm1\n"
		     "movdqa %0, %%xmm2\n movdqa %0, %%xmm3\n"
		     "movdqa %0, %%xmm4\n movdqa %0, %%xmm5\n"
		     "movdqa %0, %%xmm6\n movdqa %0, %%xmm7\n"
		     "ldmxcsr %1\n fldcw %2\n"
		     : : "m" (junk), "m" (mxcsr), "m" (fcw) : "memory");
}

/* Load other values into the caller-saved general-purpose registers. */
static inline void kml_clobber_gprs(void)
{
	asm volatile("movl $0xbad0bad0, %%eax\n"
		     "movl %%eax, %%ecx\n movl %%eax, %%edx\n"
		     "std\n cld\n"
		     : : : "eax", "ecx", "edx", "cc", "memory");
}

/*
 * The x87/SSE state of an IA-32 signal frame, as the kernel writes it
 * (struct _fpstate_32 of <asm/sigcontext.h>; glibc's struct
 * _libc_fpstate, which uc_mcontext.fpregs points to, has only the first
 * part): the legacy FSAVE image, then, with magic 0, the FXSAVE one.
 */
struct kml_fpstate32 {
	uint32_t cw, sw, tag, ipoff, cssel, dataoff, datasel;	/*   0 */
	uint8_t st[8][10];					/*  28 */
	uint16_t status, magic;					/* 108 */
	uint32_t fxsr_env[6];					/* 112 */
	uint32_t mxcsr, reserved;				/* 136 */
	uint8_t fxsr_st[8][16];					/* 144 */
	uint8_t xmm[8][16];					/* 272 */
};

static_assert(offsetof(struct kml_fpstate32, magic) == 110, "fpstate layout");
static_assert(offsetof(struct kml_fpstate32, mxcsr) == 136, "fpstate layout");
static_assert(offsetof(struct kml_fpstate32, xmm) == 272, "fpstate layout");

/* The address of an assembler label, without declaring it in C. */
#define KML_LABEL(l) ({						\
	uint32_t __a;						\
	asm("movl $" #l ", %0" : "=r" (__a));			\
	__a;							\
})
#endif

#endif /* KML_SELFTEST_REGS_H */
