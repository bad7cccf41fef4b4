// SPDX-License-Identifier: MIT
/*
 * The daemon's configuration (lib/services/config.c over inih) on a hostile INI
 * file: load it over the defaults, print the result, free it.  A value the
 * loader accepts must print back as something it accepts again.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "ktriage/services.h"

static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sink = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	struct kt_config config;
	struct kt_error *err = kt_config_defaults(&config);
	if (err) {
		fuzz_drop(err);
		close(fd);
		return 0;
	}
	err = kt_config_load(&config, path, false);
	if (!err) {
		/* Printed and loaded again over fresh defaults: still valid. */
		char *printed = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&printed, &len);
		if (out) {
			kt_config_print(&config, out);
			fclose(out);
			char again_path[64];
			int again = fuzz_file(printed, len, again_path, sizeof(again_path));
			struct kt_config second;
			if (again >= 0 && !kt_config_defaults(&second)) {
				struct kt_error *e2 = kt_config_load(&second, again_path, false);
				if (e2) {
					fprintf(stderr, "printed configuration does not load: %s\n%s",
						kt_error_string(e2), printed);
					abort();
				}
				kt_config_free(&second);
			}
			if (again >= 0)
				close(again);
			free(printed);
		}
		if (sink)
			kt_config_print(&config, sink);
	} else if (!strstr(kt_error_string(err), path) && err != &kt_error_out_of_memory) {
		abort(); /* errors name the file */
	}
	fuzz_drop(err);
	kt_config_free(&config);
	close(fd);
	return 0;
}
