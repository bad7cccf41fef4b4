// SPDX-License-Identifier: MIT
/*
 * ktriage bt: kernel backtraces from the dump's own ORC tables, in crash's
 * layout (frame number, stack address, function+offset, pc), with the
 * registers of exception frames.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ktriage/dump.h"
#include "ktriage/kernel.h"

struct bt_options {
	struct kt_cli_opts common;
	bool active;     /* -a: the task on each CPU */
	bool all;        /* --all-tasks */
	const char *state; /* --state UN */
	int *pids;
	size_t nr_pids;
};

static void print_regs(const struct kt_regs *r, const char *indent)
{
	printf("%sRIP: %016llx  RSP: %016llx  RFLAGS: %08llx\n", indent,
	       (unsigned long long)r->ip, (unsigned long long)r->sp, (unsigned long long)r->flags);
	printf("%sRAX: %016llx  RBX: %016llx  RCX: %016llx\n", indent,
	       (unsigned long long)r->ax, (unsigned long long)r->bx, (unsigned long long)r->cx);
	printf("%sRDX: %016llx  RSI: %016llx  RDI: %016llx\n", indent,
	       (unsigned long long)r->dx, (unsigned long long)r->si, (unsigned long long)r->di);
	printf("%sRBP: %016llx   R8: %016llx   R9: %016llx\n", indent,
	       (unsigned long long)r->bp, (unsigned long long)r->r8, (unsigned long long)r->r9);
	printf("%sR10: %016llx  R11: %016llx  R12: %016llx\n", indent,
	       (unsigned long long)r->r10, (unsigned long long)r->r11, (unsigned long long)r->r12);
	printf("%sR13: %016llx  R14: %016llx  R15: %016llx\n", indent,
	       (unsigned long long)r->r13, (unsigned long long)r->r14, (unsigned long long)r->r15);
	printf("%sORIG_RAX: %016llx  CS: %04llx  SS: %04llx\n", indent,
	       (unsigned long long)r->orig_ax, (unsigned long long)r->cs, (unsigned long long)r->ss);
}

static void print_stack_text(const struct kt_task *t, const struct kt_stack *s)
{
	printf("PID: %-7d TASK: %016llx  CPU: %-3d COMMAND: \"%s\"\n", t->pid,
	       (unsigned long long)t->address, t->cpu, t->comm);
	for (size_t i = 0; i < s->count; i++) {
		const struct kt_frame *f = &s->frames[i];
		if (f->exception && i > 0) {
			if (f->function)
				printf("    [exception RIP: %s+0x%llx]\n", f->function,
				       (unsigned long long)f->offset);
			else
				printf("    [exception RIP: unknown or invalid address]\n");
			print_regs(&f->regs, "    ");
		}
		printf("%s#%-2zu [%016llx] ", i < 10 ? " " : "", i, (unsigned long long)f->sp);
		if (f->function)
			printf("%s+0x%llx", f->function, (unsigned long long)f->offset);
		else
			printf("(unknown)");
		if (f->module)
			printf(" [%s]", f->module);
		printf(" at %016llx%s\n", (unsigned long long)f->pc, f->reliable ? "" : " (?)");
	}
	if (s->user_regs) {
		printf("    user mode:\n");
		print_regs(&s->user, "    ");
	}
	if (s->partial)
		printf("    (unwind stopped: %s; frames marked (?) were found by scanning the stack)\n",
		       s->error);
	putchar('\n');
}

static struct json_object *regs_json(const struct kt_regs *r)
{
	static const char *const names[] = {
		"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax",
		"rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "rflags", "rsp", "ss",
	};
	const uint64_t *v = &r->r15;
	struct json_object *o = json_object_new_object();
	char hex[24];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)v[i]);
		json_object_object_add(o, names[i], json_object_new_string(hex));
	}
	return o;
}

static struct json_object *stack_json(const struct kt_task *t, const struct kt_stack *s)
{
	struct json_object *o = json_object_new_object();
	char hex[24];
	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "comm", json_object_new_string(t->comm));
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)t->address);
	json_object_object_add(o, "task", json_object_new_string(hex));
	json_object_object_add(o, "cpu", json_object_new_int(t->cpu));
	json_object_object_add(o, "start", json_object_new_string(s->start ? s->start : ""));
	struct json_object *frames = json_object_new_array();
	for (size_t i = 0; i < s->count; i++) {
		const struct kt_frame *f = &s->frames[i];
		struct json_object *fo = json_object_new_object();
		json_object_object_add(fo, "function", f->function ? json_object_new_string(f->function) : NULL);
		json_object_object_add(fo, "offset", json_object_new_int64((int64_t)f->offset));
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)f->pc);
		json_object_object_add(fo, "address", json_object_new_string(hex));
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)f->sp);
		json_object_object_add(fo, "sp", json_object_new_string(hex));
		if (f->module)
			json_object_object_add(fo, "module", json_object_new_string(f->module));
		json_object_object_add(fo, "reliable", json_object_new_boolean(f->reliable));
		if (f->exception && i > 0)
			json_object_object_add(fo, "exception_regs", regs_json(&f->regs));
		json_object_array_add(frames, fo);
	}
	json_object_object_add(o, "frames", frames);
	if (s->user_regs)
		json_object_object_add(o, "user_regs", regs_json(&s->user));
	json_object_object_add(o, "partial", json_object_new_boolean(s->partial));
	if (s->partial)
		json_object_object_add(o, "error", json_object_new_string(s->error));
	return o;
}

