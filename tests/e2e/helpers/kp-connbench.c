// SPDX-License-Identifier: GPL-2.0
/*
 * kp-connbench N [LABEL=][NETNS/]ADDR[+ADDR...]:PORT...: N blocking TCP connect()s to
 * each target (each on a new socket, closed right after), the targets taken
 * in turn connection by connection, in a new random order each time, so
 * that every target sees the same moments of a noisy machine.  A target's sockets are made in network
 * namespace /run/netns/NETNS (default: ours), so peers on separate nodes
 * are measured side by side by one process; a target of several addresses
 * takes them in turn (a direct connect spread over the backends as a
 * service spreads it).  Prints one line per target:
 * "target=LABEL median_us=… p99_us=… conn_per_s=…" (conn_per_s: N over the
 * time spent in that target's socket/connect/close).
 * A failed connect fails the run: a benchmark of errors measures nothing.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 32
#define MAX_ADDRS 8

struct target {
	char name[64];
	int netns;		/* fd of the namespace its sockets are made in */
	struct sockaddr_in sin[MAX_ADDRS];
	int n_addrs;
	double *lat;		/* connect() only */
	double busy;		/* socket() to close() */
};

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

static int parse_target(struct target *t, const char *arg, int own_netns)
{
	const char *eq = strchr(arg, '='), *slash, *colon;
	char addrs[256], path[300], *addr, *save = NULL;

	snprintf(t->name, sizeof(t->name), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
	arg = eq ? eq + 1 : arg;
	slash = strchr(arg, '/');
	t->netns = own_netns;
	if (slash) {
		snprintf(path, sizeof(path), "/run/netns/%.*s", (int)(slash - arg), arg);
		t->netns = open(path, O_RDONLY | O_CLOEXEC);
		if (t->netns < 0)
			return -1;
		arg = slash + 1;
	}
	colon = strrchr(arg, ':');
	if (!colon || (size_t)(colon - arg) >= sizeof(addrs))
		return -1;
	memcpy(addrs, arg, (size_t)(colon - arg));
	addrs[colon - arg] = '\0';
	for (addr = strtok_r(addrs, "+", &save); addr; addr = strtok_r(NULL, "+", &save)) {
		struct sockaddr_in *sin = &t->sin[t->n_addrs];

		if (t->n_addrs == MAX_ADDRS || inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(colon + 1));
		t->n_addrs++;
	}
	return t->n_addrs ? 0 : -1;
}

static int connect_once(struct target *t, int i)
{
	double t0, t1;
	int fd;

	if (setns(t->netns, CLONE_NEWNET)) {
		perror("kp-connbench: setns");
		return -1;
	}
	t0 = now_us();
	fd = socket(AF_INET, SOCK_STREAM, 0);

	t1 = now_us();
	if (fd < 0 || connect(fd, (struct sockaddr *)&t->sin[i % t->n_addrs], sizeof(t->sin[0]))) {
		fprintf(stderr, "kp-connbench: connect %s: ", t->name);
		perror(NULL);
		return -1;
	}
	t->lat[i] = now_us() - t1;
	close(fd);
	t->busy += now_us() - t0;
	return 0;
}

int main(int argc, char **argv)
{
	struct target tg[MAX_TARGETS] = { 0 };
	int i, j, n, nt = argc - 2, own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (argc < 3 || nt > MAX_TARGETS || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: kp-connbench N [LABEL=][NETNS/]IPV4[+IPV4...]:PORT...\n");
		return 2;
	}
	for (j = 0; j < nt; j++) {
		if (parse_target(&tg[j], argv[j + 2], own)) {
			fprintf(stderr, "kp-connbench: bad target %s\n", argv[j + 2]);
			return 2;
		}
		tg[j].lat = calloc((size_t)n, sizeof(double));
	}
	srand(1);
	for (i = 0; i < n; i++) {
		int order[MAX_TARGETS] = { 0 };

		/*
		 * A new order every time: a connect overlaps the server-side
		 * work (accept, close, FIN) of the one before it, so no target
		 * may always follow the same one.
		 */
		for (j = 0; j < nt; j++) {
			int k = rand() % (j + 1);

			order[j] = order[k];
			order[k] = j;
		}
		for (j = 0; j < nt; j++)
			if (connect_once(&tg[order[j]], i))
				return 1;
	}
	for (j = 0; j < nt; j++) {
		qsort(tg[j].lat, (size_t)n, sizeof(double), cmp);
		printf("target=%s median_us=%.0f p99_us=%.0f conn_per_s=%.0f\n", tg[j].name,
		       tg[j].lat[n / 2], tg[j].lat[(n * 99) / 100], n / (tg[j].busy / 1e6));
		free(tg[j].lat);
	}
	return 0;
}
