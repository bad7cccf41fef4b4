// SPDX-License-Identifier: MIT
/* Opening a dump and its kernel model for a command, the same way for all. */
#include "cli.h"

int kt_cli_open_kernel(const struct kt_cli_opts *opts, struct kt_cli_session *s)
{
	s->dump = NULL;
	s->kernel = NULL;
	struct kt_error *err = kt_dump_open(opts->dump, &s->dump);
	if (err)
		return kt_cli_fail(err);
	struct kt_kernel_options options = {
		.vmlinux = opts->vmlinux,
		.btf = opts->btf,
		.build_cache = opts->build_cache,
	};
	err = kt_kernel_open(s->dump, &options, &s->kernel);
	if (!err)
		err = kt_kernel_check_vmlinux(s->kernel);
	if (!err)
		err = kt_kernel_check_btf(s->kernel);
	if (err && s->kernel) {
		kt_kernel_close(s->kernel);
		s->kernel = NULL;
	}
	if (err) {
		kt_dump_close(s->dump);
		s->dump = NULL;
		return kt_cli_fail(err);
	}
	return KT_EXIT_OK;
}

/*
 * What the model could not read is said on stderr, after the result, so a
 * partial answer is never taken for a whole one.
 */
void kt_cli_close(struct kt_cli_session *s)
{
	if (s->kernel) {
		size_t n = kt_kernel_warning_count(s->kernel);
		for (size_t i = 0; i < n; i++)
			kt_cli_error_line("ktriage: warning: %s", kt_kernel_warning(s->kernel, i));
	}
	kt_kernel_close(s->kernel);
	kt_dump_close(s->dump);
	s->kernel = NULL;
	s->dump = NULL;
}

int kt_cli_run_parsed(int status, const struct kt_cli_opts *opts,
		      int (*body)(struct kt_kernel *kernel, void *ctx), void *ctx)
{
	if (status)
		return status;
	struct kt_cli_session s;
	status = kt_cli_open_kernel(opts, &s);
	if (status)
		return status;
	status = body(s.kernel, ctx);
	kt_cli_close(&s);
	return kt_cli_finish_output(status);
}

struct common_body {
	int (*body)(struct kt_kernel *kernel, const struct kt_cli_opts *opts);
	const struct kt_cli_opts *opts;
};

static int run_common_body(struct kt_kernel *kernel, void *ctx)
{
	const struct common_body *c = ctx;
	return c->body(kernel, c->opts);
}

int kt_cli_run_on_kernel(const char *command, int argc, char **argv,
			 int (*body)(struct kt_kernel *kernel, const struct kt_cli_opts *opts))
{
	struct kt_cli_opts opts;
	struct common_body c = { body, &opts };
	return kt_cli_run_parsed(kt_cli_parse_dump_opts(command, argc, argv, &opts), &opts,
				 run_common_body, &c);
}

int kt_cli_finish_output(int status)
{
	/* A full disk or a closed pipe must not pass for a whole answer. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("ktriage: writing the output");
		return KT_EXIT_FAILURE;
	}
	return status;
}
