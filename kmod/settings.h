/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A node's own settings (KPLANE_CMD_NODE_SET), over the host's: the module
 * parameters are every node's defaults and caps.  Set under the node's lock;
 * the datapath reads each with READ_ONCE (the failsafe lists under RCU),
 * so a packet sees the old value or the new one.
 */
#ifndef KPLANE_SETTINGS_H
#define KPLANE_SETTINGS_H

#include <linux/rcupdate.h>
#include <linux/types.h>
#include <net/genetlink.h>
#include "validate.h"

struct kp_node;

enum { KP_FAILSAFE_IN, KP_FAILSAFE_OUT };

struct kp_failsafe {
	unsigned int n;
	struct kp_proto_port pp[KP_FAILSAFE_MAX];
	struct rcu_head rcu;
};

struct kp_settings {
	u32 max_endpoints, max_services, max_flows;	/* 0: the host's */
	u8 policy_reject, bypass_conntrack, fast_forward;	/* enum kplane_setting */
	struct kp_failsafe __rcu *failsafe[2];		/* NULL: the host's */
};

/* A NODE_SET request, parsed and checked whole (settings_nl.c). */
struct kp_settings_cfg {
	unsigned int given;		/* KP_SET_*: which fields of @v it sets */
	struct kp_settings v;		/* the values; not its failsafe lists */
	struct kp_failsafe *fs[2];	/* given and NULL: back to the host's */
};

enum {
	KP_SET_MAX_ENDPOINTS	= BIT(0),
	KP_SET_MAX_SERVICES	= BIT(1),
	KP_SET_MAX_FLOWS	= BIT(2),
	KP_SET_POLICY_REJECT	= BIT(3),
	KP_SET_BYPASS_CONNTRACK	= BIT(4),
	KP_SET_FAST_FORWARD	= BIT(5),
};
#define KP_SET_FAILSAFE(which)	BIT(6 + (which))

int kp_settings_init(void);
/* Caller holds the node's lock; takes @cfg's lists. */
void kp_settings_apply(struct kp_node *node, struct kp_settings_cfg *cfg);
/* Wire side (settings_nl.c): a NODE_SET nest into @cfg, and back. */
int kp_settings_parse(const struct nlattr *nest, struct kp_settings_cfg *cfg,
		      struct netlink_ext_ack *extack);
void kp_settings_cfg_free(struct kp_settings_cfg *cfg);
int kp_settings_fill(struct sk_buff *skb, const struct kp_node *node);
int kp_failsafe_print(char *buf, size_t size, const struct kp_failsafe *fs);
/* Back to the host's (NODE_DISABLE); lists freed after a grace period. */
void kp_settings_reset(struct kp_node *node);

/* A node's own limit, at most the host's (which may have been lowered since). */
static inline u32 kp_limit(u32 own, const unsigned int *host)
{
	u32 cap = READ_ONCE(*host);

	return own && own < cap ? own : cap;
}

/* What is in force for @node (any context). */
u32 kp_node_max_endpoints(const struct kp_node *node);
u32 kp_node_max_services(const struct kp_node *node);
u32 kp_node_max_flows(const struct kp_node *node);
bool kp_node_policy_reject(const struct kp_node *node);
bool kp_node_bypass_conntrack(const struct kp_node *node);
bool kp_node_fast_forward(const struct kp_node *node);
/* Under RCU (the datapath's hooks). */
bool kp_node_failsafe_has(const struct kp_node *node, unsigned int which, u8 proto, u16 port);

extern const struct nla_policy kp_settings_nla_policy[KPLANE_SET_A_MAX + 1];

#endif /* KPLANE_SETTINGS_H */
