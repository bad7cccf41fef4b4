// SPDX-License-Identifier: MIT
/*
 * ktriaged: the unattended triage service.  After a crash and reboot the
 * verdict is in the journal, the database and the fleet's alerting within
 * seconds, with nobody typing anything.
 *
 * One sd-event loop owns everything: inotify watches, the spool of CLI
 * requests, the signals (SIGTERM ends cleanly, SIGHUP reloads), the forked
 * workers and their wall-time timers, the periodic rescan, and the
 * systemd watchdog (Type=notify: READY, STATUS, WATCHDOG).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "ktriage/base.h"
#include "ktriaged.h"

int log_max_priority = 6;

void log_at(int priority, const char *fmt, ...)
{
	if (priority > log_max_priority)
		return;
	int saved = errno;
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One line per message, whatever a file name holds: no data becomes a
	 * second line, nor a "<N>" priority of its own (escape.h). */
	fprintf(stderr, "<%d>ktriaged: ", priority);
	kt_escape_puts(stderr, line);
	fputc('\n', stderr);
	errno = saved;
}

double now_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void apply_overrides(const struct cli_overrides *o, struct kt_config *c)
{
	if (o->nr_watch)
		kt_config_set_directories(c, o->watch, o->nr_watch);
	if (o->state_dir)
		kt_config_set_string(&c->state_dir, o->state_dir);
	if (o->workers)
		c->workers = o->workers;
	if (o->textfile)
		kt_config_set_string(&c->prometheus_textfile, o->textfile);
}

int manager_load_config(struct manager *m, struct kt_config *out)
{
	struct kt_error *err = kt_config_defaults(out);
	if (!err)
		err = kt_config_load(out, m->config_path, !m->config_path_given);
	if (err) {
		log_error("%s", kt_error_string(err));
		kt_error_free(err);
		kt_config_free(out);
		return -EINVAL;
	}
	apply_overrides(&m->overrides, out);
	return 0;
}

void manager_update_status(struct manager *m)
{
	unsigned running = queue_count(m, true), waiting = queue_count(m, false);
	size_t dirs = m->config.nr_directories;
	sd_notifyf(false, "STATUS=Watching %zu director%s; %u waiting, %u running; "
			  "%llu triaged, %llu failed since start",
		   dirs, dirs == 1 ? "y" : "ies", waiting, running,
		   (unsigned long long)m->nr_triaged, (unsigned long long)m->nr_failed);
	pending_schedule(m);
	/* The queue gauges follow the queue, so a stuck one can be alerted on. */
	prometheus_schedule(m);
}

