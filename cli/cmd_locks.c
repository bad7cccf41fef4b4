// SPDX-License-Identifier: MIT
/*
 * ktriage locks: who waits on which lock, who holds it, and the cycles of
 * the wait-for graph, all from memory (lib/kernel/lock_graph.c).  Text for
 * people, --json for programs, --dot for Graphviz.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ktriage/kernel.h"

enum format { TEXT, JSON, DOT };

static const char *comm_of(struct kt_kernel *k, uint64_t task)
{
	const struct kt_task *t = task ? kt_task_by_address(k, task) : NULL;
	return t ? t->comm : "?";
}

static const char *lock_label(const struct kt_lock_graph_view *g, uint64_t address,
			      char *buf, size_t size)
{
	const struct kt_lock *lock = kt_lock_graph_lock_at(g->graph, address);
	if (lock && lock->symbol[0])
		return lock->symbol;
	snprintf(buf, size, "0x%llx", (unsigned long long)address);
	return buf;
}

static bool reader_kind(enum kt_lock_kind kind)
{
	return kind == KT_LOCK_RWSEM || kind == KT_LOCK_PERCPU_RWSEM;
}

/* ---- JSON ------------------------------------------------------------- */

static struct json_object *hex(uint64_t value)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)value);
	return json_object_new_string(buf);
}

static struct json_object *pid_or_null(int32_t pid)
{
	return pid >= 0 ? json_object_new_int(pid) : NULL;
}

static struct json_object *string_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static struct json_object *json_waiters(const struct kt_lock *lock,
					struct json_object **pids,
					struct json_object **writers)
{
	struct json_object *list = json_object_new_array();
	*pids = json_object_new_array();
	*writers = json_object_new_array();
	for (size_t i = 0; i < lock->nr_waiters; i++) {
		const struct kt_lock_waiter *w = &lock->waiters[i];
		json_object_array_add(*pids, json_object_new_int(w->pid));
		if (w->writer)
			json_object_array_add(*writers, json_object_new_int(w->pid));
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "pid", json_object_new_int(w->pid));
		json_object_object_add(o, "task", hex(w->task));
		json_object_object_add(o, "waiter", w->object ? hex(w->object) : NULL);
		json_object_object_add(o, "writer", json_object_new_boolean(w->writer));
		json_object_object_add(o, "in_wait_list", json_object_new_boolean(w->in_list));
		json_object_object_add(o, "via_pi_blocked_on",
				       json_object_new_boolean(w->via_pi_blocked_on));
		json_object_array_add(list, o);
	}
	return list;
}

/* Holders inferred for locks that record none, with the evidence. */
static struct json_object *json_candidates(struct kt_kernel *k, const struct kt_lock *lock)
{
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; i < lock->nr_candidates; i++) {
		const struct kt_lock_candidate *c = &lock->candidates[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "pid", json_object_new_int(c->pid));
		json_object_object_add(o, "comm", json_object_new_string(comm_of(k, c->task)));
		json_object_object_add(o, "task", hex(c->task));
		json_object_object_add(o, "cpu", c->cpu >= 0 ? json_object_new_int(c->cpu) : NULL);
		json_object_object_add(o, "confidence",
				       json_object_new_string(c->likely ? "likely" : "possible"));
		json_object_object_add(o, "reason", json_object_new_string(c->reason));
		json_object_array_add(list, o);
	}
	return list;
}

static void json_unowned(struct kt_kernel *k, const struct kt_lock *lock,
			 struct json_object *o)
{
	if (!kt_lock_kind_infers_holder(lock->kind))
		return;
	json_object_object_add(o, "holder_candidates", json_candidates(k, lock));
	if (lock->kind == KT_LOCK_SEMAPHORE)
		json_object_object_add(o, "count", json_object_new_int64((int64_t)lock->count));
	if (!kt_lock_kind_spins(lock->kind))
		return;
	struct json_object *cpus = json_object_new_array();
	for (size_t i = 0; i < lock->nr_spinners; i++)
		json_object_array_add(cpus, json_object_new_int(lock->spinner_cpus[i]));
	json_object_object_add(o, "spinner_cpus", cpus);
	json_object_object_add(o, "lock_word", hex(lock->count));
	int32_t tail = kt_qspinlock_tail_cpu((uint32_t)lock->count);
	if (lock->kind == KT_LOCK_SPINLOCK)
		json_object_object_add(o, "queue_tail_cpu", tail >= 0 ? json_object_new_int(tail) : NULL);
}

