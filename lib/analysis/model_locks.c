// SPDX-License-Identifier: MIT
/*
 * Lock evidence from memory: the wait-for graph of the dump's blocked
 * tasks (kt_lock_graph): each lock's owner, owner word and waiters, what
 * each task waits on, the cycles.  This is what turns "the stacks look
 * like a deadlock" into "the owners and waiters close a cycle".
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static struct kt_lock_graph *graph_of(struct kt_analysis *a)
{
	if (!a->kernel)
		return NULL;
	if (!a->graph_read) {
		a->graph_read = true;
		struct kt_error *err = kt_lock_graph(a->kernel, &a->graph);
		if (err) {
			kt_analysis_note(a, "the lock graph could not be built from memory: %s",
					 kt_error_string(err));
			kt_error_free(err);
			a->graph = NULL;
		}
	}
	return a->graph;
}

struct kt_lock_graph *kt_model_graph(struct kt_analysis *a)
{
	return graph_of(a);
}

void kt_model_release(struct kt_analysis *a)
{
	kt_lock_graph_free(a->graph);
	a->graph = NULL;
}

/*
 * "cfg_lock [cfgstore]" -> "cfg_lock" and "cfgstore"; "kmalloc-2k+0x278
 * (object 0x...)" -> "kmalloc-2k+0x278"; a name by what contains the lock
 * ("mmap_lock of mm_struct of pid 57 (postgres)") stays whole.
 */
static void split_symbol(const char *symbol, char *name, size_t size, const char **module)
{
	const char *open = strstr(symbol, " [");
	const char *object = strstr(symbol, " (object ");
	size_t len = strlen(symbol);
	*module = NULL;
	if (open && symbol[len - 1] == ']') {
		len = (size_t)(open - symbol);
		*module = open + 2;
	} else if (object) {
		len = (size_t)(object - symbol);
	}
	snprintf(name, size, "%.*s", (int)len, symbol);
}

/* Named by a kernel or module symbol, not by the object it is in. */
static bool named_by_symbol(const char *name)
{
	return *name && !strstr(name, "+0x") && !strstr(name, " of ");
}

/* The holder inferred for a lock that records none: one likely candidate. */
static const struct kt_lock_candidate *likely_holder(const struct kt_lock *lock)
{
	const struct kt_lock_candidate *found = NULL;
	for (size_t i = 0; i < lock->nr_candidates; i++)
		if (lock->candidates[i].likely) {
			if (found)
				return NULL;
			found = &lock->candidates[i];
		}
	return found;
}

static const char *comm_of(struct kt_analysis *a, int32_t pid)
{
	const struct kt_task *t = pid >= 0 ? kt_model_task(a, pid) : NULL;
	return t ? t->comm : NULL;
}

static bool involves(const struct kt_lock *lock, struct kt_finding_draft *f)
{
	for (size_t i = 0; i < lock->nr_waiters; i++)
		if (lock->waiters[i].pid >= 0 && kt_finding_task(f, lock->waiters[i].pid))
			return true;
	return lock->owner_pid >= 0 && kt_finding_task(f, lock->owner_pid);
}

/* The lock a stack (log or memory) named from its takers that shares a waiter with lock. */
static struct kt_evidence_lock *log_named(struct kt_finding_draft *f, const struct kt_lock *lock)
{
	for (size_t i = 0; i < f->pub.nr_locks; i++) {
		struct kt_evidence_lock *e = (struct kt_evidence_lock *)&f->pub.locks[i];
		if (e->address ||
		    strcmp(e->kind ? e->kind : "", kt_lock_kind_name(lock->kind)) != 0)
			continue;
		for (size_t k = 0; k < e->nr_waiters; k++)
			for (size_t w = 0; w < lock->nr_waiters; w++)
				if (e->waiter_pids[k] == lock->waiters[w].pid)
					return e;
	}
	return NULL;
}

static bool any_writer(const struct kt_lock *lock)
{
	for (size_t i = 0; i < lock->nr_waiters; i++)
		if (lock->waiters[i].writer)
			return true;
	return false;
}

