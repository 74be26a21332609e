// SPDX-License-Identifier: GPL-2.0
/* A node's IP sets, policies and endpoint programs: see policy.h. */
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include "node.h"
#include "policy.h"

unsigned int kp_max_rules = 100000;
module_param_named(max_rules, kp_max_rules, uint, 0644);
MODULE_PARM_DESC(max_rules, "Most policy rules per node, over all policies (default 100000)");

unsigned int kp_max_ipsets = 4096;
module_param_named(max_ipsets, kp_max_ipsets, uint, 0644);
MODULE_PARM_DESC(max_ipsets, "Most IP sets per node (default 4096)");

static const struct rhashtable_params kp_ipset_params = {
	.head_offset = offsetof(struct kp_ipset, node),
	.key_offset = offsetof(struct kp_ipset, name),
	.key_len = KPLANE_ID_MAX,
	.automatic_shrinking = true,
};

static const struct rhashtable_params kp_pol_params = {
	.head_offset = offsetof(struct kp_pol, node),
	.key_offset = offsetof(struct kp_pol, p.id),
	.key_len = KPLANE_ID_MAX,
	.automatic_shrinking = true,
};

static struct kp_pol_table *kp_pol_tbl(struct kp_node *node)
{
	return &node->pol;
}

enum kp_undo_kind {
	KP_UNDO_SET_DATA,	/* @obj set's members were @old */
	KP_UNDO_SET_NEW,	/* @obj set was made */
	KP_UNDO_SET_DEL,	/* @obj set was unlinked after @prev */
	KP_UNDO_POL,		/* @obj policy replaced @old (either may be NULL) */
	KP_UNDO_EP_PROG,	/* @obj endpoint's program was @old */
	KP_UNDO_EP_ADD,		/* @obj endpoint was added (NULL: it was not) */
	KP_UNDO_EP_DEL,		/* @obj endpoint leaves once published */
};

struct kp_undo {
	struct list_head list;
	u8 kind;
	void *obj;
	void *old;
	struct list_head *prev;	/* SET_DEL and POL deletion: where it was listed */
};

int kp_pol_table_init(struct kp_pol_table *tbl, struct mutex *lock)
{
	int err;

	tbl->lock = lock;
	tbl->no_journal = kzalloc(sizeof(struct kp_undo), GFP_KERNEL_ACCOUNT);
	if (!tbl->no_journal)
		return -ENOMEM;
	INIT_LIST_HEAD(&tbl->set_list);
	INIT_LIST_HEAD(&tbl->pol_list);
	tbl->next_seq = 1;
	tbl->n_sets = 0;
	tbl->n_rules = 0;
	tbl->rev = 1;
	err = rhashtable_init(&tbl->sets, &kp_ipset_params);
	if (err)
		goto err_undo;
	err = rhashtable_init(&tbl->pols, &kp_pol_params);
	if (err)
		goto err_sets;
	return 0;

err_sets:
	rhashtable_destroy(&tbl->sets);
err_undo:
	kfree(tbl->no_journal);
	return err;
}

static void kp_ipset_data_free(struct kp_ipset_data *d)
{
	if (d) {
		kp_free(d->s.p);
		kfree(d);
	}
}

static void kp_ipset_data_free_rcu(struct rcu_head *rcu)
{
	kp_ipset_data_free(container_of(rcu, struct kp_ipset_data, rcu));
}

static void kp_ipset_free_rcu(struct rcu_head *rcu)
{
	struct kp_ipset *set = container_of(rcu, struct kp_ipset, rcu);

	/* Sets go after a commit's views agree: one object in both. */
	kp_ipset_data_free(rcu_dereference_protected(set->v.data[0], true));
	kfree(set);
}

/*
 * A grace period after the policy became unreachable, its counters wait
 * one more: a flow's cached verdict holds them, and a reader that checked
 * the verdict's revision just before a CPU still deciding under the old
 * policy stored its own may count into them (filter.c, kp_verdict_store).
 * That reader began before this grace period ended; the next one covers it.
 */
static void kp_pol_free_rcu(struct rcu_head *rcu)
{
	struct kp_pol *pol = container_of(rcu, struct kp_pol, rcu);
	unsigned int d;

	for (d = 0; d < __KPLANE_DIR_MAX; d++) {
		kp_counters_retire(pol->counters[d]);
		pol->counters[d] = NULL;
	}
	kp_pol_free(pol);
}

void kp_pol_table_destroy(struct kp_pol_table *tbl)
{
	struct kp_ipset *set, *stmp;
	struct kp_pol *pol, *ptmp;

	lockdep_assert_held(tbl->lock);
	list_for_each_entry_safe(pol, ptmp, &tbl->pol_list, list) {
		list_del(&pol->list);
		call_rcu(&pol->rcu, kp_pol_free_rcu);
	}
	list_for_each_entry_safe(set, stmp, &tbl->set_list, list) {
		list_del(&set->list);
		call_rcu(&set->rcu, kp_ipset_free_rcu);
	}
	rhashtable_destroy(&tbl->pols);
	rhashtable_destroy(&tbl->sets);
	kfree(tbl->no_journal);
}

