// SPDX-License-Identifier: GPL-2.0
/* KUnit: service tables and backend choice (kmod/service.c). */
#include <kunit/test.h>
#include <linux/in.h>
#include "node.h"
#include "service.h"

/* Backend i is local when bit i of @local is set; Local policies with @local_policy. */
static struct kp_service *kp_test_svc_ex(struct kunit *test, u8 last, unsigned int n,
					 const u8 *states, u32 local, bool local_policy)
{
	struct kp_service *svc = kp_svc_alloc(n);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, svc);
	svc->key.family = AF_INET;
	svc->key.proto = IPPROTO_TCP;
	svc->key.port = htons(80);
	svc->key.addr[0] = 10;
	svc->key.addr[3] = last;
	svc->maglev_size = 251;
	for (i = 0; i < n; i++) {
		struct kp_backend *be = &svc->backends[i];

		be->addr.family = AF_INET;
		be->addr.ip[0] = 10;
		be->addr.ip[3] = (u8)(i + 1);
		be->port = htons(8080);
		be->weight = 1;
		be->state = states ? states[i] : KPLANE_BE_ACTIVE;
		be->local = local & (1U << i);
	}
	svc->int_policy = local_policy ? KPLANE_POLICY_LOCAL : KPLANE_POLICY_CLUSTER;
	KUNIT_ASSERT_EQ(test, kp_svc_build(svc, NULL), 0);
	return svc;
}

static struct kp_service *kp_test_svc(struct kunit *test, u8 last, unsigned int n,
				      const u8 *states)
{
	return kp_test_svc_ex(test, last, n, states, 0, false);
}

/* The tables' lock: a node's, in the module. */
static DEFINE_MUTEX(kp_test_lock);

static struct kp_svc_table *kp_test_table(struct kunit *test)
{
	struct kp_svc_table *tbl = kunit_kzalloc(test, sizeof(*tbl), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tbl);
	KUNIT_ASSERT_EQ(test, kp_svc_table_init(tbl, &kp_test_lock), 0);
	return tbl;
}

static void kp_test_table_done(struct kp_svc_table *tbl)
{
	mutex_lock(&kp_test_lock);
	kp_svc_table_destroy(tbl);
	mutex_unlock(&kp_test_lock);
}

static int kp_test_set(struct kp_svc_table *tbl, struct kp_service *svc, unsigned int limit)
{
	int err;

	mutex_lock(&kp_test_lock);
	err = kp_svc_table_set(tbl, svc, limit, NULL);	/* takes @svc */
	mutex_unlock(&kp_test_lock);
	return err;
}

static void kp_test_set_replace_keeps_place(struct kunit *test)
{
	struct kp_svc_table *tbl = kp_test_table(test);
	struct kp_service *a = kp_test_svc(test, 1, 2, NULL);
	struct kp_service *b = kp_test_svc(test, 2, 1, NULL);
	struct kp_service *a2 = kp_test_svc(test, 1, 3, NULL);

	KUNIT_ASSERT_EQ(test, kp_test_set(tbl, a, 10), 0);
	KUNIT_ASSERT_EQ(test, kp_test_set(tbl, b, 10), 0);
	KUNIT_ASSERT_EQ(test, kp_test_set(tbl, a2, 10), 0);	/* replaces a */
	KUNIT_EXPECT_EQ(test, tbl->count, 2U);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup(tbl, &a2->key), a2);
	KUNIT_EXPECT_EQ(test, a2->n_backends, 3U);
	/* Same dump position as the service it replaced: first. */
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&tbl->list, struct kp_service, list), a2);
	KUNIT_EXPECT_EQ(test, a2->seq, 1ULL);
	kp_test_table_done(tbl);
}

