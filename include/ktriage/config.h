/* SPDX-License-Identifier: MIT */
/*
 * The triage service's configuration: conf/ktriaged.conf (INI, read with
 * inih).  ktriaged reads it at start and on SIGHUP; the CLI reads it to
 * find the daemon's state directory and spool.  Command-line flags override
 * the file: the caller applies them after kt_config_load.
 */
#ifndef KTRIAGE_CONFIG_H
#define KTRIAGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ktriage/base.h"

#define KT_CONFIG_DEFAULT_PATH "/etc/ktriage/ktriaged.conf"
#define KT_STATE_DEFAULT_DIR "/var/lib/ktriage"

struct kt_config {
	/* [watch] */
	char **directories;      /* dump directories, watched recursively */
	size_t nr_directories;
	char *pstore;            /* systemd-pstore's directory: logs only; "" none */
	unsigned max_depth;      /* subdirectory levels watched below each directory */
	double settle_seconds;   /* size and mtime unchanged this long: written */
	unsigned probe_retries;  /* header checks before analysing anyway */
	double rescan_seconds;   /* periodic full scan, a net for lost events; 0 off */
	/* [analysis] */
	unsigned workers;
	double timeout_seconds;  /* wall time of one analysis */
	unsigned long memory_limit_mb; /* RLIMIT_AS of a worker; 0 unlimited */
	/* [state] */
	char *state_dir;         /* database, reports/, spool/ */
	/* [outputs] */
	bool journal;
	bool reports;
	char *prometheus_textfile; /* "" disables */
	char *hook;              /* a shell command given the report on stdin; "" none */
	double hook_timeout_seconds;
};

/* Defaults: what the daemon does with no configuration file. */
struct kt_error *kt_config_defaults(struct kt_config *config);
/*
 * Read an INI file over the values already in config.  A missing file is
 * an error unless missing_ok.  Unknown sections or keys and bad values are
 * errors naming the file and line.
 */
struct kt_error *kt_config_load(struct kt_config *config, const char *path,
				bool missing_ok);
/* Replace the watched directories (the CLI's --watch). */
struct kt_error *kt_config_set_directories(struct kt_config *config,
					   char *const *dirs, size_t count);
struct kt_error *kt_config_set_string(char **field, const char *value);
void kt_config_free(struct kt_config *config);
/* The effective configuration, as an INI file (ktriaged --check-config). */
void kt_config_print(const struct kt_config *config, FILE *out);

/*
 * Where the state lives.  The spool holds requests from the CLI (notify,
 * retriage) as small files the daemon watches; written there while the
 * daemon is down, they are read when it starts.
 */
char *kt_state_path(const char *state_dir, const char *name);

/*
 * Ask the daemon to triage a directory now, or to redo one dump: a request
 * file in STATE/spool ("scan PATH\n" or "retriage ID\n"), written
 * atomically.
 */
struct kt_error *kt_spool_request(const char *state_dir, const char *verb,
				  const char *argument);

#endif
