// SPDX-License-Identifier: GPL-2.0
/* The node flow table: see flow.h. */
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/dst.h>
#include <net/tcp.h>
#include "budget.h"
#include "flow.h"
#include "settings.h"

unsigned int kp_max_flows = 262144;
module_param_named(max_flows, kp_max_flows, uint, 0644);
MODULE_PARM_DESC(max_flows, "Most packet-path flows per node (default 262144)");

/* Flows are made by packets, so a node's netns needs only a user namespace. */
static unsigned int kp_max_flows_host = 1 << 21;
module_param_named(max_flows_host, kp_max_flows_host, uint, 0644);
MODULE_PARM_DESC(max_flows_host, "Most packet-path flows over all nodes (default 2M)");
static struct kp_pool kp_flows_host;

unsigned int kp_flow_timeout_tcp = 3600;
module_param_named(flow_timeout_tcp, kp_flow_timeout_tcp, uint, 0644);
MODULE_PARM_DESC(flow_timeout_tcp, "Idle seconds before an established TCP flow is reclaimed (default 3600)");

unsigned int kp_flow_timeout_udp = 120;
module_param_named(flow_timeout_udp, kp_flow_timeout_udp, uint, 0644);
MODULE_PARM_DESC(flow_timeout_udp, "Idle seconds before an answered UDP flow is reclaimed (default 120)");

#define KP_FLOW_GC_INTERVAL		HZ
/* Walk this many entries per RCU section, then let others run. */
#define KP_FLOW_GC_BATCH		1024

/*
 * SNAT ports come from above the default ephemeral range (32768-60999) so a
 * translated flow does not collide with the node's own connections.
 */
#define KP_SNAT_PORT_MIN	61000
#define KP_SNAT_PORT_MAX	65535
#define KP_SNAT_TRIES		64

static void kp_flow_gc_work(struct work_struct *work);

int kp_flow_table_init(struct kp_flow_table *tbl)
{
	spin_lock_init(&tbl->lock);
	atomic_set(&tbl->count, 0);
	atomic_set(&tbl->nat_count, 0);
	atomic64_set(&tbl->created, 0);
	atomic64_set(&tbl->full, 0);
	atomic64_set(&tbl->expired, 0);
	atomic64_set(&tbl->torn_down, 0);
	atomic64_set(&tbl->snat_exhausted, 0);
	INIT_DELAYED_WORK(&tbl->gc, kp_flow_gc_work);
	return rhashtable_init(&tbl->ht, &kp_flow_params);
}

static unsigned int kp_flow_sweep(struct kp_flow_table *tbl,
				  bool (*dead)(const struct kp_flow *f, const void *arg),
				  const void *arg);

static bool kp_flow_any(const struct kp_flow *f, const void *arg)
{
	return true;
}

void kp_flow_table_destroy(struct kp_flow_table *tbl)
{
	cancel_delayed_work_sync(&tbl->gc);
	/*
	 * Not rhashtable_free_and_destroy(): a flow spans up to four chain
	 * entries, and freeing it from one would leave the walk on the others.
	 */
	kp_flow_sweep(tbl, kp_flow_any, NULL);
	rhashtable_destroy(&tbl->ht);
}

static void kp_flow_unhash(struct kp_flow_table *tbl, struct kp_flow *f)
{
	int i;

	for (i = 0; i < KP_ROLES; i++) {
		if (!f->tn[i].hashed)
			continue;
		rhashtable_remove_fast(&tbl->ht, &f->tn[i].node, kp_flow_params);
		f->tn[i].hashed = false;
	}
}

static void kp_flow_free_rcu(struct rcu_head *rcu)
{
	struct kp_flow *f = container_of(rcu, struct kp_flow, rcu);

	/* The datapath used these under RCU without references: now unused. */
	dst_release(f->verdict.dst[0]);
	dst_release(f->verdict.dst[1]);
	kfree(f);
}

