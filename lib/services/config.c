// SPDX-License-Identifier: MIT
/* The triage service's INI configuration, read with inih. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ktriage/config.h"

struct kt_error *kt_config_set_string(char **field, const char *value)
{
	char *copy = strdup(value ? value : "");
	if (!copy)
		return &kt_error_out_of_memory;
	free(*field);
	*field = copy;
	return NULL;
}

static void free_directories(struct kt_config *config)
{
	for (size_t i = 0; i < config->nr_directories; i++)
		free(config->directories[i]);
	free(config->directories);
	config->directories = NULL;
	config->nr_directories = 0;
}

static struct kt_error *add_directory(struct kt_config *config, const char *dir)
{
	for (size_t i = 0; i < config->nr_directories; i++)
		if (strcmp(config->directories[i], dir) == 0)
			return NULL;
	char **n = realloc(config->directories,
			   (config->nr_directories + 1) * sizeof(*n));
	if (!n)
		return &kt_error_out_of_memory;
	config->directories = n;
	if (!(n[config->nr_directories] = strdup(dir)))
		return &kt_error_out_of_memory;
	config->nr_directories++;
	return NULL;
}

struct kt_error *kt_config_set_directories(struct kt_config *config,
					   char *const *dirs, size_t count)
{
	free_directories(config);
	for (size_t i = 0; i < count; i++) {
		struct kt_error *err = add_directory(config, dirs[i]);
		if (err)
			return err;
	}
	return NULL;
}

struct kt_error *kt_config_defaults(struct kt_config *config)
{
	memset(config, 0, sizeof(*config));
	*config = (struct kt_config){
		.max_depth = 3,
		.settle_seconds = 2,
		.probe_retries = 5,
		.rescan_seconds = 600,
		.workers = 1,
		.timeout_seconds = 600,
		.memory_limit_mb = 4096,
		.journal = true,
		.reports = true,
		.hook_timeout_seconds = 60,
	};
	struct kt_error *err;
	if ((err = add_directory(config, "/var/crash")) ||
	    (err = kt_config_set_string(&config->pstore, "/var/lib/systemd/pstore")) ||
	    (err = kt_config_set_string(&config->state_dir, KT_STATE_DEFAULT_DIR)) ||
	    (err = kt_config_set_string(&config->prometheus_textfile,
					"/var/lib/prometheus/node-exporter/ktriage.prom")) ||
	    (err = kt_config_set_string(&config->hook, "")))
		return err;
	return NULL;
}

void kt_config_free(struct kt_config *config)
{
	free_directories(config);
	free(config->pstore);
	free(config->state_dir);
	free(config->prometheus_textfile);
	free(config->hook);
	memset(config, 0, sizeof(*config));
}

/* inih hands us one key at a time; the first problem is kept here. */
struct parse_state {
	struct kt_config *config;
	bool directories_seen; /* the file's list replaces the defaults */
	char *problem;
};

