// SPDX-License-Identifier: MIT
/*
 * ktriage ps -m: crash's `ps -m`, each task with how long it has been in
 * its state: its CPU's runqueue clock (rq->clock, when the dump was taken)
 * less sched_info.last_arrival (when it last went on a CPU), as
 * "[days hh:mm:ss.mmm]", most recent first; ties keep pid order.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "value_print.h"

struct task_time {
	const struct kt_task *task;
	uint64_t since_ns;      /* in its state for this long */
	bool known;             /* its CPU's clock could be read */
};

static int by_last_arrival(const void *a, const void *b)
{
	const struct task_time *x = a, *y = b;
	if (x->task->last_arrival != y->task->last_arrival)
		return x->task->last_arrival > y->task->last_arrival ? -1 : 1;
	return x->task < y->task ? -1 : x->task > y->task;
}

static void duration_text(uint64_t ns, char *buf, size_t size)
{
	uint64_t ms = ns / 1000000;
	snprintf(buf, size, "%" PRIu64 " %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
		 ms / 86400000, ms / 3600000 % 24, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

static struct json_object *time_json(const struct task_time *tt)
{
	const struct kt_task *t = tt->task;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "task", kt_cli_json_address(t->address));
	json_object_object_add(o, "cpu", json_object_new_int(t->cpu));
	json_object_object_add(o, "state", json_object_new_string(kt_task_state_name(t->state)));
	json_object_object_add(o, "comm", kt_cli_json_bytes(t->comm, strlen(t->comm)));
	json_object_object_add(o, "last_arrival_ns", json_object_new_uint64(t->last_arrival));
	if (tt->known)
		json_object_object_add(o, "in_state_ns", json_object_new_uint64(tt->since_ns));
	return o;
}

static void fill_times(struct kt_kernel *k, const struct kt_task *tasks, size_t count,
		       struct task_time *times)
{
	for (size_t i = 0; i < count; i++) {
		uint64_t clock = 0;
		times[i].task = &tasks[i];
		struct kt_error *err = tasks[i].cpu >= 0
			? kt_cpu_clock(k, (unsigned)tasks[i].cpu, &clock)
			: kt_error_create(KT_ERR_NOT_FOUND, "no CPU");
		times[i].known = !err;
		kt_error_free(err);
		times[i].since_ns = clock > tasks[i].last_arrival ? clock - tasks[i].last_arrival : 0;
	}
	qsort(times, count, sizeof(*times), by_last_arrival);
}

int kt_cli_ps_times(struct kt_kernel *k, bool json)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err)
		return kt_cli_fail(err);
	struct task_time *times = calloc(count ? count : 1, sizeof(*times));
	if (!times)
		return kt_cli_fail(&kt_error_out_of_memory);
	fill_times(k, tasks, count, times);
	struct json_object *list = json ? json_object_new_array_ext((int)count) : NULL;
	for (size_t i = 0; i < count; i++) {
		if (json) {
			json_object_array_add(list, time_json(&times[i]));
			continue;
		}
		char since[48];
		if (times[i].known)
			duration_text(times[i].since_ns, since, sizeof(since));
		else
			snprintf(since, sizeof(since), "? ??:??:??.???");
		printf("[%s] [%s]  ", since, kt_task_state_name(times[i].task->state));
		kt_cli_task_header(times[i].task);
	}
	if (json)
		kt_cli_print_json(list);
	free(times);
	return KT_EXIT_OK;
}

/* ps -p: the task's ancestors from pid 0 down, one more space each. */
static int print_parents(struct kt_kernel *k, const struct kt_task *t, bool json)
{
	const struct kt_task *chain[256];
	size_t n = 0;
	for (const struct kt_task *p = t; p && n < 256; p = p->pid ? kt_task_by_pid(k, p->ppid) : NULL) {
		chain[n++] = p;
		if (!p->pid)
			break;
	}
	struct json_object *list = json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct kt_task *p = chain[n - 1 - i];
		if (json) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "pid", json_object_new_int(p->pid));
			json_object_object_add(o, "task", kt_cli_json_address(p->address));
			json_object_object_add(o, "cpu", json_object_new_int(p->cpu));
			json_object_object_add(o, "comm", kt_cli_json_bytes(p->comm, strlen(p->comm)));
			json_object_array_add(list, o);
			continue;
		}
		printf("%*s", (int)i, "");
		kt_cli_task_header(p);
	}
	if (json)
		kt_cli_print_json(list);
	return KT_EXIT_OK;
}

/* ps -g: the thread group's leader, then its other threads indented. */
static int print_threads(struct kt_kernel *k, const struct kt_task *t, bool json)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err)
		return kt_cli_fail(err);
	const struct kt_task *leader = kt_task_by_pid(k, t->tgid);
	struct json_object *list = json ? json_object_new_array() : NULL;
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < count; i++) {
			const struct kt_task *p = &tasks[i];
			bool is_leader = p == leader || (!leader && p == t);
			if (p->tgid != t->tgid || is_leader != (pass == 0))
				continue;
			if (json) {
				struct json_object *o = json_object_new_object();
				json_object_object_add(o, "pid", json_object_new_int(p->pid));
				json_object_object_add(o, "tgid", json_object_new_int(p->tgid));
				json_object_object_add(o, "task", kt_cli_json_address(p->address));
				json_object_object_add(o, "state", json_object_new_string(kt_task_state_name(p->state)));
				json_object_object_add(o, "comm", kt_cli_json_bytes(p->comm, strlen(p->comm)));
				json_object_array_add(list, o);
				continue;
			}
			printf("%s", pass ? "  " : "");
			kt_cli_task_header(p);
		}
	if (json)
		kt_cli_print_json(list);
	return KT_EXIT_OK;
}

int kt_cli_ps_family(struct kt_kernel *k, char mode, const char *which, bool json)
{
	const struct kt_task *t = kt_cli_find_task(k, which);
	if (!t)
		return KT_EXIT_FAILURE;
	return mode == 'p' ? print_parents(k, t, json) : print_threads(k, t, json);
}
