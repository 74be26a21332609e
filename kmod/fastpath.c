// SPDX-License-Identifier: GPL-2.0
/* The fast path: approved forwarded flows sent from the first hook (fastpath.h). */
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/neighbour.h>
#include <net/route.h>
#include <net/xfrm.h>
#include "fastpath.h"
#include "filter.h"
#include "node.h"
#include "packet.h"

static u32 kp_dst_cookie(struct dst_entry *dst, u8 family)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (family == AF_INET6)
		return rt6_get_cookie((struct rt6_info *)dst);
#endif
	return 0;
}

/*
 * The MTU the stack's forward path holds a packet to (ip_forward,
 * ip6_forward: the route's, not a learned path MTU unless locked), and
 * inline, where dst_mtu is an indirect call.
 */
static __always_inline unsigned int kp_fast_mtu(const struct dst_entry *dst, u8 family)
{
	if (family == AF_INET)
		return ip_dst_mtu_maybe_forward(dst, true);
#if IS_ENABLED(CONFIG_IPV6)
	return max_t(unsigned int, ip6_dst_mtu_maybe_forward(dst, true), IPV6_MIN_MTU);
#else
	return dst_mtu(dst);
#endif
}

static __always_inline bool kp_fast_fits(const struct sk_buff *skb, unsigned int mtu)
{
	return skb->len <= mtu || (skb_is_gso(skb) && skb_gso_validate_network_len(skb, mtu));
}

/* The hop limit, as the stack's forward path would: false to leave it to the stack. */
static __always_inline bool kp_fast_hop(struct sk_buff *skb, u8 family)
{
	if (family == AF_INET) {
		if (ip_hdr(skb)->ihl != 5 || ip_hdr(skb)->ttl <= 1 ||
		    skb_try_make_writable(skb, skb_network_offset(skb) + sizeof(struct iphdr)))
			return false;
		ip_decrease_ttl(ip_hdr(skb));
		IPCB(skb)->flags |= IPSKB_FORWARDED;
		return true;
	}
	if (ipv6_hdr(skb)->hop_limit <= 1 ||
	    skb_try_make_writable(skb, skb_network_offset(skb) + sizeof(struct ipv6hdr)))
		return false;
	ipv6_hdr(skb)->hop_limit--;
	IP6CB(skb)->flags |= IP6SKB_FORWARDED;
	return true;
}

/*
 * To the route's neighbour, as nf_flow_table does: no ip_output, no
 * POST_ROUTING, where nothing there has work to do: the packet is
 * untracked, so no conntrack NAT applies to it.  Packets kplane's NAT
 * matched need POST_ROUTING (its source NAT, the reverse translation), and
 * IPsec and encapsulating routes their own output: those go by dst_output.
 */
