// SPDX-License-Identifier: MIT
/*
 * null_deref: "BUG: kernel NULL pointer dereference, address: ..." (5.x+),
 * "BUG: unable to handle kernel NULL pointer dereference at ..." (older
 * x86), "Unable to handle kernel NULL pointer dereference at virtual
 * address ..." (arm, arm64).  The kernel prints these for faults below
 * PAGE_SIZE, so the address is the offset of the member read through a
 * NULL struct pointer.
 */
#include <inttypes.h>
#include <string.h>

#include "report.h"

/* "#PF: supervisor read access in kernel mode" */
static const char *access_kind(struct kt_analysis *a, const struct kt_oops *oops)
{
	for (size_t i = oops->line; i < oops->end && i < oops->line + 4; i++) {
		const char *s = kt_log_facts_line(a->facts, i);
		if (strstr(s, "instruction fetch"))
			return "instruction fetch";
		if (strstr(s, "write access") || strstr(s, "WnR = 1"))
			return "write";
		if (strstr(s, "read access") || strstr(s, "WnR = 0"))
			return "read";
	}
	return NULL;
}

/* "in kworker/u4:1 (pid 29), work statsagg_flush_work on events_unbound" */
static const char *context(struct kt_arena *arena, const struct kt_oops *oops)
{
	if (oops->workqueue) {
		char queue[64], work[128];
		if (sscanf(oops->workqueue, "%63s %127s", queue, work) == 2)
			return kt_arena_printf(arena, "work %s on workqueue %s, in %s (pid %d)",
					       work, queue, oops->comm ? oops->comm : "?",
					       oops->pid);
	}
	if (oops->pid >= 0)
		return kt_arena_printf(arena, "in %s (pid %d)", oops->comm ? oops->comm : "?",
				       oops->pid);
	return "";
}

static void analyze_oops(struct kt_analysis *a, const struct kt_oops *oops)
{
	struct kt_finding_draft *f = kt_oops_finding(a, "null_deref", oops, 0.75);
	if (!f)
		return;
	const char *access = access_kind(a, oops);
	if (access)
		kt_finding_fact(f, "access", "%s", access);
	const char *where = oops->has_rip ? kt_frame_string(a->arena, &oops->rip) : "unknown code";
	const struct kt_text_frame *caller = NULL;
	for (size_t i = 0; i < oops->trace.count && !caller; i++)
		if (!oops->trace.frames[i].unreliable)
			caller = &oops->trace.frames[i];
	bool null_call = !oops->has_rip && access && strcmp(access, "instruction fetch") == 0;
	if (null_call) {
		kt_finding_summary(f, "Call through a NULL function pointer%s%s, %s",
				   caller ? " from " : "",
				   caller ? kt_frame_string(a->arena, caller) : "",
				   context(a->arena, oops));
		kt_finding_advice(f, "A function pointer (an ops table entry, a callback) was "
				  "NULL when %s called it: find which pointer it calls and who "
				  "should have set it.", caller ? caller->function : "the caller");
	} else if (oops->has_address)
		kt_finding_summary(f, "NULL pointer dereference (%s of address 0x%" PRIx64 ") in %s, %s",
				   access ? access : "access", oops->address, where,
				   context(a->arena, oops));
	else
		kt_finding_summary(f, "NULL pointer dereference in %s, %s", where,
				   context(a->arena, oops));
	char base[128] = "the function at RIP";
	if (oops->has_rip)
		kt_function_base(oops->rip.function, base, sizeof(base));
	if (oops->has_address && oops->address && oops->address < 0x1000)
		kt_finding_advice(f, "%s read a member at offset 0x%" PRIx64 " of a struct "
				  "through a NULL pointer: find which pointer it loads at that "
				  "offset (disassemble %s around +0x%" PRIx64 ") and why it was "
				  "NULL (not yet initialised, already torn down, or a missing "
				  "NULL check).", base, oops->address, base,
				  oops->has_rip ? oops->rip.offset : 0);
	else
		kt_finding_advice(f, "%s dereferenced a NULL pointer: look for a missing NULL "
				  "check or an object used before initialisation or after teardown.",
				  base);
	if (oops->workqueue)
		kt_finding_advice(f, "It ran as a work item (%s): check the lifetime of the "
				  "object the work uses against the code that queues and cancels it.",
				  oops->workqueue);
	kt_finding_advice(f, "Search the kernel changelog and lore.kernel.org for \"%s\" "
			  "together with \"NULL pointer dereference\".", base);
	if (f->pub.sources & KT_FROM_MEMORY)
		kt_finding_confidence(f, 0.9);
}

KT_OOPS_PATTERN(null_deref, KT_OOPS_KIND(KT_OOPS_NULL_DEREF))
