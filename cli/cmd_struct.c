// SPDX-License-Identifier: MIT
/*
 * ktriage struct and p: crash's commands of the same names, from the dump's
 * own BTF.  `struct TYPE[.member[,member...]] ADDRESS [-x|-d]` prints an
 * object or some of its members; `p SYMBOL[.member][:CPU]` a variable, a
 * per-CPU one on a CPU (crash's `p runqueues:1`).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "value_print.h"

#define MAX_OPERANDS 5

struct inspect_opts {
	struct kt_cli_opts common;
	bool hex;
	const char *operands[MAX_OPERANDS];
	int nr_operands;
};

static int inspect_option(void *ctx, int code, const char *arg)
{
	struct inspect_opts *o = ctx;
	if (code != 'x' && code != 'd')
		return KT_EXIT_USAGE; /* getopt offers only these */
	o->hex = code == 'x';
	return 0;
}

static int parse(const char *command, int argc, char **argv,
		 struct inspect_opts *o)
{
	memset(o, 0, sizeof(*o));
	const struct kt_cli_parser p = {
		.command = command, .common = KT_CLI_JSON | KT_CLI_DEBUGINFO, .shortopts = "xd",
		.option = inspect_option, .ctx = o,
	};
	int status = kt_cli_parse(&p, argc, argv, &o->common);
	if (status)
		return status;
	if (o->common.nr_operands > MAX_OPERANDS)
		return kt_cli_usage(command, "too many operands");
	for (int i = 0; i < o->common.nr_operands; i++)
		o->operands[o->nr_operands++] = o->common.operands[i];
	if (o->nr_operands < 1)
		return kt_cli_usage(command, "no dump given");
	o->common.dump = o->operands[0];
	return 0;
}

/* A hexadecimal address ("ffff8aab4199a100", "0x...") or a symbol. */
int kt_cli_parse_address(struct kt_kernel *k, const char *text,
			 uint64_t *address)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 16);
	if (!errno && *text && !*end) {
		*address = v;
		return 0;
	}
	struct kt_error *err = kt_symbol_address(k, text, address);
	if (err) {
		kt_error_free(err);
		kt_cli_error_line("ktriage: %s is neither an address nor a symbol", text);
		return KT_EXIT_FAILURE;
	}
	return 0;
}

/* "struct" "task_struct" as two operands is one type, as crash takes it. */
static int type_operand(const struct inspect_opts *o, char *type, size_t size,
			int *next)
{
	int i = 1;
	const char *kind = "";
	if (i < o->nr_operands - 1 &&
	    (!strcmp(o->operands[i], "struct") || !strcmp(o->operands[i], "union") ||
	     !strcmp(o->operands[i], "enum")))
		kind = o->operands[i++];
	if (i >= o->nr_operands)
		return -1;
	snprintf(type, size, "%s%s%s", kind, *kind ? " " : "", o->operands[i]);
	*next = i + 1;
	return 0;
}

static int print_members(struct kt_kernel *k, const struct inspect_opts *o,
			 const char *type, char *members, uint64_t address)
{
	struct json_object *list = json_object_new_array();
	int status = KT_EXIT_OK;
	char *saveptr = NULL;
	for (char *m = strtok_r(members, ",", &saveptr); m && !status;
	     m = strtok_r(NULL, ",", &saveptr)) {
		struct kt_value *v;
		struct kt_error *err = kt_value_at(k, type, m, address, &v);
		if (err) {
			status = kt_cli_fail(err);
			break;
		}
		if (o->common.json) {
			struct json_object *node = kt_value_json(v);
			json_object_object_add(node, "name", json_object_new_string(m));
			json_object_array_add(list, node);
		} else {
			printf("  %s = ", m);
			kt_value_print_text(stdout, NULL, v, 1, o->hex);
			fputs(",\n", stdout);
		}
		kt_value_free(v);
	}
	if (o->common.json && !status) {
		struct json_object *top = json_object_new_object();
		json_object_object_add(top, "type", json_object_new_string(type));
		json_object_object_add(top, "address", kt_cli_json_address(address));
		json_object_object_add(top, "members", json_object_get(list));
		kt_cli_print_json(top);
	}
	json_object_put(list);
	return status;
}