void kp_pol_changed(struct kp_node *node)
{
	/* Release: a reader that sees the new revision sees the view it goes with. */
	smp_store_release(&node->pol.rev, node->pol.rev + 1);
	kp_node_changed(node);
}

/* --- the journal --- */

void kp_pol_journal_init(struct kp_node *node, struct kp_pol_journal *j)
{
	j->node = node;
	INIT_LIST_HEAD(&j->undo);
	j->n_sets = node->pol.n_sets;
	j->n_rules = node->pol.n_rules;
}

/*
 * An entry for a change about to be made, taken before making it so that a
 * change is never made unrecorded.  With no journal, a dummy that records
 * nothing.  ERR_PTR(-ENOMEM) when memory ran out.
 */
static struct kp_undo *kp_undo_new(struct kp_node *node, struct kp_pol_journal *j, u8 kind,
				   void *obj)
{
	struct kp_undo *u;

	if (!j)
		return node->pol.no_journal;
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return ERR_PTR(-ENOMEM);
	u->kind = kind;
	u->obj = obj;
	list_add(&u->list, &j->undo);
	return u;
}

/* --- IP sets --- */

/* The members of @set in @view, read by the control plane. */
static const struct kp_prefix_set *kp_ipset_at(const struct kp_pol_table *tbl,
					       const struct kp_ipset *set, unsigned int view)
{
	const struct kp_ipset_data *d = rcu_dereference_protected(set->v.data[view],
								  lockdep_is_held(tbl->lock));

	return d ? &d->s : NULL;
}

/* Outside commits (they hold the lock) the views agree. */
const struct kp_prefix_set *kp_ipset_committed(const struct kp_pol_table *tbl,
					       const struct kp_ipset *set)
{
	return kp_ipset_at(tbl, set, 0);
}

u32 kp_ipset_count(const struct kp_pol_table *tbl, const struct kp_ipset *set)
{
	const struct kp_prefix_set *s = kp_ipset_committed(tbl, set);

	return s ? s->n : 0;
}

struct kp_ipset *kp_ipset_find(struct kp_pol_table *tbl, const char *name)
{
	char key[KPLANE_ID_MAX] = {};

	strscpy(key, name, sizeof(key));
	return rhashtable_lookup_fast(&tbl->sets, key, kp_ipset_params);
}

static void kp_ipset_data_retire(struct kp_ipset_data *d)
{
	if (d)
		call_rcu(&d->rcu, kp_ipset_data_free_rcu);
}

/* @j: within a commit, which publishes the staged view later. */
static struct kp_ipset_data *kp_ipset_data_replace(struct kp_node *node, struct kp_ipset *set,
						   struct kp_ipset_data *d,
						   const struct kp_pol_journal *j)
{
	return kp_slot_set(node, set->v.data, d, !j);
}

/*
 * Publishes @d as @set's members; the old ones go after a grace period, or
 * into @j.  -ENOMEM (nothing changed, @d freed) if @j cannot record it.
 */
static int kp_ipset_swap(struct kp_node *node, struct kp_ipset *set,
			 struct kp_ipset_data *d, struct kp_pol_journal *j)
{
	struct kp_undo *u = kp_undo_new(node, j, KP_UNDO_SET_DATA, set);

	if (IS_ERR(u)) {
		kp_ipset_data_free(d);
		return PTR_ERR(u);
	}
	u->old = kp_ipset_data_replace(node, set, d, j);
	if (!j)
		kp_ipset_data_retire(u->old);
	return 0;
}

static struct kp_ipset_data *kp_ipset_data_new(struct kp_prefix *p, u32 n,
					       struct netlink_ext_ack *extack)
{
	struct kp_ipset_data *d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);

	if (!d) {
		kp_free(p);
		return NULL;
	}
	if (kp_prefix_set_build(&d->s, p, n) > KPLANE_IPSET_MEMBERS_MAX) {
		NL_SET_ERR_MSG(extack, "an IP set holds at most 100000 members");
		kp_ipset_data_free(d);
		return ERR_PTR(-ENOSPC);
	}
	return d;
}

int kp_ipset_set(struct kp_node *node, const char *name, struct kp_prefix *p, u32 n,
		 struct kp_pol_journal *j, struct netlink_ext_ack *extack)
{
	struct kp_pol_table *tbl = kp_pol_tbl(node);
	struct kp_ipset *set = kp_ipset_find(tbl, name);
	struct kp_ipset_data *d;
	struct kp_undo *u;
	int err;

