// SPDX-License-Identifier: GPL-2.0
/*
 * kp-echo: servers that report who they are and whom they see, and a client
 * that shows what the kernel tells it.
 *   kp-echo serve tcp|udp ADDR PORT NAME [hold|bulk|once]  answer each
 *                                          connection/datagram with "NAME
 *                                          CLIENT-ADDR";
 *                                          hold: TCP connections stay open and
 *                                          each message gets that answer again;
 *                                          bulk: then 1 MiB more, full-sized
 *                                          segments (path MTU tests);
 *                                          once (UDP): answer the first
 *                                          datagram, then read no more (a
 *                                          sink for packet floods);
 *                                          late (UDP): print "asked" on each
 *                                          datagram, answer it 2 s later
 *   kp-echo fetch tcp ADDR PORT            read to the end; print "bytes=N",
 *                                          exit 1 if it stalls
 *   kp-echo connect tcp|udp ADDR PORT [SPORT]  connect (from source port
 *                                          SPORT), print "peer=ADDR:PORT"
 *                                          (getpeername), for UDP
 *                                          "from=ADDR:PORT" (recvfrom), and
 *                                          "reply=..."
 *   kp-echo repeat tcp|udp ADDR PORT N MS  one connected socket, N answers
 *                                          (TCP: the greeting, then one per
 *                                          message), each printed as
 *                                          "reply=..." or "error=...", MS apart
 *   kp-echo sendto udp ADDR PORT           unconnected: sendto, recvfrom; print
 *                                          "from=ADDR:PORT" and "reply=..."
 *   kp-echo many udp ADDR PORT N           N connected sockets, each asked once;
 *                                          then, at SIGUSR1, each asked again;
 *                                          each round prints "round NAME=COUNT..."
 *                                          (NAME "-": no answer)
 *   kp-echo watch udp ADDR PORT MS ADDR2...  for MS ms, rounds: ask each
 *                                          ADDR:PORT once on a new connected
 *                                          socket; print one line a round, the
 *                                          answering names ("-": none)
 *   kp-echo probe tcp|udp ADDR PORT ADDR2...  ask ADDR:PORT, ADDR2:PORT...
 *                                          all at once (a TCP connect, a UDP
 *                                          datagram); print "ADDR NAME" for
 *                                          each, in order ("-": no answer
 *                                          within the timeout, or refused)
 * KP_ECHO_SIZE=N: UDP clients send N bytes (default 1); a UDP server adds
 * " bytes=N" to its answer to anything longer than one byte.
 * KP_ECHO_DSTOPTS=1: IPv6 clients' packets carry a destination options
 * header (one PadN option) before the transport header; KP_ECHO_SRH=1: a
 * segment routing header with no segments left.
 * connect exits 0 on a reply, 3 on ECONNREFUSED from connect() or, for UDP,
 * from recv() (printing "refused in N ms"), 1 on anything else.  Clients give
 * up after KP_ECHO_TIMEOUT_MS (default 3000) without an answer, connect()
 * included (a dropped SYN).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int parse_addr(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (void *)ss;
	struct sockaddr_in6 *sin6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	}
	return buf;
}

/* The client's address without the port. */
static const char *host_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)ss)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	return inet_ntop(ss->ss_family, a, buf, (socklen_t)len) ? buf : "?";
}

#define KP_BULK_BYTES (1 << 20)

static void send_bulk(int c)
{
	static char block[65536];
	size_t sent = 0;
	ssize_t n = 0;

	memset(block, 'x', sizeof(block));
	while (sent < KP_BULK_BYTES && (n = write(c, block, sizeof(block))) > 0)
		sent += (size_t)n;
	if (n < 0)
		perror("kp-echo: bulk write");
}

