// SPDX-License-Identifier: MIT
/*
 * Cycles of the wait-for graph.  Nodes are tasks, an edge says "waits on a
 * lock this task holds".  Tarjan's strongly connected components (kept
 * iterative: a graph from a dump may be deep) find every set of tasks that
 * wait on each other; from each such set one elementary cycle is reported,
 * the shortest through its lowest pid, found by a breadth-first search
 * that stays inside the set.  Pure: no kernel memory is read here.
 */
#include <stdlib.h>
#include <string.h>

#include "locks.h"

struct graph {
	size_t n;               /* nodes */
	uint64_t *task;         /* node -> task address, sorted */
	int32_t *pid;
	size_t *first;          /* node -> index in order[] of its first edge */
	size_t *order;          /* edge indices sorted by their from-node */
	size_t *from, *to;      /* edge -> nodes */
	const struct kt_wait_edge *edges;
	size_t nr_edges;
};

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static size_t node_of(const struct graph *g, uint64_t task)
{
	const uint64_t *hit = bsearch(&task, g->task, g->n, sizeof(*g->task),
				      compare_u64);
	return (size_t)(hit - g->task);
}

static void graph_free(struct graph *g)
{
	free(g->task);
	free(g->pid);
	free(g->first);
	free(g->order);
	free(g->from);
	free(g->to);
}

static struct kt_error *nodes_build(struct graph *g)
{
	size_t m = g->nr_edges;
	g->task = malloc((2 * m + 1) * sizeof(*g->task));
	if (!g->task)
		return &kt_error_out_of_memory;
	for (size_t i = 0; i < m; i++) {
		g->task[2 * i] = g->edges[i].from;
		g->task[2 * i + 1] = g->edges[i].to;
	}
	qsort(g->task, 2 * m, sizeof(*g->task), compare_u64);
	for (size_t i = 0; i < 2 * m; i++)
		if (!g->n || g->task[g->n - 1] != g->task[i])
			g->task[g->n++] = g->task[i];
	g->pid = malloc((g->n + 1) * sizeof(*g->pid));
	if (!g->pid)
		return &kt_error_out_of_memory;
	for (size_t i = 0; i < m; i++) {
		g->pid[node_of(g, g->edges[i].from)] = g->edges[i].from_pid;
		g->pid[node_of(g, g->edges[i].to)] = g->edges[i].to_pid;
	}
	return NULL;
}

/* Counting sort of the edges by their from-node: adjacency lists. */
static struct kt_error *edges_build(struct graph *g)
{
	size_t m = g->nr_edges;
	g->first = calloc(g->n + 1, sizeof(*g->first));
	g->order = malloc((m + 1) * sizeof(*g->order));
	g->from = malloc((m + 1) * sizeof(*g->from));
	g->to = malloc((m + 1) * sizeof(*g->to));
	if (!g->first || !g->order || !g->from || !g->to)
		return &kt_error_out_of_memory;
	for (size_t i = 0; i < m; i++) {
		g->from[i] = node_of(g, g->edges[i].from);
		g->to[i] = node_of(g, g->edges[i].to);
		g->first[g->from[i] + 1]++;
	}
	for (size_t v = 0; v < g->n; v++)
		g->first[v + 1] += g->first[v];
	size_t *fill = malloc((g->n + 1) * sizeof(*fill));
	if (!fill)
		return &kt_error_out_of_memory;
	memcpy(fill, g->first, (g->n + 1) * sizeof(*fill));
	for (size_t i = 0; i < m; i++)
		g->order[fill[g->from[i]]++] = i;
	free(fill);
	return NULL;
}

/* ---- Tarjan ----------------------------------------------------------- */

#define UNVISITED SIZE_MAX

struct tarjan {
	size_t *index, *low, *component;
	bool *on_stack;
	size_t *stack, depth;    /* nodes of the components being built */
	size_t *call, *edge;     /* the explicit recursion: node, next edge */
	size_t counter, components;
};

