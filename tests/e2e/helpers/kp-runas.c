// SPDX-License-Identifier: GPL-2.0
/*
 * kp-runas MODE CMD [ARGS]...: run CMD without CAP_NET_ADMIN over the
 * current netns.
 *   nobody  setuid/setgid 65534: no capabilities at all
 *   userns  a new user namespace: every capability, but only inside it, so
 *           none over a netns owned by the initial user namespace
 */
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: kp-runas nobody|userns CMD [ARGS]...\n");
		return 2;
	}
	if (!strcmp(argv[1], "nobody")) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			perror("kp-runas: drop privileges");
			return 2;
		}
	} else if (!strcmp(argv[1], "userns")) {
		if (unshare(CLONE_NEWUSER)) {
			perror("kp-runas: unshare(CLONE_NEWUSER)");
			return 2;
		}
	} else {
		fprintf(stderr, "kp-runas: unknown mode %s\n", argv[1]);
		return 2;
	}
	execvp(argv[2], argv + 2);
	perror("kp-runas: exec");
	return 127;
}
