/* SPDX-License-Identifier: GPL-2.0 */
/* Reading a packet into the flow table's tuple: shared by NAT and policy. */
#ifndef KPLANE_PACKET_H
#define KPLANE_PACKET_H

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/netfilter/nf_conntrack.h>
#include "flow.h"

struct kp_pkt {
	struct kp_tuple t;	/* ICMP echo: both ports are the echo id */
	unsigned int l4off;	/* from skb->data */
	u8 tcp_flags;
	u8 icmp_type, icmp_code;
	bool plain;		/* no fragment, no IPv6 extension header */
	/*
	 * Not a fragment, no IPv6 routing header: what NAT rewrites (addresses,
	 * ports, the L4 checksum over them) is all there is to rewrite.
	 */
	bool whole;
	bool has_l4;		/* ports (TCP/UDP/SCTP) or ICMP fields were read */
	bool nat;		/* a flow of kplane's NAT matched it at PRE_ROUTING */
};

/*
 * Fills @p from @skb (@pf NFPROTO_IPV4/6, @stage the tuple's).  False for a
 * packet whose headers cannot be read.  Ports and ICMP fields are read from
 * whole and first fragments; later fragments have none.
 */
bool kp_pkt_parse(struct sk_buff *skb, u8 pf, u8 stage, struct kp_pkt *p);
/*
 * The fast path's helpers are inline (kp_filter_ingress): a call and its
 * return are dear per packet, most of all under return thunks.
 *
 * At a device's ingress, before the IP stack has checked anything: whether
 * @skb holds one whole IPv4 (no options) or IPv6 header (then *@pf says
 * which) and exactly the packet it announces, so kp_pkt_parse may read it.
 * The IPv4 header checksum is left to the receiver, as nf_flow_table
 * leaves it: the fast path only lowers the TTL, incrementally, so a
 * corrupt header stays corrupt and is dropped where it lands.
 */
static inline bool kp_pkt_ingress_ok(struct sk_buff *skb, u8 *pf)
{
	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph;

		if (!pskb_may_pull(skb, sizeof(*iph)))
			return false;
		iph = ip_hdr(skb);
		*pf = NFPROTO_IPV4;
		return iph->version == 4 && iph->ihl == 5 && ntohs(iph->tot_len) == skb->len;
	}
	if (skb->protocol == htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6h;

		if (!pskb_may_pull(skb, sizeof(*ip6h)))
			return false;
		ip6h = ipv6_hdr(skb);
		*pf = NFPROTO_IPV6;
		return ip6h->version == 6 && ip6h->payload_len &&
		       ntohs(ip6h->payload_len) + sizeof(*ip6h) == skb->len;
	}
	return false;
}

/*
 * An empty @p for a packet of family @pf (NFPROTO_IPV4/6 are AF_INET/6) at
 * @stage.  In two parts, each small enough for plain stores: a memset of
 * the whole is a string instruction, whose start-up is dear per packet
 * (and dearer under emulation).
 */
static __always_inline void kp_pkt_init(struct kp_pkt *p, u8 pf, u8 stage)
{
	p->t = (struct kp_tuple){ .family = pf, .stage = stage };
	memset_after(p, 0, t);
}

/* The IPv4 header's protocol and addresses into @p, and where L4 starts. */
static __always_inline void kp_pkt_ip4(struct sk_buff *skb, const struct iphdr *iph,
				       struct kp_pkt *p)
{
	p->t.proto = iph->protocol;
	memcpy(p->t.saddr, &iph->saddr, 4);
	memcpy(p->t.daddr, &iph->daddr, 4);
	p->l4off = skb_network_offset(skb) + iph->ihl * 4;
}

static __always_inline void kp_pkt_ip6_addrs(const struct ipv6hdr *ip6h, struct kp_pkt *p)
{
	memcpy(p->t.saddr, &ip6h->saddr, 16);
	memcpy(p->t.daddr, &ip6h->daddr, 16);
}

/* TCP, UDP and SCTP: the ports (and TCP's flags) at p->l4off into @p. */
static __always_inline bool kp_pkt_ports(struct sk_buff *skb, struct kp_pkt *p)
{
	unsigned int len = p->t.proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
						       sizeof(struct udphdr);
	const struct tcphdr *th;
	struct tcphdr buf;

	th = skb_header_pointer(skb, p->l4off, len, &buf);
	if (!th)
		return false;
	/* All three start with the two ports. */
	p->t.sport = th->source;
	p->t.dport = th->dest;
	if (p->t.proto == IPPROTO_TCP)
		p->tcp_flags = tcp_flag_byte(th);
	p->has_l4 = true;
	return true;
}

/*
 * kp_pkt_parse at stage PRE for what the ingress fast path nearly always
 * carries, TCP or UDP straight after a header kp_pkt_ingress_ok passed,
 * inline; anything else (fragments, IPv6 extension headers, other
 * protocols) goes to kp_pkt_parse.
 */
static __always_inline bool kp_pkt_parse_ingress(struct sk_buff *skb, u8 pf, struct kp_pkt *p)
{
	kp_pkt_init(p, pf, KP_STAGE_PRE);
	if (pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		if (ip_is_fragment(iph))
			return kp_pkt_parse(skb, pf, KP_STAGE_PRE, p);
		kp_pkt_ip4(skb, iph, p);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		kp_pkt_ip6_addrs(ip6h, p);
		p->t.proto = ip6h->nexthdr;
		p->l4off = skb_network_offset(skb) + sizeof(*ip6h);
	}
	if (p->t.proto != IPPROTO_TCP && p->t.proto != IPPROTO_UDP)
		return kp_pkt_parse(skb, pf, KP_STAGE_PRE, p);
	p->plain = true;
	p->whole = true;
	return kp_pkt_ports(skb, p);
}

/* Keeps nf_conntrack away from @skb (kplane owns its flow). */
static inline void kp_pkt_untrack(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	if (!skb->_nfct)
		nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
#endif
}

/* Whether nf_conntrack will leave @skb alone (kp_pkt_untrack was applied). */
static inline bool kp_pkt_untracked(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	return skb->_nfct == IP_CT_UNTRACKED;
#else
	return true;
#endif
}
/* ICMP echo request or reply: a flow of its own (other ICMP is not). */
bool kp_pkt_is_echo(const struct kp_pkt *p);
/*
 * For an ICMP error (unreachable, too big, time exceeded, parameter problem)
 * of @skb, parsed in @p: the tuple (@stage) of the packet it quotes, which
 * must have come from the error's destination, and (@l4off, if not NULL)
 * where the quoted L4 header starts.  False for anything else.
 */
bool kp_pkt_icmp_quoted(struct sk_buff *skb, const struct kp_pkt *p, u8 stage,
			struct kp_tuple *t, unsigned int *l4off);

#endif /* KPLANE_PACKET_H */
