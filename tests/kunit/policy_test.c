// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the policy matcher in the kernel (the differential test against
 * the reference evaluator, as in tests/unit), the node's policy objects
 * (kmod/policy.c) and the datapath's decision (kp_filter_decide).
 */
#include <kunit/test.h>
#include <linux/in.h>
#include "filter.h"
#include "node.h"
#include "policy.h"
#include "match_ref.h"

/* The reference's IP sets are the kernel's own, outside any table. */
struct kp_ipset *kp_ref_set_new(struct kp_prefix *p, unsigned int n)
{
	struct kp_ipset *set = kzalloc(sizeof(*set), GFP_KERNEL);
	struct kp_ipset_data *d = kzalloc(sizeof(*d), GFP_KERNEL);

	if (!set || !d) {
		kfree(set);
		kfree(d);
		kp_free(p);
		return NULL;
	}
	kp_prefix_set_build(&d->s, p, n);
	RCU_INIT_POINTER(set->v.data[0], d);
	RCU_INIT_POINTER(set->v.data[1], d);
	return set;
}

void kp_ref_set_free(struct kp_ipset *set)
{
	struct kp_ipset_data *d = rcu_dereference_protected(set->v.data[0], true);

	kp_free(d->s.p);
	kfree(d);
	kfree(set);
}

static void kp_test_differential(struct kunit *test)
{
	unsigned int decided, invalid, bad;

	bad = kp_ref_differential(0x6b706c616e65ULL, 400, 100, &decided, &invalid);
	kunit_info(test, "40000 evaluations, %u decided by a rule, %u disagreements",
		   decided, bad);
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_EQ(test, invalid, 0U);
	KUNIT_EXPECT_GT(test, decided, 5000U);
}

/* --- the node's objects --- */

static struct kp_node *kp_pol_test_node(struct kunit *test)
{
	struct kp_node *node = kunit_kzalloc(test, sizeof(*node), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, node);
	node->generation = 1;
	mutex_init(&node->lock);
	KUNIT_ASSERT_EQ(test, kp_ep_table_init(&node->eps, &node->lock), 0);
	KUNIT_ASSERT_EQ(test, kp_pol_table_init(&node->pol, &node->lock), 0);
	test->priv = node;
	mutex_lock(&node->lock);
	return node;
}

static void kp_pol_test_exit(struct kunit *test)
{
	struct kp_node *node = test->priv;

	if (!node)
		return;
	if (!mutex_is_locked(&node->lock))
		mutex_lock(&node->lock);
	kp_ep_table_destroy(&node->eps);
	kp_pol_table_destroy(&node->pol);
	mutex_unlock(&node->lock);
	rcu_barrier();
	rcu_barrier();		/* policies' counters go a grace period after them */
}

static int kp_pol_suite_init(struct kunit_suite *suite)
{
	return kp_endpoint_init();
}

static void kp_pol_suite_exit(struct kunit_suite *suite)
{
	kp_endpoint_uninit();
}

/* A policy with @n ingress rules of @action, each for TCP port 80 + i. */
static struct kp_pol *kp_test_pol(struct kunit *test, const char *id, const char *tier,
				  u32 order, unsigned int n, u8 action)
{
	struct kp_pol *pol = kp_pol_alloc();
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, pol);
	strscpy(pol->p.id, id, sizeof(pol->p.id));
	strscpy(pol->p.tier, tier, sizeof(pol->p.tier));
	pol->p.order = order;
	pol->p.types = KPLANE_POLICY_INGRESS;
	pol->p.n_rules[0] = n;
	pol->p.rules[0] = kp_zalloc((n + 1) * sizeof(struct kp_rule));
	pol->counters[0] = kp_counters_alloc(n);
	pol->p.rules[1] = kp_zalloc(sizeof(struct kp_rule));
	pol->counters[1] = kp_counters_alloc(0);
	for (i = 0; i < n; i++) {
		struct kp_rule *r = &pol->p.rules[0][i];

		r->action = action;
		r->flags = KP_RULE_PROTO;
		r->proto = IPPROTO_TCP;
		r->dst.ports = kp_zalloc(sizeof(*r->dst.ports));
		r->dst.ports->lo = r->dst.ports->hi = 80 + i;
		r->dst.n_ports = 1;
	}
	return pol;
}