/* Returns what kp_flow_reserve took. */
static void kp_flow_unreserve(struct kp_flow_table *tbl)
{
	kp_pool_give(&kp_flows_host, tbl->tenant, 1);
	atomic_dec(&tbl->count);
}

/* Removes @f once, whoever asks first (collector, teardown). */
static bool kp_flow_kill(struct kp_flow_table *tbl, struct kp_flow *f)
{
	if (test_and_set_bit(0, &f->dead))
		return false;
	spin_lock_bh(&tbl->lock);
	kp_flow_unhash(tbl, f);
	spin_unlock_bh(&tbl->lock);
	kp_flow_unreserve(tbl);
	if (f->translates)
		atomic_dec(&tbl->nat_count);
	call_rcu(&f->rcu, kp_flow_free_rcu);
	return true;
}

static void kp_tuple_set(struct kp_tuple *t, const struct kp_flow *f, u8 stage,
			 const u8 *saddr, __be16 sport, const u8 *daddr, __be16 dport)
{
	memset(t, 0, sizeof(*t));
	t->family = f->family;
	t->proto = f->proto;
	t->stage = stage;
	t->sport = sport;
	t->dport = dport;
	memcpy(t->saddr, saddr, 16);
	memcpy(t->daddr, daddr, 16);
}

/* The four tuples of @f from its addresses (ORIG_POST only with SNAT). */
static void kp_flow_keys(struct kp_flow *f)
{
	const struct kp_flow_nat *n = &f->nat;
	int i;

	kp_tuple_set(&f->tn[KP_ROLE_ORIG_PRE].key, f, KP_STAGE_PRE,
		     n->client, n->cport, n->front, n->fport);
	kp_tuple_set(&f->tn[KP_ROLE_ORIG_POST].key, f, KP_STAGE_POST,
		     n->client, n->cport, n->backend, n->bport);
	kp_tuple_set(&f->tn[KP_ROLE_REPLY_PRE].key, f, KP_STAGE_PRE,
		     n->backend, n->bport, n->snat, n->sport);
	kp_tuple_set(&f->tn[KP_ROLE_REPLY_POST].key, f, KP_STAGE_POST,
		     n->backend, n->bport, n->client, n->cport);
	for (i = 0; i < KP_ROLES; i++) {
		f->tn[i].flow = f;
		f->tn[i].role = i;
	}
}

static int kp_flow_hash_one(struct kp_flow_table *tbl, struct kp_flow_node *fn)
{
	int err = rhashtable_lookup_insert_fast(&tbl->ht, &fn->node, kp_flow_params);

	fn->hashed = !err;
	return err;
}

/* Tries SNAT ports until the reply tuple is free; caller holds the lock. */
static int kp_flow_hash_snat(struct kp_flow_table *tbl, struct kp_flow *f)
{
	const u32 span = KP_SNAT_PORT_MAX - KP_SNAT_PORT_MIN + 1;
	u32 base = jhash(&f->tn[KP_ROLE_ORIG_PRE].key, sizeof(struct kp_tuple), 0);
	struct kp_flow_node *reply = &f->tn[KP_ROLE_REPLY_PRE];
	int i, err = -EADDRINUSE;

	for (i = 0; i < KP_SNAT_TRIES; i++) {
		f->nat.sport = htons(KP_SNAT_PORT_MIN + (base + i * 7919) % span);
		reply->key.dport = f->nat.sport;
		err = kp_flow_hash_one(tbl, reply);
		if (err != -EEXIST)
			return err;
	}
	atomic64_inc(&tbl->snat_exhausted);
	return -EADDRINUSE;
}

