// SPDX-License-Identifier: GPL-2.0
/* KUnit: the node flow table (kmod/flow.c). */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/tcp.h>
#include "flow.h"
#include "packet.h"

struct kp_flow_fixture {
	struct kp_flow_table tbl;
	struct kp_service svc;
	struct kp_backend be[2];
	struct kp_tuple t;
	u8 node_addr[16];
};

static void kp_ip4(u8 *out, u8 a, u8 b, u8 c, u8 d)
{
	memset(out, 0, 16);
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

static int kp_flow_test_init(struct kunit *test)
{
	struct kp_flow_fixture *fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, fx);
	KUNIT_ASSERT_EQ(test, kp_flow_table_init(&fx->tbl), 0);
	fx->svc.key.family = AF_INET;
	fx->svc.key.proto = IPPROTO_TCP;
	fx->svc.key.port = htons(30080);
	fx->svc.backends = fx->be;
	fx->svc.n_backends = 2;
	for (i = 0; i < 2; i++) {
		fx->be[i].addr.family = AF_INET;
		kp_ip4(fx->be[i].addr.ip, 10, 244, 1, (u8)(5 + i));
		fx->be[i].port = htons(8080);
	}
	fx->t.family = AF_INET;
	fx->t.proto = IPPROTO_TCP;
	fx->t.stage = KP_STAGE_PRE;
	kp_ip4(fx->t.saddr, 10, 0, 0, 9);
	kp_ip4(fx->t.daddr, 192, 168, 1, 1);
	fx->t.sport = htons(40000);
	fx->t.dport = htons(30080);
	kp_ip4(fx->node_addr, 10, 1, 0, 1);
	test->priv = fx;
	return 0;
}

static void kp_flow_test_exit(struct kunit *test)
{
	struct kp_flow_fixture *fx = test->priv;

	kp_flow_table_destroy(&fx->tbl);
	rcu_barrier();
}

/* The datapath calls in from netfilter hooks, inside an RCU read section. */
static struct kp_flow_node *kp_test_create(struct kp_flow_table *tbl, const struct kp_tuple *t,
					   const struct kp_service *svc,
					   const struct kp_backend *be, const u8 *snat)
{
	struct kp_flow_node *fn;

	rcu_read_lock();
	fn = kp_flow_create(tbl, t, svc, be, snat);
	rcu_read_unlock();
	return fn;
}

static struct kp_flow_node *kp_test_lookup(struct kp_flow_table *tbl, const struct kp_tuple *t)
{
	struct kp_flow_node *fn;

	rcu_read_lock();
	fn = kp_flow_lookup(tbl, t);
	rcu_read_unlock();
	return fn;
}

static struct kp_tuple kp_tuple_of(const struct kp_tuple *t, u8 stage, const u8 *saddr,
				   __be16 sport, const u8 *daddr, __be16 dport)
{
	struct kp_tuple k = *t;

	k.stage = stage;
	memcpy(k.saddr, saddr, 16);
	memcpy(k.daddr, daddr, 16);
	k.sport = sport;
	k.dport = dport;
	return k;
}

