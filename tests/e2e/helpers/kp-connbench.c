// SPDX-License-Identifier: GPL-2.0
/*
 * kp-connbench ADDR PORT N: N blocking TCP connect()s (each on a new socket,
 * closed right after); prints "median_us=… p99_us=… conn_per_s=…".
 * A failed connect fails the run: a benchmark of errors measures nothing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	double *lat, t0, start;
	int i, n, fd;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1 ||
	    (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: kp-connbench IPV4 PORT N\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	lat = calloc((size_t)n, sizeof(*lat));
	start = now_us();
	for (i = 0; i < n; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		t0 = now_us();
		if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			perror("kp-connbench: connect");
			return 1;
		}
		lat[i] = now_us() - t0;
		close(fd);
	}
	t0 = now_us() - start;
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("median_us=%.0f p99_us=%.0f conn_per_s=%.0f\n", lat[n / 2],
	       lat[(n * 99) / 100], n / (t0 / 1e6));
	free(lat);
	return 0;
}
