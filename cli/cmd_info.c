// SPDX-License-Identifier: MIT
/* ktriage info: what a dump is, before anything is decoded. */
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ktriage/dump.h"

/* One VMCOREINFO value, copied; "" when absent. */
static void vmcoreinfo_value(const char *text, const char *key, char *out,
			     size_t len)
{
	out[0] = '\0';
	size_t klen = strlen(key);
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		if (n > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
			size_t vlen = n - klen - 1;
			if (vlen >= len)
				vlen = len - 1;
			memcpy(out, line + klen + 1, vlen);
			out[vlen] = '\0';
			return;
		}
		line = eol ? eol + 1 : NULL;
	}
}

static int cpu_count(const struct kt_dump *dump)
{
	size_t n = kt_dump_prstatus_count(dump);
	return n ? (int)n : kt_dump_info(dump)->nr_cpus;
}

static struct json_object *info_json(const struct kt_dump *dump,
				     const char *release, const char *build_id)
{
	const struct kt_dump_info *info = kt_dump_info(dump);
	char comp[64];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(info->path));
	json_object_object_add(o, "format", json_object_new_string(info->format));
	json_object_object_add(o, "contents", json_object_new_string(info->contents));
	json_object_object_add(o, "header_version", json_object_new_int(info->header_version));
	json_object_object_add(o, "compression",
			       json_object_new_string(kt_compression_name(info->compression, comp, sizeof(comp))));
	json_object_object_add(o, "dump_level",
			       info->dump_level >= 0 ? json_object_new_int(info->dump_level) : NULL);
	json_object_object_add(o, "page_size", json_object_new_int64(info->page_size));
	json_object_object_add(o, "max_pfn", json_object_new_int64((int64_t)info->max_pfn));
	json_object_object_add(o, "pages_present", json_object_new_int64((int64_t)info->pages_present));
	json_object_object_add(o, "pages_missing", json_object_new_int64((int64_t)info->pages_missing));
	json_object_object_add(o, "timestamp", json_object_new_int64(info->timestamp));
	json_object_object_add(o, "osrelease", *release ? json_object_new_string(release) : NULL);
	const char *arch = kt_dump_arch(dump);
	json_object_object_add(o, "arch", arch ? kt_json_escaped(arch) : NULL);
	json_object_object_add(o, "build_id", *build_id ? json_object_new_string(build_id) : NULL);
	json_object_object_add(o, "cpus", json_object_new_int(cpu_count(dump)));
	json_object_object_add(o, "complete", json_object_new_boolean(!info->incomplete && !info->truncated));
	json_object_object_add(o, "truncated", json_object_new_boolean(info->truncated));
	json_object_object_add(o, "incomplete", json_object_new_boolean(info->incomplete));
	json_object_object_add(o, "split", json_object_new_boolean(info->split));
	if (info->split) {
		json_object_object_add(o, "split_start_pfn", json_object_new_int64((int64_t)info->split_start_pfn));
		json_object_object_add(o, "split_end_pfn", json_object_new_int64((int64_t)info->split_end_pfn));
	}
	return o;
}

static const char *completeness(const struct kt_dump_info *info)
{
	if (info->incomplete)
		return "incomplete (makedumpfile ran out of space)";
	if (info->truncated)
		return "truncated (the file ends early)";
	return "complete";
}

static void info_text(const struct kt_dump *dump, const char *release,
		      const char *build_id)
{
	const struct kt_dump_info *info = kt_dump_info(dump);
	char comp[64], when[64] = "unknown";
	if (info->timestamp) {
		time_t t = (time_t)info->timestamp;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	}
	printf("file:         %s\n", info->path);
	if (strcmp(info->format, info->contents) != 0)
		printf("format:       %s (carrying %s)\n", info->format, info->contents);
	else
		printf("format:       %s\n", info->format);
	if (info->header_version)
		printf("header:       version %d\n", info->header_version);
	printf("compression:  %s\n", kt_compression_name(info->compression, comp, sizeof(comp)));
	if (info->dump_level >= 0)
		printf("dump level:   %d\n", info->dump_level);
	else
		printf("dump level:   unknown\n");
	printf("page size:    %u\n", info->page_size);
	printf("pfn range:    0x0-0x%llx\n", (unsigned long long)info->max_pfn);
	printf("pages:        %llu present", (unsigned long long)info->pages_present);
	if (info->pages_missing)
		printf(", %llu missing", (unsigned long long)info->pages_missing);
	printf("\nstate:        %s\n", completeness(info));
	if (info->split)
		printf("split part:   pfns 0x%llx-0x%llx of a makedumpfile --split set\n",
		       (unsigned long long)info->split_start_pfn,
		       (unsigned long long)info->split_end_pfn);
	printf("written:      %s\n", when);
	printf("release:      %s\n", *release ? release : "unknown (no VMCOREINFO)");
	const char *arch = kt_dump_arch(dump);
	printf("arch:         %s\n", arch ? kt_cli_safe(arch) : "unknown");
	printf("build id:     %s\n", *build_id ? build_id : "unknown");
	printf("cpus:         %d\n", cpu_count(dump));
}

int kt_cmd_info(int argc, char **argv)
{
	struct kt_cli_opts opts;
	int rc = kt_cli_parse_dump_opts("info", argc, argv, &opts);
	if (rc)
		return rc;
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open(opts.dump, &dump);
	if (err)
		return kt_cli_fail(err);
	const char *vmcoreinfo = kt_dump_vmcoreinfo(dump, NULL);
	char release[128], build_id[128];
	vmcoreinfo_value(vmcoreinfo, "OSRELEASE", release, sizeof(release));
	vmcoreinfo_value(vmcoreinfo, "BUILD-ID", build_id, sizeof(build_id));
	if (!*release)
		snprintf(release, sizeof(release), "%s", kt_dump_info(dump)->utsname_release);
	if (opts.json)
		kt_cli_print_json(info_json(dump, release, build_id));
	else
		info_text(dump, release, build_id);
	kt_dump_close(dump);
	return KT_EXIT_OK;
}
