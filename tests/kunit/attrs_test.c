// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: endpoint attribute parsing (kmod/attrs.c) fed hand-built nests, the
 * way a hostile or buggy userspace would send them.
 */
#include <kunit/test.h>
#include <linux/skbuff.h>
#include <net/netlink.h>
#include "attrs.h"

struct kp_attrs_test {
	struct sk_buff *skb;
	struct kp_ep_cfg cfg;
	struct netlink_ext_ack extack;
};

static int kp_attrs_test_init(struct kunit *test)
{
	struct kp_attrs_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->skb = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->skb);
	test->priv = t;
	return 0;
}

static void kp_attrs_test_exit(struct kunit *test)
{
	struct kp_attrs_test *t = test->priv;

	kfree_skb(t->skb);
}

static void kp_put_test_addr(struct sk_buff *skb, u16 family, const void *ip, int len)
{
	struct nlattr *a = nla_nest_start(skb, KPLANE_EP_A_ADDR);

	nla_put_u16(skb, KPLANE_ADDR_A_FAMILY, family);
	nla_put(skb, KPLANE_ADDR_A_IP, len, ip);
	nla_nest_end(skb, a);
}

/* An endpoint nest with an id and ifname; callers append more, then end it. */
static struct nlattr *kp_start_ep(struct kp_attrs_test *t, const char *id,
				  const char *ifname)
{
	struct nlattr *nest = nla_nest_start(t->skb, KPLANE_A_ENDPOINT);

	if (id)
		nla_put_string(t->skb, KPLANE_EP_A_ID, id);
	if (ifname)
		nla_put_string(t->skb, KPLANE_EP_A_IFNAME, ifname);
	return nest;
}

static int kp_parse_full(struct kp_attrs_test *t, struct nlattr *nest)
{
	nla_nest_end(t->skb, nest);
	return kp_ep_parse(nest, KP_EP_PARSE_FULL, &t->cfg, &t->extack);
}

static void kp_test_parse_ok(struct kunit *test)
{
	static const u8 v4[4] = { 10, 0, 0, 2 }, v6[16] = { 0xfd, [15] = 2 };
	struct kp_attrs_test *t = test->priv;
	struct nlattr *nest = kp_start_ep(t, "default/pod-a", "veth-a");

	nla_put_u32(t->skb, KPLANE_EP_A_NETNS_FD, 5);
	kp_put_test_addr(t->skb, AF_INET, v4, 4);
	kp_put_test_addr(t->skb, AF_INET6, v6, 16);
	KUNIT_ASSERT_EQ(test, kp_parse_full(t, nest), 0);
	KUNIT_EXPECT_STREQ(test, t->cfg.id, "default/pod-a");
	KUNIT_EXPECT_STREQ(test, t->cfg.ifname, "veth-a");
	KUNIT_EXPECT_TRUE(test, t->cfg.has_netns_fd);
	KUNIT_EXPECT_EQ(test, t->cfg.netns_fd, 5U);
	KUNIT_ASSERT_EQ(test, t->cfg.n_addrs, 2U);
	KUNIT_EXPECT_EQ(test, t->cfg.addrs[0].family, (u16)AF_INET);
	KUNIT_EXPECT_EQ(test, memcmp(t->cfg.addrs[1].ip, v6, 16), 0);
}

static void kp_test_parse_missing(struct kunit *test)
{
	struct kp_attrs_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, kp_parse_full(t, kp_start_ep(t, NULL, "veth-a")), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "endpoint id is missing");
	KUNIT_EXPECT_EQ(test, t->extack.miss_type, (u32)KPLANE_EP_A_ID);
	KUNIT_EXPECT_EQ(test, kp_parse_full(t, kp_start_ep(t, "a", NULL)), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "endpoint interface (ifname) is missing");
}

static void kp_test_parse_bad_id(struct kunit *test)
{
	struct kp_attrs_test *t = test->priv;
	char long_id[100];

	KUNIT_EXPECT_EQ(test, kp_parse_full(t, kp_start_ep(t, "a b", "x")), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, t->extack.bad_attr);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	t->extack = (struct netlink_ext_ack){};
	KUNIT_EXPECT_EQ(test, kp_parse_full(t, kp_start_ep(t, long_id, "x")), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, t->extack._msg);
}

