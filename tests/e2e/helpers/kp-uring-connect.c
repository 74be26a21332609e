// SPDX-License-Identifier: GPL-2.0
/*
 * kp-uring-connect ADDR PORT: TCP connect through io_uring (IORING_OP_CONNECT,
 * not connect(2)), then print "peer=ADDR:PORT" (getpeername) and
 * "reply=..." like kp-echo.  Exit 0 on a reply, 3 on ECONNREFUSED, 1 else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, peer;
	socklen_t plen = sizeof(peer);
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	char buf[256], a[INET_ADDRSTRLEN];
	ssize_t n;
	int fd, res;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: kp-uring-connect IPV4 PORT\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || io_uring_queue_init(4, &ring, 0)) {
		perror("kp-uring-connect: setup");
		return 1;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_connect(sqe, fd, (struct sockaddr *)&sin, sizeof(sin));
	if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe)) {
		perror("kp-uring-connect: submit");
		return 1;
	}
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (res == -ECONNREFUSED) {
		printf("refused\n");
		return 3;
	}
	if (res < 0) {
		fprintf(stderr, "kp-uring-connect: connect: %s\n", strerror(-res));
		return 1;
	}
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0)
		printf("peer=%s:%u\n", inet_ntop(AF_INET, &peer.sin_addr, a, sizeof(a)),
		       ntohs(peer.sin_port));
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		perror("kp-uring-connect: read");
		return 1;
	}
	buf[n] = '\0';
	printf("reply=%s\n", buf);
	return 0;
}
