// SPDX-License-Identifier: MIT
/*
 * sysrq: a crash somebody asked for with SysRq-c: "sysrq: Trigger a crash"
 * ("SysRq : Trigger a crash" before 5.x), then "Kernel panic - not syncing:
 * sysrq triggered crash" (4.x+) or, on older kernels, a deliberate NULL
 * dereference in sysrq_handle_crash.  Not a kernel bug: the question is
 * who asked, and why.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

static bool is_trigger(const char *s)
{
	return (strstr(s, "sysrq: ") || strstr(s, "SysRq : ") || strstr(s, "sysrq:")) &&
	       strstr(s, "Trigger a crash");
}

/* How the request came: /proc/sysrq-trigger, the keyboard, a serial break. */
static const char *origin(const struct kt_text_trace *trace)
{
	for (size_t i = 0; i < trace->count; i++) {
		const char *fn = trace->frames[i].function;
		if (kt_function_is(fn, "write_sysrq_trigger"))
			return "/proc/sysrq-trigger";
		if (kt_function_has_prefix(fn, "kbd_") || kt_function_has_prefix(fn, "sysrq_filter") ||
		    kt_function_has_prefix(fn, "input_"))
			return "the keyboard (Alt-SysRq-c)";
		if (kt_function_has_prefix(fn, "uart_") || kt_function_has_prefix(fn, "serial") ||
		    strstr(fn, "handle_sysrq_char"))
			return "a serial console break";
	}
	return NULL;
}

/* The deliberate oops in sysrq_handle_crash (old kernels), if any. */
static const struct kt_oops *crash_oops(const struct kt_log_facts *facts)
{
	const struct kt_oops *oops = NULL;
	for (size_t i = 0; i < facts->nr_oopses; i++)
		if (facts->oopses[i].has_rip &&
		    kt_function_is(facts->oopses[i].rip.function, "sysrq_handle_crash"))
			oops = &facts->oopses[i];
	return oops;
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	size_t trigger = kt_log_facts_find(facts, 0, "Trigger a crash");
	while (trigger != SIZE_MAX && !is_trigger(kt_log_facts_line(facts, trigger)))
		trigger = kt_log_facts_find(facts, trigger + 1, "Trigger a crash");
	bool panic = kt_panic_says(facts, "sysrq triggered crash");
	const struct kt_oops *oops = crash_oops(facts);
	if (trigger == SIZE_MAX && !panic && !oops)
		return;
	enum kt_claim claim = panic || (oops && kt_oops_caused_panic(facts, oops)) ? KT_CLAIM_PANIC
			      : KT_CLAIM_FATAL;
	size_t event = trigger != SIZE_MAX ? trigger : oops ? oops->line : facts->panic_line;
	struct kt_finding_draft *f = kt_finding_new(a, "sysrq", claim, event, 0.75);
	if (!f)
		return;
	if (trigger != SIZE_MAX)
		kt_finding_add_line(f, trigger);
	if (oops) {
		kt_finding_claim_event(f, oops->line);
		kt_finding_add_lines(f, oops->line, oops->line + 1);
		kt_finding_fact(f, "crash", "NULL dereference in sysrq_handle_crash (by design)");
	}
	if (facts->has_panic) {
		kt_finding_add_panic(a, f);
		kt_finding_add_lines(f, facts->panic_line + 1, facts->panic_trace.end_line);
	}
	int pid = oops ? oops->pid : facts->panic_pid;
	const char *comm = oops ? oops->comm : facts->panic_comm;
	const struct kt_text_trace *trace = oops ? &oops->trace : &facts->panic_trace;
	const char *from = origin(trace);
	if (pid >= 0) {
		struct kt_evidence_task *t = kt_finding_add_task(f, pid, comm, KT_FROM_LOG);
		if (t) {
			t->role = "wrote the sysrq trigger";
			t->state = "R";
			kt_task_set_frames(f, t, trace);
		}
		const struct kt_task *task = kt_model_task(a, pid);
		if (t && task && (!comm || strncmp(task->comm, comm, 15) == 0)) {
			t->sources |= KT_FROM_MEMORY;
			kt_finding_add_sources(f, KT_FROM_MEMORY);
			kt_finding_confidence(f, 0.95);
		}
	}
	kt_finding_fact(f, "origin", "%s", from ? from : "unknown");
	kt_finding_sign(f, "origin:%s", from ? from : "unknown");
	kt_finding_summary(f, "Crash requested with SysRq-c%s%s%s%s: not a kernel bug",
			   from ? " through " : "", from ? from : "",
			   comm ? kt_arena_printf(a->arena, " by %s", comm) : "",
			   pid >= 0 ? kt_arena_printf(a->arena, " (pid %d)", pid) : "");
	kt_finding_advice(f, "Someone or something asked for this crash (echo c > "
			  "/proc/sysrq-trigger, Alt-SysRq-c, or a serial break): a kdump test, "
			  "an administrator, or a watchdog/hang-detection agent.");
	kt_finding_advice(f, "If it was meant to capture a hang, the interesting evidence is "
			  "before the trigger: look for hung tasks, lockups or stalls earlier in "
			  "the log and in this dump's blocked tasks.");
}

const struct kt_analyzer kt_analyzer_sysrq = { "sysrq", analyze };
