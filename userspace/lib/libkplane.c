// SPDX-License-Identifier: LGPL-2.1
/*
 * libkplane.  All kernel I/O goes through kp_msg(), kp_exchange() and the
 * callbacks kp_exchange() installs; every public call is "build a message,
 * exchange it, parse replies".
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include "libkplane.h"
#include "libkplane_int.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* How often a dump that raced a change is retried for a snapshot. */
#define KP_DUMP_RETRIES 8

struct kpl_handle {
	struct nl_sock *sk;
	int family;
	unsigned int dump_restarts;
	uint32_t txn;			/* open transaction, 0: none */
	uint32_t txn_policy_changes;	/* policy requests it staged */
	bool refused_has_index;		/* the last refusal named a staged change: */
	uint32_t refused_index;		/* this one (NLMSGERR_ATTR_COOKIE) */
	struct nl_msg **batch;		/* queued changes, not sent yet */
	size_t n_batch, batch_cap;
	uint32_t batch_seq;		/* our own: libnl counts acks it reads */
	/* The batch since the last flush, sent a window at a time: */
	size_t batch_sent;		/* changes sent already */
	uint32_t batch_seq0;		/* the first one's sequence number */
	int batch_first;		/* the first refusal, 0: none */
	size_t batch_failed;		/* the refused change's index */
	char batch_why[512];		/* and its extack (other requests clear error[]) */
	char error[512];
};


/* State of one request/response exchange. */
struct kp_exchange {
	struct kpl_handle *h;
	kp_parse_fn parse;
	void *arg;
	int done;		/* 1 once ACK, DONE or an error arrived */
	int err;		/* -errno from the kernel or a parser */
	bool interrupted;	/* a dump part carried NLM_F_DUMP_INTR */
};

int kp_fail(struct kpl_handle *h, int err, const char *msg)
{
	snprintf(h->error, sizeof(h->error), "%s", msg);
	return err;
}

/* libnl's own errors, as the closest errno. */
static int kp_nlerr(struct kpl_handle *h, int nlerr)
{
	static const struct { int nle, err; } map[] = {
		{ NLE_NOMEM, ENOMEM }, { NLE_PERM, EPERM }, { NLE_INVAL, EINVAL },
		{ NLE_OBJ_NOTFOUND, ENOENT }, { NLE_MSGSIZE, EMSGSIZE },
		{ NLE_AGAIN, EAGAIN }, { NLE_INTR, EINTR }, { NLE_BUSY, EBUSY },
	};
	size_t i;
	int e = abs(nlerr);

	snprintf(h->error, sizeof(h->error), "netlink: %s", nl_geterror(nlerr));
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == e)
			return -map[i].err;
	return -EIO;
}

const char *kpl_error(const struct kpl_handle *h)
{
	return h->error;
}

int kpl_open(struct kpl_handle **out)
{
	struct kpl_handle *h = calloc(1, sizeof(*h));
	int one = 1, err;

	if (!h)
		return -ENOMEM;
	h->sk = nl_socket_alloc();
	if (!h->sk) {
		free(h);
		return -ENOMEM;
	}
	err = genl_connect(h->sk);
	if (err < 0)
		goto err_nl;
	/* Ask for the kernel's error text, and not an echo of our request. */
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Services with many backends make large messages: size reads to fit. */
	nl_socket_enable_msg_peek(h->sk);
	/*
	 * libnl's 32 KiB buffers hold neither a batch nor its acks: ask for
	 * more (the kernel caps this at net.core.[rw]mem_max).
	 */
	nl_socket_set_buffer_size(h->sk, 1 << 20, 1 << 20);
	h->family = genl_ctrl_resolve(h->sk, KPLANE_GENL_NAME);
	if (h->family < 0) {
		err = h->family;
		goto err_nl;
	}
	*out = h;
	return 0;

err_nl:
	err = kp_nlerr(h, err);
	nl_socket_free(h->sk);
	free(h);
	return err;
}

static void kp_batch_clear(struct kpl_handle *h)
{
	size_t i;

	for (i = 0; i < h->n_batch; i++)
		nlmsg_free(h->batch[i]);
	h->n_batch = 0;
}

void kpl_close(struct kpl_handle *h)
{
	if (!h)
		return;
	kp_batch_clear(h);
	free(h->batch);
	nl_socket_free(h->sk);
	free(h);
}

struct nl_msg *kp_msg_sized(struct kpl_handle *h, uint8_t cmd, int flags, size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0,
				flags, cmd, KPLANE_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

struct nl_msg *kp_msg(struct kpl_handle *h, uint8_t cmd, int flags)
{
	return kp_msg_sized(h, cmd, flags, 0);
}

int kp_put_txn(struct kpl_handle *h, struct nl_msg *msg)
{
	return h->txn ? nla_put_u32(msg, KPLANE_A_TXN_ID, h->txn) : 0;
}

int kp_send_change(struct kpl_handle *h, struct nl_msg *msg, struct nlattr *nest, bool bad)
{
	int err;

	if (!bad && nest && nla_nest_end(msg, nest) < 0) {
		/* An attribute's length is 16 bits: libnl cancels the nest. */
		nlmsg_free(msg);
		return kp_fail(h, -EMSGSIZE, "request too large for one netlink attribute (64 KiB)");
	}
	if (!bad && nest)
		bad = kp_put_txn(h, msg);
	if (bad || !nest) {
		nlmsg_free(msg);
		return kp_fail(h, -ENOMEM, "out of memory");
	}
	err = kp_exchange(h, msg, NULL, NULL);
	if (!err && h->txn)
		h->txn_policy_changes++;
	return err;
}

/*
 * Copies NLMSGERR_ATTR_MSG out of an error, ack or NLMSG_DONE whose payload
 * starts with @off bytes before the TLVs, if the kernel sent one.
 */
static void kp_take_extack(struct kpl_handle *h, struct nlmsghdr *nlh, size_t off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0 ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + off), len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(h->error, sizeof(h->error), "%s",
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_COOKIE] && nla_len(tb[NLMSGERR_ATTR_COOKIE]) == sizeof(uint32_t)) {
		h->refused_index = nla_get_u32(tb[NLMSGERR_ATTR_COOKIE]);
		h->refused_has_index = true;
	}
}