static int kp_flow_hash(struct kp_flow_table *tbl, struct kp_flow *f)
{
	int err;

	err = kp_flow_hash_one(tbl, &f->tn[KP_ROLE_ORIG_PRE]);
	if (err)
		return err;
	if (f->tn[KP_ROLE_ORIG_PRE].key.stage == KP_STAGE_POLICY) {
		err = kp_flow_hash_one(tbl, &f->tn[KP_ROLE_REPLY_PRE]);
		goto out;
	}
	err = f->snat ? kp_flow_hash_snat(tbl, f) :
			kp_flow_hash_one(tbl, &f->tn[KP_ROLE_REPLY_PRE]);
	if (!err && f->snat)
		err = kp_flow_hash_one(tbl, &f->tn[KP_ROLE_ORIG_POST]);
	if (!err)
		err = kp_flow_hash_one(tbl, &f->tn[KP_ROLE_REPLY_POST]);
out:
	if (err)
		kp_flow_unhash(tbl, f);
	return err;
}

static void kp_flow_gc_arm(struct kp_flow_table *tbl)
{
	if (!delayed_work_pending(&tbl->gc))
		queue_delayed_work(system_power_efficient_wq, &tbl->gc, KP_FLOW_GC_INTERVAL);
}

/* Takes one of the node's max_flows places; false when none is left. */
static bool kp_flow_reserve(struct kp_flow_table *tbl)
{
	u32 own = tbl->own_max ? READ_ONCE(*tbl->own_max) : 0;

	if (atomic_inc_return(&tbl->count) > kp_limit(own, &kp_max_flows))
		goto node_full;
	if (!kp_pool_take(&kp_flows_host, tbl->tenant, 1, READ_ONCE(kp_max_flows_host)))
		goto node_full;
	return true;

node_full:
	atomic_dec(&tbl->count);
	return false;
}

static struct kp_flow *kp_flow_alloc(const struct kp_tuple *t, const struct kp_service *svc,
				     const struct kp_backend *be, const u8 *snat_addr)
{
	struct kp_flow *f = kzalloc(sizeof(*f), GFP_ATOMIC);
	struct kp_flow_nat *n;

	if (!f)
		return NULL;
	n = &f->nat;
	f->family = t->family;
	f->proto = t->proto;
	f->svc = svc->key;
	f->snat = snat_addr != NULL;
	f->translates = true;
	memcpy(n->client, t->saddr, 16);
	n->cport = t->sport;
	memcpy(n->front, t->daddr, 16);
	n->fport = t->dport;
	memcpy(n->backend, be->addr.ip, 16);
	n->bport = be->port;
	memcpy(n->snat, snat_addr ?: t->saddr, 16);
	n->sport = t->sport;
	f->expires = jiffies + (t->proto == IPPROTO_TCP ? KP_FLOW_TIMEOUT_SYN :
							   KP_FLOW_TIMEOUT_UNREPLIED);
	kp_flow_keys(f);
	return f;
}

/* Hashes a new flow @f of first packet @t, or finds the one a racing CPU made. */
static struct kp_flow_node *kp_flow_publish(struct kp_flow_table *tbl, struct kp_flow *f,
					    const struct kp_tuple *t)
{
	struct kp_flow_node *fn;
	int err;

	spin_lock_bh(&tbl->lock);
	err = kp_flow_hash(tbl, f);
	/* Another CPU made this flow first: use that one. */
	fn = err == -EEXIST ? rhashtable_lookup(&tbl->ht, t, kp_flow_params) : NULL;
	spin_unlock_bh(&tbl->lock);
	if (!err) {
		atomic64_inc(&tbl->created);
		kp_flow_gc_arm(tbl);
		return &f->tn[KP_ROLE_ORIG_PRE];
	}
	kp_flow_unreserve(tbl);
	if (f->translates)
		atomic_dec(&tbl->nat_count);
	kfree(f);
	return fn ?: ERR_PTR(err);
}

struct kp_flow_node *kp_flow_create(struct kp_flow_table *tbl, const struct kp_tuple *t,
				    const struct kp_service *svc, const struct kp_backend *be,
				    const u8 *snat_addr)
{
	struct kp_flow *f;

	if (!kp_flow_reserve(tbl)) {
		atomic64_inc(&tbl->full);
		return ERR_PTR(-ENOSPC);
	}
	f = kp_flow_alloc(t, svc, be, snat_addr);
	if (!f) {
		kp_flow_unreserve(tbl);
		return ERR_PTR(-ENOMEM);
	}
	/* Counted before it is hashed: its replies must not skip the lookup. */
	atomic_inc(&tbl->nat_count);
	return kp_flow_publish(tbl, f, t);
}