	lockdep_assert_held(&node->lock);
	if (!set && tbl->n_sets >= READ_ONCE(kp_max_ipsets)) {
		kp_free(p);
		NL_SET_ERR_MSG(extack, "IP set limit reached (see max_ipsets)");
		return -ENOSPC;
	}
	d = kp_ipset_data_new(p, n, extack);
	if (IS_ERR_OR_NULL(d))
		return d ? PTR_ERR(d) : -ENOMEM;
	if (set) {
		err = kp_ipset_swap(node, set, d, j);
		if (!err)
			kp_pol_changed(node);
		return err;
	}
	set = kzalloc(sizeof(*set), GFP_KERNEL_ACCOUNT);
	u = set ? kp_undo_new(node, j, KP_UNDO_SET_NEW, set) : ERR_PTR(-ENOMEM);
	if (IS_ERR(u)) {
		kp_ipset_data_free(d);
		kfree(set);
		return PTR_ERR(u);
	}
	strscpy(set->name, name, sizeof(set->name));
	/* Only policies reach a set: a new one can be in both views at once. */
	RCU_INIT_POINTER(set->v.data[0], d);
	RCU_INIT_POINTER(set->v.data[1], d);
	err = rhashtable_lookup_insert_fast(&tbl->sets, &set->node, kp_ipset_params);
	if (err) {
		/* The journal entry stays: undoing a made set unlinks nothing yet. */
		u->kind = KP_UNDO_SET_DATA;
		u->obj = NULL;
		kp_ipset_data_free(d);
		kfree(set);
		return err;
	}
	list_add_tail(&set->list, &tbl->set_list);
	tbl->n_sets++;
	kp_pol_changed(node);
	return 0;
}

int kp_ipset_update(struct kp_node *node, const char *name, const struct kp_prefix *add,
		    u32 n_add, const struct kp_prefix *del, u32 n_del,
		    struct kp_pol_journal *j, struct netlink_ext_ack *extack)
{
	struct kp_ipset *set = kp_ipset_find(kp_pol_tbl(node), name);
	const struct kp_prefix_set *old;
	struct kp_ipset_data *d;
	struct kp_prefix *p;
	u32 n_old;

	lockdep_assert_held(&node->lock);
	if (!set) {
		NL_SET_ERR_MSG(extack, "no such IP set");
		return -ENOENT;
	}
	old = kp_ipset_at(&node->pol, set, kp_view_staged(node));
	n_old = old ? old->n : 0;
	if (n_old + n_add > 2 * KPLANE_IPSET_MEMBERS_MAX) {
		NL_SET_ERR_MSG(extack, "an IP set holds at most 100000 members");
		return -ENOSPC;
	}
	p = kp_zalloc((n_old + n_add + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (n_old)
		memcpy(p, old->p, n_old * sizeof(*p));
	memcpy(p + n_old, add, n_add * sizeof(*p));
	/* Removals first, so the limit counts what stays. */
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d) {
		kp_free(p);
		return -ENOMEM;
	}
	kp_prefix_set_build(&d->s, p, n_old + n_add);
	kp_prefix_set_remove(&d->s, del, n_del);
	if (d->s.n > KPLANE_IPSET_MEMBERS_MAX) {
		NL_SET_ERR_MSG(extack, "an IP set holds at most 100000 members");
		kp_ipset_data_free(d);
		return -ENOSPC;
	}
	if (kp_ipset_swap(node, set, d, j))
		return -ENOMEM;
	kp_pol_changed(node);
	return 0;
}

static bool kp_side_uses(const struct kp_rule_side *s, const struct kp_ipset *set)
{
	unsigned int i;

	for (i = 0; i < s->n_sets; i++)
		if (s->sets[i] == set)
			return true;
	for (i = 0; i < s->n_not_sets; i++)
		if (s->not_sets[i] == set)
			return true;
	return false;
}

static bool kp_pol_uses_set(const struct kp_pol *pol, const struct kp_ipset *set)
{
	unsigned int d, i;

	for (d = 0; d < __KPLANE_DIR_MAX; d++)
		for (i = 0; i < pol->p.n_rules[d]; i++)
			if (kp_side_uses(&pol->p.rules[d][i].src, set) ||
			    kp_side_uses(&pol->p.rules[d][i].dst, set))
				return true;
	return false;
}

int kp_ipset_del(struct kp_node *node, const char *name, struct kp_pol_journal *j,
		 struct netlink_ext_ack *extack)
{
	struct kp_pol_table *tbl = kp_pol_tbl(node);
	struct kp_ipset *set = kp_ipset_find(tbl, name);
	struct kp_undo *u;
	struct kp_pol *pol;

