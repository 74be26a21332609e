// SPDX-License-Identifier: GPL-2.0
/*
 * Policy in the datapath (filter.h).  A miss evaluates and caches; a hit
 * with the current revision skips evaluation.  Allowed packets are
 * untracked for nf_conntrack; denied ones are dropped (and optionally
 * answered with ICMP administratively prohibited).  Packets that involve
 * no endpoint are not ours: NF_ACCEPT, untouched.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <net/addrconf.h>
#include <net/ndisc.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include "fastpath.h"
#include "filter.h"
#include "node.h"
#include "packet.h"
#include "route.h"

/*
 * To or from the node itself on a failsafe port, either way round: a
 * connection to an inbound port (or its replies), or from the node to an
 * outbound one (or its replies).
 */
static bool kp_failsafe(const struct kp_node *node, const struct kp_filter_at *at,
			const struct kp_match_pkt *m)
{
	unsigned int there = at->in_ifindex ? KP_FAILSAFE_IN : KP_FAILSAFE_OUT;
	unsigned int back = at->in_ifindex ? KP_FAILSAFE_OUT : KP_FAILSAFE_IN;

	return kp_node_failsafe_has(node, there, m->proto, m->dport) ||
	       kp_node_failsafe_has(node, back, m->proto, m->sport);
}

static void kp_filter_log(void *arg, const struct kp_policy *pol, unsigned int dir,
			  unsigned int rule, const struct kp_match_pkt *m)
{
	const struct kp_endpoint *ep = arg;
	const char *d = dir == KPLANE_DIR_INGRESS ? "ingress" : "egress";

	if (m->family == AF_INET)
		net_info_ratelimited("kplane: log endpoint %s %s policy %s rule %u: proto %u %pI4:%u -> %pI4:%u\n",
				     ep->id, d, pol->id, rule, m->proto, m->saddr, m->sport,
				     m->daddr, m->dport);
	else
		net_info_ratelimited("kplane: log endpoint %s %s policy %s rule %u: proto %u [%pI6c]:%u -> [%pI6c]:%u\n",
				     ep->id, d, pol->id, rule, m->proto, m->saddr, m->sport,
				     m->daddr, m->dport);
}

static void kp_filter_step(struct kp_decision *d, const struct kp_endpoint *ep,
			   unsigned int dir, bool forwarded, const struct kp_match_pkt *pkt,
			   bool log)
{
	struct kp_filter_step *s = &d->steps[d->n_steps++];
	const struct kp_prog *prog = kp_ep_prog(ep, dir, pkt->view);
	struct kp_match_pkt m = *pkt;

	m.forwarded = forwarded;
	s->ep = ep;
	s->dir = dir;
	s->forwarded = forwarded;
	kp_prog_eval(prog, dir, &m, log ? kp_filter_log : NULL, (void *)ep, &s->v);
	s->tier = s->v.tier >= 0 ? prog->tiers[s->v.tier].name : NULL;
	if (s->v.action == KPLANE_ACTION_DENY)
		d->action = KPLANE_ACTION_DENY;
}

/* Where replies to a flow whose first packet is @m, met @at, will arrive. */
static int kp_filter_reply_ifindex(struct kp_node *node, const struct kp_filter_at *at,
				   const struct kp_match_pkt *m)
{
	int out_ifindex = 0;

	if (!at->in_ifindex)
		return at->out_ifindex;
	return kp_route_in(node->net, at->in_ifindex, m->family, m->saddr, m->daddr,
			   &out_ifindex) ? 0 : out_ifindex;
}

/* The workload (a pod, not a host endpoint) whose interface @ifindex is, or NULL. */
static const struct kp_endpoint *kp_workload_ep(struct kp_node *node, int ifindex)
{
	const struct kp_endpoint *ep = ifindex ? kp_ep_lookup_ifindex(&node->eps, ifindex) : NULL;

	return ep && !ep->host ? ep : NULL;
}

bool kp_filter_iif_ok(struct kp_node *node, const struct kp_flow_node *fn, int in_ifindex)
{
	const struct kp_flow_verdict *v = &fn->flow->verdict;
	int want = fn->role == KP_ROLE_ORIG_PRE ? v->in_ifindex : v->reply_ifindex;

	return in_ifindex == want ||
	       (!kp_workload_ep(node, in_ifindex) && !kp_workload_ep(node, want));
}

