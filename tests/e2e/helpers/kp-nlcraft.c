// SPDX-License-Identifier: GPL-2.0
/*
 * kp-nlcraft CASE: send an ENDPOINT_ADD that kplanectl would never build and
 * print the refusal the way kplanectl does ("kp-nlcraft: ERRNO: MESSAGE").
 * Exit 1 when refused, 0 when (wrongly) accepted, 2 on usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include "libkplane.h"

struct buf {
	unsigned char data[4096];
	size_t len;
};

static struct nlattr *put(struct buf *b, int type, const void *val, size_t len)
{
	struct nlattr *a = (struct nlattr *)(b->data + b->len);

	a->nla_type = (unsigned short)type;
	a->nla_len = (unsigned short)(NLA_HDRLEN + len);
	if (len)
		memcpy((char *)a + NLA_HDRLEN, val, len);
	b->len += NLA_ALIGN(a->nla_len);
	return a;
}

static struct nlattr *nest(struct buf *b, int type)
{
	return put(b, type | NLA_F_NESTED, NULL, 0);
}

static void end(struct buf *b, struct nlattr *n)
{
	n->nla_len = (unsigned short)(b->data + b->len - (unsigned char *)n);
}

static void put_str(struct buf *b, int type, const char *s)
{
	put(b, type, s, strlen(s) + 1);
}

/* Builds CASE into @b; returns the command to send or -1 for an unknown case. */
static int build(const char *c, struct buf *b)
{
	struct nlattr *ep, *addr;
	unsigned char ip4[4] = { 10, 0, 0, 9 };
	unsigned short fam;
	unsigned char u8 = 1;
	unsigned int u32 = 1;
	char big[200];

	if (!strcmp(c, "missing-endpoint"))
		return KPLANE_CMD_ENDPOINT_ADD;
	if (!strcmp(c, "reply-only-top")) {
		put(b, KPLANE_A_VERSION, &u32, 4);
		return KPLANE_CMD_NODE_ENABLE;
	}
	if (!strcmp(c, "unknown-top")) {
		put(b, KPLANE_A_MAX + 5, &u32, 4);
		return KPLANE_CMD_NODE_GET;
	}
	ep = nest(b, KPLANE_A_ENDPOINT);
	if (!strcmp(c, "missing-id")) {
		put_str(b, KPLANE_EP_A_IFNAME, "lo");
	} else if (!strcmp(c, "wrong-type")) {
		put_str(b, KPLANE_EP_A_ID, "x");
		put_str(b, KPLANE_EP_A_IFNAME, "lo");
		put(b, KPLANE_EP_A_NETNS_FD, &u8, 1);
	} else if (!strcmp(c, "oversize-id")) {
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		put_str(b, KPLANE_EP_A_ID, big);
		put_str(b, KPLANE_EP_A_IFNAME, "lo");
	} else if (!strcmp(c, "unknown-nested")) {
		put_str(b, KPLANE_EP_A_ID, "x");
		put_str(b, KPLANE_EP_A_IFNAME, "lo");
		put(b, KPLANE_EP_A_MAX + 3, &u32, 4);
	} else if (!strcmp(c, "bad-family")) {
		put_str(b, KPLANE_EP_A_ID, "x");
		put_str(b, KPLANE_EP_A_IFNAME, "lo");
		addr = nest(b, KPLANE_EP_A_ADDR);
		fam = 7;
		put(b, KPLANE_ADDR_A_FAMILY, &fam, 2);
		put(b, KPLANE_ADDR_A_IP, ip4, 4);
		end(b, addr);
	} else if (!strcmp(c, "short-ip")) {
		put_str(b, KPLANE_EP_A_ID, "x");
		put_str(b, KPLANE_EP_A_IFNAME, "lo");
		addr = nest(b, KPLANE_EP_A_ADDR);
		fam = AF_INET;
		put(b, KPLANE_ADDR_A_FAMILY, &fam, 2);
		put(b, KPLANE_ADDR_A_IP, ip4, 3);
		end(b, addr);
	} else if (!strcmp(c, "no-nested-flag")) {
		b->len = 0;
		put(b, KPLANE_A_ENDPOINT, NULL, 0);
	} else {
		return -1;
	}
	end(b, ep);
	return KPLANE_CMD_ENDPOINT_ADD;
}

int main(int argc, char **argv)
{
	struct kpl_handle *h;
	struct buf b = { .len = 0 };
	int cmd, err;

	if (argc != 2 || (cmd = build(argv[1], &b)) < 0) {
		fprintf(stderr, "usage: kp-nlcraft missing-endpoint|missing-id|wrong-type|"
				"oversize-id|unknown-nested|bad-family|short-ip|"
				"no-nested-flag|reply-only-top|unknown-top\n");
		return 2;
	}
	err = kpl_open(&h);
	if (err) {
		fprintf(stderr, "kp-nlcraft: open: %s\n", strerror(-err));
		return 3;
	}
	err = kpl_request_raw(h, (uint8_t)cmd, b.data, b.len);
	if (err)
		fprintf(stderr, "kp-nlcraft: %s: %s\n", strerror(-err), kpl_error(h));
	kpl_close(h);
	return err ? 1 : 0;
}