static void kp_test_parse_wrong_type(struct kunit *test)
{
	struct kp_attrs_test *t = test->priv;
	struct nlattr *nest = kp_start_ep(t, "a", "x");

	nla_put_u8(t->skb, KPLANE_EP_A_NETNS_FD, 1);	/* u32 expected */
	KUNIT_EXPECT_EQ(test, kp_parse_full(t, nest), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "invalid attribute length");
}

static void kp_test_parse_unknown(struct kunit *test)
{
	struct kp_attrs_test *t = test->priv;
	struct nlattr *nest = kp_start_ep(t, "a", "x");

	nla_put_u32(t->skb, KPLANE_EP_A_MAX + 1, 1);
	KUNIT_EXPECT_EQ(test, kp_parse_full(t, nest), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "Unknown attribute type");
}

static void kp_test_parse_reply_only(struct kunit *test)
{
	struct kp_attrs_test *t = test->priv;
	struct nlattr *nest = kp_start_ep(t, "a", "x");

	nla_put_u32(t->skb, KPLANE_EP_A_IFINDEX, 3);
	KUNIT_EXPECT_EQ(test, kp_parse_full(t, nest), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "attribute is only sent by the kernel");
}

static void kp_test_parse_bad_addrs(struct kunit *test)
{
	static const u8 v4[4] = { 10, 0, 0, 2 };
	struct kp_attrs_test *t = test->priv;
	struct nlattr *nest;
	int i;

	nest = kp_start_ep(t, "a", "x");
	kp_put_test_addr(t->skb, 99, v4, 4);
	KUNIT_EXPECT_EQ(test, kp_parse_full(t, nest), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "address family must be AF_INET or AF_INET6");

	nest = kp_start_ep(t, "b", "x");
	kp_put_test_addr(t->skb, AF_INET6, v4, 4);
	KUNIT_EXPECT_EQ(test, kp_parse_full(t, nest), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "IPv6 address must be 16 bytes");

	nest = kp_start_ep(t, "c", "x");
	kp_put_test_addr(t->skb, AF_INET, v4, 4);
	kp_put_test_addr(t->skb, AF_INET, v4, 4);
	KUNIT_EXPECT_EQ(test, kp_parse_full(t, nest), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "duplicate address");

	nest = kp_start_ep(t, "d", "x");
	for (i = 0; i <= KPLANE_EP_ADDR_MAX; i++) {
		u8 ip[4] = { 10, 0, 1, i + 1 };

		kp_put_test_addr(t->skb, AF_INET, ip, 4);
	}
	KUNIT_EXPECT_EQ(test, kp_parse_full(t, nest), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "too many addresses (KPLANE_EP_ADDR_MAX)");
}

static void kp_test_parse_key_mode(struct kunit *test)
{
	struct kp_attrs_test *t = test->priv;
	struct nlattr *nest = kp_start_ep(t, "a", NULL);

	nla_nest_end(t->skb, nest);
	KUNIT_EXPECT_EQ(test, kp_ep_parse(nest, KP_EP_PARSE_KEY, &t->cfg, &t->extack), 0);
	KUNIT_EXPECT_STREQ(test, t->cfg.id, "a");
	nest = kp_start_ep(t, "a", "x");
	nla_nest_end(t->skb, nest);
	KUNIT_EXPECT_EQ(test, kp_ep_parse(nest, KP_EP_PARSE_KEY, &t->cfg, &t->extack), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack._msg, "only the id names an endpoint here");
}

static struct kunit_case kp_attrs_cases[] = {
	KUNIT_CASE(kp_test_parse_ok),
	KUNIT_CASE(kp_test_parse_missing),
	KUNIT_CASE(kp_test_parse_bad_id),
	KUNIT_CASE(kp_test_parse_wrong_type),
	KUNIT_CASE(kp_test_parse_unknown),
	KUNIT_CASE(kp_test_parse_reply_only),
	KUNIT_CASE(kp_test_parse_bad_addrs),
	KUNIT_CASE(kp_test_parse_key_mode),
	{}
};

static struct kunit_suite kp_attrs_suite = {
	.name = "kplane_attrs",
	.init = kp_attrs_test_init,
	.exit = kp_attrs_test_exit,
	.test_cases = kp_attrs_cases,
};
kunit_test_suite(kp_attrs_suite);
