// SPDX-License-Identifier: GPL-2.0
/* Workload endpoint tables: per node by id and ifindex, module-wide by netns. */
#include <linux/module.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/netlink.h>
#include "budget.h"
#include "endpoint.h"
#include "node.h"

unsigned int kp_max_endpoints = 65536;
module_param_named(max_endpoints, kp_max_endpoints, uint, 0644);
MODULE_PARM_DESC(max_endpoints, "Most workload endpoints per node (default 65536)");
/* A node needs only a user namespace: the host bounds them all. */
static unsigned int kp_max_endpoints_host = 262144;
module_param_named(max_endpoints_host, kp_max_endpoints_host, uint, 0644);
MODULE_PARM_DESC(max_endpoints_host, "Most workload endpoints over all nodes (default 262144)");
static struct kp_pool kp_endpoints_host;

static struct kmem_cache *kp_ep_cache;
/* Pod netns -> endpoint, over all nodes: a netns backs at most one endpoint. */
static struct rhashtable kp_ep_by_netns;

static const struct rhashtable_params kp_ep_id_params = {
	.head_offset = offsetof(struct kp_endpoint, id_node),
	.key_offset = offsetof(struct kp_endpoint, id),
	.key_len = KPLANE_ID_MAX,
	.automatic_shrinking = true,
};

static const struct rhashtable_params kp_ep_ifindex_params = {
	.head_offset = offsetof(struct kp_endpoint, ifindex_node),
	.key_offset = offsetof(struct kp_endpoint, ifindex),
	.key_len = sizeof(int),
	.automatic_shrinking = true,
};

static const struct rhashtable_params kp_ep_addr_params = {
	.head_offset = offsetof(struct kp_ep_addr_ent, node),
	.key_offset = offsetof(struct kp_ep_addr_ent, key),
	.key_len = sizeof(struct kp_addr),
	.automatic_shrinking = true,
};

static const struct rhashtable_params kp_ep_netns_params = {
	.head_offset = offsetof(struct kp_endpoint, netns_node),
	.key_offset = offsetof(struct kp_endpoint, pod_net),
	.key_len = sizeof(struct net *),
	.automatic_shrinking = true,
};

int kp_endpoint_init(void)
{
	int err;

	kp_ep_cache = KMEM_CACHE(kp_endpoint, 0);
	if (!kp_ep_cache)
		return -ENOMEM;
	err = rhashtable_init(&kp_ep_by_netns, &kp_ep_netns_params);
	if (err)
		goto err_cache;
	return 0;

err_cache:
	kmem_cache_destroy(kp_ep_cache);
	return err;
}

void kp_endpoint_uninit(void)
{
	rhashtable_destroy(&kp_ep_by_netns);
	/*
	 * Endpoints are freed by call_rcu(): let them all land first.  Twice:
	 * a policy's callback queues its counters' (policy.c).
	 */
	rcu_barrier();
	rcu_barrier();
	kmem_cache_destroy(kp_ep_cache);
}

int kp_ep_table_init(struct kp_ep_table *tbl, struct mutex *lock)
{
	int err;

	tbl->lock = lock;
	INIT_LIST_HEAD(&tbl->list);
	tbl->count = 0;
	tbl->n_host = 0;
	tbl->next_seq = 1;
	atomic64_set(&tbl->full, 0);
	atomic64_set(&tbl->reaped, 0);
	err = rhashtable_init(&tbl->by_id, &kp_ep_id_params);
	if (err)
		return err;
	err = rhashtable_init(&tbl->by_ifindex, &kp_ep_ifindex_params);
	if (err)
		goto err_id;
	err = rhashtable_init(&tbl->by_addr, &kp_ep_addr_params);
	if (err)
		goto err_ifindex;
	return 0;

err_ifindex:
	rhashtable_destroy(&tbl->by_ifindex);
err_id:
	rhashtable_destroy(&tbl->by_id);
	return err;
}

