// SPDX-License-Identifier: MIT
/*
 * The memory producer of the facts analyzers match on.  The log producer
 * (log_facts.c) reads what the kernel printed; a real kdump often keeps one
 * hung-task report (khungtaskd panics on its first), a wrapped ring keeps
 * none, yet memory still has every blocked task, its stack and the lock it
 * waits on.  So the blocked tasks memory shows join the log's reports, each
 * marked with where it was seen (log, memory or both), and the lock graph's
 * identity of each wait rides along: memory proves which lock it is, where
 * the log could only guess from the taker's name.
 *
 * A task memory adds must be part of the hang: blocked at least as long as
 * the detector's threshold (a task in D for a moment is doing I/O, not
 * hung), or in a wait-for cycle with one that is (its other side may have
 * blocked a moment later).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Without the kernel's own threshold: the detector's default is 120 s, lab kernels use less. */
#define FALLBACK_THRESHOLD_SECONDS 10
#define MAX_MEMORY_HUNG 256

/* kernel.hung_task_timeout_secs as the crashed kernel had it, else a fallback. */
static int64_t hung_threshold(struct kt_analysis *a, const struct kt_log_facts *facts)
{
	uint64_t address, value;
	struct kt_error *err = kt_symbol_address(a->kernel, "sysctl_hung_task_timeout_secs", &address);
	if (!err)
		err = kt_kernel_read_u64(a->kernel, address, &value);
	if (!err && value > 0 && value < 86400)
		return (int64_t)value;
	kt_error_free(err);
	int64_t least = -1;
	for (size_t i = 0; i < facts->nr_hung; i++)
		if (facts->hung[i].seconds > 0 && (least < 0 || facts->hung[i].seconds < least))
			least = facts->hung[i].seconds;
	return least > 0 ? least : FALLBACK_THRESHOLD_SECONDS;
}

/* A memory stack as the log's trace type, so one classifier reads both. */
static void memory_trace(struct kt_analysis *a, const struct kt_task *task,
			 struct kt_text_trace *trace)
{
	*trace = (struct kt_text_trace){ .first_line = KT_NO_LINE, .end_line = KT_NO_LINE };
	struct kt_stack *stack;
	struct kt_error *err = kt_stack_unwind(a->kernel, task, &stack);
	if (err) {
		kt_error_free(err);
		return;
	}
	struct kt_text_frame *frames = stack->count ? kt_arena_alloc(a->arena, stack->count *
								   sizeof(*frames)) : NULL;
	for (size_t i = 0; frames && i < stack->count; i++) {
		const struct kt_frame *fr = &stack->frames[i];
		frames[i] = (struct kt_text_frame){
			.function = fr->function ? kt_arena_strdup(a->arena, fr->function)
						 : kt_arena_printf(a->arena, "0x%" PRIx64, fr->pc),
			.offset = fr->function ? fr->offset : 0,
			.module = fr->module ? kt_arena_strdup(a->arena, fr->module) : NULL,
			.unreliable = !fr->reliable,
			.line = KT_NO_LINE,
		};
	}
	if (frames) {
		trace->frames = frames;
		trace->count = stack->count;
	}
	kt_stack_free(stack);
}

/* "cfg_lock [cfgstore]" -> "cfg_lock"; "" -> NULL. */
static const char *lock_name(struct kt_arena *arena, const char *symbol)
{
	size_t len = strcspn(symbol, " ");
	return len ? kt_arena_strndup(arena, symbol, len) : NULL;
}

/* What memory says a hung task waits on; disagreement with the log is reported. */
static void attach_memory_wait(struct kt_analysis *a, const struct kt_lock_graph *g,
			       struct kt_hung_report *h, const struct kt_wait *logged)
{
	const struct kt_task_wait *w = kt_lock_graph_wait_of_pid(g, h->pid);
	if (!w || w->kind == KT_WAIT_NONE)
		return;
	h->memory_kind = kt_lock_kind_name(w->kind);
	h->memory_lock = lock_name(a->arena, w->symbol);
	h->memory_writer = w->writer;
	if (logged && logged->lock && h->memory_lock && strcmp(logged->lock, h->memory_lock) != 0)
		kt_analysis_disagree(a, "the log's stack of %s:%d names %s (from %s), memory shows "
				     "it waiting on %s", h->comm, h->pid, logged->lock,
				     logged->lock_via ? logged->lock_via : "its taker", h->memory_lock);
}

