// SPDX-License-Identifier: MIT
/*
 * ktriage mod: the tainted modules as crash's `mod -t` lists them
 * (NAME TAINTS), or with --all every module with its base and size, as
 * crash's `mod` does; --json gives [{name, base, size, taints}].
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ktriage/kernel.h"

static bool shown(const struct kt_module *m, bool all)
{
	return all || m->taints;
}

static void print_tainted(const struct kt_module *modules, size_t count)
{
	int width = 0;
	for (size_t i = 0; i < count; i++)
		if (modules[i].taints && (int)strlen(modules[i].name) > width)
			width = (int)strlen(modules[i].name);
	if (!width) {
		printf("no tainted modules\n");
		return;
	}
	printf("%-*s  TAINTS\n", width, "NAME");
	for (size_t i = 0; i < count; i++)
		if (modules[i].taints)
			printf("%-*s  %s\n", width, modules[i].name,
			       modules[i].taint_letters);
}

static void print_all(const struct kt_module *modules, size_t count)
{
	int width = 4;
	for (size_t i = 0; i < count; i++)
		if ((int)strlen(modules[i].name) > width)
			width = (int)strlen(modules[i].name);
	printf("%-16s  %-*s  %-16s  %8s  TAINTS\n", "MODULE", width, "NAME",
	       "BASE", "SIZE");
	for (size_t i = 0; i < count; i++) {
		const struct kt_module *m = &modules[i];
		printf("%016" PRIx64 "  %-*s  %016" PRIx64 "  %8" PRIu64 "  %s\n",
		       m->address, width, m->name, m->base, m->size,
		       m->taint_letters);
	}
}

static struct json_object *modules_json(const struct kt_module *modules,
					size_t count, bool all)
{
	struct json_object *array = json_object_new_array();
	for (size_t i = 0; i < count; i++) {
		const struct kt_module *m = &modules[i];
		if (!shown(m, all))
			continue;
		char base[24];
		snprintf(base, sizeof(base), "0x%016" PRIx64, m->base);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(m->name));
		json_object_object_add(o, "base", json_object_new_string(base));
		json_object_object_add(o, "size", json_object_new_uint64(m->size));
		json_object_object_add(o, "taints",
				       json_object_new_string(m->taint_letters));
		json_object_array_add(array, o);
	}
	return array;
}

static int print_modules(struct kt_kernel *k, bool json, bool all)
{
	const struct kt_module *modules;
	size_t count;
	struct kt_error *err = kt_modules(k, &modules, &count);
	if (err)
		return kt_cli_fail(err);
	if (json)
		kt_cli_print_json(modules_json(modules, count, all));
	else if (all)
		print_all(modules, count);
	else
		print_tainted(modules, count);
	if (fflush(stdout) != 0) {
		perror("ktriage: writing the module list");
		return KT_EXIT_FAILURE;
	}
	return KT_EXIT_OK;
}

static int mod_option(void *ctx, int code, const char *arg)
{
	*(bool *)ctx = true; /* -a, --all: the one option of ours */
	return 0;
}

static int parse(int argc, char **argv, struct kt_cli_opts *opts, bool *all)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ 0 },
	};
	*all = false;
	const struct kt_cli_parser p = {
		.command = "mod", .common = KT_CLI_DUMP_OPTIONS, .shortopts = "a",
		.longopts = longopts, .option = mod_option, .ctx = all,
	};
	return kt_cli_parse_one_dump(&p, argc, argv, opts);
}

struct mod_run {
	struct kt_cli_opts opts;
	bool all;
};

static int mod_body(struct kt_kernel *k, void *ctx)
{
	const struct mod_run *r = ctx;
	return print_modules(k, r->opts.json, r->all);
}

int kt_cmd_mod(int argc, char **argv)
{
	struct mod_run r;
	return kt_cli_run_parsed(parse(argc, argv, &r.opts, &r.all), &r.opts, mod_body, &r);
}
