// SPDX-License-Identifier: MIT
/*
 * Every thread of the kernel, as ps would list it: each CPU's idle task
 * (from its runqueue: only the boot CPU's, init_task, is on the task
 * list), every process on init_task.tasks and every thread of each
 * process (signal->thread_head, or the older thread_group ring).
 *
 * struct task_struct changes with every release and config, so its layout
 * is looked up once per kernel by member name (task_layout.c, kept by
 * layouts.c) and each task is read whole and picked apart.  The lists are walked with list.c: bounded and
 * stopped at the first loop; a damaged list leaves the tasks found so far
 * and a warning on the kernel.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "task_layout.h"

struct kt_task_list {
	struct kt_task *tasks;           /* sorted by pid, then CPU */
	size_t count, capacity;
	const struct kt_task **by_address;
	uint64_t *current;               /* rq->curr of each CPU, or 0 */
	unsigned nr_cpus;
};

/* What building the list needs besides the list itself. */
struct collector {
	struct kt_kernel *k;
	const struct kt_task_layout *layout;  /* the kernel's (layouts.c) */
	struct kt_task_list *list;
	uint8_t *buffer;                 /* one task_struct */
	size_t limit;                    /* tasks the dump's memory can hold */
	bool full;                       /* limit reached */
};

static struct kt_error *append(struct collector *c, const struct kt_task *task)
{
	struct kt_task_list *l = c->list;
	if (l->count >= c->limit) {
		if (!c->full)
			kt_kernel_warn(c->k, "tasks: more than %zu, more than the dump's "
				       "memory holds: the rest are left out", c->limit);
		c->full = true;
		return NULL;
	}
	if (l->count == l->capacity) {
		size_t capacity = l->capacity ? l->capacity * 2 : 256;
		struct kt_task *n = realloc(l->tasks, capacity * sizeof(*n));
		if (!n)
			return &kt_error_out_of_memory;
		l->tasks = n;
		l->capacity = capacity;
	}
	l->tasks[l->count++] = *task;
	return NULL;
}

/* Read one task and add it; an unreadable task is a warning, not a stop. */
static struct kt_error *add_task(struct collector *c, uint64_t address,
				 bool is_idle)
{
	struct kt_task task;
	struct kt_error *err = kt_task_read(c->k, c->layout, address,
					    c->buffer, &task);
	if (err) {
		kt_kernel_warn(c->k, "tasks: %s", kt_error_string(err));
		kt_error_free(err);
		return NULL;
	}
	task.is_idle = is_idle;
	return append(c, &task);
}

static void warn_walk(struct collector *c, const char *what,
		      struct kt_error *err)
{
	kt_kernel_warn(c->k, "tasks: %s: %s; the list may be incomplete", what,
		       kt_error_string(err));
	kt_error_free(err);
}

/* The threads of the process whose leader is at leader (the leader too). */
static struct kt_error *add_threads(struct collector *c, uint64_t leader)
{
	const struct kt_task_layout *lay = c->layout;
	uint64_t head, link;
	struct kt_error *err = kt_task_thread_list(c->k, lay, leader, &head, &link);
	if (err) {
		warn_walk(c, "threads", err);
		return NULL;
	}
	struct kt_list_walk walk;
	kt_list_walk_kernel(&walk, c->k, head);
	uint64_t entry;
	while (!c->full && !(err = kt_list_walk_next(&walk, &entry)) && entry) {
		uint64_t task = entry - link;
		if (task == leader)
			continue;
		if ((err = add_task(c, task, false)))
			break;
	}
	kt_list_walk_destroy(&walk);
	if (err && err->code != KT_ERR_NOMEM) {
		warn_walk(c, "threads", kt_error_wrap(err, "process at 0x%llx",
						      (unsigned long long)leader));
		err = NULL;
	}
	return err;
}

/* Every process on init_task.tasks, and its threads. */
static struct kt_error *add_processes(struct collector *c, uint64_t init_task)
{
	uint64_t link = c->layout->tasks;
	struct kt_list_walk walk;
	kt_list_walk_kernel(&walk, c->k, init_task + link);
	uint64_t entry;
	struct kt_error *err = NULL;
	while (!c->full && !(err = kt_list_walk_next(&walk, &entry)) && entry) {
		uint64_t leader = entry - link;
		if ((err = add_task(c, leader, false)) ||
		    (err = add_threads(c, leader)))
			break;
	}
	kt_list_walk_destroy(&walk);
	if (err && err->code != KT_ERR_NOMEM) {
		warn_walk(c, "processes (init_task.tasks)", err);
		err = NULL;
	}
	return err;
}