void kp_ep_table_destroy(struct kp_ep_table *tbl)
{
	struct kp_endpoint *ep, *tmp;

	list_for_each_entry_safe(ep, tmp, &tbl->list, list)
		kp_ep_table_del(ep);
	rhashtable_destroy(&tbl->by_addr);
	rhashtable_destroy(&tbl->by_ifindex);
	rhashtable_destroy(&tbl->by_id);
}

struct kp_endpoint *kp_ep_alloc(void)
{
	return kmem_cache_zalloc(kp_ep_cache, GFP_KERNEL_ACCOUNT);
}

void kp_ep_free(struct kp_endpoint *ep)
{
	/*
	 * Nobody reads it any more: after a grace period, or never published.
	 * Endpoints go between commits, when both views hold the same program.
	 */
	kvfree(rcu_access_pointer(ep->pol[0]));
	kmem_cache_free(kp_ep_cache, ep);
}

static void kp_ep_unindex_addrs(struct kp_ep_table *tbl, struct kp_endpoint *ep,
				unsigned int n)
{
	while (n--)
		rhashtable_remove_fast(&tbl->by_addr, &ep->addr_ents[n].node,
				       kp_ep_addr_params);
}

/* Workload addresses are unique on a node: policy finds endpoints by them. */
static int kp_ep_index_addrs(struct kp_ep_table *tbl, struct kp_endpoint *ep,
			     struct netlink_ext_ack *extack)
{
	unsigned int i;
	int err;

	for (i = 0; !ep->host && i < ep->n_addrs; i++) {
		struct kp_ep_addr_ent *e = &ep->addr_ents[i];

		e->key = ep->addrs[i];
		e->ep = ep;
		err = rhashtable_lookup_insert_fast(&tbl->by_addr, &e->node, kp_ep_addr_params);
		if (err) {
			if (err == -EEXIST)
				NL_SET_ERR_MSG(extack, "address belongs to another endpoint");
			kp_ep_unindex_addrs(tbl, ep, i);
			return err;
		}
	}
	return 0;
}

static unsigned int kp_ep_indexed(const struct kp_endpoint *ep)
{
	return ep->host ? 0 : ep->n_addrs;
}

static void kp_ep_free_rcu(struct rcu_head *rcu)
{
	kp_ep_free(container_of(rcu, struct kp_endpoint, rcu));
}

int kp_ep_table_add(struct kp_ep_table *tbl, struct kp_endpoint *ep,
		    unsigned int limit, struct netlink_ext_ack *extack)
{
	int err;

	lockdep_assert_held(tbl->lock);
	if (tbl->count >= limit) {
		atomic64_inc(&tbl->full);
		NL_SET_ERR_MSG(extack, "endpoint table is full (the node's max-endpoints, or the host's max_endpoints)");
		err = -ENOSPC;
		goto err;
	}
	if (!kp_pool_take(&kp_endpoints_host, tbl->tenant, 1, READ_ONCE(kp_max_endpoints_host))) {
		atomic64_inc(&tbl->full);
		NL_SET_ERR_MSG(extack, "the host's endpoints are at their limit (see max_endpoints_host; tenants' nodes share half)");
		err = -ENOSPC;
		goto err;
	}
	/* Before any index publishes it: lookups go from it to its node. */
	ep->table = tbl;
	err = rhashtable_lookup_insert_fast(&tbl->by_id, &ep->id_node,
					    kp_ep_id_params);
	if (err) {
		if (err == -EEXIST)
			NL_SET_ERR_MSG(extack, "an endpoint with this id exists");
		goto err_pool;
	}
	err = rhashtable_lookup_insert_fast(&tbl->by_ifindex, &ep->ifindex_node,
					    kp_ep_ifindex_params);
	if (err) {
		if (err == -EEXIST)
			NL_SET_ERR_MSG(extack, "interface belongs to another endpoint");
		goto err_id;
	}
	err = kp_ep_index_addrs(tbl, ep, extack);
	if (err)
		goto err_ifindex;
	if (ep->pod_net) {
		err = rhashtable_lookup_insert_fast(&kp_ep_by_netns, &ep->netns_node,
						    kp_ep_netns_params);
		if (err) {
			if (err == -EEXIST)
				NL_SET_ERR_MSG(extack, "pod netns is bound to another endpoint");
			goto err_addrs;
		}
	}
	ep->seq = tbl->next_seq++;
	list_add_tail_rcu(&ep->list, &tbl->list);
	tbl->count++;
	WRITE_ONCE(tbl->n_host, tbl->n_host + ep->host);
	return 0;

err_addrs:
	kp_ep_unindex_addrs(tbl, ep, kp_ep_indexed(ep));
err_ifindex:
	rhashtable_remove_fast(&tbl->by_ifindex, &ep->ifindex_node, kp_ep_ifindex_params);
err_id:
	rhashtable_remove_fast(&tbl->by_id, &ep->id_node, kp_ep_id_params);
	/* A lookup may have seen @ep in the tables: wait those readers out. */
	synchronize_rcu();
err_pool:
	kp_pool_give(&kp_endpoints_host, tbl->tenant, 1);
err:
	kp_ep_free(ep);
	return err;
}

