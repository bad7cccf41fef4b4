// SPDX-License-Identifier: MIT
/*
 * rcu_stall: an RCU grace period did not end (kernel/rcu/tree_stall.h):
 *   "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:"
 *   "rcu: INFO: rcu_preempt self-detected stall on CPU"
 *   "INFO: rcu_sched detected expedited stalls on CPUs/tasks: { 0-... }"
 *   "\t0-...!: (1 GPs behind) idle=d09/1/0 softirq=1302/3861 fqs=20997"
 *   "\t(detected by 3, t=21010 jiffies, g=-93, q=1)"
 *   "rcu: rcu_sched kthread starved for 38227 jiffies! g... RCU_GP_WAIT_FQS(5) ..."
 * with panic_on_rcu_stall: "Kernel panic - not syncing: RCU Stall".
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct stall {
	size_t line, count, starved_line;
	char flavour[24];
	char cpus[96];
	long jiffies, starved;
	int detected_by;
	char gp_state[48];
};

static bool is_header(const char *s)
{
	return strstr(s, "detected stalls on CPUs") || strstr(s, "self-detected stall on CPU") ||
	       strstr(s, "detected expedited stalls");
}

static void flavour(const char *s, char *out, size_t size)
{
	const char *p = strstr(s, "rcu_");
	if (!p) {
		snprintf(out, size, "rcu");
		return;
	}
	size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
	snprintf(out, size, "%.*s", (int)n, p);
}

/* "0-...!: (1 GPs behind)" or "rcu: \t2-....: (5249 ticks this GP)": the CPU. */
static int stalled_cpu(const char *s)
{
	if (strncmp(s, "rcu:", 4) == 0)
		s += 4;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	char *end;
	long cpu = strtol(s, &end, 10);
	return *end == '-' && (end[1] == '.' || end[1] == '!' || isdigit((unsigned char)end[1]))
		       ? (int)cpu : -1;
}

static void add_cpu(struct stall *st, int cpu)
{
	char text[16];
	snprintf(text, sizeof(text), "%s%d", st->cpus[0] ? "," : "", cpu);
	char needle[16];
	snprintf(needle, sizeof(needle), "%d", cpu);
	/* exact membership in "0,2,13" */
	for (const char *p = st->cpus; *p;) {
		size_t n = strcspn(p, ",");
		if (n == strlen(needle) && strncmp(p, needle, n) == 0)
			return;
		p += n + (p[n] == ',');
	}
	if (strlen(st->cpus) + strlen(text) < sizeof(st->cpus))
		strcat(st->cpus, text);
}

/* The first report in detail; later ones are counted. */
static bool scan(struct kt_analysis *a, struct stall *st)
{
	*st = (struct stall){ .line = SIZE_MAX, .starved_line = SIZE_MAX, .detected_by = -1 };
	size_t n = kt_log_text_count(a->log);
	for (size_t i = 0; i < n; i++) {
		const char *s = kt_log_facts_line(a->facts, i);
		if (is_header(s)) {
			st->count++;
			if (st->line == SIZE_MAX) {
				st->line = i;
				flavour(s, st->flavour, sizeof(st->flavour));
			}
			continue;
		}
		if (st->line == SIZE_MAX)
			continue;
		const char *p;
		if (st->count == 1 && stalled_cpu(s) >= 0)
			add_cpu(st, stalled_cpu(s));
		if (st->count == 1 && (p = strstr(s, "(detected by ")))
			sscanf(p, "(detected by %d, t=%ld jiffies", &st->detected_by, &st->jiffies);
		if (st->count == 1 && (p = strstr(s, "(t=")) && !st->jiffies)
			sscanf(p, "(t=%ld jiffies", &st->jiffies);
		if (st->starved_line == SIZE_MAX && (p = strstr(s, "kthread starved for "))) {
			st->starved_line = i;
			st->starved = atol(p + 20);
			const char *gp = strstr(s, "RCU_GP_");
			if (gp)
				snprintf(st->gp_state, sizeof(st->gp_state), "%.*s",
					 (int)strcspn(gp, " "), gp);
		}
	}
	return st->line != SIZE_MAX;
}

