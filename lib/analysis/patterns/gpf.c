// SPDX-License-Identifier: MIT
/*
 * gpf: "general protection fault[, probably for non-canonical address X]"
 * and bad kernel paging requests ("BUG: unable to handle page fault for
 * address", "Unable to handle kernel paging request"): the kernel touched
 * an address that is not a valid kernel pointer.  A poison value in the
 * address or the registers says whose memory it was.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* A register holding a poison value, e.g. "RAX=dead000000000100 (LIST_POISON1...)". */
static void poisoned_registers(struct kt_finding_draft *f)
{
	for (size_t i = 0; i < f->pub.nr_registers; i++) {
		const struct kt_fact *r = &f->pub.registers[i];
		char *end;
		uint64_t value = strtoull(r->value, &end, 16);
		const char *poison = *end == '\0' ? kt_poison_name(value) : NULL;
		if (poison)
			kt_finding_fact(f, "poison", "%s=%s: %s", r->key, r->value, poison);
	}
}

static void analyze_oops(struct kt_analysis *a, const struct kt_oops *oops)
{
	struct kt_finding_draft *f = kt_oops_finding(a, "gpf", oops, 0.7);
	if (!f)
		return;
	const char *where = oops->has_rip ? kt_frame_string(a->arena, &oops->rip) : "unknown code";
	const char *what = oops->kind == KT_OOPS_GPF ? "General protection fault"
						     : "Bad kernel paging request";
	const char *poison = oops->has_address ? kt_poison_name(oops->address) : NULL;
	char address[96] = "";
	if (oops->has_address)
		snprintf(address, sizeof(address), " at 0x%" PRIx64 "%s", oops->address,
			 oops->kind == KT_OOPS_GPF ? " (non-canonical)" : "");
	kt_finding_summary(f, "%s%s in %s%s%s%s%s", what, address, where,
			   oops->pid >= 0 ? ", task " : "", oops->comm ? oops->comm : "",
			   poison ? ": " : "", poison ? poison : "");
	poisoned_registers(f);
	char base[128] = "the function at RIP";
	if (oops->has_rip)
		kt_function_base(oops->rip.function, base, sizeof(base));
	if (poison)
		kt_finding_advice(f, "The address is a poison value (%s): %s used memory its "
				  "owner had already released. Reproduce with KASAN or "
				  "slub_debug=FZP to catch the first bad access.", poison, base);
	else
		kt_finding_advice(f, "%s followed a pointer that is not a kernel address: a "
				  "use-after-free, an uninitialised pointer or memory corruption. "
				  "Reproduce with KASAN to find the first bad access.", base);
	kt_finding_advice(f, "Search the kernel changelog for fixes in \"%s\" (use-after-free, "
			  "general protection fault).", base);
	if (f->pub.sources & KT_FROM_MEMORY)
		kt_finding_confidence(f, 0.85);
}

KT_OOPS_PATTERN(gpf, KT_OOPS_KIND(KT_OOPS_GPF) | KT_OOPS_KIND(KT_OOPS_PAGE_FAULT))
