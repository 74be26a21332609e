/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netlink request policies and the parsers that turn validated attributes into
 * plain structs.  Kept apart from the handlers so KUnit can feed them
 * hand-built messages.
 */
#ifndef KPLANE_ATTRS_H
#define KPLANE_ATTRS_H

#include <linux/if.h>
#include <net/netlink.h>
#include <uapi/linux/kplane.h>
#include "validate.h"

struct kp_service;
struct kp_svc_key;
struct kp_attach;

#define KP_REPLY_ONLY { .type = NLA_REJECT, \
			.reject_message = "attribute is only sent by the kernel" }

/* Top-level attributes only the kernel sends (node status). */
#define KP_NODE_STATUS_REPLY_ONLY					\
	[KPLANE_A_VERSION]		= KP_REPLY_ONLY,		\
	[KPLANE_A_NODE_ENABLED]		= KP_REPLY_ONLY,		\
	[KPLANE_A_GENERATION]		= KP_REPLY_ONLY,		\
	[KPLANE_A_ENDPOINT_COUNT]	= KP_REPLY_ONLY,		\
	[KPLANE_A_ENDPOINT_LIMIT]	= KP_REPLY_ONLY,		\
	[KPLANE_A_COUNTERS]		= KP_REPLY_ONLY,		\
	[KPLANE_A_SERVICE_COUNT]	= KP_REPLY_ONLY,		\
	[KPLANE_A_SERVICE_LIMIT]	= KP_REPLY_ONLY,		\
	[KPLANE_A_FLOW_COUNT]		= KP_REPLY_ONLY,		\
	[KPLANE_A_FLOW_LIMIT]		= KP_REPLY_ONLY,		\
	[KPLANE_A_POLICY_REVISION]	= KP_REPLY_ONLY

extern const struct nla_policy kp_node_req_nla_policy[KPLANE_A_MAX + 1];
extern const struct nla_policy kp_node_set_nla_policy[KPLANE_A_MAX + 1];
extern const struct nla_policy kp_ep_req_nla_policy[KPLANE_A_MAX + 1];
extern const struct nla_policy kp_ep_nla_policy[KPLANE_EP_A_MAX + 1];
extern const struct nla_policy kp_addr_nla_policy[KPLANE_ADDR_A_MAX + 1];
extern const struct nla_policy kp_svc_req_nla_policy[KPLANE_A_MAX + 1];
extern const struct nla_policy kp_txn_req_nla_policy[KPLANE_A_MAX + 1];

struct kp_ep_cfg {
	char id[KPLANE_ID_MAX];
	char ifname[IFNAMSIZ];
	bool host;
	bool has_policy;		/* INGRESS or EGRESS given */
	u32 n_attach;
	struct kp_attach *attach;	/* kvfree() it */
	bool has_netns_fd;
	u32 netns_fd;
	unsigned int n_addrs;
	struct kp_addr addrs[KPLANE_EP_ADDR_MAX];
};

/* Which attributes a request about an endpoint may carry. */
enum kp_ep_parse_mode {
	KP_EP_PARSE_KEY,	/* del, get: the id alone */
	KP_EP_PARSE_FULL,	/* add: everything */
	KP_EP_PARSE_POLICY,	/* policy: the id, INGRESS and EGRESS */
};

/* Reports a missing attribute the way NL_REQ_ATTR_CHECK does, plus a message. */
bool kp_attr_missing(struct netlink_ext_ack *extack, const struct nlattr *nest,
		     struct nlattr **tb, int type, const char *msg);
/* Sets the extack message and offending attribute; @msg must be static. */
void kp_set_err(struct netlink_ext_ack *extack, const struct nlattr *attr,
		const char *msg);

/* @any_ok: the unspecified address is accepted (a NodePort frontend). */
int kp_addr_parse(const struct nlattr *nest, struct kp_addr *addr, bool any_ok,
		  struct netlink_ext_ack *extack);
int kp_ep_parse(const struct nlattr *nest, enum kp_ep_parse_mode mode,
		struct kp_ep_cfg *cfg, struct netlink_ext_ack *extack);
/* The frontend of a KPLANE_A_SERVICE nest (for del and get). */
int kp_svc_parse_key(const struct nlattr *nest, struct kp_svc_key *key,
		     struct netlink_ext_ack *extack);
/* A whole service, allocated (kp_svc_free() it), not yet built. */
int kp_svc_parse(const struct nlattr *nest, struct kp_service **out,
		 struct netlink_ext_ack *extack);

#endif /* KPLANE_ATTRS_H */