/*
 * Calico's workload RPF check: what arrives from a workload's interface must
 * come from one of its addresses (link-local and unspecified IPv6 sources
 * aside: neighbour discovery).  A pod may send raw packets: without this it
 * could speak as another pod, riding that pod's approved flows.  An
 * endpoint without addresses is not checked.
 */
static bool kp_filter_spoofed(struct kp_node *node, const struct kp_filter_at *at,
			      const struct kp_pkt *p)
{
	const u8 *saddr = at->saddr ?: p->t.saddr;
	const struct kp_endpoint *ep;
	struct kp_addr src;
	unsigned int i;

	ep = kp_workload_ep(node, at->in_ifindex);
	if (!ep || !ep->n_addrs)
		return false;
	if (p->t.family == AF_INET6) {
		int type = ipv6_addr_type((const struct in6_addr *)saddr);

		if (type & (IPV6_ADDR_LINKLOCAL | IPV6_ADDR_ANY))
			return false;
	}
	src.family = p->t.family;
	memcpy(src.ip, saddr, sizeof(src.ip));
	for (i = 0; i < ep->n_addrs; i++)
		if (kp_addr_equal(&ep->addrs[i], &src))
			return false;
	return true;
}

static struct kp_endpoint *kp_host_ep(struct kp_node *node, int ifindex)
{
	struct kp_endpoint *ep = ifindex ? kp_ep_lookup_ifindex(&node->eps, ifindex) : NULL;

	return ep && ep->host ? ep : NULL;
}

/*
 * Sent by the node: its host endpoint's egress (not for a pod, whose
 * ingress alone judges what the node sends it), skipped on failsafe ports.
 */
static void kp_filter_sent(struct kp_node *node, const struct kp_filter_at *at,
			   const struct kp_match_pkt *m, bool to_pod, bool log,
			   struct kp_decision *d)
{
	struct kp_endpoint *host = to_pod ? NULL : kp_host_ep(node, at->out_ifindex);

	if (host && kp_failsafe(node, at, m))
		d->failsafe = true;
	else if (host)
		kp_filter_step(d, host, KPLANE_DIR_EGRESS, false, m, log);
}

/*
 * Arrived on an interface: a pod's egress, or the host endpoint's ingress
 * (for traffic to the node itself, failsafe ports skip it; for traffic it
 * forwards, only apply-on-forward policies apply); then, if the node
 * forwards it out by a host endpoint, that one's egress for forwarded
 * traffic.  Routed only when a host endpoint could be involved.
 */
static void kp_filter_arrived(struct kp_node *node, const struct kp_filter_at *at,
			      const struct kp_match_pkt *m, bool to_pod, bool log,
			      struct kp_decision *d)
{
	struct kp_endpoint *src = kp_ep_lookup_ifindex(&node->eps, at->in_ifindex), *via;
	int out_ifindex = 0;
	bool local = false;

	if (!to_pod && READ_ONCE(node->eps.n_host))
		local = kp_route_in(node->net, at->in_ifindex, m->family, m->saddr, m->daddr,
				    &out_ifindex);
	if (src && !src->host)
		kp_filter_step(d, src, KPLANE_DIR_EGRESS, false, m, log);
	else if (src && local && kp_failsafe(node, at, m))
		d->failsafe = true;
	else if (src)
		kp_filter_step(d, src, KPLANE_DIR_INGRESS, !local, m, log);
	via = kp_host_ep(node, out_ifindex);
	if (via && d->action == KPLANE_ACTION_ALLOW)
		kp_filter_step(d, via, KPLANE_DIR_EGRESS, true, m, log);
}

/*
 * The source side (filter_arrived, filter_sent), then the destination
 * pod's ingress, unless already denied.  One view of the configuration
 * for the whole decision: every endpoint's program, every set.
 */
void kp_filter_decide(struct kp_node *node, const struct kp_filter_at *at,
		      const struct kp_match_pkt *pkt, bool log, struct kp_decision *d)
{
	struct kp_endpoint *dst = kp_ep_lookup_addr(&node->eps, pkt->family, pkt->daddr);
	struct kp_match_pkt m = *pkt;

	memset(d, 0, sizeof(*d));
	d->action = KPLANE_ACTION_ALLOW;
	d->view = m.view = kp_view(node);
	if (at->in_ifindex)
		kp_filter_arrived(node, at, &m, dst, log, d);
	else
		kp_filter_sent(node, at, &m, dst, log, d);
	if (dst && d->action == KPLANE_ACTION_ALLOW)
		kp_filter_step(d, dst, KPLANE_DIR_INGRESS, false, &m, log);
}