/* "from memory; held for reading by 57; in module cfgstore; <problem>". */
static const char *lock_note(struct kt_analysis *a, const struct kt_lock *lock,
			     const struct kt_evidence_lock *e, const char *name,
			     const char *module, const struct kt_lock_candidate *holder)
{
	char readers[96] = "";
	for (size_t i = 0; i < lock->nr_readers && strlen(readers) < 80; i++)
		snprintf(readers + strlen(readers), sizeof(readers) - strlen(readers), "%s%d",
			 i ? " " : "", lock->reader_pids[i]);
	bool write_held = lock->kind == KT_LOCK_PERCPU_RWSEM && lock->count &&
			  lock->nr_readers == 0 && !any_writer(lock);
	const char *origin = strstr(name, "+0x") && e->symbol && strcmp(e->symbol, name) != 0
				     ? kt_arena_printf(a->arena, "from memory (in %s)", lock->symbol)
				     : "from memory";
	if (holder)
		origin = kt_arena_printf(a->arena, "%s; no holder recorded: likely %s:%d, %s",
					 origin, comm_of(a, holder->pid) ? comm_of(a, holder->pid) : "?",
					 holder->pid, holder->reason);
	char *note = kt_arena_printf(a->arena, "%s%s%s%s%s%s%s%s", origin,
				  write_held ? "; held for write (block set) by a writer that is not waiting" : "",
				  module ? "; in module " : "", module ? module : "",
				  *readers ? "; held for reading by " : "", readers,
				  lock->corrupt || lock->partial ? "; " : "",
				  lock->corrupt || lock->partial ? kt_lock_problem(lock) : "");
	if (module && note) {
		/* "cfgstore]" from split_symbol: drop the bracket */
		char *bracket = strchr(note, ']');
		if (bracket)
			memmove(bracket, bracket + 1, strlen(bracket));
	}
	return note;
}

static struct kt_evidence_lock *add_lock(struct kt_analysis *a, struct kt_finding_draft *f,
					 const struct kt_lock *lock)
{
	char name[192];
	const char *module;
	split_symbol(lock->symbol, name, sizeof(name), &module);
	struct kt_evidence_lock *e = NULL;
	/*
	 * A lock in a heap object: when the log named it from its takers
	 * (sb_writers), it is the same lock if they share a waiter.  Memory's
	 * name says whose it is; a bare slab offset does not beat the log's.
	 */
	if (!named_by_symbol(name))
		e = log_named(f, lock);
	if (e) {
		e->sources |= KT_FROM_MEMORY;
		kt_finding_add_sources(f, KT_FROM_MEMORY);
		module = NULL;
		if (*name && !strstr(name, "+0x"))
			e->symbol = kt_finding_strdup(f, name);
	} else {
		e = kt_finding_add_lock(f, *name ? name : NULL, kt_lock_kind_name(lock->kind),
					KT_FROM_MEMORY);
	}
	if (!e)
		return NULL;
	e->address = lock->address;
	e->kind = kt_lock_kind_name(lock->kind);
	e->owner_pid = lock->owner_pid;
	const struct kt_lock_candidate *holder = lock->owner_pid < 0 ? likely_holder(lock) : NULL;
	if (holder)
		e->owner_pid = holder->pid;
	e->owner_comm = kt_finding_strdup(f, comm_of(a, e->owner_pid));
	/* A percpu_rw_semaphore has no owner word, only readers and a writer. */
	e->has_owner_word = kt_lock_kind_has_owner(lock->kind) && lock->kind != KT_LOCK_PERCPU_RWSEM;
	e->owner_word = lock->owner_word;
	e->nr_waiters = 0;
	for (size_t i = 0; i < lock->nr_waiters; i++)
		if (lock->waiters[i].pid >= 0)
			kt_finding_lock_waiter(f, e, lock->waiters[i].pid);
	e->note = lock_note(a, lock, e, name, module, holder);
	return e;
}