/* A workload endpoint 10.0.0.@last on @ifindex, in no table yet. */
static struct kp_endpoint *kp_test_ep_new(struct kunit *test, const char *id, int ifindex, u8 last)
{
	struct kp_endpoint *ep = kp_ep_alloc();

	KUNIT_ASSERT_NOT_NULL(test, ep);
	strscpy(ep->id, id, sizeof(ep->id));
	ep->ifindex = ifindex;
	ep->n_addrs = 1;
	ep->addrs[0].family = AF_INET;
	ep->addrs[0].ip[0] = 10;
	ep->addrs[0].ip[3] = last;
	return ep;
}

/* The same, in @node's table. */
static struct kp_endpoint *kp_test_wep(struct kunit *test, struct kp_node *node,
				       const char *id, int ifindex, u8 last)
{
	struct kp_endpoint *ep = kp_test_ep_new(test, id, ifindex, last);

	KUNIT_ASSERT_EQ(test, kp_ep_table_add(&node->eps, ep, 100, NULL), 0);
	return ep;
}

static struct kp_attach kp_test_attach(u8 dir, u8 tier, const char *tier_name, const char *id)
{
	struct kp_attach a = { .dir = dir, .tier = tier };

	strscpy(a.tier_name, tier_name, sizeof(a.tier_name));
	strscpy(a.id, id, sizeof(a.id));
	return a;
}

