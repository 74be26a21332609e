// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks of an enabled node: accounting, the service packet path
 * (nat.c), then policy (filter.c) on packets as NAT left them; and the fast
 * path's hook at each endpoint interface's ingress.  Every path that does
 * not own a packet returns NF_ACCEPT.
 */
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include "fastpath.h"
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
	struct kp_filter_at at = {};
	unsigned int verdict;
	struct kp_pkt p;
	u8 saddr[16];

	kp_node_rx(node, skb->len);
	/* One parse for both: NAT leaves in @p what it rewrote. */
	if (!kp_node_busy(node) || !kp_pkt_parse(skb, state->pf, KP_STAGE_PRE, &p))
		return NF_ACCEPT;
	memcpy(saddr, p.t.saddr, sizeof(saddr));
	verdict = kp_nat_prerouting(node, skb, &p);
	if (verdict != NF_ACCEPT)
		return verdict;
	at.in_ifindex = state->in->ifindex;
	at.saddr = saddr;
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
	return kp_fast_forward(kp_node_get(state->net), skb, state->pf);
}

/* Ahead of nftables' netdev chains (and a flowtable) at priority 0. */
#define KP_HOOK_INGRESS_PRIORITY (-100)

/*
 * An endpoint's interface gets the fast path's ingress hook, so approved
 * flows' packets from a pod or a host interface leave before the IP stack
 * sees them.  Best effort: without it (no such device, no netdev hooks),
 * PRE_ROUTING does the same work a little later.  The hook goes with the
 * endpoint or, first, with the device (kp_hooks_netdev_event).
 */
void kp_hooks_ingress_add(struct kp_node *node, struct kp_endpoint *ep)
{
	struct net_device *dev;

	lockdep_assert_held(&node->lock);
	/*
	 * Found under hooks_lock, and still registered: a device being
	 * unregistered is unlisted, or marked, before its NETDEV_UNREGISTER,
	 * which then waits for hooks_lock and finds the hook.
	 */
	mutex_lock(&node->hooks_lock);
	dev = dev_get_by_index(node->net, ep->ifindex);
	if (!dev)
		goto out;
	if (READ_ONCE(dev->reg_state) != NETREG_REGISTERED)
		goto out_put;
	ep->ingress = (struct nf_hook_ops) {
		.hook = kp_fast_ingress,
		.pf = NFPROTO_NETDEV,
		.hooknum = NF_NETDEV_INGRESS,
		.priority = KP_HOOK_INGRESS_PRIORITY,
		.dev = dev,
		.priv = node,	/* no net_generic per packet */
	};
	/* ingress.dev stays set only while hooked: the mark the removals read. */
	if (nf_register_net_hook(node->net, &ep->ingress))
		WRITE_ONCE(ep->ingress.dev, NULL);
out_put:
	dev_put(dev);
out:
	mutex_unlock(&node->hooks_lock);
}

/* Under hooks_lock, which keeps @ep (its deletion unhooks it first). */
static void kp_hooks_ingress_unhook(struct kp_node *node, struct kp_endpoint *ep)
{
	lockdep_assert_held(&node->hooks_lock);
	if (!ep->ingress.dev)
		return;
	nf_unregister_net_hook(node->net, &ep->ingress);
	WRITE_ONCE(ep->ingress.dev, NULL);
}

void kp_hooks_ingress_del(struct kp_node *node, struct kp_endpoint *ep)
{
	lockdep_assert_held(&node->lock);
	/* Set only under node->lock, which the caller holds: NULL stays NULL. */
	if (!READ_ONCE(ep->ingress.dev))
		return;
	mutex_lock(&node->hooks_lock);
	kp_hooks_ingress_unhook(node, ep);
	mutex_unlock(&node->hooks_lock);
}

/*
 * A device that goes away (or leaves the netns) takes its hook with it,
 * before it is freed: the endpoint itself stays until it is deleted.  Under
 * rtnl, for every device of the host: a device of no node leaves at once,
 * and one of a node waits for hooks_lock only, never for a commit.
 */
static int kp_hooks_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct kp_node *node;
	struct kp_endpoint *ep;
	bool hooked;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	node = kp_node_get(dev_net(dev));
	if (!READ_ONCE(node->enabled))
		return NOTIFY_DONE;
	mutex_lock(&node->hooks_lock);
	/* Enabled under hooks_lock: the tables are there. */
	rcu_read_lock();
	ep = node->enabled ? kp_ep_lookup_ifindex(&node->eps, dev->ifindex) : NULL;
	hooked = ep && ep->ingress.dev == dev;
	rcu_read_unlock();
	if (hooked)
		kp_hooks_ingress_unhook(node, ep);
	mutex_unlock(&node->hooks_lock);
	return NOTIFY_DONE;
}

static struct notifier_block kp_hooks_netdev_notifier = {
	.notifier_call = kp_hooks_netdev_event,
};

int kp_hooks_init(void)
{
	return register_netdevice_notifier(&kp_hooks_netdev_notifier);
}

void kp_hooks_uninit(void)
{
	unregister_netdevice_notifier(&kp_hooks_netdev_notifier);
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