static struct kt_hung_report *logged_report(struct kt_log_facts *facts, const struct kt_task *t)
{
	for (size_t i = 0; i < facts->nr_hung_logged; i++)
		if (facts->hung[i].pid == t->pid && facts->hung[i].comm &&
		    strncmp(facts->hung[i].comm, t->comm, 15) == 0)
			return &facts->hung[i];
	return NULL;
}

/*
 * Should memory's facts be merged at all?  Where the log tells of a hang, or
 * where it tells of no crash (missing, cut, overwritten) and memory holds a
 * wait-for cycle.  A crash the log explains otherwise is left alone: its
 * report does not grow a hang out of tasks that were merely asleep.
 */
static bool tells_of_hang(struct kt_analysis *a, const struct kt_log_facts *facts)
{
	if (facts->nr_hung)
		return true;
	if (facts->has_panic || facts->nr_oopses) /* a real kdump's oops comes before panic() */
		return facts->has_panic && strstr(facts->panic, "hung_task") != NULL;
	size_t count;
	if (!kt_model_tasks(a, &count))
		return false;
	return kt_lock_graph_view(kt_model_graph(a)).nr_cycles > 0;
}

static bool add_memory_report(struct kt_analysis *a, struct kt_log_facts *facts, size_t *cap,
			      const struct kt_task *t, int64_t seconds)
{
	struct kt_hung_report h = {
		.line = KT_NO_LINE, .comm = kt_arena_strdup(a->arena, t->comm), .pid = t->pid,
		.seconds = seconds > 0 ? seconds : 0, .state = 'D', .sources = KT_FROM_MEMORY,
	};
	memory_trace(a, t, &h.trace);
	if (!kt_arena_grow(a->arena, (void **)&facts->hung, facts->nr_hung, cap, sizeof(*facts->hung)))
		return false;
	facts->hung[facts->nr_hung++] = h;
	return true;
}

/* Log reports memory confirms, then blocked tasks only memory has. */
static void merge_tasks(struct kt_analysis *a, struct kt_log_facts *facts,
			const struct kt_lock_graph *g)
{
	size_t count, cap = facts->nr_hung;
	const struct kt_task *tasks = kt_model_tasks(a, &count);
	if (!tasks)
		return;
	int64_t threshold = hung_threshold(a, facts);
	size_t added = 0;
	for (size_t i = 0; i < count && added < MAX_MEMORY_HUNG; i++) {
		const struct kt_task *t = &tasks[i];
		if (t->state != KT_TASK_UNINTERRUPTIBLE)
			continue;
		struct kt_hung_report *logged = logged_report(facts, t);
		if (logged) {
			logged->sources |= KT_FROM_MEMORY;
			continue;
		}
		int64_t seconds = kt_model_blocked_seconds(a, t);
		if (seconds < threshold && !kt_lock_graph_in_cycle(g, t->pid))
			continue;
		added += add_memory_report(a, facts, &cap, t, seconds);
	}
}

void kt_memory_facts_merge(struct kt_analysis *a, struct kt_log_facts *facts)
{
	for (size_t i = 0; i < facts->nr_hung; i++)
		facts->hung[i].sources = KT_FROM_LOG;
	if (!a->kernel)
		return;
	size_t count;
	if (!tells_of_hang(a, facts) || !kt_model_tasks(a, &count))
		return; /* no hang to add to, or no task memory could read */
	struct kt_lock_graph *g = kt_model_graph(a);
	merge_tasks(a, facts, g);
	struct kt_wait *waits = facts->nr_hung ? kt_arena_alloc(a->arena, facts->nr_hung *
								 sizeof(*waits)) : NULL;
	if (!waits)
		return;
	for (size_t i = 0; i < facts->nr_hung; i++) {
		if (i < facts->nr_hung_logged && facts->hung_waits)
			waits[i] = facts->hung_waits[i];
		else
			kt_wait_classify(&facts->hung[i].trace, &waits[i]);
		attach_memory_wait(a, g, &facts->hung[i], i < facts->nr_hung_logged ? &waits[i] : NULL);
	}
	facts->hung_waits = waits;
}

const char *kt_hung_lock(const struct kt_analysis *a, size_t i)
{
	const struct kt_hung_report *h = &a->facts->hung[i];
	if (h->memory_lock)
		return h->memory_lock;
	struct kt_wait w;
	kt_hung_wait(a, i, &w);
	return w.lock;
}