static __always_inline void kp_fast_output(struct kp_node *node, struct sk_buff *skb,
					   const struct kp_pkt *p, struct dst_entry *dst)
{
	struct net_device *dev = dst->dev;

	if (p->nat || dst_xfrm(dst) || dst->lwtstate ||
	    skb_headroom(skb) < LL_RESERVED_SPACE(dev)) {
		dst_output(node->net, NULL, skb);
		return;
	}
	skb->dev = dev;
	if (p->t.family == AF_INET) {
		__be32 nexthop = rt_nexthop((struct rtable *)dst, ip_hdr(skb)->daddr);

		neigh_xmit(NEIGH_ARP_TABLE, dev, &nexthop, skb);
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	neigh_xmit(NEIGH_ND_TABLE, dev, rt6_nexthop((struct rt6_info *)dst, &ipv6_hdr(skb)->daddr),
		   skb);
#endif
}

/*
 * Sends a packet of an approved flow by the route the stack chose for the
 * flow's first packets (kp_fast_forward): no route lookup, no FORWARD
 * chain (kp_fast_output: usually no POST_ROUTING either).  Only untracked
 * packets: one nf_conntrack still tracks (bypass_conntrack=0) must meet its
 * hooks, or the node's MASQUERADE would miss it.  False (untouched)
 * whenever the stack had better do it: no route cached or a stale one, too
 * big for the route, options, the last hop.
 */
static __always_inline bool kp_fast_send(struct kp_node *node, struct sk_buff *skb,
					 const struct kp_pkt *p, struct kp_flow_verdict *v,
					 unsigned int dir)
{
	struct dst_entry *dst = smp_load_acquire(&v->dst[dir]);

	/* Decrypted by IPsec: the stack's forward path checks its xfrm policy. */
	if (!dst || !kp_node_fast_forward(node) || !p->plain || skb_sec_path(skb) ||
	    skb->pkt_type != PACKET_HOST || skb_dst(skb) || !kp_pkt_untracked(skb))
		return false;
	if (!dst_check(dst, v->dst_cookie[dir]))
		return false;
	if (!kp_fast_fits(skb, kp_fast_mtu(dst, p->t.family)) || !kp_fast_hop(skb, p->t.family))
		return false;
	skb_forward_csum(skb);
	skb_clear_tstamp(skb);
	/* Under RCU: the flow holds @dst until a grace period after it goes. */
	skb_dst_set_noref(skb, dst);
	kp_fast_output(node, skb, p, dst);
	return true;
}

bool kp_fast_xmit(struct kp_node *node, struct sk_buff *skb, const struct kp_pkt *p,
		  struct kp_flow_verdict *v, unsigned int dir)
{
	return kp_fast_send(node, skb, p, v, dir);
}

unsigned int kp_fast_forward(struct kp_node *node, struct sk_buff *skb, u8 pf)
{
	struct dst_entry *dst = skb_dst(skb);
	struct kp_flow_verdict *v;
	struct kp_flow_node *fn;
	unsigned int dir;
	struct kp_pkt p;

	if (!dst || !kp_node_fast_forward(node) || !atomic_read(&node->flows.count) ||
	    !kp_pkt_parse(skb, pf, KP_STAGE_POLICY, &p) || !p.plain)
		return NF_ACCEPT;
	fn = kp_flow_lookup(&node->flows, &p.t);
	if (!fn)
		return NF_ACCEPT;
	v = &fn->flow->verdict;
	dir = fn->role != KP_ROLE_ORIG_PRE;
	if (READ_ONCE(v->dst[dir]) == dst || READ_ONCE(v->action) != KPLANE_ACTION_ALLOW ||
	    !dst_hold_safe(dst))
		return NF_ACCEPT;
	/* Racing CPUs each swap in their own; the loser's reference goes. */
	WRITE_ONCE(v->dst_cookie[dir], kp_dst_cookie(dst, pf));
	dst_release(xchg(&v->dst[dir], dst));
	return NF_ACCEPT;
}

/*
 * At an endpoint's interface ingress (hooks.c), before the IP stack: a
 * packet of an approved flow whose route is known, with nothing else for
 * kplane to do (no NAT flow matches it, the verdict is current), is sent
 * on at once, as nf_flow_table does from the same hook.  Anything else
 * goes on to PRE_ROUTING untouched, which does the same work later.
 */
unsigned int kp_fast_ingress(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	struct kp_node *node = priv;
	struct kp_flow_verdict *v;
	struct kp_flow_node *fn;
	unsigned int len = skb->len;
	/* Filled by the parse: not zeroed twice per packet (INIT_STACK_ALL_ZERO). */
	struct kp_pkt p __uninitialized;
	u8 pf;

	if (!kp_node_fast_forward(node) || !kp_node_bypass_conntrack(node) ||
	    !atomic_read(&node->flows.count) || skb_shared(skb) || !kp_pkt_ingress_ok(skb, &pf) ||
	    !kp_pkt_parse_ingress(skb, pf, &p) || !p.plain || !p.has_l4)
		return NF_ACCEPT;
	if (atomic_read(&node->flows.nat_count) && kp_flow_lookup(&node->flows, &p.t))
		return NF_ACCEPT;	/* kplane's NAT translates it at PRE_ROUTING */
	p.t.stage = KP_STAGE_POLICY;
	fn = kp_flow_lookup(&node->flows, &p.t);
	if (!fn || !kp_filter_iif_ok(node, fn, skb->dev->ifindex))
		return NF_ACCEPT;
	v = &fn->flow->verdict;
	if (smp_load_acquire(&v->rev) != kp_pol_rev(node) ||
	    READ_ONCE(v->action) != KPLANE_ACTION_ALLOW)
		return NF_ACCEPT;
	/*
	 * As the IP stack's receive path leaves them (what the sender put in
	 * the control block is not ours); untracked, as PRE_ROUTING would.
	 */
	if (pf == NFPROTO_IPV4)
		memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
	else
		memset(IP6CB(skb), 0, sizeof(struct inet6_skb_parm));
	kp_pkt_untrack(skb);
	if (!kp_fast_send(node, skb, &p, v, fn->role != KP_ROLE_ORIG_PRE))
		return NF_ACCEPT;
	/* Counted as PRE_ROUTING would have, once the packet is on its way. */
	kp_node_rx(node, len);
	kp_node_inc(node, policy_bypassed);
	kp_node_inc(node, fast_forwarded);
	kp_flow_seen(fn, p.tcp_flags);
	kp_verdict_count(v->stats, len);
	return NF_STOLEN;
}