	lockdep_assert_held(&node->lock);
	if (!set) {
		NL_SET_ERR_MSG(extack, "no such IP set");
		return -ENOENT;
	}
	list_for_each_entry(pol, &tbl->pol_list, list) {
		if (kp_pol_uses_set(pol, set)) {
			NL_SET_ERR_MSG(extack, "a policy rule uses this IP set; change the policy first");
			return -EBUSY;
		}
	}
	u = kp_undo_new(node, j, KP_UNDO_SET_DEL, set);
	if (IS_ERR(u))
		return PTR_ERR(u);
	u->prev = set->list.prev;
	rhashtable_remove_fast(&tbl->sets, &set->node, kp_ipset_params);
	list_del(&set->list);
	tbl->n_sets--;
	if (!j)
		call_rcu(&set->rcu, kp_ipset_free_rcu);
	kp_pol_changed(node);
	return 0;
}

/* --- policies --- */

struct kp_pol *kp_pol_alloc(void)
{
	return kzalloc(sizeof(struct kp_pol), GFP_KERNEL_ACCOUNT);
}

void kp_pol_free(struct kp_pol *pol)
{
	unsigned int d;

	if (!pol)
		return;
	kp_policy_release(&pol->p);
	for (d = 0; d < __KPLANE_DIR_MAX; d++)
		kp_counters_free(pol->counters[d]);
	kvfree(pol->set_names);
	kfree(pol);
}

static long kp_side_footprint(const struct kp_rule_side *s)
{
	return (long)(s->nets.n + s->not_nets.n) * sizeof(struct kp_prefix) +
	       (long)(s->n_sets + s->n_not_sets) * sizeof(struct kp_ipset *) +
	       (long)(s->n_ports + s->n_not_ports) * sizeof(struct kp_port_range);
}

long kp_pol_footprint(const struct kp_pol *pol)
{
	long bytes = sizeof(*pol) + (long)pol->set_names_cap * KPLANE_ID_MAX;
	unsigned int d, i;

	for (d = 0; d < __KPLANE_DIR_MAX; d++) {
		u32 n = pol->p.n_rules[d];

		/* The rule, its id, its per-CPU counters, its index key. */
		bytes += (n + 1) * (sizeof(struct kp_rule) + sizeof(u64) +
				    num_possible_cpus() * sizeof(struct kp_rule_stats) +
				    KP_INDEX_RULE_PORTS * sizeof(u64));
		for (i = 0; i < n; i++)
			bytes += kp_side_footprint(&pol->p.rules[d][i].src) +
				 kp_side_footprint(&pol->p.rules[d][i].dst);
	}
	return bytes;
}

int kp_pol_name_set(struct kp_pol *pol, const char *name)
{
	if (pol->n_set_names == pol->set_names_cap) {
		u32 cap = max(2 * pol->set_names_cap, 8U);
		char (*names)[KPLANE_ID_MAX] = kvmalloc_array(cap, KPLANE_ID_MAX,
							      GFP_KERNEL_ACCOUNT);

		if (!names)
			return -ENOMEM;
		if (pol->n_set_names)
			memcpy(names, pol->set_names, pol->n_set_names * KPLANE_ID_MAX);
		kvfree(pol->set_names);
		pol->set_names = names;
		pol->set_names_cap = cap;
	}
	strscpy(pol->set_names[pol->n_set_names++], name, KPLANE_ID_MAX);
	return 0;
}

/* Fills @n slots from @pol's names from *@k on: false if one is no set of @tbl. */
static bool kp_pol_resolve_slots(struct kp_pol_table *tbl, struct kp_pol *pol,
				 struct kp_ipset **slots, u8 n, u32 *k)
{
	u8 i;

	for (i = 0; i < n; i++) {
		if (*k >= pol->n_set_names)
			return false;
		slots[i] = kp_ipset_find(tbl, pol->set_names[(*k)++]);
		if (!slots[i])
			return false;
	}
	return true;
}

/* The IP sets @pol's rules name, as the table has them now. */
static int kp_pol_resolve(struct kp_pol_table *tbl, struct kp_pol *pol,
			  struct netlink_ext_ack *extack)
{
	unsigned int d, i;
	u32 k = 0;

	if (!pol->set_names)
		return 0;
	for (d = 0; d < __KPLANE_DIR_MAX; d++) {
		for (i = 0; i < pol->p.n_rules[d]; i++) {
			struct kp_rule *r = &pol->p.rules[d][i];

			if (!kp_pol_resolve_slots(tbl, pol, r->src.sets, r->src.n_sets, &k) ||
			    !kp_pol_resolve_slots(tbl, pol, r->src.not_sets, r->src.n_not_sets, &k) ||
			    !kp_pol_resolve_slots(tbl, pol, r->dst.sets, r->dst.n_sets, &k) ||
			    !kp_pol_resolve_slots(tbl, pol, r->dst.not_sets, r->dst.n_not_sets, &k)) {
				NL_SET_ERR_MSG(extack, "a rule names an IP set that does not exist");
				return -ENOENT;
			}
		}
	}
	kvfree(pol->set_names);
	pol->set_names = NULL;
	pol->n_set_names = pol->set_names_cap = 0;
	return 0;
}

struct kp_pol *kp_pol_find(struct kp_pol_table *tbl, const char *id)
{
	char key[KPLANE_ID_MAX] = {};

