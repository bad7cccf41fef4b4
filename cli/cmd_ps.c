// SPDX-License-Identifier: MIT
/*
 * ktriage ps: every thread, idle tasks included, as crash's ps lists them
 * (PID PPID CPU TASK ST COMM, '>' marking what each CPU was running,
 * kernel threads in brackets), or as JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ktriage/kernel.h"

static bool is_current(struct kt_kernel *k, const struct kt_task *t)
{
	return t->cpu >= 0 && kt_task_current(k, (unsigned)t->cpu) == t;
}

/*
 * How long a blocked task has not run: the runqueue clock of its CPU less
 * the time it last arrived on a CPU.  Both are the same sched_clock, which
 * is comparable across CPUs where the TSC is stable, as on these machines;
 * false when either is missing.
 */
static bool blocked_ns(struct kt_kernel *k, const struct kt_task *t,
		       uint64_t *ns)
{
	uint64_t clock;
	if (t->cpu < 0 || !t->last_arrival)
		return false;
	struct kt_error *err = kt_cpu_clock(k, (unsigned)t->cpu, &clock);
	kt_error_free(err);
	if (err || clock < t->last_arrival)
		return false;
	*ns = clock - t->last_arrival;
	return true;
}

/* crash's %MEM is RSS over the memory present (sys's MEMORY), in KiB. */
static uint64_t total_memory_kb(struct kt_kernel *k)
{
	struct kt_sysinfo sys;
	struct kt_error *err = kt_sysinfo(k, &sys);
	if (err) {
		kt_error_free(err);
		return 0;
	}
	return sys.memory_bytes / 1024;
}

static void print_text(struct kt_kernel *k, const struct kt_task *tasks,
		       size_t count)
{
	uint64_t total_kb = total_memory_kb(k);
	printf("      PID    PPID  CPU       TASK        ST  %%MEM      VSZ      RSS  COMM\n");
	for (size_t i = 0; i < count; i++) {
		const struct kt_task *t = &tasks[i];
		bool kernel_thread = t->is_kernel_thread || t->is_idle;
		uint64_t vsz = 0, rss = 0;
		kt_error_free(kt_task_memory(k, t, &vsz, &rss));
		printf("%c %7" PRId32 " %7" PRId32 " %3" PRId32 "  %016" PRIx64
		       "  %s  %4.1f %8" PRIu64 " %8" PRIu64 "  %s%s%s\n",
		       is_current(k, t) ? '>' : ' ', t->pid, t->ppid, t->cpu,
		       t->address, kt_task_state_name(t->state),
		       total_kb ? (double)rss * 100 / (double)total_kb : 0.0, vsz, rss,
		       kernel_thread ? "[" : "", kt_cli_safe(t->comm), kernel_thread ? "]" : "");
	}
}

static struct json_object *task_json(struct kt_kernel *k, const struct kt_task *t)
{
	struct json_object *o = json_object_new_object();
	char address[24];
	snprintf(address, sizeof(address), "0x%016" PRIx64, t->address);
	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "ppid", json_object_new_int(t->ppid));
	json_object_object_add(o, "cpu", json_object_new_int(t->cpu));
	json_object_object_add(o, "state", json_object_new_string(kt_task_state_name(t->state)));
	json_object_object_add(o, "comm", kt_json_escaped(t->comm));
	json_object_object_add(o, "task", json_object_new_string(address));
	json_object_object_add(o, "tgid", json_object_new_int(t->tgid));
	json_object_object_add(o, "on_cpu", json_object_new_boolean(is_current(k, t)));
	json_object_object_add(o, "idle", json_object_new_boolean(t->is_idle));
	json_object_object_add(o, "kernel_thread", json_object_new_boolean(t->is_kernel_thread));
	uint64_t ns, vsz, rss;
	struct kt_error *err = kt_task_memory(k, t, &vsz, &rss);
	if (!err) {
		json_object_object_add(o, "vsz_kb", json_object_new_uint64(vsz));
		json_object_object_add(o, "rss_kb", json_object_new_uint64(rss));
	}
	kt_error_free(err);
	if (t->state == KT_TASK_UNINTERRUPTIBLE && blocked_ns(k, t, &ns))
		json_object_object_add(o, "blocked_ns", json_object_new_uint64(ns));
	return o;
}

static int print_tasks(struct kt_kernel *k, const struct kt_cli_opts *opts)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err)
		return kt_cli_fail(kt_error_wrap(err, "%s", opts->dump));
	if (opts->json) {
		struct json_object *array = json_object_new_array_ext((int)count);
		for (size_t i = 0; i < count; i++)
			json_object_array_add(array, task_json(k, &tasks[i]));
		kt_cli_print_json(array);
	} else {
		print_text(k, tasks, count);
	}
	return KT_EXIT_OK;
}

static int print_times(struct kt_kernel *k, const struct kt_cli_opts *opts)
{
	return kt_cli_ps_times(k, opts->json);
}

static char family_mode;
static const char *family_task;

static int print_family(struct kt_kernel *k, const struct kt_cli_opts *opts)
{
	return kt_cli_ps_family(k, family_mode, family_task, opts->json);
}

int kt_cmd_ps(int argc, char **argv)
{
	/* -m, -p PID, -g PID (cmd_ps_times.c); the rest is the common parse. */
	bool times = false;
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "-m") == 0) {
			times = true;
		} else if (i > 0 && (!strcmp(argv[i], "-p") || !strcmp(argv[i], "-g"))) {
			if (i + 1 >= argc)
				return kt_cli_usage("ps", "%s needs a PID", argv[i]);
			family_mode = argv[i][1];
			family_task = argv[++i];
		} else {
			argv[n++] = argv[i];
		}
	}
	if (times && family_task)
		return kt_cli_usage("ps", "-m, -p and -g go one at a time");
	return kt_cli_run_on_kernel("ps", n, argv,
				    times ? print_times : family_task ? print_family : print_tasks);
}