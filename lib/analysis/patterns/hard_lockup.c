// SPDX-License-Identifier: MIT
/*
 * hard_lockup: "Watchdog detected hard LOCKUP on cpu N" (the NMI/perf
 * watchdog, kernel/watchdog.c or watchdog_hld.c): a CPU took no timer
 * interrupt for watchdog_thresh seconds: interrupts were off.  Older
 * kernels print it as a WARN in watchdog_overflow_callback; with
 * hardlockup_panic the panic is "Hard LOCKUP".  The stuck code is the RIP
 * under the NMI.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

/* A WARN that carries the message is this event, not a finding of its own. */
static const struct kt_oops *carrying_warn(const struct kt_log_facts *facts, size_t line)
{
	const struct kt_oops *warn = NULL;
	for (size_t i = 0; i < facts->nr_oopses; i++) {
		const struct kt_oops *o = &facts->oopses[i];
		if (o->kind == KT_OOPS_WARN && o->line <= line && line < o->end)
			warn = o;
	}
	return warn;
}

/* "Watchdog detected hard LOCKUP on cpu N": N, or -1. */
static int lockup_cpu(const char *text)
{
	int cpu = -1;
	const char *p = strstr(text, "LOCKUP on cpu ");
	if (p)
		sscanf(p, "LOCKUP on cpu %d", &cpu);
	return cpu;
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	size_t line = kt_log_facts_find(facts, 0, "hard LOCKUP on cpu");
	bool panic = kt_panic_says(facts, "Hard LOCKUP") || kt_panic_says(facts, "hard LOCKUP");
	if (line == SIZE_MAX && !panic)
		return;
	if (line == SIZE_MAX)
		line = facts->panic_line;
	const struct kt_oops *warn = carrying_warn(facts, line);
	size_t event = warn ? warn->line : line;
	if (kt_analysis_event_claimed(a, event))
		return;
	struct kt_finding_draft *f = kt_finding_new(a, "hard_lockup",
						    panic ? KT_CLAIM_PANIC : KT_CLAIM_NOTE, event, 0.7);
	if (!f)
		return;
	kt_finding_claim_event(f, line);
	int cpu = lockup_cpu(kt_log_facts_line(facts, line));
	struct kt_oops report;
	size_t n = kt_log_text_count(a->log);
	if (warn)
		report = *warn;
	else
		kt_lockup_report(a, line, line + 150 < n ? line + 150 : n, &report);
	if (!warn && !report.has_rip && !report.trace.count && panic && line != facts->panic_line)
		kt_lockup_report(a, facts->panic_line,
				 facts->panic_line + 150 < n ? facts->panic_line + 150 : n, &report);
	const struct kt_text_trace *trace = &report.trace;
	size_t culprit = kt_lockup_culprit(trace);
	kt_finding_add_lines(f, event, report.end > event ? report.end : event + 1);
	if (panic)
		kt_finding_add_panic(a, f);
	const struct kt_text_frame *where = report.has_rip && !warn ? &report.rip
					    : culprit < trace->count ? &trace->frames[culprit] : NULL;
	struct kt_evidence_task *t = report.pid < 0 ? NULL :
		kt_lockup_task(a, f, report.pid, report.comm, trace, culprit,
			       kt_arena_printf(a->arena, "running with interrupts off on CPU %d", cpu));
	if (t)
		t->state = "R";
	if (cpu >= 0)
		kt_finding_fact(f, "cpu", "%d", cpu);
	if (where)
		kt_finding_fact(f, "rip", "%s", kt_frame_string(a->arena, where));
	struct kt_text_trace rest = kt_lockup_rest(trace, culprit);
	kt_finding_sign_frames(f, where, &rest, 3);
	kt_finding_summary(f, "Hard lockup on CPU %d%s%s%s: no timer interrupt for "
			   "watchdog_thresh seconds%s", cpu, where ? " in " : "",
			   where ? kt_frame_string(a->arena, where) : "",
			   report.comm ? kt_arena_printf(a->arena, " (%s, pid %d)", report.comm,
							 report.pid) : "",
			   kt_lockup_spin_text(a, f, cpu));
	kt_finding_advice(f, "Interrupts stayed disabled on that CPU: look for a spinlock "
			  "taken with spin_lock_irqsave and never released (its holder), a "
			  "loop with interrupts off, or firmware (SMI) stalls.");
	if (panic)
		kt_finding_advice(f, "kernel.hardlockup_panic=1 (or nmi_watchdog=panic) made it fatal.");
}

const struct kt_analyzer kt_analyzer_hard_lockup = { "hard_lockup", analyze };