static struct json_object *json_lock(struct kt_kernel *k, const struct kt_lock *lock)
{
	struct json_object *o = json_object_new_object(), *pids, *writers;
	struct json_object *waiters = json_waiters(lock, &pids, &writers);
	json_object_object_add(o, "address", hex(lock->address));
	json_object_object_add(o, "symbol", string_or_null(lock->symbol));
	json_object_object_add(o, "kind", json_object_new_string(kt_lock_kind_name(lock->kind)));
	json_object_object_add(o, "owner_pid", pid_or_null(lock->owner_pid));
	json_object_object_add(o, "owner_word", hex(lock->owner_word));
	json_object_object_add(o, "waiter_pids", pids);
	if (reader_kind(lock->kind)) {
		struct json_object *readers = json_object_new_array();
		for (size_t i = 0; i < lock->nr_readers; i++)
			json_object_array_add(readers, json_object_new_int(lock->reader_pids[i]));
		json_object_object_add(o, "reader_pids", readers);
		json_object_object_add(o, "writer_waiter_pids", writers);
		json_object_object_add(o, "readers", lock->readers >= 0
				       ? json_object_new_int64(lock->readers) : NULL);
	} else {
		json_object_put(writers);
	}
	if (lock->kind == KT_LOCK_PERCPU_RWSEM)
		json_object_object_add(o, "block", json_object_new_int64((int64_t)lock->count));
	if (lock->kind == KT_LOCK_RWSEM)
		json_object_object_add(o, "count", hex(lock->count));
	json_object_object_add(o, "owner_task", lock->owner ? hex(lock->owner) : NULL);
	json_object_object_add(o, "owner_source", string_or_null(lock->owner_source));
	json_unowned(k, lock, o);
	json_object_object_add(o, "corrupt", json_object_new_boolean(lock->corrupt));
	json_object_object_add(o, "partial", json_object_new_boolean(lock->partial));
	json_object_object_add(o, "problem", string_or_null(kt_lock_problem(lock)));
	json_object_object_add(o, "waiters", waiters);
	return o;
}

static struct json_object *json_cycle(const struct kt_lock_graph_view *g,
				      const struct kt_lock_cycle *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *pids = json_object_new_array(), *locks = json_object_new_array(),
			   *symbols = json_object_new_array();
	for (size_t i = 0; i < c->length; i++) {
		char buf[24];
		json_object_array_add(pids, json_object_new_int(c->pids[i]));
		json_object_array_add(locks, hex(c->locks[i]));
		json_object_array_add(symbols, json_object_new_string(
						      lock_label(g, c->locks[i], buf, sizeof(buf))));
	}
	json_object_object_add(o, "pids", pids);
	json_object_object_add(o, "locks", locks);
	json_object_object_add(o, "symbols", symbols);
	return o;
}

static struct json_object *json_wait(struct kt_kernel *k, const struct kt_lock_graph_view *g,
				     const struct kt_task_wait *w)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(w->pid));
	json_object_object_add(o, "comm", json_object_new_string(comm_of(k, w->task)));
	json_object_object_add(o, "kind", json_object_new_string(kt_lock_kind_name(w->kind)));
	json_object_object_add(o, "object", w->object ? hex(w->object) : NULL);
	json_object_object_add(o, "symbol", string_or_null(w->symbol));
	json_object_object_add(o, "writer", json_object_new_boolean(w->writer));
	if (w->kind == KT_WAIT_PAGE)
		json_object_object_add(o, "bit", json_object_new_int((int32_t)w->bit));
	json_object_object_add(o, "function", string_or_null(w->function));
	json_object_object_add(o, "how", string_or_null(w->how));
	json_object_object_add(o, "waiter", w->waiter ? hex(w->waiter) : NULL);
	if (kt_lock_kind_spins(w->kind))
		json_object_object_add(o, "cpu", w->cpu >= 0 ? json_object_new_int(w->cpu) : NULL);
	struct kt_lock_chain c;
	kt_lock_graph_chain(g->graph, w->task, &c);
	struct json_object *path = json_object_new_array();
	json_object_array_add(path, json_object_new_int(w->pid));
	for (size_t i = 0; i < c.length; i++)
		json_object_array_add(path, json_object_new_int(c.steps[i]->to_pid));
	json_object_object_add(o, "chain", path);
	json_object_object_add(o, "chain_is_cycle", json_object_new_boolean(c.cycle));
	return o;
}

