// SPDX-License-Identifier: MIT
/*
 * hung_task: "INFO: task X:pid blocked for more than N seconds." from
 * khungtaskd (kernel/hung_task.c), with "Kernel panic - not syncing:
 * hung_task: blocked tasks" when hung_task_panic is set.  Every blocked
 * task with its wait; the likely root is the task that waits for something
 * other than the lock the others queue on (it holds the lock and waits for
 * I/O, a completion, another lock).  Memory confirms each task is still in
 * D state and adds the blocked tasks the detector did not print.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

/* The wait most tasks share, and the one task that waits for something else. */
static void find_root(struct kt_analysis *a, const char **common, int *root)
{
	const struct kt_log_facts *facts = a->facts;
	size_t best = 0;
	*common = NULL;
	*root = -1;
	for (size_t i = 0; i < facts->nr_hung; i++) {
		struct kt_wait wi;
		kt_hung_wait(a, i, &wi);
		size_t same = 0;
		for (size_t j = 0; j < facts->nr_hung; j++) {
			struct kt_wait wj;
			kt_hung_wait(a, j, &wj);
			same += wi.primitive && wj.primitive && strcmp(wi.primitive, wj.primitive) == 0;
		}
		if (same > best) {
			best = same;
			*common = wi.primitive;
		}
	}
	if (!*common || best < 2 || best + 1 != facts->nr_hung)
		return;
	for (size_t i = 0; i < facts->nr_hung; i++) {
		struct kt_wait w;
		kt_hung_wait(a, i, &w);
		if (!w.primitive || strcmp(w.primitive, *common) != 0)
			*root = (int)i;
	}
}

static const char *blocker(struct kt_analysis *a, size_t i)
{
	struct kt_wait w;
	kt_hung_wait(a, i, &w);
	const char *what = w.lock ? kt_arena_printf(a->arena, "%s (%s%s%s)", w.lock, w.primitive,
						    w.mode ? ", " : "", w.mode ? w.mode : "")
			   : w.primitive ? w.primitive : "an unknown wait";
	if (!w.blocker_frame)
		return w.lock_via ? kt_arena_printf(a->arena, "%s in %s", what, w.lock_via) : what;
	return kt_arena_printf(a->arena, "%s in %s", what, kt_frame_string(a->arena, w.blocker_frame));
}

static void advise_waits(struct kt_analysis *a, struct kt_finding_draft *f)
{
	bool io = false, percpu_write = false, completion = false, lock = false;
	for (size_t i = 0; i < a->facts->nr_hung; i++) {
		struct kt_wait w;
		kt_hung_wait(a, i, &w);
		if (!w.primitive)
			continue;
		io |= strcmp(w.primitive, "io") == 0 || strcmp(w.primitive, "page") == 0;
		completion |= strcmp(w.primitive, "completion") == 0;
		lock |= strstr(w.primitive, "mutex") || strstr(w.primitive, "rwsem");
		percpu_write |= w.lock && strcmp(w.lock, "sb_writers") == 0;
	}
	if (lock)
		kt_finding_advice(f, "Find the lock's owner and what it waits for: the owner "
				  "is the root of the hang (ktriage locks DUMP; ktriage struct DUMP "
				  "mutex ADDRESS shows the lock, ktriage kmem DUMP ADDRESS what holds it).");
	if (io)
		kt_finding_advice(f, "Tasks wait for I/O (io_schedule, page writeback): check "
				  "the storage path (device errors, blk-mq timeouts, multipath, an "
				  "NFS or iSCSI server) in the lines before the reports.");
	if (completion)
		kt_finding_advice(f, "A task waits for a completion that never came: find the "
				  "worker, interrupt or device that should have completed it.");
	if (percpu_write)
		kt_finding_advice(f, "sb_writers is held for write by a filesystem freeze "
				  "(fsfreeze, a snapshot or backup agent) that was never thawed.");
	if (kt_panic_says(a->facts, "hung_task"))
		kt_finding_advice(f, "kernel.hung_task_panic=1 turned the hang into this panic "
				  "(threshold kernel.hung_task_timeout_secs).");
}

/*
 * "hung_task: blocked tasks" with no report before it: the log starts too
 * late (a fragment, a ring buffer that wrapped).  Memory still has the
 * blocked tasks.
 */
static void panic_only(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	struct kt_finding_draft *f = kt_finding_new(a, "hung_task", KT_CLAIM_PANIC,
						    facts->panic_line, 0.5);
	if (!f)
		return;
	kt_finding_add_panic(a, f);
	size_t from = facts->panic_line > 12 ? facts->panic_line - 12 : 0;
	kt_finding_add_lines(f, from, facts->panic_line);
	kt_finding_sign(f, "reports:none");
	kt_analysis_note(a, "the hung-task reports that led to the panic are not in the log");
	size_t blocked = kt_model_confirm_blocked(a, f);
	(void)blocked;
	kt_finding_summary(f, "hung_task_panic fired (\"%s\"), but the log kept no "
			   "\"blocked for more than\" report%s", facts->panic,
			   f->pub.nr_tasks ? kt_arena_printf(a->arena, "; %zu task%s in D state in memory",
							     f->pub.nr_tasks, f->pub.nr_tasks == 1 ? "" : "s")
			   : kt_model_tasks_unreadable(a) ? "; memory's task list could not be read"
					   : "");
	if (f->pub.nr_tasks)
		kt_finding_confidence(f, 0.8);
	advise_waits(a, f);
}

