// SPDX-License-Identifier: MIT
/*
 * ktriage retriage: ask ktriaged to analyse a dump again (after an
 * upgrade, say).  The request is a file in the daemon's spool; the daemon
 * reads it at once, or when it next starts.
 */
#include <stdlib.h>

#include "cli.h"
#include "ktriage/services.h"

int kt_cmd_retriage(int argc, char **argv)
{
	struct kt_cli_opts opts;
	int status = kt_cli_parse_store_opts("retriage", false, argc, argv, &opts);
	if (status)
		return status;
	char *dir = kt_cli_state_dir(opts.state_dir);
	struct kt_store *store;
	struct kt_error *err = kt_store_open(dir, true, &store);
	struct kt_store_entry e = { 0 };
	if (!err) {
		err = kt_store_find(store, opts.dump, &e);
		kt_store_close(store);
	}
	char id[32];
	if (!err) {
		snprintf(id, sizeof(id), "%lld", (long long)e.id);
		err = kt_spool_request(dir, "retriage", id);
	}
	free(dir);
	if (err) {
		kt_store_entry_clear(&e);
		return kt_cli_fail(err);
	}
	printf("Dump %s (%s) queued for triage again.\n", id, e.path);
	kt_store_entry_clear(&e);
	return KT_EXIT_OK;
}