static int print_whole(struct kt_kernel *k, const struct inspect_opts *o,
		       const char *type, uint64_t address)
{
	struct kt_value *v;
	struct kt_error *err = kt_value_at(k, type, NULL, address, &v);
	if (err)
		return kt_cli_fail(err);
	if (o->common.json) {
		kt_cli_print_json(kt_value_json(v));
	} else {
		printf("%s ", v->type);
		kt_value_print_text(stdout, NULL, v, 0, o->hex);
		putchar('\n');
	}
	kt_value_free(v);
	return KT_EXIT_OK;
}

static int struct_body(struct kt_kernel *k, void *ctx)
{
	const struct inspect_opts *o = ctx;
	char spec[256];
	int next;
	if (type_operand(o, spec, sizeof(spec), &next) || next != o->nr_operands - 1)
		return kt_cli_usage("struct", "give a TYPE and an ADDRESS");
	uint64_t address;
	int status = kt_cli_parse_address(k, o->operands[next], &address);
	if (status)
		return status;
	char *dot = strchr(spec, '.');
	if (!dot)
		return print_whole(k, o, spec, address);
	*dot = '\0';
	return print_members(k, o, spec, dot + 1, address);
}

static int run(const char *command, int argc, char **argv,
	       int (*body)(struct kt_kernel *, void *))
{
	struct inspect_opts o;
	return kt_cli_run_parsed(parse(command, argc, argv, &o), &o.common, body, &o);
}

int kt_cmd_struct(int argc, char **argv)
{
	return run("struct", argc, argv, struct_body);
}

/* SYMBOL[.member...][:CPU] */
static int p_body(struct kt_kernel *k, void *ctx)
{
	const struct inspect_opts *o = ctx;
	if (o->nr_operands != 2)
		return kt_cli_usage("p", "give one SYMBOL");
	char expr[256];
	snprintf(expr, sizeof(expr), "%s", o->operands[1]);
	int cpu = -1;
	char *colon = strchr(expr, ':');
	if (colon) {
		/* runqueues:1 or runqueues:1.nr_running, as well as runqueues.nr_running:1 */
		char *end;
		long n = strtol(colon + 1, &end, 10);
		if ((*end && *end != '.') || end == colon + 1 || n < 0 ||
		    n >= (long)kt_kernel_nr_cpus(k))
			return kt_cli_usage("p", "no CPU %s (the dump has %u)",
					    colon + 1, kt_kernel_nr_cpus(k));
		cpu = (int)n;
		memmove(colon, end, strlen(end) + 1);
	}
	char *dot = strchr(expr, '.');
	if (dot)
		*dot = '\0';
	struct kt_value *v;
	uint64_t address;
	struct kt_error *err = kt_value_of_variable(k, expr, cpu, dot ? dot + 1 : NULL,
						    &v, &address);
	if (err)
		return kt_cli_fail(err);
	if (dot)
		*dot = '.';
	if (o->common.json) {
		struct json_object *node = kt_value_json(v);
		json_object_object_add(node, "name", json_object_new_string(expr));
		if (cpu >= 0)
			json_object_object_add(node, "cpu", json_object_new_int(cpu));
		kt_cli_print_json(node);
	} else {
		if (cpu >= 0)
			printf("per_cpu(%s, %d) = ", expr, cpu);
		else
			printf("%s = ", expr);
		kt_value_print_text(stdout, NULL, v, 0, o->hex);
		putchar('\n');
	}
	kt_value_free(v);
	return KT_EXIT_OK;
}

int kt_cmd_p(int argc, char **argv)
{
	return run("p", argc, argv, p_body);
}
