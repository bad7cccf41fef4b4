// SPDX-License-Identifier: MIT
/* ktriage sym: symbol to address and back, from the dump's own kallsyms. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ktriage/kernel.h"

/* name: what the address was looked up by, when it was (a data symbol
 * found without kallsyms, e.g. on arm64 without KALLSYMS_ALL, has no way back). */
static void print_address(struct kt_kernel *kernel, uint64_t address, const char *name)
{
	struct kt_symbol sym;
	uint64_t offset;
	struct kt_error *err = kt_symbol_at(kernel, address, &sym, &offset);
	if (err && name) {
		printf("%016llx (?) %s+0x0\n", (unsigned long long)address, kt_cli_safe(name));
		kt_error_free(err);
		return;
	}
	if (err) {
		printf("%016llx: %s\n", (unsigned long long)address, kt_error_string(err));
		kt_error_free(err);
		return;
	}
	printf("%016llx (%c) %s+0x%llx", (unsigned long long)address, sym.type,
	       sym.name, (unsigned long long)offset);
	if (sym.module)
		printf(" [%s]", sym.module);
	putchar('\n');
}

int kt_cmd_sym(int argc, char **argv)
{
	if (argc < 3)
		return kt_cli_usage("sym", "need a dump and a symbol or address");
	struct kt_cli_opts opts = { .dump = argv[1] };
	struct kt_cli_session s;
	int status = kt_cli_open_kernel(&opts, &s);
	if (status)
		return status;
	struct kt_kernel *kernel = s.kernel;
	struct kt_error *err;
	for (int i = 2; i < argc; i++) {
		char *end;
		uint64_t address = strtoull(argv[i], &end, 16);
		if (*argv[i] && !*end && strlen(argv[i]) > 8) {
			print_address(kernel, address, NULL);
			continue;
		}
		err = kt_symbol_address(kernel, argv[i], &address);
		if (err) {
			kt_cli_error_line("ktriage: %s", kt_error_string(err));
			kt_error_free(err);
			status = KT_EXIT_FAILURE;
			continue;
		}
		print_address(kernel, address, argv[i]);
	}
	kt_cli_close(&s);
	return status;
}
