// SPDX-License-Identifier: MIT
/*
 * ktriage files (crash's files: a task's root, cwd and open files) and
 * ps -m (crash's ps -m: how long each task has been in its state, from
 * its CPU's runqueue clock less sched_info.last_arrival, most recent
 * first).  Names and paths from the dump are printed with their
 * non-printable bytes escaped.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "value_print.h"

void kt_cli_task_header(const struct kt_task *t)
{
	printf("PID: %-8" PRId32 " TASK: %016" PRIx64 "  CPU: %-4" PRId32 " COMMAND: \"",
	       t->pid, t->address, t->cpu);
	kt_escape_puts(stdout, t->comm);
	printf("\"\n");
}

/* A pid, or a task_struct's address (hex, as crash takes it). */
const struct kt_task *kt_cli_find_task(struct kt_kernel *k, const char *text)
{
	char *end;
	long pid = strtol(text, &end, 10);
	const struct kt_task *t = NULL;
	if (*text && !*end && pid >= 0 && pid <= INT32_MAX)
		t = kt_task_by_pid(k, (int32_t)pid);
	if (!t) {
		unsigned long long a = strtoull(text, &end, 16);
		if (*text && !*end)
			t = kt_task_by_address(k, a);
	}
	if (!t)
		kt_cli_error_line("ktriage: no task %s in the dump (a pid or a task_struct address)",
			text);
	return t;
}

static void print_files_text(const struct kt_task *t, const struct kt_task_files *f)
{
	kt_cli_task_header(t);
	printf("ROOT: ");
	kt_escape_puts(stdout, f->root);
	printf("    CWD: ");
	kt_escape_puts(stdout, f->cwd);
	putchar('\n');
	if (!f->count) {
		printf("No open files\n\n");
		return;
	}
	printf(" FD       FILE            DENTRY           INODE       TYPE PATH\n");
	for (size_t i = 0; i < f->count; i++) {
		const struct kt_open_file *o = &f->files[i];
		printf("%3d %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %-4s ", o->fd,
		       o->file, o->dentry, o->inode, o->type);
		kt_escape_puts(stdout, o->path);
		putchar('\n');
	}
	if (f->partial)
		printf("(the fd table is damaged: the list is partial)\n");
}

static struct json_object *files_json(const struct kt_task *t, const struct kt_task_files *f)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "task", kt_cli_json_address(t->address));
	json_object_object_add(o, "comm", kt_cli_json_bytes(t->comm, strlen(t->comm)));
	json_object_object_add(o, "root", kt_cli_json_bytes(f->root, strlen(f->root)));
	json_object_object_add(o, "cwd", kt_cli_json_bytes(f->cwd, strlen(f->cwd)));
	json_object_object_add(o, "partial", json_object_new_boolean(f->partial));
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; i < f->count; i++) {
		const struct kt_open_file *of = &f->files[i];
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "fd", json_object_new_int(of->fd));
		json_object_object_add(j, "file", kt_cli_json_address(of->file));
		json_object_object_add(j, "dentry", kt_cli_json_address(of->dentry));
		json_object_object_add(j, "inode", kt_cli_json_address(of->inode));
		json_object_object_add(j, "type", json_object_new_string(of->type));
		json_object_object_add(j, "path", kt_cli_json_bytes(of->path, strlen(of->path)));
		json_object_array_add(list, j);
	}
	json_object_object_add(o, "files", list);
	return o;
}

int kt_cmd_files(int argc, char **argv)
{
	struct kt_cli_opts opts;
	/* DUMP, then the task. */
	const struct kt_cli_parser p = { .command = "files", .common = KT_CLI_DUMP_OPTIONS };
	int status = kt_cli_parse(&p, argc, argv, &opts);
	if (status)
		return status;
	if (opts.nr_operands == 0 || opts.nr_operands > 2)
		return kt_cli_usage("files", opts.nr_operands ? "one dump at a time" : "no dump given");
	if (opts.nr_operands == 1)
		return kt_cli_usage("files", "give a PID or a task address after the dump");
	opts.dump = opts.operands[0];
	const char *which = opts.operands[1];
	struct kt_cli_session s;
	status = kt_cli_open_kernel(&opts, &s);
	if (status)
		return status;
	const struct kt_task *t = kt_cli_find_task(s.kernel, which);
	struct kt_task_files f;
	struct kt_error *err = t ? kt_task_files(s.kernel, t, &f) : NULL;
	if (!t)
		status = KT_EXIT_FAILURE;
	else if (err)
		status = kt_cli_fail(err);
	else {
		if (opts.json)
			kt_cli_print_json(files_json(t, &f));
		else
			print_files_text(t, &f);
		kt_task_files_free(&f);
	}
	kt_cli_close(&s);
	return kt_cli_finish_output(status);
}
