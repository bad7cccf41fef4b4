// SPDX-License-Identifier: MIT
/*
 * A supervised child: fork, run a function in the child, and follow it from
 * the event loop with a wall-time timer.  The workers (worker.c) and the
 * alert hook (hook.c) are both such children; what differs (what the child
 * does, what its exit means, what the timer does) is theirs, the fork and the
 * bookkeeping are here once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktriaged.h"

int child_start(sd_event *event, struct supervised_child *c,
		const struct child_spec *spec)
{
	*c = (struct supervised_child){ .pid = -1 };
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		spec->body(spec->arg); /* execs or exits */
		_exit(127);
	}
	if (pid < 0) {
		int r = -errno;
		log_error("%s: fork: %s", spec->what, strerror(-r));
		return r;
	}
	c->pid = pid;
	int r = sd_event_add_child(event, &c->exit_source, pid, WEXITED, spec->on_exit,
				   spec->userdata);
	if (r >= 0)
		r = sd_event_add_time_relative(event, &c->timer, CLOCK_MONOTONIC,
					       (uint64_t)(spec->timeout_seconds * 1e6),
					       spec->accuracy_usec, spec->on_timeout,
					       spec->userdata);
	if (r < 0) {
		log_error("%s: cannot follow %s %d: %s", spec->what, spec->noun, (int)pid,
			  strerror(-r));
		child_kill(c);
		child_release(c);
	}
	return r;
}

/* Reap it now; sd-event's own reaping afterwards finds nothing. */
void child_reap(const struct supervised_child *c)
{
	siginfo_t reaped;
	waitid(P_PID, (id_t)c->pid, &reaped, WEXITED | WNOHANG);
}

void child_kill(const struct supervised_child *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
}

void child_release(struct supervised_child *c)
{
	sd_event_source_disable_unref(c->exit_source);
	sd_event_source_disable_unref(c->timer);
	c->exit_source = c->timer = NULL;
}