static void print_json(struct kt_kernel *k, const struct kt_lock_graph_view *g)
{
	struct json_object *root = json_object_new_object();
	struct json_object *locks = json_object_new_array(), *cycles = json_object_new_array(),
			   *waits = json_object_new_array();
	for (size_t i = 0; i < g->nr_locks; i++)
		json_object_array_add(locks, json_lock(k, g->locks[i]));
	for (size_t i = 0; i < g->nr_cycles; i++)
		json_object_array_add(cycles, json_cycle(g, &g->cycles[i]));
	for (size_t i = 0; i < g->nr_waits; i++)
		json_object_array_add(waits, json_wait(k, g, &g->waits[i]));
	json_object_object_add(root, "locks", locks);
	json_object_object_add(root, "cycles", cycles);
	json_object_object_add(root, "waits", waits);
	kt_cli_print_json(root);
}

/* ---- Text ------------------------------------------------------------- */

static void print_pid_list(struct kt_kernel *k, const int32_t *pids,
			   const uint64_t *tasks, size_t n, const bool *writer)
{
	for (size_t i = 0; i < n; i++)
		printf("%s%d %s%s", i ? ", " : "", pids[i], comm_of(k, tasks[i]),
		       writer && writer[i] ? " (write)" : "");
	if (!n)
		printf("-");
	putchar('\n');
}

static void print_candidates_text(struct kt_kernel *k, const struct kt_lock *lock)
{
	if (lock->nr_spinners) {
		printf("    spinning: CPU");
		for (size_t i = 0; i < lock->nr_spinners; i++)
			printf("%s %d", i ? "," : "", lock->spinner_cpus[i]);
		putchar('\n');
	}
	if (!kt_lock_kind_infers_holder(lock->kind))
		return;
	for (size_t i = 0; i < lock->nr_candidates; i++) {
		const struct kt_lock_candidate *c = &lock->candidates[i];
		printf("    holder (%s): %d %s, %s\n", c->likely ? "likely" : "possible", c->pid,
		       comm_of(k, c->task), c->reason);
	}
}

static void print_waiters_text(struct kt_kernel *k, const struct kt_lock *lock)
{
	size_t n = lock->nr_waiters + 1;
	int32_t *pids = malloc(n * sizeof(*pids));
	uint64_t *tasks = malloc(n * sizeof(*tasks));
	bool *writer = malloc(n * sizeof(*writer));
	if (pids && tasks && writer) {
		for (size_t i = 0; i < lock->nr_waiters; i++) {
			pids[i] = lock->waiters[i].pid;
			tasks[i] = lock->waiters[i].task;
			writer[i] = reader_kind(lock->kind) && lock->waiters[i].writer;
		}
		printf("    waiters: ");
		print_pid_list(k, pids, tasks, lock->nr_waiters, writer);
	}
	free(pids);
	free(tasks);
	free(writer);
}

