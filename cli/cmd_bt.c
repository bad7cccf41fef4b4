// SPDX-License-Identifier: MIT
/*
 * ktriage bt: kernel backtraces from the dump's own ORC tables, in crash's
 * layout (frame number, stack address, function+offset, pc), with the
 * registers of exception frames.
 */
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
	int cpu;         /* -c CPU: the task on it; -1 for none */
	bool frames;     /* -f: each frame's stack words */
	int *pids;
	size_t nr_pids;
};

/* arm64: pc, lr, sp and pstate, then x0-x29 three to a line. */
static void print_regs_arm64(const struct kt_regs *r, const char *indent)
{
	printf("%sPC: %016llx  LR: %016llx  SP: %016llx  PSTATE: %08llx\n", indent,
	       (unsigned long long)r->ip, (unsigned long long)r->x[30],
	       (unsigned long long)r->sp, (unsigned long long)r->pstate);
	for (int i = 29; i >= 0; i -= 3) {
		printf("%s", indent);
		for (int j = i; j > i - 3 && j >= 0; j--)
			printf("%sX%d: %016llx", j == i ? "" : "  ", j, (unsigned long long)r->x[j]);
		putchar('\n');
	}
}

static void print_regs(const struct kt_kernel *k, const struct kt_regs *r, const char *indent)
{
	if (strcmp(kt_kernel_arch(k), "arm64") == 0) {
		print_regs_arm64(r, indent);
		return;
	}
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

/* bt -f: the words of the stack from a frame's sp up to the next frame's. */
static void print_frame_words(struct kt_kernel *k, const struct kt_stack *s, size_t i)
{
	uint64_t from = s->frames[i].sp, to = i + 1 < s->count ? s->frames[i + 1].sp : from;
	if (to <= from || to - from > 4096)
		to = from; /* another stack (an exception frame), or no next frame */
	for (uint64_t a = from; a < to; a += 16) {
		uint64_t words[2] = { 0, 0 };
		printf("    %016llx:", (unsigned long long)a);
		for (unsigned w = 0; w < 2 && a + w * 8 < to; w++) {
			struct kt_error *err = kt_kernel_read_u64(k, a + w * 8, &words[w]);
			if (err) {
				kt_error_free(err);
				printf(" ????????????????");
			} else {
				printf(" %016llx", (unsigned long long)words[w]);
			}
		}
		putchar('\n');
	}
}

static void print_stack_text(struct kt_kernel *k, const struct bt_options *o,
			     const struct kt_task *t, const struct kt_stack *s)
{
	printf("PID: %-7d TASK: %016llx  CPU: %-3d COMMAND: \"%s\"\n", t->pid,
	       (unsigned long long)t->address, t->cpu, kt_cli_safe(t->comm));
	for (size_t i = 0; i < s->count; i++) {
		const struct kt_frame *f = &s->frames[i];
		if (f->exception && i > 0) {
			const char *pc = strcmp(kt_kernel_arch(k), "arm64") == 0 ? "PC" : "RIP";
			if (f->function)
				printf("    [exception %s: %s+0x%llx]\n", pc, kt_cli_safe(f->function),
				       (unsigned long long)f->offset);
			else
				printf("    [exception %s: unknown or invalid address]\n", pc);
			print_regs(k, &f->regs, "    ");
		}
		printf("%s#%-2zu [%016llx] ", i < 10 ? " " : "", i, (unsigned long long)f->sp);
		if (f->function)
			printf("%s+0x%llx", kt_cli_safe(f->function), (unsigned long long)f->offset);
		else
			printf("(unknown)");
		if (f->module)
			printf(" [%s]", kt_cli_safe(f->module));
		printf(" at %016llx%s\n", (unsigned long long)f->pc, f->reliable ? "" : " (?)");
		if (o->frames)
			print_frame_words(k, s, i);
	}
	if (s->user_regs) {
		printf("    user mode:\n");
		print_regs(k, &s->user, "    ");
	}
	if (s->partial)
		printf("    (unwind stopped: %s; frames marked (?) were found by scanning the stack)\n",
		       kt_stack_error(s));
	putchar('\n');
}

static struct json_object *regs_json_arm64(const struct kt_regs *r)
{
	struct json_object *o = json_object_new_object();
	char hex[24], name[16];
	for (int i = 0; i < 31; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)r->x[i]);
		json_object_object_add(o, name, json_object_new_string(hex));
	}
	const char *names[] = { "sp", "pc", "pstate" };
	const uint64_t values[] = { r->sp, r->ip, r->pstate };
	for (int i = 0; i < 3; i++) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)values[i]);
		json_object_object_add(o, names[i], json_object_new_string(hex));
	}
	return o;
}

