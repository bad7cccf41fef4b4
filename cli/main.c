// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct kt_command commands[] = {
	{ "info", "DUMP [--json]", "identify a dump: format, compression, kernel, completeness", kt_cmd_info },
	{ "check", "DUMP... [--json] [--pfns START-END]", "decode every page and digest the memory (is my vmcore intact?)", kt_cmd_check },
	{ "dmesg", "DUMP [-T] [--level LIST] [--json]", "the kernel log kept in the dump, as vmcore-dmesg prints it", kt_cmd_dmesg },
	{ "sym", "DUMP SYMBOL|ADDRESS...", "look up symbols in the dump's own kallsyms", kt_cmd_sym },
	{ "ps", "DUMP [-m] [--json]", "every task: pid, parent, CPU, state, command, as crash's ps; -m: time in its state", kt_cmd_ps },
	{ "bt", "DUMP [-a | --state ST | --all-tasks | -c CPU | PID...] [-f] [--json]", "kernel backtraces from the dump's own ORC tables", kt_cmd_bt },
	{ "mod", "DUMP [--all] [--json]", "tainted modules, as crash's mod -t; --all: every module with base and size", kt_cmd_mod },
	{ "kmem", "DUMP [-i | -s | ADDRESS] [--json]", "memory summary in pages (-i, crash's kmem -i), slab caches (-s), what holds an ADDRESS", kt_cmd_kmem },
	{ "sys", "DUMP [--json]", "crash's sys: CPUs, date, uptime, load, tasks, release, memory, the panic and its task", kt_cmd_sys },
	{ "struct", "DUMP TYPE[.MEMBER[,MEMBER]] ADDRESS [-x|-d] [--json]", "an object's members from the dump's BTF, as crash's struct", kt_cmd_struct },
	{ "p", "DUMP SYMBOL[.MEMBER][:CPU] [-x|-d] [--json]", "a variable, per-CPU ones on a CPU, as crash's p", kt_cmd_p },
	{ "rd", "DUMP ADDRESS [COUNT] [-8|-16|-32|-64] [-s] [-p] [--json]", "memory words with their ASCII, as crash's rd; -s symbols, -p physical", kt_cmd_rd },
	{ "files", "DUMP PID|TASK [--json]", "a task's root, cwd and open files: fd, file, dentry, inode, type, path, as crash's files", kt_cmd_files },
	{ "locks", "DUMP [--json | --dot]", "who waits on which lock, who holds it, and the deadlock cycles", kt_cmd_locks },
	{ "analyze", "DUMP|LOG [--log FILE] [--json]", "what killed the machine: verdict, evidence, advice, signature (a dump or a text log)", kt_cmd_analyze },
	{ "list", "[--state-dir DIR] [--since T] [--verdict V] [--json]", "the dumps ktriaged has triaged, as coredumpctl list", kt_cmd_list },
	{ "show", "ID|DUMP [--state-dir DIR] [--json]", "one dump ktriaged triaged: verdict, findings, report", kt_cmd_show },
	{ "retriage", "ID|DUMP [--state-dir DIR]", "ask ktriaged to analyse a dump again", kt_cmd_retriage },
	{ "notify", "DIR|DUMP [--state-dir DIR]", "tell ktriaged a dump directory is complete (kdump post-save hook)", kt_cmd_notify },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "Usage: ktriage COMMAND [ARGS]\n\n"
		     "Triage Linux kernel crash dumps without debuginfo.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-8s %s\n  %-8s   %s\n", commands[i].name,
			commands[i].args, "", commands[i].summary);
	fprintf(out, "\nktriage COMMAND --help for a command's options.\n");
}

void kt_cli_error_line(const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("ktriage: out of memory\n", stderr);
		return;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	kt_escape_write(stderr, line, (size_t)n, 0);
	fputc('\n', stderr);
	free(line);
}

int kt_cli_fail(struct kt_error *err)
{
	kt_cli_error_line("ktriage: %s", kt_error_string(err));
	int status = err && err->code == KT_ERR_USAGE ? KT_EXIT_USAGE
						      : KT_EXIT_FAILURE;
	kt_error_free(err);
	return status;
}

int kt_cli_usage(const char *command, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ktriage %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (strcmp(commands[i].name, command) == 0)
			fprintf(stderr, "Usage: ktriage %s %s\n", command,
				commands[i].args);
	return KT_EXIT_USAGE;
}

void kt_cli_print_json(struct json_object *value)
{
	puts(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(value);
}

int kt_cli_help(const char *command)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (strcmp(commands[i].name, command) == 0)
			printf("Usage: ktriage %s %s\n%s\n", command,
			       commands[i].args, commands[i].summary);
	return KT_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return KT_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		usage(stdout);
		return KT_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf("ktriage %s\n", KT_VERSION);
		return KT_EXIT_OK;
	}
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	kt_cli_error_line("ktriage: unknown command '%s'", name);
	usage(stderr);
	return KT_EXIT_USAGE;
}