static void print_lock_text(struct kt_kernel *k, const struct kt_lock *lock)
{
	char owner[64] = "-";
	if (lock->owner)
		snprintf(owner, sizeof(owner), "%d %s", lock->owner_pid,
			 comm_of(k, lock->owner));
	for (size_t i = 0; !lock->owner && i < lock->nr_candidates; i++)
		if (lock->candidates[i].likely)
			snprintf(owner, sizeof(owner), "%d %s?", lock->candidates[i].pid,
				 comm_of(k, lock->candidates[i].task));
	printf("%016llx  %-13s %-28s %-22s %zu\n", (unsigned long long)lock->address,
	       kt_lock_kind_name(lock->kind), lock->symbol[0] ? lock->symbol : "?",
	       owner, lock->nr_waiters);
	if (lock->kind == KT_LOCK_PERCPU_RWSEM) {
		printf("    block %llu, writer ", (unsigned long long)lock->count);
		if (lock->owner_word)
			printf("%d %s waits for the readers",
			       kt_task_by_address(k, lock->owner_word)
				       ? kt_task_by_address(k, lock->owner_word)->pid : -1,
			       comm_of(k, lock->owner_word));
		else
			printf("none waiting");
	} else if (lock->kind == KT_LOCK_SEMAPHORE) {
		printf("    count %llu (no owner recorded)", (unsigned long long)lock->count);
	} else if (kt_lock_kind_spins(lock->kind)) {
		printf("    lock word 0x%llx (no owner recorded)", (unsigned long long)lock->count);
	} else {
		printf("    owner word 0x%llx", (unsigned long long)lock->owner_word);
		char flags[64];
		kt_lock_flag_names(lock->kind, lock->flags, flags, sizeof(flags));
		if (flags[0])
			printf(" (%s)", flags);
	}
	if (lock->owner_source[0])
		printf(", owner from %s", lock->owner_source);
	if (lock->readers >= 0)
		printf(", %lld reader%s", (long long)lock->readers,
		       lock->readers == 1 ? "" : "s");
	putchar('\n');
	print_waiters_text(k, lock);
	if (reader_kind(lock->kind)) {
		printf("    readers: ");
		print_pid_list(k, lock->reader_pids, lock->reader_tasks, lock->nr_readers, NULL);
	}
	print_candidates_text(k, lock);
	if (kt_lock_problem(lock)[0])
		printf("    %s: %s\n", lock->corrupt ? "CORRUPT" : "note", kt_lock_problem(lock));
}

static void print_wait_text(struct kt_kernel *k, const struct kt_task_wait *w)
{
	char object[200] = "-";
	if (w->symbol[0])
		snprintf(object, sizeof(object), "%s", w->symbol);
	else if (w->object)
		snprintf(object, sizeof(object), "0x%llx", (unsigned long long)w->object);
	if (w->kind == KT_WAIT_PAGE && w->object)
		snprintf(object, sizeof(object), "folio 0x%llx bit %u",
			 (unsigned long long)w->object, w->bit);
	printf("%7d  %-16s %-13s %-32s %s%s\n", w->pid, comm_of(k, w->task),
	       kt_lock_kind_name(w->kind), object, w->function[0] ? w->function : "-",
	       w->writer ? " (write)" : "");
}

static void print_chain_text(struct kt_kernel *k, const struct kt_lock_graph_view *g,
			     const struct kt_task_wait *w)
{
	struct kt_lock_chain c;
	kt_lock_graph_chain(g->graph, w->task, &c);
	if (!c.length)
		return;
	printf("  %d %s", w->pid, comm_of(k, w->task));
	for (size_t i = 0; i < c.length; i++) {
		char buf[24];
		printf(" -> [%s] -> %d %s", lock_label(g, c.steps[i]->lock, buf, sizeof(buf)),
		       c.steps[i]->to_pid, comm_of(k, c.steps[i]->to));
	}
	if (c.cycle) {
		printf("  (deadlock: back to %d)\n", c.steps[c.length - 1]->to_pid);
		return;
	}
	const struct kt_task_wait *root = kt_lock_graph_wait_of(g->graph, c.steps[c.length - 1]->to);
	if (root && root->kind != KT_WAIT_NONE)
		printf("  (root, in %s%s%s)", kt_lock_kind_name(root->kind),
		       root->function[0] ? " " : "", root->function);
	else
		printf("  (root)");
	putchar('\n');
}

/* Waits on something that records no owner: each object once, with its waiters. */
static void print_events_text(const struct kt_lock_graph_view *g)
{
	bool header = false;
	for (size_t i = 0; i < g->nr_waits; i++) {
		const struct kt_task_wait *w = &g->waits[i];
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = g->waits[j].object != w->object;
		if (kt_lock_kind_has_owner(w->kind) || !w->object || !first)
			continue;
		if (!header)
			printf("\nEvents (waits with no owner):\n");
		header = true;
		printf("  %s %s:", kt_lock_kind_name(w->kind), w->symbol[0] ? w->symbol : "?");
		for (size_t j = i; j < g->nr_waits; j++)
			if (g->waits[j].object == w->object)
				printf(" %d", g->waits[j].pid);
		printf("; waits for an event, no owner\n");
	}
}

