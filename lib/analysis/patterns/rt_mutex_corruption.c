// SPDX-License-Identifier: MIT
/*
 * rt_mutex_corruption: tasks blocked on an rt_mutex whose owner field no
 * longer names a task (0x1: only the has-waiters bit; or a pointer that is
 * not a task), so no owner will ever unlock it and wake them.  On
 * PREEMPT_RT every sleeping spinlock and mutex is an rt_mutex, so this is
 * also how a corrupted spinlock looks there.
 *
 * From the log it is only suspected: every hung task waits in the rt_mutex
 * slow path and none of them can be the owner (an owner blocked on
 * something else would be reported too, in D state); with priority
 * inheritance an owner that exists and runs would have finished.  Memory
 * proves it from the owner word.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static bool rt_wait(const struct kt_wait *w)
{
	return w->primitive && (strcmp(w->primitive, "rt_mutex") == 0 ||
				strcmp(w->primitive, "rt_spinlock") == 0);
}

static bool rt_lock_function(const char *fn)
{
	return kt_function_has_prefix(fn, "rt_mutex") || kt_function_has_prefix(fn, "__rt_mutex") ||
	       kt_function_has_prefix(fn, "rt_spin_lock") || kt_function_has_prefix(fn, "rtlock_") ||
	       kt_function_has_prefix(fn, "rt_read_lock") || kt_function_has_prefix(fn, "rt_write_lock") ||
	       kt_function_has_prefix(fn, "task_blocks_on_rt_mutex") ||
	       kt_function_has_prefix(fn, "rt_mutex_adjust_prio_chain") ||
	       kt_function_has_prefix(fn, "remove_waiter") || kt_function_has_prefix(fn, "try_to_take_rt_mutex");
}

/* A BUG/WARN in the rt_mutex code itself: it found its own state impossible. */
static void analyze_oops(struct kt_analysis *a, const struct kt_oops *oops)
{
	bool in_file = oops->bug_file && strstr(oops->bug_file, "locking/rtmutex");
	bool in_code = oops->has_rip && rt_lock_function(oops->rip.function) &&
		       (oops->kind == KT_OOPS_BUG || oops->kind == KT_OOPS_WARN);
	if (!in_file && !in_code)
		return;
	struct kt_finding_draft *f = kt_oops_finding(a, "rt_mutex_corruption", oops, 0.7);
	if (!f)
		return;
	kt_finding_summary(f, "rt_mutex consistency check failed%s%s in %s%s%s: the lock's "
			   "owner or waiter state is impossible (self-deadlock, or a corrupted "
			   "rt_mutex)", oops->bug_file ? " at " : "",
			   oops->bug_file ? kt_arena_printf(a->arena, "%s:%d", oops->bug_file,
							    oops->bug_line) : "",
			   oops->has_rip ? kt_frame_string(a->arena, &oops->rip) : "rt_mutex code",
			   oops->comm ? kt_arena_printf(a->arena, ", task %s (pid %d)", oops->comm,
							oops->pid) : "",
			   a->facts->preempt_rt ? " on PREEMPT_RT" : "");
	if (oops->bug_file)
		kt_finding_sign(f, "site:%s", kt_site_file(oops->bug_file));
	kt_finding_advice(f, "The rt_mutex code caught an inconsistency: a task taking a lock "
			  "it already owns (on PREEMPT_RT also a spinlock_t taken again from an "
			  "interrupt or a nested path), or an owner field overwritten. The "
			  "frames under the lock call name the code that took it.");
	kt_finding_advice(f, "Reproduce with CONFIG_DEBUG_RT_MUTEXES=y, lockdep "
			  "(CONFIG_PROVE_LOCKING) and KASAN.");
}

/*
 * "BUG: scheduling while atomic" or "sleeping function called from invalid
 * context" on the way into an rt lock: on PREEMPT_RT spinlock_t sleeps, and
 * taking it with preemption or interrupts off breaks the rt_mutex's rules.
 */
