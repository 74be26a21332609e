// SPDX-License-Identifier: GPL-2.0
/* KUnit: the endpoint tables (kmod/endpoint.c). */
#include <kunit/test.h>
#include <linux/netlink.h>
#include "endpoint.h"
#include "node.h"

/* Pod netns keys are compared, never dereferenced: fake ones will do. */
#define FAKE_NET(n) ((struct net *)(0x1000UL * (n)))

struct kp_ep_test {
	struct kp_node *node;
	struct kp_node *other;
};

static struct kp_node *kp_test_node(struct kunit *test)
{
	struct kp_node *node = kunit_kzalloc(test, sizeof(*node), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, node);
	node->generation = 1;
	mutex_init(&node->lock);
	KUNIT_ASSERT_EQ(test, kp_ep_table_init(&node->eps, &node->lock), 0);
	return node;
}

static int kp_ep_test_init(struct kunit *test)
{
	struct kp_ep_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->node = kp_test_node(test);
	t->other = kp_test_node(test);
	test->priv = t;
	return 0;
}

static void kp_ep_test_exit(struct kunit *test)
{
	struct kp_ep_test *t = test->priv;

	mutex_lock(&t->node->lock);
	kp_ep_table_destroy(&t->node->eps);
	mutex_unlock(&t->node->lock);
	mutex_lock(&t->other->lock);
	kp_ep_table_destroy(&t->other->eps);
	mutex_unlock(&t->other->lock);
}

static int kp_ep_suite_init(struct kunit_suite *suite)
{
	return kp_endpoint_init();
}

static void kp_ep_suite_exit(struct kunit_suite *suite)
{
	kp_endpoint_uninit();
}

static struct kp_endpoint *kp_test_ep(struct kunit *test, const char *id,
				      int ifindex, struct net *pod)
{
	struct kp_endpoint *ep = kp_ep_alloc();

	KUNIT_ASSERT_NOT_NULL(test, ep);
	strscpy(ep->id, id, sizeof(ep->id));
	ep->ifindex = ifindex;
	ep->pod_net = pod;
	return ep;
}

/* Adds @ep (the table takes it, refused or not). */
static int kp_test_add(struct kunit *test, struct kp_node *node,
		       struct kp_endpoint *ep, unsigned int limit,
		       struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&node->lock);
	err = kp_ep_table_add(&node->eps, ep, limit, extack);
	mutex_unlock(&node->lock);
	return err;
}

static void kp_test_add_lookup(struct kunit *test)
{
	struct kp_ep_test *t = test->priv;
	struct kp_endpoint *ep = kp_test_ep(test, "ns/a", 7, FAKE_NET(1));

	KUNIT_ASSERT_EQ(test, kp_test_add(test, t->node, ep, 10, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, kp_ep_lookup_id(&t->node->eps, "ns/a"), ep);
	KUNIT_EXPECT_PTR_EQ(test, kp_ep_lookup_ifindex(&t->node->eps, 7), ep);
	KUNIT_EXPECT_PTR_EQ(test, kp_ep_lookup_netns(FAKE_NET(1)), ep);
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_id(&t->node->eps, "ns/b"));
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_id(&t->other->eps, "ns/a"));
	KUNIT_EXPECT_EQ(test, t->node->eps.count, 1U);
}

static void kp_test_duplicates(struct kunit *test)
{
	struct kp_ep_test *t = test->priv;
	struct netlink_ext_ack extack = {};

	KUNIT_ASSERT_EQ(test, kp_test_add(test, t->node,
			kp_test_ep(test, "a", 1, FAKE_NET(1)), 10, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_test_add(test, t->node,
			kp_test_ep(test, "a", 2, NULL), 10, &extack), -EEXIST);
	KUNIT_EXPECT_STREQ(test, extack._msg, "an endpoint with this id exists");
	KUNIT_EXPECT_EQ(test, kp_test_add(test, t->node,
			kp_test_ep(test, "b", 1, NULL), 10, &extack), -EEXIST);
	KUNIT_EXPECT_STREQ(test, extack._msg, "interface belongs to another endpoint");
	/* A pod netns backs one endpoint, even across nodes. */
	KUNIT_EXPECT_EQ(test, kp_test_add(test, t->other,
			kp_test_ep(test, "c", 3, FAKE_NET(1)), 10, &extack), -EEXIST);
	KUNIT_EXPECT_STREQ(test, extack._msg, "pod netns is bound to another endpoint");
	/* Refused adds leave nothing behind in any index. */
	KUNIT_EXPECT_EQ(test, t->node->eps.count, 1U);
	KUNIT_EXPECT_EQ(test, t->other->eps.count, 0U);
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_ifindex(&t->node->eps, 2));
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_id(&t->node->eps, "b"));
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_ifindex(&t->other->eps, 3));
	/* The same ifindex is fine on another node (another netns). */
	KUNIT_EXPECT_EQ(test, kp_test_add(test, t->other,
			kp_test_ep(test, "a", 1, NULL), 10, NULL), 0);
}

