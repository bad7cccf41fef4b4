// SPDX-License-Identifier: MIT
/*
 * dmesg -T and --level: a record's wall-clock time is the boot time (the
 * crash time less the uptime, both from the dump: VMCOREINFO CRASHTIME or
 * the timekeeper, and the uptime crash's sys shows) plus its timestamp,
 * printed in UTC so that the same dump reads the same anywhere.  printk's
 * clock does not run while the machine is suspended, so, as dmesg -T warns,
 * times after a resume are early.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int64_t kt_cli_boot_epoch_ns(struct kt_kernel *k)
{
	struct kt_sysinfo sys;
	struct kt_error *err = kt_sysinfo(k, &sys);
	if (err || sys.date <= 0) {
		kt_error_free(err);
		return 0;
	}
	int64_t boot = sys.date * 1000000000 - (int64_t)sys.uptime_ns;
	return boot > 0 ? boot : 0;
}

int kt_cli_wall_time(int64_t boot_epoch_ns, uint64_t ts_nsec, char *buf, size_t size)
{
	time_t seconds = (time_t)((boot_epoch_ns + (int64_t)ts_nsec) / 1000000000);
	struct tm tm;
	char text[64];
	if (!gmtime_r(&seconds, &tm) || !strftime(text, sizeof(text), "%a %b %e %H:%M:%S %Y", &tm))
		snprintf(text, sizeof(text), "?");
	return snprintf(buf, size, "[%s] ", text);
}

struct json_object *kt_cli_json_time(int64_t epoch_ns)
{
	time_t seconds = (time_t)(epoch_ns / 1000000000);
	struct tm tm;
	char text[64], out[80];
	if (!gmtime_r(&seconds, &tm) || !strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm))
		return NULL;
	snprintf(out, sizeof(out), "%s.%06" PRId64 "Z", text, epoch_ns % 1000000000 / 1000);
	return json_object_new_string(out);
}

/* "err,warn", "3", "emerg,7": a bit per level. */
int kt_cli_parse_levels(const char *list, unsigned *mask)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err",
					     "warn", "notice", "info", "debug" };
	*mask = 0;
	char copy[128];
	snprintf(copy, sizeof(copy), "%s", list);
	char *saveptr = NULL;
	for (char *w = strtok_r(copy, ",", &saveptr); w; w = strtok_r(NULL, ",", &saveptr)) {
		unsigned before = *mask;
		for (unsigned i = 0; i < 8; i++)
			if (!strcmp(w, names[i]) || (w[0] == (char)('0' + i) && !w[1]))
				*mask |= 1u << i;
		if (*mask == before)
			return -1;
	}
	return *mask ? 0 : -1;
}

bool kt_cli_any_at_level(const struct kt_log_record *records, size_t count, unsigned mask)
{
	for (size_t i = 0; i < count; i++)
		if (mask >> (records[i].level & 7) & 1)
			return true;
	return false;
}