/* The extack of an NLMSG_ERROR: its TLVs follow the (maybe capped) request. */
static void kp_take_error_extack(struct kpl_handle *h, struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	kp_take_extack(h, nlh, off);
}

static int kp_cb_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct kp_exchange *x = arg;

	(void)nla;
	x->err = e->error;
	kp_take_error_extack(x->h, (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN));
	x->done = 1;
	return NL_STOP;
}

static int kp_cb_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct kp_exchange *x = arg;
	int err;

	/* A dump that fails ends with NLMSG_DONE carrying -errno and extack. */
	if (nlh->nlmsg_type == NLMSG_DONE && nlmsg_datalen(nlh) >= (int)sizeof(err)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0) {
			x->err = err;
			kp_take_extack(x->h, nlh, sizeof(err));
		}
	}
	x->done = 1;
	return NL_STOP;
}

static int kp_cb_dump_intr(struct nl_msg *msg, void *arg)
{
	struct kp_exchange *x = arg;

	(void)msg;
	x->interrupted = true;
	return NL_OK;
}

static int kp_cb_valid(struct nl_msg *msg, void *arg)
{
	struct kp_exchange *x = arg;
	struct nlattr *tb[KPLANE_A_MAX + 1];
	int err;

	if (!x->parse || x->err)
		return NL_SKIP;
	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, KPLANE_A_MAX, NULL);
	if (!err)
		err = x->parse(tb, x->arg);
	if (err) {
		x->err = err < 0 ? err : -EPROTO;
		kp_fail(x->h, x->err, "malformed reply from the kernel");
	}
	return NL_OK;
}

/*
 * Sends @msg (consumed) and reads until its ack, its dump's end or an error,
 * handing each reply's top-level attributes to @parse.  Returns 0, -errno
 * (kernel's or parser's) or -EAGAIN when a dump was interrupted by a change.
 */
int kp_exchange(struct kpl_handle *h, struct nl_msg *msg, kp_parse_fn parse, void *arg)
{
	struct kp_exchange x = { .h = h, .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int err;

	h->error[0] = '\0';
	h->refused_has_index = false;
	if (!msg)
		return kp_fail(h, -ENOMEM, "out of memory");
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return kp_fail(h, -ENOMEM, "out of memory");
	}
	nl_cb_err(cb, NL_CB_CUSTOM, kp_cb_error, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, kp_cb_finish, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, kp_cb_finish, &x);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, kp_cb_dump_intr, &x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, kp_cb_valid, &x);
	err = nl_send_auto(h->sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !x.done)
		err = nl_recvmsgs(h->sk, cb);
	nl_cb_put(cb);
	if (err < 0 && !x.err)
		return kp_nlerr(h, err);
	if (!x.err && x.interrupted)
		return kp_fail(h, -EAGAIN, "dump interrupted by a concurrent change");
	if (x.err && !h->error[0])
		snprintf(h->error, sizeof(h->error), "%s", strerror(-x.err));
	return x.err;
}

int kpl_node_enable(struct kpl_handle *h)
{
	return kp_exchange(h, kp_msg(h, KPLANE_CMD_NODE_ENABLE, 0), NULL, NULL);
}

int kpl_node_disable(struct kpl_handle *h)
{
	return kp_exchange(h, kp_msg(h, KPLANE_CMD_NODE_DISABLE, 0), NULL, NULL);
}

