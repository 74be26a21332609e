// SPDX-License-Identifier: GPL-2.0
/*
 * The service packet path: traffic arriving at the node for a frontend is
 * DNATed before routing, its replies reverse-NATed, and the flow remembered
 * in the node's flow table (flow.h).  These packets are untracked for
 * nf_conntrack.  Anything not ours is NF_ACCEPT, untouched.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <net/tcp.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>
#include "flow.h"
#include "lb.h"
#include "maglev.h"
#include "nat.h"
#include "node.h"
#include "packet.h"
#include "route.h"

/*
 * The packet path translates whole TCP and UDP packets (IPv6: hop-by-hop
 * and destination options may come first, and a routing header with no
 * segments left; one with segments left is not at its destination yet).
 */
static bool kp_nat_ours(const struct kp_pkt *p)
{
	return p->whole && p->has_l4 && (p->t.proto == IPPROTO_TCP || p->t.proto == IPPROTO_UDP);
}

static void kp_pkt_rewrite_l3(struct sk_buff *skb, const struct kp_pkt *p, bool src,
			      const u8 *addr, __sum16 *check)
{
	if (p->t.family == AF_INET) {
		struct iphdr *iph = ip_hdr(skb);
		__be32 *a = src ? &iph->saddr : &iph->daddr;
		__be32 to;

		memcpy(&to, addr, 4);
		if (check)
			inet_proto_csum_replace4(check, skb, *a, to, true);
		csum_replace4(&iph->check, *a, to);
		*a = to;
	} else {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);
		struct in6_addr *a = src ? &ip6h->saddr : &ip6h->daddr;
		struct in6_addr to;

		memcpy(&to, addr, 16);
		if (check)
			inet_proto_csum_replace16(check, skb, a->s6_addr32, to.s6_addr32, true);
		*a = to;
	}
}

/*
 * Sets the source (@src) or destination address and port, fixing checksums;
 * @p follows, so the hooks after NAT see the packet as it now is.
 */
static int kp_pkt_rewrite(struct sk_buff *skb, struct kp_pkt *p, bool src,
			  const u8 *addr, __be16 port)
{
	bool tcp = p->t.proto == IPPROTO_TCP;
	unsigned int hlen = tcp ? sizeof(struct tcphdr) : sizeof(struct udphdr);
	__sum16 *check;
	__be16 *pport;
	void *l4;

	if (skb_ensure_writable(skb, p->l4off + hlen))
		return -ENOMEM;
	l4 = skb->data + p->l4off;
	if (tcp) {
		check = &((struct tcphdr *)l4)->check;
		pport = src ? &((struct tcphdr *)l4)->source : &((struct tcphdr *)l4)->dest;
	} else {
		check = &((struct udphdr *)l4)->check;
		pport = src ? &((struct udphdr *)l4)->source : &((struct udphdr *)l4)->dest;
		/* A zero IPv4 UDP checksum means none; keep it so. */
		if (p->t.family == AF_INET && !*check && skb->ip_summed != CHECKSUM_PARTIAL)
			check = NULL;
	}
	kp_pkt_rewrite_l3(skb, p, src, addr, check);
	if (check)
		inet_proto_csum_replace2(check, skb, *pport, port, false);
	*pport = port;
	if (check && !tcp && !*check)
		*check = CSUM_MANGLED_0;
	memcpy(src ? p->t.saddr : p->t.daddr, addr, p->t.family == AF_INET ? 4 : 16);
	*(src ? &p->t.sport : &p->t.dport) = port;
	return 0;
}

static unsigned int kp_nat_apply(struct kp_node *node, struct sk_buff *skb,
				 struct kp_pkt *p, struct kp_flow_node *fn)
{
	const struct kp_flow_nat *n = &fn->flow->nat;
	int err;

	kp_flow_seen(fn, p->tcp_flags);
	kp_pkt_untrack(skb);
	switch (fn->role) {
	case KP_ROLE_ORIG_PRE:
		err = kp_pkt_rewrite(skb, p, false, n->backend, n->bport);
		break;
	case KP_ROLE_ORIG_POST:
		err = kp_pkt_rewrite(skb, p, true, n->snat, n->sport);
		break;
	case KP_ROLE_REPLY_PRE:
		if (!fn->flow->snat)
			return NF_ACCEPT;	/* already addressed to the client */
		err = kp_pkt_rewrite(skb, p, false, n->client, n->cport);
		break;
	default:
		err = kp_pkt_rewrite(skb, p, true, n->front, n->fport);
		break;
	}
	if (err)
		return NF_DROP;
	kp_node_inc(node, nat_packets);
	return NF_ACCEPT;
}

/*
 * A service without backends refuses: TCP RST (an ICMP error that arrives
 * while connect() holds the socket would only be noted softly, leaving the
 * client to retransmit), ICMP port unreachable for UDP.  The kernel's own
 * REJECT helpers do it, routing included.
 */
