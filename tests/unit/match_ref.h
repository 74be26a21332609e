/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differential test of the policy matcher, shared by tests/unit (ASan)
 * and tests/kunit: random tiers of random policies over a small address
 * space, random packets, and kp_prog_eval() checked against a deliberately
 * simple reference evaluator (linear scans, bit-by-bit prefix compares).
 *
 * The including file provides kp_ref_set_new(): an IP set holding @n
 * prefixes (it takes the array), whose kp_ipset_members() is the built set.
 */
#ifndef KP_MATCH_REF_H
#define KP_MATCH_REF_H

#include "match.h"

struct kp_ipset *kp_ref_set_new(struct kp_prefix *p, unsigned int n);
void kp_ref_set_free(struct kp_ipset *set);

/* A policy the tests built alone, outside any node. */
static inline void kp_policy_free(struct kp_policy *pol)
{
	if (!pol)
		return;
	kp_policy_release(pol);
	kp_free(pol);
}

struct kp_ref_rng {
	u64 s;
};

static u32 kp_ref_rand(struct kp_ref_rng *r, u32 n)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (u32)((r->s >> 11) % n);
}

static const u8 kp_ref_protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
				    IPPROTO_ICMPV6, IPPROTO_SCTP };

/* Addresses 10.0.{0,1}.{0..7} and fd00::{0,1}:{0..7}, so rules hit often. */
static void kp_ref_addr(struct kp_ref_rng *r, u8 family, u8 *a)
{
	memset(a, 0, 16);
	if (family == AF_INET) {
		a[0] = 10;
		a[2] = (u8)kp_ref_rand(r, 2);
		a[3] = (u8)kp_ref_rand(r, 8);
	} else {
		a[0] = 0xfd;
		a[14] = (u8)kp_ref_rand(r, 2);
		a[15] = (u8)kp_ref_rand(r, 8);
	}
}

static u8 kp_ref_family(struct kp_ref_rng *r)
{
	return kp_ref_rand(r, 5) ? AF_INET : AF_INET6;
}

static void kp_ref_prefix(struct kp_ref_rng *r, struct kp_prefix *p)
{
	static const u8 len4[] = { 0, 8, 23, 24, 29, 30, 32 };
	static const u8 len6[] = { 0, 8, 119, 120, 125, 127, 128 };

	memset(p, 0, sizeof(*p));
	p->family = kp_ref_family(r);
	p->len = p->family == AF_INET ? len4[kp_ref_rand(r, 7)] : len6[kp_ref_rand(r, 7)];
	kp_ref_addr(r, p->family, p->addr);
	kp_prefix_mask(p);
}

static void kp_ref_nets(struct kp_ref_rng *r, struct kp_prefix_set *s)
{
	unsigned int n = 1 + kp_ref_rand(r, 3), i;
	struct kp_prefix *p = kp_zalloc(n * sizeof(*p));

	for (i = 0; i < n; i++)
		kp_ref_prefix(r, &p[i]);
	kp_prefix_set_build(s, p, n);
}

static void kp_ref_sets(struct kp_ref_rng *r, struct kp_ipset **pool, unsigned int n_pool,
			struct kp_ipset ***out, u8 *n)
{
	unsigned int i;

	*n = (u8)(1 + kp_ref_rand(r, 2));
	*out = kp_zalloc(*n * sizeof(**out));
	for (i = 0; i < *n; i++)
		(*out)[i] = pool[kp_ref_rand(r, n_pool)];
}

static void kp_ref_ports(struct kp_ref_rng *r, struct kp_port_range **out, u16 *n)
{
	unsigned int i;

	*n = (u16)(1 + kp_ref_rand(r, 2));
	*out = kp_zalloc(*n * sizeof(**out));
	for (i = 0; i < *n; i++) {
		(*out)[i].lo = (u16)kp_ref_rand(r, 20);
		(*out)[i].hi = (u16)((*out)[i].lo + kp_ref_rand(r, 4));
	}
}