static void kp_test_prog_order_and_replace(struct kunit *test)
{
	struct kp_node *node = kp_pol_test_node(test);
	struct kp_endpoint *ep = kp_test_wep(test, node, "pod", 7, 3);
	struct kp_attach a[3] = {
		kp_test_attach(KPLANE_DIR_INGRESS, 0, "t", "late"),
		kp_test_attach(KPLANE_DIR_INGRESS, 0, "t", "early"),
		kp_test_attach(KPLANE_DIR_INGRESS, 1, "u", ""),
	};
	const struct kp_prog *prog;
	u32 rev;

	KUNIT_ASSERT_EQ(test, kp_pol_set(node, kp_test_pol(test, "late", "t", 20, 1,
							   KPLANE_ACTION_ALLOW), NULL, NULL), 0);
	KUNIT_ASSERT_EQ(test, kp_pol_set(node, kp_test_pol(test, "early", "t", 10, 2,
							   KPLANE_ACTION_DENY), NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, node->pol.n_rules, 3U);
	KUNIT_ASSERT_EQ(test, kp_ep_policy_set(node, ep, a, 3, NULL, NULL), 0);
	rcu_read_lock();
	prog = kp_ep_prog(ep, KPLANE_DIR_INGRESS, kp_view(node));
	KUNIT_ASSERT_EQ(test, prog->n_tiers, 2U);
	KUNIT_EXPECT_EQ(test, prog->tiers[0].n, 2U);
	KUNIT_EXPECT_STREQ(test, prog->tiers[0].pols[0]->id, "early");	/* by order */
	KUNIT_EXPECT_STREQ(test, prog->tiers[1].name, "u");
	KUNIT_EXPECT_EQ(test, prog->tiers[1].n, 0U);
	KUNIT_EXPECT_EQ(test, kp_ep_prog(ep, KPLANE_DIR_EGRESS, kp_view(node))->n_tiers, 0U);
	rcu_read_unlock();
	/* Replacing a policy rebuilds the endpoints that attach it. */
	rev = node->pol.rev;
	KUNIT_ASSERT_EQ(test, kp_pol_set(node, kp_test_pol(test, "early", "t", 30, 5,
							   KPLANE_ACTION_DENY), NULL, NULL), 0);
	KUNIT_EXPECT_GT(test, node->pol.rev, rev);
	KUNIT_EXPECT_EQ(test, node->pol.n_rules, 6U);
	rcu_read_lock();
	prog = kp_ep_prog(ep, KPLANE_DIR_INGRESS, kp_view(node));
	KUNIT_EXPECT_STREQ(test, prog->tiers[0].pols[0]->id, "late");
	KUNIT_EXPECT_EQ(test, prog->tiers[0].pols[1]->n_rules[0], 5U);
	rcu_read_unlock();
	/* A new tier for an attached policy is refused; nothing changes. */
	KUNIT_EXPECT_EQ(test, kp_pol_set(node, kp_test_pol(test, "early", "x", 30, 1,
							   KPLANE_ACTION_DENY), NULL, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, node->pol.n_rules, 6U);
	KUNIT_EXPECT_EQ(test, kp_pol_del(node, "late", NULL, NULL), -EBUSY);
	KUNIT_ASSERT_EQ(test, kp_ep_policy_set(node, ep, NULL, 0, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_pol_del(node, "late", NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, node->pol.n_rules, 5U);
	KUNIT_EXPECT_EQ(test, kp_pol_del(node, "late", NULL, NULL), -ENOENT);
}

static void kp_test_unknown_policy(struct kunit *test)
{
	struct kp_node *node = kp_pol_test_node(test);
	struct kp_endpoint *ep = kp_test_wep(test, node, "pod", 7, 3);
	struct kp_attach a = kp_test_attach(KPLANE_DIR_EGRESS, 0, "t", "nosuch");

	KUNIT_EXPECT_EQ(test, kp_ep_policy_set(node, ep, &a, 1, NULL, NULL), -ENOENT);
	KUNIT_EXPECT_FALSE(test, kp_ep_has_policy(ep, 0) || kp_ep_has_policy(ep, 1));
}

static void kp_test_rule_limit(struct kunit *test)
{
	struct kp_node *node = kp_pol_test_node(test);
	unsigned int old = kp_max_rules;

	kp_max_rules = 4;
	KUNIT_EXPECT_EQ(test, kp_pol_set(node, kp_test_pol(test, "a", "t", 1, 3,
							   KPLANE_ACTION_ALLOW), NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_pol_set(node, kp_test_pol(test, "b", "t", 1, 2,
							   KPLANE_ACTION_ALLOW), NULL, NULL), -ENOSPC);
	/* Replacing counts the new rules instead of the old ones. */
	KUNIT_EXPECT_EQ(test, kp_pol_set(node, kp_test_pol(test, "a", "t", 1, 4,
							   KPLANE_ACTION_ALLOW), NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, node->pol.n_rules, 4U);
	kp_max_rules = old;
}

static struct kp_prefix kp_test_prefix(u8 last, u8 len)
{
	struct kp_prefix p = { .family = AF_INET, .len = len };

	p.addr[0] = 10;
	p.addr[3] = last;
	kp_prefix_mask(&p);
	return p;
}

/* KPLANE_IPSET_MEMBERS_MAX + 1 distinct members for set "s": refused. */
static int kp_test_ipset_over_limit(struct kp_node *node)
{
	u32 n = KPLANE_IPSET_MEMBERS_MAX + 1, i;
	struct kp_prefix *p = kp_zalloc(n * sizeof(*p));

	if (!p)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		p[i].family = AF_INET;
		p[i].len = 32;
		p[i].addr[0] = 100;
		p[i].addr[1] = (u8)(i >> 16);
		p[i].addr[2] = (u8)(i >> 8);
		p[i].addr[3] = (u8)i;
	}
	return kp_ipset_set(node, "s", p, n, NULL, NULL);
}

static void kp_test_ipset_update(struct kunit *test)
{
	struct kp_node *node = kp_pol_test_node(test);
	struct kp_prefix *p = kp_zalloc(2 * sizeof(*p));
	struct kp_prefix add[2] = { kp_test_prefix(9, 32), kp_test_prefix(1, 32) };
	struct kp_prefix del[2] = { kp_test_prefix(1, 32), kp_test_prefix(77, 32) };
	struct kp_ipset *set;
	u8 ip[16] = { 10, 0, 0, 1 };

	p[0] = kp_test_prefix(1, 32);
	p[1] = kp_test_prefix(0, 24);
	KUNIT_ASSERT_EQ(test, kp_ipset_set(node, "s", p, 2, NULL, NULL), 0);
	set = kp_ipset_find(&node->pol, "s");
	KUNIT_ASSERT_NOT_NULL(test, set);
	KUNIT_EXPECT_EQ(test, kp_ipset_count(&node->pol, set), 2U);
	KUNIT_EXPECT_EQ(test, kp_prefix_set_lookup(kp_ipset_committed(&node->pol, set),
						   AF_INET, ip)->len, 32);
	/* A duplicate added, one removed, one removal of a non-member. */
	KUNIT_ASSERT_EQ(test, kp_ipset_update(node, "s", add, 2, del, 2, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_ipset_count(&node->pol, set), 2U);
	KUNIT_EXPECT_EQ(test, kp_prefix_set_lookup(kp_ipset_committed(&node->pol, set),
						   AF_INET, ip)->len, 24);
	KUNIT_EXPECT_EQ(test, kp_ipset_update(node, "nosuch", add, 1, NULL, 0, NULL, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, kp_test_ipset_over_limit(node), -ENOSPC);
	KUNIT_EXPECT_EQ(test, kp_ipset_count(&node->pol, set), 2U);	/* untouched */
	KUNIT_EXPECT_EQ(test, kp_ipset_del(node, "s", NULL, NULL), 0);
	KUNIT_EXPECT_NULL(test, kp_ipset_find(&node->pol, "s"));
}

static void kp_test_ipset_in_use(struct kunit *test)
{
	struct kp_node *node = kp_pol_test_node(test);
	struct kp_pol *pol = kp_test_pol(test, "p", "t", 1, 1, KPLANE_ACTION_ALLOW);
	struct kp_ipset *set;

	KUNIT_ASSERT_EQ(test, kp_ipset_set(node, "s", kp_zalloc(sizeof(struct kp_prefix)), 0, NULL,
					   NULL), 0);
	set = kp_ipset_find(&node->pol, "s");
	pol->p.rules[0][0].src.sets = kp_zalloc(sizeof(struct kp_ipset *));
	pol->p.rules[0][0].src.sets[0] = set;
	pol->p.rules[0][0].src.n_sets = 1;
	KUNIT_ASSERT_EQ(test, kp_pol_set(node, pol, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_ipset_del(node, "s", NULL, NULL), -EBUSY);
	KUNIT_EXPECT_EQ(test, kp_pol_del(node, "p", NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_ipset_del(node, "s", NULL, NULL), 0);
}

/* The datapath's decision: the source pod's egress, the destination's ingress. */
static void kp_test_decide(struct kunit *test)
{
	struct kp_node *node = kp_pol_test_node(test);
	struct kp_endpoint *a = kp_test_wep(test, node, "a", 11, 1);
	struct kp_endpoint *b = kp_test_wep(test, node, "b", 12, 2);
	struct kp_attach deny = kp_test_attach(KPLANE_DIR_INGRESS, 0, "t", "deny80");
	struct kp_filter_at at = { .in_ifindex = 11 };
	struct kp_match_pkt m = { .family = AF_INET, .proto = IPPROTO_TCP, .sport = 999,
				  .dport = 80 };
	struct kp_decision d;

	m.saddr[0] = m.daddr[0] = 10;
	m.saddr[3] = 1;
	m.daddr[3] = 2;
	KUNIT_ASSERT_EQ(test, kp_pol_set(node, kp_test_pol(test, "deny80", "t", 1, 1,
							   KPLANE_ACTION_DENY), NULL, NULL), 0);
	KUNIT_ASSERT_EQ(test, kp_ep_policy_set(node, b, &deny, 1, NULL, NULL), 0);
	rcu_read_lock();
	kp_filter_decide(node, &at, &m, false, &d);
	KUNIT_EXPECT_EQ(test, d.n_steps, 2U);
	KUNIT_EXPECT_PTR_EQ(test, d.steps[0].ep, (const struct kp_endpoint *)a);
	KUNIT_EXPECT_EQ(test, d.steps[0].dir, (u8)KPLANE_DIR_EGRESS);
	KUNIT_EXPECT_EQ(test, d.steps[0].v.reason, (u8)KPLANE_REASON_NO_POLICY);
	KUNIT_EXPECT_PTR_EQ(test, d.steps[1].ep, (const struct kp_endpoint *)b);
	KUNIT_EXPECT_EQ(test, d.action, (u8)KPLANE_ACTION_DENY);
	KUNIT_EXPECT_STREQ(test, d.steps[1].tier, "t");
	/* Port 81: b's tier has a policy, nothing matched: end of tier. */
	m.dport = 81;
	kp_filter_decide(node, &at, &m, false, &d);
	KUNIT_EXPECT_EQ(test, d.steps[1].v.reason, (u8)KPLANE_REASON_END_OF_TIER);
	/* From elsewhere to nobody's address: not kplane's traffic. */
	at.in_ifindex = 99;
	m.daddr[3] = 50;
	kp_filter_decide(node, &at, &m, false, &d);
	KUNIT_EXPECT_EQ(test, d.n_steps, 0U);
	rcu_read_unlock();
}

/*
 * Through a host endpoint: traffic it forwards meets only its
 * apply-on-forward policies (a tier without one is skipped), then the
 * destination pod's ingress.  The test's netns has no route to 10.200/16:
 * a packet for it is not the node's, so it counts as forwarded.
 */
static void kp_test_decide_forwarded(struct kunit *test)
{
	struct kp_node *node = kp_pol_test_node(test);
	struct kp_endpoint *host = kp_test_ep_new(test, "host", 21, 1);
	struct kp_attach a[2] = { kp_test_attach(KPLANE_DIR_INGRESS, 0, "t", "deny80"),
				  kp_test_attach(KPLANE_DIR_INGRESS, 0, "t", "fwd") };
	struct kp_pol *fwd = kp_test_pol(test, "fwd", "t", 2, 2, KPLANE_ACTION_ALLOW);
	struct kp_filter_at at = { .in_ifindex = 21 };
	struct kp_match_pkt m = { .family = AF_INET, .proto = IPPROTO_TCP, .sport = 999,
				  .dport = 80 };
	struct kp_decision d;

	node->net = &init_net;
	host->host = true;
	KUNIT_ASSERT_EQ(test, kp_ep_table_add(&node->eps, host, 100, NULL), 0);
	kp_test_wep(test, node, "pod", 22, 2);
	fwd->p.apply_on_forward = true;
	KUNIT_ASSERT_EQ(test, kp_pol_set(node, kp_test_pol(test, "deny80", "t", 1, 1,
							   KPLANE_ACTION_DENY), NULL, NULL), 0);
	KUNIT_ASSERT_EQ(test, kp_pol_set(node, fwd, NULL, NULL), 0);
	KUNIT_ASSERT_EQ(test, kp_ep_policy_set(node, host, a, 2, NULL, NULL), 0);
	m.saddr[0] = m.daddr[0] = 10;
	m.saddr[3] = 99;
	m.daddr[3] = 2;
	rcu_read_lock();
	/* To the pod: "deny80" does not apply to forwarded traffic, "fwd" allows. */
	kp_filter_decide(node, &at, &m, false, &d);
	KUNIT_EXPECT_EQ(test, d.action, (u8)KPLANE_ACTION_ALLOW);
	KUNIT_EXPECT_EQ(test, d.n_steps, 2U);
	KUNIT_EXPECT_TRUE(test, d.steps[0].forwarded);
	KUNIT_EXPECT_EQ(test, d.steps[0].dir, (u8)KPLANE_DIR_INGRESS);
	KUNIT_EXPECT_PTR_EQ(test, d.steps[0].v.policy, (const struct kp_policy *)&fwd->p);
	KUNIT_EXPECT_FALSE(test, d.steps[1].forwarded);
	KUNIT_EXPECT_STREQ(test, d.steps[1].ep->id, "pod");
	/* Port 82: "fwd" applies and matches nothing: the end of its tier. */
	m.dport = 82;
	kp_filter_decide(node, &at, &m, false, &d);
	KUNIT_EXPECT_EQ(test, d.n_steps, 1U);
	KUNIT_EXPECT_EQ(test, d.steps[0].v.reason, (u8)KPLANE_REASON_END_OF_TIER);
	/* Not for a pod, not for the node: forwarded elsewhere, judged alike. */
	m.dport = 81;
	m.daddr[1] = 200;
	kp_filter_decide(node, &at, &m, false, &d);
	KUNIT_EXPECT_EQ(test, d.n_steps, 1U);
	KUNIT_EXPECT_TRUE(test, d.steps[0].forwarded);
	KUNIT_EXPECT_EQ(test, d.steps[0].v.rule, 1);
	KUNIT_EXPECT_EQ(test, d.action, (u8)KPLANE_ACTION_ALLOW);
	rcu_read_unlock();
}

/* A failed commit puts back every change it made, newest first. */
static void kp_test_rollback(struct kunit *test)
{
	struct kp_node *node = kp_pol_test_node(test);
	struct kp_endpoint *ep = kp_test_wep(test, node, "pod", 7, 3);
	struct kp_attach a = kp_test_attach(KPLANE_DIR_INGRESS, 0, "t", "p");
	struct kp_prefix *m = kp_zalloc(sizeof(*m));
	struct kp_pol *orig_p, *orig_q;
	struct kp_ep_policy *orig_prog;
	const struct kp_ipset_data *orig_data;
	struct kp_pol_journal j;
	struct kp_ipset *set;

	*m = kp_test_prefix(1, 32);
	KUNIT_ASSERT_EQ(test, kp_ipset_set(node, "s", m, 1, NULL, NULL), 0);
	KUNIT_ASSERT_EQ(test, kp_pol_set(node, kp_test_pol(test, "p", "t", 1, 2,
							   KPLANE_ACTION_ALLOW), NULL, NULL), 0);
	KUNIT_ASSERT_EQ(test, kp_pol_set(node, kp_test_pol(test, "q", "t", 1, 1,
							   KPLANE_ACTION_DENY), NULL, NULL), 0);
	KUNIT_ASSERT_EQ(test, kp_ep_policy_set(node, ep, &a, 1, NULL, NULL), 0);
	set = kp_ipset_find(&node->pol, "s");
	orig_data = rcu_dereference_protected(set->v.data[0], true);
	orig_p = kp_pol_find(&node->pol, "p");
	orig_q = kp_pol_find(&node->pol, "q");
	orig_prog = rcu_dereference_protected(ep->pol[0], true);

	kp_pol_journal_init(node, &j);
	m = kp_zalloc(2 * sizeof(*m));
	m[0] = kp_test_prefix(2, 32);
	KUNIT_EXPECT_EQ(test, kp_ipset_set(node, "s", m, 1, &j, NULL), 0);	/* replace */
	KUNIT_EXPECT_EQ(test, kp_ipset_set(node, "new", kp_zalloc(sizeof(*m)), 0, &j, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_pol_set(node, kp_test_pol(test, "p", "t", 1, 7,
							   KPLANE_ACTION_DENY), &j, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_pol_del(node, "q", &j, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_ep_policy_set(node, ep, NULL, 0, &j, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_ipset_del(node, "s", &j, NULL), 0);
	KUNIT_EXPECT_EQ(test, node->pol.n_rules, 7U);
	/* Packets read the other view: none of it is there. */
	KUNIT_EXPECT_PTR_EQ(test, rcu_dereference_protected(set->v.data[kp_view(node)], true),
			    orig_data);
	KUNIT_EXPECT_PTR_EQ(test, rcu_dereference_protected(ep->pol[kp_view(node)], true),
			    orig_prog);
	KUNIT_EXPECT_FALSE(test, kp_ep_has_policy(ep, kp_view_staged(node)));
	kp_pol_rollback(node, &j);

	KUNIT_EXPECT_PTR_EQ(test, kp_ipset_find(&node->pol, "s"), set);
	KUNIT_EXPECT_PTR_EQ(test, rcu_dereference_protected(set->v.data[0], true), orig_data);
	KUNIT_EXPECT_PTR_EQ(test, rcu_dereference_protected(set->v.data[1], true), orig_data);
	KUNIT_EXPECT_NULL(test, kp_ipset_find(&node->pol, "new"));
	KUNIT_EXPECT_PTR_EQ(test, kp_pol_find(&node->pol, "p"), orig_p);
	KUNIT_EXPECT_PTR_EQ(test, kp_pol_find(&node->pol, "q"), orig_q);
	KUNIT_EXPECT_PTR_EQ(test, rcu_dereference_protected(ep->pol[0], true), orig_prog);
	KUNIT_EXPECT_PTR_EQ(test, rcu_dereference_protected(ep->pol[1], true), orig_prog);
	KUNIT_EXPECT_EQ(test, node->pol.n_rules, 3U);
	KUNIT_EXPECT_EQ(test, node->pol.n_sets, 1U);
	/* The list order is the order they were made in, as before. */
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&node->pol.pol_list, struct kp_pol, list),
			    orig_p);
	KUNIT_EXPECT_PTR_EQ(test, list_last_entry(&node->pol.pol_list, struct kp_pol, list),
			    orig_q);

	/*
	 * The same changes, committed: packets see them once the views flip,
	 * then both views agree; what they replaced is freed (kmemleak watches).
	 */
	kp_pol_journal_init(node, &j);
	KUNIT_EXPECT_EQ(test, kp_ep_policy_set(node, ep, NULL, 0, &j, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_pol_del(node, "q", &j, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_pol_set(node, kp_test_pol(test, "p", "t", 1, 7,
							   KPLANE_ACTION_DENY), &j, NULL), 0);
	m = kp_zalloc(sizeof(*m));
	*m = kp_test_prefix(3, 32);
	KUNIT_EXPECT_EQ(test, kp_ipset_set(node, "s", m, 1, &j, NULL), 0);
	KUNIT_EXPECT_TRUE(test, kp_ep_has_policy(ep, kp_view(node)));
	kp_node_publish(node);
	KUNIT_EXPECT_FALSE(test, kp_ep_has_policy(ep, kp_view(node)));
	KUNIT_EXPECT_TRUE(test, kp_ep_has_policy(ep, kp_view_staged(node)));
	kp_pol_journal_done(&j);
	KUNIT_EXPECT_FALSE(test, kp_ep_has_policy(ep, 0) || kp_ep_has_policy(ep, 1));
	KUNIT_EXPECT_PTR_EQ(test, rcu_dereference_protected(set->v.data[0], true),
			    rcu_dereference_protected(set->v.data[1], true));
	KUNIT_EXPECT_EQ(test, kp_ipset_count(&node->pol, set), 1U);
	KUNIT_EXPECT_EQ(test, node->pol.n_rules, 7U);
}

/*
 * Endpoints joining and leaving in a commit: seen by packets without policy
 * until the flip, gone after it; a rollback leaves the table as it was.
 */
static void kp_test_join_leave(struct kunit *test)
{
	struct kp_node *node = kp_pol_test_node(test);
	struct kp_attach a = kp_test_attach(KPLANE_DIR_INGRESS, 0, "t", "p");
	struct kp_endpoint *old = kp_test_wep(test, node, "old", 7, 3), *ep;
	struct kp_pol_journal j;

	KUNIT_ASSERT_EQ(test, kp_pol_set(node, kp_test_pol(test, "p", "t", 1, 1,
							   KPLANE_ACTION_ALLOW), NULL, NULL), 0);
	KUNIT_ASSERT_EQ(test, kp_ep_policy_set(node, old, &a, 1, NULL, NULL), 0);

	/* Refused late in the commit: both changes taken back. */
	kp_pol_journal_init(node, &j);
	KUNIT_EXPECT_EQ(test, kp_ep_leave(node, "old", &j, NULL), 0);
	KUNIT_EXPECT_TRUE(test, old->leaving);
	KUNIT_EXPECT_EQ(test, kp_ep_leave(node, "old", &j, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, kp_ep_join(node, kp_test_ep_new(test, "old", 8, 4), NULL, 0, &j,
					 NULL), -EEXIST);
	ep = kp_test_ep_new(test, "new", 9, 5);
	KUNIT_EXPECT_EQ(test, kp_ep_join(node, ep, &a, 1, &j, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, kp_ep_lookup_id(&node->eps, "new"), ep);
	KUNIT_EXPECT_FALSE(test, kp_ep_has_policy(ep, kp_view(node)));
	KUNIT_EXPECT_TRUE(test, kp_ep_has_policy(ep, kp_view_staged(node)));
	KUNIT_EXPECT_TRUE(test, kp_ep_has_policy(old, kp_view(node)));
	KUNIT_EXPECT_FALSE(test, kp_ep_has_policy(old, kp_view_staged(node)));
	KUNIT_EXPECT_EQ(test, kp_ep_join(node, kp_test_ep_new(test, "clash", 9, 6), NULL, 0, &j,
					 NULL), -EEXIST);	/* ifindex 9 is taken */
	kp_pol_rollback(node, &j);
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_id(&node->eps, "new"));
	KUNIT_EXPECT_PTR_EQ(test, kp_ep_lookup_id(&node->eps, "old"), old);
	KUNIT_EXPECT_FALSE(test, old->leaving);
	KUNIT_EXPECT_TRUE(test, kp_ep_has_policy(old, 0) && kp_ep_has_policy(old, 1));
	KUNIT_EXPECT_EQ(test, node->eps.count, 1U);

	/* Committed: the new one policed in both views, the old one gone. */
	kp_pol_journal_init(node, &j);
	KUNIT_EXPECT_EQ(test, kp_ep_leave(node, "old", &j, NULL), 0);
	ep = kp_test_ep_new(test, "new", 9, 5);
	KUNIT_EXPECT_EQ(test, kp_ep_join(node, ep, &a, 1, &j, NULL), 0);
	kp_node_publish(node);
	kp_pol_journal_done(&j);
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_id(&node->eps, "old"));
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_ifindex(&node->eps, 7));
	KUNIT_EXPECT_PTR_EQ(test, kp_ep_lookup_id(&node->eps, "new"), ep);
	KUNIT_EXPECT_TRUE(test, kp_ep_has_policy(ep, 0) && kp_ep_has_policy(ep, 1));
	KUNIT_EXPECT_EQ(test, node->eps.count, 1U);
}

static u64 kp_test_packets(const struct kp_rule_counters *c, u32 rule)
{
	u64 packets, bytes;

	kp_counters_read(kp_counters_of(c, rule), &packets, &bytes);
	return packets;
}

/* Rules past the first per-CPU block; counts carried by content, each once. */
static void kp_test_counters(struct kunit *test)
{
	struct kp_rule_counters *from, *to, *big = kp_counters_alloc(KP_COUNTERS_BLOCK + 5);
	static const u64 from_ids[] = { 1, 2, 2 }, to_ids[] = { 2, 3, 2, 1, 2 };
	u64 packets, bytes;
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, big);
	kp_counters_add(kp_counters_of(big, 0), 100);
	kp_counters_add(kp_counters_of(big, KP_COUNTERS_BLOCK + 4), 60);
	kp_counters_add(kp_counters_of(big, KP_COUNTERS_BLOCK + 4), 40);
	kp_counters_read(kp_counters_of(big, KP_COUNTERS_BLOCK + 4), &packets, &bytes);
	KUNIT_EXPECT_EQ(test, packets, 2ULL);
	KUNIT_EXPECT_EQ(test, bytes, 100ULL);
	KUNIT_EXPECT_EQ(test, kp_test_packets(big, 0), 1ULL);
	KUNIT_EXPECT_EQ(test, kp_test_packets(big, KP_COUNTERS_BLOCK), 0ULL);
	kp_counters_free(big);

	from = kp_counters_alloc(ARRAY_SIZE(from_ids));
	to = kp_counters_alloc(ARRAY_SIZE(to_ids));
	KUNIT_ASSERT_NOT_NULL(test, from);
	KUNIT_ASSERT_NOT_NULL(test, to);
	memcpy(from->ids, from_ids, sizeof(from_ids));
	memcpy(to->ids, to_ids, sizeof(to_ids));
	for (i = 0; i < ARRAY_SIZE(from_ids); i++) {
		u32 n = 5 + 2 * i;	/* 5, 7, 9 */

		while (n--)
			kp_counters_add(kp_counters_of(from, i), 1);
	}
	kp_counters_carry(to, from);
	KUNIT_EXPECT_EQ(test, kp_test_packets(to, 0), 7ULL);	/* the first old "2" */
	KUNIT_EXPECT_EQ(test, kp_test_packets(to, 1), 0ULL);	/* new */
	KUNIT_EXPECT_EQ(test, kp_test_packets(to, 2), 9ULL);	/* the second old "2" */
	KUNIT_EXPECT_EQ(test, kp_test_packets(to, 3), 5ULL);
	KUNIT_EXPECT_EQ(test, kp_test_packets(to, 4), 0ULL);	/* no third "2" to take */
	kp_counters_free(from);
	kp_counters_free(to);
}

static struct kunit_case kp_policy_cases[] = {
	KUNIT_CASE(kp_test_counters),
	KUNIT_CASE(kp_test_join_leave),
	KUNIT_CASE(kp_test_rollback),
	KUNIT_CASE(kp_test_differential),
	KUNIT_CASE(kp_test_prog_order_and_replace),
	KUNIT_CASE(kp_test_unknown_policy),
	KUNIT_CASE(kp_test_rule_limit),
	KUNIT_CASE(kp_test_ipset_update),
	KUNIT_CASE(kp_test_ipset_in_use),
	KUNIT_CASE(kp_test_decide),
	KUNIT_CASE(kp_test_decide_forwarded),
	{}
};

static struct kunit_suite kp_policy_suite = {
	.name = "kplane_policy",
	.exit = kp_pol_test_exit,
	.suite_init = kp_pol_suite_init,
	.suite_exit = kp_pol_suite_exit,
	.test_cases = kp_policy_cases,
};
kunit_test_suite(kp_policy_suite);
