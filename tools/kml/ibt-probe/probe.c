// SPDX-License-Identifier: GPL-2.0
/*
 * kml_ibt_probe: does kernel IBT still enforce ENDBR64 for ordinary kernel
 * code? make test-ibt loads it once, last, on the boot in which trusted
 * programs ran in ring 0 without IBT enforcement: the KML context switch
 * must have turned enforcement back on for every other task.
 *
 * Its init makes an indirect call to kml_ibt_probe_noendbr, which has no
 * ENDBR64 (noendbr.S). Expected: the #CP handler reports "Missing ENDBR:
 * kml_ibt_probe_noendbr" and, as ibt=warn is not set, BUG()s: insmod dies
 * with an oops. If the call gets through, the init says so; it never
 * stays loaded.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <asm/msr.h>

int kml_ibt_probe_call(void);

static int __init kml_ibt_probe_init(void)
{
	u64 s_cet = 0;

	rdmsrl_safe(MSR_IA32_S_CET, &s_cet);
	pr_info("kml_ibt_probe: MSR_IA32_S_CET 0x%llx; indirect call to a function without ENDBR64\n",
		s_cet);
	if (kml_ibt_probe_call())
		pr_err("kml_ibt_probe: the call got through: IBT not enforced (or ibt=warn)\n");
	return -EINVAL;
}
module_init(kml_ibt_probe_init);

MODULE_DESCRIPTION("Kernel Mode Linux: check that kernel IBT is enforced");
MODULE_LICENSE("GPL");