/*
 * The CPUs whose idle task is listed: the present ones (__cpu_present_mask),
 * as drgn lists them.  The kernel forks an idle task for every possible
 * CPU, but one never brought up ran nothing; all possible CPUs are listed
 * only if the mask cannot be read.
 */
static bool cpu_present(struct kt_kernel *k, const uint64_t *mask, unsigned cpu)
{
	return !mask || (mask[cpu / 64] >> (cpu % 64)) & 1;
}

static uint64_t *present_mask(struct kt_kernel *k)
{
	uint64_t address;
	unsigned words = (kt_kernel_nr_cpus(k) + 63) / 64;
	if (!words)
		return NULL;
	uint64_t *mask = calloc(words, sizeof(*mask));
	struct kt_error *err = kt_symbol_address(k, "__cpu_present_mask", &address);
	if (!err && mask)
		err = kt_kernel_read(k, address, mask, words * sizeof(*mask));
	if (err || !mask) {
		kt_kernel_warn(k, "tasks: no present CPU mask (%s): idle tasks of every possible CPU",
			       err ? kt_error_string(err) : "out of memory");
		kt_error_free(err);
		free(mask);
		return NULL;
	}
	return mask;
}

/* Each present CPU's idle task, and what each CPU was running. */
static struct kt_error *add_idle_tasks(struct collector *c)
{
	struct kt_kernel *k = c->k;
	struct kt_task_list *l = c->list;
	l->nr_cpus = kt_kernel_nr_cpus(k); /* per-CPU offsets are lazy */
	l->current = calloc(l->nr_cpus ? l->nr_cpus : 1, sizeof(*l->current));
	if (!l->current)
		return &kt_error_out_of_memory;
	uint64_t *mask = present_mask(k);
	struct kt_error *err = NULL;
	for (unsigned cpu = 0; cpu < l->nr_cpus && !err; cpu++) {
		if (!cpu_present(k, mask, cpu))
			continue;
		uint64_t idle, curr;
		struct kt_error *e = kt_task_runqueue(k, c->layout, cpu, &idle, &curr);
		if (e) {
			kt_kernel_warn(k, "tasks: CPU %u: %s", cpu, kt_error_string(e));
			kt_error_free(e);
			continue;
		}
		l->current[cpu] = curr;
		if (idle)
			err = add_task(c, idle, true);
	}
	free(mask);
	return err;
}

static int compare_address(const void *a, const void *b)
{
	uint64_t x = (*(const struct kt_task *const *)a)->address;
	uint64_t y = (*(const struct kt_task *const *)b)->address;
	return x < y ? -1 : x > y;
}

static int compare_pid(const void *a, const void *b)
{
	const struct kt_task *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->is_idle != y->is_idle)
		return x->is_idle ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->address < y->address ? -1 : x->address > y->address;
}

/*
 * The same task can be met twice (init_task is CPU 0's idle task and the
 * list's head; a corrupted list can lead into another's): keep the first,
 * which is the idle one when either is.
 */
static void drop_duplicates(struct kt_task_list *l)
{
	if (!l->count)
		return;
	qsort(l->tasks, l->count, sizeof(*l->tasks), compare_pid);
	const struct kt_task **index = malloc(l->count * sizeof(*index));
	bool *drop = calloc(l->count, sizeof(*drop));
	if (!index || !drop)
		goto out;
	for (size_t i = 0; i < l->count; i++)
		index[i] = &l->tasks[i];
	qsort(index, l->count, sizeof(*index), compare_address);
	for (size_t i = 1; i < l->count; i++)
		if (index[i]->address == index[i - 1]->address) {
			/* Both in pid order: drop the later of the two. */
			const struct kt_task *later = index[i] > index[i - 1]
				? index[i] : index[i - 1];
			drop[later - l->tasks] = true;
		}
	size_t kept = 0;
	for (size_t i = 0; i < l->count; i++)
		if (!drop[i])
			l->tasks[kept++] = l->tasks[i];
	l->count = kept;
out:
	free(index);
	free(drop);
}

static struct kt_error *build_index(struct kt_task_list *l)
{
	free(l->by_address);
	l->by_address = malloc((l->count ? l->count : 1) * sizeof(*l->by_address));
	if (!l->by_address)
		return &kt_error_out_of_memory;
	for (size_t i = 0; i < l->count; i++)
		l->by_address[i] = &l->tasks[i];
	qsort(l->by_address, l->count, sizeof(*l->by_address), compare_address);
	return NULL;
}

