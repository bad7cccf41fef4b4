// SPDX-License-Identifier: MIT
/*
 * The questions asked of a wait-for graph (lock_graph.c builds it): which
 * lock is at an address, what a task waits on, the chain from a waiter to
 * the root of its wait, the cycles.  `ktriage locks` and the analysis both
 * ask them here, so a chain or a lock's name is found one way.
 */
#include <string.h>

#include "locks.h"

struct kt_lock_graph_view kt_lock_graph_view(const struct kt_lock_graph *g)
{
	if (!g)
		return (struct kt_lock_graph_view){ 0 };
	return (struct kt_lock_graph_view){
		.graph = g,
		.locks = (const struct kt_lock *const *)g->locks, .nr_locks = g->nr_locks,
		.waits = g->waits, .nr_waits = g->nr_waits,
		.edges = g->edges, .nr_edges = g->nr_edges,
		.cycles = g->cycles, .nr_cycles = g->nr_cycles,
	};
}

const struct kt_lock *kt_lock_graph_lock_at(const struct kt_lock_graph *g, uint64_t address)
{
	for (size_t i = 0; g && i < g->nr_locks; i++)
		if (g->locks[i]->address == address)
			return g->locks[i];
	return NULL;
}

const struct kt_task_wait *kt_lock_graph_wait_of(const struct kt_lock_graph *g, uint64_t task)
{
	for (size_t i = 0; g && i < g->nr_waits; i++)
		if (g->waits[i].task == task)
			return &g->waits[i];
	return NULL;
}

const struct kt_task_wait *kt_lock_graph_wait_of_pid(const struct kt_lock_graph *g,
						     int32_t pid)
{
	for (size_t i = 0; g && i < g->nr_waits; i++)
		if (g->waits[i].pid == pid)
			return &g->waits[i];
	return NULL;
}

static const struct kt_wait_edge *first_edge(const struct kt_lock_graph *g, uint64_t task)
{
	for (size_t i = 0; i < g->nr_edges; i++)
		if (g->edges[i].from == task)
			return &g->edges[i];
	return NULL;
}

uint64_t kt_lock_graph_waiter_task(const struct kt_lock_graph *g, int32_t pid)
{
	for (size_t i = 0; g && i < g->nr_edges; i++)
		if (g->edges[i].from_pid == pid)
			return g->edges[i].from;
	return 0;
}

void kt_lock_graph_chain(const struct kt_lock_graph *g, uint64_t task,
			 struct kt_lock_chain *chain)
{
	memset(chain, 0, sizeof(*chain));
	const struct kt_wait_edge *e;
	while (g && chain->length < KT_LOCK_CHAIN_MAX && (e = first_edge(g, task))) {
		chain->steps[chain->length++] = e;
		for (size_t i = 0; i < chain->length && !chain->cycle; i++)
			chain->cycle = chain->steps[i]->from == e->to;
		if (chain->cycle)
			return;
		task = e->to;
	}
}

bool kt_lock_graph_in_cycle(const struct kt_lock_graph *g, int32_t pid)
{
	for (size_t c = 0; g && c < g->nr_cycles; c++)
		for (size_t k = 0; k < g->cycles[c].length; k++)
			if (g->cycles[c].pids[k] == pid)
				return true;
	return false;
}
