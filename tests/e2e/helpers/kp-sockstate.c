// SPDX-License-Identifier: GPL-2.0
/*
 * kp-sockstate: what the kernel tells sockets whose lives are not a plain
 * connect-ask-close, through a service.
 *   unspec ADDR PORT MS     connected UDP: ask once ("from=" recvfrom's
 *                           source), connect(AF_UNSPEC) ("disconnected"),
 *                           MS ms later send() again: "sent" or "error=TEXT"
 *   reconnect ADDR PORT ADDR2 PORT2  TCP: connect to ADDR ("first=ok" or
 *                           "first=TEXT"), then the same socket to ADDR2;
 *                           "peer=" getpeername
 *   fastopen ADDR PORT      TCP: sendto(MSG_FASTOPEN) instead of connect();
 *                           "peer=" getpeername, "reply=" the greeting
 *   peers ADDR PORT N MS    TCP: N threads call getpeername for MS ms on 4
 *                           sockets connected to ADDR; "calls=C other=K":
 *                           K answers were not ADDR:PORT
 *   receivers ADDR PORT N   UDP: N threads, each a connected socket, send at
 *                           once and block in recvfrom; "answers=A other=K":
 *                           K answers' sources were not ADDR:PORT
 *   hold ADDR PORT N MS     UDP: N sockets connected to ADDR; "shown=S":
 *                           S of them show ADDR:PORT (getpeername); then
 *                           keep them MS ms
 *   corked ADDR PORT MS     connected UDP: send with MSG_MORE ("corked"),
 *                           MS ms later finish the datagram, then send
 *                           another: "sent=2" or "error=TEXT"
 *   sendloop ADDR PORT N MS  UDP: N sockets connected to ADDR ("ready"),
 *                           each sending one datagram in turn, for MS ms
 *                           (whatever the sends return); "sends=C"
 * ADDR may be IPv6, or v4-mapped (::ffff:A.B.C.D: an AF_INET6 socket to an
 * IPv4 service, as Java's default).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct target {
	struct sockaddr_storage ss;
	socklen_t len;
};

static int parse(const char *a, const char *port, struct target *t)
{
	struct sockaddr_in *sin = (void *)&t->ss;
	struct sockaddr_in6 *sin6 = (void *)&t->ss;

	memset(t, 0, sizeof(*t));
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(port));
		t->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &sin6->sin6_addr) != 1)
		return -1;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)atoi(port));
	t->len = sizeof(*sin6);
	return 0;
}

static const char *str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const void *ip = ss->ss_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)ss)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	inet_ntop(ss->ss_family, ip, a, sizeof(a));
	snprintf(buf, len, ss->ss_family == AF_INET ? "%s:%u" : "[%s]:%u", a,
		 ntohs(((const struct sockaddr_in *)ss)->sin_port));
	return buf;
}

/* Whether @ss (as the kernel reported it) is @t's address and port. */
static int same(const struct sockaddr_storage *ss, const struct target *t)
{
	char a[80], b[80];

	return !strcmp(str(ss, a, sizeof(a)), str(&t->ss, b, sizeof(b)));
}

static int sock(const struct target *t, int type)
{
	struct timeval tv = { .tv_sec = 3 };
	int fd = socket(t->ss.ss_family, type, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int unspec(const struct target *t, int ms)
{
	struct sockaddr_storage from;
	struct sockaddr none = { .sa_family = AF_UNSPEC };
	socklen_t flen = sizeof(from);
	char buf[256], a[80];
	int fd = sock(t, SOCK_DGRAM);

	if (connect(fd, (const void *)&t->ss, t->len) || send(fd, "?", 1, 0) != 1 ||
	    recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &flen) <= 0) {
		printf("error=%s\n", strerror(errno));
		return 1;
	}
	printf("from=%s\n", str(&from, a, sizeof(a)));
	if (connect(fd, &none, sizeof(none))) {
		printf("error=%s\n", strerror(errno));
		return 1;
	}
	printf("disconnected\n");
	usleep((useconds_t)ms * 1000);
	if (send(fd, "?", 1, 0) == 1)
		printf("sent\n");
	else
		printf("error=%s\n", strerror(errno));
	return 0;
}

static int reconnect(const struct target *t, const struct target *t2)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char a[80];
	int fd = sock(t, SOCK_STREAM);

	printf("first=%s\n", connect(fd, (const void *)&t->ss, t->len) ? strerror(errno) : "ok");
	if (connect(fd, (const void *)&t2->ss, t2->len) ||
	    getpeername(fd, (void *)&peer, &plen)) {
		printf("error=%s\n", strerror(errno));
		return 1;
	}
	printf("peer=%s\n", str(&peer, a, sizeof(a)));
	return 0;
}

/* The greeting first: with data in the SYN, sendto returns in SYN_SENT. */
static int fastopen(const struct target *t)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[256], a[80];
	ssize_t n;
	int fd = sock(t, SOCK_STREAM);

	if (sendto(fd, "?", 1, MSG_FASTOPEN, (const void *)&t->ss, t->len) != 1) {
		printf("error=sendto: %s\n", strerror(errno));
		return 1;
	}
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (getpeername(fd, (void *)&peer, &plen)) {
		printf("error=getpeername: %s\n", strerror(errno));
		return 1;
	}
	printf("peer=%s\nreply=%s\n", str(&peer, a, sizeof(a)), buf);
	return n > 0 ? 0 : 1;
}

