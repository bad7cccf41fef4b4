// SPDX-License-Identifier: MIT
/*
 * cgroup_deadlock: hung tasks piled up on the cgroup core's two big locks,
 * cgroup_mutex and cgroup_threadgroup_rwsem (a percpu_rw_semaphore that
 * fork, exit and exec take for read and cgroup migration takes for
 * write).  The classic inversion: a task holds cgroup_mutex and waits in
 * percpu_down_write() for the readers to leave, while a reader holds the
 * rwsem and waits for cgroup_mutex; everything that forks or touches
 * cgroupfs (container runtimes, kubelet, systemd) then queues behind them.
 *
 * From the log: at least half of the hung tasks block on those locks from
 * cgroup code (the lock named from its taker: cgroup_can_fork takes the
 * rwsem, cgroup_kn_lock_live the mutex).  Memory proves it: the tasks are
 * in D state, and the owners and waiters of both locks close the cycle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static bool is_cgroup_lock(const char *name)
{
	return name && (strcmp(name, "cgroup_mutex") == 0 ||
			strcmp(name, "cgroup_threadgroup_rwsem") == 0);
}

static bool on_cgroup_lock(const struct kt_wait *w)
{
	if (is_cgroup_lock(w->lock))
		return true;
	/* cgroup code sleeping on its own (cgroup_lock_and_drain_offline's waitqueue) */
	if (w->blocker_frame && (kt_function_has_prefix(w->blocker_frame->function, "cgroup") ||
				 kt_function_has_prefix(w->blocker_frame->function, "css_")))
		return true;
	return w->cgroup && w->primitive &&
	       (strstr(w->primitive, "mutex") || strstr(w->primitive, "rwsem"));
}

/*
 * Tasks that merely queue at the start of a cgroup operation, holding no
 * cgroup lock: fork, exit and exec take cgroup_threadgroup_rwsem for read,
 * cgroupfs operations (cgroup_kn_lock_live) and /proc/PID/cgroup readers
 * take cgroup_mutex first.  They pile up behind the inversion, and which of
 * them the hung-task detector catches depends on when they arrived (a mkdir
 * a few seconds late is not yet over the limit), so the signature leaves
 * them out: it is the inversion's own sites (docs/signature.md).
 */
static bool queued_at_entry(const struct kt_wait *w)
{
	if (!w->lock)
		return false;
	if (strcmp(w->lock, "cgroup_threadgroup_rwsem") == 0)
		return w->mode && strcmp(w->mode, "read") == 0;
	return strcmp(w->lock, "cgroup_mutex") == 0 &&
	       (kt_function_is(w->lock_via, "cgroup_kn_lock_live") ||
		kt_function_is(w->lock_via, "proc_cgroup_show"));
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sites of the tasks that do not just queue, then the locks their takers name. */
static void sign(struct kt_analysis *a, struct kt_finding_draft *f)
{
	kt_hung_sign_sites(a, f, queued_at_entry);
	const char **names = kt_arena_alloc(a->arena, (a->facts->nr_hung + 1) * sizeof(*names));
	size_t n = 0;
	for (size_t i = 0; names && i < a->facts->nr_hung; i++) {
		struct kt_wait w;
		kt_hung_wait(a, i, &w);
		if (w.lock && !queued_at_entry(&w))
			names[n++] = w.lock;
	}
	if (n)
		qsort(names, n, sizeof(*names), compare_strings);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			kt_finding_sign(f, "lock:%s", names[i]);
}

/* Memory proves the lock's identity; the stack's taker only suggests it. */
static bool waits_on_cgroup_lock(struct kt_analysis *a, size_t i)
{
	struct kt_wait w;
	kt_hung_wait(a, i, &w);
	if (a->facts->hung[i].memory_lock)
		return is_cgroup_lock(a->facts->hung[i].memory_lock) ||
		       (!w.lock && on_cgroup_lock(&w));
	return on_cgroup_lock(&w);
}

/* A writer waiting in percpu_down_write: the migration side of the cycle. */
static int find_writer(struct kt_analysis *a)
{
	for (size_t i = 0; i < a->facts->nr_hung; i++) {
		struct kt_wait w;
		kt_hung_wait(a, i, &w);
		const struct kt_hung_report *h = &a->facts->hung[i];
		if (h->memory_kind && strcmp(h->memory_kind, "percpu_rwsem") == 0 && h->memory_writer)
			return (int)i;
		if (w.primitive && strcmp(w.primitive, "percpu_rwsem") == 0 && w.mode &&
		    strcmp(w.mode, "write") == 0)
			return (int)i;
	}
	return -1;
}

/* Modules (O/E-tainted or not) whose code is on the blocked stacks. */
static void module_frames(struct kt_analysis *a, struct kt_finding_draft *f)
{
	char seen[256] = "";
	for (size_t i = 0; i < a->facts->nr_hung; i++) {
		const struct kt_text_trace *t = &a->facts->hung[i].trace;
		for (size_t k = 0; k < t->count; k++) {
			const char *m = t->frames[k].module;
			if (!m || t->frames[k].unreliable || strstr(seen, m))
				continue;
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s",
				 *seen ? ", " : "", m);
		}
	}
	if (!*seen)
		return;
	kt_finding_fact(f, "modules_on_stacks", "%s", seen);
	kt_finding_advice(f, "Blocked stacks run through module(s) %s: check whether they "
			  "take cgroup_mutex or cgroup_threadgroup_rwsem themselves, or call "
			  "cgroup attach/fork paths while holding a lock.", seen);
}