static void kp_test_limit_and_del(struct kunit *test)
{
	struct kp_svc_table *tbl = kp_test_table(test);
	struct kp_service *a = kp_test_svc(test, 1, 1, NULL);

	KUNIT_ASSERT_EQ(test, kp_test_set(tbl, a, 1), 0);
	KUNIT_EXPECT_EQ(test, kp_test_set(tbl, kp_test_svc(test, 2, 1, NULL), 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, atomic64_read(&tbl->full), 1LL);
	/* Replacing at the limit is fine: the count does not grow. */
	KUNIT_EXPECT_EQ(test, kp_test_set(tbl, kp_test_svc(test, 1, 2, NULL), 1), 0);
	mutex_lock(&kp_test_lock);
	kp_svc_table_del(tbl, kp_svc_lookup(tbl, &a->key));
	mutex_unlock(&kp_test_lock);
	KUNIT_EXPECT_EQ(test, tbl->count, 0U);
	kp_test_table_done(tbl);
}

static void kp_test_pick_states(struct kunit *test)
{
	static const u8 mixed[] = { KPLANE_BE_TERMINATING, KPLANE_BE_ACTIVE,
				    KPLANE_BE_SERVING_TERMINATING };
	static const u8 draining[] = { KPLANE_BE_TERMINATING, KPLANE_BE_SERVING_TERMINATING };
	static const u8 gone[] = { KPLANE_BE_TERMINATING };
	struct kp_service *svc;
	u64 h;

	/* Only the active backend while one is active. */
	svc = kp_test_svc(test, 1, 3, mixed);
	KUNIT_EXPECT_EQ(test, svc->all.n_usable, 1U);
	for (h = 0; h < 500; h++)
		KUNIT_EXPECT_PTR_EQ(test, kp_svc_pick(svc, h, false), &svc->backends[1]);
	kp_svc_free(svc);
	/* Serving-terminating when nothing is active. */
	svc = kp_test_svc(test, 1, 2, draining);
	for (h = 0; h < 500; h++)
		KUNIT_EXPECT_PTR_EQ(test, kp_svc_pick(svc, h, false), &svc->backends[1]);
	kp_svc_free(svc);
	/* Terminating alone: nothing to pick, the connect is refused. */
	svc = kp_test_svc(test, 1, 1, gone);
	KUNIT_EXPECT_NULL(test, kp_svc_pick(svc, 7, false));
	KUNIT_EXPECT_NULL(test, svc->all.table);
	kp_svc_free(svc);
	svc = kp_test_svc(test, 1, 0, NULL);
	KUNIT_EXPECT_NULL(test, kp_svc_pick(svc, 7, false));
	kp_svc_free(svc);
}

static void kp_test_pick_spreads(struct kunit *test)
{
	struct kp_service *svc = kp_test_svc(test, 1, 4, NULL);
	unsigned int seen[4] = {}, i;
	u64 h;

	for (h = 0; h < svc->maglev_size; h++)
		seen[kp_svc_pick(svc, h, false) - svc->backends]++;
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_GT(test, seen[i], 50U);	/* 251 / 4 ~ 63 */
	kp_svc_free(svc);
}

/* A Local policy picks node-local backends only, with the same fallbacks. */
static void kp_test_pick_local(struct kunit *test)
{
	static const u8 states[] = { KPLANE_BE_ACTIVE, KPLANE_BE_ACTIVE,
				     KPLANE_BE_SERVING_TERMINATING, KPLANE_BE_ACTIVE };
	struct kp_service *svc;
	const struct kp_backend *be;
	bool remote_seen = false;
	u64 h;

	/* Backends 1 and 2 are local; 2 only serving-terminating: 1 alone. */
	svc = kp_test_svc_ex(test, 1, 4, states, 0x6, true);
	KUNIT_EXPECT_EQ(test, svc->local.n_usable, 1U);
	KUNIT_EXPECT_EQ(test, svc->all.n_usable, 3U);
	for (h = 0; h < 500; h++) {
		KUNIT_EXPECT_PTR_EQ(test, kp_svc_pick(svc, h, true), &svc->backends[1]);
		be = kp_svc_pick(svc, h, false);
		remote_seen |= !be->local;
	}
	KUNIT_EXPECT_TRUE(test, remote_seen);
	kp_svc_free(svc);
	/* Only the serving-terminating local one: it serves Local picks. */
	svc = kp_test_svc_ex(test, 1, 4, states, 0x4, true);
	for (h = 0; h < 100; h++)
		KUNIT_EXPECT_PTR_EQ(test, kp_svc_pick(svc, h, true), &svc->backends[2]);
	kp_svc_free(svc);
	/* No local backend at all: nothing to pick (refused), Cluster still works. */
	svc = kp_test_svc_ex(test, 1, 4, states, 0, true);
	KUNIT_EXPECT_NULL(test, kp_svc_pick(svc, 3, true));
	KUNIT_EXPECT_NOT_NULL(test, kp_svc_pick(svc, 3, false));
	kp_svc_free(svc);
	/* Without a Local policy no local table is built. */
	svc = kp_test_svc_ex(test, 1, 4, states, 0x6, false);
	KUNIT_EXPECT_NULL(test, svc->local.table);
	kp_svc_free(svc);
}

/* A NodePort on the unspecified address answers for any address; exact wins. */
static void kp_test_lookup_wild(struct kunit *test)
{
	struct kp_svc_table *tbl = kp_test_table(test);
	struct kp_service *wild = kp_test_svc(test, 0, 1, NULL);
	struct kp_service *exact = kp_test_svc(test, 7, 2, NULL);
	struct kp_svc_key key = exact->key;

	memset(wild->key.addr, 0, sizeof(wild->key.addr));
	wild->type = KPLANE_SVC_NODE_PORT;
	KUNIT_EXPECT_NULL(test, kp_svc_lookup_wild(tbl, &key, 0));
	KUNIT_ASSERT_EQ(test, kp_test_set(tbl, wild, 10), 0);
	KUNIT_EXPECT_EQ(test, tbl->wild, 1U);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup_wild(tbl, &key, 0), wild);
	KUNIT_ASSERT_EQ(test, kp_test_set(tbl, exact, 10), 0);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup_wild(tbl, &key, 0), exact);
	key.port = htons(81);
	KUNIT_EXPECT_NULL(test, kp_svc_lookup_wild(tbl, &key, 0));
	KUNIT_EXPECT_TRUE(test, kp_svc_has_backend(exact, exact->backends[1].addr.ip,
						   htons(8080)));
	KUNIT_EXPECT_FALSE(test, kp_svc_has_backend(exact, exact->backends[1].addr.ip,
						    htons(8081)));
	kp_test_table_done(tbl);
	KUNIT_EXPECT_EQ(test, tbl->wild, 0U);
}

