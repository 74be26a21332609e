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

static bool kp_pkt_parse_l3(struct sk_buff *skb, struct kp_pkt *p, bool *later_frag)
{
	if (p->t.family == AF_INET) {
		const struct iphdr *iph = ip_hdr(skb);

		p->plain = !ip_is_fragment(iph);
		*later_frag = iph->frag_off & htons(IP_OFFSET);
		p->t.proto = iph->protocol;
		memcpy(p->t.saddr, &iph->saddr, 4);
		memcpy(p->t.daddr, &iph->daddr, 4);
		p->l4off = skb_network_offset(skb) + iph->ihl * 4;
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);
		u8 nexthdr = ip6h->nexthdr;
		__be16 frag_off = 0;
		int off;

		memcpy(p->t.saddr, &ip6h->saddr, 16);
		memcpy(p->t.daddr, &ip6h->daddr, 16);
		off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
				       &nexthdr, &frag_off);
		if (off < 0)
			return false;
		p->t.proto = nexthdr;
		p->l4off = off;
		p->plain = off == skb_network_offset(skb) + sizeof(*ip6h);
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
	const struct tcphdr *th;
	struct tcphdr buf;
	unsigned int len;

	memset(p, 0, sizeof(*p));
	p->t.family = pf;	/* NFPROTO_IPV4/6 are AF_INET/6 */
	p->t.stage = stage;
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
		break;
	default:
		return true;
	}
	len = p->t.proto == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(struct udphdr);
	th = skb_header_pointer(skb, p->l4off, len, &buf);
	if (!th)
		return false;
	/* TCP, UDP and SCTP all start with the two ports. */
	p->t.sport = th->source;
	p->t.dport = th->dest;
	if (p->t.proto == IPPROTO_TCP)
		p->tcp_flags = tcp_flag_byte(th);
	p->has_l4 = true;
	return true;
}

bool kp_pkt_is_echo(const struct kp_pkt *p)
{
	if (p->t.proto == IPPROTO_ICMP)
		return p->icmp_type == ICMP_ECHO || p->icmp_type == ICMP_ECHOREPLY;
	if (p->t.proto == IPPROTO_ICMPV6)
		return p->icmp_type == ICMPV6_ECHO_REQUEST || p->icmp_type == ICMPV6_ECHO_REPLY;
	return false;
}

void kp_pkt_untrack(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	if (!skb->_nfct)
		nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
#endif
}
