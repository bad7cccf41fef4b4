// SPDX-License-Identifier: MIT
/*
 * ktriage list: the dumps ktriaged has seen, in the manner of coredumpctl
 * list, read from its store (STATE/ktriage.db).  Also the helpers the
 * store's other commands share: the state directory and --since times.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ktriage/services.h"

/* --state-dir, else the daemon's configuration, else the default. */
char *kt_cli_state_dir(const char *given)
{
	if (given)
		return strdup(given);
	struct kt_config config;
	struct kt_error *err = kt_config_defaults(&config);
	if (!err)
		err = kt_config_load(&config, KT_CONFIG_DEFAULT_PATH, true);
	char *dir = strdup(!err && config.state_dir ? config.state_dir : KT_STATE_DEFAULT_DIR);
	kt_error_free(err);
	kt_config_free(&config);
	return dir;
}

const char *kt_cli_safe(const char *s)
{
	static char *ring[8];
	static unsigned next;
	if (!s)
		return NULL;
	unsigned slot = next++ % 8;
	free(ring[slot]);
	ring[slot] = kt_escape(s);
	return ring[slot] ? ring[slot] : "?";
}

void kt_cli_format_time(double when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;
	if (when <= 0 || !localtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, len, "-");
}

static void iso_time(double when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/*
 * --since: "@EPOCH", "YYYY-MM-DD[ HH:MM[:SS]]" (local time, also with 'T'),
 * "today", "yesterday", or an age: "30m", "12h", "7d" (ago).
 */
static bool parse_since(const char *text, double *out)
{
	char *end;
	time_t now = time(NULL);
	if (text[0] == '@') {
		double v = strtod(text + 1, &end);
		return *end == '\0' && end != text + 1 && (*out = v, true);
	}
	double amount = strtod(text[0] == '-' ? text + 1 : text, &end);
	if (end != text && amount >= 0 && end[0] && !end[1]) {
		static const char units[] = "smhdw";
		static const double seconds[] = { 1, 60, 3600, 86400, 604800 };
		const char *u = strchr(units, end[0]);
		if (u && *u)
			return *out = (double)now - amount * seconds[u - units], true;
	}
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (strcmp(text, "today") == 0 || strcmp(text, "yesterday") == 0) {
		tm.tm_mday -= text[0] == 'y';
		tm.tm_isdst = -1;
		return *out = (double)mktime(&tm), true;
	}
	static const char *const formats[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					       "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(text, formats[i], &tm);
		if (end && !*end) {
			tm.tm_isdst = -1;
			return *out = (double)mktime(&tm), true;
		}
	}
	return false;
}

/* What list and show print for a dump's state: the outcome once analysed. */
const char *kt_cli_dump_status(const struct kt_store_entry *e)
{
	if (strcmp(e->state, "done") == 0 || strcmp(e->state, "failed") == 0)
		return e->outcome ? e->outcome : e->state;
	return e->state;
}

static struct json_object *entry_json(const struct kt_store_entry *e)
{
	char when[32];
	iso_time(e->finished > 0 ? e->finished : e->first_seen, when, sizeof(when));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(e->id));
	kt_json_add_path(o, "dump", e->path);
	json_object_object_add(o, "verdict", kt_json_escaped(e->verdict));
	json_object_object_add(o, "signature", kt_json_escaped(e->signature));
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "state", json_object_new_string(kt_cli_dump_status(e)));
	return o;
}

/*
 * The daemon's inputs not yet in the store, or in it as queued or running
 * (the store shows those): the others, as "-" rows with their state.
 */
static bool pending_shown(const struct kt_pending_job *job, const struct kt_store_filter *filter,
			  const struct kt_store_entry *entries, size_t n)
{
	if (filter->verdict || job->since < filter->since)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(entries[i].path, job->path) == 0 &&
		    (strcmp(entries[i].state, "queued") == 0 ||
		     strcmp(entries[i].state, "running") == 0))
			return false;
	return true;
}

static struct json_object *pending_json(const struct kt_pending_job *job)
{
	char when[32];
	iso_time(job->since, when, sizeof(when));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", NULL);
	json_object_object_add(o, "dump", json_object_new_string(job->path));
	json_object_object_add(o, "verdict", NULL);
	json_object_object_add(o, "signature", NULL);
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "state", json_object_new_string(job->state));
	return o;
}