static void kp_ref_side(struct kp_ref_rng *r, struct kp_rule_side *s, bool ports,
			struct kp_ipset **pool, unsigned int n_pool)
{
	if (!kp_ref_rand(r, 4))
		kp_ref_nets(r, &s->nets);
	if (!kp_ref_rand(r, 5))
		kp_ref_nets(r, &s->not_nets);
	if (!kp_ref_rand(r, 4))
		kp_ref_sets(r, pool, n_pool, &s->sets, &s->n_sets);
	if (!kp_ref_rand(r, 5))
		kp_ref_sets(r, pool, n_pool, &s->not_sets, &s->n_not_sets);
	if (ports && !kp_ref_rand(r, 3))
		kp_ref_ports(r, &s->ports, &s->n_ports);
	if (ports && !kp_ref_rand(r, 4))
		kp_ref_ports(r, &s->not_ports, &s->n_not_ports);
}

static void kp_ref_rule(struct kp_ref_rng *r, struct kp_rule *rule,
			struct kp_ipset **pool, unsigned int n_pool)
{
	static const u8 actions[] = { KPLANE_ACTION_ALLOW, KPLANE_ACTION_DENY, KPLANE_ACTION_ALLOW,
				      KPLANE_ACTION_DENY, KPLANE_ACTION_PASS, KPLANE_ACTION_LOG };
	bool ports = false, icmp = false;

	memset(rule, 0, sizeof(*rule));
	rule->action = actions[kp_ref_rand(r, sizeof(actions))];
	if (kp_ref_rand(r, 2)) {
		rule->flags |= KP_RULE_PROTO;
		rule->proto = kp_ref_protos[kp_ref_rand(r, sizeof(kp_ref_protos))];
		ports = rule->proto != IPPROTO_ICMP && rule->proto != IPPROTO_ICMPV6;
		icmp = !ports;
	}
	if (!kp_ref_rand(r, 6)) {
		rule->flags |= KP_RULE_NOT_PROTO;
		rule->not_proto = kp_ref_protos[kp_ref_rand(r, sizeof(kp_ref_protos))];
		if (rule->not_proto == rule->proto)
			rule->flags &= ~KP_RULE_NOT_PROTO;
	}
	if (icmp && kp_ref_rand(r, 2)) {
		rule->flags |= KP_RULE_ICMP_TYPE | (kp_ref_rand(r, 2) ? KP_RULE_ICMP_CODE : 0);
		rule->icmp_type = (u8)kp_ref_rand(r, 3);
		rule->icmp_code = (u8)kp_ref_rand(r, 2);
	}
	if (icmp && !kp_ref_rand(r, 3)) {
		rule->flags |= KP_RULE_NOT_ICMP_TYPE | (kp_ref_rand(r, 2) ? KP_RULE_NOT_ICMP_CODE : 0);
		rule->not_icmp_type = (u8)kp_ref_rand(r, 3);
		rule->not_icmp_code = (u8)kp_ref_rand(r, 2);
	}
	kp_ref_side(r, &rule->src, ports, pool, n_pool);
	kp_ref_side(r, &rule->dst, ports, pool, n_pool);
}

static struct kp_policy *kp_ref_policy(struct kp_ref_rng *r, unsigned int idx,
				       struct kp_ipset **pool, unsigned int n_pool)
{
	struct kp_policy *pol = kp_zalloc(sizeof(*pol));
	unsigned int d, i;

	pol->id[0] = (char)('a' + idx % 26);
	pol->order = kp_ref_rand(r, 3);
	pol->types = (u8)kp_ref_rand(r, 4);
	pol->apply_on_forward = kp_ref_rand(r, 2);
	for (d = 0; d < __KPLANE_DIR_MAX; d++) {
		pol->n_rules[d] = kp_ref_rand(r, 5);
		pol->rules[d] = kp_zalloc((pol->n_rules[d] + 1) * sizeof(struct kp_rule));
		for (i = 0; i < pol->n_rules[d]; i++)
			kp_ref_rule(r, &pol->rules[d][i], pool, n_pool);
	}
	/* Half indexed whatever their size: both ways of walking rules are checked. */
	if (kp_ref_rand(r, 2))
		kp_policy_index(pol, 0);	/* out of memory: walked rule by rule */
	return pol;
}

/* --- the reference --- */

static bool kp_ref_in_prefix(const struct kp_prefix *p, u8 family, const u8 *a)
{
	unsigned int bit;

	if (p->family != family)
		return false;
	for (bit = 0; bit < p->len; bit++) {
		u8 m = (u8)(0x80 >> (bit % 8));

		if ((p->addr[bit / 8] & m) != (a[bit / 8] & m))
			return false;
	}
	return true;
}