struct kp_flow_node *kp_flow_create_verdict(struct kp_flow_table *tbl, const struct kp_tuple *t,
					    const struct kp_flow_verdict *v)
{
	struct kp_flow *f;

	if (!kp_flow_reserve(tbl)) {
		atomic64_inc(&tbl->full);
		return ERR_PTR(-ENOSPC);
	}
	f = kzalloc(sizeof(*f), GFP_ATOMIC);
	if (!f) {
		kp_flow_unreserve(tbl);
		return ERR_PTR(-ENOMEM);
	}
	f->family = t->family;
	f->proto = t->proto;
	f->verdict = *v;
	f->expires = jiffies + (t->proto == IPPROTO_TCP ? KP_FLOW_TIMEOUT_SYN :
							   KP_FLOW_TIMEOUT_UNREPLIED);
	kp_tuple_set(&f->tn[KP_ROLE_ORIG_PRE].key, f, KP_STAGE_POLICY,
		     t->saddr, t->sport, t->daddr, t->dport);
	kp_tuple_set(&f->tn[KP_ROLE_REPLY_PRE].key, f, KP_STAGE_POLICY,
		     t->daddr, t->dport, t->saddr, t->sport);
	f->tn[KP_ROLE_ORIG_PRE].flow = f->tn[KP_ROLE_REPLY_PRE].flow = f;
	f->tn[KP_ROLE_ORIG_PRE].role = KP_ROLE_ORIG_PRE;
	f->tn[KP_ROLE_REPLY_PRE].role = KP_ROLE_REPLY_PRE;
	return kp_flow_publish(tbl, f, t);
}

/*
 * Visits every flow once (from its ORIG_PRE node) and kills those @dead
 * says so, in RCU sections of a bounded size.
 */