static void kp_nat_refuse(struct net *net, struct sk_buff *skb, const struct kp_pkt *p)
{
	bool tcp = p->t.proto == IPPROTO_TCP;

	if (p->t.family == AF_INET) {
		if (tcp)
			nf_send_reset(net, NULL, skb, NF_INET_PRE_ROUTING);
		else
			nf_send_unreach(skb, ICMP_PORT_UNREACH, NF_INET_PRE_ROUTING);
	} else {
		if (tcp)
			nf_send_reset6(net, NULL, skb, NF_INET_PRE_ROUTING);
		else
			nf_send_unreach6(net, skb, ICMPV6_PORT_UNREACH, NF_INET_PRE_ROUTING);
	}
}

static struct kp_flow_node *kp_nat_new_flow(struct kp_node *node, struct sk_buff *skb,
					    const struct kp_pkt *p, unsigned int *verdict)
{
	struct kp_svc_key key = {
		.family = p->t.family, .proto = p->t.proto, .port = p->t.dport,
	};
	const struct kp_backend *be;
	struct kp_service *svc;
	struct kp_flow_node *fn;
	bool local, snat;
	u8 snat_addr[16];

	memcpy(key.addr, p->t.daddr, sizeof(key.addr));
	svc = kp_lb_service(node, &key);
	if (!svc)
		return NULL;
	*verdict = NF_DROP;
	local = svc->ext_policy == KPLANE_POLICY_LOCAL;
	be = kp_lb_pick(node, svc, p->t.saddr, kp_hash64(&p->t, sizeof(p->t), 0), local);
	if (!be) {
		kp_node_inc(node, nat_refused);
		kp_nat_refuse(node->net, skb, p);
		return NULL;
	}
	/* A remote backend must answer through this node; a Local policy
	 * keeps the client's address and only picks local backends.
	 */
	snat = !local && !be->local;
	if (snat && kp_route_out(node->net, p->t.family, be->addr.ip, NULL, snat_addr))
		return NULL;
	fn = kp_flow_create(&node->flows, &p->t, svc, be, snat ? snat_addr : NULL);
	return IS_ERR(fn) ? NULL : fn;
}

/* --- ICMP errors about translated flows --- */

/* Writes @len bytes of @addr over @field, keeping the L4 checksum @check (if any). */
static void kp_quote_addr(__sum16 *check, void *field, const u8 *addr, unsigned int len)
{
	unsigned int i;

	for (i = 0; check && i < len; i += 4) {
		__be32 from, to;

		memcpy(&from, (u8 *)field + i, 4);
		memcpy(&to, addr + i, 4);
		csum_replace4(check, from, to);
	}
	memcpy(field, addr, len);
}

/* The quoted L4 checksum, when it was quoted and is in use (an IPv4 UDP 0 is not). */
static __sum16 *kp_quote_check(struct sk_buff *skb, const struct kp_pkt *p, u8 proto,
			       unsigned int l4)
{
	unsigned int at = proto == IPPROTO_TCP ? offsetof(struct tcphdr, check) :
						  offsetof(struct udphdr, check);
	__sum16 *check = (__sum16 *)(skb->data + l4 + at);

	if (l4 + at + sizeof(*check) > skb->len ||
	    (proto == IPPROTO_UDP && p->t.family == AF_INET && !*check))
		return NULL;
	return check;
}

/* The quoted packet becomes @src:@sport -> @dst:@dport. */
static void kp_quote_set(struct sk_buff *skb, const struct kp_pkt *p, const struct kp_tuple *q,
			 unsigned int l4, const u8 *src, __be16 sport, const u8 *dst, __be16 dport)
{
	unsigned int ip = p->l4off + sizeof(struct icmphdr), len = p->t.family == AF_INET ? 4 : 16;
	__sum16 *check = kp_quote_check(skb, p, q->proto, l4);
	__be16 *ports = (__be16 *)(skb->data + l4);

	if (p->t.family == AF_INET) {
		struct iphdr *iph = (struct iphdr *)(skb->data + ip);

		kp_quote_addr(check, &iph->saddr, src, len);
		kp_quote_addr(check, &iph->daddr, dst, len);
		ip_send_check(iph);
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)(skb->data + ip);

		kp_quote_addr(check, &ip6h->saddr, src, len);
		kp_quote_addr(check, &ip6h->daddr, dst, len);
	}
	if (check) {
		csum_replace2(check, ports[0], sport);
		csum_replace2(check, ports[1], dport);
	}
	ports[0] = sport;
	ports[1] = dport;
}

/* The error's own addresses (NULL: unchanged); @p follows. */
static void kp_icmp_outer_set(struct sk_buff *skb, struct kp_pkt *p, const u8 *src, const u8 *dst)
{
	unsigned int len = p->t.family == AF_INET ? 4 : 16;
	u8 *s = p->t.family == AF_INET ? (u8 *)&ip_hdr(skb)->saddr : ipv6_hdr(skb)->saddr.s6_addr;
	u8 *d = p->t.family == AF_INET ? (u8 *)&ip_hdr(skb)->daddr : ipv6_hdr(skb)->daddr.s6_addr;

	if (src) {
		memcpy(s, src, len);
		memcpy(p->t.saddr, src, len);
	}
	if (dst) {
		memcpy(d, dst, len);
		memcpy(p->t.daddr, dst, len);
	}
	if (p->t.family == AF_INET)
		ip_send_check(ip_hdr(skb));
}