/* What each task of the finding waits on, as memory says. */
static void task_waits(struct kt_analysis *a, struct kt_finding_draft *f,
		       const struct kt_lock_graph_view *g)
{
	for (size_t i = 0; i < g->nr_waits; i++) {
		const struct kt_task_wait *w = &g->waits[i];
		struct kt_evidence_task *t = kt_finding_task(f, w->pid);
		if (!t || w->kind == KT_WAIT_NONE)
			continue;
		t->waits_on = kt_arena_printf(a->arena, "%s%s(%s%s, in %s)",
					      w->symbol, *w->symbol ? " " : "",
					      kt_lock_kind_name(w->kind), w->writer ? ", write" : "",
					      w->function);
		t->sources |= KT_FROM_MEMORY;
	}
}

static const char *lock_name(const struct kt_lock_graph_view *g, uint64_t address, char *buf,
			     size_t size)
{
	const char *module;
	const struct kt_lock *lock = kt_lock_graph_lock_at(g->graph, address);
	snprintf(buf, size, "a lock");
	if (lock && *lock->symbol)
		split_symbol(lock->symbol, buf, size, &module);
	return buf;
}

/*
 * "containerd-shim:107 waits for cgroup_mutex held by runc:[2:INIT]:108,
 * which waits for cgroup_threadgroup_rwsem held by containerd-shim:107"
 */
static const char *cycle_text(struct kt_analysis *a, const struct kt_lock_graph_view *g,
			      const struct kt_lock_cycle *c)
{
	char text[640] = "";
	for (size_t i = 0; i < c->length && strlen(text) < 480; i++) {
		char symbol[192];
		lock_name(g, c->locks[i], symbol, sizeof(symbol));
		int32_t holder = c->pids[(i + 1) % c->length];
		const char *comm = comm_of(a, c->pids[i]), *holder_comm = comm_of(a, holder);
		if (i == 0)
			snprintf(text, sizeof(text), "%s:%d", comm ? comm : "?", c->pids[i]);
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "%s waits for %s held by %s:%d", i ? ", which" : "", symbol,
			 holder_comm ? holder_comm : "?", holder);
	}
	return kt_arena_strdup(a->arena, text);
}

/*
 * From a waiter to the root of its wait, along the graph's edges: "103
 * cfgstore_wrk/0 -> cfg_lock -> 102 cfgstore_flush, waiting on
 * completion cfg_io_done".  Bounded by the number of edges; stops at a
 * task seen before (a cycle, reported on its own).
 */
static const char *chain_text(struct kt_analysis *a, const struct kt_lock_graph_view *g,
			      int32_t pid)
{
	char text[640] = "", name[192];
	const char *comm = comm_of(a, pid);
	snprintf(text, sizeof(text), "%s:%d", comm ? comm : "?", pid);
	struct kt_lock_chain chain;
	kt_lock_graph_chain(g->graph, kt_lock_graph_waiter_task(g->graph, pid), &chain);
	for (size_t i = 0; i < chain.length; i++) {
		const struct kt_wait_edge *e = chain.steps[i];
		comm = comm_of(a, e->to_pid);
		if (strlen(text) < 500)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), " -> %s -> %s:%d",
				 lock_name(g, e->lock, name, sizeof(name)), comm ? comm : "?", e->to_pid);
	}
	if (chain.cycle)
		return kt_arena_printf(a->arena, "%s (a cycle)", text);
	int32_t root = chain.length ? chain.steps[chain.length - 1]->to_pid : pid;
	const struct kt_task_wait *w = kt_lock_graph_wait_of_pid(g->graph, root);
	/* Blocked on a lock without a known owner: the chain ends unknown. */
	if (w && w->kind != KT_WAIT_NONE && !kt_lock_kind_has_owner(w->kind))
		return kt_arena_printf(a->arena, "%s, waiting on %s%s%s (in %s)", text,
				       kt_lock_kind_name(w->kind), *w->symbol ? " " : "",
				       w->symbol, w->function);
	return chain.length ? kt_arena_strdup(a->arena, text) : NULL;
}

/* The graph's cycles through the finding's tasks, as facts. */
static void note_cycles(struct kt_analysis *a, struct kt_finding_draft *f,
			const struct kt_lock_graph_view *g, struct kt_model_lock_summary *out)
{
	for (size_t i = 0; i < g->nr_cycles; i++) {
		const struct kt_lock_cycle *c = &g->cycles[i];
		bool ours = false;
		for (size_t k = 0; k < c->length; k++)
			ours |= kt_finding_task(f, c->pids[k]) != NULL;
		if (!ours)
			continue;
		out->cycles++;
		const char *text = cycle_text(a, g, c);
		if (!out->cycle)
			out->cycle = text;
		kt_finding_fact_from(f, KT_FROM_MEMORY, out->cycles == 1 ? "cycle" : "cycle_more", "%s", text);
	}
}

