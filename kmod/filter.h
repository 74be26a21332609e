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
#include "counters.h"
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
 * Whether a packet met on @in_ifindex (0: sent by the node) is @fn's flow's.
 * Only a workload's interface says who sent a packet: every other place
 * (uplinks, whichever ECMP or policy routing picked, lo, the node itself)
 * counts as one, so asymmetric paths outside the pods keep their flows.
 */
bool kp_filter_iif_ok(struct kp_node *node, const struct kp_flow_node *fn, int in_ifindex);

/* A packet of @len bytes through the rules a cached verdict names. */
static __always_inline void kp_verdict_count(struct kp_rule_stats __percpu *const *stats,
					     unsigned int len)
{
	unsigned int i;

	for (i = 0; i < KP_VERDICT_STEPS; i++) {
		struct kp_rule_stats __percpu *s = READ_ONCE(stats[i]);

		if (s)
			kp_counters_add(s, len);
	}
}

#endif /* KPLANE_FILTER_H */