static int serve(int type, const struct sockaddr_storage *ss, socklen_t len, const char *name,
		 const char *mode)
{
	bool hold = !strcmp(mode, "hold"), bulk = !strcmp(mode, "bulk");
	bool once = !strcmp(mode, "once"), late = !strcmp(mode, "late");
	struct sockaddr_storage peer;
	char msg[256], host[INET6_ADDRSTRLEN];
	static char in[65536];
	socklen_t plen;
	ssize_t n;
	int one = 1, fd, c;

	signal(SIGCHLD, SIG_IGN);	/* "hold" children reap themselves */
	fd = socket(ss->ss_family, type, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (const void *)ss, len) || (type == SOCK_STREAM && listen(fd, 128))) {
		perror("kp-echo: serve");
		return 1;
	}
	for (;;) {
		plen = sizeof(peer);
		if (type == SOCK_DGRAM) {
			n = recvfrom(fd, in, sizeof(in), 0, (void *)&peer, &plen);
			if (n < 0)
				continue;
			snprintf(msg, sizeof(msg), n > 1 ? "%s %s bytes=%zd" : "%s %s", name,
				 host_str(&peer, host, sizeof(host)), n);
			if (late) {
				printf("asked\n");
				usleep(2000 * 1000);
			}
			sendto(fd, msg, strlen(msg), 0, (void *)&peer, plen);
			while (once)
				pause();
			continue;
		}
		c = accept(fd, (void *)&peer, &plen);
		if (c < 0)
			continue;
		snprintf(msg, sizeof(msg), "%s %s", name, host_str(&peer, host, sizeof(host)));
		/* "hold": a greeting, then one more per message until the client
		 * closes (in a child: long-lived clients must not hold up others).
		 */
		if (bulk && fork() == 0) {
			close(fd);
			if (write(c, msg, strlen(msg)) > 0)
				send_bulk(c);
			_exit(0);
		} else if (!hold && !bulk) {
			if (write(c, msg, strlen(msg)) < 0)
				perror("kp-echo: write");
		} else if (hold && fork() == 0) {
			close(fd);
			while (write(c, msg, strlen(msg)) > 0 && read(c, in, sizeof(in)) > 0)
				;
			_exit(0);
		}
		close(c);
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Binds @fd to the wildcard address of @family at @port (reused at once). */
static int bind_port(int fd, int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	parse_addr(family == AF_INET ? "0.0.0.0" : "::", port, &ss, &len);
	return bind(fd, (void *)&ss, len);
}

static int refused(double t0)
{
	printf("refused in %.0f ms\n", now_ms() - t0);
	return 3;
}

/* The clients' patience: KP_ECHO_TIMEOUT_MS, default 3 s. */
static struct timeval client_timeout(void)
{
	const char *env = getenv("KP_ECHO_TIMEOUT_MS");
	long ms = env ? atol(env) : 3000;
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return tv;
}

/* Reads a TCP answer to its end; a stall longer than the timeout fails. */
static int fetch(const struct sockaddr_storage *ss, socklen_t len)
{
	struct timeval tv = client_timeout();
	char buf[65536];
	size_t total = 0;
	ssize_t n;
	int fd = socket(ss->ss_family, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (const void *)ss, len)) {
		perror("kp-echo: connect");
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	printf("bytes=%zu\n", total);
	if (n < 0) {
		perror("kp-echo: read");
		return 1;
	}
	return 0;
}

/* What a UDP client sends: KP_ECHO_SIZE bytes (default 1). */
static size_t udp_payload(const char **data)
{
	static char buf[65507];
	const char *env = getenv("KP_ECHO_SIZE");
	size_t n = env ? strtoul(env, NULL, 0) : 1;

	if (n < 1 || n > sizeof(buf))
		n = 1;
	memset(buf, '?', n);
	*data = buf;
	return n;
}

static int client(int type, const struct sockaddr_storage *ss, socklen_t len, int sport)
{
	struct timeval tv = client_timeout();
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[256], a[80];
	double t0 = now_ms();
	const char *data;
	size_t size = udp_payload(&data);
	ssize_t n;
	int fd = socket(ss->ss_family, type, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));	/* bounds connect() */
	if (ss->ss_family == AF_INET6 && getenv("KP_ECHO_DSTOPTS")) {
		/* Next header and length are the kernel's to fill; PadN, 4 bytes. */
		static const unsigned char opts[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_DSTOPTS, opts, sizeof(opts))) {
			perror("kp-echo: IPV6_DSTOPTS");
			return 1;
		}
	}
	if (ss->ss_family == AF_INET6 && getenv("KP_ECHO_SRH")) {
		/*
		 * A segment routing header (type 4) of one segment, none left:
		 * the destination itself, which routing uses (fl6_update_dst).
		 */
		unsigned char srh[24] = { 0, 2, 4, 0, 0 };

		memcpy(srh + 8, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RTHDR, srh, sizeof(srh))) {
			perror("kp-echo: IPV6_RTHDR");
			return 1;
		}
	}
	if (sport && bind_port(fd, ss->ss_family, sport)) {
		perror("kp-echo: bind");
		return 1;
	}
	if (connect(fd, (const void *)ss, len)) {
		if (errno == ECONNREFUSED)
			return refused(t0);
		perror("kp-echo: connect");
		return 1;
	}
	if (getpeername(fd, (void *)&peer, &plen) == 0)
		printf("peer=%s\n", addr_str(&peer, a, sizeof(a)));
	if (type == SOCK_DGRAM && send(fd, data, size, 0) != (ssize_t)size) {
		perror("kp-echo: send");
		return 1;
	}
	/* recvfrom, as c-ares reads its connected socket: the source must be
	 * the address connected to.
	 */
	plen = sizeof(peer);
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (void *)&peer, &plen);
	if (n < 0 && errno == ECONNREFUSED)
		return refused(t0);
	if (n <= 0) {
		perror("kp-echo: recv");
		return 1;
	}
	buf[n] = '\0';
	if (type == SOCK_DGRAM)
		printf("from=%s\n", addr_str(&peer, a, sizeof(a)));
	printf("reply=%s\n", buf);
	return 0;
}