static void print_pending(const struct kt_pending_job *job)
{
	char when[64];
	kt_cli_format_time(job->since, when, sizeof(when));
	printf("%-5s %-23s %-9s %-20s %-21s %s\n", "-", when, job->state, "-", "-", job->path);
}

static void print_table(const struct kt_store_entry *entries, size_t n)
{
	printf("%-5s %-23s %-9s %-20s %-21s %s\n", "ID", "TIME", "STATE", "VERDICT",
	       "SIGNATURE", "DUMP");
	for (size_t i = 0; i < n; i++) {
		const struct kt_store_entry *e = &entries[i];
		char when[64];
		kt_cli_format_time(e->finished > 0 ? e->finished : e->first_seen, when, sizeof(when));
		printf("%-5lld %-23s %-9s %-20s %-21s %s\n", (long long)e->id, when,
		       kt_cli_dump_status(e), e->verdict ? kt_cli_safe(e->verdict) : "-",
		       e->signature ? kt_cli_safe(e->signature) : "-", kt_cli_safe(e->path));
	}
}

/* The recorded dumps, then the inputs the running daemon has not recorded yet. */
static void print_list(const struct kt_store_entry *entries, size_t n,
		       const struct kt_pending_job *pending, size_t nr_pending,
		       const struct kt_store_filter *filter, bool json)
{
	size_t shown = n;
	struct json_object *array = json ? json_object_new_array() : NULL;
	if (!json)
		print_table(entries, n);
	for (size_t i = 0; i < n && json; i++)
		json_object_array_add(array, entry_json(&entries[i]));
	for (size_t i = 0; i < nr_pending; i++) {
		if (!pending_shown(&pending[i], filter, entries, n))
			continue;
		shown++;
		if (json)
			json_object_array_add(array, pending_json(&pending[i]));
		else
			print_pending(&pending[i]);
	}
	if (json)
		kt_cli_print_json(array);
	else if (!shown)
		fprintf(stderr, "No dumps found.\n");
}

static int list_dumps(const char *state_dir, const struct kt_store_filter *filter, bool json)
{
	char *dir = kt_cli_state_dir(state_dir);
	struct kt_store *store;
	struct kt_error *err = kt_store_open(dir, true, &store);
	struct kt_store_entry *entries = NULL;
	size_t n = 0;
	if (!err) {
		err = kt_store_list(store, filter, &entries, &n);
		kt_store_close(store);
	}
	if (err) {
		free(dir);
		return kt_cli_fail(err);
	}
	struct kt_pending_job *pending;
	size_t nr_pending;
	err = kt_pending_read(dir, &pending, &nr_pending);
	free(dir);
	if (err) { /* the list of what is recorded still stands */
		kt_cli_error_line("ktriage: %s", kt_error_string(err));
		kt_error_free(err);
	}
	print_list(entries, n, pending, nr_pending, filter, json);
	kt_pending_free(pending, nr_pending);
	kt_store_entries_free(entries, n);
	return KT_EXIT_OK;
}

static int list_option(void *ctx, int code, const char *arg)
{
	struct kt_store_filter *filter = ctx;
	if (code == 'v') {
		filter->verdict = arg;
		return 0;
	}
	if (code == 'S' && parse_since(arg, &filter->since))
		return 0;
	if (code == 'S')
		return kt_cli_usage("list", "--since: cannot read '%s' "
				    "(@EPOCH, YYYY-MM-DD[ HH:MM[:SS]], today, 12h...)", arg);
	return kt_cli_usage("list", "unknown option");
}

int kt_cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "verdict", required_argument, NULL, 'v' },
		{ 0 },
	};
	struct kt_store_filter filter = { 0 };
	const struct kt_cli_parser p = {
		.command = "list", .common = KT_CLI_JSON | KT_CLI_STATE_DIR, .longopts = longopts,
		.help = "Usage: ktriage list [--state-dir DIR] [--since T] [--verdict V] [--json]\n",
		.option = list_option, .ctx = &filter,
	};
	struct kt_cli_opts opts;
	int status = kt_cli_parse(&p, argc, argv, &opts);
	if (status)
		return status;
	if (opts.nr_operands)
		return kt_cli_usage("list", "unexpected argument '%s'", opts.operands[0]);
	return list_dumps(opts.state_dir, &filter, opts.json);
}
