/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy in the datapath: the first packet of a flow to or from an endpoint
 * is evaluated (kp_filter_decide), the verdict cached in the flow table, and
 * the flow's later packets skip policy and nf_conntrack until the node's
 * policy revision moves on.
 */
#ifndef KPLANE_FILTER_H
#define KPLANE_FILTER_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include "flow.h"
#include "match.h"

struct kp_node;
struct kp_endpoint;
struct kp_pkt;

/* Where a packet met the node: what a verdict depends on besides the packet. */
struct kp_filter_at {
	int in_ifindex;		/* arrival interface (PRE_ROUTING); 0: sent by the node */
	int out_ifindex;	/* the device a node-sent packet leaves by */
	/* The source as the packet arrived (before NAT rewrote an ICMP error's). */
	const u8 *saddr;
};

/* One endpoint policy evaluated for a packet. */
struct kp_filter_step {
	const struct kp_endpoint *ep;
	u8 dir;			/* enum kplane_dir */
	bool forwarded;		/* a host endpoint's, for traffic it forwards */
	struct kp_verdict v;
	const char *tier;	/* the deciding tier's name, or NULL */
};

struct kp_decision {
	u8 action;		/* KPLANE_ACTION_ALLOW or _DENY */
	bool failsafe;		/* host endpoint policy skipped: a failsafe port */
	u8 view;		/* of the configuration, read once (node.h) */
	unsigned int n_steps;	/* 0: no endpoint involved, not ours */
	/* From one endpoint, through a host endpoint it leaves by, to another. */
	struct kp_filter_step steps[KP_VERDICT_STEPS];
};

/* Under RCU: evaluates @pkt met at @at.  Also what `kplanectl trace` runs. */
void kp_filter_decide(struct kp_node *node, const struct kp_filter_at *at,
		      const struct kp_match_pkt *pkt, bool log, struct kp_decision *d);
/* A netfilter verdict for @skb, parsed in @p, at PRE_ROUTING or LOCAL_OUT (@hook). */
unsigned int kp_filter_packet(struct kp_node *node, struct sk_buff *skb, struct kp_pkt *p,
			      const struct kp_filter_at *at, unsigned int hook);

/*
 * At the end of FORWARD, for packets the stack routed and every filter
 * passed: remembers the route of an approved flow's direction, so the
 * flow's later packets can be sent from the first hook.
 */
unsigned int kp_filter_forward(struct kp_node *node, struct sk_buff *skb, u8 pf);

/*
 * The hook at an endpoint interface's ingress (@priv: the node, which lives
 * as long as its netns): sends a packet of an approved flow on by its known
 * route (NF_STOLEN), or leaves it to PRE_ROUTING.  A hook itself, not
 * called from one: a call and its return less per packet.
 */
unsigned int kp_filter_ingress(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state);


#endif /* KPLANE_FILTER_H */