/* What the busiest lock's owner waits on in turn: the likely root. */
static void note_root_wait(struct kt_analysis *a, const struct kt_lock_graph_view *g,
			   struct kt_model_lock_summary *out)
{
	if (out->busiest && out->busiest->owner_pid >= 0) {
		out->root_pid = out->busiest->owner_pid;
		for (size_t i = 0; i < g->nr_waits; i++)
			if (g->waits[i].pid == out->root_pid && g->waits[i].kind != KT_WAIT_NONE)
				out->root_wait = kt_arena_printf(a->arena, "%s%s(%s, in %s)",
								 g->waits[i].symbol,
								 *g->waits[i].symbol ? " " : "",
								 kt_lock_kind_name(g->waits[i].kind),
								 g->waits[i].function);
	}
}

/*
 * The wait with no owner (a completion, a folio or buffer lock, I/O) most of
 * the finding's tasks share: "completion ev_ready [evwait]".
 */
static void shared_event(struct kt_analysis *a, struct kt_finding_draft *f,
			 const struct kt_lock_graph_view *g, struct kt_model_lock_summary *out)
{
	const struct kt_task_wait *best = NULL;
	for (size_t i = 0; i < g->nr_waits; i++) {
		const struct kt_task_wait *w = &g->waits[i];
		if (kt_lock_kind_has_owner(w->kind) || !w->object || !kt_finding_task(f, w->pid))
			continue;
		size_t n = 0;
		for (size_t j = 0; j < g->nr_waits; j++)
			n += g->waits[j].object == w->object && kt_finding_task(f, g->waits[j].pid);
		if (n > out->event_waiters) {
			out->event_waiters = n;
			best = w;
		}
	}
	if (best)
		out->event = kt_arena_printf(a->arena, "%s %s", kt_lock_kind_name(best->kind),
					     *best->symbol ? best->symbol
					     : kt_arena_printf(a->arena, "0x%" PRIx64, best->object));
}

/* Owners are evidence too, blocked or not; so are inferred holders. */
static void add_owner_task(struct kt_analysis *a, struct kt_finding_draft *f,
			   const struct kt_lock *lock, const struct kt_evidence_lock *e)
{
	int32_t owner = e ? e->owner_pid : lock->owner_pid;
	if (owner < 0 || !comm_of(a, owner))
		return;
	struct kt_evidence_task *t = kt_finding_add_task(f, owner, comm_of(a, owner),
							 KT_FROM_MEMORY);
	if (t && e)
		t->role = kt_arena_printf(a->arena, "%s%s%s of %s", t->role ? t->role : "",
					  t->role ? "; " : "",
					  owner == lock->owner_pid ? "owner" : "likely holder",
					  e->symbol ? e->symbol : "a lock");
}

bool kt_model_locks(struct kt_analysis *a, struct kt_finding_draft *f,
		    struct kt_model_lock_summary *out)
{
	*out = (struct kt_model_lock_summary){ .root_pid = -1 };
	const struct kt_lock_graph_view view = kt_lock_graph_view(graph_of(a)), *g = &view;
	if (!g->graph || !f)
		return false;
	size_t most = 0;
	shared_event(a, f, g, out);
	for (size_t i = 0; i < g->nr_locks; i++) {
		const struct kt_lock *lock = g->locks[i];
		if (!involves(lock, f))
			continue;
		struct kt_evidence_lock *e = add_lock(a, f, lock);
		out->locks++;
		if (lock->corrupt && !out->corrupt) {
			out->corrupt = e;
			out->problem = kt_arena_strdup(a->arena, kt_lock_problem(lock));
		}
		if (lock->nr_waiters > most) {
			most = lock->nr_waiters;
			out->busiest = e;
			/* block set, no writer waiting, no reader: a writer holds it and left */
			out->write_held = lock->kind == KT_LOCK_PERCPU_RWSEM && lock->count &&
					  lock->nr_readers == 0 && !any_writer(lock);
		}
		add_owner_task(a, f, lock, e);
	}
	task_waits(a, f, g);
	note_cycles(a, f, g, out);
	if (out->busiest && out->busiest->nr_waiters)
		out->chain = chain_text(a, g, out->busiest->waiter_pids[0]);
	if (out->chain)
		kt_finding_fact_from(f, KT_FROM_MEMORY, "chain", "%s", out->chain);
	note_root_wait(a, g, out);
	if (out->locks)
		kt_finding_add_sources(f, KT_FROM_MEMORY);
	return out->locks > 0;
}