/*
 * A commit's changes, staged in view 1 while packets read view 0: a new
 * service, a replacement and a deletion are each seen in the view they
 * belong to, and nowhere else; taken back, view 1 is view 0 again.
 */
static void kp_test_staged_view(struct kunit *test)
{
	struct kp_svc_table *tbl = kp_test_table(test);
	struct kp_service *a = kp_test_svc(test, 1, 1, NULL), *a2 = kp_test_svc(test, 1, 2, NULL);
	struct kp_service *b = kp_test_svc(test, 2, 1, NULL), *c = kp_test_svc(test, 3, 1, NULL);
	struct kp_svc_key ka = a->key, kb = b->key, kc = c->key;

	KUNIT_ASSERT_EQ(test, kp_test_set(tbl, a, 10), 0);
	KUNIT_ASSERT_EQ(test, kp_test_set(tbl, b, 10), 0);
	mutex_lock(&kp_test_lock);
	rcu_read_lock();
	KUNIT_ASSERT_EQ(test, kp_svc_stage(tbl, a, a2, 1), 0);
	KUNIT_ASSERT_EQ(test, kp_svc_stage(tbl, b, NULL, 1), 0);
	KUNIT_ASSERT_EQ(test, kp_svc_stage(tbl, NULL, c, 1), 0);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup_wild(tbl, &ka, 0), a);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup_wild(tbl, &ka, 1), a2);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup_wild(tbl, &kb, 0), b);
	KUNIT_EXPECT_NULL(test, kp_svc_lookup_wild(tbl, &kb, 1));
	KUNIT_EXPECT_NULL(test, kp_svc_lookup_wild(tbl, &kc, 0));
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup_wild(tbl, &kc, 1), c);
	KUNIT_EXPECT_EQ(test, tbl->count, 2U);		/* lists change at the finish */
	kp_svc_unstage(tbl, a, a2);
	kp_svc_unstage(tbl, b, NULL);
	kp_svc_unstage(tbl, NULL, c);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup_wild(tbl, &ka, 1), a);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup_wild(tbl, &kb, 1), b);
	KUNIT_EXPECT_NULL(test, kp_svc_lookup_wild(tbl, &kc, 1));
	rcu_read_unlock();
	/* Staged again and finished: the table as direct changes leave it. */
	KUNIT_ASSERT_EQ(test, kp_svc_stage(tbl, a, a2, 1), 0);
	KUNIT_ASSERT_EQ(test, kp_svc_stage(tbl, NULL, c, 1), 0);
	synchronize_rcu();
	KUNIT_EXPECT_EQ(test, kp_svc_table_set(tbl, a2, UINT_MAX, NULL), 0);
	KUNIT_EXPECT_EQ(test, kp_svc_table_set(tbl, c, UINT_MAX, NULL), 0);
	KUNIT_EXPECT_EQ(test, tbl->count, 3U);
	KUNIT_EXPECT_EQ(test, a2->hidden | c->hidden, 0);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup(tbl, &ka), a2);
	KUNIT_EXPECT_PTR_EQ(test, kp_svc_lookup(tbl, &kc), c);
	mutex_unlock(&kp_test_lock);
	kp_test_table_done(tbl);
}

static struct kunit_case kp_svc_cases[] = {
	KUNIT_CASE(kp_test_staged_view),
	KUNIT_CASE(kp_test_pick_local),
	KUNIT_CASE(kp_test_lookup_wild),
	KUNIT_CASE(kp_test_set_replace_keeps_place),
	KUNIT_CASE(kp_test_limit_and_del),
	KUNIT_CASE(kp_test_pick_states),
	KUNIT_CASE(kp_test_pick_spreads),
	{}
};

/* Replaced and deleted services are freed by call_rcu: land them before unload. */
static void kp_svc_suite_exit(struct kunit_suite *suite)
{
	rcu_barrier();
}

static struct kunit_suite kp_svc_suite = {
	.name = "kplane_service",
	.suite_exit = kp_svc_suite_exit,
	.test_cases = kp_svc_cases,
};
kunit_test_suite(kp_svc_suite);
