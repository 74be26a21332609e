// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks of an enabled node: accounting, the service packet path
 * (nat.c), then policy (filter.c) on packets as NAT left them.  Every path
 * that does not own a packet returns NF_ACCEPT.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include "filter.h"
#include "hooks.h"
#include "nat.h"
#include "node.h"
#include "packet.h"

/* Anything for the hooks to do: services, their flows, or endpoints. */
static bool kp_node_busy(struct kp_node *node)
{
	return READ_ONCE(node->svcs.count) || atomic_read(&node->flows.nat_count) ||
	       READ_ONCE(node->eps.count);
}

static unsigned int kp_hook_prerouting(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct kp_node *node = kp_node_get(state->net);
	struct kp_node_stats *stats = this_cpu_ptr(node->stats);
	struct kp_filter_at at = {};
	unsigned int verdict;
	struct kp_pkt p;

	u64_stats_update_begin(&stats->syncp);
	stats->rx_packets++;
	stats->rx_bytes += skb->len;
	u64_stats_update_end(&stats->syncp);
	/* One parse for both: NAT leaves in @p what it rewrote. */
	if (!kp_node_busy(node) || !kp_pkt_parse(skb, state->pf, KP_STAGE_PRE, &p))
		return NF_ACCEPT;
	verdict = kp_nat_prerouting(node, skb, &p);
	if (verdict != NF_ACCEPT)
		return verdict;
	at.in_ifindex = state->in->ifindex;
	return kp_filter_packet(node, skb, &p, &at, NF_INET_PRE_ROUTING);
}

/* Sent by the node: the route, hence the leaving device, is already chosen. */
static unsigned int kp_hook_local_out(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct kp_node *node = kp_node_get(state->net);
	struct kp_filter_at at = {};
	struct kp_pkt p;

	if (!READ_ONCE(node->eps.count) || !kp_pkt_parse(skb, state->pf, KP_STAGE_POLICY, &p))
		return NF_ACCEPT;
	if (skb_dst(skb))
		at.out_ifindex = skb_dst(skb)->dev->ifindex;
	return kp_filter_packet(node, skb, &p, &at, NF_INET_LOCAL_OUT);
}

static unsigned int kp_hook_postrouting(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	return kp_nat_postrouting(kp_node_get(state->net), skb, state->pf);
}

static unsigned int kp_hook_forward(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	return kp_filter_forward(kp_node_get(state->net), skb, state->pf);
}

/* Before conntrack (-200) and raw (-300): the fast path must see packets first. */
#define KP_HOOK_PRIORITY (NF_IP_PRI_RAW - 10)
/* Source NAT after every filter and nf_nat's own (our packets are untracked). */
#define KP_HOOK_POST_PRIORITY (NF_IP_PRI_NAT_SRC + 10)

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
	{
		/* Last: only what every FORWARD rule let through is remembered. */
		.hook = kp_hook_forward,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_FORWARD,
		.priority = NF_IP_PRI_LAST,
	},
	{
		.hook = kp_hook_forward,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_FORWARD,
		.priority = NF_IP6_PRI_LAST,
	},
	{
		.hook = kp_hook_local_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = KP_HOOK_PRIORITY,
	},
	{
		.hook = kp_hook_local_out,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = KP_HOOK_PRIORITY,
	},
	{
		.hook = kp_hook_postrouting,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = KP_HOOK_POST_PRIORITY,
	},
	{
		.hook = kp_hook_postrouting,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = KP_HOOK_POST_PRIORITY,
	},
};

/*
 * Whole datagrams at our PRE_ROUTING and LOCAL_OUT hooks: the kernel's
 * defragmentation (-400) runs before them in this netns, as it does for
 * conntrack's users.  Only a first fragment has ports: without it, the rest
 * of a NodePort's datagram would go untranslated and a port rule could not
 * judge them.  The stack fragments again on the way out.
 */
static int kp_defrag_enable(struct net *net)
{
	int err = 0;

#if IS_ENABLED(CONFIG_NF_DEFRAG_IPV4)
	err = nf_defrag_ipv4_enable(net);
	if (err)
		return err;
#endif
#if IS_ENABLED(CONFIG_NF_DEFRAG_IPV6)
	err = nf_defrag_ipv6_enable(net);
#if IS_ENABLED(CONFIG_NF_DEFRAG_IPV4)
	if (err)
		nf_defrag_ipv4_disable(net);
#endif
#endif
	return err;
}

static void kp_defrag_disable(struct net *net)
{
#if IS_ENABLED(CONFIG_NF_DEFRAG_IPV6)
	nf_defrag_ipv6_disable(net);
#endif
#if IS_ENABLED(CONFIG_NF_DEFRAG_IPV4)
	nf_defrag_ipv4_disable(net);
#endif
}

int kp_hooks_register(struct net *net)
{
	int err = kp_defrag_enable(net);

	if (err)
		return err;
	err = nf_register_net_hooks(net, kp_hook_ops, ARRAY_SIZE(kp_hook_ops));
	if (err)
		kp_defrag_disable(net);
	return err;
}

void kp_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, kp_hook_ops, ARRAY_SIZE(kp_hook_ops));
	kp_defrag_disable(net);
	/* Unregistering does not wait for packets already inside a hook; the
	 * node's stats must outlive them.
	 */
	synchronize_net();
}