static bool parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(value, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

static bool parse_seconds(const char *value, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (errno || end == value || *end || !isfinite(v) || v < 0 || v > 1e7)
		return false;
	*out = v;
	return true;
}

static bool parse_count(const char *value, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(value, &end, 10);
	if (errno || end == value || *end || *value == '-' || v > max)
		return false;
	*out = v;
	return true;
}

/* "directories = /var/crash /srv/crash", or the key repeated. */
static bool parse_directories(struct parse_state *st, const char *value)
{
	if (!st->directories_seen) {
		free_directories(st->config);
		st->directories_seen = true;
	}
	char *copy = strdup(value), *save = NULL;
	if (!copy)
		return false;
	bool ok = true;
	for (char *dir = strtok_r(copy, " \t,", &save); dir && ok;
	     dir = strtok_r(NULL, " \t,", &save)) {
		if (dir[0] != '/') {
			asprintf(&st->problem, "directory '%s' is not an absolute path", dir);
			ok = false;
		} else if (add_directory(st->config, dir)) {
			ok = false;
		}
	}
	free(copy);
	return ok;
}

#define IS(s, k) (strcmp(section, s) == 0 && strcmp(name, k) == 0)

static int set_value(struct parse_state *st, const char *section,
		     const char *name, const char *value)
{
	struct kt_config *c = st->config;
	unsigned long n;
	bool ok = true;
	if (IS("watch", "directories"))
		return parse_directories(st, value);
	else if (IS("watch", "pstore"))
		ok = !kt_config_set_string(&c->pstore, value);
	else if (IS("watch", "max_depth"))
		ok = parse_count(value, 16, &n) && ((c->max_depth = n), true);
	else if (IS("watch", "settle_seconds"))
		ok = parse_seconds(value, &c->settle_seconds);
	else if (IS("watch", "probe_retries"))
		ok = parse_count(value, 100, &n) && ((c->probe_retries = n), true);
	else if (IS("watch", "rescan_seconds"))
		ok = parse_seconds(value, &c->rescan_seconds);
	else if (IS("analysis", "workers"))
		ok = parse_count(value, 256, &n) && n > 0 && ((c->workers = n), true);
	else if (IS("analysis", "timeout_seconds"))
		ok = parse_seconds(value, &c->timeout_seconds) && c->timeout_seconds > 0;
	else if (IS("analysis", "memory_limit_mb"))
		ok = parse_count(value, 1UL << 30, &c->memory_limit_mb);
	else if (IS("state", "directory"))
		ok = value[0] == '/' && !kt_config_set_string(&c->state_dir, value);
	else if (IS("outputs", "journal"))
		ok = parse_bool(value, &c->journal);
	else if (IS("outputs", "reports"))
		ok = parse_bool(value, &c->reports);
	else if (IS("outputs", "prometheus_textfile"))
		ok = (!*value || value[0] == '/') &&
		     !kt_config_set_string(&c->prometheus_textfile, value);
	else if (IS("outputs", "hook"))
		ok = !kt_config_set_string(&c->hook, value);
	else if (IS("outputs", "hook_timeout_seconds"))
		ok = parse_seconds(value, &c->hook_timeout_seconds) && c->hook_timeout_seconds > 0;
	else {
		asprintf(&st->problem, "unknown key '%s' in section [%s]", name, section);
		return 0;
	}
	if (!ok && !st->problem)
		asprintf(&st->problem, "[%s] %s: bad value '%s'", section, name, value);
	return ok;
}

/*
 * inih reads lines of at most INI_MAX_LINE bytes, and kt_config_print
 * writes "key = value" lines: a longer value (continuation lines can make
 * one) is refused rather than printed as a file that does not load.
 */
#define MAX_VALUE (INI_MAX_LINE - 32)

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse_state *st = user;
	if (!name) /* a section header alone (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	if (st->problem) /* inih reports the first bad line: keep its message */
		return 0;
	if (value && strlen(value) > MAX_VALUE) {
		asprintf(&st->problem, "[%s] %s: value longer than %d characters",
			 section, name, MAX_VALUE);
		return 0;
	}
	return set_value(st, section, name, value ? value : "");
}

/* A configuration is a few KiB: anything larger is not one. */
#define MAX_CONFIG_BYTES (1u << 20)

static const char *file_type_name(mode_t mode)
{
	return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO"
	     : S_ISCHR(mode) || S_ISBLK(mode) ? "a device" : S_ISSOCK(mode) ? "a socket"
	     : "not a regular file";
}

/*
 * The whole file, NUL-terminated.  Only a regular file of bounded size: a
 * FIFO would block the daemon forever (O_NONBLOCK keeps the open itself
 * from blocking), /dev/zero would never end, a directory reads as empty.
 */
static struct kt_error *read_config_file(const char *path, bool missing_ok, char **text)
{
	*text = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return missing_ok && errno == ENOENT ? NULL
			: kt_error_create(KT_ERR_IO, "%s: %m", path);
	struct stat st;
	struct kt_error *err = NULL;
	if (fstat(fd, &st) < 0)
		err = kt_error_create(KT_ERR_IO, "%s: %m", path);
	else if (!S_ISREG(st.st_mode))
		err = kt_error_create(KT_ERR_USAGE, "%s: is %s, not a configuration file",
				      path, file_type_name(st.st_mode));
	else if (st.st_size > MAX_CONFIG_BYTES)
		err = kt_error_create(KT_ERR_USAGE, "%s: %lld bytes, more than a configuration "
				      "file may hold (%u)", path, (long long)st.st_size,
				      MAX_CONFIG_BYTES);
	char *buf = err ? NULL : malloc(MAX_CONFIG_BYTES + 1);
	ssize_t n = buf ? read(fd, buf, MAX_CONFIG_BYTES + 1) : 0;
	if (!err && !buf)
		err = &kt_error_out_of_memory;
	else if (!err && (n < 0 || n > MAX_CONFIG_BYTES))
		err = kt_error_create(KT_ERR_IO, "%s: %s", path,
				      n < 0 ? strerror(errno) : "grew while it was read");
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*text = buf;
	return NULL;
}