	strscpy(key, id, sizeof(key));
	return rhashtable_lookup_fast(&tbl->pols, key, kp_pol_params);
}

static unsigned int kp_pol_rules(const struct kp_pol *pol)
{
	return pol ? pol->p.n_rules[0] + pol->p.n_rules[1] : 0;
}

/* The staged view's (under the node's lock): what a change builds on. */
static struct kp_ep_policy *kp_ep_policy_get(struct kp_node *node, const struct kp_endpoint *ep)
{
	return kp_slot_staged(node, ep->pol);
}

static bool kp_ep_attaches(struct kp_node *node, const struct kp_endpoint *ep, const char *id)
{
	const struct kp_ep_policy *epp = kp_ep_policy_get(node, ep);
	u32 i;

	for (i = 0; epp && i < epp->n_attach; i++)
		if (!strcmp(epp->attach[i].id, id))
			return true;
	return false;
}

static struct kp_ep_policy *kp_ep_policy_build(struct kp_node *node,
					       const struct kp_attach *attach, u32 n,
					       const struct kp_pol *override,
					       struct netlink_ext_ack *extack);

/* @ep may not be in the node's table yet (a new endpoint gets its policy first). */
static struct kp_ep_policy *kp_ep_policy_replace(struct kp_node *node, struct kp_endpoint *ep,
						 struct kp_ep_policy *epp,
						 const struct kp_pol_journal *j)
{
	return kp_slot_set(node, ep->pol, epp, !j);
}

static void kp_ep_policy_retire(struct kp_ep_policy *epp)
{
	if (epp)
		kvfree_rcu(epp, rcu);
}

/* Publishes @epp for @ep, the old one retired or journaled; takes @epp. */
static int kp_ep_policy_swap(struct kp_node *node, struct kp_endpoint *ep,
			     struct kp_ep_policy *epp, struct kp_pol_journal *j)
{
	struct kp_undo *u = kp_undo_new(node, j, KP_UNDO_EP_PROG, ep);

	if (IS_ERR(u)) {
		kvfree(epp);
		return PTR_ERR(u);
	}
	u->old = kp_ep_policy_replace(node, ep, epp, j);
	if (!j)
		kp_ep_policy_retire(u->old);
	return 0;
}

/*
 * New programs for every endpoint attaching @pol's id, built against @pol;
 * NULL entries for the others.  All or nothing.
 */
static struct kp_ep_policy **kp_pol_rebuild(struct kp_node *node, const struct kp_pol *pol,
					    struct netlink_ext_ack *extack)
{
	struct kp_ep_policy **progs;
	struct kp_endpoint *ep;
	unsigned int i = 0;

	progs = kvcalloc(node->eps.count + 1, sizeof(*progs), GFP_KERNEL);
	if (!progs)
		return ERR_PTR(-ENOMEM);
	list_for_each_entry(ep, &node->eps.list, list) {
		const struct kp_ep_policy *cur = kp_ep_policy_get(node, ep);

		if (kp_ep_attaches(node, ep, pol->p.id)) {
			progs[i] = kp_ep_policy_build(node, cur->attach, cur->n_attach, pol,
						      extack);
			if (IS_ERR(progs[i])) {
				int err = PTR_ERR(progs[i]);

				while (i--)
					kvfree(progs[i]);
				kvfree(progs);
				return ERR_PTR(err);
			}
		}
		i++;
	}
	return progs;
}

/* Links @pol in place of @old (NULL: as a new policy). */
static int kp_pol_link(struct kp_pol_table *tbl, struct kp_pol *pol, struct kp_pol *old)
{
	int err;

	if (old) {
		pol->seq = old->seq;
		rhashtable_replace_fast(&tbl->pols, &old->node, &pol->node, kp_pol_params);
		list_replace(&old->list, &pol->list);
		return 0;
	}
	err = rhashtable_lookup_insert_fast(&tbl->pols, &pol->node, kp_pol_params);
	if (!err) {
		pol->seq = tbl->next_seq++;
		list_add_tail(&pol->list, &tbl->pol_list);
	}
	return err;
}

static void kp_pol_retire(struct kp_pol *pol)
{
	if (pol)
		call_rcu(&pol->rcu, kp_pol_free_rcu);
}

int kp_pol_set(struct kp_node *node, struct kp_pol *pol, struct kp_pol_journal *j,
	       struct netlink_ext_ack *extack)
{
	struct kp_pol_table *tbl = kp_pol_tbl(node);
	struct kp_pol *old = kp_pol_find(tbl, pol->p.id);
	unsigned int rules = tbl->n_rules - kp_pol_rules(old) + kp_pol_rules(pol), i = 0, d;
	struct kp_ep_policy **progs;
	struct kp_endpoint *ep;
	struct kp_undo *u;
	int err = 0;