void kp_ep_table_del(struct kp_endpoint *ep)
{
	struct kp_ep_table *tbl = ep->table;

	lockdep_assert_held(tbl->lock);
	/* Its ingress hook, embedded, went first (hooks.c): the caller's job. */
	WARN_ON_ONCE(READ_ONCE(ep->ingress.dev));
	if (ep->pod_net)
		rhashtable_remove_fast(&kp_ep_by_netns, &ep->netns_node,
				       kp_ep_netns_params);
	kp_ep_unindex_addrs(tbl, ep, kp_ep_indexed(ep));
	rhashtable_remove_fast(&tbl->by_ifindex, &ep->ifindex_node,
			       kp_ep_ifindex_params);
	rhashtable_remove_fast(&tbl->by_id, &ep->id_node, kp_ep_id_params);
	list_del_rcu(&ep->list);
	tbl->count--;
	kp_pool_give(&kp_endpoints_host, tbl->tenant, 1);
	WRITE_ONCE(tbl->n_host, tbl->n_host - ep->host);
	call_rcu(&ep->rcu, kp_ep_free_rcu);
}

struct kp_endpoint *kp_ep_lookup_id(struct kp_ep_table *tbl, const char *id)
{
	char key[KPLANE_ID_MAX] = {};

	strscpy(key, id, sizeof(key));
	return rhashtable_lookup_fast(&tbl->by_id, key, kp_ep_id_params);
}

struct kp_endpoint *kp_ep_lookup_ifindex(struct kp_ep_table *tbl, int ifindex)
{
	return rhashtable_lookup_fast(&tbl->by_ifindex, &ifindex,
				      kp_ep_ifindex_params);
}

struct kp_endpoint *kp_ep_lookup_netns(const struct net *pod_net)
{
	return rhashtable_lookup_fast(&kp_ep_by_netns, &pod_net,
				      kp_ep_netns_params);
}

struct kp_endpoint *kp_ep_lookup_addr(struct kp_ep_table *tbl, u16 family, const u8 *ip)
{
	struct kp_ep_addr_ent *e;
	struct kp_addr key;

	memset(&key, 0, sizeof(key));
	key.family = family;
	memcpy(key.ip, ip, kp_addr_len(family));
	e = rhashtable_lookup_fast(&tbl->by_addr, &key, kp_ep_addr_params);
	return e ? e->ep : NULL;
}

struct kp_ep_table *kp_ep_netns_table(const struct net *net)
{
	struct kp_endpoint *ep = kp_ep_lookup_netns(net);

	return ep ? ep->table : NULL;
}

bool kp_ep_reap_netns(struct kp_ep_table *tbl, const struct net *net)
{
	struct kp_endpoint *ep;

	lockdep_assert_held(tbl->lock);
	ep = kp_ep_lookup_netns(net);
	if (!ep)
		return true;
	if (ep->table != tbl)
		return false;
	atomic64_inc(&tbl->reaped);
	kp_ep_table_del(ep);
	kp_pol_changed(kp_node_of_table(tbl));
	return true;
}
