// SPDX-License-Identifier: GPL-2.0
/* Packet parsing for the flow table: see packet.h. */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include "packet.h"

/*
 * IPv6 extension headers that neither split the packet nor move its
 * destination.  A routing header with no segments left has done its work:
 * the destination is final (as the receiver, and conntrack, treat it).
 */
static bool kp_pkt_v6_whole(const struct sk_buff *skb)
{
	unsigned int off = 0;
	int flags = IP6_FH_F_SKIP_RH;

	if (ipv6_find_hdr(skb, &off, NEXTHDR_ROUTING, NULL, &flags) >= 0)
		return false;
	off = 0;
	return ipv6_find_hdr(skb, &off, NEXTHDR_FRAGMENT, NULL, NULL) < 0;
}

static bool kp_pkt_parse_l3(struct sk_buff *skb, struct kp_pkt *p, bool *later_frag)
{
	if (p->t.family == AF_INET) {
		const struct iphdr *iph = ip_hdr(skb);

		p->plain = !ip_is_fragment(iph);
		p->whole = p->plain;
		*later_frag = iph->frag_off & htons(IP_OFFSET);
		kp_pkt_ip4(skb, iph, p);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);
		u8 nexthdr = ip6h->nexthdr;
		__be16 frag_off = 0;
		int off;

		kp_pkt_ip6_addrs(ip6h, p);
		off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
				       &nexthdr, &frag_off);
		if (off < 0)
			return false;
		p->t.proto = nexthdr;
		p->l4off = off;
		p->plain = off == skb_network_offset(skb) + sizeof(*ip6h);
		p->whole = p->plain || kp_pkt_v6_whole(skb);
		*later_frag = frag_off & htons(IP6_OFFSET);
	}
	return true;
}

static bool kp_pkt_parse_icmp(struct sk_buff *skb, struct kp_pkt *p)
{
	struct icmphdr buf;
	const struct icmphdr *ih = skb_header_pointer(skb, p->l4off, sizeof(buf), &buf);

	/* struct icmp6hdr has the same type, code and echo id layout. */
	if (!ih)
		return false;
	p->icmp_type = ih->type;
	p->icmp_code = ih->code;
	if (kp_pkt_is_echo(p))
		p->t.sport = p->t.dport = ih->un.echo.id;
	return true;
}

bool kp_pkt_parse(struct sk_buff *skb, u8 pf, u8 stage, struct kp_pkt *p)
{
	bool later_frag;

	kp_pkt_init(p, pf, stage);
	if (!kp_pkt_parse_l3(skb, p, &later_frag))
		return false;
	if (later_frag)
		return true;
	switch (p->t.proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		p->has_l4 = kp_pkt_parse_icmp(skb, p);
		return p->has_l4;
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		return kp_pkt_ports(skb, p);
	default:
		return true;
	}
}

bool kp_pkt_is_echo(const struct kp_pkt *p)
{
	if (p->t.proto == IPPROTO_ICMP)
		return p->icmp_type == ICMP_ECHO || p->icmp_type == ICMP_ECHOREPLY;
	if (p->t.proto == IPPROTO_ICMPV6)
		return p->icmp_type == ICMPV6_ECHO_REQUEST || p->icmp_type == ICMPV6_ECHO_REPLY;
	return false;
}

static bool kp_pkt_is_icmp_error(const struct kp_pkt *p)
{
	if (!p->has_l4 || !p->plain)
		return false;
	if (p->t.proto == IPPROTO_ICMP)
		return p->icmp_type == ICMP_DEST_UNREACH || p->icmp_type == ICMP_TIME_EXCEEDED ||
		       p->icmp_type == ICMP_PARAMETERPROB;
	if (p->t.proto == IPPROTO_ICMPV6)
		return p->icmp_type == ICMPV6_DEST_UNREACH || p->icmp_type == ICMPV6_PKT_TOOBIG ||
		       p->icmp_type == ICMPV6_TIME_EXCEED || p->icmp_type == ICMPV6_PARAMPROB;
	return false;
}

/* The quoted packet's addresses and protocol; @off moves to its L4 header. */
static bool kp_pkt_quoted_l3(struct sk_buff *skb, u8 family, int *off, struct kp_tuple *t)
{
	if (family == AF_INET) {
		struct iphdr buf;
		const struct iphdr *iph = skb_header_pointer(skb, *off, sizeof(buf), &buf);

		if (!iph || iph->version != 4 || iph->ihl < 5 ||
		    (iph->frag_off & htons(IP_OFFSET)))
			return false;
		t->proto = iph->protocol;
		memcpy(t->saddr, &iph->saddr, 4);
		memcpy(t->daddr, &iph->daddr, 4);
		*off += iph->ihl * 4;
	} else {
		struct ipv6hdr buf;
		const struct ipv6hdr *ip6h = skb_header_pointer(skb, *off, sizeof(buf), &buf);
		__be16 frag_off = 0;
		u8 nexthdr;

		if (!ip6h || ip6h->version != 6)
			return false;
		nexthdr = ip6h->nexthdr;
		memcpy(t->saddr, &ip6h->saddr, 16);
		memcpy(t->daddr, &ip6h->daddr, 16);
		*off = ipv6_skip_exthdr(skb, *off + sizeof(buf), &nexthdr, &frag_off);
		if (*off < 0 || (frag_off & htons(IP6_OFFSET)))
			return false;
		t->proto = nexthdr;
	}
	return true;
}

bool kp_pkt_icmp_quoted(struct sk_buff *skb, const struct kp_pkt *p, u8 stage,
			struct kp_tuple *t, unsigned int *l4off)
{
	int off = p->l4off + sizeof(struct icmphdr);	/* icmp6hdr: the same 8 bytes */
	__be16 buf[3];
	const __be16 *l4;

	if (!kp_pkt_is_icmp_error(p))
		return false;
	memset(t, 0, sizeof(*t));
	t->family = p->t.family;
	t->stage = stage;
	if (!kp_pkt_quoted_l3(skb, p->t.family, &off, t) ||
	    memcmp(t->saddr, p->t.daddr, sizeof(t->saddr)))
		return false;
	/* The first 8 bytes of L4 are always quoted: ports, or type, code, id. */
	l4 = skb_header_pointer(skb, off, sizeof(buf), buf);
	if (!l4)
		return false;
	if (l4off)
		*l4off = off;
	switch (t->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		t->sport = l4[0];
		t->dport = l4[1];
		return true;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		struct kp_pkt echo = { .t.proto = t->proto, .icmp_type = *(const u8 *)l4 };

		if (!kp_pkt_is_echo(&echo))
			return false;
		t->sport = t->dport = l4[2];
		return true;
	}
	}
	return false;
}

