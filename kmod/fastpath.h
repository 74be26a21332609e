/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fast path: packets of an approved flow whose route is known are sent
 * from the first hook that meets them (the endpoint interface's ingress, or
 * PRE_ROUTING), as nf_flow_table does; anything else goes on to the stack.
 */
#ifndef KPLANE_FASTPATH_H
#define KPLANE_FASTPATH_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include "flow.h"

struct kp_node;
struct kp_pkt;

/*
 * At the end of FORWARD, for packets the stack routed and every filter
 * passed: remembers the route of an approved flow's direction, so the
 * flow's later packets can be sent from the first hook.
 */
unsigned int kp_fast_forward(struct kp_node *node, struct sk_buff *skb, u8 pf);

/*
 * The hook at an endpoint interface's ingress (@priv: the node, which lives
 * as long as its netns): sends a packet of an approved flow on by its known
 * route (NF_STOLEN), or leaves it to PRE_ROUTING.  A hook itself, not
 * called from one: a call and its return less per packet.
 */
unsigned int kp_fast_ingress(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);

/*
 * Sends @skb, of a flow whose verdict @v is current and approving, in
 * direction @dir by the route remembered for it.  False, untouched, when
 * the stack had better do it.
 */
bool kp_fast_xmit(struct kp_node *node, struct sk_buff *skb, const struct kp_pkt *p,
		  struct kp_flow_verdict *v, unsigned int dir);

#endif /* KPLANE_FASTPATH_H */
