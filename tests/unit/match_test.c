// SPDX-License-Identifier: GPL-2.0
/*
 * kmod/lib/prefix.c and kmod/lib/match.c in userspace: prefix sets, rule criteria,
 * tier semantics, and a differential test of kp_prog_eval() against a
 * deliberately simple reference evaluator over random policies and packets.
 */
#include <stdlib.h>
#include "kp_test.h"
#include "match.h"
#include "match_ref.h"

/* The unit tests' IP sets: the built set, and the raw list the reference uses. */
struct kp_ipset {
	struct kp_ipset_view v;		/* one view here: both point at d */
	struct kp_ipset_data d;
	unsigned int n;
	struct kp_prefix raw[8];
};

static void set_publish(struct kp_ipset *set)
{
	set->v.data[0] = set->v.data[1] = &set->d;
}

/* Whether @s holds exactly @p: a test's question, so a scan. */
static bool kp_prefix_set_has(const struct kp_prefix_set *s, const struct kp_prefix *p)
{
	u32 i;

	for (i = 0; i < s->n; i++)
		if (s->p[i].family == p->family && s->p[i].len == p->len &&
		    !memcmp(s->p[i].addr, p->addr, sizeof(p->addr)))
			return true;
	return false;
}

static struct kp_prefix pfx(u8 family, const char *bytes, u8 len)
{
	struct kp_prefix p = { .family = family, .len = len };

	memcpy(p.addr, bytes, family == AF_INET ? 4 : 16);
	return p;
}

static void test_prefix_longest(void)
{
	struct kp_prefix *a = calloc(5, sizeof(*a));
	struct kp_prefix_set s;
	const struct kp_prefix *hit;
	u8 ip[16] = { 10, 1, 2, 3 };

	a[0] = pfx(AF_INET, "\x0a\x00\x00\x00", 8);
	a[1] = pfx(AF_INET, "\x0a\x01\x00\x00", 16);
	a[2] = pfx(AF_INET, "\x0a\x01\x02\x03", 32);
	a[3] = pfx(AF_INET, "\x0a\x01\x00\x00", 16);	/* duplicate */
	a[4] = pfx(AF_INET6, "\x0a\x01\x02\x03\0\0\0\0\0\0\0\0\0\0\0\0", 32);
	KP_EXPECT(kp_prefix_set_build(&s, a, 5) == 4);
	hit = kp_prefix_set_lookup(&s, AF_INET, ip);
	KP_EXPECT(hit && hit->len == 32);
	ip[3] = 4;
	hit = kp_prefix_set_lookup(&s, AF_INET, ip);
	KP_EXPECT(hit && hit->len == 16);
	ip[1] = 9;
	hit = kp_prefix_set_lookup(&s, AF_INET, ip);
	KP_EXPECT(hit && hit->len == 8);
	ip[0] = 11;
	KP_EXPECT(!kp_prefix_set_lookup(&s, AF_INET, ip));
	ip[0] = 10, ip[1] = 1, ip[2] = 2, ip[3] = 3;
	hit = kp_prefix_set_lookup(&s, AF_INET6, ip);	/* same bytes, other family */
	KP_EXPECT(hit && hit->family == AF_INET6);
	KP_EXPECT(kp_prefix_set_has(&s, &a[1]) && !kp_prefix_set_lookup(NULL, AF_INET, ip));
	free(a);
}

static void test_prefix_mask_and_limits(void)
{
	struct kp_prefix p = pfx(AF_INET, "\x0a\x00\x00\x01", 8);
	struct kp_prefix all = pfx(AF_INET6, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 0);
	struct kp_prefix_set s;
	u8 ip[16] = { 0xfd };

	KP_EXPECT(!kp_prefix_mask(&p) && p.addr[3] == 0);
	KP_EXPECT(kp_prefix_mask(&p));
	KP_EXPECT(kp_prefix_invalid(AF_INET, 33) && kp_prefix_invalid(AF_INET6, 129));
	KP_EXPECT(!kp_prefix_invalid(AF_INET6, 128) && kp_prefix_invalid(7, 0));
	kp_prefix_set_build(&s, &all, 1);
	KP_EXPECT(kp_prefix_set_lookup(&s, AF_INET6, ip));	/* ::/0 holds everything */
	KP_EXPECT(!kp_prefix_set_lookup(&s, AF_INET, ip));
}