static void kp_test_limit(struct kunit *test)
{
	struct kp_ep_test *t = test->priv;
	struct netlink_ext_ack extack = {};
	char id[16];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "ep%d", i);
		KUNIT_ASSERT_EQ(test, kp_test_add(test, t->node,
				kp_test_ep(test, id, i + 1, NULL), 3, NULL), 0);
	}
	KUNIT_EXPECT_EQ(test, kp_test_add(test, t->node,
			kp_test_ep(test, "ep3", 4, NULL), 3, &extack), -ENOSPC);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->node->eps.full), 1LL);
	KUNIT_EXPECT_EQ(test, t->node->eps.count, 3U);
}

static void kp_test_delete_and_order(struct kunit *test)
{
	struct kp_ep_test *t = test->priv;
	struct kp_endpoint *ep, *mid = NULL;
	const char *want[] = { "ep0", "ep2" };
	char id[16];
	int i = 0;

	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "ep%d", i);
		ep = kp_test_ep(test, id, i + 1, FAKE_NET(10 + i));
		KUNIT_ASSERT_EQ(test, kp_test_add(test, t->node, ep, 10, NULL), 0);
		if (i == 1)
			mid = ep;
	}
	mutex_lock(&t->node->lock);
	kp_ep_table_del(mid);
	mutex_unlock(&t->node->lock);
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_id(&t->node->eps, "ep1"));
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_ifindex(&t->node->eps, 2));
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_netns(FAKE_NET(11)));
	i = 0;
	list_for_each_entry(ep, &t->node->eps.list, list) {
		KUNIT_ASSERT_LT(test, i, 2);
		KUNIT_EXPECT_STREQ(test, ep->id, want[i++]);
	}
	KUNIT_EXPECT_EQ(test, i, 2);
}

static void kp_test_reap(struct kunit *test)
{
	struct kp_ep_test *t = test->priv;
	u32 gen = t->node->generation;

	KUNIT_ASSERT_EQ(test, kp_test_add(test, t->node,
			kp_test_ep(test, "pod", 5, FAKE_NET(42)), 10, NULL), 0);
	mutex_lock(&t->node->lock);
	kp_ep_reap_netns(&t->node->eps, FAKE_NET(43));	/* not a pod: nothing happens */
	KUNIT_EXPECT_EQ(test, t->node->eps.count, 1U);
	kp_ep_reap_netns(&t->node->eps, FAKE_NET(42));
	mutex_unlock(&t->node->lock);
	KUNIT_EXPECT_EQ(test, t->node->eps.count, 0U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&t->node->eps.reaped), 1LL);
	KUNIT_EXPECT_NE(test, t->node->generation, gen);
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_netns(FAKE_NET(42)));
}

/* Enough entries to make the rhashtables grow and shrink. */
static void kp_test_many(struct kunit *test)
{
	struct kp_ep_test *t = test->priv;
	struct kp_endpoint *ep;
	char id[16];
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "ep%d", i);
		KUNIT_ASSERT_EQ(test, kp_test_add(test, t->node,
				kp_test_ep(test, id, i + 1, FAKE_NET(i + 1)), 65536, NULL), 0);
	}
	for (i = 0; i < 5000; i += 2) {
		snprintf(id, sizeof(id), "ep%d", i);
		mutex_lock(&t->node->lock);
		ep = kp_ep_lookup_id(&t->node->eps, id);
		KUNIT_ASSERT_NOT_NULL(test, ep);
		kp_ep_table_del(ep);
		mutex_unlock(&t->node->lock);
	}
	KUNIT_EXPECT_EQ(test, t->node->eps.count, 2500U);
	KUNIT_EXPECT_NOT_NULL(test, kp_ep_lookup_ifindex(&t->node->eps, 2));
	KUNIT_EXPECT_NULL(test, kp_ep_lookup_ifindex(&t->node->eps, 1));
	KUNIT_EXPECT_NOT_NULL(test, kp_ep_lookup_netns(FAKE_NET(5000)));
}

static struct kunit_case kp_ep_cases[] = {
	KUNIT_CASE(kp_test_add_lookup),
	KUNIT_CASE(kp_test_duplicates),
	KUNIT_CASE(kp_test_limit),
	KUNIT_CASE(kp_test_delete_and_order),
	KUNIT_CASE(kp_test_reap),
	KUNIT_CASE(kp_test_many),
	{}
};

static struct kunit_suite kp_ep_suite = {
	.name = "kplane_endpoint",
	.init = kp_ep_test_init,
	.exit = kp_ep_test_exit,
	.suite_init = kp_ep_suite_init,
	.suite_exit = kp_ep_suite_exit,
	.test_cases = kp_ep_cases,
};
kunit_test_suite(kp_ep_suite);