uint64_t kp_get_u64_or0(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

uint32_t kp_get_u32_or0(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

/* Where each NODE_GET value lands in struct kpl_status: its attribute and field. */
struct kp_status_field {
	uint16_t attr;
	size_t off, size;
};

#define KP_ST(attr, field) \
	{ attr, offsetof(struct kpl_status, field), sizeof(((struct kpl_status *)0)->field) }

static const struct kp_status_field kp_status_node[] = {
	KP_ST(KPLANE_A_GENERATION, generation),
	KP_ST(KPLANE_A_ENDPOINT_COUNT, endpoint_count),
	KP_ST(KPLANE_A_ENDPOINT_LIMIT, endpoint_limit),
	KP_ST(KPLANE_A_SERVICE_COUNT, service_count),
	KP_ST(KPLANE_A_SERVICE_LIMIT, service_limit),
	KP_ST(KPLANE_A_FLOW_COUNT, flow_count),
	KP_ST(KPLANE_A_FLOW_LIMIT, flow_limit),
	KP_ST(KPLANE_A_POLICY_REVISION, policy_revision),
};

static const struct kp_status_field kp_status_counters[] = {
	KP_ST(KPLANE_COUNTER_A_RX_PACKETS, rx_packets),
	KP_ST(KPLANE_COUNTER_A_RX_BYTES, rx_bytes),
	KP_ST(KPLANE_COUNTER_A_EP_TABLE_FULL, ep_table_full),
	KP_ST(KPLANE_COUNTER_A_EP_REAPED, ep_reaped),
	KP_ST(KPLANE_COUNTER_A_SVC_TABLE_FULL, svc_table_full),
	KP_ST(KPLANE_COUNTER_A_CONNECT_LB, connect_lb),
	KP_ST(KPLANE_COUNTER_A_CONNECT_REFUSED, connect_refused),
	KP_ST(KPLANE_COUNTER_A_FLOW_CREATED, flow_created),
	KP_ST(KPLANE_COUNTER_A_FLOW_TABLE_FULL, flow_table_full),
	KP_ST(KPLANE_COUNTER_A_FLOW_EXPIRED, flow_expired),
	KP_ST(KPLANE_COUNTER_A_FLOW_TORN_DOWN, flow_torn_down),
	KP_ST(KPLANE_COUNTER_A_NAT_PACKETS, nat_packets),
	KP_ST(KPLANE_COUNTER_A_NAT_REFUSED, nat_refused),
	KP_ST(KPLANE_COUNTER_A_SNAT_EXHAUSTED, snat_exhausted),
	KP_ST(KPLANE_COUNTER_A_POLICY_CHECKED, policy_checked),
	KP_ST(KPLANE_COUNTER_A_POLICY_BYPASSED, policy_bypassed),
	KP_ST(KPLANE_COUNTER_A_POLICY_DENIED, policy_denied),
	KP_ST(KPLANE_COUNTER_A_POLICY_FAILSAFE, policy_failsafe),
	KP_ST(KPLANE_COUNTER_A_FAST_FORWARDED, fast_forwarded),
	KP_ST(KPLANE_COUNTER_A_POLICY_RELATED, policy_related),
	KP_ST(KPLANE_COUNTER_A_SPOOFED, spoofed),
	KP_ST(KPLANE_COUNTER_A_LB_SOCKET_FULL, lb_socket_full),
	KP_ST(KPLANE_COUNTER_A_PROBE_MISSED, probe_missed),
};

/* Fills @st from @tb by @f[0..n-1]; an absent value stays 0. */
static void kp_status_fill(struct kpl_status *st, struct nlattr **tb,
			   const struct kp_status_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *dst = (char *)st + f[i].off;

		if (!tb[f[i].attr])
			continue;
		if (f[i].size == sizeof(uint64_t))
			*(uint64_t *)dst = nla_get_u64(tb[f[i].attr]);
		else
			*(uint32_t *)dst = nla_get_u32(tb[f[i].attr]);
	}
}

static int kp_parse_status(struct nlattr **tb, void *arg)
{
	struct kpl_status *st = arg;
	struct nlattr *c[KPLANE_COUNTER_A_MAX + 1] = { 0 };

	if (!tb[KPLANE_A_VERSION] || !tb[KPLANE_A_NODE_ENABLED])
		return -EPROTO;
	if (tb[KPLANE_A_COUNTERS] &&
	    nla_parse_nested(c, KPLANE_COUNTER_A_MAX, tb[KPLANE_A_COUNTERS], NULL))
		return -EPROTO;
	st->version = nla_get_u32(tb[KPLANE_A_VERSION]);
	st->enabled = nla_get_u8(tb[KPLANE_A_NODE_ENABLED]);
	kp_status_fill(st, tb, kp_status_node, sizeof(kp_status_node) / sizeof(kp_status_node[0]));
	kp_status_fill(st, c, kp_status_counters,
		       sizeof(kp_status_counters) / sizeof(kp_status_counters[0]));
	return kp_parse_settings(tb[KPLANE_A_SETTINGS], &st->settings);
}

int kpl_node_status(struct kpl_handle *h, struct kpl_status *st)
{
	memset(st, 0, sizeof(*st));
	return kp_exchange(h, kp_msg(h, KPLANE_CMD_NODE_GET, 0), kp_parse_status, st);
}

int kpl_put_ip(struct nl_msg *msg, int type, const struct kpl_ip *ip)
{
	struct nlattr *nest = nla_nest_start(msg, type);
	size_t len = ip->family == AF_INET6 ? 16 : 4;

	if (!nest || nla_put_u16(msg, KPLANE_ADDR_A_FAMILY, ip->family) ||
	    nla_put(msg, KPLANE_ADDR_A_IP, (int)len, ip->ip))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* One direction's tiers: consecutive entries of one tier form it. */
static int kp_put_attach(struct nl_msg *msg, int type, const struct kpl_endpoint *ep,
			 uint8_t dir)
{
	struct nlattr *prog = NULL, *tier = NULL;
	const char *last = NULL;
	unsigned int i;

	for (i = 0; i < ep->n_attach; i++) {
		const struct kpl_ep_attach *a = &ep->attach[i];

		if (a->dir != dir)
			continue;
		if (!prog && !(prog = nla_nest_start(msg, type)))
			return -EMSGSIZE;
		if (!last || strcmp(last, a->tier)) {
			if (tier)
				nla_nest_end(msg, tier);
			tier = nla_nest_start(msg, KPLANE_PROG_A_TIER);
			if (!tier || nla_put_string(msg, KPLANE_TIER_A_NAME, a->tier))
				return -EMSGSIZE;
			last = a->tier;
		}
		if (a->policy[0] && nla_put_string(msg, KPLANE_TIER_A_POLICY, a->policy))
			return -EMSGSIZE;
	}
	if (tier)
		nla_nest_end(msg, tier);
	/* An empty nest clears the direction. */
	if (!prog && !(prog = nla_nest_start(msg, type)))
		return -EMSGSIZE;
	nla_nest_end(msg, prog);
	return 0;
}

static int kp_put_attachments(struct nl_msg *msg, const struct kpl_endpoint *ep)
{
	if (!ep->has_policy)
		return 0;
	return kp_put_attach(msg, KPLANE_EP_A_INGRESS, ep, KPLANE_DIR_INGRESS) ||
	       kp_put_attach(msg, KPLANE_EP_A_EGRESS, ep, KPLANE_DIR_EGRESS) ? -EMSGSIZE : 0;
}

/* An endpoint's attributes (@full: everything, else only the id), in a nest the caller opened. */
static int kp_put_endpoint_attrs(struct nl_msg *msg, const struct kpl_endpoint *ep, bool full)
{
	unsigned int i;

	if (nla_put_string(msg, KPLANE_EP_A_ID, ep->id))
		return -EMSGSIZE;
	if (full) {
		if (nla_put_string(msg, KPLANE_EP_A_IFNAME, ep->ifname))
			return -EMSGSIZE;
		if (ep->netns_fd >= 0 &&
		    nla_put_u32(msg, KPLANE_EP_A_NETNS_FD, (uint32_t)ep->netns_fd))
			return -EMSGSIZE;
		for (i = 0; i < ep->n_addrs && i < KPLANE_EP_ADDR_MAX; i++)
			if (kpl_put_ip(msg, KPLANE_EP_A_ADDR, &ep->addrs[i]))
				return -EMSGSIZE;
		if ((ep->host && nla_put_u8(msg, KPLANE_EP_A_HOST, 1)) ||
		    kp_put_attachments(msg, ep))
			return -EMSGSIZE;
	}
	return 0;
}

/* Adds KPLANE_A_ENDPOINT. */
static int kpl_put_endpoint(struct nl_msg *msg, const struct kpl_endpoint *ep, bool full)
{
	struct nlattr *nest = nla_nest_start(msg, KPLANE_A_ENDPOINT);

	if (!nest || kp_put_endpoint_attrs(msg, ep, full))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static struct nl_msg *kp_endpoint_msg(struct kpl_handle *h, uint8_t cmd,
				      const struct kpl_endpoint *ep, bool full)
{
	struct nl_msg *msg = kp_msg(h, cmd, 0);

	if (msg && kpl_put_endpoint(msg, ep, full)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* The key of endpoint @id (an error if it cannot be one). */
static int kp_ep_key(struct kpl_handle *h, const char *id, struct kpl_endpoint *key)
{
	memset(key, 0, sizeof(*key));
	key->netns_fd = -1;
	if (strlen(id) >= sizeof(key->id))
		return kp_fail(h, -EINVAL, "id is too long");
	strcpy(key->id, id);
	return 0;
}

static int kp_id_request(struct kpl_handle *h, uint8_t cmd, const char *id,
			 kp_parse_fn parse, void *arg)
{
	struct kpl_endpoint key;

	return kp_ep_key(h, id, &key) ?:
	       kp_exchange(h, kp_endpoint_msg(h, cmd, &key, false), parse, arg);
}

/* An endpoint add or delete, staged in the open transaction if there is one. */
static int kp_endpoint_change(struct kpl_handle *h, uint8_t cmd, const struct kpl_endpoint *ep,
			      bool full)
{
	struct nl_msg *msg = kp_msg(h, cmd, 0);
	struct nlattr *nest = msg ? nla_nest_start(msg, KPLANE_A_ENDPOINT) : NULL;

	return kp_send_change(h, msg, nest, !nest || kp_put_endpoint_attrs(msg, ep, full));
}

int kpl_endpoint_add(struct kpl_handle *h, const struct kpl_endpoint *ep)
{
	return kp_endpoint_change(h, KPLANE_CMD_ENDPOINT_ADD, ep, true);
}

int kpl_endpoint_policy(struct kpl_handle *h, const struct kpl_endpoint *ep)
{
	struct nl_msg *msg = kp_msg(h, KPLANE_CMD_ENDPOINT_POLICY, 0);
	struct nlattr *nest = msg ? nla_nest_start(msg, KPLANE_A_ENDPOINT) : NULL;
	struct kpl_endpoint only = *ep;

	only.has_policy = true;
	return kp_send_change(h, msg, nest, !nest || nla_put_string(msg, KPLANE_EP_A_ID, ep->id) ||
					    kp_put_attachments(msg, &only));
}

int kpl_endpoint_del(struct kpl_handle *h, const char *id)
{
	struct kpl_endpoint key;

	return kp_ep_key(h, id, &key) ?:
	       kp_endpoint_change(h, KPLANE_CMD_ENDPOINT_DEL, &key, false);
}

int kp_parse_ip(struct nlattr *nest, struct kpl_ip *ip)
{
	struct nlattr *tb[KPLANE_ADDR_A_MAX + 1];
	int len;

	if (nla_parse_nested(tb, KPLANE_ADDR_A_MAX, nest, NULL) ||
	    !tb[KPLANE_ADDR_A_FAMILY] || !tb[KPLANE_ADDR_A_IP])
		return -EPROTO;
	ip->family = nla_get_u16(tb[KPLANE_ADDR_A_FAMILY]);
	len = nla_len(tb[KPLANE_ADDR_A_IP]);
	if (len != (ip->family == AF_INET6 ? 16 : 4))
		return -EPROTO;
	memset(ip->ip, 0, sizeof(ip->ip));
	memcpy(ip->ip, nla_data(tb[KPLANE_ADDR_A_IP]), (size_t)len);
	return 0;
}

static int kp_parse_tier(struct nlattr *nest, uint8_t dir, struct kpl_endpoint *ep)
{
	struct nlattr *tb[KPLANE_TIER_A_MAX + 1], *p;
	unsigned int before = ep->n_attach;
	int rem, err;

	if (nla_parse_nested(tb, KPLANE_TIER_A_MAX, nest, NULL) || !tb[KPLANE_TIER_A_NAME])
		return -EPROTO;
	nla_for_each_nested(p, nest, rem) {
		if (nla_type(p) != KPLANE_TIER_A_POLICY)
			continue;
		err = kpl_endpoint_attach(ep, dir, nla_get_string(tb[KPLANE_TIER_A_NAME]),
					 nla_get_string(p), strlen(nla_get_string(p)));
		if (err)
			return err;
	}
	if (ep->n_attach == before)
		return kpl_endpoint_attach(ep, dir, nla_get_string(tb[KPLANE_TIER_A_NAME]), "", 0);
	return 0;
}

static int kp_parse_attach(struct nlattr *prog, uint8_t dir, struct kpl_endpoint *ep)
{
	struct nlattr *t;
	int rem, err;

	if (!prog)
		return 0;
	nla_for_each_nested(t, prog, rem) {
		if (nla_type(t) != KPLANE_PROG_A_TIER)
			continue;
		err = kp_parse_tier(t, dir, ep);
		if (err)
			return err;
	}
	return 0;
}

static int kp_parse_endpoint(struct nlattr **top, struct kpl_endpoint *ep)
{
	struct nlattr *tb[KPLANE_EP_A_MAX + 1], *a;
	int rem;

	memset(ep, 0, sizeof(*ep));
	ep->netns_fd = -1;
	if (!top[KPLANE_A_ENDPOINT] ||
	    nla_parse_nested(tb, KPLANE_EP_A_MAX, top[KPLANE_A_ENDPOINT], NULL) ||
	    !tb[KPLANE_EP_A_ID] || !tb[KPLANE_EP_A_IFNAME])
		return -EPROTO;
	snprintf(ep->id, sizeof(ep->id), "%s", nla_get_string(tb[KPLANE_EP_A_ID]));
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", nla_get_string(tb[KPLANE_EP_A_IFNAME]));
	ep->ifindex = kp_get_u32_or0(tb[KPLANE_EP_A_IFINDEX]);
	if (tb[KPLANE_EP_A_NETNSID]) {
		ep->has_netnsid = true;
		ep->netnsid = (int32_t)nla_get_u32(tb[KPLANE_EP_A_NETNSID]);
	}
	nla_for_each_nested(a, top[KPLANE_A_ENDPOINT], rem) {
		if (nla_type(a) != KPLANE_EP_A_ADDR)
			continue;
		if (ep->n_addrs == KPLANE_EP_ADDR_MAX ||
		    kp_parse_ip(a, &ep->addrs[ep->n_addrs]))
			return -EPROTO;
		ep->n_addrs++;
	}
	ep->host = tb[KPLANE_EP_A_HOST] && nla_get_u8(tb[KPLANE_EP_A_HOST]);
	return kp_parse_attach(tb[KPLANE_EP_A_INGRESS], KPLANE_DIR_INGRESS, ep) ?:
	       kp_parse_attach(tb[KPLANE_EP_A_EGRESS], KPLANE_DIR_EGRESS, ep);
}

void kpl_endpoint_release(struct kpl_endpoint *ep)
{
	free(ep->attach);
	ep->attach = NULL;
	ep->n_attach = 0;
}

static void kp_endpoint_release_item(void *item)
{
	kpl_endpoint_release(item);
}

void kpl_endpoints_free(struct kpl_endpoint *eps, size_t n)
{
	kp_items_release(eps, n, sizeof(*eps), kp_endpoint_release_item);
	free(eps);
}

static int kp_parse_one_endpoint(struct nlattr **tb, void *arg)
{
	return kp_parse_endpoint(tb, arg);
}

int kpl_endpoint_get(struct kpl_handle *h, const char *id, struct kpl_endpoint *out)
{
	return kp_id_request(h, KPLANE_CMD_ENDPOINT_GET, id, kp_parse_one_endpoint, out);
}

void kp_items_release(void *items, size_t n, size_t size, void (*release)(void *item))
{
	size_t i;

	for (i = 0; items && release && i < n; i++)
		release((char *)items + i * size);
}

static void kp_array_clear(struct kp_array *a)
{
	kp_items_release(a->items, a->n, a->size, a->release);
	a->n = 0;
}

void *kp_array_push(struct kp_array *a)
{
	void *item;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		void *items = realloc(a->items, cap * a->size);

		if (!items)
			return NULL;
		a->items = items;
		a->cap = cap;
	}
	item = (char *)a->items + a->n * a->size;
	memset(item, 0, a->size);
	a->n++;
	return item;
}

void *kp_array_continued(struct kp_array *a, uint32_t first, size_t name_off,
			 const char *name)
{
	char *last = a->n ? (char *)a->items + (a->n - 1) * a->size : NULL;

	return last && first && !strcmp(last + name_off, name) ? last : NULL;
}

static int kp_parse_array_item(struct nlattr **tb, void *arg)
{
	struct kp_array *a = arg;
	void *item = kp_array_push(a);

	return item ? a->parse(tb, item) : -ENOMEM;
}

/*
 * Dumps @cmd into @a, retried for a snapshot while the kernel flags a change;
 * if changes keep coming the last, complete listing stands (libkplane.h).
 */
int kp_dump_array(struct kpl_handle *h, uint8_t cmd, struct kp_array *a)
{
	int tries, err = -EAGAIN;

	for (tries = 0; tries < KP_DUMP_RETRIES && err == -EAGAIN; tries++) {
		if (tries)
			h->dump_restarts++;
		kp_array_clear(a);
		err = kp_exchange(h, kp_msg(h, cmd, NLM_F_DUMP),
				  a->parse_reply ?: kp_parse_array_item, a);
	}
	if (err == -EAGAIN)
		err = 0;
	if (err) {
		kp_array_clear(a);
		free(a->items);
		a->items = NULL;
	}
	return err;
}

int kpl_endpoint_list(struct kpl_handle *h, struct kpl_endpoint **out, size_t *n)
{
	struct kp_array a = { .size = sizeof(**out), .parse = kp_parse_one_endpoint,
			      .release = kp_endpoint_release_item };
	int err = kp_dump_array(h, KPLANE_CMD_ENDPOINT_GET, &a);

	if (!err) {
		*out = a.items;
		*n = a.n;
	}
	return err;
}

unsigned int kpl_dump_restarts(const struct kpl_handle *h)
{
	return h->dump_restarts;
}

static int kp_put_svc_key(struct nl_msg *msg, const struct kpl_service *svc)
{
	return kpl_put_ip(msg, KPLANE_SVC_A_ADDR, &svc->addr) ||
	       nla_put_u16(msg, KPLANE_SVC_A_PORT, svc->port) ||
	       nla_put_u8(msg, KPLANE_SVC_A_PROTO, svc->proto) ? -EMSGSIZE : 0;
}

static int kpl_put_backend(struct nl_msg *msg, const struct kpl_backend *be)
{
	struct nlattr *nest = nla_nest_start(msg, KPLANE_SVC_A_BACKEND);

	if (!nest || kpl_put_ip(msg, KPLANE_BE_A_ADDR, &be->addr) ||
	    nla_put_u16(msg, KPLANE_BE_A_PORT, be->port) ||
	    nla_put_u32(msg, KPLANE_BE_A_WEIGHT, be->weight) ||
	    nla_put_u8(msg, KPLANE_BE_A_STATE, be->state) ||
	    (be->local && nla_put_u8(msg, KPLANE_BE_A_LOCAL, 1)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Adds KPLANE_A_SERVICE; with @full, everything, else only the frontend. */
static int kpl_put_service(struct nl_msg *msg, const struct kpl_service *svc, bool full)
{
	struct nlattr *nest = nla_nest_start(msg, KPLANE_A_SERVICE);
	unsigned int i;

	if (!nest || kp_put_svc_key(msg, svc))
		return -EMSGSIZE;
	if (full) {
		if ((svc->id[0] && nla_put_string(msg, KPLANE_SVC_A_ID, svc->id)) ||
		    nla_put_u8(msg, KPLANE_SVC_A_TYPE, svc->type) ||
		    (svc->maglev_size &&
		     nla_put_u32(msg, KPLANE_SVC_A_MAGLEV_SIZE, svc->maglev_size)) ||
		    nla_put_u8(msg, KPLANE_SVC_A_EXT_POLICY, svc->ext_policy) ||
		    nla_put_u8(msg, KPLANE_SVC_A_INT_POLICY, svc->int_policy) ||
		    (svc->affinity_timeout &&
		     nla_put_u32(msg, KPLANE_SVC_A_AFFINITY_TIMEOUT, svc->affinity_timeout)))
			return -EMSGSIZE;
		for (i = 0; i < svc->n_backends; i++)
			if (kpl_put_backend(msg, &svc->backends[i]))
				return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static struct nl_msg *kp_service_msg(struct kpl_handle *h, uint8_t cmd,
				     const struct kpl_service *svc, bool full)
{
	/* A service with every backend outgrows libnl's default message. */
	struct nl_msg *msg = kp_msg_sized(h, cmd, 0, 1024 + (full ? svc->n_backends * 80 : 0));

	if (msg && (kpl_put_service(msg, svc, full) ||
		    (h->txn && nla_put_u32(msg, KPLANE_A_TXN_ID, h->txn)))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int kpl_service_set(struct kpl_handle *h, const struct kpl_service *svc)
{
	return kp_exchange(h, kp_service_msg(h, KPLANE_CMD_SERVICE_SET, svc, true), NULL, NULL);
}

int kpl_service_del(struct kpl_handle *h, const struct kpl_service *key)
{
	return kp_exchange(h, kp_service_msg(h, KPLANE_CMD_SERVICE_DEL, key, false), NULL, NULL);
}

static int kp_parse_backend(struct nlattr *nest, struct kpl_backend *be)
{
	struct nlattr *tb[KPLANE_BE_A_MAX + 1];

	if (nla_parse_nested(tb, KPLANE_BE_A_MAX, nest, NULL) || !tb[KPLANE_BE_A_ADDR] ||
	    !tb[KPLANE_BE_A_PORT] || kp_parse_ip(tb[KPLANE_BE_A_ADDR], &be->addr))
		return -EPROTO;
	be->port = nla_get_u16(tb[KPLANE_BE_A_PORT]);
	be->weight = kp_get_u32_or0(tb[KPLANE_BE_A_WEIGHT]);
	be->state = tb[KPLANE_BE_A_STATE] ? nla_get_u8(tb[KPLANE_BE_A_STATE]) : 0;
	be->local = tb[KPLANE_BE_A_LOCAL] && nla_get_u8(tb[KPLANE_BE_A_LOCAL]);
	return 0;
}

static int kp_parse_service_backends(struct nlattr *nest, struct kpl_service *svc)
{
	struct nlattr *a;
	unsigned int n = 0;
	int rem;

	nla_for_each_nested(a, nest, rem)
		n += nla_type(a) == KPLANE_SVC_A_BACKEND;
	svc->backends = calloc(n ? n : 1, sizeof(*svc->backends));
	if (!svc->backends)
		return -ENOMEM;
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != KPLANE_SVC_A_BACKEND)
			continue;
		if (kp_parse_backend(a, &svc->backends[svc->n_backends]))
			return -EPROTO;
		svc->n_backends++;
	}
	return 0;
}

static int kp_parse_service(struct nlattr **top, void *arg)
{
	struct nlattr *tb[KPLANE_SVC_A_MAX + 1];
	struct kpl_service *svc = arg;

	memset(svc, 0, sizeof(*svc));
	if (!top[KPLANE_A_SERVICE] ||
	    nla_parse_nested(tb, KPLANE_SVC_A_MAX, top[KPLANE_A_SERVICE], NULL) ||
	    !tb[KPLANE_SVC_A_ADDR] || !tb[KPLANE_SVC_A_PORT] || !tb[KPLANE_SVC_A_PROTO] ||
	    kp_parse_ip(tb[KPLANE_SVC_A_ADDR], &svc->addr))
		return -EPROTO;
	if (tb[KPLANE_SVC_A_ID])
		snprintf(svc->id, sizeof(svc->id), "%s", nla_get_string(tb[KPLANE_SVC_A_ID]));
	svc->port = nla_get_u16(tb[KPLANE_SVC_A_PORT]);
	svc->proto = nla_get_u8(tb[KPLANE_SVC_A_PROTO]);
	svc->type = tb[KPLANE_SVC_A_TYPE] ? nla_get_u8(tb[KPLANE_SVC_A_TYPE]) : 0;
	svc->maglev_size = kp_get_u32_or0(tb[KPLANE_SVC_A_MAGLEV_SIZE]);
	svc->ext_policy = tb[KPLANE_SVC_A_EXT_POLICY] ? nla_get_u8(tb[KPLANE_SVC_A_EXT_POLICY]) : 0;
	svc->int_policy = tb[KPLANE_SVC_A_INT_POLICY] ? nla_get_u8(tb[KPLANE_SVC_A_INT_POLICY]) : 0;
	svc->affinity_timeout = kp_get_u32_or0(tb[KPLANE_SVC_A_AFFINITY_TIMEOUT]);
	return kp_parse_service_backends(top[KPLANE_A_SERVICE], svc);
}

static void kp_service_release(void *item)
{
	struct kpl_service *svc = item;

	free(svc->backends);
	svc->backends = NULL;
}

int kpl_service_get(struct kpl_handle *h, const struct kpl_service *key, struct kpl_service *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = kp_exchange(h, kp_service_msg(h, KPLANE_CMD_SERVICE_GET, key, false),
			  kp_parse_service, out);
	if (err)
		kp_service_release(out);
	return err;
}

int kpl_service_list(struct kpl_handle *h, struct kpl_service **out, size_t *n)
{
	struct kp_array a = { .size = sizeof(**out), .parse = kp_parse_service,
			      .release = kp_service_release };
	int err = kp_dump_array(h, KPLANE_CMD_SERVICE_GET, &a);

	if (!err) {
		*out = a.items;
		*n = a.n;
	}
	return err;
}

void kpl_services_free(struct kpl_service *svcs, size_t n)
{
	kp_items_release(svcs, n, sizeof(*svcs), kp_service_release);
	free(svcs);
}

static int kp_parse_txn_id(struct nlattr **tb, void *arg)
{
	if (!tb[KPLANE_A_TXN_ID])
		return -EPROTO;
	*(uint32_t *)arg = nla_get_u32(tb[KPLANE_A_TXN_ID]);
	return 0;
}

int kpl_txn_begin(struct kpl_handle *h)
{
	uint32_t id = 0;
	int err = kp_exchange(h, kp_msg(h, KPLANE_CMD_TXN_BEGIN, 0), kp_parse_txn_id, &id);

	if (!err) {
		h->txn = id;
		h->txn_policy_changes = 0;
	}
	return err;
}

/* Commit or abort; the handle has no transaction afterwards either way. */
static int kp_txn_end(struct kpl_handle *h, uint8_t cmd)
{
	struct nl_msg *msg = kp_msg(h, cmd, 0);

	if (msg && nla_put_u32(msg, KPLANE_A_TXN_ID, h->txn)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	h->txn = 0;
	return kp_exchange(h, msg, NULL, NULL);
}

int kpl_txn_commit(struct kpl_handle *h)
{
	return kp_txn_end(h, KPLANE_CMD_TXN_COMMIT);
}

int kpl_txn_abort(struct kpl_handle *h)
{
	return kp_txn_end(h, KPLANE_CMD_TXN_ABORT);
}

bool kp_txn_open(const struct kpl_handle *h)
{
	return h->txn != 0;
}

uint32_t kpl_txn_policy_changes(const struct kpl_handle *h)
{
	return h->txn_policy_changes;
}

bool kpl_refused_change(const struct kpl_handle *h, uint32_t *index)
{
	*index = h->refused_index;
	return h->refused_has_index;
}

void kp_txn_abort_after(struct kpl_handle *h)
{
	char why[sizeof(h->error)];

	if (!h->txn)
		return;
	memcpy(why, h->error, sizeof(why));
	kpl_txn_abort(h);
	memcpy(h->error, why, sizeof(why));
}

static bool kp_grow_batch(struct kpl_handle *h)
{
	size_t cap = h->batch_cap ? h->batch_cap * 2 : 256;
	struct nl_msg **b = realloc(h->batch, cap * sizeof(*b));

	if (!b)
		return false;
	h->batch = b;
	h->batch_cap = cap;
	return true;
}

/*
 * Changes queued but not sent: a full window is sent at once, so a batch
 * of 100k changes holds one window of messages, not 100k.
 */
#define KP_BATCH_WINDOW 1024

static int kp_batch_send(struct kpl_handle *h);

static void kp_batch_reset(struct kpl_handle *h)
{
	kp_batch_clear(h);
	h->batch_sent = 0;
	h->batch_first = 0;
}

static int kp_batch_add(struct kpl_handle *h, struct nl_msg *msg)
{
	int err;

	if (!h->n_batch && !h->batch_sent)
		h->batch_why[0] = '\0';	/* a new batch: its first refusal explains it */
	if (!msg)
		err = kp_fail(h, -ENOMEM, "out of memory");
	else if (h->n_batch < h->batch_cap || kp_grow_batch(h))
		err = 0;
	else
		err = kp_fail(h, -ENOMEM, "out of memory");
	if (err) {
		nlmsg_free(msg);
		kp_batch_reset(h);
		return err;
	}
	h->batch[h->n_batch++] = msg;
	if (h->n_batch < KP_BATCH_WINDOW)
		return 0;
	err = kp_batch_send(h);
	if (err)
		kp_batch_reset(h);
	return err;
}

int kpl_batch_service_set(struct kpl_handle *h, const struct kpl_service *svc)
{
	return kp_batch_add(h, kp_service_msg(h, KPLANE_CMD_SERVICE_SET, svc, true));
}

int kpl_batch_service_del(struct kpl_handle *h, const struct kpl_service *key)
{
	return kp_batch_add(h, kp_service_msg(h, KPLANE_CMD_SERVICE_DEL, key, false));
}

/*
 * Requests per sendmsg, by bytes and by count: the kernel handles them one
 * by one while we are in sendmsg, and each ack must fit in our receive
 * buffer meanwhile (see kpl_open).
 */
#define KP_BATCH_BYTES (64 * 1024)
#define KP_BATCH_MSGS 128

/*
 * Reads answers until the ack of @last (the one request of a send that asks
 * for one) arrived: requests are handled in order, so every refusal of the
 * send came before it.  Notes the first refusal and its index.
 */
static int kp_batch_acks(struct kpl_handle *h, uint32_t seq0, uint32_t last, size_t *failed,
			 int *first)
{
	struct sockaddr_nl nla;
	unsigned char *buf;
	struct nlmsghdr *nlh;
	bool done = false;
	int n;

	while (!done) {
		n = nl_recv(h->sk, &nla, &buf, NULL);
		if (n <= 0)
			return kp_nlerr(h, n ? n : -NLE_MSG_TRUNC);
		for (nlh = (void *)buf; nlmsg_ok(nlh, n); nlh = nlmsg_next(nlh, &n)) {
			struct nlmsgerr *e = nlmsg_data(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR || done)
				continue;
			done = nlh->nlmsg_seq == last;
			if (e->error && !*first) {
				*first = e->error;
				*failed = (nlh->nlmsg_seq - seq0) & 0x7fffffffu;
				h->error[0] = '\0';
				kp_take_error_extack(h, nlh);
				memcpy(h->batch_why, h->error, sizeof(h->batch_why));
			}
		}
		free(buf);
	}
	return 0;
}

/*
 * Packs requests [*next, ...) into @buf up to KP_BATCH_BYTES; returns the
 * bytes.  Only the last asks for an ack (refusals are answered anyway): one
 * answer per send, not one per request, is most of what batching saves.
 */
static size_t kp_batch_pack(struct kpl_handle *h, char *buf, size_t *next)
{
	size_t used = 0, first = *next;
	struct nlmsghdr *last = NULL;

	while (*next < h->n_batch) {
		struct nl_msg *msg = h->batch[*next];
		struct nlmsghdr *nlh = nlmsg_hdr(msg);
		size_t len = NLMSG_ALIGN(nlh->nlmsg_len);

		if (used && (used + len > KP_BATCH_BYTES || *next - first >= KP_BATCH_MSGS))
			break;
		/* Sequence numbers apart from libnl's, which tracks only what
		 * it reads itself; these acks are read here.
		 */
		nlh->nlmsg_pid = nl_socket_get_local_port(h->sk);
		nlh->nlmsg_seq = 0x80000000u | (h->batch_seq++ & 0x7fffffffu);
		nlh->nlmsg_flags = (nlh->nlmsg_flags & ~NLM_F_ACK) | NLM_F_REQUEST;
		last = (struct nlmsghdr *)(buf + used);
		memcpy(last, nlh, nlh->nlmsg_len);
		memset(buf + used + nlh->nlmsg_len, 0, len - nlh->nlmsg_len);
		used += len;
		(*next)++;
	}
	if (last)
		last->nlmsg_flags |= NLM_F_ACK;
	return used;
}

/* Sends what is queued; refusals are noted (the first), transport errors returned. */
static int kp_batch_send(struct kpl_handle *h)
{
	size_t next = 0, sent_from, cap = KP_BATCH_BYTES;
	char *buf = NULL;
	int err = 0;

	while (!err && next < h->n_batch) {
		size_t len = NLMSG_ALIGN(nlmsg_hdr(h->batch[next])->nlmsg_len), used;

		/* A request larger than a batch goes alone, in a buffer of its size. */
		if (!buf || len > cap) {
			char *b = realloc(buf, len > cap ? len : cap);

			if (!b) {
				err = kp_fail(h, -ENOMEM, "out of memory");
				break;
			}
			buf = b;
			cap = len > cap ? len : cap;
		}
		sent_from = next;
		used = kp_batch_pack(h, buf, &next);
		if (!sent_from && !h->batch_sent)
			h->batch_seq0 = nlmsg_hdr(h->batch[0])->nlmsg_seq;
		err = nl_sendto(h->sk, buf, used);
		err = err < 0 ? kp_nlerr(h, err) :
			kp_batch_acks(h, h->batch_seq0, nlmsg_hdr(h->batch[next - 1])->nlmsg_seq,
				      &h->batch_failed, &h->batch_first);
	}
	free(buf);
	h->batch_sent += h->n_batch;
	kp_batch_clear(h);
	return err;
}

int kpl_batch_flush(struct kpl_handle *h, size_t *failed)
{
	int err = kp_batch_send(h);

	*failed = SIZE_MAX;	/* none refused (a transport error names none) */
	if (!err && h->batch_first) {
		err = h->batch_first;
		*failed = h->batch_failed;
		snprintf(h->error, sizeof(h->error), "%s",
			 h->batch_why[0] ? h->batch_why : strerror(-err));
	}
	kp_batch_reset(h);
	return err;
}

int kpl_request_raw(struct kpl_handle *h, uint8_t cmd, const void *attrs, size_t len)
{
	struct nl_msg *msg = kp_msg(h, cmd, 0);

	if (msg && len && nlmsg_append(msg, (void *)attrs, len, 0)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return kp_exchange(h, msg, NULL, NULL);
}