struct kt_error *kt_config_load(struct kt_config *config, const char *path,
				bool missing_ok)
{
	char *text;
	struct kt_error *err = read_config_file(path, missing_ok, &text);
	if (err || !text)
		return err;
	struct parse_state st = { .config = config };
	int line = ini_parse_string(text, handler, &st);
	free(text);
	if (line == 0)
		return NULL;
	if (line < 0)
		err = kt_error_create(KT_ERR_IO, "%s: cannot be read", path);
	else
		err = kt_error_create(KT_ERR_FORMAT, "%s:%d: %s", path, line,
				      st.problem ? st.problem : "not an INI line");
	free(st.problem);
	return err;
}

void kt_config_print(const struct kt_config *c, FILE *out)
{
	fprintf(out, "[watch]\n");
	for (size_t i = 0; i < c->nr_directories; i++)
		fprintf(out, "directories = %s\n", c->directories[i]);
	fprintf(out, "pstore = %s\nmax_depth = %u\nsettle_seconds = %g\n"
		     "probe_retries = %u\nrescan_seconds = %g\n\n",
		c->pstore, c->max_depth, c->settle_seconds, c->probe_retries,
		c->rescan_seconds);
	fprintf(out, "[analysis]\nworkers = %u\ntimeout_seconds = %g\n"
		     "memory_limit_mb = %lu\n\n",
		c->workers, c->timeout_seconds, c->memory_limit_mb);
	fprintf(out, "[state]\ndirectory = %s\n\n", c->state_dir);
	fprintf(out, "[outputs]\njournal = %s\nreports = %s\n"
		     "prometheus_textfile = %s\nhook = %s\nhook_timeout_seconds = %g\n",
		c->journal ? "yes" : "no", c->reports ? "yes" : "no",
		c->prometheus_textfile, c->hook, c->hook_timeout_seconds);
}

char *kt_state_path(const char *state_dir, const char *name)
{
	char *path;
	if (asprintf(&path, "%s/%s", state_dir, name) < 0)
		return NULL;
	return path;
}

/* Written under a dot-name, then renamed: the daemon never reads half a request. */
struct kt_error *kt_spool_request(const char *state_dir, const char *verb,
				  const char *argument)
{
	char *spool = kt_state_path(state_dir, "spool");
	if (!spool)
		return &kt_error_out_of_memory;
	if (mkdir(spool, 0750) < 0 && errno != EEXIST) {
		struct kt_error *err = kt_error_create(KT_ERR_IO, "%s: %m", spool);
		free(spool);
		return err;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char *tmp = NULL, *final = NULL;
	struct kt_error *err = NULL;
	if (asprintf(&tmp, "%s/.%s-%lld.%09ld-%d", spool, verb, (long long)now.tv_sec,
		     now.tv_nsec, (int)getpid()) < 0 ||
	    asprintf(&final, "%s/%s-%lld.%09ld-%d", spool, verb, (long long)now.tv_sec,
		     now.tv_nsec, (int)getpid()) < 0) {
		err = &kt_error_out_of_memory;
		goto out;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		err = kt_error_create(KT_ERR_IO, "%s: %m", tmp);
		goto out;
	}
	char *line = NULL;
	int len = asprintf(&line, "%s %s\n", verb, argument);
	bool ok = len >= 0 && write(fd, line, (size_t)len) == len;
	free(line);
	if (close(fd) < 0 || !ok || rename(tmp, final) < 0) {
		err = kt_error_create(KT_ERR_IO, "%s: %m", final);
		unlink(tmp);
	}
out:
	free(tmp);
	free(final);
	free(spool);
	return err;
}