static void analyze_atomic(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	size_t n = kt_log_text_count(a->log);
	for (size_t i = 0; i < n; i++) {
		const char *s = kt_log_facts_line(facts, i);
		if (!strstr(s, "BUG: scheduling while atomic") &&
		    !strstr(s, "BUG: sleeping function called from invalid context"))
			continue;
		struct kt_text_trace trace;
		kt_log_facts_trace(a->arena, a->log, i, i + 40 < n ? i + 40 : n, &trace);
		const struct kt_text_frame *lock = NULL, *caller = NULL;
		for (size_t k = 0; k < trace.count; k++) {
			if (!lock && rt_lock_function(trace.frames[k].function))
				lock = &trace.frames[k];
			else if (lock && !caller && !trace.frames[k].unreliable &&
				 !rt_lock_function(trace.frames[k].function))
				caller = &trace.frames[k];
		}
		if (!lock || kt_analysis_event_claimed(a, i))
			continue;
		struct kt_finding_draft *f = kt_finding_new(a, "rt_mutex_corruption",
							    KT_CLAIM_NOTE, i, 0.5);
		kt_finding_add_lines(f, i, trace.end_line);
		for (size_t k = i + 1; k < trace.end_line; k++) {
			int cpu, pid;
			const char *comm;
			if (kt_parse_cpu_line(a->arena, kt_log_facts_line(facts, k), &cpu, &pid, &comm)) {
				struct kt_evidence_task *t = kt_finding_add_task(f, pid, comm, KT_FROM_LOG);
				if (t) {
					t->role = "took the rt lock in atomic context";
					kt_task_set_frames(f, t, &trace);
				}
				break;
			}
		}
		kt_finding_fact(f, "lock_function", "%s", lock->function);
		if (caller)
			kt_finding_fact(f, "caller", "%s", kt_frame_string(a->arena, caller));
		kt_finding_sign(f, "atomic:%s", lock->function);
		kt_finding_sign_frames(f, caller, NULL, 1);
		kt_finding_summary(f, "rt lock taken in atomic context: %s%s%s sleeps in %s with "
				   "preemption disabled (%s)", caller ? caller->function : "a caller",
				   facts->preempt_rt ? " on PREEMPT_RT" : "", "", lock->function, s);
		kt_finding_advice(f, "On PREEMPT_RT a spinlock_t is an rt_mutex and may sleep: "
				  "code that runs with preemption or interrupts disabled (idle "
				  "notifiers, hard interrupt handlers, preempt_disable sections) "
				  "must use raw_spinlock_t instead.");
		return;
	}
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	for (size_t i = 0; i < facts->nr_oopses; i++)
		if (!kt_analysis_event_claimed(a, facts->oopses[i].line))
			analyze_oops(a, &facts->oopses[i]);
	analyze_atomic(a);
	if (!facts->nr_hung || kt_analysis_event_claimed(a, facts->hung[0].line))
		return;
	const char *site = NULL;
	for (size_t i = 0; i < facts->nr_hung; i++) {
		struct kt_wait w;
		kt_hung_wait(a, i, &w);
		if (!rt_wait(&w))
			return; /* some task waits on something else: perhaps the owner */
		if (!site && w.blocker_frame)
			site = kt_frame_string(a->arena, w.blocker_frame);
	}
	struct kt_finding_draft *f = kt_hung_finding(a, "rt_mutex_corruption", 0.45);
	if (!f)
		return;
	kt_finding_sign(f, "rt_mutex");
	char tasks[256] = "";
	for (size_t i = 0; i < facts->nr_hung && strlen(tasks) < 200; i++)
		snprintf(tasks + strlen(tasks), sizeof(tasks) - strlen(tasks), "%s%s:%d",
			 i ? ", " : "", facts->hung[i].comm, facts->hung[i].pid);
	size_t confirmed = kt_model_confirm_blocked(a, f);
	struct kt_model_lock_summary memory;
	kt_model_locks(a, f, &memory);
	const struct kt_evidence_lock *bad = memory.corrupt;
	if (bad && bad->kind && strcmp(bad->kind, "rt_mutex") == 0) {
		kt_finding_summary(f, "Corrupted rt_mutex %s%s: owner word 0x%" PRIx64 " while %zu "
				   "task%s wait (%s)%s: nobody will ever unlock it",
				   bad->symbol ? bad->symbol : "",
				   bad->address ? kt_arena_printf(a->arena, " at 0x%" PRIx64, bad->address) : "",
				   bad->owner_word, bad->nr_waiters, bad->nr_waiters == 1 ? "" : "s",
				   tasks, facts->preempt_rt ? " on PREEMPT_RT" : "");
		kt_finding_fact(f, "owner_word", "0x%" PRIx64, bad->owner_word);
		if (memory.problem)
			kt_finding_fact(f, "problem", "%s", memory.problem);
		kt_finding_confidence(f, 0.95);
	} else {
		kt_finding_summary(f, "rt_mutex waiters with no blocked owner%s: %s wait in "
				   "rt_mutex_lock%s%s; no owner is among the blocked tasks, so the "
				   "owner word is likely corrupt (0x1 or not a task)",
				   facts->preempt_rt ? " on PREEMPT_RT" : "", tasks,
				   site ? " from " : "", site ? site : "");
		if (confirmed)
			kt_finding_confidence(f, 0.55);
	}
	kt_finding_advice(f, "Check the lock's owner word in memory (ktriage locks DUMP): 0x1 "
			  "(the has-waiters bit alone) or a non-task pointer means something "
			  "overwrote the rt_mutex; nobody will ever unlock it.");
	kt_finding_advice(f, "Look for the writer: a use-after-free of the structure that "
			  "embeds the lock, an unlock by a task that does not own it, or a stray "
			  "memset/copy. Reproduce with CONFIG_DEBUG_RT_MUTEXES=y and KASAN.");
	if (site)
		kt_finding_advice(f, "The waiters take the lock in %s: start with the code "
				  "that owns and initialises that lock.", site);
}

const struct kt_analyzer kt_analyzer_rt_mutex_corruption = { "rt_mutex_corruption", analyze };
