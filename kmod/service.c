// SPDX-License-Identifier: GPL-2.0
/* Service tables and Maglev backend selection. */
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include "budget.h"
#include "maglev.h"
#include "node.h"
#include "service.h"

unsigned int kp_max_services = 131072;
module_param_named(max_services, kp_max_services, uint, 0644);
MODULE_PARM_DESC(max_services, "Most services per node (default 131072)");

static const struct rhashtable_params kp_svc_params = {
	.head_offset = offsetof(struct kp_service, node),
	.key_offset = offsetof(struct kp_service, key),
	.key_len = sizeof(struct kp_svc_key),
	.automatic_shrinking = true,
};

int kp_svc_table_init(struct kp_svc_table *tbl, struct mutex *lock)
{
	tbl->lock = lock;
	INIT_LIST_HEAD(&tbl->list);
	tbl->count = 0;
	tbl->next_seq = 1;
	atomic64_set(&tbl->full, 0);
	return rhashtable_init(&tbl->ht, &kp_svc_params);
}

void kp_svc_table_destroy(struct kp_svc_table *tbl)
{
	struct kp_service *svc, *tmp;

	list_for_each_entry_safe(svc, tmp, &tbl->list, list)
		kp_svc_table_del(tbl, svc);
	rhashtable_destroy(&tbl->ht);
}

struct kp_service *kp_svc_alloc(unsigned int n)
{
	struct kp_service *svc = kzalloc(sizeof(*svc), GFP_KERNEL_ACCOUNT);

	if (!svc)
		return NULL;
	svc->backends = kvcalloc(max(n, 1U), sizeof(*svc->backends), GFP_KERNEL_ACCOUNT);
	if (!svc->backends) {
		kfree(svc);
		return NULL;
	}
	svc->n_backends = n;
	return svc;
}

void kp_svc_free(struct kp_service *svc)
{
	if (svc->budget) {
		kp_config_uncharge(svc->budget, svc->charged);
		kp_budget_put(svc->budget);
	}
	kvfree(svc->local.table);
	kvfree(svc->all.table);
	kvfree(svc->backends);
	kfree(svc);
}

static void kp_svc_free_rcu(struct rcu_head *rcu)
{
	kp_svc_free(container_of(rcu, struct kp_service, rcu));
}

static bool kp_be_in_scope(const struct kp_backend *be, bool local_only)
{
	return be->local || !local_only;
}

/* Active backends in scope, or serving-terminating ones when none is active. */
static u8 kp_svc_usable_state(const struct kp_service *svc, bool local_only)
{
	u32 i;

	for (i = 0; i < svc->n_backends; i++)
		if (svc->backends[i].state == KPLANE_BE_ACTIVE &&
		    kp_be_in_scope(&svc->backends[i], local_only))
			return KPLANE_BE_ACTIVE;
	return KPLANE_BE_SERVING_TERMINATING;
}

static u32 kp_svc_maglev_input(const struct kp_service *svc, bool local_only,
			       struct kp_maglev_backend *mb)
{
	u8 usable = kp_svc_usable_state(svc, local_only);
	u32 i, n_usable = 0;

	for (i = 0; i < svc->n_backends; i++) {
		const struct kp_backend *be = &svc->backends[i];
		bool use = be->state == usable && kp_be_in_scope(be, local_only);
		u8 id[18];

		memcpy(id, be->addr.ip, 16);
		memcpy(id + 16, &be->port, 2);
		mb[i].key = kp_hash64(id, sizeof(id), be->addr.family);
		mb[i].weight = use ? be->weight : 0;
		n_usable += use;
	}
	return n_usable;
}

static int kp_svc_build_lb(struct kp_service *svc, bool local_only, struct kp_svc_lb *lb,
			   struct kp_maglev_backend *mb, struct kp_maglev_scratch *scratch)
{
	lb->n_usable = kp_svc_maglev_input(svc, local_only, mb);
	if (!lb->n_usable)
		return 0;
	/* Not zeroed: kp_maglev_build writes every entry. */
	lb->table = kvmalloc_array(svc->maglev_size, sizeof(*lb->table), GFP_KERNEL_ACCOUNT);
	if (!lb->table)
		return -ENOMEM;
	return kp_maglev_build(mb, svc->n_backends, scratch, lb->table, svc->maglev_size);
}

