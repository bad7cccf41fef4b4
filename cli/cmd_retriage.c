// SPDX-License-Identifier: MIT
/*
 * ktriage retriage: ask ktriaged to analyse a dump again (after an
 * upgrade, say).  The request is a file in the daemon's spool; the daemon
 * reads it at once, or when it next starts.
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "ktriage/config.h"
#include "ktriage/store.h"

int kt_cmd_retriage(int argc, char **argv)
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
			printf("Usage: ktriage retriage ID|DUMP [--state-dir DIR]\n");
			return KT_EXIT_OK;
		} else {
			return kt_cli_usage("retriage", "unknown option");
		}
	}
	if (optind != argc - 1)
		return kt_cli_usage("retriage", optind >= argc ? "no dump given" : "one dump at a time");
	char *dir = kt_cli_state_dir(state_dir);
	struct kt_store *store;
	struct kt_error *err = kt_store_open(dir, true, &store);
	struct kt_store_entry e = { 0 };
	if (!err) {
		err = kt_store_find(store, argv[optind], &e);
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
