// SPDX-License-Identifier: MIT
/*
 * The one option parser of the ktriage commands.  It knows the options
 * they share (--json, --vmlinux, --btf, --log, --state-dir, --help) and
 * hands each command's own options to the command (kt_cli_parser.option);
 * the operands come back in the order given, with the options taken out.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Codes of the shared long-only options: above every short option's. */
enum { OPT_VMLINUX = 0x100, OPT_BTF, OPT_LOG, OPT_STATE_DIR, OPT_BUILD_CACHE, MAX_LONGOPTS = 24 };

static const struct option shared_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "vmlinux", required_argument, NULL, OPT_VMLINUX },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "build-cache", required_argument, NULL, OPT_BUILD_CACHE },
};

static bool shared_offered(const struct kt_cli_parser *p, int code)
{
	switch (code) {
	case OPT_VMLINUX:
	case OPT_BTF:
		return p->common & KT_CLI_DEBUGINFO;
	case OPT_LOG:
		return p->common & KT_CLI_LOG;
	case OPT_STATE_DIR:
		return p->common & KT_CLI_STATE_DIR;
	case OPT_BUILD_CACHE:
		return p->common & KT_CLI_BUILD_CACHE;
	default:
		return true; /* --json and --help: refused below where not taken */
	}
}

/* The shared options a command offers, then its own; false when too many. */
static bool build_longopts(const struct kt_cli_parser *p, struct option *out)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(shared_longopts) / sizeof(shared_longopts[0]); i++)
		if (shared_offered(p, shared_longopts[i].val))
			out[n++] = shared_longopts[i];
	for (const struct option *o = p->longopts; o && o->name; o++) {
		if (n + 1 >= MAX_LONGOPTS)
			return false;
		out[n++] = *o;
	}
	out[n] = (struct option){ 0 };
	return true;
}

/* --build-cache DIR: the kernel model fetches and keeps through the
 * services' cache files (opts is filled in place, so the pointers hold). */
static void use_build_cache(struct kt_cli_opts *opts, const char *dir)
{
	opts->cache_settings = (struct kt_build_cache_settings){ .dir = dir };
	opts->cache = (struct kt_kernel_cache){ &opts->cache_settings, kt_build_cache_fetch,
						kt_build_cache_keep };
	opts->build_cache = &opts->cache;
}

/* A shared option: 0, -1 when it is not one, or an exit status. */
static int shared_option(const struct kt_cli_parser *p, int code, struct kt_cli_opts *opts)
{
	switch (code) {
	case 'j':
		if (!(p->common & KT_CLI_JSON))
			return kt_cli_usage(p->command, "unknown option");
		opts->json = true;
		return 0;
	case 'h':
		if (p->help)
			fputs(p->help, stdout);
		exit(p->help ? KT_EXIT_OK : kt_cli_help(p->command));
	case OPT_VMLINUX:
		opts->vmlinux = optarg;
		return 0;
	case OPT_BTF:
		opts->btf = optarg;
		return 0;
	case OPT_LOG:
		/* Offered by the common dump parse, taken by analyze alone. */
		if (strcmp(p->command, "analyze") != 0)
			return kt_cli_usage(p->command, "unknown option");
		opts->log = optarg;
		return 0;
	case OPT_STATE_DIR:
		opts->state_dir = optarg;
		return 0;
	case OPT_BUILD_CACHE:
		use_build_cache(opts, optarg);
		return 0;
	default:
		return -1;
	}
}

int kt_cli_parse(const struct kt_cli_parser *p, int argc, char **argv,
		 struct kt_cli_opts *opts)
{
	struct option longopts[MAX_LONGOPTS];
	char shortopts[64];
	memset(opts, 0, sizeof(*opts));
	/* "-": operands come back as 1, in order, among the options. */
	if (!build_longopts(p, longopts) ||
	    snprintf(shortopts, sizeof(shortopts), "-jh%s", p->shortopts ? p->shortopts : "")
	    >= (int)sizeof(shortopts))
		return kt_cli_usage(p->command, "too many options");
	optind = 1;
	int c, n = 1;
	while ((c = p->long_only ? getopt_long_only(argc, argv, shortopts, longopts, NULL)
				 : getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int status = c == 1 ? 0 : shared_option(p, c, opts);
		if (c == 1)
			argv[n++] = optarg; /* in place: getopt is past this slot */
		else if (status < 0 && c != '?' && p->option)
			status = p->option(p->ctx, c, optarg);
		else if (status < 0)
			status = kt_cli_usage(p->command, "unknown option");
		if (status)
			return status;
	}
	while (optind < argc) /* after "--" */
		argv[n++] = argv[optind++];
	opts->operands = (const char *const *)argv + 1;
	opts->nr_operands = n - 1;
	return 0;
}

/* Exactly one operand: the dump (or, for the store's commands, its id). */
static int one_operand(const char *command, struct kt_cli_opts *opts, const char *more)
{
	if (opts->nr_operands != 1)
		return kt_cli_usage(command, "%s", opts->nr_operands ? more : "no dump given");
	opts->dump = opts->operands[0];
	return 0;
}

int kt_cli_parse_one_dump(const struct kt_cli_parser *parser, int argc, char **argv,
			  struct kt_cli_opts *opts)
{
	int status = kt_cli_parse(parser, argc, argv, opts);
	return status ? status : one_operand(parser->command, opts, "one dump at a time");
}

int kt_cli_parse_dump_opts(const char *command, int argc, char **argv,
			   struct kt_cli_opts *opts)
{
	const struct kt_cli_parser p = { .command = command, .common = KT_CLI_DUMP_OPTIONS };
	return kt_cli_parse_one_dump(&p, argc, argv, opts);
}

int kt_cli_parse_store_opts(const char *command, bool with_json, int argc,
			    char **argv, struct kt_cli_opts *opts)
{
	const struct kt_cli_parser p = {
		.command = command, .common = KT_CLI_STATE_DIR | (with_json ? KT_CLI_JSON : 0),
	};
	int status = kt_cli_parse(&p, argc, argv, opts);
	return status ? status : one_operand(command, opts, "one at a time");
}