	lockdep_assert_held(&node->lock);
	err = kp_pol_resolve(tbl, pol, extack);
	if (err) {
		kp_pol_free(pol);
		return err;
	}
	if (rules > READ_ONCE(kp_max_rules)) {
		NL_SET_ERR_MSG(extack, "rule limit reached (see max_rules)");
		kp_pol_free(pol);
		return -ENOSPC;
	}
	/* Unchanged rules keep counting from where they were. */
	for (d = 0; old && d < __KPLANE_DIR_MAX; d++)
		kp_counters_carry(pol->counters[d], old->counters[d]);
	progs = kp_pol_rebuild(node, pol, extack);
	u = IS_ERR(progs) ? ERR_CAST(progs) : kp_undo_new(node, j, KP_UNDO_POL, pol);
	if (!IS_ERR(u)) {
		u->old = old;
		err = kp_pol_link(tbl, pol, old);
		if (err)
			u->obj = u->old = NULL;	/* nothing to undo */
	}
	if (IS_ERR(u) || err) {
		if (!IS_ERR(progs)) {
			while (i < node->eps.count)
				kvfree(progs[i++]);
			kvfree(progs);
		}
		kp_pol_free(pol);
		return IS_ERR(u) ? PTR_ERR(u) : err;
	}
	tbl->n_rules = rules;
	/* A journal that runs out of memory here is rolled back by the commit. */
	list_for_each_entry(ep, &node->eps.list, list) {
		if (progs[i] && !err)
			err = kp_ep_policy_swap(node, ep, progs[i], j);
		else
			kvfree(progs[i]);
		i++;
	}
	kvfree(progs);
	/* Revision first: a verdict still naming @old is re-checked from now on. */
	kp_pol_changed(node);
	if (!j)
		kp_pol_retire(old);
	return err;
}

int kp_pol_del(struct kp_node *node, const char *id, struct kp_pol_journal *j,
	       struct netlink_ext_ack *extack)
{
	struct kp_pol_table *tbl = kp_pol_tbl(node);
	struct kp_pol *pol = kp_pol_find(tbl, id);
	struct kp_endpoint *ep;
	struct kp_undo *u;

	lockdep_assert_held(&node->lock);
	if (!pol) {
		NL_SET_ERR_MSG(extack, "no such policy");
		return -ENOENT;
	}
	list_for_each_entry(ep, &node->eps.list, list) {
		if (kp_ep_attaches(node, ep, id)) {
			NL_SET_ERR_MSG(extack, "an endpoint attaches this policy; detach it first");
			return -EBUSY;
		}
	}
	u = kp_undo_new(node, j, KP_UNDO_POL, NULL);
	if (IS_ERR(u))
		return PTR_ERR(u);
	u->old = pol;
	u->prev = pol->list.prev;
	rhashtable_remove_fast(&tbl->pols, &pol->node, kp_pol_params);
	list_del(&pol->list);
	tbl->n_rules -= kp_pol_rules(pol);
	kp_pol_changed(node);
	if (!j)
		kp_pol_retire(pol);
	return 0;
}

/* --- endpoint programs --- */

static u32 kp_attach_tiers(const struct kp_attach *attach, u32 n, unsigned int dir)
{
	u32 i, tiers = 0;

	for (i = 0; i < n; i++)
		if (attach[i].dir == dir && attach[i].tier + 1U > tiers)
			tiers = attach[i].tier + 1U;
	return tiers;
}

static const struct kp_pol *kp_attach_resolve(struct kp_node *node, const struct kp_attach *a,
					      const struct kp_pol *override,
					      struct netlink_ext_ack *extack)
{
	const struct kp_pol *pol = override && !strcmp(override->p.id, a->id) ? override :
				   kp_pol_find(kp_pol_tbl(node), a->id);

	if (!pol) {
		NL_SET_ERR_MSG(extack, "an endpoint names a policy that does not exist");
		return ERR_PTR(-ENOENT);
	}
	if (strcmp(pol->p.tier, a->tier_name)) {
		NL_SET_ERR_MSG(extack, "a policy is listed under a tier it does not belong to");
		return ERR_PTR(-EINVAL);
	}
	return pol;
}

/*
 * Lays out one block: the header, each direction's tiers, then policy
 * pointers (per tier, sorted by order), then a copy of @attach.
 */
static struct kp_ep_policy *kp_ep_policy_build(struct kp_node *node,
					       const struct kp_attach *attach, u32 n,
					       const struct kp_pol *override,
					       struct netlink_ext_ack *extack)
{
	u32 tiers[__KPLANE_DIR_MAX], d, i, t;
	const struct kp_policy **slot;
	struct kp_tier_prog *tp;
	struct kp_ep_policy *epp;
	size_t size;

