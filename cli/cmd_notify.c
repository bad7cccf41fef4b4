// SPDX-License-Identifier: MIT
/*
 * ktriage notify: tell ktriaged that a dump directory is complete, so it
 * is triaged now without waiting for the settle time (a kdump post-save
 * hook calls it).  The request is a file in the daemon's spool
 * (STATE/spool), so it also works while the daemon is not running.
 */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli.h"
#include "ktriage/config.h"

int kt_cmd_notify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *state_dir = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 's') {
			state_dir = optarg;
		} else if (c == 'h') {
			printf("Usage: ktriage notify DIR|DUMP [--state-dir DIR]\n");
			return KT_EXIT_OK;
		} else {
			return kt_cli_usage("notify", "unknown option");
		}
	}
	if (optind != argc - 1)
		return kt_cli_usage("notify", optind >= argc ? "no directory given"
							     : "one directory at a time");
	char resolved[PATH_MAX];
	if (!realpath(argv[optind], resolved))
		return kt_cli_fail(kt_error_create(KT_ERR_IO, "%s: %m", argv[optind]));
	char *dir = kt_cli_state_dir(state_dir);
	struct kt_error *err = kt_spool_request(dir, "scan", resolved);
	free(dir);
	if (err)
		return kt_cli_fail(err);
	return KT_EXIT_OK;
}
