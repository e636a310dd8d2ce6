/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An indirect call to a function without ENDBR64, as the kernel's own
 * ibt_selftest() makes one: with supervisor IBT enforced, the CPU raises
 * #CP at kml_ibt_probe_noendbr.
 */
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/nospec-branch.h>

SYM_CODE_START(kml_ibt_probe_noendbr)
	ANNOTATE_NOENDBR
	UNWIND_HINT_FUNC
	movl	$1, %eax		/* reached: IBT did not stop the call */
	RET
SYM_CODE_END(kml_ibt_probe_noendbr)

/* int kml_ibt_probe_call(void): returns 1 if the call got through. */
SYM_FUNC_START(kml_ibt_probe_call)
	leaq	kml_ibt_probe_noendbr(%rip), %rax
	ANNOTATE_RETPOLINE_SAFE
	call	*%rax
	RET
SYM_FUNC_END(kml_ibt_probe_call)