static void kp_match_of(const struct kp_pkt *p, struct kp_match_pkt *m)
{
	memset(m, 0, sizeof(*m));
	m->family = p->t.family;
	m->proto = p->t.proto;
	memcpy(m->saddr, p->t.saddr, 16);
	memcpy(m->daddr, p->t.daddr, 16);
	if (p->t.proto == IPPROTO_ICMP || p->t.proto == IPPROTO_ICMPV6) {
		m->icmp_type = p->icmp_type;
		m->icmp_code = p->icmp_code;
	} else {
		m->sport = ntohs(p->t.sport);
		m->dport = ntohs(p->t.dport);
	}
}

static struct kp_rule_stats __percpu *kp_step_stats(const struct kp_filter_step *s)
{
	const struct kp_verdict *v = &s->v;

	if (!v->policy)
		return NULL;
	return kp_counters_of(kp_pol_of(v->policy)->counters[s->dir], v->rule);
}

/*
 * Writes @d into @v, the revision last (see struct kp_flow_verdict).  A CPU
 * that decided under an older revision may store after a newer verdict: the
 * next reader re-checks, but one that read the newer revision just before
 * may count once into the older rules' counters, which therefore outlive
 * their policy by a grace period (policy.c, kp_pol_free_rcu).
 */
static void kp_verdict_store(struct kp_flow_verdict *v, const struct kp_decision *d, u32 rev)
{
	unsigned int i;

	WRITE_ONCE(v->action, d->action);
	for (i = 0; i < ARRAY_SIZE(v->stats); i++)
		WRITE_ONCE(v->stats[i], i < d->n_steps ? kp_step_stats(&d->steps[i]) : NULL);
	smp_store_release(&v->rev, rev);
}

static unsigned int kp_filter_verdict(struct kp_node *node, struct sk_buff *skb, u8 action,
				      unsigned int hook)
{
	if (action == KPLANE_ACTION_ALLOW) {
		if (kp_node_bypass_conntrack(node))
			kp_pkt_untrack(skb);
		return NF_ACCEPT;
	}
	kp_node_inc(node, policy_denied);
	if (kp_node_policy_reject(node) && hook == NF_INET_PRE_ROUTING) {
		if (skb->protocol == htons(ETH_P_IP))
			nf_send_unreach(skb, ICMP_PKT_FILTERED, hook);
		else
			nf_send_unreach6(node->net, skb, ICMPV6_ADM_PROHIBITED, hook);
	}
	return NF_DROP;
}

/* A packet of a cached flow: re-checked first if the policy moved on. */
static unsigned int kp_filter_cached(struct kp_node *node, struct sk_buff *skb,
				     const struct kp_pkt *p, struct kp_flow_node *fn,
				     unsigned int hook)
{
	struct kp_flow_verdict *v = &fn->flow->verdict;
	u32 rev = kp_pol_rev(node);

	if (smp_load_acquire(&v->rev) != rev) {
		const struct kp_filter_at at = { v->in_ifindex, v->out_ifindex };
		struct kp_decision d;

		kp_filter_decide(node, &at, &v->first, false, &d);
		kp_verdict_store(v, &d, rev);
		kp_node_inc(node, policy_checked);
	} else {
		kp_node_inc(node, policy_bypassed);
	}
	kp_flow_seen(fn, p->tcp_flags);
	kp_verdict_count(v->stats, skb->len);
	if (kp_filter_verdict(node, skb, READ_ONCE(v->action), hook) != NF_ACCEPT)
		return NF_DROP;
	if (hook != NF_INET_PRE_ROUTING ||
	    !kp_fast_xmit(node, skb, p, v, fn->role != KP_ROLE_ORIG_PRE))
		return NF_ACCEPT;
	kp_node_inc(node, fast_forwarded);
	return NF_STOLEN;
}

/*
 * Worth a flow entry: an endpoint involved has policy in some direction (its
 * replies must pass as part of the flow; with no policy anywhere every
 * packet is allowed, no state needed), and a flow we can key: ports, an ICMP
 * echo, or another protocol (no ports).  Other ICMP and later fragments are
 * evaluated one by one.
 */
static bool kp_filter_cacheable(const struct kp_pkt *p, const struct kp_decision *d)
{
	unsigned int i;
	bool policy = false;

	for (i = 0; i < d->n_steps; i++)
		policy |= kp_ep_has_policy(d->steps[i].ep, d->view);
	if (!policy)
		return false;
	if (p->t.proto == IPPROTO_ICMP || p->t.proto == IPPROTO_ICMPV6)
		return kp_pkt_is_echo(p);
	return p->has_l4 || !(p->t.proto == IPPROTO_TCP || p->t.proto == IPPROTO_UDP ||
			      p->t.proto == IPPROTO_SCTP);
}

