// SPDX-License-Identifier: MIT
/*
 * panic_on_warn: a WARN() that panic_on_warn (the sysctl or boot option)
 * turned into a panic: "Kernel panic - not syncing: panic_on_warn set ..."
 * (older kernels) or "...: kernel: panic_on_warn set ..." (6.x).  The WARN
 * site is the evidence and the signature.
 */
#include <string.h>

#include "report.h"

static void sign_and_advise(struct kt_finding_draft *f, const struct kt_oops *oops)
{
	if (oops && oops->bug_file)
		kt_finding_sign(f, "site:%s", kt_site_file(oops->bug_file));
	kt_finding_advice(f, "panic_on_warn=1 (kernel.panic_on_warn, or the boot option) "
			  "made a warning fatal. On a production machine that is rarely "
			  "wanted: unset it unless this host is a fuzzing or CI machine.");
	if (oops && oops->has_rip) {
		char base[128];
		kt_function_base(oops->rip.function, base, sizeof(base));
		kt_finding_advice(f, "The warning itself is a kernel bug report: search the "
				  "changelog and lore.kernel.org for \"%s\"%s%s.", base,
				  oops->bug_file ? " and " : "",
				  oops->bug_file ? oops->bug_file : "");
	}
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	if (!kt_panic_says(facts, "panic_on_warn"))
		return;
	const struct kt_oops *warn = NULL;
	for (size_t i = 0; i < facts->nr_oopses; i++)
		if (facts->oopses[i].kind == KT_OOPS_WARN &&
		    kt_oops_caused_panic(facts, &facts->oopses[i]))
			warn = &facts->oopses[i];
	if (warn && kt_analysis_event_claimed(a, warn->line))
		return;
	struct kt_finding_draft *f;
	if (warn) {
		f = kt_oops_finding(a, "panic_on_warn", warn, 0.75);
		const char *where = warn->has_rip ? kt_frame_string(a->arena, &warn->rip) : "?";
		kt_finding_summary(f, "WARN at %s:%d in %s%s%s made fatal by panic_on_warn",
				   warn->bug_file ? warn->bug_file : "?", warn->bug_line, where,
				   warn->comm ? ", task " : "", warn->comm ? warn->comm : "");
	} else {
		f = kt_finding_new(a, "panic_on_warn", KT_CLAIM_PANIC, facts->panic_line, 0.5);
		kt_finding_add_panic(a, f);
		kt_finding_summary(f, "A WARN made fatal by panic_on_warn (the warning itself "
				      "is not in the log)");
		kt_analysis_note(a, "the WARN that panic_on_warn made fatal is not in the log");
	}
	sign_and_advise(f, warn);
	if (f && (f->pub.sources & KT_FROM_MEMORY))
		kt_finding_confidence(f, 0.9);
}

const struct kt_analyzer kt_analyzer_panic_on_warn = { "panic_on_warn", analyze };