static void print_text(struct kt_kernel *k, const struct kt_lock_graph_view *g)
{
	printf("%-16s  %-13s %-28s %-22s %s\n", "LOCK", "KIND", "SYMBOL", "OWNER", "WAITERS");
	for (size_t i = 0; i < g->nr_locks; i++)
		print_lock_text(k, g->locks[i]);
	if (!g->nr_locks)
		printf("(no task waits on a lock)\n");
	printf("\n%7s  %-16s %-13s %-32s %s\n", "PID", "COMM", "WAITS ON", "OBJECT", "IN");
	for (size_t i = 0; i < g->nr_waits; i++)
		print_wait_text(k, &g->waits[i]);
	print_events_text(g);
	printf("\nCycles:%s\n", g->nr_cycles ? "" : " none");
	for (size_t i = 0; i < g->nr_cycles; i++) {
		const struct kt_lock_cycle *c = &g->cycles[i];
		printf("  deadlock:");
		for (size_t j = 0; j < c->length; j++) {
			char buf[24];
			printf(" %d %s -> [%s] ->", c->pids[j], comm_of(k, c->tasks[j]),
			       lock_label(g, c->locks[j], buf, sizeof(buf)));
		}
		printf(" %d\n", c->pids[0]);
	}
	printf("\nChains (waiter -> lock -> holder ... root):\n");
	for (size_t i = 0; i < g->nr_waits; i++)
		print_chain_text(k, g, &g->waits[i]);
}

/* ---- DOT -------------------------------------------------------------- */

static bool edge_in_cycle(const struct kt_lock_graph_view *g, uint64_t from,
			  uint64_t lock, uint64_t to)
{
	for (size_t i = 0; i < g->nr_cycles; i++) {
		const struct kt_lock_cycle *c = &g->cycles[i];
		for (size_t j = 0; j < c->length; j++)
			if (c->locks[j] == lock &&
			    (from ? c->tasks[j] == from : c->tasks[(j + 1) % c->length] == to))
				return true;
	}
	return false;
}

static void dot_string(const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
}

static void dot_task(struct kt_kernel *k, uint64_t task, int32_t pid)
{
	const struct kt_task *t = kt_task_by_address(k, task);
	printf("  t%llx [shape=ellipse, label=\"%d\\n", (unsigned long long)task, pid);
	dot_string(comm_of(k, task));
	printf("\\n%s\"];\n", t ? kt_task_state_name(t->state) : "?");
}

static void dot_tasks(struct kt_kernel *k, const struct kt_lock_graph_view *g)
{
	uint64_t done[512];
	size_t n = 0;
	for (size_t i = 0; i < g->nr_edges + g->nr_waits; i++) {
		uint64_t pair[2];
		int32_t pids[2];
		if (i < g->nr_edges) {
			pair[0] = g->edges[i].from, pids[0] = g->edges[i].from_pid;
			pair[1] = g->edges[i].to, pids[1] = g->edges[i].to_pid;
		} else {
			pair[0] = pair[1] = g->waits[i - g->nr_edges].task;
			pids[0] = pids[1] = g->waits[i - g->nr_edges].pid;
		}
		for (int j = 0; j < 2; j++) {
			bool seen = false;
			for (size_t d = 0; d < n && !seen; d++)
				seen = done[d] == pair[j];
			if (seen)
				continue;
			if (n < sizeof(done) / sizeof(done[0]))
				done[n++] = pair[j];
			dot_task(k, pair[j], pids[j]);
		}
	}
}