static unsigned int kp_filter_first(struct kp_node *node, struct sk_buff *skb,
				    const struct kp_pkt *p, const struct kp_filter_at *at,
				    unsigned int hook)
{
	struct kp_flow_verdict v = { .in_ifindex = at->in_ifindex, .out_ifindex = at->out_ifindex };
	u32 rev = kp_pol_rev(node);
	struct kp_flow_node *fn;
	struct kp_decision d;

	kp_match_of(p, &v.first);
	kp_filter_decide(node, at, &v.first, true, &d);
	if (d.failsafe)
		kp_node_inc(node, policy_failsafe);
	if (!d.n_steps)
		return NF_ACCEPT;
	kp_node_inc(node, policy_checked);
	kp_verdict_store(&v, &d, rev);
	kp_verdict_count(v.stats, skb->len);
	if (!kp_filter_cacheable(p, &d))
		return kp_filter_verdict(node, skb, d.action, hook);
	v.reply_ifindex = kp_filter_reply_ifindex(node, at, &v.first);
	fn = kp_flow_create_verdict(&node->flows, &p->t, &v);
	if (!IS_ERR(fn))
		return kp_filter_verdict(node, skb, d.action, hook);
	if (PTR_ERR(fn) != -ENOSPC)
		return kp_filter_verdict(node, skb, d.action, hook);
	/* Table full: new flows are refused, node-critical ones pass. */
	if (!kp_failsafe(node, at, &v.first))
		return NF_DROP;
	if (!d.failsafe)
		kp_node_inc(node, policy_failsafe);
	return kp_filter_verdict(node, skb, d.action, hook);
}

/*
 * Neighbour discovery and MLD belong to the link, not to a flow: policy
 * never sees them (as Calico always allows them), or a pod with ingress
 * policy would lose its neighbours.
 */
static bool kp_filter_exempt(const struct kp_pkt *p)
{
	return p->t.proto == IPPROTO_ICMPV6 && p->has_l4 &&
	       ((p->icmp_type >= ICMPV6_MGM_QUERY && p->icmp_type <= NDISC_REDIRECT) ||
		p->icmp_type == ICMPV6_MLD2_REPORT);
}

/*
 * An ICMP error about a packet of an approved flow (a port unreachable, a
 * path MTU's "too big") belongs to that flow, as conntrack's RELATED: it
 * passes whatever the policy says of ICMP, or a pod with ingress policy
 * would never learn its peer's MTU.  A verdict older than the policy does
 * not vouch for it: the error is then judged as itself.
 */
static bool kp_filter_related(struct kp_node *node, struct sk_buff *skb, const struct kp_pkt *p)
{
	const struct kp_flow_verdict *v;
	struct kp_flow_node *fn;
	struct kp_tuple quoted;

	if (!kp_pkt_icmp_quoted(skb, p, KP_STAGE_POLICY, &quoted, NULL))
		return false;
	fn = kp_flow_lookup(&node->flows, &quoted);
	if (!fn || fn->key.stage != KP_STAGE_POLICY)
		return false;
	v = &fn->flow->verdict;
	if (smp_load_acquire(&v->rev) != kp_pol_rev(node) ||
	    READ_ONCE(v->action) != KPLANE_ACTION_ALLOW)
		return false;
	kp_node_inc(node, policy_related);
	if (kp_node_bypass_conntrack(node))
		kp_pkt_untrack(skb);
	return true;
}

unsigned int kp_filter_packet(struct kp_node *node, struct sk_buff *skb, struct kp_pkt *p,
			      const struct kp_filter_at *at, unsigned int hook)
{
	struct kp_flow_node *fn;

	if (!READ_ONCE(node->eps.count) || kp_filter_exempt(p))
		return NF_ACCEPT;
	p->t.stage = KP_STAGE_POLICY;
	fn = kp_flow_lookup(&node->flows, &p->t);
	if (fn && kp_filter_iif_ok(node, fn, at->in_ifindex))
		return kp_filter_cached(node, skb, p, fn, hook);
	if (kp_filter_spoofed(node, at, p)) {
		kp_node_inc(node, spoofed);
		return NF_DROP;
	}
	if (kp_filter_related(node, skb, p))
		return NF_ACCEPT;
	return kp_filter_first(node, skb, p, at, hook);
}