static int parse(int argc, char **argv, struct bt_options *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "vmlinux", required_argument, NULL, 'v' },
		{ "btf", required_argument, NULL, 'b' },
		{ "all-tasks", no_argument, NULL, 'A' },
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	memset(o, 0, sizeof(*o));
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "ajAs:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o->active = true; break;
		case 'j': o->common.json = true; break;
		case 'v': o->common.vmlinux = optarg; break;
		case 'b': o->common.btf = optarg; break;
		case 'A': o->all = true; break;
		case 's': o->state = optarg; break;
		case 'h':
			printf("Usage: ktriage bt DUMP [-a | --all-tasks | --state ST | PID...] [--json]\n");
			exit(KT_EXIT_OK);
		default:
			return kt_cli_usage("bt", "unknown option");
		}
	}
	if (optind >= argc)
		return kt_cli_usage("bt", "no dump given");
	o->common.dump = argv[optind++];
	o->pids = calloc((size_t)(argc - optind) + 1, sizeof(int));
	for (; optind < argc; optind++) {
		char *end;
		long pid = strtol(argv[optind], &end, 10);
		if (*end || pid < 0 || pid > 0x3fffffff) {
			free(o->pids);
			return kt_cli_usage("bt", "'%s' is not a pid", argv[optind]);
		}
		o->pids[o->nr_pids++] = (int)pid;
	}
	return 0;
}

static bool selected(struct kt_kernel *k, const struct bt_options *o,
		     const struct kt_task *t, const struct kt_task *panic)
{
	if (o->all)
		return true;
	if (o->state)
		return strcmp(kt_task_state_name(t->state), o->state) == 0;
	if (o->active)
		return t->on_cpu && t->cpu >= 0 && kt_task_current(k, (unsigned)t->cpu) == t;
	if (o->nr_pids) {
		for (size_t i = 0; i < o->nr_pids; i++)
			if (o->pids[i] == t->pid)
				return true;
		return false;
	}
	return t == panic;
}

/*
 * No task list (no types: a kernel without BTF, and no --btf): the CPUs'
 * stacks still unwind from the registers each saved, with kallsyms and ORC
 * alone.  Said on stderr; the task of each is unknown (pid -1).
 */
static int print_cpu_stacks(struct kt_kernel *k, const struct bt_options *o,
			    struct kt_error *why)
{
	fprintf(stderr, "ktriage: warning: %s: no task list (%s); the stacks of the CPUs "
			"from the registers they saved\n", o->common.dump, kt_error_string(why));
	kt_error_free(why);
	size_t cpus = kt_dump_prstatus_count(kt_kernel_dump(k));
	struct json_object *array = o->common.json ? json_object_new_array() : NULL;
	for (size_t cpu = 0; cpu < cpus; cpu++) {
		struct kt_task unknown = { .pid = -1, .cpu = (int)cpu };
		snprintf(unknown.comm, sizeof(unknown.comm), "?");
		struct kt_stack *s;
		struct kt_error *err = kt_stack_unwind_cpu(k, (unsigned)cpu, &s);
		if (err) {
			fprintf(stderr, "ktriage: CPU %zu: %s\n", cpu, kt_error_string(err));
			kt_error_free(err);
			continue;
		}
		if (array)
			json_object_array_add(array, stack_json(&unknown, s));
		else
			print_stack_text(&unknown, s);
		kt_stack_free(s);
	}
	if (array)
		kt_cli_print_json(array);
	return KT_EXIT_OK;
}

static int print_selected(struct kt_kernel *k, const struct bt_options *o)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err && !o->all && !o->state && !o->nr_pids)
		return print_cpu_stacks(k, o, err);
	if (err)
		return kt_cli_fail(kt_error_wrap(err, "%s", o->common.dump));
	const struct kt_task *panic = o->all || o->state || o->active || o->nr_pids ? NULL : kt_task_panic(k);
	if (!o->all && !o->state && !o->active && !o->nr_pids && !panic)
		return kt_cli_fail(kt_error_create(KT_ERR_NOT_FOUND,
			"%s: no panic task found; name a pid or use -a", o->common.dump));
	struct json_object *array = o->common.json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < count; i++) {
		const struct kt_task *t = &tasks[i];
		if (!selected(k, o, t, panic))
			continue;
		struct kt_stack *s;
		err = kt_stack_unwind(k, t, &s);
		if (err) {
			fprintf(stderr, "ktriage: pid %d: %s\n", t->pid, kt_error_string(err));
			kt_error_free(err);
			continue;
		}
		if (array)
			json_object_array_add(array, stack_json(t, s));
		else
			print_stack_text(t, s);
		kt_stack_free(s);
	}
	if (array)
		kt_cli_print_json(array);
	return KT_EXIT_OK;
}

int kt_cmd_bt(int argc, char **argv)
{
	struct bt_options o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	struct kt_cli_session s;
	rc = kt_cli_open_kernel(&o.common, &s);
	if (!rc) {
		rc = print_selected(s.kernel, &o);
		kt_cli_close(&s);
	}
	free(o.pids);
	return rc;
}