/* With SNAT the flow is found under all four tuples, the reply at a SNAT port. */
static void kp_test_flow_snat_tuples(struct kunit *test)
{
	struct kp_flow_fixture *fx = test->priv;
	const struct kp_backend *be = &fx->be[0];
	struct kp_flow_node *fn, *again;
	struct kp_tuple k;
	u16 sport;

	fn = kp_test_create(&fx->tbl, &fx->t, &fx->svc, be, fx->node_addr);
	KUNIT_ASSERT_FALSE(test, IS_ERR(fn));
	KUNIT_EXPECT_EQ(test, fn->role, KP_ROLE_ORIG_PRE);
	KUNIT_EXPECT_PTR_EQ(test, kp_test_lookup(&fx->tbl, &fx->t), fn);
	sport = ntohs(fn->flow->nat.sport);
	KUNIT_EXPECT_GE(test, sport, 61000);
	k = kp_tuple_of(&fx->t, KP_STAGE_PRE, be->addr.ip, be->port, fx->node_addr,
			fn->flow->nat.sport);
	KUNIT_EXPECT_EQ(test, kp_test_lookup(&fx->tbl, &k)->role, KP_ROLE_REPLY_PRE);
	k = kp_tuple_of(&fx->t, KP_STAGE_POST, fx->t.saddr, fx->t.sport, be->addr.ip, be->port);
	KUNIT_EXPECT_EQ(test, kp_test_lookup(&fx->tbl, &k)->role, KP_ROLE_ORIG_POST);
	k = kp_tuple_of(&fx->t, KP_STAGE_POST, be->addr.ip, be->port, fx->t.saddr, fx->t.sport);
	KUNIT_EXPECT_EQ(test, kp_test_lookup(&fx->tbl, &k)->role, KP_ROLE_REPLY_POST);
	/* A second first packet (another CPU) finds the same flow. */
	again = kp_test_create(&fx->tbl, &fx->t, &fx->svc, be, fx->node_addr);
	KUNIT_EXPECT_PTR_EQ(test, again, fn);
	KUNIT_EXPECT_EQ(test, atomic_read(&fx->tbl.count), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&fx->tbl.created), 1LL);
}

/* Two clients that differ only in port get distinct SNAT ports. */
static void kp_test_flow_snat_ports_distinct(struct kunit *test)
{
	struct kp_flow_fixture *fx = test->priv;
	struct kp_flow_node *a, *b;
	struct kp_tuple t2 = fx->t;

	a = kp_test_create(&fx->tbl, &fx->t, &fx->svc, &fx->be[0], fx->node_addr);
	t2.sport = htons(40001);
	b = kp_test_create(&fx->tbl, &t2, &fx->svc, &fx->be[0], fx->node_addr);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a) || IS_ERR(b));
	KUNIT_EXPECT_NE(test, a->flow->nat.sport, b->flow->nat.sport);
}

/* Without SNAT the backend answers the client itself; no ORIG_POST tuple. */
static void kp_test_flow_no_snat(struct kunit *test)
{
	struct kp_flow_fixture *fx = test->priv;
	const struct kp_backend *be = &fx->be[1];
	struct kp_flow_node *fn;
	struct kp_tuple k;

	fn = kp_test_create(&fx->tbl, &fx->t, &fx->svc, be, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(fn));
	KUNIT_EXPECT_FALSE(test, fn->flow->snat);
	k = kp_tuple_of(&fx->t, KP_STAGE_PRE, be->addr.ip, be->port, fx->t.saddr, fx->t.sport);
	KUNIT_EXPECT_EQ(test, kp_test_lookup(&fx->tbl, &k)->role, KP_ROLE_REPLY_PRE);
	k = kp_tuple_of(&fx->t, KP_STAGE_POST, fx->t.saddr, fx->t.sport, be->addr.ip, be->port);
	KUNIT_EXPECT_NULL(test, kp_test_lookup(&fx->tbl, &k));
}

/* The limit refuses new flows and counts them. */
static void kp_test_flow_limit(struct kunit *test)
{
	struct kp_flow_fixture *fx = test->priv;
	unsigned int saved = kp_max_flows;
	struct kp_flow_node *fn;
	struct kp_tuple t = fx->t;
	int i;

	kp_max_flows = 2;
	for (i = 0; i < 3; i++) {
		t.sport = htons(50000 + i);
		fn = kp_test_create(&fx->tbl, &t, &fx->svc, &fx->be[0], NULL);
		KUNIT_EXPECT_EQ(test, IS_ERR(fn), i == 2);
	}
	kp_max_flows = saved;
	KUNIT_EXPECT_EQ(test, PTR_ERR(fn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, atomic_read(&fx->tbl.count), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&fx->tbl.full), 1LL);
}