/* ---- Spinning CPUs ---------------------------------------------------- */

static const struct kt_task_wait *spinner_of(const struct kt_lock_graph_view *g,
					     const struct kt_lock *lock, int cpu)
{
	const struct kt_task_wait *any = NULL;
	for (size_t i = 0; i < g->nr_waits; i++) {
		const struct kt_task_wait *w = &g->waits[i];
		if (!kt_lock_kind_spins(w->kind) || w->object != lock->address)
			continue;
		if (w->cpu == cpu)
			return w;
		if (!any)
			any = w;
	}
	return any;
}

/* The lock the CPU spins on, else one whose likely holder runs on it. */
static const struct kt_lock *spin_lock_of(const struct kt_lock_graph_view *g, int cpu, bool *spins)
{
	for (size_t i = 0; i < g->nr_locks; i++) {
		const struct kt_lock *lock = g->locks[i];
		for (size_t s = 0; kt_lock_kind_spins(lock->kind) && s < lock->nr_spinners; s++)
			if (lock->spinner_cpus[s] == cpu) {
				*spins = true;
				return lock;
			}
	}
	for (size_t i = 0; i < g->nr_locks; i++) {
		const struct kt_lock_candidate *h = likely_holder(g->locks[i]);
		if (kt_lock_kind_spins(g->locks[i]->kind) && h && h->cpu == cpu) {
			*spins = false;
			return g->locks[i];
		}
	}
	return NULL;
}

bool kt_model_spin(struct kt_analysis *a, struct kt_finding_draft *f, int cpu,
		   struct kt_model_spin *out)
{
	*out = (struct kt_model_spin){ .spinner_pid = -1, .spinner_cpu = -1,
				       .holder_pid = -1, .holder_cpu = -1 };
	const struct kt_lock_graph_view view = kt_lock_graph_view(graph_of(a)), *g = &view;
	const struct kt_lock *lock = g->graph && f && cpu >= 0 ? spin_lock_of(g, cpu, &out->cpu_spins)
							       : NULL;
	if (!lock)
		return false;
	const struct kt_task_wait *w = spinner_of(g, lock, cpu);
	if (w) {
		out->spinner_pid = w->pid;
		out->spinner_cpu = w->cpu;
		out->spinner_comm = comm_of(a, w->pid);
		struct kt_evidence_task *t = kt_finding_add_task(f, w->pid, out->spinner_comm,
								 KT_FROM_MEMORY);
		if (t)
			t->waits_on = kt_arena_printf(a->arena, "%s (%s, spinning on CPU %d; %s)",
						      lock->symbol, kt_lock_kind_name(lock->kind),
						      w->cpu, w->how);
	}
	const struct kt_lock_candidate *h = likely_holder(lock);
	if (h) {
		out->holder_pid = h->pid;
		out->holder_cpu = h->cpu;
		out->holder_comm = comm_of(a, h->pid);
		out->holder_where = kt_arena_strdup(a->arena, h->reason);
	}
	out->lock = add_lock(a, f, lock);
	if (h && comm_of(a, h->pid)) {
		struct kt_evidence_task *t = kt_finding_add_task(f, h->pid, comm_of(a, h->pid),
								 KT_FROM_MEMORY);
		if (t)
			t->role = kt_arena_printf(a->arena, "%s%sholds %s (likely: %s): the culprit",
						  t->role ? t->role : "", t->role ? "; " : "",
						  lock->symbol, h->reason);
	}
	kt_finding_add_sources(f, KT_FROM_MEMORY);
	return true;
}