/* The ICMP checksum over the rewritten message (ICMPv6: with its pseudo-header). */
static void kp_icmp_csum(struct sk_buff *skb, const struct kp_pkt *p)
{
	unsigned int len = skb->len - p->l4off;

	if (p->t.family == AF_INET) {
		struct icmphdr *ih = (struct icmphdr *)(skb->data + p->l4off);

		ih->checksum = 0;
		ih->checksum = csum_fold(skb_checksum(skb, p->l4off, len, 0));
	} else {
		struct icmp6hdr *ih = (struct icmp6hdr *)(skb->data + p->l4off);

		ih->icmp6_cksum = 0;
		ih->icmp6_cksum = csum_ipv6_magic(&ipv6_hdr(skb)->saddr, &ipv6_hdr(skb)->daddr,
						  len, IPPROTO_ICMPV6,
						  skb_checksum(skb, p->l4off, len, 0));
	}
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * The flow of the packet an ICMP error quotes is found under the quoted
 * tuple reversed, at this stage: a reply key means the quoted packet went
 * toward the backend (the client sent it to the front), an original key
 * means it went toward the client (the backend sent it to the client as
 * SNAT made it).  At PRE_ROUTING the error itself goes to that sender; its
 * source becomes the front only if that is not the node's own address (a
 * forwarded packet from a local source is a martian), and stays as it was
 * toward a backend (the receiver matches errors by what they quote).
 * Errors the node makes while forwarding are seen at POST_ROUTING, already
 * addressed.
 */
static unsigned int kp_nat_icmp(struct kp_node *node, struct sk_buff *skb, struct kp_pkt *p,
				u8 stage)
{
	const struct kp_flow_nat *n;
	struct kp_flow_node *fn;
	struct kp_tuple q, r;
	unsigned int l4;
	bool to_client;

	if (!kp_pkt_icmp_quoted(skb, p, stage, &q, &l4))
		return NF_ACCEPT;
	r = q;
	memcpy(r.saddr, q.daddr, sizeof(r.saddr));
	memcpy(r.daddr, q.saddr, sizeof(r.daddr));
	r.sport = q.dport;
	r.dport = q.sport;
	fn = kp_flow_lookup(&node->flows, &r);
	if (!fn || !fn->flow->translates)
		return NF_ACCEPT;
	if (skb_ensure_writable(skb, skb->len))
		return NF_DROP;
	n = &fn->flow->nat;
	to_client = fn->role == KP_ROLE_REPLY_PRE || fn->role == KP_ROLE_REPLY_POST;
	if (to_client)
		kp_quote_set(skb, p, &q, l4, n->client, n->cport, n->front, n->fport);
	else
		kp_quote_set(skb, p, &q, l4, n->backend, n->bport, n->snat, n->sport);
	if (stage == KP_STAGE_PRE && to_client)
		kp_icmp_outer_set(skb, p, kp_net_has_addr(node->net, p->t.family, n->front) ?
				  NULL : n->front, n->client);
	else if (stage == KP_STAGE_PRE)
		kp_icmp_outer_set(skb, p, NULL, n->backend);
	kp_icmp_csum(skb, p);
	kp_pkt_untrack(skb);
	kp_node_inc(node, nat_packets);
	return NF_ACCEPT;
}

unsigned int kp_nat_prerouting(struct kp_node *node, struct sk_buff *skb, struct kp_pkt *p)
{
	unsigned int verdict = NF_ACCEPT;
	struct kp_flow_node *fn = NULL;

	if (!kp_nat_ours(p))
		return atomic_read(&node->flows.nat_count) ?
		       kp_nat_icmp(node, skb, p, KP_STAGE_PRE) : NF_ACCEPT;
	p->t.stage = KP_STAGE_PRE;
	if (atomic_read(&node->flows.nat_count))
		fn = kp_flow_lookup(&node->flows, &p->t);
	if (!fn && READ_ONCE(node->svcs.count))
		fn = kp_nat_new_flow(node, skb, p, &verdict);
	p->nat = fn;
	return fn ? kp_nat_apply(node, skb, p, fn) : verdict;
}

unsigned int kp_nat_postrouting(struct kp_node *node, struct sk_buff *skb, u8 pf)
{
	struct kp_flow_node *fn;
	struct kp_pkt p;

	if (!atomic_read(&node->flows.nat_count) || !kp_pkt_parse(skb, pf, KP_STAGE_POST, &p))
		return NF_ACCEPT;
	if (!kp_nat_ours(&p))
		return kp_nat_icmp(node, skb, &p, KP_STAGE_POST);
	fn = kp_flow_lookup(&node->flows, &p.t);
	return fn ? kp_nat_apply(node, skb, &p, fn) : NF_ACCEPT;
}