static bool kp_ref_in_any(const struct kp_prefix_set *s, u8 family, const u8 *a)
{
	unsigned int i;

	for (i = 0; s && i < s->n; i++)
		if (kp_ref_in_prefix(&s->p[i], family, a))
			return true;
	return false;
}

static bool kp_ref_in_ports(const struct kp_port_range *p, unsigned int n, u16 port)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (p[i].lo <= port && port <= p[i].hi)
			return true;
	return false;
}

static bool kp_ref_side_ok(const struct kp_rule_side *s, u8 family, const u8 *a, u16 port)
{
	unsigned int i;

	if (s->nets.n && !kp_ref_in_any(&s->nets, family, a))
		return false;
	if (kp_ref_in_any(&s->not_nets, family, a))
		return false;
	for (i = 0; i < s->n_sets; i++)
		if (!kp_ref_in_any(kp_ipset_members(s->sets[i], 0), family, a))
			return false;
	for (i = 0; i < s->n_not_sets; i++)
		if (kp_ref_in_any(kp_ipset_members(s->not_sets[i], 0), family, a))
			return false;
	if (s->n_ports && !kp_ref_in_ports(s->ports, s->n_ports, port))
		return false;
	return !kp_ref_in_ports(s->not_ports, s->n_not_ports, port);
}

static bool kp_ref_rule_ok(const struct kp_rule *r, const struct kp_match_pkt *p)
{
	bool icmp = p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6;

	if ((r->flags & KP_RULE_PROTO) && r->proto != p->proto)
		return false;
	if ((r->flags & KP_RULE_NOT_PROTO) && r->not_proto == p->proto)
		return false;
	if ((r->flags & KP_RULE_ICMP_TYPE) && (!icmp || r->icmp_type != p->icmp_type))
		return false;
	if ((r->flags & KP_RULE_ICMP_CODE) && r->icmp_code != p->icmp_code)
		return false;
	if ((r->flags & KP_RULE_NOT_ICMP_TYPE) && icmp && r->not_icmp_type == p->icmp_type &&
	    (!(r->flags & KP_RULE_NOT_ICMP_CODE) || r->not_icmp_code == p->icmp_code))
		return false;
	return kp_ref_side_ok(&r->src, p->family, p->saddr, p->sport) &&
	       kp_ref_side_ok(&r->dst, p->family, p->daddr, p->dport);
}

static void kp_ref_eval(const struct kp_prog *prog, unsigned int dir,
			const struct kp_match_pkt *p, struct kp_verdict *v, unsigned int *logs)
{
	unsigned int t, q, i;
	bool passed = false;

	*logs = 0;
	memset(v, 0, sizeof(*v));
	v->tier = -1;
	v->rule = -1;
	for (t = 0; t < prog->n_tiers; t++) {
		bool applies = false;

		for (q = 0; q < prog->tiers[t].n; q++) {
			const struct kp_policy *pol = prog->tiers[t].pols[q];

			if (!(pol->types & (1U << dir)))
				continue;
			if (p->forwarded && !pol->apply_on_forward)
				continue;
			applies = true;
			for (i = 0; i < pol->n_rules[dir]; i++) {
				const struct kp_rule *r = &pol->rules[dir][i];

				if (!kp_ref_rule_ok(r, p))
					continue;
				if (r->action == KPLANE_ACTION_LOG) {
					(*logs)++;
				} else if (r->action == KPLANE_ACTION_PASS) {
					passed = true;
					goto next_tier;
				} else {
					v->action = r->action;
					v->reason = KPLANE_REASON_RULE;
					v->tier = (s32)t;
					v->policy = pol;
					v->rule = (s32)i;
					return;
				}
			}
		}
		if (applies) {
			v->action = KPLANE_ACTION_DENY;
			v->reason = KPLANE_REASON_END_OF_TIER;
			v->tier = (s32)t;
			return;
		}
next_tier:;
	}
	v->action = KPLANE_ACTION_ALLOW;
	v->reason = passed ? KPLANE_REASON_PASSED : KPLANE_REASON_NO_POLICY;
}