/* UDP flows to a backend the service no longer has are dropped; others stay. */
static void kp_test_flow_teardown_udp(struct kunit *test)
{
	struct kp_flow_fixture *fx = test->priv;
	struct kp_tuple t0 = fx->t, t1 = fx->t;

	fx->svc.key.proto = IPPROTO_UDP;
	t0.proto = t1.proto = IPPROTO_UDP;
	t1.sport = htons(40001);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kp_test_create(&fx->tbl, &t0, &fx->svc, &fx->be[0], NULL)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(kp_test_create(&fx->tbl, &t1, &fx->svc, &fx->be[1], NULL)));
	/* The service keeps backend 1 only. */
	fx->svc.backends = &fx->be[1];
	fx->svc.n_backends = 1;
	KUNIT_EXPECT_EQ(test, kp_flow_teardown_udp(&fx->tbl, &fx->svc.key, &fx->svc), 1U);
	KUNIT_EXPECT_NULL(test, kp_test_lookup(&fx->tbl, &t0));
	KUNIT_EXPECT_NOT_NULL(test, kp_test_lookup(&fx->tbl, &t1));
	/* The service is deleted: every one of its UDP flows goes. */
	KUNIT_EXPECT_EQ(test, kp_flow_teardown_udp(&fx->tbl, &fx->svc.key, NULL), 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&fx->tbl.count), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&fx->tbl.torn_down), 2LL);
}

/* Packets skip NAT lookups while nat_count is 0: it must count exactly the NAT flows. */
static void kp_test_flow_nat_count(struct kunit *test)
{
	struct kp_flow_fixture *fx = test->priv;
	struct kp_tuple t1 = fx->t;
	u8 client[16];

	fx->svc.key.proto = IPPROTO_UDP;
	fx->t.proto = t1.proto = IPPROTO_UDP;
	t1.sport = htons(40001);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kp_test_create(&fx->tbl, &fx->t, &fx->svc, &fx->be[0], NULL)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(kp_test_create(&fx->tbl, &t1, &fx->svc, &fx->be[1], NULL)));
	/* The same first packet again (another CPU's race) adds nothing. */
	KUNIT_ASSERT_FALSE(test, IS_ERR(kp_test_create(&fx->tbl, &t1, &fx->svc, &fx->be[1], NULL)));
	KUNIT_EXPECT_EQ(test, atomic_read(&fx->tbl.nat_count), 2);
	/* An affinity binding is a flow entry but rewrites nothing. */
	fx->svc.affinity_timeout = 10;
	kp_ip4(client, 10, 0, 0, 9);
	rcu_read_lock();
	kp_affinity_set(&fx->tbl, &fx->svc, client, &fx->be[0]);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, atomic_read(&fx->tbl.count), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&fx->tbl.nat_count), 2);
	KUNIT_EXPECT_EQ(test, kp_flow_teardown_udp(&fx->tbl, &fx->svc.key, NULL), 2U);
	KUNIT_EXPECT_EQ(test, atomic_read(&fx->tbl.nat_count), 0);
}

/* Appends an IPv4 header without options, @proto from @saddr to @daddr. */
static void kp_put_ip4(struct sk_buff *skb, u8 proto, const u8 *saddr, const u8 *daddr)
{
	struct iphdr *iph = skb_put_zero(skb, sizeof(*iph));

	iph->version = 4;
	iph->ihl = 5;
	iph->protocol = proto;
	memcpy(&iph->saddr, saddr, 4);
	memcpy(&iph->daddr, daddr, 4);
}

/* An IPv4 ICMP error from @from to @to quoting a UDP packet @qs:40000 -> @qd:9999. */
static struct sk_buff *kp_icmp_error_skb(struct kunit *test, u8 type, const u8 *from,
					 const u8 *to, const u8 *qs, const u8 *qd)
{
	struct sk_buff *skb = alloc_skb(128, GFP_KERNEL);
	struct icmphdr *ih;
	struct udphdr *uh;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reset_network_header(skb);
	kp_put_ip4(skb, IPPROTO_ICMP, from, to);
	ih = skb_put_zero(skb, sizeof(*ih));
	ih->type = type;
	ih->code = ICMP_PORT_UNREACH;
	kp_put_ip4(skb, IPPROTO_UDP, qs, qd);
	uh = skb_put_zero(skb, sizeof(*uh));
	uh->source = htons(40000);
	uh->dest = htons(9999);
	return skb;
}