	for (d = 0; d < __KPLANE_DIR_MAX; d++)
		tiers[d] = kp_attach_tiers(attach, n, d);
	size = sizeof(*epp) + (tiers[0] + tiers[1]) * sizeof(*tp) + n * sizeof(*slot) +
	       n * sizeof(*attach);
	epp = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!epp)
		return ERR_PTR(-ENOMEM);
	tp = (struct kp_tier_prog *)(epp + 1);
	slot = (const struct kp_policy **)(tp + tiers[0] + tiers[1]);
	epp->attach = (struct kp_attach *)(slot + n);
	epp->n_attach = n;
	memcpy(epp->attach, attach, n * sizeof(*attach));
	for (d = 0; d < __KPLANE_DIR_MAX; d++) {
		epp->prog[d].n_tiers = tiers[d];
		epp->prog[d].tiers = tp;
		for (t = 0; t < tiers[d]; t++, tp++) {
			tp->pols = slot;
			for (i = 0; i < n; i++) {
				const struct kp_attach *a = &epp->attach[i];
				const struct kp_pol *pol;

				if (a->dir != d || a->tier != t)
					continue;
				tp->name = a->tier_name;
				if (!a->id[0])
					continue;
				pol = kp_attach_resolve(node, a, override, extack);
				if (IS_ERR(pol)) {
					kvfree(epp);
					return ERR_CAST(pol);
				}
				tp->pols[tp->n++] = &pol->p;
			}
			sort(tp->pols, tp->n, sizeof(*tp->pols), kp_policy_cmp, NULL);
			slot += tp->n;
		}
	}
	return epp;
}

int kp_ep_policy_set(struct kp_node *node, struct kp_endpoint *ep,
		     const struct kp_attach *attach, u32 n, struct kp_pol_journal *j,
		     struct netlink_ext_ack *extack)
{
	struct kp_ep_policy *epp = NULL;
	int err;

	lockdep_assert_held(&node->lock);
	if (n) {
		epp = kp_ep_policy_build(node, attach, n, NULL, extack);
		if (IS_ERR(epp))
			return PTR_ERR(epp);
	}
	err = kp_ep_policy_swap(node, ep, epp, j);
	if (!err)
		kp_pol_changed(node);
	return err;
}

/* --- endpoints joining and leaving in a commit --- */

struct kp_endpoint *kp_ep_present(struct kp_node *node, const char *id,
				  struct netlink_ext_ack *extack)
{
	struct kp_endpoint *ep = kp_ep_lookup_id(&node->eps, id);

	if (ep && !ep->leaving)
		return ep;
	NL_SET_ERR_MSG(extack, "no endpoint with this id");
	return NULL;
}

int kp_ep_join(struct kp_node *node, struct kp_endpoint *ep, const struct kp_attach *attach,
	       u32 n, struct kp_pol_journal *j, struct netlink_ext_ack *extack)
{
	struct kp_endpoint *same = kp_ep_lookup_id(&node->eps, ep->id);
	struct kp_undo *u;
	int err;

	lockdep_assert_held(&node->lock);
	if (same && same->leaving) {
		NL_SET_ERR_MSG(extack,
			       "endpoint is deleted by this transaction: add it again in the next");
		kp_ep_free(ep);
		return -EEXIST;
	}
	u = kp_undo_new(node, j, KP_UNDO_EP_ADD, ep);
	if (IS_ERR(u)) {
		kp_ep_free(ep);
		return PTR_ERR(u);
	}
	err = kp_ep_table_add(&node->eps, ep, kp_node_max_endpoints(node), extack);
	if (err) {
		u->obj = NULL;		/* freed by the table */
		return err;
	}
	return n ? kp_ep_policy_set(node, ep, attach, n, j, extack) : 0;
}

int kp_ep_leave(struct kp_node *node, const char *id, struct kp_pol_journal *j,
		struct netlink_ext_ack *extack)
{
	struct kp_endpoint *ep = kp_ep_present(node, id, extack);
	struct kp_undo *u;

	lockdep_assert_held(&node->lock);
	if (WARN_ON_ONCE(!j))
		return -EINVAL;		/* leaving is undone or finished by the journal */
	if (!ep)
		return -ENOENT;
	u = kp_undo_new(node, j, KP_UNDO_EP_DEL, ep);
	if (IS_ERR(u))
		return PTR_ERR(u);
	ep->leaving = true;
	return kp_ep_policy_set(node, ep, NULL, 0, j, extack);
}