static void visit(const struct graph *g, struct tarjan *t, size_t root)
{
	size_t calls = 0;
	t->call[calls] = root;
	t->edge[calls++] = g->first[root];
	t->index[root] = t->low[root] = t->counter++;
	t->stack[t->depth++] = root;
	t->on_stack[root] = true;
	while (calls) {
		size_t v = t->call[calls - 1];
		if (t->edge[calls - 1] < g->first[v + 1]) {
			size_t w = g->to[g->order[t->edge[calls - 1]++]];
			if (t->index[w] == UNVISITED) {
				t->index[w] = t->low[w] = t->counter++;
				t->stack[t->depth++] = w;
				t->on_stack[w] = true;
				t->call[calls] = w;
				t->edge[calls++] = g->first[w];
			} else if (t->on_stack[w] && t->index[w] < t->low[v]) {
				t->low[v] = t->index[w];
			}
			continue;
		}
		if (t->low[v] == t->index[v]) {
			size_t w;
			do {
				w = t->stack[--t->depth];
				t->on_stack[w] = false;
				t->component[w] = t->components;
			} while (w != v);
			t->components++;
		}
		if (--calls && t->low[v] < t->low[t->call[calls - 1]])
			t->low[t->call[calls - 1]] = t->low[v];
	}
}

static void tarjan_free(struct tarjan *t)
{
	free(t->index);
	free(t->low);
	free(t->component);
	free(t->on_stack);
	free(t->stack);
	free(t->call);
	free(t->edge);
}

static struct kt_error *components(const struct graph *g, struct tarjan *t)
{
	size_t n = g->n + 1;
	memset(t, 0, sizeof(*t));
	t->index = malloc(n * sizeof(size_t));
	t->low = malloc(n * sizeof(size_t));
	t->component = malloc(n * sizeof(size_t));
	t->on_stack = calloc(n, sizeof(bool));
	t->stack = malloc(n * sizeof(size_t));
	t->call = malloc(n * sizeof(size_t));
	t->edge = malloc(n * sizeof(size_t));
	if (!t->index || !t->low || !t->component || !t->on_stack || !t->stack ||
	    !t->call || !t->edge)
		return &kt_error_out_of_memory;
	for (size_t v = 0; v < g->n; v++)
		t->index[v] = UNVISITED;
	for (size_t v = 0; v < g->n; v++)
		if (t->index[v] == UNVISITED)
			visit(g, t, v);
	return NULL;
}

/* ---- One cycle per component ------------------------------------------ */

/* The component's lowest pid (then lowest address), if it has a cycle. */
static bool cycle_start(const struct graph *g, const struct tarjan *t,
			size_t c, size_t *start)
{
	size_t members = 0;
	bool self_loop = false, found = false;
	for (size_t v = 0; v < g->n; v++) {
		if (t->component[v] != c)
			continue;
		members++;
		if (!found || g->pid[v] < g->pid[*start])
			*start = v, found = true;
		for (size_t e = g->first[v]; e < g->first[v + 1]; e++)
			self_loop |= g->to[g->order[e]] == v;
	}
	return found && (members > 1 || self_loop);
}

static struct kt_error *cycle_emit(const struct graph *g, const size_t *via,
				   size_t length, struct kt_lock_cycle *out)
{
	out->pids = malloc(length * sizeof(*out->pids));
	out->tasks = malloc(length * sizeof(*out->tasks));
	out->locks = malloc(length * sizeof(*out->locks));
	if (!out->pids || !out->tasks || !out->locks)
		return &kt_error_out_of_memory;
	for (size_t i = 0; i < length; i++) {
		const struct kt_wait_edge *e = &g->edges[via[i]];
		out->pids[i] = e->from_pid;
		out->tasks[i] = e->from;
		out->locks[i] = e->lock;
	}
	out->length = length;
	return NULL;
}