/* An IPv4 UDP packet as a device's ingress has it: @len bytes of @tot_len announced. */
static struct sk_buff *kp_ingress_skb(struct kunit *test, unsigned int len, u16 tot_len)
{
	struct sk_buff *skb = alloc_skb(128, GFP_KERNEL);
	u8 a[16], b[16];
	struct iphdr *iph;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	kp_ip4(a, 10, 244, 1, 2);
	kp_ip4(b, 10, 244, 1, 3);
	skb->protocol = htons(ETH_P_IP);
	skb_reset_network_header(skb);
	kp_put_ip4(skb, IPPROTO_UDP, a, b);
	skb_put_zero(skb, len - sizeof(*iph));
	iph = ip_hdr(skb);
	iph->tot_len = htons(tot_len);
	iph->ttl = 64;
	ip_send_check(iph);
	return skb;
}

/* The L4 header of a packet kp_ingress_skb made. */
static struct udphdr *kp_l4_hdr(struct sk_buff *skb)
{
	return (struct udphdr *)(skb_network_header(skb) + sizeof(struct iphdr));
}

static bool kp_ingress_accepts(struct sk_buff *skb)
{
	u8 pf = 0;
	bool ok = kp_pkt_ingress_ok(skb, &pf);

	kfree_skb(skb);
	return ok && pf == NFPROTO_IPV4;
}

/*
 * Before the IP stack: only a whole, exact header is read.  Its checksum is
 * the receiver's to check (the fast path keeps a bad one bad).
 */
static void kp_test_ingress_ok(struct kunit *test)
{
	struct sk_buff *skb;

	KUNIT_EXPECT_TRUE(test, kp_ingress_accepts(kp_ingress_skb(test, 28, 28)));
	/* Padding after the packet, or less than it announces: the stack's job. */
	KUNIT_EXPECT_FALSE(test, kp_ingress_accepts(kp_ingress_skb(test, 40, 28)));
	KUNIT_EXPECT_FALSE(test, kp_ingress_accepts(kp_ingress_skb(test, 28, 40)));
	skb = kp_ingress_skb(test, 28, 28);
	ip_hdr(skb)->ttl = 63;			/* checksum no longer matches */
	KUNIT_EXPECT_TRUE(test, kp_ingress_accepts(skb));
	skb = kp_ingress_skb(test, 28, 28);
	ip_hdr(skb)->version = 6;
	ip_send_check(ip_hdr(skb));
	KUNIT_EXPECT_FALSE(test, kp_ingress_accepts(skb));
	skb = kp_ingress_skb(test, 28, 28);
	ip_hdr(skb)->ihl = 6;			/* options: left to the stack */
	ip_send_check(ip_hdr(skb));
	KUNIT_EXPECT_FALSE(test, kp_ingress_accepts(skb));
	skb = kp_ingress_skb(test, 28, 28);
	skb_trim(skb, 12);			/* not even a header */
	KUNIT_EXPECT_FALSE(test, kp_ingress_accepts(skb));
	skb = kp_ingress_skb(test, 28, 28);
	skb->protocol = htons(ETH_P_ARP);
	KUNIT_EXPECT_FALSE(test, kp_ingress_accepts(skb));
}

/* The ingress fast path's inline parse reads what kp_pkt_parse reads. */
static void kp_test_parse_ingress_agrees(struct kunit *test, struct sk_buff *skb)
{
	struct kp_pkt fast, full;
	bool fast_ok, full_ok;

	fast_ok = kp_pkt_parse_ingress(skb, NFPROTO_IPV4, &fast);
	full_ok = kp_pkt_parse(skb, NFPROTO_IPV4, KP_STAGE_PRE, &full);
	KUNIT_EXPECT_EQ(test, fast_ok, full_ok);
	if (fast_ok && full_ok)
		KUNIT_EXPECT_EQ(test, memcmp(&fast, &full, sizeof(fast)), 0);
	kfree_skb(skb);
}

