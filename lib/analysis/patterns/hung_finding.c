// SPDX-License-Identifier: MIT
/*
 * The evidence of hung-task reports, shared by hung_task, cgroup_deadlock
 * and rt_mutex_corruption: who is blocked, for how long, in which wait and
 * on which lock, and what memory says about them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

void kt_hung_wait(const struct kt_analysis *a, size_t i, struct kt_wait *wait)
{
	if (a->facts->hung_waits)
		*wait = a->facts->hung_waits[i];
	else
		kt_wait_classify(&a->facts->hung[i].trace, wait);
}

static const char *describe_wait(struct kt_arena *arena, const struct kt_wait *w)
{
	if (w->lock)
		return kt_arena_printf(arena, "%s (%s%s%s)", w->lock, w->primitive,
				       w->mode ? ", " : "", w->mode ? w->mode : "");
	if (w->primitive)
		return kt_arena_printf(arena, "%s%s%s", w->primitive, w->mode ? " " : "",
				       w->mode ? w->mode : "");
	return NULL;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The signature: the set of places tasks block at, independent of pids and order. */
static void sign_sites(struct kt_analysis *a, struct kt_finding_draft *f,
		       bool (*bystander)(const struct kt_wait *))
{
	const struct kt_log_facts *facts = a->facts;
	const char **sites = kt_arena_alloc(a->arena, (facts->nr_hung + 1) * sizeof(*sites));
	if (!sites)
		return;
	size_t n = 0;
	for (size_t i = 0; i < facts->nr_hung; i++) {
		struct kt_wait w;
		char base[128] = "?";
		kt_hung_wait(a, i, &w);
		if (bystander && bystander(&w))
			continue;
		if (w.blocker_frame)
			kt_function_base(w.blocker_frame->function, base, sizeof(base));
		sites[n++] = kt_arena_printf(a->arena, "site:%s:%s",
					     w.primitive ? w.primitive : "?", base);
		if (!sites[n - 1])
			n--;
	}
	qsort(sites, n, sizeof(*sites), compare_strings);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(sites[i], sites[i - 1]) != 0)
			kt_finding_sign(f, "%s", sites[i]);
}

void kt_hung_sign_sites(struct kt_analysis *a, struct kt_finding_draft *f,
			bool (*bystander)(const struct kt_wait *))
{
	if (!f)
		return;
	f->nr_sign_parts = 0;
	sign_sites(a, f, bystander);
}

static void add_report(struct kt_analysis *a, struct kt_finding_draft *f, size_t i)
{
	const struct kt_hung_report *h = &a->facts->hung[i];
	struct kt_wait w;
	kt_hung_wait(a, i, &w);
	kt_finding_claim_event(f, h->line);
	if (h->line != KT_NO_LINE)
		kt_finding_add_lines(f, h->line, h->trace.count ? h->trace.end_line : h->line + 1);
	unsigned sources = h->sources ? h->sources : KT_FROM_LOG;
	struct kt_evidence_task *t = kt_finding_add_task(f, h->pid, h->comm, sources);
	if (!t)
		return;
	t->state = h->state == 'D' || !h->state ? "D" : kt_arena_printf(a->arena, "%c", h->state);
	t->blocked_seconds = h->seconds;
	t->role = w.blocker_frame
			  ? kt_arena_printf(a->arena, "blocked in %s", w.blocker_frame->function)
			  : "blocked";
	if (!(sources & KT_FROM_LOG))
		t->role = kt_arena_printf(a->arena, "%s (memory only: not reported in the log)",
					  t->role);
	t->waits_on = describe_wait(a->arena, &w);
	kt_task_set_frames(f, t, &h->trace);
	if (w.lock) {
		struct kt_evidence_lock *lock = kt_finding_add_lock(f, w.lock, w.primitive, sources);
		if (lock && !lock->note)
			lock->note = kt_arena_printf(a->arena, "named from its taker %s (%s)",
						     w.lock_via, sources & KT_FROM_LOG ? "log" : "memory stack");
		kt_finding_lock_waiter(f, lock, h->pid);
	}
}

struct kt_finding_draft *kt_hung_finding(struct kt_analysis *a, const char *verdict,
					 double confidence)
{
	const struct kt_log_facts *facts = a->facts;
	if (!facts->nr_hung)
		return NULL;
	enum kt_claim claim = kt_panic_says(facts, "hung_task") ? KT_CLAIM_PANIC
								: KT_CLAIM_NOTE;
	size_t event = facts->hung[0].line;
	if (event == KT_NO_LINE && facts->has_panic)
		event = facts->panic_line;
	struct kt_finding_draft *f = kt_finding_new(a, verdict, claim, event, confidence);
	for (size_t i = 0; f && i < facts->nr_hung; i++)
		add_report(a, f, i);
	if (claim == KT_CLAIM_PANIC)
		kt_finding_add_panic(a, f);
	if (f && !facts->nr_hung_logged)
		kt_analysis_note(a, "the log kept no hung-task report: the blocked tasks are memory's");
	sign_sites(a, f, NULL);
	return f;
}
