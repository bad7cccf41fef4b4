// SPDX-License-Identifier: MIT
/* The evidence every oops-type finding carries, in one place. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

const char *kt_frame_string(struct kt_arena *arena, const struct kt_text_frame *frame)
{
	char size[32] = "";
	if (frame->size)
		snprintf(size, sizeof(size), "/0x%" PRIx64, frame->size);
	return kt_arena_printf(arena, "%s+0x%" PRIx64 "%s%s%s%s", frame->function,
			       frame->offset, size, frame->module ? " [" : "",
			       frame->module ? frame->module : "", frame->module ? "]" : "");
}

void kt_finding_add_panic(struct kt_analysis *a, struct kt_finding_draft *f)
{
	const struct kt_log_facts *facts = a->facts;
	if (!f || !facts->has_panic)
		return;
	kt_finding_add_line(f, facts->panic_line);
	kt_finding_claim_event(f, facts->panic_line);
}

/* "statsagg(OE)" in "Modules linked in:": the module's taint flags. */
static bool module_flags(const struct kt_log_facts *facts, const char *module,
			 char *flags, size_t size)
{
	if (!facts->modules || !module)
		return false;
	size_t len = strlen(module);
	for (const char *p = strstr(facts->modules, module); p; p = strstr(p + 1, module)) {
		bool starts = p == facts->modules || p[-1] == ' ';
		if (!starts || (p[len] != '(' && p[len] != ' ' && p[len] != '\0'))
			continue;
		if (p[len] == '(') {
			size_t n = strcspn(p + len + 1, ")");
			snprintf(flags, size, "%.*s", (int)n, p + len + 1);
		} else {
			snprintf(flags, size, "%s", "");
		}
		return true;
	}
	return false;
}

static void module_evidence(struct kt_analysis *a, struct kt_finding_draft *f,
			    const char *module)
{
	char flags[32], memory_flags[32];
	if (!module)
		return;
	kt_finding_fact(f, "module", "%s", module);
	bool listed = module_flags(a->facts, module, flags, sizeof(flags));
	if (kt_model_module_taints(a, module, memory_flags, sizeof(memory_flags))) {
		snprintf(flags, sizeof(flags), "%s", memory_flags);
		listed = true;
		kt_finding_add_sources(f, KT_FROM_MEMORY);
	}
	if (listed && *flags)
		kt_finding_fact(f, "module_taint", "%s", flags);
	if (listed && (strchr(flags, 'O') || strchr(flags, 'P')))
		kt_finding_advice(f, "The crash is in %s, an out-of-tree%s module (taint %s): "
				  "take it to its vendor, or reproduce without it before "
				  "reporting upstream.", module,
				  strchr(flags, 'P') ? " proprietary" : "", flags);
}

/* The crashing task as evidence, its stack from memory when the dump has it. */
static void task_evidence(struct kt_analysis *a, struct kt_finding_draft *f,
			  const struct kt_oops *oops)
{
	if (oops->pid < 0)
		return;
	struct kt_evidence_task *t = kt_finding_add_task(f, oops->pid, oops->comm, KT_FROM_LOG);
	if (!t)
		return;
	t->role = oops->kind == KT_OOPS_WARN ? "warned" : "crashed";
	t->state = "R";
	kt_task_set_frames(f, t, &oops->trace);
	/* The task on the oops's CPU at the crash; idle tasks all have pid 0. */
	const struct kt_task *task = a->kernel && oops->cpu >= 0
					     ? kt_task_current(a->kernel, (unsigned)oops->cpu) : NULL;
	if (!task || task->pid != oops->pid)
		task = oops->pid > 0 ? kt_model_task(a, oops->pid) : NULL;
	if (task && (!oops->comm || strncmp(task->comm, oops->comm, 15) == 0)) {
		t->sources |= KT_FROM_MEMORY;
		kt_finding_add_sources(f, KT_FROM_MEMORY);
	}
}

struct kt_finding_draft *kt_oops_finding(struct kt_analysis *a, const char *verdict,
					 const struct kt_oops *oops, double confidence)
{
	const struct kt_log_facts *facts = a->facts;
	enum kt_claim claim = kt_oops_caused_panic(facts, oops) ? KT_CLAIM_PANIC
			      : oops->kind == KT_OOPS_WARN ? KT_CLAIM_NOTE
							   : KT_CLAIM_FATAL;
	struct kt_finding_draft *f = kt_finding_new(a, verdict, claim, oops->line, confidence);
	if (!f)
		return NULL;
	kt_finding_add_lines(f, oops->line, oops->end);
	if (claim == KT_CLAIM_PANIC)
		kt_finding_add_panic(a, f);
	task_evidence(a, f, oops);
	if (oops->has_rip) {
		char base[128];
		kt_function_base(oops->rip.function, base, sizeof(base));
		kt_finding_fact(f, "rip", "%s", kt_frame_string(f->arena, &oops->rip));
		kt_finding_fact(f, "function", "%s", base);
	}
	if (oops->has_address)
		kt_finding_fact(f, "fault_address", "0x%" PRIx64, oops->address);
	if (oops->bug_file)
		kt_finding_fact(f, "site", "%s:%d", oops->bug_file, oops->bug_line);
	if (oops->cpu >= 0)
		kt_finding_fact(f, "cpu", "%d", oops->cpu);
	if (oops->workqueue)
		kt_finding_fact(f, "workqueue", "%s", oops->workqueue);
	if (oops->taint)
		kt_finding_fact(f, "taint", "%s", oops->taint);
	if (oops->number)
		kt_finding_fact(f, "oops", "#%d", oops->number);
	if (oops->in_interrupt)
		kt_finding_fact(f, "context", "interrupt");
	module_evidence(a, f, oops->has_rip ? oops->rip.module : NULL);
	kt_finding_registers_from(f, oops);
	kt_finding_sign_frames(f, oops->has_rip ? &oops->rip : NULL, &oops->trace, 4);
	return f;
}

void kt_each_oops(struct kt_analysis *a, unsigned kinds,
		  void (*fn)(struct kt_analysis *a, const struct kt_oops *oops))
{
	const struct kt_log_facts *facts = a->facts;
	for (size_t i = 0; i < facts->nr_oopses; i++) {
		const struct kt_oops *oops = &facts->oopses[i];
		if ((kinds & KT_OOPS_KIND(oops->kind)) && !kt_analysis_event_claimed(a, oops->line))
			fn(a, oops);
	}
}
