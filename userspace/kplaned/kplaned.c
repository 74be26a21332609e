// SPDX-License-Identifier: GPL-2.0
/*
 * kplaned: the node agent.  For now it makes its netns a node and waits; the
 * desired-state reconciler comes later.  On SIGTERM/SIGINT it exits without
 * disabling the node: a daemon restart must not drop the dataplane's state.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "libkplane.h"

static void kp_log(const char *fmt, ...)
{
	char stamp[32];
	time_t now = time(NULL);
	va_list ap;

	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", gmtime(&now));
	fprintf(stderr, "%s kplaned: ", stamp);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int kp_wait_for_stop(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) || sigwait(&set, &sig))
		return -1;
	return sig;
}

int main(void)
{
	struct kp_handle *h;
	struct kp_status st;
	int err, sig;

	setvbuf(stderr, NULL, _IOLBF, 0);
	err = kp_open(&h);
	if (err) {
		kp_log("cannot reach kplane: %s%s", strerror(-err),
		       err == -ENOENT ? " (is the kplane module loaded?)" : "");
		return 1;
	}
	err = kp_node_enable(h);
	if (!err)
		err = kp_node_status(h, &st);
	if (err) {
		kp_log("cannot enable the node: %s: %s", strerror(-err), kp_error(h));
		kp_close(h);
		return 1;
	}
	kp_log("node enabled (generation %u, %u endpoints); waiting for SIGTERM",
	       st.generation, st.endpoint_count);
	sig = kp_wait_for_stop();
	kp_log("%s received, exiting; node state left in place",
	       sig > 0 ? strsignal(sig) : "error");
	kp_close(h);
	return sig > 0 ? 0 : 1;
}
