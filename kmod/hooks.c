// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks of an enabled node.  For now they only account what the
 * node receives; the datapath (flow table, policy, service NAT) attaches here.
 * Every path that does not own a packet returns NF_ACCEPT.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include "hooks.h"
#include "node.h"

static unsigned int kp_hook_prerouting(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct kp_node *node = kp_node_get(state->net);
	struct kp_node_stats *stats = this_cpu_ptr(node->stats);

	u64_stats_update_begin(&stats->syncp);
	stats->rx_packets++;
	stats->rx_bytes += skb->len;
	u64_stats_update_end(&stats->syncp);
	return NF_ACCEPT;
}

/* Before conntrack (-200) and raw (-300): the fast path must see packets first. */
#define KP_HOOK_PRIORITY (NF_IP_PRI_RAW - 10)

static const struct nf_hook_ops kp_hook_ops[] = {
	{
		.hook = kp_hook_prerouting,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = KP_HOOK_PRIORITY,
	},
	{
		.hook = kp_hook_prerouting,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = KP_HOOK_PRIORITY,
	},
};

int kp_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, kp_hook_ops, ARRAY_SIZE(kp_hook_ops));
}

void kp_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, kp_hook_ops, ARRAY_SIZE(kp_hook_ops));
	/* Unregistering does not wait for packets already inside a hook; the
	 * node's stats must outlive them.
	 */
	synchronize_net();
}
