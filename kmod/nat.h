/* SPDX-License-Identifier: GPL-2.0 */
/* The service packet path (external traffic), called from the node's hooks. */
#ifndef KPLANE_NAT_H
#define KPLANE_NAT_H

#include <linux/skbuff.h>

struct kp_node;

struct kp_pkt;

/*
 * Both return a netfilter verdict; @pf is NFPROTO_IPV4 or NFPROTO_IPV6.
 * kp_nat_prerouting takes the hook's parse of @skb and leaves in it the
 * addresses and ports it wrote, for policy after it.
 */
unsigned int kp_nat_prerouting(struct kp_node *node, struct sk_buff *skb, struct kp_pkt *p);
/*
 * ICMP errors about a translated flow are translated too, as conntrack's
 * NAT does: the quoted packet is shown as the error's receiver sent it, and
 * (at PRE_ROUTING) the error goes to that receiver.
 */
unsigned int kp_nat_postrouting(struct kp_node *node, struct sk_buff *skb, u8 pf);

#endif /* KPLANE_NAT_H */