static bool kp_svc_wants_local(const struct kp_service *svc)
{
	return svc->ext_policy == KPLANE_POLICY_LOCAL ||
	       svc->int_policy == KPLANE_POLICY_LOCAL;
}

int kp_svc_charge(struct kp_service *svc, struct kp_budget *b, struct netlink_ext_ack *extack)
{
	/* Its Maglev tables as kp_svc_build makes them, built yet or not. */
	long tables = 1 + kp_svc_wants_local(svc);
	long bytes = sizeof(*svc) + (long)max(svc->n_backends, 1U) * sizeof(*svc->backends) +
		     tables * svc->maglev_size * sizeof(*svc->all.table);
	int err = kp_config_charge(b, bytes, extack);

	if (err)
		return err;
	svc->budget = kp_budget_get(b);
	svc->charged = bytes;
	return 0;
}

int kp_svc_build(struct kp_service *svc, struct netlink_ext_ack *extack)
{
	struct kp_maglev_scratch *scratch;
	struct kp_maglev_backend *mb;
	int err = -ENOMEM;

	if (!svc->n_backends)
		return 0;
	mb = kvcalloc(svc->n_backends, sizeof(*mb), GFP_KERNEL);
	scratch = kvcalloc(svc->n_backends, sizeof(*scratch), GFP_KERNEL);
	if (mb && scratch) {
		err = kp_svc_build_lb(svc, false, &svc->all, mb, scratch);
		if (!err && kp_svc_wants_local(svc))
			err = kp_svc_build_lb(svc, true, &svc->local, mb, scratch);
		if (err)
			NL_SET_ERR_MSG(extack, "cannot build the Maglev table");
	}
	kvfree(scratch);
	kvfree(mb);
	return err;
}

bool kp_svc_is_wild(const struct kp_service *svc)
{
	return svc->type == KPLANE_SVC_NODE_PORT &&
	       kp_all_zero(svc->key.addr, sizeof(svc->key.addr));
}

/* @svc, hashed, joins the dump list and the count; no longer staged. */
static void kp_svc_list(struct kp_svc_table *tbl, struct kp_service *svc)
{
	svc->seq = tbl->next_seq++;
	list_add_tail_rcu(&svc->list, &tbl->list);
	tbl->count++;
	WRITE_ONCE(svc->hidden, 0);
}

int kp_svc_table_set(struct kp_svc_table *tbl, struct kp_service *svc,
		     unsigned int limit, struct netlink_ext_ack *extack)
{
	struct kp_service *old;
	int err;

	lockdep_assert_held(tbl->lock);
	old = kp_svc_lookup(tbl, &svc->key);
	if (old == svc) {	/* staged as new: now listed */
		kp_svc_list(tbl, svc);
		return 0;
	}
	if (old) {
		err = rhashtable_replace_fast(&tbl->ht, &old->node, &svc->node,
					      kp_svc_params);
		if (err)
			goto err;
		svc->seq = old->seq;
		tbl->wild += kp_svc_is_wild(svc) - kp_svc_is_wild(old);
		list_replace_rcu(&old->list, &svc->list);
		WRITE_ONCE(svc->hidden, 0);
		call_rcu(&old->rcu, kp_svc_free_rcu);
		return 0;
	}
	if (tbl->count >= limit) {
		atomic64_inc(&tbl->full);
		NL_SET_ERR_MSG(extack, "service table is full (the node's max-services, or the host's max_services)");
		err = -ENOSPC;
		goto err;
	}
	err = rhashtable_insert_fast(&tbl->ht, &svc->node, kp_svc_params);
	if (err)
		goto err;
	tbl->wild += kp_svc_is_wild(svc);
	kp_svc_list(tbl, svc);
	return 0;

err:	/* unpublished, or reached by a commit's staged view: after readers */
	call_rcu(&svc->rcu, kp_svc_free_rcu);
	return err;
}

