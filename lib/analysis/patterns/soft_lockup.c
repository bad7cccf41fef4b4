// SPDX-License-Identifier: MIT
/*
 * soft_lockup: "watchdog: BUG: soft lockup - CPU#3 stuck for 22s!
 * [systemd:1]" (kernel/watchdog.c): a CPU ran kernel code without
 * scheduling for 2 * watchdog_thresh seconds.  The stuck code is the RIP
 * and the frames under the detector's hrtimer interrupt; softlockup_panic
 * makes it "Kernel panic - not syncing: softlockup: hung tasks".
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

struct detection {
	size_t line, count;
	int cpu, pid;
	unsigned seconds;
	char comm[64];
};

static bool parse(const char *s, struct detection *d)
{
	const char *p = strstr(s, "soft lockup - CPU#");
	if (!p)
		return false;
	if (sscanf(p, "soft lockup - CPU#%d stuck for %us!", &d->cpu, &d->seconds) != 2)
		return false;
	const char *open = strchr(p, '['), *close = open ? strrchr(open, ']') : NULL;
	d->pid = -1;
	d->comm[0] = '\0';
	if (open && close) {
		const char *colon = close;
		while (colon > open && *colon != ':')
			colon--;
		if (colon > open) {
			snprintf(d->comm, sizeof(d->comm), "%.*s", (int)(colon - open - 1), open + 1);
			sscanf(colon + 1, "%d", &d->pid);
		}
	}
	return true;
}

static void advise(struct kt_finding_draft *f, bool panic)
{
	kt_finding_advice(f, "The CPU looped in kernel code without scheduling: look at the "
			  "RIP and the frames under it for a spin on a lock (queued_spin_lock_"
			  "slowpath: find the holder), an interrupt storm (__do_softirq, irq "
			  "handlers) or a busy-wait loop.");
	kt_finding_advice(f, "In a virtual machine, host overcommit or a paused vCPU also "
			  "trips the detector: compare with the hypervisor's steal time.");
	if (panic)
		kt_finding_advice(f, "kernel.softlockup_panic=1 made the lockup fatal.");
}

/* The first detector line, and how many there are. */
static struct detection first_detection(struct kt_analysis *a)
{
	struct detection d = { .line = SIZE_MAX };
	size_t n = kt_log_text_count(a->log);
	for (size_t i = 0; i < n; i++) {
		struct detection here;
		if (!parse(kt_log_facts_line(a->facts, i), &here))
			continue;
		if (d.line == SIZE_MAX) {
			d = here;
			d.line = i;
		}
		d.count++;
	}
	return d;
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	size_t n = kt_log_text_count(a->log);
	struct detection d = first_detection(a);
	if (d.line == SIZE_MAX || kt_analysis_event_claimed(a, d.line))
		return;
	bool panic = kt_panic_says(facts, "softlockup") || kt_panic_says(facts, "soft lockup");
	struct kt_finding_draft *f = kt_finding_new(a, "soft_lockup",
						    panic ? KT_CLAIM_PANIC : KT_CLAIM_NOTE, d.line, 0.7);
	if (!f)
		return;
	struct kt_oops report;
	kt_lockup_report(a, d.line, d.line + 150 < n ? d.line + 150 : n, &report);
	if (!report.has_rip && !report.trace.count && panic) {
		/* softlockup_panic: the stack and the interrupted RIP follow the panic */
		kt_lockup_report(a, facts->panic_line,
				 facts->panic_line + 150 < n ? facts->panic_line + 150 : n, &report);
		report.line = d.line;
	}
	const struct kt_text_trace *trace = &report.trace;
	size_t culprit = kt_lockup_culprit(trace);
	kt_finding_add_line(f, d.line);
	if (panic)
		kt_finding_add_panic(a, f);
	kt_finding_add_lines(f, d.line, report.end);
	struct kt_evidence_task *t = kt_lockup_task(
		a, f, d.pid, d.comm, trace, culprit,
		kt_arena_printf(a->arena, "ran without scheduling on CPU %d for %us", d.cpu, d.seconds));
	if (t) {
		t->state = "R";
		const struct kt_task *task = kt_model_task(a, d.pid);
		if (task && strncmp(task->comm, d.comm, 15) == 0) {
			t->sources |= KT_FROM_MEMORY;
			kt_finding_add_sources(f, KT_FROM_MEMORY);
		}
	}
	kt_finding_fact(f, "cpu", "%d", d.cpu);
	kt_finding_fact(f, "stuck_seconds", "%u", d.seconds);
	if (d.count > 1)
		kt_finding_fact(f, "reports", "%zu", d.count);
	const struct kt_text_frame *where = report.has_rip ? &report.rip
					    : culprit < trace->count ? &trace->frames[culprit] : NULL;
	if (where)
		kt_finding_fact(f, "rip", "%s", kt_frame_string(a->arena, where));
	if (report.has_rip)
		kt_finding_registers_from(f, &(struct kt_oops){ .has_rip = true,
								 .rip_line = report.rip_line,
								 .end = report.end });
	struct kt_text_trace rest = kt_lockup_rest(trace, culprit);
	kt_finding_sign_frames(f, where, &rest, 3);
	const char *spin = kt_lockup_spin_text(a, f, d.cpu);
	kt_finding_summary(f, "Soft lockup: CPU#%d stuck for %us in %s (%s, pid %d)%s%s", d.cpu,
			   d.seconds, where ? kt_frame_string(a->arena, where) : "code the log does not show",
			   d.comm, d.pid, d.count > 1 ? kt_arena_printf(a->arena, "; %zu reports", d.count) : "",
			   spin);
	advise(f, panic);
	if (f->pub.sources & KT_FROM_MEMORY)
		kt_finding_confidence(f, 0.85);
}

const struct kt_analyzer kt_analyzer_soft_lockup = { "soft_lockup", analyze };
