// SPDX-License-Identifier: GPL-2.0
/*
 * kp-rr: request/response rate over one TCP connection (netperf's TCP_RR).
 *   kp-rr serve PORT              echo every byte back, any number of clients
 *   kp-rr ADDR PORT SECONDS       one byte out, one byte back, as fast as the
 *                                 path allows; prints "rr_per_s=N"
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int serve(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	signal(SIGCHLD, SIG_IGN);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&sin, sizeof(sin)) || listen(fd, 64)) {
		perror("kp-rr: bind");
		return 1;
	}
	for (;;) {
		int c = accept(fd, NULL, NULL);
		char b;

		if (c < 0)
			continue;
		if (fork() == 0) {
			nodelay(c);
			while (read(c, &b, 1) == 1 && write(c, &b, 1) == 1)
				;
			_exit(0);
		}
		close(c);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	double start, secs;
	long n = 0;
	char b = 'x';
	int fd;

	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc != 4 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: kp-rr serve PORT | kp-rr IPV4 PORT SECONDS\n");
		return 2;
	}
	sin.sin_port = htons(atoi(argv[2]));
	secs = atof(argv[3]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (void *)&sin, sizeof(sin))) {
		perror("kp-rr: connect");
		return 1;
	}
	nodelay(fd);
	start = now_s();
	while (now_s() - start < secs) {
		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) {
			perror("kp-rr: exchange");
			return 1;
		}
		n++;
	}
	printf("rr_per_s=%.0f\n", n / (now_s() - start));
	return 0;
}
