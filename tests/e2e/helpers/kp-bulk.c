// SPDX-License-Identifier: GPL-2.0
/*
 * kp-bulk: many endpoints through one libkplane socket.
 *   kp-bulk add N            add ep-0..ep-N-1 on dummy interfaces d0..dN-1
 *   kp-bulk check N          list; exactly ep-0..ep-N-1, each once
 *   kp-bulk churn N M LISTS  while a child adds and deletes c-0..c-M-1 (on
 *                            dN..dN+M-1), list LISTS times: each list must
 *                            hold every ep-i exactly once
 *   kp-bulk services N       set N services 10.96.X.Y:80/tcp (i-th: 10.96.0.0
 *                            + i), each with backends 10.244.1.2:8080 and
 *                            10.244.1.3:8080; prints the time taken
 * Exit 0 on success, 1 on a failed check or a refused request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libkplane.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int refused(struct kpl_handle *h, const char *what, int err)
{
	fprintf(stderr, "kp-bulk: %s: %s: %s\n", what, strerror(-err), kpl_error(h));
	return 1;
}

static void make_ep(struct kpl_endpoint *ep, const char *prefix, int i, int ifidx)
{
	memset(ep, 0, sizeof(*ep));
	ep->netns_fd = -1;
	snprintf(ep->id, sizeof(ep->id), "%s-%d", prefix, i);
	snprintf(ep->ifname, sizeof(ep->ifname), "d%d", ifidx);
	ep->n_addrs = 1;
	ep->addrs[0].family = AF_INET;
	ep->addrs[0].ip[0] = 10;
	ep->addrs[0].ip[1] = (uint8_t)(ifidx >> 16);
	ep->addrs[0].ip[2] = (uint8_t)(ifidx >> 8);
	ep->addrs[0].ip[3] = (uint8_t)ifidx;
}

static int cmd_add(struct kpl_handle *h, int n)
{
	struct kpl_endpoint ep;
	double t0 = now_ms();
	int i, err;

	for (i = 0; i < n; i++) {
		make_ep(&ep, "ep", i, i);
		err = kpl_endpoint_add(h, &ep);
		if (err)
			return refused(h, ep.id, err);
	}
	printf("kp-bulk: added %d endpoints in %.0f ms\n", n, now_ms() - t0);
	return 0;
}

/* Every ep-i (i < n) exactly once; c-* tolerated; anything else is wrong. */
static int check_list(const struct kpl_endpoint *eps, size_t count, int n, bool churn)
{
	unsigned char *seen = calloc((size_t)n, 1);
	int i, bad = 0;
	size_t k;

	for (k = 0; k < count && !bad; k++) {
		if (churn && !strncmp(eps[k].id, "c-", 2))
			continue;
		if (sscanf(eps[k].id, "ep-%d", &i) != 1 || i < 0 || i >= n || seen[i]++) {
			fprintf(stderr, "kp-bulk: unexpected or repeated id %s\n", eps[k].id);
			bad = 1;
		}
	}
	for (i = 0; i < n && !bad; i++) {
		if (!seen[i]) {
			fprintf(stderr, "kp-bulk: ep-%d missing from the list\n", i);
			bad = 1;
		}
	}
	free(seen);
	return bad;
}

static int cmd_check(struct kpl_handle *h, int n)
{
	struct kpl_endpoint *eps;
	double t0 = now_ms();
	size_t count;
	int err, bad;

	err = kpl_endpoint_list(h, &eps, &count);
	if (err)
		return refused(h, "list", err);
	printf("kp-bulk: listed %zu endpoints in %.0f ms\n", count, now_ms() - t0);
	bad = check_list(eps, count, n, false) || count != (size_t)n;
	kpl_endpoints_free(eps, count);
	return bad;
}

static void churn_forever(int n, int m)
{
	struct kpl_handle *h;
	struct kpl_endpoint ep;
	int i;

	if (kpl_open(&h))
		_exit(1);
	for (;;) {
		for (i = 0; i < m; i++) {
			make_ep(&ep, "c", i, n + i);
			kpl_endpoint_add(h, &ep);
		}
		for (i = 0; i < m; i++) {
			snprintf(ep.id, sizeof(ep.id), "c-%d", i);
			kpl_endpoint_del(h, ep.id);
		}
	}
}