/* --- commit and rollback --- */

static void kp_undo_pol(struct kp_pol_table *tbl, struct kp_undo *u)
{
	struct kp_pol *new = u->obj, *old = u->old;

	if (new && old) {
		rhashtable_replace_fast(&tbl->pols, &new->node, &old->node, kp_pol_params);
		list_replace(&new->list, &old->list);
	} else if (new) {
		rhashtable_remove_fast(&tbl->pols, &new->node, kp_pol_params);
		list_del(&new->list);
	} else if (old) {
		WARN_ON_ONCE(rhashtable_insert_fast(&tbl->pols, &old->node, kp_pol_params));
		list_add(&old->list, u->prev);
	}
	kp_pol_retire(new);
}

static void kp_undo_one(struct kp_pol_journal *j, struct kp_undo *u)
{
	struct kp_pol_table *tbl = kp_pol_tbl(j->node);
	struct kp_ipset *set = u->obj;

	/* Nothing here was published: it was all in the staged view. */
	switch (u->kind) {
	case KP_UNDO_SET_DATA:
		if (set)
			kp_ipset_data_retire(kp_ipset_data_replace(j->node, set, u->old, j));
		break;
	case KP_UNDO_SET_NEW:
		rhashtable_remove_fast(&tbl->sets, &set->node, kp_ipset_params);
		list_del(&set->list);
		call_rcu(&set->rcu, kp_ipset_free_rcu);
		break;
	case KP_UNDO_SET_DEL:
		WARN_ON_ONCE(rhashtable_insert_fast(&tbl->sets, &set->node, kp_ipset_params));
		list_add(&set->list, u->prev);
		break;
	case KP_UNDO_POL:
		kp_undo_pol(tbl, u);
		break;
	case KP_UNDO_EP_PROG:
		kp_ep_policy_retire(kp_ep_policy_replace(j->node, u->obj, u->old, j));
		break;
	case KP_UNDO_EP_ADD:
		if (u->obj)
			kp_ep_table_del(u->obj);
		break;
	case KP_UNDO_EP_DEL:
		((struct kp_endpoint *)u->obj)->leaving = false;
		break;
	}
}

void kp_pol_rollback(struct kp_node *node, struct kp_pol_journal *j)
{
	struct kp_undo *u, *tmp;

	lockdep_assert_held(&node->lock);
	list_for_each_entry_safe(u, tmp, &j->undo, list) {
		kp_undo_one(j, u);
		list_del(&u->list);
		kfree(u);
	}
	node->pol.n_sets = j->n_sets;
	node->pol.n_rules = j->n_rules;
	kp_pol_changed(node);
}

/* The view packets left catches up with what the commit published. */
static void kp_undo_sync(struct kp_pol_journal *j, const struct kp_undo *u)
{
	if (u->kind == KP_UNDO_SET_DATA && u->obj)
		kp_slot_sync(j->node, ((struct kp_ipset *)u->obj)->v.data);
	else if (u->kind == KP_UNDO_EP_PROG)
		kp_slot_sync(j->node, ((struct kp_endpoint *)u->obj)->pol);
}

void kp_pol_journal_done(struct kp_pol_journal *j)
{
	struct kp_undo *u, *tmp;

	/* Views in step first: a set the commit deleted goes with its members. */
	list_for_each_entry(u, &j->undo, list)
		kp_undo_sync(j, u);
	list_for_each_entry_safe(u, tmp, &j->undo, list) {
		if (u->kind == KP_UNDO_SET_DATA)
			kp_ipset_data_retire(u->old);
		else if (u->kind == KP_UNDO_SET_DEL)
			call_rcu(&((struct kp_ipset *)u->obj)->rcu, kp_ipset_free_rcu);
		else if (u->kind == KP_UNDO_POL)
			kp_pol_retire(u->old);
		else if (u->kind == KP_UNDO_EP_PROG)
			kp_ep_policy_retire(u->old);
		else if (u->kind == KP_UNDO_EP_DEL)
			kp_ep_table_del(u->obj);	/* its views agree: no program */
		list_del(&u->list);
		kfree(u);
	}
}

const struct kp_prog *kp_ep_prog(const struct kp_endpoint *ep, unsigned int dir,
				 unsigned int view)
{
	/* Outside a table, an endpoint is its builder's alone. */
	const struct kp_ep_policy *epp = rcu_dereference_check(ep->pol[view], !ep->table ||
							       lockdep_is_held(ep->table->lock));

	return epp ? &epp->prog[dir] : NULL;
}

bool kp_ep_has_policy(const struct kp_endpoint *ep, unsigned int view)
{
	return rcu_access_pointer(ep->pol[view]);
}