static void kp_ref_count_log(void *arg, const struct kp_policy *pol, unsigned int dir,
			     unsigned int rule, const struct kp_match_pkt *pkt)
{
	(void)pol, (void)dir, (void)rule, (void)pkt;
	(*(unsigned int *)arg)++;
}

static void kp_ref_packet(struct kp_ref_rng *r, struct kp_match_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->family = kp_ref_family(r);
	p->proto = kp_ref_protos[kp_ref_rand(r, sizeof(kp_ref_protos))];
	kp_ref_addr(r, p->family, p->saddr);
	kp_ref_addr(r, p->family, p->daddr);
	p->forwarded = !kp_ref_rand(r, 4);
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		p->icmp_type = (u8)kp_ref_rand(r, 3);
		p->icmp_code = (u8)kp_ref_rand(r, 2);
	} else {
		p->sport = (u16)kp_ref_rand(r, 24);
		p->dport = (u16)kp_ref_rand(r, 24);
	}
}

#define KP_REF_SETS 4
#define KP_REF_MAX_POLS 12

/*
 * @rounds random programs, @packets packets each, both directions.
 * Returns the number of disagreements; @rules_seen/@decided say how much
 * the run exercised (invalid generated rules would be a generator bug).
 */
static unsigned int kp_ref_differential(u64 seed, unsigned int rounds, unsigned int packets,
					unsigned int *decided, unsigned int *invalid)
{
	struct kp_ref_rng r = { seed | 1 };
	unsigned int round, bad = 0;

	*decided = *invalid = 0;
	for (round = 0; round < rounds; round++) {
		struct kp_ipset *pool[KP_REF_SETS];
		struct kp_policy *pols[KP_REF_MAX_POLS];
		const struct kp_policy *order[KP_REF_MAX_POLS];
		struct kp_tier_prog tiers[4];
		struct kp_prog prog = { 1 + kp_ref_rand(&r, 4), tiers };
		unsigned int n_pols = 0, t, i, k;

		for (i = 0; i < KP_REF_SETS; i++) {
			unsigned int n = kp_ref_rand(&r, 6);
			struct kp_prefix *p = kp_zalloc((n + 1) * sizeof(*p));

			for (k = 0; k < n; k++)
				kp_ref_prefix(&r, &p[k]);
			pool[i] = kp_ref_set_new(p, n);
		}
		for (t = 0; t < prog.n_tiers; t++) {
			unsigned int n = kp_ref_rand(&r, 4);

			tiers[t].name = "tier";
			tiers[t].pols = &order[n_pols];
			tiers[t].n = n;
			for (i = 0; i < n; i++, n_pols++) {
				pols[n_pols] = kp_ref_policy(&r, n_pols, pool, KP_REF_SETS);
				order[n_pols] = pols[n_pols];
			}
			sort(tiers[t].pols, n, sizeof(*tiers[t].pols), kp_policy_cmp, NULL);
		}
		for (i = 0; i < n_pols; i++)
			for (k = 0; k < pols[i]->n_rules[0] + pols[i]->n_rules[1]; k++)
				*invalid += !!kp_rule_invalid(&pols[i]->rules[k >= pols[i]->n_rules[0]]
							      [k >= pols[i]->n_rules[0] ?
							       k - pols[i]->n_rules[0] : k]);
		for (k = 0; k < packets; k++) {
			struct kp_match_pkt p;
			unsigned int dir = kp_ref_rand(&r, 2), logs = 0, ref_logs;
			struct kp_verdict v, want;

			kp_ref_packet(&r, &p);
			rcu_read_lock();	/* sets are read as the datapath reads them */
			kp_prog_eval(&prog, dir, &p, kp_ref_count_log, &logs, &v);
			kp_ref_eval(&prog, dir, &p, &want, &ref_logs);
			rcu_read_unlock();
			if (v.action != want.action || v.reason != want.reason ||
			    v.tier != want.tier || v.policy != want.policy ||
			    v.rule != want.rule || logs != ref_logs)
				bad++;
			*decided += v.reason == KPLANE_REASON_RULE;
		}
		for (i = 0; i < n_pols; i++)
			kp_policy_free(pols[i]);
		for (i = 0; i < KP_REF_SETS; i++)
			kp_ref_set_free(pool[i]);
	}
	return bad;
}

#endif /* KP_MATCH_REF_H */