static void kp_test_parse_ingress(struct kunit *test)
{
	struct sk_buff *skb;
	struct kp_pkt p;
	u8 a[16], b[16];

	kp_ip4(a, 10, 244, 1, 2);
	kp_ip4(b, 10, 244, 1, 3);
	skb = kp_ingress_skb(test, 28, 28);
	kp_l4_hdr(skb)->source = htons(40000);
	kp_l4_hdr(skb)->dest = htons(9999);
	KUNIT_ASSERT_TRUE(test, kp_pkt_parse_ingress(skb, NFPROTO_IPV4, &p));
	KUNIT_EXPECT_TRUE(test, p.plain && p.whole && p.has_l4);
	KUNIT_EXPECT_EQ(test, p.t.stage, KP_STAGE_PRE);
	KUNIT_EXPECT_EQ(test, ntohs(p.t.sport), 40000);
	KUNIT_EXPECT_EQ(test, memcmp(p.t.daddr, b, 16), 0);
	kp_test_parse_ingress_agrees(test, skb);
	/* TCP, with its flags. */
	skb = kp_ingress_skb(test, 40, 40);
	ip_hdr(skb)->protocol = IPPROTO_TCP;
	((u8 *)kp_l4_hdr(skb))[13] = TCPHDR_SYN;
	kp_test_parse_ingress_agrees(test, skb);
	/* A truncated TCP header: neither reads it. */
	skb = kp_ingress_skb(test, 28, 28);
	ip_hdr(skb)->protocol = IPPROTO_TCP;
	kp_test_parse_ingress_agrees(test, skb);
	/* What the inline parse hands on: fragments, ICMP, other protocols. */
	skb = kp_ingress_skb(test, 28, 28);
	ip_hdr(skb)->frag_off = htons(IP_MF);
	kp_test_parse_ingress_agrees(test, skb);
	skb = kp_ingress_skb(test, 28, 28);
	ip_hdr(skb)->frag_off = htons(100);
	kp_test_parse_ingress_agrees(test, skb);
	skb = kp_icmp_error_skb(test, ICMP_ECHO, a, b, b, a);
	kp_test_parse_ingress_agrees(test, skb);
	skb = kp_ingress_skb(test, 28, 28);
	ip_hdr(skb)->protocol = IPPROTO_GRE;
	kp_test_parse_ingress_agrees(test, skb);
}

static bool kp_test_quoted(struct kunit *test, struct sk_buff *skb, struct kp_tuple *t)
{
	struct kp_pkt p;
	bool ok;

	KUNIT_ASSERT_TRUE(test, kp_pkt_parse(skb, NFPROTO_IPV4, KP_STAGE_POLICY, &p));
	ok = kp_pkt_icmp_quoted(skb, &p, KP_STAGE_POLICY, t, NULL);
	kfree_skb(skb);
	return ok;
}

/* The flow an ICMP error belongs to is the quoted packet's, sent by its destination. */
static void kp_test_icmp_quoted(struct kunit *test)
{
	u8 pod2[16], pod3[16], other[16];
	struct kp_tuple t;

	kp_ip4(pod2, 10, 244, 1, 2);
	kp_ip4(pod3, 10, 244, 1, 3);
	kp_ip4(other, 10, 244, 1, 4);
	KUNIT_ASSERT_TRUE(test, kp_test_quoted(test, kp_icmp_error_skb(test, ICMP_DEST_UNREACH,
								     pod2, pod3, pod3, pod2), &t));
	KUNIT_EXPECT_EQ(test, t.family, AF_INET);
	KUNIT_EXPECT_EQ(test, t.proto, IPPROTO_UDP);
	KUNIT_EXPECT_EQ(test, t.stage, KP_STAGE_POLICY);
	KUNIT_EXPECT_EQ(test, ntohs(t.sport), 40000);
	KUNIT_EXPECT_EQ(test, ntohs(t.dport), 9999);
	KUNIT_EXPECT_EQ(test, memcmp(t.saddr, pod3, 16), 0);
	KUNIT_EXPECT_EQ(test, memcmp(t.daddr, pod2, 16), 0);
	/* Quoting someone else's packet: not this destination's flow. */
	KUNIT_EXPECT_FALSE(test, kp_test_quoted(test, kp_icmp_error_skb(test, ICMP_DEST_UNREACH,
								      pod2, pod3, other, pod2), &t));
	/* Not an error type: an echo request quotes nothing. */
	KUNIT_EXPECT_FALSE(test, kp_test_quoted(test, kp_icmp_error_skb(test, ICMP_ECHO,
								      pod2, pod3, pod3, pod2), &t));
}

