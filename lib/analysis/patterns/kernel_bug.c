// SPDX-License-Identifier: MIT
/*
 * kernel_bug: "kernel BUG at file:line!" (BUG_ON() with
 * CONFIG_DEBUG_BUGVERBOSE), or a bare "invalid opcode" / "Internal error:
 * Oops - BUG" when the kernel did not say where.  The assertion site is
 * the evidence; the line number changes between releases, the file and
 * function do not, so the signature keeps those.
 */
#include <string.h>

#include "report.h"

static void analyze_oops(struct kt_analysis *a, const struct kt_oops *oops)
{
	struct kt_finding_draft *f = kt_oops_finding(a, "kernel_bug", oops, 0.75);
	if (!f)
		return;
	const char *where = oops->has_rip ? kt_frame_string(a->arena, &oops->rip) : "unknown code";
	if (oops->bug_file)
		kt_finding_summary(f, "kernel BUG at %s:%d in %s%s%s%s", oops->bug_file,
				   oops->bug_line, where, oops->comm ? ", task " : "",
				   oops->comm ? oops->comm : "",
				   oops->pid >= 0 ? kt_arena_printf(a->arena, " (pid %d)", oops->pid) : "");
	else
		kt_finding_summary(f, "BUG() in %s%s%s", where, oops->comm ? ", task " : "",
				   oops->comm ? oops->comm : "");
	if (oops->bug_file)
		kt_finding_sign(f, "site:%s", kt_site_file(oops->bug_file));
	char base[128] = "the function at RIP";
	if (oops->has_rip)
		kt_function_base(oops->rip.function, base, sizeof(base));
	kt_finding_advice(f, "A BUG_ON() in %s found a state its code treats as impossible; "
			  "read the assertion at %s:%d in this kernel's source to see which "
			  "invariant broke.", base, oops->bug_file ? oops->bug_file : "(unknown)",
			  oops->bug_line);
	kt_finding_advice(f, "Search the changelog and lore.kernel.org for \"%s\" and "
			  "\"kernel BUG at %s\".", base, oops->bug_file ? oops->bug_file : base);
	if (f->pub.sources & KT_FROM_MEMORY)
		kt_finding_confidence(f, 0.9);
}

KT_OOPS_PATTERN(kernel_bug, KT_OOPS_KIND(KT_OOPS_BUG))