static struct json_object *regs_json(const struct kt_kernel *k, const struct kt_regs *r)
{
	if (strcmp(kt_kernel_arch(k), "arm64") == 0)
		return regs_json_arm64(r);
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

static struct json_object *stack_json(const struct kt_kernel *k, const struct kt_task *t,
				      const struct kt_stack *s)
{
	struct json_object *o = json_object_new_object();
	char hex[24];
	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "comm", kt_json_escaped(t->comm));
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)t->address);
	json_object_object_add(o, "task", json_object_new_string(hex));
	json_object_object_add(o, "cpu", json_object_new_int(t->cpu));
	json_object_object_add(o, "start", json_object_new_string(s->start ? s->start : ""));
	struct json_object *frames = json_object_new_array();
	for (size_t i = 0; i < s->count; i++) {
		const struct kt_frame *f = &s->frames[i];
		struct json_object *fo = json_object_new_object();
		json_object_object_add(fo, "function", kt_json_escaped(f->function));
		json_object_object_add(fo, "offset", json_object_new_int64((int64_t)f->offset));
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)f->pc);
		json_object_object_add(fo, "address", json_object_new_string(hex));
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)f->sp);
		json_object_object_add(fo, "sp", json_object_new_string(hex));
		if (f->module)
			json_object_object_add(fo, "module", kt_json_escaped(f->module));
		json_object_object_add(fo, "reliable", json_object_new_boolean(f->reliable));
		if (f->exception && i > 0)
			json_object_object_add(fo, "exception_regs", regs_json(k, &f->regs));
		json_object_array_add(frames, fo);
	}
	json_object_object_add(o, "frames", frames);
	if (s->user_regs)
		json_object_object_add(o, "user_regs", regs_json(k, &s->user));
	json_object_object_add(o, "partial", json_object_new_boolean(s->partial));
	if (s->partial)
		json_object_object_add(o, "error", json_object_new_string(kt_stack_error(s)));
	return o;
}

static bool valid_state(const char *name)
{
	for (int s = KT_TASK_RUNNING; s < KT_TASK_UNKNOWN; s++)
		if (!strcmp(kt_task_state_name((enum kt_task_state)s), name))
			return true;
	return false;
}

static int bt_option(void *ctx, int code, const char *arg)
{
	struct bt_options *o = ctx;
	char *cpu_end;
	switch (code) {
	case 'a': o->active = true; return 0;
	case 'A': o->all = true; return 0;
	case 's': o->state = arg; return 0;
	case 'f': o->frames = true; return 0;
	case 'c':
		o->cpu = (int)strtol(arg, &cpu_end, 10);
		if (*cpu_end || cpu_end == arg || o->cpu < 0)
			return kt_cli_usage("bt", "-c %s: not a CPU number", arg);
		return 0;
	default:
		return kt_cli_usage("bt", "unknown option");
	}
}