/* 100k members: built once, looked up by every member's first address. */
static void test_prefix_100k(void)
{
	unsigned int n = 100000, i, found = 0;
	struct kp_prefix *a = calloc(n, sizeof(*a));
	struct kp_prefix_set s;

	for (i = 0; i < n; i++) {
		a[i].family = AF_INET;
		a[i].len = i % 2 ? 32 : 30;
		a[i].addr[0] = 10;
		a[i].addr[1] = (u8)(i >> 14);
		a[i].addr[2] = (u8)(i >> 6);
		a[i].addr[3] = (u8)(i << 2);
		kp_prefix_mask(&a[i]);
	}
	kp_prefix_set_build(&s, a, n);
	for (i = 0; i < n; i++) {
		u8 ip[16] = { 10, (u8)(i >> 14), (u8)(i >> 6), (u8)(i << 2) };

		found += !!kp_prefix_set_lookup(&s, AF_INET, ip);
	}
	KP_EXPECT(found == n);
	free(a);
}

/* --- rules --- */

static struct kp_port_range *ranges(unsigned int n, u16 lo, u16 hi)
{
	struct kp_port_range *r = calloc(n, sizeof(*r));

	r[0].lo = lo;
	r[0].hi = hi;
	return r;
}

static struct kp_match_pkt pkt4(u8 proto, u8 s3, u16 sport, u8 d3, u16 dport)
{
	struct kp_match_pkt p = { .family = AF_INET, .proto = proto, .sport = sport,
				  .dport = dport };

	p.saddr[0] = p.daddr[0] = 10;
	p.saddr[3] = s3;
	p.daddr[3] = d3;
	return p;
}

static void test_rule_criteria(void)
{
	struct kp_rule r = { .action = KPLANE_ACTION_ALLOW, .flags = KP_RULE_PROTO,
			     .proto = IPPROTO_TCP };
	struct kp_match_pkt p = pkt4(IPPROTO_TCP, 1, 1000, 2, 80);

	KP_EXPECT(!kp_rule_invalid(&r) && kp_rule_match(&r, &p));
	r.dst.ports = ranges(1, 80, 90);
	r.dst.n_ports = 1;
	KP_EXPECT(kp_rule_match(&r, &p));
	p.dport = 91;
	KP_EXPECT(!kp_rule_match(&r, &p));
	r.dst.not_ports = ranges(1, 85, 85);
	r.dst.n_not_ports = 1;
	p.dport = 85;
	KP_EXPECT(!kp_rule_match(&r, &p));
	p.dport = 84;
	KP_EXPECT(kp_rule_match(&r, &p));
	p.proto = IPPROTO_UDP;
	KP_EXPECT(!kp_rule_match(&r, &p));
	r.dst.ports[0].lo = 100;
	KP_EXPECT_STR(kp_rule_invalid(&r), "port range is upside down (first port above last)");
	r.dst.ports[0].lo = 80;
	r.proto = IPPROTO_ICMP;
	KP_EXPECT_STR(kp_rule_invalid(&r), "ports need protocol tcp, udp or sctp");
	kp_rule_release(&r);
	r.flags = KP_RULE_NOT_PROTO;
	r.not_proto = IPPROTO_UDP;
	KP_EXPECT(kp_rule_match(&r, &p) == false);
	r.action = 9;
	KP_EXPECT_STR(kp_rule_invalid(&r), "unknown action");
}

static void test_rule_icmp(void)
{
	struct kp_rule r = { .flags = KP_RULE_PROTO | KP_RULE_ICMP_TYPE | KP_RULE_ICMP_CODE,
			     .proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 4 };
	struct kp_match_pkt p = pkt4(IPPROTO_ICMP, 1, 0, 2, 0);

	p.icmp_type = 3;
	p.icmp_code = 4;
	KP_EXPECT(!kp_rule_invalid(&r) && kp_rule_match(&r, &p));
	p.icmp_code = 1;
	KP_EXPECT(!kp_rule_match(&r, &p));
	r.flags = KP_RULE_PROTO | KP_RULE_NOT_ICMP_TYPE;
	r.not_icmp_type = 8;
	KP_EXPECT(kp_rule_match(&r, &p));
	p.icmp_type = 8;
	KP_EXPECT(!kp_rule_match(&r, &p));
	r.flags = KP_RULE_ICMP_TYPE;
	KP_EXPECT_STR(kp_rule_invalid(&r), "ICMP type and code need protocol icmp or icmpv6");
	r.flags = KP_RULE_PROTO | KP_RULE_ICMP_CODE;
	KP_EXPECT_STR(kp_rule_invalid(&r), "an ICMP code needs an ICMP type");
}

