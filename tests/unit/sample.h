/* SPDX-License-Identifier: MIT */
/*
 * cmocka group set-up for tests on the bundled sample dump ($KT_SAMPLE, or
 * samples/cgroup_deadlock): the dump and its kernel model, opened once.
 */
#ifndef KTRIAGE_TEST_SAMPLE_H
#define KTRIAGE_TEST_SAMPLE_H

#include <stdio.h>
#include <stdlib.h>

#include "ktriage/kernel.h"

struct sample {
	struct kt_dump *dump;
	struct kt_kernel *kernel;
};

static inline int sample_open(void **state)
{
	const char *dir = getenv("KT_SAMPLE");
	char path[4096];
	snprintf(path, sizeof(path), "%s/vmcore.kdump",
		 dir ? dir : "samples/cgroup_deadlock");
	struct sample *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	struct kt_error *err = kt_dump_open(path, &s->dump);
	if (!err)
		err = kt_kernel_open(s->dump, NULL, &s->kernel);
	if (err) {
		fprintf(stderr, "%s: %s\n", path, kt_error_string(err));
		kt_error_free(err);
		kt_dump_close(s->dump);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static inline int sample_close(void **state)
{
	struct sample *s = *state;
	kt_kernel_close(s->kernel);
	kt_dump_close(s->dump);
	free(s);
	return 0;
}

#endif