static int parse(int argc, char **argv, struct bt_options *o)
{
	static const struct option longopts[] = {
		{ "all-tasks", no_argument, NULL, 'A' },
		{ "state", required_argument, NULL, 's' },
		{ 0 },
	};
	memset(o, 0, sizeof(*o));
	o->cpu = -1;
	const struct kt_cli_parser p = {
		.command = "bt", .common = KT_CLI_JSON | KT_CLI_DEBUGINFO,
		.shortopts = "aAs:c:f", .longopts = longopts,
		.help = "Usage: ktriage bt DUMP [-a | --all-tasks | --state ST | -c CPU | PID...] [-f] [--json]\n",
		.option = bt_option, .ctx = o,
	};
	int status = kt_cli_parse(&p, argc, argv, &o->common);
	if (status)
		return status;
	int n = o->common.nr_operands;
	const char *const *operands = o->common.operands;
	if (n < 1)
		return kt_cli_usage("bt", "no dump given");
	if (o->all + !!o->state + o->active + (o->cpu >= 0) + (n > 1) > 1)
		return kt_cli_usage("bt", "one selection at a time: -a, --all-tasks, --state, -c or pids");
	if (o->state && !valid_state(o->state))
		return kt_cli_usage("bt", "--state %s: states are RU IN UN ID ST TR ZO DE PA NE WA",
				    o->state);
	o->common.dump = operands[0];
	o->pids = calloc((size_t)n, sizeof(int));
	if (!o->pids)
		return kt_cli_fail(&kt_error_out_of_memory);
	for (int i = 1; i < n; i++) {
		char *end;
		long pid = strtol(operands[i], &end, 10);
		if (*end || pid < 0 || pid > 0x3fffffff) {
			free(o->pids);
			return kt_cli_usage("bt", "'%s' is not a pid", operands[i]);
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
	if (o->cpu >= 0)
		return t == kt_task_current(k, (unsigned)o->cpu);
	if (o->nr_pids) {
		for (size_t i = 0; i < o->nr_pids; i++)
			if (o->pids[i] == t->pid)
				return true;
		return false;
	}
	return t == panic;
}

/* A selection that matches nothing is an error naming what was asked. */
static struct kt_error *nothing_selected(struct kt_kernel *k, const struct bt_options *o)
{
	if (o->state)
		return kt_error_create(KT_ERR_NOT_FOUND, "%s: no task in state %s",
				       o->common.dump, o->state);
	if (o->cpu >= 0)
		return kt_error_create(KT_ERR_NOT_FOUND, "%s: no task on CPU %d (the dump has %u)",
				       o->common.dump, o->cpu, kt_kernel_nr_cpus(k));
	if (o->nr_pids)
		return kt_error_create(KT_ERR_NOT_FOUND, "%s: no task with pid %d%s",
				       o->common.dump, o->pids[0], o->nr_pids > 1 ? " or the others asked" : "");
	return kt_error_create(KT_ERR_NOT_FOUND, "%s: no task on a CPU", o->common.dump);
}

/*
 * No task list (no types: a kernel without BTF, and no --btf): the CPUs'
 * stacks still unwind from the registers each saved, with kallsyms and ORC
 * alone.  Said on stderr; the task of each is unknown (pid -1).
 */
static int print_cpu_stacks(struct kt_kernel *k, const struct bt_options *o,
			    struct kt_error *why)
{
	kt_cli_error_line("ktriage: warning: %s: no task list (%s); the stacks of the CPUs "
			"from the registers they saved", o->common.dump, kt_error_string(why));
	kt_error_free(why);
	size_t cpus = kt_dump_prstatus_count(kt_kernel_dump(k));
	struct json_object *array = o->common.json ? json_object_new_array() : NULL;
	for (size_t cpu = 0; cpu < cpus; cpu++) {
		struct kt_task unknown = { .pid = -1, .cpu = (int)cpu };
		snprintf(unknown.comm, sizeof(unknown.comm), "?");
		struct kt_stack *s;
		struct kt_error *err = kt_stack_unwind_cpu(k, (unsigned)cpu, &s);
		if (err) {
			kt_cli_error_line("ktriage: CPU %zu: %s", cpu, kt_error_string(err));
			kt_error_free(err);
			continue;
		}
		if (array)
			json_object_array_add(array, stack_json(k, &unknown, s));
		else
			print_stack_text(k, o, &unknown, s);
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
	bool chosen = o->all || o->state || o->active || o->nr_pids || o->cpu >= 0;
	const struct kt_task *panic = chosen ? NULL : kt_task_panic(k);
	if (!chosen && !panic)
		return kt_cli_fail(kt_error_create(KT_ERR_NOT_FOUND,
			"%s: no panic task found; name a pid or use -a", o->common.dump));
	size_t matched = 0;
	for (size_t i = 0; i < count; i++)
		matched += selected(k, o, &tasks[i], panic);
	if (!matched)
		return kt_cli_fail(nothing_selected(k, o));
	struct json_object *array = o->common.json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < count; i++) {
		const struct kt_task *t = &tasks[i];
		if (!selected(k, o, t, panic))
			continue;
		struct kt_stack *s;
		err = kt_stack_unwind(k, t, &s);
		if (err) {
			kt_cli_error_line("ktriage: pid %d: %s", t->pid, kt_error_string(err));
			kt_error_free(err);
			continue;
		}
		if (array)
			json_object_array_add(array, stack_json(k, t, s));
		else
			print_stack_text(k, o, t, s);
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