/* From the log alone: the likely root, or what the first task waits for. */
static void log_root(struct kt_analysis *a, struct kt_finding_draft *f, char *rest, size_t size)
{
	const struct kt_log_facts *facts = a->facts;
	const char *common;
	int root;
	find_root(a, &common, &root);
	if (root < 0) {
		snprintf(rest, size, "; %s:%d waits for %s", facts->hung[0].comm,
			 facts->hung[0].pid, blocker(a, 0));
		return;
	}
	const struct kt_hung_report *r = &facts->hung[root];
	snprintf(rest, size, "; %zu wait on a %s, %s:%d (likely the holder) waits for %s",
		 facts->nr_hung - 1, common, r->comm, r->pid, blocker(a, (size_t)root));
	struct kt_evidence_task *t = kt_finding_task(f, r->pid);
	if (t)
		t->role = kt_arena_printf(a->arena, "%s; likely root: the only task not "
					  "waiting on the %s", t->role, common);
	kt_finding_fact(f, "likely_root", "%s:%d", r->comm, r->pid);
}

/* What memory adds: the lock, its owner or holder and what it waits on, or the
 * event with no owner, and a deadlock. */
static void memory_summary(struct kt_analysis *a, struct kt_finding_draft *f,
			   struct kt_model_lock_summary *out, char *rest, size_t size)
{
	struct kt_model_lock_summary locks;
	if (kt_model_locks(a, f, &locks) && locks.busiest && locks.root_pid >= 0) {
		const struct kt_evidence_lock *l = locks.busiest;
		/* Semaphores and spinlocks record no owner: the holder is inferred. */
		bool inferred = l->kind && (strcmp(l->kind, "semaphore") == 0 ||
					    strcmp(l->kind, "spinlock") == 0 ||
					    strcmp(l->kind, "rwlock") == 0);
		snprintf(rest, size, "; %zu wait on %s (%s), %s %s:%d%s%s",
			 l->nr_waiters, l->symbol ? l->symbol : "a lock", l->kind,
			 inferred ? "likely held by" : "owned by",
			 l->owner_comm ? l->owner_comm : "?", l->owner_pid,
			 locks.root_wait ? ", which waits on " : "",
			 locks.root_wait ? locks.root_wait : "");
		kt_finding_fact_from(f, KT_FROM_MEMORY, "root", "%s:%d", l->owner_comm ? l->owner_comm : "?", l->owner_pid);
	}
	else if (locks.busiest && locks.write_held) {
		const struct kt_evidence_lock *l = locks.busiest;
		bool sb = false;
		for (size_t i = 0; i < f->pub.nr_locks; i++)
			sb |= f->pub.locks[i].symbol && (strcmp(f->pub.locks[i].symbol, "sb_writers") == 0 ||
							  strstr(f->pub.locks[i].symbol, "s_writers"));
		snprintf(rest, size, "; %zu wait on %s (percpu_rwsem at 0x%" PRIx64 "), "
			 "write-held by a writer that is gone%s", l->nr_waiters,
			 l->symbol && strstr(l->symbol, "super_block") ? l->symbol
			 : sb ? "sb_writers" : l->symbol ? l->symbol : "a percpu_rwsem", l->address,
			 sb ? ": a frozen filesystem (fsfreeze/FIFREEZE) was never thawed" : "");
	}
	else if (!locks.locks && locks.event && locks.event_waiters > 1)
		snprintf(rest, size, "; %zu wait for an event, %s: no owner, nothing "
			 "records who should signal it", locks.event_waiters, locks.event);
	if (locks.cycles)
		snprintf(rest + strlen(rest), size - strlen(rest), "; deadlock: %s", locks.cycle);
	*out = locks;
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	if (!facts->nr_hung && kt_panic_says(facts, "hung_task") &&
	    !kt_analysis_event_claimed(a, facts->panic_line)) {
		panic_only(a);
		return;
	}
	if (!facts->nr_hung || kt_analysis_event_claimed(a, facts->hung[0].line))
		return;
	struct kt_finding_draft *f = kt_hung_finding(a, "hung_task", 0.7);
	if (!f)
		return;
	const struct kt_hung_report *first = &facts->hung[0];
	char rest[512] = "";
	log_root(a, f, rest, sizeof(rest));
	size_t confirmed = kt_model_confirm_blocked(a, f);
	struct kt_model_lock_summary locks;
	memory_summary(a, f, &locks, rest, sizeof(rest));
	kt_finding_summary(f, "%zu task%s blocked for more than %ld s%s", facts->nr_hung,
			   facts->nr_hung == 1 ? "" : "s", first->seconds, rest);
	advise_waits(a, f);
	if (confirmed == facts->nr_hung)
		kt_finding_confidence(f, locks.locks ? 0.9 : 0.85);
	else if (confirmed)
		kt_finding_confidence(f, 0.8);
}

const struct kt_analyzer kt_analyzer_hung_task = { "hung_task", analyze };