static void stall_facts(struct kt_finding_draft *f, const struct stall *st)
{
	kt_finding_fact(f, "flavour", "%s", st->flavour);
	if (st->cpus[0])
		kt_finding_fact(f, "stalled_cpus", "%s", st->cpus);
	if (st->detected_by >= 0)
		kt_finding_fact(f, "detected_by", "%d", st->detected_by);
	if (st->jiffies)
		kt_finding_fact(f, "jiffies", "%ld", st->jiffies);
	if (st->starved)
		kt_finding_fact(f, "kthread_starved_jiffies", "%ld", st->starved);
	if (st->gp_state[0])
		kt_finding_fact(f, "gp_state", "%s", st->gp_state);
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	struct stall st;
	if (!scan(a, &st) || kt_analysis_event_claimed(a, st.line))
		return;
	bool panic = kt_panic_says(facts, "RCU Stall") || kt_panic_says(facts, "RCU stall");
	struct kt_finding_draft *f = kt_finding_new(a, "rcu_stall",
						    panic ? KT_CLAIM_PANIC : KT_CLAIM_NOTE, st.line, 0.7);
	if (!f)
		return;
	struct kt_oops report;
	size_t n = kt_log_text_count(a->log);
	kt_lockup_report(a, st.line, st.line + 120 < n ? st.line + 120 : n, &report);
	size_t culprit = kt_lockup_culprit(&report.trace);
	kt_finding_add_lines(f, st.line, report.end > st.line + 40 ? st.line + 40 : report.end);
	if (st.starved_line != SIZE_MAX)
		kt_finding_add_line(f, st.starved_line);
	if (panic)
		kt_finding_add_panic(a, f);
	const struct kt_text_frame *where = report.has_rip ? &report.rip
					    : culprit < report.trace.count ? &report.trace.frames[culprit] : NULL;
	if (where && kt_function_is_plumbing(where->function) && !report.has_rip)
		where = NULL;
	if (report.pid >= 0)
		kt_lockup_task(a, f, report.pid, report.comm, &report.trace, culprit,
			       "on the stalled CPU");
	stall_facts(f, &st);
	if (where)
		kt_finding_fact(f, "rip", "%s", kt_frame_string(a->arena, where));
	if (st.count > 1)
		kt_finding_fact(f, "reports", "%zu", st.count);
	kt_finding_sign(f, "flavour:%s", st.flavour);
	kt_finding_sign(f, "starved:%d", st.starved > 0);
	if (where) {
		struct kt_text_trace rest = kt_lockup_rest(&report.trace, culprit);
		kt_finding_sign_frames(f, where, &rest, 2);
	}
	int first_cpu = st.cpus[0] ? atoi(st.cpus) : -1;
	kt_finding_summary(f, "RCU stall (%s)%s%s%s%s%s%s%s%s", st.flavour,
			   st.cpus[0] ? ": CPU " : "", st.cpus,
			   st.jiffies ? kt_arena_printf(a->arena, " stalled for %ld jiffies", st.jiffies) : "",
			   st.detected_by >= 0 ? kt_arena_printf(a->arena, ", detected by CPU %d", st.detected_by) : "",
			   st.starved ? kt_arena_printf(a->arena, "; grace-period kthread starved for %ld jiffies%s%s%s",
							st.starved, st.gp_state[0] ? " (" : "",
							st.gp_state, st.gp_state[0] ? ")" : "") : "",
			   where ? "; stalled CPU in " : "",
			   where ? kt_frame_string(a->arena, where) : "",
			   kt_lockup_spin_text(a, f, first_cpu));
	if (st.starved)
		kt_finding_advice(f, "The RCU grace-period kthread did not get a CPU: a real-time "
				  "task or an interrupt storm starved it, or (in a VM) the vCPU was "
				  "not scheduled by the host.");
	kt_finding_advice(f, "A stalled CPU runs with preemption or interrupts disabled too "
			  "long, or loops in the kernel: read its stack; an idle stalled CPU "
			  "points at a lost interrupt or a stopped vCPU.");
	if (panic)
		kt_finding_advice(f, "kernel.panic_on_rcu_stall=1 made the stall fatal.");
}

const struct kt_analyzer kt_analyzer_rcu_stall = { "rcu_stall", analyze };
