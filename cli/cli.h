/* SPDX-License-Identifier: MIT */
/* The ktriage command: one file per subcommand, one line each in main.c. */
#ifndef KTRIAGE_CLI_H
#define KTRIAGE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "ktriage/base.h"
#include "ktriage/kernel.h"
#include "ktriage/services.h"

/* Exit statuses: 0 done, 1 the dump or the system failed us, 2 bad usage. */
enum { KT_EXIT_OK = 0, KT_EXIT_FAILURE = 1, KT_EXIT_USAGE = 2 };

struct kt_command {
	const char *name;
	const char *args;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Print "ktriage: <message>" on stderr and return the exit status for it. */
int kt_cli_fail(struct kt_error *err);
/* One line on stderr through the escaping rule: messages carry file names,
 * task names and text read from the dump. */
void kt_cli_error_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kt_cli_usage(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print a JSON value, pretty, followed by a newline, and free it. */
void kt_cli_print_json(struct json_object *value);

/*
 * The options the commands share, and the operands (options.c).  Every
 * command parses through kt_cli_parse: the shared options are kept here,
 * the command's own go to its callback.
 */
struct kt_cli_opts {
	bool json;
	const char *dump;      /* the one operand, for the commands that take one */
	const char *vmlinux;   /* --vmlinux FILE: optional DWARF */
	const char *btf;       /* --btf FILE */
	/* --build-cache DIR: build_cache points at cache, which points at
	 * cache_settings (so opts is filled in place, never copied). */
	const struct kt_kernel_cache *build_cache;
	struct kt_kernel_cache cache;
	struct kt_build_cache_settings cache_settings;
	const char *log;       /* analyze --log FILE: the log kdump saved beside the dump */
	const char *state_dir; /* --state-dir DIR: ktriaged's state */
	const char *const *operands; /* in the order given, options taken out */
	int nr_operands;
};

enum kt_cli_common {
	KT_CLI_JSON = 1 << 0,      /* --json, -j */
	KT_CLI_DEBUGINFO = 1 << 1, /* --vmlinux FILE, --btf FILE */
	KT_CLI_LOG = 1 << 2,       /* --log FILE (analyze takes it) */
	KT_CLI_STATE_DIR = 1 << 3, /* --state-dir DIR */
	KT_CLI_BUILD_CACHE = 1 << 4, /* --build-cache DIR */
	/* What the commands that read one dump share. */
	KT_CLI_DUMP_OPTIONS = KT_CLI_JSON | KT_CLI_DEBUGINFO | KT_CLI_LOG | KT_CLI_BUILD_CACHE,
};

struct kt_cli_parser {
	const char *command;
	unsigned common;                /* enum kt_cli_common */
	const char *shortopts;          /* the command's own, getopt's syntax; NULL: none */
	const struct option *longopts;  /* the command's own, ending with { 0 }; NULL: none */
	bool long_only;                 /* crash's -8, -16...: getopt_long_only */
	const char *help;               /* --help's text; NULL: the command table's usage */
	/* The command's own option: 0, or an exit status (kt_cli_usage). */
	int (*option)(void *ctx, int code, const char *arg);
	void *ctx;
};
/* 0, or an exit status after printing usage.  Reorders argv. */
int kt_cli_parse(const struct kt_cli_parser *parser, int argc, char **argv,
		 struct kt_cli_opts *opts);
/* The commands that read one dump: the shared options and DUMP. */
int kt_cli_parse_one_dump(const struct kt_cli_parser *parser, int argc, char **argv,
			  struct kt_cli_opts *opts);
int kt_cli_parse_dump_opts(const char *command, int argc, char **argv,
			   struct kt_cli_opts *opts);
/* The commands that read ktriaged's state: --state-dir, ID|DUMP in dump. */
int kt_cli_parse_store_opts(const char *command, bool with_json, int argc,
			    char **argv, struct kt_cli_opts *opts);

/* A dump and its kernel model, opened as the options say (session.c). */
struct kt_cli_session {
	struct kt_dump *dump;
	struct kt_kernel *kernel;
};
/* 0, or the exit status after printing the error. */
int kt_cli_open_kernel(const struct kt_cli_opts *opts, struct kt_cli_session *s);
/* Prints the model's warnings on stderr, then closes both. */
void kt_cli_close(struct kt_cli_session *s);
/*
 * The whole of a command that reads one dump's kernel: parse the common
 * options, open, run body, close, and check that the output was written.
 */
int kt_cli_run_on_kernel(const char *command, int argc, char **argv,
			 int (*body)(struct kt_kernel *kernel, const struct kt_cli_opts *opts));
/*
 * The same for a command that parsed its own way: status is the parse's
 * (returned as it is when not 0); body gets ctx.
 */
int kt_cli_run_parsed(int status, const struct kt_cli_opts *opts,
		      int (*body)(struct kt_kernel *kernel, void *ctx), void *ctx);
/* status, or a failure when stdout could not be written (perror'd). */
int kt_cli_finish_output(int status);

int kt_cmd_info(int argc, char **argv);
int kt_cmd_check(int argc, char **argv);
int kt_cmd_dmesg(int argc, char **argv);
int kt_cmd_sym(int argc, char **argv);
int kt_cmd_bt(int argc, char **argv);
int kt_cmd_ps(int argc, char **argv);
int kt_cmd_sys(int argc, char **argv);
int kt_cmd_mod(int argc, char **argv);
int kt_cmd_kmem(int argc, char **argv);
int kt_cmd_locks(int argc, char **argv);
int kt_cmd_analyze(int argc, char **argv);
/* Inspection through the dump's BTF (cmd_struct.c, cmd_rd.c, cmd_files.c). */
int kt_cmd_struct(int argc, char **argv);
int kt_cmd_p(int argc, char **argv);
int kt_cmd_rd(int argc, char **argv);
int kt_cmd_files(int argc, char **argv);
/* crash's task line, "PID: 1  TASK: ...  CPU: 0  COMMAND: ..." (cmd_files.c). */
void kt_cli_task_header(const struct kt_task *task);
/* A pid or a task_struct address; NULL after saying there is none. */
const struct kt_task *kt_cli_find_task(struct kt_kernel *kernel, const char *text);
/* ps -m (cmd_ps_times.c). */
int kt_cli_ps_times(struct kt_kernel *kernel, bool json);
/* ps -p PID (parents) and ps -g PID (threads), mode 'p' or 'g'. */
int kt_cli_ps_family(struct kt_kernel *kernel, char mode, const char *which, bool json);
/* dmesg -T and --level (dmesg_time.c). */
int64_t kt_cli_boot_epoch_ns(struct kt_kernel *kernel); /* 0 when unknown */
int kt_cli_wall_time(int64_t boot_epoch_ns, uint64_t ts_nsec, char *buf, size_t size);
struct json_object *kt_cli_json_time(int64_t epoch_ns); /* ISO 8601, UTC */
int kt_cli_parse_levels(const char *list, unsigned *mask);
bool kt_cli_any_at_level(const struct kt_log_record *records, size_t count, unsigned mask);
/* kmem -s and kmem ADDRESS (cmd_kmem_slab.c). */
int kt_cli_kmem_slabs(struct kt_kernel *kernel, bool json);
int kt_cli_kmem_address(struct kt_kernel *kernel, const char *address, bool json);
/* A hexadecimal address or a symbol: 0, or the exit status after saying why. */
int kt_cli_parse_address(struct kt_kernel *kernel, const char *text,
			 uint64_t *address);

/* ktriaged's store (cmd_list.c): the state directory, times, a dump's state. */
struct kt_store_entry;
char *kt_cli_state_dir(const char *given);
/* Print a command's usage line and summary from the table; returns 0. */
int kt_cli_help(const char *command);
void kt_cli_format_time(double when, char *buf, size_t len);
/*
 * s escaped for the terminal (ktriage/escape.h): names and paths come from
 * dumps and crash directories.  The result lives until eight more calls.
 */
const char *kt_cli_safe(const char *s);
const char *kt_cli_dump_status(const struct kt_store_entry *entry);
int kt_cmd_list(int argc, char **argv);
int kt_cmd_show(int argc, char **argv);
int kt_cmd_retriage(int argc, char **argv);
int kt_cmd_notify(int argc, char **argv);

#endif