static int on_rescan(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;
	watch_scan_all(m);
	spool_process_all(m);
	sd_event_source_set_time_relative(s, (uint64_t)(m->config.rescan_seconds * 1e6));
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

static int arm_rescan(struct manager *m)
{
	m->rescan_timer = sd_event_source_disable_unref(m->rescan_timer);
	if (m->config.rescan_seconds <= 0)
		return 0;
	int r = sd_event_add_time_relative(m->event, &m->rescan_timer, CLOCK_MONOTONIC,
					   (uint64_t)(m->config.rescan_seconds * 1e6),
					   0, on_rescan, m);
	if (r < 0)
		log_error("Failed to arm the rescan timer: %s", strerror(-r));
	return r;
}

int manager_reload(struct manager *m)
{
	sd_notify(false, "RELOADING=1\nSTATUS=Reloading the configuration");
	struct kt_config fresh;
	if (manager_load_config(m, &fresh) < 0) {
		log_error("Keeping the old configuration");
		sd_notify(false, "READY=1");
		return -EINVAL;
	}
	if (strcmp(fresh.state_dir, m->config.state_dir) != 0) {
		log_warning("The state directory changed to %s: that takes a restart; "
			    "still using %s", fresh.state_dir, m->config.state_dir);
		kt_config_set_string(&fresh.state_dir, m->config.state_dir);
	}
	kt_config_free(&m->config);
	m->config = fresh;
	log_info("Configuration reloaded from %s", m->config_path);
	watch_apply_config(m);
	arm_rescan(m);
	/* The textfile's path or its directory may have changed: write it now. */
	prometheus_check_directory(m);
	prometheus_write(m);
	queue_dispatch(m);
	sd_notify(false, "READY=1");
	manager_update_status(m);
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	struct manager *m = userdata;
	if (si->ssi_signo == SIGHUP)
		return manager_reload(m), 0;
	log_info("Stopping on %s", strsignal((int)si->ssi_signo));
	sd_notify(false, "STOPPING=1\nSTATUS=Stopping");
	m->stopping = true;
	queue_stop_all(m);
	return sd_event_exit(m->event, 0);
}

static int make_state_dirs(struct manager *m)
{
	const char *state = m->config.state_dir;
	m->reports_dir = kt_state_path(state, "reports");
	m->spool_dir = kt_state_path(state, "spool");
	m->build_cache_dir = kt_state_path(state, "build-cache");
	m->btf_dir = kt_state_path(state, "btf");
	if (!m->reports_dir || !m->spool_dir || !m->build_cache_dir || !m->btf_dir)
		return -ENOMEM;
	const char *dirs[] = { state, m->reports_dir, m->spool_dir, m->build_cache_dir };
	for (size_t i = 0; i < 4; i++)
		if (mkdir(dirs[i], 0750) < 0 && errno != EEXIST) {
			log_error("Failed to create %s: %m", dirs[i]);
			return -errno;
		}
	btf_keep_running(m->btf_dir, "/sys/kernel"); /* best effort: it logs */
	return 0;
}

/* Start in any state: a damaged database is kept aside and a new one built;
 * the start-up scan finds the dumps again. */
static struct kt_error *rebuild_store(struct manager *m, struct kt_error *why)
{
	char *moved_to = NULL;
	struct kt_error *err = kt_store_rebuild(m->config.state_dir, &moved_to, &m->store);
	if (!err)
		log_warning("The findings store is damaged (%s): moved aside to %s; "
			    "starting a new one, dumps are found again by the scan",
			    kt_error_string(why), moved_to);
	kt_error_free(why);
	free(moved_to);
	return err;
}

static int open_store(struct manager *m)
{
	struct kt_error *err = kt_store_open(m->config.state_dir, false, &m->store);
	if (err && err->code == KT_ERR_CORRUPT)
		err = rebuild_store(m, err);
	if (err) {
		log_error("Failed to open the findings store: %s", kt_error_string(err));
		kt_error_free(err);
		return -EIO;
	}
	return 0;
}

static int setup_event_loop(struct manager *m)
{
	int r = sd_event_default(&m->event);
	if (r < 0)
		return r;
	sigset_t mask;
	sigemptyset(&mask);
	int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	for (size_t i = 0; i < 4; i++)
		sigaddset(&mask, signals[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (size_t i = 0; i < 3; i++)
		if ((r = sd_event_add_signal(m->event, NULL, signals[i], on_signal, m)) < 0)
			return r;
	/* Pings WATCHDOG=1 at half of WatchdogSec when systemd asks for it. */
	sd_event_set_watchdog(m->event, true);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ktriaged [--config FILE] [--watch DIR]... [--state-dir DIR]\n"
		"                [--workers N] [--textfile FILE] [--check-config] [--debug]\n\n"
		"Watch crash directories and triage every new kernel dump unattended.\n\n"
		"  --config FILE   configuration (default %s)\n"
		"  --watch DIR     watch DIR instead of the configured directories (repeatable)\n"
		"  --state-dir DIR database, reports and spool (default %s)\n"
		"  --workers N     analyses run at once\n"
		"  --textfile FILE the Prometheus textfile (\"\" for none)\n"
		"  --check-config  print the effective configuration and exit\n",
		KT_CONFIG_DEFAULT_PATH, KT_STATE_DEFAULT_DIR);
}

/* --watch DIR, repeatable; false when out of memory. */
static bool add_watch(struct cli_overrides *o, char *dir)
{
	char **n = realloc(o->watch, (o->nr_watch + 1) * sizeof(*n));
	if (!n)
		return false;
	o->watch = n;
	n[o->nr_watch++] = dir;
	return true;
}

/* Returns -1 to go on, else an exit status. */
static bool parse_workers(const char *text, unsigned *workers)
{
	char *end;
	unsigned long n = strtoul(text, &end, 10);
	if (*end || n == 0 || n > 256) {
		fprintf(stderr, "ktriaged: --workers: '%s' is not 1..256\n", text);
		return false;
	}
	*workers = (unsigned)n;
	return true;
}

static int parse_args(struct manager *m, int argc, char **argv, bool *check)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "watch", required_argument, NULL, 'w' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'j' },
		{ "textfile", required_argument, NULL, 'T' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:w:s:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			m->config_path = optarg;
			m->config_path_given = true;
			break;
		case 'w':
			if (!add_watch(&m->overrides, optarg))
				return 1;
			break;
		case 's':
			m->overrides.state_dir = optarg;
			break;
		case 'T':
			m->overrides.textfile = optarg;
			break;
		case 'j':
			if (!parse_workers(optarg, &m->overrides.workers))
				return 2;
			break;
		case 'C':
			*check = true;
			break;
		case 'd':
			log_max_priority = 7;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ktriaged %s\n", KT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ktriaged: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

static int run(struct manager *m)
{
	int r;
	if ((r = make_state_dirs(m)) < 0 || (r = open_store(m)) < 0)
		return r;
	if ((r = setup_event_loop(m)) < 0) {
		log_error("Failed to set up the event loop: %s", strerror(-r));
		return r;
	}
	umask(0027);
	sandbox_worker_identity(&m->worker_uid, &m->worker_gid);
	/* Start-up: post-reboot is the main path, so scan before READY. */
	watch_apply_config(m);
	if ((r = spool_start(m)) < 0)
		return r;
	outbox_deliver(m, true);
	queue_resume_unfinished(m);
	arm_rescan(m);
	prometheus_check_directory(m);
	prometheus_write(m);
	queue_dispatch(m);
	log_info("Watching %zu director%s, %u worker%s, state in %s",
		 m->config.nr_directories, m->config.nr_directories == 1 ? "y" : "ies",
		 m->config.workers, m->config.workers == 1 ? "" : "s",
		 m->config.state_dir);
	sd_notify(false, "READY=1");
	manager_update_status(m);
	r = sd_event_loop(m->event);
	if (r < 0)
		log_error("Event loop failed: %s", strerror(-r));
	return r;
}

static int start_with_defaults(struct manager *m)
{
	struct kt_error *err = kt_config_defaults(&m->config);
	if (err) {
		log_error("%s", kt_error_string(err));
		kt_error_free(err);
		return -ENOMEM;
	}
	apply_overrides(&m->overrides, &m->config);
	log_warning("The configuration %s cannot be used: running with the defaults "
		    "(ktriaged --check-config says why)", m->config_path);
	return 0;
}

int main(int argc, char **argv)
{
	struct manager m = { .config_path = KT_CONFIG_DEFAULT_PATH, .inotify_fd = -1 };
	bool check = false;
	int status = parse_args(&m, argc, argv, &check);
	if (status >= 0)
		return status;
	if (manager_load_config(&m, &m.config) < 0) {
		/* Start in any state: a service that exits here is restarted into
		 * the same failure and triages nothing.  The defaults, loudly. */
		if (check || start_with_defaults(&m) < 0)
			return 1;
	}
	if (check) {
		kt_config_print(&m.config, stdout);
		kt_config_free(&m.config);
		free(m.overrides.watch);
		return 0;
	}
	int r = run(&m);
	queue_stop_all(&m);
	watch_free_all(&m);
	m.spool_source = sd_event_source_disable_unref(m.spool_source);
	m.rescan_timer = sd_event_source_disable_unref(m.rescan_timer);
	m.prometheus_defer = sd_event_source_disable_unref(m.prometheus_defer);
	m.pending_defer = sd_event_source_disable_unref(m.pending_defer);
	if (m.spool_dir)
		pending_remove(&m);
	sd_event_unref(m.event);
	kt_store_close(m.store);
	kt_config_free(&m.config);
	free(m.reports_dir);
	free(m.build_cache_dir);
	free(m.spool_dir);
	free(m.btf_dir);
	free(m.overrides.watch);
	return r < 0 ? 1 : 0;
}
