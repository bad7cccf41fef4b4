// SPDX-License-Identifier: MIT
/*
 * ktriage notify: tell ktriaged that a dump directory is complete, so it
 * is triaged now without waiting for the settle time (a kdump post-save
 * hook calls it).  The request is a file in the daemon's spool
 * (STATE/spool), so it also works while the daemon is not running.
 */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli.h"
#include "ktriage/services.h"

int kt_cmd_notify(int argc, char **argv)
{
	struct kt_cli_opts opts;
	int status = kt_cli_parse_store_opts("notify", false, argc, argv, &opts);
	if (status)
		return status;
	char resolved[PATH_MAX];
	if (!realpath(opts.dump, resolved))
		return kt_cli_fail(kt_error_create(KT_ERR_IO, "%s: %m", opts.dump));
	char *dir = kt_cli_state_dir(opts.state_dir);
	struct kt_error *err = kt_spool_request(dir, "scan", resolved);
	free(dir);
	if (err)
		return kt_cli_fail(err);
	return KT_EXIT_OK;
}