static int cmd_churn(struct kpl_handle *h, int n, int m, int lists)
{
	struct kpl_endpoint *eps;
	size_t count;
	int i, err, bad = 0, status;
	pid_t child = fork();

	if (child < 0)
		return 1;
	if (!child)
		churn_forever(n, m);
	for (i = 0; i < lists && !bad; i++) {
		err = kpl_endpoint_list(h, &eps, &count);
		if (err) {
			bad = refused(h, "list under churn", err);
			break;
		}
		bad = check_list(eps, count, n, true);
		kpl_endpoints_free(eps, count);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	printf("kp-bulk: %d consistent lists of %d stable endpoints under churn, "
	       "%u dumps restarted on NLM_F_DUMP_INTR\n", i, n, kpl_dump_restarts(h));
	/* A churn that was never flagged would mean the check proved nothing. */
	if (!bad && !kpl_dump_restarts(h)) {
		fprintf(stderr, "kp-bulk: no dump was flagged as interrupted\n");
		bad = 1;
	}
	return bad;
}

static void ipv4(struct kpl_ip *ip, uint32_t host_order)
{
	uint32_t be = htonl(host_order);

	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET;
	memcpy(ip->ip, &be, 4);
}

static void bulk_service(struct kpl_service *svc, struct kpl_backend *be, int i)
{
	memset(svc, 0, sizeof(*svc));
	memset(be, 0, 2 * sizeof(*be));
	svc->port = 80;
	svc->proto = IPPROTO_TCP;
	svc->n_backends = 2;
	svc->backends = be;
	ipv4(&svc->addr, 0x0a600000 + (uint32_t)i + 1);	/* 10.96.0.0 + i + 1 */
	ipv4(&be[0].addr, 0x0af40102);			/* 10.244.1.2 */
	ipv4(&be[1].addr, 0x0af40103);
	be[0].port = be[1].port = 8080;
	be[0].weight = be[1].weight = 1;
}

/* The same N services as "services", in one transaction of batched sends. */
static int cmd_services_batch(struct kpl_handle *h, int n, bool commit)
{
	struct kpl_backend be[2];
	struct kpl_service svc;
	double t0 = now_ms(), t_sent;
	size_t failed;
	int i, err;

	err = kpl_txn_begin(h);
	if (err)
		return refused(h, "txn begin", err);
	for (i = 0; i < n && !err; i++) {
		bulk_service(&svc, be, i);
		err = kpl_batch_service_set(h, &svc);
	}
	if (!err)
		err = kpl_batch_flush(h, &failed);
	if (err)
		return refused(h, "batch", err);
	if (!commit)
		return 0;	/* exit with the transaction open: closing aborts it */
	t_sent = now_ms();
	err = kpl_txn_commit(h);
	if (err)
		return refused(h, "txn commit", err);
	printf("kp-bulk: set %d services in one transaction in %.0f ms (staged in %.0f, committed in %.0f)\n",
	       n, now_ms() - t0, t_sent - t0, now_ms() - t_sent);
	return 0;
}

static int cmd_services(struct kpl_handle *h, int n)
{
	struct kpl_backend be[2] = {
		{ .port = 8080, .weight = 1 }, { .port = 8080, .weight = 1 },
	};
	struct kpl_service svc = { .port = 80, .proto = IPPROTO_TCP, .n_backends = 2,
				  .backends = be };
	double t0 = now_ms();
	int i, err;

	ipv4(&be[0].addr, 0x0af40102);		/* 10.244.1.2 */
	ipv4(&be[1].addr, 0x0af40103);
	for (i = 0; i < n; i++) {
		ipv4(&svc.addr, 0x0a600000 + (uint32_t)i + 1);	/* 10.96.0.0 + i + 1 */
		err = kpl_service_set(h, &svc);
		if (err)
			return refused(h, "service set", err);
	}
	printf("kp-bulk: set %d services in %.0f ms\n", n, now_ms() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	struct kpl_handle *h;
	int err, rc = 2;

	if (argc < 3) {
		fprintf(stderr, "usage: kp-bulk add N | check N | churn N M LISTS | services N |\n"
			"       services-batch N | txn-leak N | commit-without-begin 0\n");
		return 2;
	}
	err = kpl_open(&h);
	if (err) {
		fprintf(stderr, "kp-bulk: open: %s\n", strerror(-err));
		return 1;
	}
	if (!strcmp(argv[1], "add"))
		rc = cmd_add(h, atoi(argv[2]));
	else if (!strcmp(argv[1], "services"))
		rc = cmd_services(h, atoi(argv[2]));
	else if (!strcmp(argv[1], "services-batch"))
		rc = cmd_services_batch(h, atoi(argv[2]), true);
	else if (!strcmp(argv[1], "txn-leak"))
		rc = cmd_services_batch(h, atoi(argv[2]), false);
	else if (!strcmp(argv[1], "commit-without-begin"))
		rc = kpl_txn_commit(h) ? refused(h, "txn commit", -ENOENT) : 0;
	else if (!strcmp(argv[1], "check"))
		rc = cmd_check(h, atoi(argv[2]));
	else if (!strcmp(argv[1], "churn") && argc == 5)
		rc = cmd_churn(h, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	kpl_close(h);
	return rc;
}