static void test_rule_sets_and_nets(void)
{
	struct kp_ipset a = { .n = 1 }, b = { .n = 1 }, *pa = &a, *pb = &b;
	struct kp_prefix *net = calloc(1, sizeof(*net));
	struct kp_rule r = { .action = KPLANE_ACTION_DENY };
	struct kp_match_pkt p = pkt4(IPPROTO_UDP, 5, 1, 6, 2);

	a.raw[0] = pfx(AF_INET, "\x0a\x00\x00\x00", 24);
	b.raw[0] = pfx(AF_INET, "\x0a\x00\x00\x05", 32);
	kp_prefix_set_build(&a.d.s, a.raw, 1);
	kp_prefix_set_build(&b.d.s, b.raw, 1);
	set_publish(&a);
	set_publish(&b);
	r.src.sets = &pa;
	r.src.n_sets = 1;
	r.src.not_sets = &pb;
	r.src.n_not_sets = 1;
	KP_EXPECT(!kp_rule_match(&r, &p));	/* 10.0.0.5 is in the not-set */
	p.saddr[3] = 7;
	KP_EXPECT(kp_rule_match(&r, &p));
	*net = pfx(AF_INET, "\x0a\x00\x00\x06", 32);
	kp_prefix_set_build(&r.dst.not_nets, net, 1);
	KP_EXPECT(!kp_rule_match(&r, &p));
	p.daddr[3] = 8;
	KP_EXPECT(kp_rule_match(&r, &p));
	p.family = AF_INET6;			/* v4 sets hold no v6 address */
	KP_EXPECT(!kp_rule_match(&r, &p));
	free(net);
}

/* --- tiers: hand-written cases of Calico's semantics --- */

static struct kp_policy *policy(const char *id, u32 order, u8 types, unsigned int n,
				const u8 *actions, const u16 *dports)
{
	struct kp_policy *pol = kp_zalloc(sizeof(*pol));
	unsigned int i;

	snprintf(pol->id, sizeof(pol->id), "%s", id);
	pol->order = order;
	pol->types = types;
	pol->n_rules[KPLANE_DIR_INGRESS] = n;
	pol->rules[KPLANE_DIR_INGRESS] = kp_zalloc(n * sizeof(struct kp_rule));
	for (i = 0; i < n; i++) {
		struct kp_rule *r = &pol->rules[KPLANE_DIR_INGRESS][i];

		r->action = actions[i];
		if (dports[i]) {
			r->flags = KP_RULE_PROTO;
			r->proto = IPPROTO_TCP;
			r->dst.ports = ranges(1, dports[i], dports[i]);
			r->dst.n_ports = 1;
		}
	}
	return pol;
}

static int logs;

static void count_log(void *arg, const struct kp_policy *pol, unsigned int dir,
		      unsigned int rule, const struct kp_match_pkt *pkt)
{
	(void)arg, (void)pol, (void)dir, (void)rule, (void)pkt;
	logs++;
}

static void test_tiers(void)
{
	static const u8 deny80_allow[] = { KPLANE_ACTION_LOG, KPLANE_ACTION_DENY,
					   KPLANE_ACTION_PASS };
	static const u16 deny80_ports[] = { 0, 80, 81 };
	static const u8 allow_all[] = { KPLANE_ACTION_ALLOW };
	static const u16 any[] = { 0 };
	struct kp_policy *t1 = policy("t1", 1, KPLANE_POLICY_INGRESS, 3, deny80_allow, deny80_ports);
	struct kp_policy *t2 = policy("t2", 1, KPLANE_POLICY_INGRESS, 1, allow_all, any);
	struct kp_policy *egress_only = policy("e", 0, KPLANE_POLICY_EGRESS, 0, NULL, NULL);
	const struct kp_policy *tier1[] = { egress_only, t1 }, *tier2[] = { t2 };
	struct kp_tier_prog tiers[] = { { "one", 2, tier1 }, { "two", 1, tier2 } };
	struct kp_prog prog = { 2, tiers };
	struct kp_match_pkt p = pkt4(IPPROTO_TCP, 1, 1000, 2, 80);
	struct kp_verdict v;

	kp_prog_eval(&prog, KPLANE_DIR_INGRESS, &p, count_log, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_DENY && v.reason == KPLANE_REASON_RULE);
	KP_EXPECT(v.tier == 0 && v.policy == t1 && v.rule == 1 && logs == 1);
	p.dport = 81;			/* Pass: tier two allows */
	kp_prog_eval(&prog, KPLANE_DIR_INGRESS, &p, count_log, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_ALLOW && v.tier == 1 && v.policy == t2 && v.rule == 0);
	p.dport = 82;			/* tier one has policies, none decided */
	kp_prog_eval(&prog, KPLANE_DIR_INGRESS, &p, NULL, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_DENY && v.reason == KPLANE_REASON_END_OF_TIER);
	KP_EXPECT(v.tier == 0 && !v.policy && v.rule == -1);
	/* Egress: tier one's egress policy has no rules: denied at its end. */
	kp_prog_eval(&prog, KPLANE_DIR_EGRESS, &p, NULL, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_DENY && v.reason == KPLANE_REASON_END_OF_TIER);
	/* No tier applies: allowed. */
	kp_prog_eval(NULL, KPLANE_DIR_EGRESS, &p, NULL, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_ALLOW && v.reason == KPLANE_REASON_NO_POLICY);
	tiers[1].n = 0;			/* Pass out of the last tier: allowed */
	p.dport = 81;
	kp_prog_eval(&prog, KPLANE_DIR_INGRESS, &p, NULL, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_ALLOW && v.reason == KPLANE_REASON_PASSED);
	kp_policy_free(t1);
	kp_policy_free(t2);
	kp_policy_free(egress_only);
}