static unsigned int kp_flow_sweep(struct kp_flow_table *tbl,
				  bool (*dead)(const struct kp_flow *f, const void *arg),
				  const void *arg)
{
	struct rhashtable_iter iter;
	struct kp_flow_node *fn;
	unsigned int seen = 0, killed = 0;

	rhashtable_walk_enter(&tbl->ht, &iter);
	rhashtable_walk_start(&iter);
	while ((fn = rhashtable_walk_next(&iter))) {
		if (IS_ERR(fn))
			continue;	/* -EAGAIN: a resize; the walk goes on */
		if (fn->role == KP_ROLE_ORIG_PRE && dead(fn->flow, arg) &&
		    kp_flow_kill(tbl, fn->flow))
			killed++;
		if (++seen % KP_FLOW_GC_BATCH == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return killed;
}

static bool kp_flow_expired(const struct kp_flow *f, const void *now)
{
	return time_after_eq(*(const unsigned long *)now, READ_ONCE(f->expires));
}

static void kp_flow_gc_work(struct work_struct *work)
{
	struct kp_flow_table *tbl = container_of(to_delayed_work(work),
						 struct kp_flow_table, gc);
	unsigned long now = jiffies;

	atomic64_add(kp_flow_sweep(tbl, kp_flow_expired, &now), &tbl->expired);
	if (atomic_read(&tbl->count))
		queue_delayed_work(system_power_efficient_wq, &tbl->gc, KP_FLOW_GC_INTERVAL);
}

static void kp_affinity_key(struct kp_tuple *t, const struct kp_service *svc,
			    const u8 *client)
{
	memset(t, 0, sizeof(*t));
	t->family = svc->key.family;
	t->proto = svc->key.proto;
	t->stage = KP_STAGE_AFFINITY;
	t->dport = svc->key.port;
	memcpy(t->saddr, client, 16);
	memcpy(t->daddr, svc->key.addr, 16);
}

const struct kp_backend *kp_affinity_get(struct kp_flow_table *tbl,
					 const struct kp_service *svc, const u8 *client,
					 bool local)
{
	const struct kp_backend *be;
	struct kp_flow_node *fn;
	struct kp_flow *f;
	struct kp_tuple t;

	kp_affinity_key(&t, svc, client);
	fn = kp_flow_lookup(tbl, &t);
	if (!fn)
		return NULL;
	f = fn->flow;
	if (time_after_eq(jiffies, READ_ONCE(f->expires)))
		return NULL;
	be = kp_svc_usable(svc, f->nat.backend, f->nat.bport, local);
	if (be)
		WRITE_ONCE(f->expires, jiffies + (unsigned long)svc->affinity_timeout * HZ);
	return be;
}

void kp_affinity_set(struct kp_flow_table *tbl, const struct kp_service *svc,
		     const u8 *client, const struct kp_backend *be)
{
	struct kp_flow_node *old;
	struct kp_flow *f;
	struct kp_tuple t;

	kp_affinity_key(&t, svc, client);
	old = kp_flow_lookup(tbl, &t);
	if (old)
		kp_flow_kill(tbl, old->flow);
	if (!kp_flow_reserve(tbl))
		return;
	f = kzalloc(sizeof(*f), GFP_ATOMIC);
	if (!f)
		goto unreserve;
	f->family = t.family;
	f->proto = t.proto;
	f->svc = svc->key;
	memcpy(f->nat.backend, be->addr.ip, 16);
	f->nat.bport = be->port;
	f->expires = jiffies + (unsigned long)svc->affinity_timeout * HZ;
	f->tn[KP_ROLE_ORIG_PRE].key = t;
	f->tn[KP_ROLE_ORIG_PRE].flow = f;
	spin_lock_bh(&tbl->lock);
	/* Losing a race to another CPU's binding is fine: it holds. */
	if (kp_flow_hash_one(tbl, &f->tn[KP_ROLE_ORIG_PRE])) {
		spin_unlock_bh(&tbl->lock);
		kfree(f);
		goto unreserve;
	}
	spin_unlock_bh(&tbl->lock);
	kp_flow_gc_arm(tbl);
	return;
unreserve:
	kp_flow_unreserve(tbl);
}

/* One service (@key, now @svc or gone), or (@svcs) every service as the table has it. */
struct kp_teardown {
	const struct kp_svc_key *key;
	const struct kp_service *svc;
	struct kp_svc_table *svcs;
};

static bool kp_flow_backend_gone(const struct kp_flow *f, const void *arg)
{
	const struct kp_teardown *td = arg;
	const struct kp_service *svc = td->svc;

	/* Affinity bindings (stage AFFINITY) are not flows: they stay. */
	if (f->proto != IPPROTO_UDP || f->tn[KP_ROLE_ORIG_PRE].key.stage != KP_STAGE_PRE)
		return false;
	if (td->svcs)
		svc = kp_svc_lookup(td->svcs, &f->svc);
	else if (memcmp(&f->svc, td->key, sizeof(f->svc)))
		return false;
	return !svc || !kp_svc_has_backend(svc, f->nat.backend, f->nat.bport);
}

static unsigned int kp_flow_teardown(struct kp_flow_table *tbl, const struct kp_teardown *td)
{
	unsigned int n;

	if (!atomic_read(&tbl->count))
		return 0;
	n = kp_flow_sweep(tbl, kp_flow_backend_gone, td);
	atomic64_add(n, &tbl->torn_down);
	return n;
}

unsigned int kp_flow_teardown_udp(struct kp_flow_table *tbl, const struct kp_svc_key *key,
				  const struct kp_service *svc)
{
	struct kp_teardown td = { .key = key, .svc = svc };

	return key->proto == IPPROTO_UDP ? kp_flow_teardown(tbl, &td) : 0;
}

unsigned int kp_flow_teardown_udp_stale(struct kp_flow_table *tbl, struct kp_svc_table *svcs)
{
	struct kp_teardown td = { .svcs = svcs };

	return kp_flow_teardown(tbl, &td);
}