/* Shortest way from start back to start inside component c (BFS). */
static struct kt_error *cycle_find(const struct graph *g, const struct tarjan *t,
				   size_t c, size_t start, struct kt_lock_cycle *out)
{
	size_t *parent_edge = malloc((g->n + 1) * sizeof(size_t));
	size_t *queue = malloc((g->n + 1) * sizeof(size_t));
	size_t *via = malloc((g->n + 1) * sizeof(size_t));
	struct kt_error *err = NULL;
	if (!parent_edge || !queue || !via) {
		err = &kt_error_out_of_memory;
		goto out;
	}
	for (size_t v = 0; v < g->n; v++)
		parent_edge[v] = UNVISITED;
	size_t head = 0, tail = 0, closing = UNVISITED;
	queue[tail++] = start;
	while (head < tail && closing == UNVISITED) {
		size_t v = queue[head++];
		for (size_t i = g->first[v]; i < g->first[v + 1]; i++) {
			size_t e = g->order[i], w = g->to[e];
			if (t->component[w] != c)
				continue;
			if (w == start) {
				closing = e;
				break;
			}
			if (parent_edge[w] == UNVISITED) {
				parent_edge[w] = e;
				queue[tail++] = w;
			}
		}
	}
	size_t length = 0;
	for (size_t e = closing; e != UNVISITED && length <= g->n;) {
		via[length++] = e;
		size_t v = g->from[e];
		e = v == start ? UNVISITED : parent_edge[v];
	}
	/* Collected backwards from the closing edge. */
	for (size_t i = 0; i < length / 2; i++) {
		size_t x = via[i];
		via[i] = via[length - 1 - i];
		via[length - 1 - i] = x;
	}
	if (length)
		err = cycle_emit(g, via, length, out);
out:
	free(parent_edge);
	free(queue);
	free(via);
	return err;
}

void kt_lock_cycles_free(struct kt_lock_cycle *cycles, size_t count)
{
	for (size_t i = 0; cycles && i < count; i++) {
		free(cycles[i].pids);
		free(cycles[i].tasks);
		free(cycles[i].locks);
	}
	free(cycles);
}

static int compare_cycles(const void *a, const void *b)
{
	const struct kt_lock_cycle *x = a, *y = b;
	int32_t p = x->length ? x->pids[0] : INT32_MAX;
	int32_t q = y->length ? y->pids[0] : INT32_MAX;
	return p < q ? -1 : p > q;
}

static struct kt_error *collect(const struct graph *g, const struct tarjan *t,
				struct kt_lock_cycle **cycles, size_t *nr_cycles)
{
	for (size_t c = 0; c < t->components; c++) {
		size_t start = 0;
		if (!cycle_start(g, t, c, &start))
			continue;
		struct kt_lock_cycle *n = realloc(*cycles, (*nr_cycles + 1) * sizeof(*n));
		if (!n)
			return &kt_error_out_of_memory;
		*cycles = n;
		memset(&n[*nr_cycles], 0, sizeof(*n));
		struct kt_error *err = cycle_find(g, t, c, start, &n[*nr_cycles]);
		if (n[*nr_cycles].length || err)
			++*nr_cycles; /* counted even on error, to be freed */
		if (err)
			return err;
	}
	if (*nr_cycles > 1)
		qsort(*cycles, *nr_cycles, sizeof(**cycles), compare_cycles);
	return NULL;
}

struct kt_error *kt_wait_cycles(const struct kt_wait_edge *edges, size_t count,
				struct kt_lock_cycle **cycles, size_t *nr_cycles)
{
	*cycles = NULL;
	*nr_cycles = 0;
	if (!count)
		return NULL;
	struct graph g = { .edges = edges, .nr_edges = count };
	struct tarjan t = { 0 };
	struct kt_error *err = nodes_build(&g);
	if (!err)
		err = edges_build(&g);
	if (!err)
		err = components(&g, &t);
	if (!err)
		err = collect(&g, &t, cycles, nr_cycles);
	tarjan_free(&t);
	graph_free(&g);
	if (err) {
		kt_lock_cycles_free(*cycles, *nr_cycles);
		*cycles = NULL;
		*nr_cycles = 0;
	}
	return err;
}