static int repeat(int type, const struct sockaddr_storage *ss, socklen_t len, int count, int ms)
{
	struct timeval tv = client_timeout();
	char buf[256];
	ssize_t n;
	int fd = socket(ss->ss_family, type, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const void *)ss, len)) {
		perror("kp-echo: connect");
		return 1;
	}
	while (count-- > 0) {
		/* TCP: the greeting first, then one answer per message sent. */
		if (type == SOCK_STREAM)
			n = recv(fd, buf, sizeof(buf) - 1, 0);
		else
			n = send(fd, "?", 1, 0) == 1 ? recv(fd, buf, sizeof(buf) - 1, 0) : -1;
		if (type == SOCK_STREAM && n > 0 && count > 0 && send(fd, "?", 1, 0) != 1)
			n = -1;
		if (n > 0) {
			buf[n] = '\0';
			printf("reply=%s\n", buf);
		} else {
			printf("error=%s\n", strerror(errno));
		}
		usleep((useconds_t)ms * 1000);
	}
	return 0;
}

static int unconnected(const struct sockaddr_storage *ss, socklen_t len)
{
	struct timeval tv = { .tv_sec = 3 };
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[256], a[80];
	ssize_t n;
	double t0 = now_ms();
	int fd = socket(ss->ss_family, SOCK_DGRAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, "?", 1, 0, (const void *)ss, len) != 1) {
		if (errno == ECONNREFUSED)
			return refused(t0);
		perror("kp-echo: sendto");
		return 1;
	}
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (void *)&from, &flen);
	if (n <= 0) {
		perror("kp-echo: recvfrom");
		return 1;
	}
	buf[n] = '\0';
	printf("from=%s\nreply=%s\n", addr_str(&from, a, sizeof(a)), buf);
	return 0;
}

/* A connected UDP socket with the clients' patience, or -1. */
static int udp_connected(const struct sockaddr_storage *ss, socklen_t len)
{
	struct timeval tv = client_timeout();
	int fd = socket(ss->ss_family, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!connect(fd, (const void *)ss, len))
		return fd;
	close(fd);
	return -1;
}

/* One answer's name on connected UDP socket @fd; "-" if none came. */
static void ask_fd_name(int fd, char *name, size_t size)
{
	char buf[256];
	ssize_t n = -1;

	if (fd >= 0 && send(fd, "?", 1, 0) == 1)
		n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(name, size, "%s", n > 0 ? strtok(buf, " ") : "-");
}

/* One answer's name from a new connected UDP socket; "-" if none came. */
static void ask_name(const struct sockaddr_storage *ss, socklen_t len, char *name, size_t size)
{
	int fd = udp_connected(ss, len);

	ask_fd_name(fd, name, size);
	if (fd >= 0)
		close(fd);
}

/* Asks on each of @fds once; prints "round NAME=COUNT..." in first-seen order. */
static void many_round(const int *fds, int n)
{
	char names[8][64], name[64];
	int counts[8] = { 0 }, kinds = 0, i, k;

	for (i = 0; i < n; i++) {
		ask_fd_name(fds[i], name, sizeof(name));
		for (k = 0; k < kinds && strcmp(names[k], name); k++)
			;
		if (k == kinds && kinds < 8)
			snprintf(names[kinds++], sizeof(names[0]), "%s", name);
		if (k < kinds)
			counts[k]++;
	}
	printf("round");
	for (k = 0; k < kinds; k++)
		printf(" %s=%d", names[k], counts[k]);
	printf("\n");
}