static const struct kp_backend *kp_test_affinity_get(struct kp_flow_fixture *fx,
						     const u8 *client)
{
	const struct kp_backend *be;

	rcu_read_lock();
	be = kp_affinity_get(&fx->tbl, &fx->svc, client, false);
	rcu_read_unlock();
	return be;
}

/* A binding holds while fresh and usable; it expires; rebinding replaces it. */
static void kp_test_affinity(struct kunit *test)
{
	struct kp_flow_fixture *fx = test->priv;
	struct kp_flow_node *fn;
	struct kp_tuple k = {};
	u8 other[16];

	fx->svc.affinity_timeout = 10;
	fx->svc.key.proto = IPPROTO_UDP;	/* so the teardown below could see it */
	kp_ip4(other, 10, 0, 0, 10);
	KUNIT_EXPECT_NULL(test, kp_test_affinity_get(fx, fx->t.saddr));
	rcu_read_lock();
	kp_affinity_set(&fx->tbl, &fx->svc, fx->t.saddr, &fx->be[1]);
	rcu_read_unlock();
	KUNIT_EXPECT_PTR_EQ(test, kp_test_affinity_get(fx, fx->t.saddr), &fx->be[1]);
	KUNIT_EXPECT_NULL(test, kp_test_affinity_get(fx, other));
	/* Rebinding the same client replaces, it does not add. */
	rcu_read_lock();
	kp_affinity_set(&fx->tbl, &fx->svc, fx->t.saddr, &fx->be[0]);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, atomic_read(&fx->tbl.count), 1);
	KUNIT_EXPECT_PTR_EQ(test, kp_test_affinity_get(fx, fx->t.saddr), &fx->be[0]);
	/* A terminating backend is not used for new connections. */
	fx->be[0].state = KPLANE_BE_TERMINATING;
	KUNIT_EXPECT_NULL(test, kp_test_affinity_get(fx, fx->t.saddr));
	fx->be[0].state = KPLANE_BE_ACTIVE;
	/* Idle past the timeout: gone. */
	k.family = AF_INET;
	k.proto = IPPROTO_UDP;
	k.stage = KP_STAGE_AFFINITY;
	k.dport = fx->svc.key.port;
	memcpy(k.saddr, fx->t.saddr, 16);
	memcpy(k.daddr, fx->svc.key.addr, 16);
	fn = kp_test_lookup(&fx->tbl, &k);
	KUNIT_ASSERT_NOT_NULL(test, fn);
	fn->flow->expires = jiffies - 1;
	KUNIT_EXPECT_NULL(test, kp_test_affinity_get(fx, fx->t.saddr));
	/* UDP teardown leaves affinity bindings alone. */
	fx->svc.n_backends = 0;
	KUNIT_EXPECT_EQ(test, kp_flow_teardown_udp(&fx->tbl, &fx->svc.key, &fx->svc), 0U);
}

static struct kunit_case kp_flow_cases[] = {
	KUNIT_CASE(kp_test_affinity),
	KUNIT_CASE(kp_test_flow_snat_tuples),
	KUNIT_CASE(kp_test_flow_snat_ports_distinct),
	KUNIT_CASE(kp_test_flow_no_snat),
	KUNIT_CASE(kp_test_flow_limit),
	KUNIT_CASE(kp_test_flow_teardown_udp),
	KUNIT_CASE(kp_test_flow_nat_count),
	KUNIT_CASE(kp_test_icmp_quoted),
	KUNIT_CASE(kp_test_ingress_ok),
	KUNIT_CASE(kp_test_parse_ingress),
	{}
};

static struct kunit_suite kp_flow_suite = {
	.name = "kplane_flow",
	.init = kp_flow_test_init,
	.exit = kp_flow_test_exit,
	.test_cases = kp_flow_cases,
};
kunit_test_suite(kp_flow_suite);