/*
 * Forwarded through a host endpoint: only apply_on_forward policies apply,
 * a tier with none of them is skipped, and none at all allows.
 */
static void test_apply_on_forward(void)
{
	static const u8 deny[] = { KPLANE_ACTION_DENY }, allow[] = { KPLANE_ACTION_ALLOW };
	static const u16 any[] = { 0 }, port80[] = { 80 };
	struct kp_policy *host = policy("host", 1, KPLANE_POLICY_INGRESS, 1, deny, any);
	struct kp_policy *fwd = policy("fwd", 2, KPLANE_POLICY_INGRESS, 1, allow, port80);
	const struct kp_policy *tier1[] = { host }, *tier2[] = { host, fwd };
	struct kp_tier_prog tiers[] = { { "one", 1, tier1 }, { "two", 2, tier2 } };
	struct kp_prog prog = { 2, tiers };
	struct kp_match_pkt p = pkt4(IPPROTO_TCP, 1, 1000, 2, 80);
	struct kp_verdict v;

	fwd->apply_on_forward = true;
	kp_prog_eval(&prog, KPLANE_DIR_INGRESS, &p, NULL, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_DENY && v.tier == 0 && v.policy == host);
	p.forwarded = true;		/* tier one skipped, "host" passed over */
	kp_prog_eval(&prog, KPLANE_DIR_INGRESS, &p, NULL, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_ALLOW && v.tier == 1 && v.policy == fwd);
	p.dport = 81;			/* "fwd" applies in tier two: its end denies */
	kp_prog_eval(&prog, KPLANE_DIR_INGRESS, &p, NULL, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_DENY && v.reason == KPLANE_REASON_END_OF_TIER &&
		  v.tier == 1);
	fwd->apply_on_forward = false;	/* nothing applies to forwarded traffic */
	kp_prog_eval(&prog, KPLANE_DIR_INGRESS, &p, NULL, NULL, &v);
	KP_EXPECT(v.action == KPLANE_ACTION_ALLOW && v.reason == KPLANE_REASON_NO_POLICY);
	kp_policy_free(host);
	kp_policy_free(fwd);
}

struct kp_ipset *kp_ref_set_new(struct kp_prefix *p, unsigned int n)
{
	struct kp_ipset *set = calloc(1, sizeof(*set));

	kp_prefix_set_build(&set->d.s, p, n);
	set_publish(set);
	return set;
}

void kp_ref_set_free(struct kp_ipset *set)
{
	free(set->d.s.p);
	free(set);
}

static void test_differential(void)
{
	unsigned int decided, invalid, bad;

	bad = kp_ref_differential(0x6b706c616e65ULL, 3000, 200, &decided, &invalid);
	printf("#   600000 evaluations, %u decided by a rule, %u disagreements\n", decided, bad);
	KP_EXPECT(bad == 0 && invalid == 0);
	KP_EXPECT(decided > 50000);	/* the generator must reach rules */
}

int main(void)
{
	KP_RUN(test_prefix_longest);
	KP_RUN(test_prefix_mask_and_limits);
	KP_RUN(test_prefix_100k);
	KP_RUN(test_rule_criteria);
	KP_RUN(test_rule_icmp);
	KP_RUN(test_rule_sets_and_nets);
	KP_RUN(test_tiers);
	KP_RUN(test_apply_on_forward);
	KP_RUN(test_differential);
	return KP_TEST_DONE();
}