/* N connected sockets, a round of questions, SIGUSR1, another round. */
static int many(const struct sockaddr_storage *ss, socklen_t len, int n)
{
	struct rlimit rl;
	sigset_t usr1;
	int *fds = calloc((size_t)n, sizeof(*fds)), i, sig;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	if (!fds || n < 1 || setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < (rlim_t)n + 16) {
		fprintf(stderr, "kp-echo: many: cannot hold %d sockets\n", n);
		return 1;
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	for (i = 0; i < n; i++)
		fds[i] = udp_connected(ss, len);
	many_round(fds, n);
	sigwait(&usr1, &sig);
	many_round(fds, n);
	return 0;
}

/* @addrs[0..argc-1]: the addresses asked in each round, in order. */
static int watch(int argc, char **addrs, int port, int ms)
{
	struct sockaddr_storage ss[16];
	socklen_t len[16];
	char name[256];
	double end = now_ms() + ms;
	int i, n = 0;

	for (i = 0; i < argc && n < 16; i++)
		if (parse_addr(addrs[i], port, &ss[n], &len[n]) == 0)
			n++;
	while (now_ms() < end) {
		for (i = 0; i < n; i++) {
			ask_name(&ss[i], len[i], name, sizeof(name));
			printf(i + 1 < n ? "%s " : "%s\n", name);
		}
	}
	return 0;
}

/* Every address at once, non-blocking: a truth table of 81 cells in one timeout. */
static int probe(int type, int argc, char **addrs, int port)
{
	struct timeval tv = client_timeout();
	double end = now_ms() + tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
	struct pollfd pfd[128];
	char names[128][64];
	int i, n = argc < 128 ? argc : 128, left = 0;

	for (i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t len;

		strcpy(names[i], "-");
		pfd[i].fd = -1;
		pfd[i].events = POLLIN;
		if (parse_addr(addrs[i], port, &ss, &len))
			continue;
		pfd[i].fd = socket(ss.ss_family, type | SOCK_NONBLOCK, 0);
		if (pfd[i].fd < 0 || (connect(pfd[i].fd, (struct sockaddr *)&ss, len) &&
				      errno != EINPROGRESS) ||
		    (type == SOCK_DGRAM && send(pfd[i].fd, "?", 1, 0) != 1)) {
			if (pfd[i].fd >= 0)
				close(pfd[i].fd);
			pfd[i].fd = -1;
			continue;
		}
		left++;
	}
	while (left && now_ms() < end) {
		if (poll(pfd, (nfds_t)n, (int)(end - now_ms()) + 1) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			char buf[256];
			ssize_t got;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			got = recv(pfd[i].fd, buf, sizeof(buf) - 1, 0);
			if (got < 0 && errno == EAGAIN)
				continue;
			buf[got > 0 ? got : 0] = '\0';
			if (got > 0)
				snprintf(names[i], sizeof(names[i]), "%s", strtok(buf, " \n"));
			close(pfd[i].fd);
			pfd[i].fd = -1;
			left--;
		}
	}
	for (i = 0; i < n; i++) {
		printf("%s %s\n", addrs[i], names[i]);
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int type;

	if (argc < 5 || parse_addr(argv[3], atoi(argv[4]), &ss, &len)) {
		fprintf(stderr, "usage: kp-echo serve tcp|udp ADDR PORT NAME | connect tcp|udp ADDR PORT\n");
		return 2;
	}
	type = !strcmp(argv[2], "udp") ? SOCK_DGRAM : SOCK_STREAM;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "serve") && (argc == 6 || argc == 7))
		return serve(type, &ss, len, argv[5], argc == 7 ? argv[6] : "");
	if (!strcmp(argv[1], "fetch"))
		return fetch(&ss, len);
	if (!strcmp(argv[1], "connect"))
		return client(type, &ss, len, argc > 5 ? atoi(argv[5]) : 0);
	if (!strcmp(argv[1], "repeat") && argc == 7)
		return repeat(type, &ss, len, atoi(argv[5]), atoi(argv[6]));
	if (!strcmp(argv[1], "sendto"))
		return unconnected(&ss, len);
	if (!strcmp(argv[1], "many") && argc == 6)
		return many(&ss, len, atoi(argv[5]));
	if (!strcmp(argv[1], "probe")) {
		int port = atoi(argv[4]);

		argv[4] = argv[3];	/* the addresses, in order: argv[4..] */
		return probe(type, argc - 4, argv + 4, port);
	}
	if (!strcmp(argv[1], "watch") && argc >= 6) {
		int ms = atoi(argv[5]);

		argv[5] = argv[3];	/* the addresses, in order: argv[5..] */
		return watch(argc - 5, argv + 5, atoi(argv[4]), ms);
	}
	return 2;
}
