// SPDX-License-Identifier: MIT
/*
 * ktriage analyze: what killed the machine, from a dump (its log and its
 * memory) or from a captured kernel log alone (vmcore-dmesg.txt, dmesg.*,
 * pstore, a console or journal capture).  --log FILE: the log kdump saved
 * beside the dump, used where the dump's own log is cut or unreadable.
 */
#include <stdlib.h>

#include "cli.h"
#include "ktriage/analyzer.h"

int kt_cmd_analyze(int argc, char **argv)
{
	struct kt_cli_opts opts;
	int status = kt_cli_parse_dump_opts("analyze", argc, argv, &opts);
	if (status)
		return status;
	struct kt_kernel_options kernel = { .vmlinux = opts.vmlinux, .btf = opts.btf,
					     .build_cache = opts.build_cache };
	struct kt_analyze_options options = { .kernel = &kernel, .saved_log = opts.log };
	struct kt_report *report;
	struct kt_error *err = kt_analyze_path(opts.dump, &options, &report);
	if (err)
		return kt_cli_fail(err);
	if (opts.json) {
		struct json_object *json;
		err = kt_report_to_json(report, &json);
		if (err) {
			kt_report_free(report);
			return kt_cli_fail(err);
		}
		kt_cli_print_json(json);
	} else {
		kt_report_print(report, stdout);
	}
	kt_report_free(report);
	return KT_EXIT_OK;
}