int kp_svc_stage(struct kp_svc_table *tbl, struct kp_service *old, struct kp_service *svc,
		 unsigned int staged)
{
	int err;

	lockdep_assert_held(tbl->lock);
	if (svc) {
		svc->hidden = BIT(staged ^ 1);
		if (!old) {
			err = rhashtable_insert_fast(&tbl->ht, &svc->node, kp_svc_params);
			if (!err)
				tbl->wild += kp_svc_is_wild(svc);
			return err;
		}
		rcu_assign_pointer(old->next, svc);
	}
	WRITE_ONCE(old->hidden, BIT(staged));
	return 0;
}

void kp_svc_unstage(struct kp_svc_table *tbl, struct kp_service *old, struct kp_service *svc)
{
	lockdep_assert_held(tbl->lock);
	if (old) {
		WRITE_ONCE(old->hidden, 0);
		RCU_INIT_POINTER(old->next, NULL);
	} else {
		rhashtable_remove_fast(&tbl->ht, &svc->node, kp_svc_params);
		tbl->wild -= kp_svc_is_wild(svc);
	}
}

void kp_svc_table_del(struct kp_svc_table *tbl, struct kp_service *svc)
{
	lockdep_assert_held(tbl->lock);
	rhashtable_remove_fast(&tbl->ht, &svc->node, kp_svc_params);
	list_del_rcu(&svc->list);
	tbl->count--;
	tbl->wild -= kp_svc_is_wild(svc);
	call_rcu(&svc->rcu, kp_svc_free_rcu);
}

struct kp_service *kp_svc_lookup(struct kp_svc_table *tbl, const struct kp_svc_key *key)
{
	return rhashtable_lookup_fast(&tbl->ht, key, kp_svc_params);
}

/* The service for @key as view @view has it (a commit may be mid-publish). */
static struct kp_service *kp_svc_lookup_view(struct kp_svc_table *tbl,
					     const struct kp_svc_key *key, unsigned int view)
{
	struct kp_service *svc = kp_svc_lookup(tbl, key);

	if (svc && (READ_ONCE(svc->hidden) & BIT(view)))
		svc = rcu_dereference(svc->next);
	return svc;
}

struct kp_service *kp_svc_lookup_wild(struct kp_svc_table *tbl, const struct kp_svc_key *key,
				      unsigned int view)
{
	struct kp_service *svc = kp_svc_lookup_view(tbl, key, view);
	struct kp_svc_key wild;

	if (svc || !READ_ONCE(tbl->wild))
		return svc;
	wild = *key;
	memset(wild.addr, 0, sizeof(wild.addr));
	svc = kp_svc_lookup_view(tbl, &wild, view);
	return svc && svc->type == KPLANE_SVC_NODE_PORT ? svc : NULL;
}

const struct kp_backend *kp_svc_pick(const struct kp_service *svc, u64 hash, bool local)
{
	const struct kp_svc_lb *lb = local ? &svc->local : &svc->all;
	u16 idx;

	if (!lb->n_usable)
		return NULL;
	idx = kp_maglev_pick(lb->table, svc->maglev_size, hash);
	return idx < svc->n_backends ? &svc->backends[idx] : NULL;
}

static const struct kp_backend *kp_svc_find_backend(const struct kp_service *svc,
						    const u8 *addr, __be16 port)
{
	u32 i;

	for (i = 0; i < svc->n_backends; i++)
		if (svc->backends[i].port == port &&
		    !memcmp(svc->backends[i].addr.ip, addr, 16))
			return &svc->backends[i];
	return NULL;
}

const struct kp_backend *kp_svc_usable(const struct kp_service *svc, const u8 *addr,
				       __be16 port, bool local)
{
	const struct kp_backend *be = kp_svc_find_backend(svc, addr, port);

	if (be && be->state == kp_svc_usable_state(svc, local) && kp_be_in_scope(be, local))
		return be;
	return NULL;
}

bool kp_svc_has_backend(const struct kp_service *svc, const u8 *addr, __be16 port)
{
	return kp_svc_find_backend(svc, addr, port);
}
