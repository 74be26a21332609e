// SPDX-License-Identifier: GPL-2.0
/*
 * kp-ares SERVER NAME: resolve NAME's IPv4 address with c-ares (the resolver
 * inside Node.js, curl and gRPC), asking only SERVER (ADDR or ADDR:PORT),
 * over UDP.  Prints "addr=A.B.C.D" and exits 0, or "error=..." and exits 1.
 * c-ares connects its UDP socket, reads answers with recvfrom() and drops any
 * whose source is not the server it asked, so a lookup through a ClusterIP
 * answers only if recvfrom() reports the ClusterIP.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <netdb.h>
#include <stdio.h>
#include <sys/select.h>

static int done, status = 1;

static void answer(void *arg __attribute__((unused)), int st,
		   int timeouts __attribute__((unused)), struct hostent *h)
{
	char a[INET_ADDRSTRLEN];

	done = 1;
	if (st != ARES_SUCCESS || !h || !h->h_addr_list[0]) {
		printf("error=%s\n", ares_strerror(st));
		return;
	}
	inet_ntop(AF_INET, h->h_addr_list[0], a, sizeof(a));
	printf("addr=%s\n", a);
	status = 0;
}

int main(int argc, char **argv)
{
	struct ares_options opts = { .timeout = 1000, .tries = 2 };
	ares_channel ch;

	if (argc != 3) {
		fprintf(stderr, "usage: kp-ares SERVER[:PORT] NAME\n");
		return 2;
	}
	if (ares_library_init(ARES_LIB_INIT_ALL) ||
	    ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) ||
	    ares_set_servers_ports_csv(ch, argv[1])) {
		fprintf(stderr, "kp-ares: cannot set up c-ares\n");
		return 2;
	}
	ares_gethostbyname(ch, argv[2], AF_INET, answer, NULL);
	while (!done) {
		struct timeval tv, *tvp;
		fd_set r, w;
		int n;

		FD_ZERO(&r);
		FD_ZERO(&w);
		n = ares_fds(ch, &r, &w);
		if (!n)
			break;
		tvp = ares_timeout(ch, NULL, &tv);
		select(n, &r, &w, NULL, tvp);
		ares_process(ch, &r, &w);
	}
	ares_destroy(ch);
	ares_library_cleanup();
	return status;
}
