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

/* --all is ours; the rest is the common dump options. */
static int parse(int argc, char **argv, struct kt_cli_opts *opts, bool *all,
		 char ***rest)
{
	*all = false;
	*rest = calloc((size_t)argc + 1, sizeof(**rest));
	if (!*rest)
		return kt_cli_fail(&kt_error_out_of_memory);
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && (strcmp(argv[i], "--all") == 0 || strcmp(argv[i], "-a") == 0))
			*all = true;
		else
			(*rest)[n++] = argv[i];
	}
	return kt_cli_parse_dump_opts("mod", n, *rest, opts);
}

int kt_cmd_mod(int argc, char **argv)
{
	struct kt_cli_opts opts;
	bool all;
	char **rest;
	int status = parse(argc, argv, &opts, &all, &rest);
	if (status) {
		free(rest);
		return status;
	}
	struct kt_cli_session s;
	status = kt_cli_open_kernel(&opts, &s);
	free(rest); /* opts.dump points into argv, not into rest */
	if (status)
		return status;
	status = print_modules(s.kernel, opts.json, all);
	kt_cli_close(&s);
	return status;
}