static void dot_locks(const struct kt_lock_graph_view *g)
{
	for (size_t i = 0; i < g->nr_locks; i++) {
		const struct kt_lock *l = g->locks[i];
		printf("  l%llx [shape=box, style=filled, fillcolor=%s, label=\"",
		       (unsigned long long)l->address, l->corrupt ? "salmon" : "lightgrey");
		dot_string(l->symbol[0] ? l->symbol : "?");
		printf("\\n%s 0x%llx", kt_lock_kind_name(l->kind), (unsigned long long)l->address);
		if (l->corrupt)
			printf("\\nCORRUPT: owner word 0x%llx", (unsigned long long)l->owner_word);
		printf("\"];\n");
		for (size_t j = 0; j < l->nr_waiters; j++) {
			const struct kt_lock_waiter *w = &l->waiters[j];
			printf("  t%llx -> l%llx [label=\"%s\"%s];\n", (unsigned long long)w->task,
			       (unsigned long long)l->address,
			       w->writer && reader_kind(l->kind) ? "waits (write)" : "waits",
			       edge_in_cycle(g, w->task, l->address, 0) ? ", color=red, penwidth=2" : "");
		}
		for (size_t j = 0; j < l->nr_candidates; j++)
			printf("  l%llx -> t%llx [label=\"holder (%s)\", style=dashed];\n",
			       (unsigned long long)l->address, (unsigned long long)l->candidates[j].task,
			       l->candidates[j].likely ? "likely" : "possible");
		if (l->owner)
			printf("  l%llx -> t%llx [label=\"owner\"%s];\n", (unsigned long long)l->address,
			       (unsigned long long)l->owner,
			       edge_in_cycle(g, 0, l->address, l->owner) ? ", color=red, penwidth=2" : "");
		/* The writer waiting for readers holds block against new ones. */
		if (l->kind == KT_LOCK_PERCPU_RWSEM && l->owner_word)
			printf("  l%llx -> t%llx [label=\"block held by\", style=dashed];\n",
			       (unsigned long long)l->address, (unsigned long long)l->owner_word);
		for (size_t j = 0; j < l->nr_readers; j++)
			printf("  l%llx -> t%llx [label=\"reader\", style=dashed%s];\n",
			       (unsigned long long)l->address, (unsigned long long)l->reader_tasks[j],
			       edge_in_cycle(g, 0, l->address, l->reader_tasks[j])
				       ? ", color=red, penwidth=2" : "");
	}
}

/* Waits with no lock: completions, pages, I/O, sleeps. */
static void dot_other_waits(const struct kt_lock_graph_view *g)
{
	for (size_t i = 0; i < g->nr_waits; i++) {
		const struct kt_task_wait *w = &g->waits[i];
		if (kt_lock_kind_has_owner(w->kind) && w->object)
			continue;
		printf("  w%zu [shape=note, label=\"%s", i, kt_lock_kind_name(w->kind));
		if (w->symbol[0]) {
			printf("\\n");
			dot_string(w->symbol);
		} else if (w->object) {
			printf("\\n0x%llx", (unsigned long long)w->object);
		}
		if (w->function[0])
			printf("\\nin %s", w->function);
		printf("\"];\n  t%llx -> w%zu [style=dotted];\n", (unsigned long long)w->task, i);
	}
}

static void print_dot(struct kt_kernel *k, const struct kt_lock_graph_view *g)
{
	printf("digraph locks {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
	dot_tasks(k, g);
	dot_locks(g);
	dot_other_waits(g);
	printf("}\n");
}

/* ---- The command ------------------------------------------------------ */

static int locks_option(void *ctx, int code, const char *arg)
{
	*(bool *)ctx = true; /* --dot, the one option of ours */
	return 0;
}

static int parse(int argc, char **argv, struct kt_cli_opts *opts, enum format *format)
{
	static const struct option longopts[] = {
		{ "dot", no_argument, NULL, 'D' },
		{ 0 },
	};
	bool dot = false;
	const struct kt_cli_parser p = {
		.command = "locks", .common = KT_CLI_DUMP_OPTIONS, .longopts = longopts,
		.option = locks_option, .ctx = &dot,
	};
	int status = kt_cli_parse_one_dump(&p, argc, argv, opts);
	if (status)
		return status;
	if (dot && opts->json)
		return kt_cli_usage("locks", "--json and --dot exclude each other");
	*format = dot ? DOT : opts->json ? JSON : TEXT;
	return 0;
}

struct locks_run {
	struct kt_cli_opts opts;
	enum format format;
};

static int locks_body(struct kt_kernel *k, void *ctx)
{
	const struct locks_run *r = ctx;
	struct kt_lock_graph *graph;
	struct kt_error *err = kt_lock_graph(k, &graph);
	if (err) /* the error first: warnings follow it, as they follow a result */
		return kt_cli_fail(kt_error_wrap(err, "%s", r->opts.dump));
	const struct kt_lock_graph_view v = kt_lock_graph_view(graph);
	if (r->format == JSON)
		print_json(k, &v);
	else if (r->format == DOT)
		print_dot(k, &v);
	else
		print_text(k, &v);
	kt_lock_graph_free(graph);
	return KT_EXIT_OK;
}

int kt_cmd_locks(int argc, char **argv)
{
	struct locks_run r = { .format = TEXT };
	return kt_cli_run_parsed(parse(argc, argv, &r.opts, &r.format), &r.opts, locks_body, &r);
}
