// SPDX-License-Identifier: GPL-2.0
/* The policy matcher (match.h): Calico's tier/policy/rule semantics. */
#include "match.h"

static bool kp_proto_has_ports(u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

static bool kp_proto_is_icmp(u8 proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static const char *kp_ports_invalid(const struct kp_port_range *r, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (r[i].lo > r[i].hi)
			return "port range is upside down (first port above last)";
	return NULL;
}

static const char *kp_side_invalid(const struct kp_rule *r, const struct kp_rule_side *s)
{
	bool ports = s->n_ports || s->n_not_ports;

	if (ports && (!(r->flags & KP_RULE_PROTO) || !kp_proto_has_ports(r->proto)))
		return "ports need protocol tcp, udp or sctp";
	if (s->n_sets > KP_RULE_SETS_MAX || s->n_not_sets > KP_RULE_SETS_MAX)
		return "too many IP sets in one rule";
	if (s->n_ports > KP_RULE_PORTS_MAX || s->n_not_ports > KP_RULE_PORTS_MAX)
		return "too many port ranges in one rule";
	if (s->nets.n > KP_RULE_NETS_MAX || s->not_nets.n > KP_RULE_NETS_MAX)
		return "too many nets in one rule";
	return kp_ports_invalid(s->ports, s->n_ports) ?:
	       kp_ports_invalid(s->not_ports, s->n_not_ports);
}

const char *kp_rule_invalid(const struct kp_rule *r)
{
	bool icmp = r->flags & (KP_RULE_ICMP_TYPE | KP_RULE_NOT_ICMP_TYPE);

	if (r->action >= __KPLANE_ACTION_MAX)
		return "unknown action";
	if (icmp && (!(r->flags & KP_RULE_PROTO) || !kp_proto_is_icmp(r->proto)))
		return "ICMP type and code need protocol icmp or icmpv6";
	if (((r->flags & KP_RULE_ICMP_CODE) && !(r->flags & KP_RULE_ICMP_TYPE)) ||
	    ((r->flags & KP_RULE_NOT_ICMP_CODE) && !(r->flags & KP_RULE_NOT_ICMP_TYPE)))
		return "an ICMP code needs an ICMP type";
	if (((r->flags & KP_RULE_ICMP_TYPE) && r->icmp_type == 255) ||
	    ((r->flags & KP_RULE_NOT_ICMP_TYPE) && r->not_icmp_type == 255))
		return "ICMP type must be 0..254";
	if ((r->flags & KP_RULE_PROTO) && (r->flags & KP_RULE_NOT_PROTO) &&
	    r->proto == r->not_proto)
		return "protocol and not-protocol are the same";
	return kp_side_invalid(r, &r->src) ?: kp_side_invalid(r, &r->dst);
}

static bool kp_in_ranges(const struct kp_port_range *r, unsigned int n, u16 port)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return true;
	return false;
}

static bool kp_in_set(const struct kp_ipset *set, const struct kp_match_pkt *pkt,
		      const u8 *addr)
{
	return kp_prefix_set_lookup(kp_ipset_members(set, pkt->view), pkt->family, addr);
}

static bool kp_side_match(const struct kp_rule_side *s, const struct kp_match_pkt *pkt,
			  const u8 *addr, u16 port)
{
	unsigned int i;

	if (s->nets.n && !kp_prefix_set_lookup(&s->nets, pkt->family, addr))
		return false;
	if (kp_prefix_set_lookup(&s->not_nets, pkt->family, addr))
		return false;
	for (i = 0; i < s->n_sets; i++)
		if (!kp_in_set(s->sets[i], pkt, addr))
			return false;
	for (i = 0; i < s->n_not_sets; i++)
		if (kp_in_set(s->not_sets[i], pkt, addr))
			return false;
	/* Rules with ports name a protocol with ports (kp_rule_invalid). */
	if (s->n_ports && !kp_in_ranges(s->ports, s->n_ports, port))
		return false;
	return !kp_in_ranges(s->not_ports, s->n_not_ports, port);
}

static bool kp_icmp_match(const struct kp_rule *r, const struct kp_match_pkt *pkt)
{
	bool icmp = kp_proto_is_icmp(pkt->proto);

	if (r->flags & KP_RULE_ICMP_TYPE) {
		if (!icmp || pkt->icmp_type != r->icmp_type)
			return false;
		if ((r->flags & KP_RULE_ICMP_CODE) && pkt->icmp_code != r->icmp_code)
			return false;
	}
	if ((r->flags & KP_RULE_NOT_ICMP_TYPE) && icmp && pkt->icmp_type == r->not_icmp_type &&
	    (!(r->flags & KP_RULE_NOT_ICMP_CODE) || pkt->icmp_code == r->not_icmp_code))
		return false;
	return true;
}

bool kp_rule_match(const struct kp_rule *r, const struct kp_match_pkt *pkt)
{
	if ((r->flags & KP_RULE_PROTO) && pkt->proto != r->proto)
		return false;
	if ((r->flags & KP_RULE_NOT_PROTO) && pkt->proto == r->not_proto)
		return false;
	return kp_icmp_match(r, pkt) &&
	       kp_side_match(&r->src, pkt, pkt->saddr, pkt->sport) &&
	       kp_side_match(&r->dst, pkt, pkt->daddr, pkt->dport);
}

static void kp_side_release(struct kp_rule_side *s)
{
	kp_free(s->nets.p);
	kp_free(s->not_nets.p);
	kp_free(s->sets);
	kp_free(s->not_sets);
	kp_free(s->ports);
	kp_free(s->not_ports);
	memset(s, 0, sizeof(*s));
}

void kp_rule_release(struct kp_rule *r)
{
	kp_side_release(&r->src);
	kp_side_release(&r->dst);
}

void kp_policy_release(struct kp_policy *pol)
{
	unsigned int d, i;

	for (d = 0; d < __KPLANE_DIR_MAX; d++) {
		for (i = 0; pol->rules[d] && i < pol->n_rules[d]; i++)
			kp_rule_release(&pol->rules[d][i]);
		kp_free(pol->rules[d]);
		kp_rule_index_free(pol->index[d]);
	}
}

/* --- the index (struct kp_rule_index) --- */

/* The destination ports @r names, or 0 if it names none or too many to key. */
static u32 kp_rule_keys(const struct kp_rule *r)
{
	u32 i, n = 0;

	for (i = 0; i < r->dst.n_ports; i++) {
		n += (u32)r->dst.ports[i].hi - r->dst.ports[i].lo + 1;
		if (n > KP_INDEX_RULE_PORTS)
			return 0;
	}
	return n;
}

static u64 kp_index_key(u8 proto, u16 port)
{
	return (u64)proto << 48 | (u64)port << 32;
}

static int kp_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

void kp_rule_index_free(struct kp_rule_index *ix)
{
	if (!ix)
		return;
	kp_free(ix->keyed);
	kp_free(ix->wild);
	kp_free(ix);
}

static struct kp_rule_index *kp_rule_index_build(const struct kp_rule *rules, u32 n)
{
	struct kp_rule_index *ix = kp_zalloc(sizeof(*ix));
	u32 i, j, keys = 0;

	if (!ix)
		return NULL;
	for (i = 0; i < n; i++)
		keys += kp_rule_keys(&rules[i]);
	ix->keyed = kp_zalloc((keys + 1) * sizeof(*ix->keyed));
	ix->wild = kp_zalloc((n + 1) * sizeof(*ix->wild));
	if (!ix->keyed || !ix->wild) {
		kp_rule_index_free(ix);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const struct kp_rule *r = &rules[i];

		if (!kp_rule_keys(r)) {
			ix->wild[ix->n_wild++] = i;
			continue;
		}
		/* Ports imply a protocol with ports (kp_rule_invalid). */
		for (j = 0; j < r->dst.n_ports; j++) {
			u32 port;

			for (port = r->dst.ports[j].lo; port <= r->dst.ports[j].hi; port++)
				ix->keyed[ix->n_keyed++] = kp_index_key(r->proto, (u16)port) | i;
		}
	}
	sort(ix->keyed, ix->n_keyed, sizeof(*ix->keyed), kp_u64_cmp, NULL);
	/* Overlapping ranges key a rule twice under one port: once is enough (Log). */
	for (i = j = 0; i < ix->n_keyed; i++)
		if (!j || ix->keyed[i] != ix->keyed[j - 1])
			ix->keyed[j++] = ix->keyed[i];
	ix->n_keyed = j;
	return ix;
}

int kp_policy_index(struct kp_policy *pol, u32 min_rules)
{
	unsigned int d;

	for (d = 0; d < __KPLANE_DIR_MAX; d++) {
		if (pol->index[d] || pol->n_rules[d] < min_rules)
			continue;
		pol->index[d] = kp_rule_index_build(pol->rules[d], pol->n_rules[d]);
		if (!pol->index[d])
			return -ENOMEM;
	}
	return 0;
}

/* Where @pkt's (protocol, port) rules are in @ix->keyed: [*first, *end). */
static void kp_index_find(const struct kp_rule_index *ix, const struct kp_match_pkt *pkt,
			  u32 *first, u32 *end)
{
	u64 key = kp_index_key(pkt->proto, pkt->dport);
	u32 lo = 0, hi = ix->n_keyed;

	if (!kp_proto_has_ports(pkt->proto)) {
		*first = *end = 0;
		return;
	}
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (ix->keyed[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = *end = lo;
	while (*end < ix->n_keyed && (ix->keyed[*end] >> 32) == (key >> 32))
		(*end)++;
}

int kp_policy_cmp(const void *a, const void *b)
{
	const struct kp_policy *x = *(const struct kp_policy * const *)a;
	const struct kp_policy *y = *(const struct kp_policy * const *)b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->id, y->id);
}

enum kp_tier_outcome { KP_TIER_DECIDED, KP_TIER_PASS, KP_TIER_SKIP, KP_TIER_END,
			KP_TIER_NEXT_RULE };

/* Rule @i of @pol: the first Allow/Deny decides, Pass leaves the tier, Log goes on. */
static enum kp_tier_outcome kp_rule_eval(const struct kp_policy *pol, unsigned int dir, u32 i,
					 const struct kp_match_pkt *pkt, kp_log_fn log,
					 void *arg, struct kp_verdict *v)
{
	const struct kp_rule *r = &pol->rules[dir][i];

	if (!kp_rule_match(r, pkt))
		return KP_TIER_NEXT_RULE;
	if (r->action == KPLANE_ACTION_LOG) {
		if (log)
			log(arg, pol, dir, i, pkt);
		return KP_TIER_NEXT_RULE;
	}
	if (r->action == KPLANE_ACTION_PASS)
		return KP_TIER_PASS;
	v->action = r->action;
	v->reason = KPLANE_REASON_RULE;
	v->policy = pol;
	v->rule = i;
	return KP_TIER_DECIDED;
}

/* @pol's rules in order: every one, or those its index gives @pkt. */
static enum kp_tier_outcome kp_policy_eval(const struct kp_policy *pol, unsigned int dir,
					   const struct kp_match_pkt *pkt, kp_log_fn log,
					   void *arg, struct kp_verdict *v)
{
	const struct kp_rule_index *ix = pol->index[dir];
	enum kp_tier_outcome o = KP_TIER_NEXT_RULE;
	u32 i, k, end, w = 0;

	if (!ix) {
		for (i = 0; i < pol->n_rules[dir] && o == KP_TIER_NEXT_RULE; i++)
			o = kp_rule_eval(pol, dir, i, pkt, log, arg, v);
		return o;
	}
	kp_index_find(ix, pkt, &k, &end);
	while ((k < end || w < ix->n_wild) && o == KP_TIER_NEXT_RULE) {
		if (k < end && (w == ix->n_wild || (u32)ix->keyed[k] < ix->wild[w]))
			i = (u32)ix->keyed[k++];
		else
			i = ix->wild[w++];
		o = kp_rule_eval(pol, dir, i, pkt, log, arg, v);
	}
	return o;
}

/* One tier: its policies in order, until a rule decides or passes. */
static enum kp_tier_outcome kp_tier_eval(const struct kp_tier_prog *t, unsigned int dir,
					 const struct kp_match_pkt *pkt, kp_log_fn log,
					 void *arg, struct kp_verdict *v)
{
	enum kp_tier_outcome o;
	bool applies = false;
	unsigned int p;

	for (p = 0; p < t->n; p++) {
		const struct kp_policy *pol = t->pols[p];

		if (!(pol->types & (1U << dir)) || (pkt->forwarded && !pol->apply_on_forward))
			continue;
		applies = true;
		o = kp_policy_eval(pol, dir, pkt, log, arg, v);
		if (o != KP_TIER_NEXT_RULE)
			return o;
	}
	return applies ? KP_TIER_END : KP_TIER_SKIP;
}

void kp_prog_eval(const struct kp_prog *prog, unsigned int dir, const struct kp_match_pkt *pkt,
		  kp_log_fn log, void *arg, struct kp_verdict *v)
{
	bool passed = false;
	unsigned int t;

	memset(v, 0, sizeof(*v));
	v->action = KPLANE_ACTION_ALLOW;
	v->reason = KPLANE_REASON_NO_POLICY;
	v->tier = -1;
	v->rule = -1;
	for (t = 0; prog && t < prog->n_tiers; t++) {
		switch (kp_tier_eval(&prog->tiers[t], dir, pkt, log, arg, v)) {
		case KP_TIER_DECIDED:
			v->tier = t;
			return;
		case KP_TIER_END:
			v->action = KPLANE_ACTION_DENY;
			v->reason = KPLANE_REASON_END_OF_TIER;
			v->tier = t;
			return;
		case KP_TIER_PASS:
			passed = true;
			break;
		case KP_TIER_SKIP:
		case KP_TIER_NEXT_RULE:		/* within a tier only */
			break;
		}
	}
	if (passed)
		v->reason = KPLANE_REASON_PASSED;
}