static const struct kt_task *find_address(const struct kt_task_list *l,
					  uint64_t address)
{
	size_t lo = 0, hi = l->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t a = l->by_address[mid]->address;
		if (a == address)
			return l->by_address[mid];
		if (a < address)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void free_list(struct kt_task_list *l)
{
	if (!l)
		return;
	free(l->tasks);
	free(l->by_address);
	free(l->current);
	free(l);
}

/*
 * What each CPU was running is on a CPU whatever task_struct.on_cpu says;
 * one that no list reached (exiting, already unlinked) still ran: add it.
 */
static struct kt_error *add_current_tasks(struct collector *c)
{
	struct kt_task_list *l = c->list;
	/* All looked up before any is added: adding a task can move the
	 * tasks the index points to, and the index does not cover it. */
	uint64_t *missing = calloc(l->nr_cpus ? l->nr_cpus : 1, sizeof(*missing));
	if (!missing)
		return &kt_error_out_of_memory;
	size_t added = 0;
	for (unsigned cpu = 0; cpu < l->nr_cpus; cpu++) {
		uint64_t curr = l->current[cpu];
		if (!curr || find_address(l, curr))
			continue;
		kt_kernel_warn(c->k, "tasks: CPU %u runs task 0x%llx, which is on no task list",
			       cpu, (unsigned long long)curr);
		missing[added++] = curr;
	}
	for (size_t i = 0; i < added; i++) {
		struct kt_error *err = add_task(c, missing[i], false);
		if (err) {
			free(missing);
			return err;
		}
	}
	free(missing);
	if (added) {
		drop_duplicates(l);
		struct kt_error *err = build_index(l);
		if (err)
			return err;
	}
	for (unsigned cpu = 0; cpu < l->nr_cpus; cpu++) {
		struct kt_task *t = (struct kt_task *)find_address(l, l->current[cpu]);
		if (t && l->current[cpu])
			t->on_cpu = true;
	}
	return NULL;
}

static struct kt_error *collect(struct collector *c)
{
	uint64_t init_task;
	struct kt_error *err = kt_symbol_address(c->k, "init_task", &init_task);
	if (err)
		return kt_error_wrap(err, "tasks");
	c->buffer = malloc(c->layout->size);
	if (!c->buffer)
		return &kt_error_out_of_memory;
	err = add_idle_tasks(c);
	/* init_task is CPU 0's idle task; add it in case the runqueue is gone. */
	if (!err)
		err = add_task(c, init_task, true);
	if (!err)
		err = add_processes(c, init_task);
	if (!err) {
		drop_duplicates(c->list);
		err = build_index(c->list);
	}
	if (!err)
		err = add_current_tasks(c);
	free(c->buffer);
	return err;
}

struct kt_error *kt_tasks(struct kt_kernel *k, const struct kt_task **tasks,
			  size_t *count)
{
	if (!k->tasks) {
		struct collector c = { .k = k };
		struct kt_error *err = kt_layouts_task(k, &c.layout);
		if (err)
			return kt_error_wrap(err, "tasks");
		c.limit = kt_kernel_max_objects(k, c.layout->size);
		c.list = calloc(1, sizeof(*c.list));
		if (!c.list)
			return &kt_error_out_of_memory;
		err = collect(&c);
		if (err) {
			free_list(c.list);
			return err;
		}
		k->tasks = c.list;
	}
	*tasks = k->tasks->tasks;
	*count = k->tasks->count;
	return NULL;
}

void kt_tasks_destroy(struct kt_kernel *k)
{
	free_list(k->tasks);
	k->tasks = NULL;
}

/* The list, built if need be; NULL (and the reason warned) if it cannot be. */
static struct kt_task_list *task_list(struct kt_kernel *k)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err) {
		kt_kernel_warn(k, "%s", kt_error_string(err));
		kt_error_free(err);
		return NULL;
	}
	return k->tasks;
}

const struct kt_task *kt_task_by_pid(struct kt_kernel *k, int32_t pid)
{
	struct kt_task_list *l = task_list(k);
	if (!l)
		return NULL;
	size_t lo = 0, hi = l->count;
	while (lo < hi) { /* the first task with this pid */
		size_t mid = lo + (hi - lo) / 2;
		if (l->tasks[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->count && l->tasks[lo].pid == pid ? &l->tasks[lo] : NULL;
}

const struct kt_task *kt_task_by_address(struct kt_kernel *k, uint64_t address)
{
	struct kt_task_list *l = task_list(k);
	return l ? find_address(l, address) : NULL;
}

const struct kt_task *kt_task_current(struct kt_kernel *k, unsigned cpu)
{
	struct kt_task_list *l = task_list(k);
	if (!l || cpu >= l->nr_cpus || !l->current[cpu])
		return NULL;
	return kt_task_by_address(k, l->current[cpu]);
}

struct kt_error *kt_cpu_clock(struct kt_kernel *k, unsigned cpu,
			      uint64_t *clock_ns)
{
	return kt_task_runqueue_clock(k, cpu, clock_ns);
}