/* The hung task that waits to write-lock the rwsem: the migration side. */
static void note_writer(struct kt_analysis *a, struct kt_finding_draft *f, char *text,
			size_t size)
{
	int writer = find_writer(a);
	if (writer < 0)
		return;
	const struct kt_hung_report *w = &a->facts->hung[writer];
	snprintf(text, size, "; %s:%d waits to write-lock a percpu_rwsem (the cgroup "
		 "migration side)", w->comm, w->pid);
	struct kt_evidence_task *t = kt_finding_task(f, w->pid);
	if (t)
		t->role = kt_arena_printf(a->arena, "%s; writer: percpu_down_write", t->role);
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	if (!facts->nr_hung || kt_analysis_event_claimed(a, facts->hung[0].line))
		return;
	size_t on_cgroup = 0;
	for (size_t i = 0; i < facts->nr_hung; i++)
		on_cgroup += waits_on_cgroup_lock(a, i);
	if (!on_cgroup || on_cgroup * 2 < facts->nr_hung)
		return;
	struct kt_finding_draft *f = kt_hung_finding(a, "cgroup_deadlock", 0.65);
	if (!f)
		return;
	char locks[128] = "";
	for (size_t i = 0; i < f->pub.nr_locks; i++)
		snprintf(locks + strlen(locks), sizeof(locks) - strlen(locks), "%s%s",
			 i ? " and " : "", f->pub.locks[i].symbol);
	sign(a, f);
	char writer_text[160] = "";
	note_writer(a, f, writer_text, sizeof(writer_text));
	int writer = find_writer(a);
	size_t confirmed = kt_model_confirm_blocked(a, f);
	struct kt_model_lock_summary memory;
	bool proven = kt_model_locks(a, f, &memory) && memory.cycles;
	if (proven)
		kt_finding_summary(f, "cgroup lock deadlock, proven from memory: %s; %zu hung "
				   "tasks pile up behind it", memory.cycle, f->pub.nr_tasks);
	else if (memory.chain && writer >= 0 && facts->hung[writer].memory_lock)
		kt_finding_summary(f, "cgroup lock deadlock: memory shows %s, the writer of %s, "
				   "which waits for its readers (a reader memory could not place on "
				   "a stack); %zu of %zu hung tasks wait on cgroup locks",
				   memory.chain, facts->hung[writer].memory_lock, on_cgroup,
				   facts->nr_hung);
	else
		kt_finding_summary(f, "cgroup lock deadlock: %zu of %zu hung tasks block on %s "
				   "from cgroup code%s; consistent with the cgroup_mutex <-> "
				   "cgroup_threadgroup_rwsem inversion", on_cgroup, facts->nr_hung,
				   *locks ? locks : "cgroup locks", writer_text);
	kt_finding_advice(f, "Known class of hang: cgroup_mutex held by a task that waits in "
			  "percpu_down_write(&cgroup_threadgroup_rwsem) while a reader of the "
			  "rwsem waits for cgroup_mutex. Search the changelog for "
			  "\"cgroup_threadgroup_rwsem\", \"cgroup_mutex\" and \"deadlock\" "
			  "(cgroup_attach_lock, cgroup_procs_write, cpuset) and upgrade to a "
			  "release with the fixes.");
	kt_finding_advice(f, "Container runtimes trigger it: frequent exec/attach into "
			  "cgroups (Kubernetes exec liveness/readiness probes, docker exec, "
			  "runc init) racing with fork-heavy work and cgroup mkdir/rmdir. Reduce "
			  "that churn (httpGet/tcpSocket probes instead of exec probes, fewer "
			  "probe runs) until the kernel is fixed.");
	module_frames(a, f);
	kt_finding_advice(f, "kernel.hung_task_panic=1 turned the hang into this panic.");
	if (proven)
		kt_finding_confidence(f, 0.95);
	else if (confirmed == facts->nr_hung)
		kt_finding_confidence(f, 0.8);
	else if (confirmed)
		kt_finding_confidence(f, 0.75);
}

const struct kt_analyzer kt_analyzer_cgroup_deadlock = { "cgroup_deadlock", analyze };