static int hold(const struct target *t, int n, int ms)
{
	int i, shown = 0;

	for (i = 0; i < n; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = sock(t, SOCK_DGRAM);

		if (connect(fd, (const void *)&t->ss, t->len) == 0 &&
		    getpeername(fd, (void *)&peer, &plen) == 0 && same(&peer, t))
			shown++;
	}
	printf("shown=%d\n", shown);
	usleep((useconds_t)ms * 1000);
	return 0;
}

static double now_ms(void);

static int corked(const struct target *t, int ms)
{
	int fd = sock(t, SOCK_DGRAM), sent = 0;

	if (connect(fd, (const void *)&t->ss, t->len) || send(fd, "?", 1, MSG_MORE) != 1) {
		printf("error=%s\n", strerror(errno));
		return 1;
	}
	printf("corked\n");
	usleep((useconds_t)ms * 1000);
	while (sent < 2 && send(fd, "!", 1, 0) == 1)
		sent++;
	if (sent < 2)
		printf("error=%s\n", strerror(errno));
	else
		printf("sent=%d\n", sent);
	return 0;
}

static int sendloop(const struct target *t, int n, int ms)
{
	int *fds = calloc((size_t)n, sizeof(*fds)), i;
	long sends = 0;
	double end;

	for (i = 0; i < n; i++) {
		fds[i] = sock(t, SOCK_DGRAM);
		connect(fds[i], (const void *)&t->ss, t->len);
	}
	printf("ready\n");
	for (end = now_ms() + ms; now_ms() < end; sends++)
		send(fds[sends % n], "?", 1, MSG_DONTWAIT);
	printf("sends=%ld\n", sends);
	return 0;
}

static struct target target;
static pthread_barrier_t start;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long calls, other, answers;
static int fds[4], run_ms;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *peer_thread(void *arg)
{
	int fd = fds[(long)arg % 4];
	long c = 0, o = 0;
	double end;

	pthread_barrier_wait(&start);
	for (end = now_ms() + run_ms; now_ms() < end; c++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);

		if (getpeername(fd, (void *)&peer, &plen) || !same(&peer, &target))
			o++;
	}
	pthread_mutex_lock(&lock);
	calls += c;
	other += o;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *receiver_thread(void *arg)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[256];
	int fd = sock(&target, SOCK_DGRAM), ok;

	(void)arg;
	ok = !connect(fd, (const void *)&target.ss, target.len);
	pthread_barrier_wait(&start);
	ok = ok && send(fd, "?", 1, 0) == 1 &&
	     recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &flen) > 0;
	pthread_mutex_lock(&lock);
	answers += ok;
	other += ok && !same(&from, &target);
	pthread_mutex_unlock(&lock);
	close(fd);
	return NULL;
}

static int threads(int n, void *(*fn)(void *))
{
	pthread_t *tids = calloc((size_t)n, sizeof(*tids));
	long i;

	pthread_barrier_init(&start, NULL, (unsigned int)n);
	for (i = 0; i < n; i++)
		if (pthread_create(&tids[i], NULL, fn, (void *)i))
			return -1;
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct target t2;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 4 || parse(argv[2], argv[3], &target))
		goto usage;
	if (!strcmp(argv[1], "unspec") && argc == 5)
		return unspec(&target, atoi(argv[4]));
	if (!strcmp(argv[1], "reconnect") && argc == 6 && !parse(argv[4], argv[5], &t2))
		return reconnect(&target, &t2);
	if (!strcmp(argv[1], "fastopen") && argc == 4)
		return fastopen(&target);
	if (!strcmp(argv[1], "peers") && argc == 6) {
		for (i = 0; i < 4; i++) {
			fds[i] = sock(&target, SOCK_STREAM);
			if (connect(fds[i], (const void *)&target.ss, target.len)) {
				printf("error=%s\n", strerror(errno));
				return 1;
			}
		}
		run_ms = atoi(argv[5]);
		if (threads(atoi(argv[4]), peer_thread))
			return 1;
		printf("calls=%ld other=%ld\n", calls, other);
		return 0;
	}
	if (!strcmp(argv[1], "receivers") && argc == 5) {
		if (threads(atoi(argv[4]), receiver_thread))
			return 1;
		printf("answers=%ld other=%ld\n", answers, other);
		return 0;
	}
	if (!strcmp(argv[1], "corked") && argc == 5)
		return corked(&target, atoi(argv[4]));
	if (!strcmp(argv[1], "sendloop") && argc == 6)
		return sendloop(&target, atoi(argv[4]), atoi(argv[5]));
	if (!strcmp(argv[1], "hold") && argc == 6)
		return hold(&target, atoi(argv[4]), atoi(argv[5]));
usage:
	fprintf(stderr, "usage: kp-sockstate unspec|reconnect|fastopen|peers|receivers ADDR PORT ...\n");
	return 2;
}
