/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A node's policy objects: named IP sets, policies with per-rule counters,
 * and each endpoint's compiled program (its tiers and policies, per
 * direction).  Objects are immutable once published; a change builds new
 * ones and swaps them in under the node's lock, so a packet sees the old state
 * or the new one.  Every change bumps the node's policy revision, which
 * makes cached flow verdicts re-check on their next packet.
 */
#ifndef KPLANE_POLICY_H
#define KPLANE_POLICY_H

#include <linux/rhashtable-types.h>
#include <linux/list.h>
#include <linux/atomic.h>
#include "counters.h"
#include "match.h"

struct kp_node;
struct kp_endpoint;
struct kp_undo;
struct netlink_ext_ack;

struct kp_ipset {
	struct kp_ipset_view v;		/* first: what rules read (match.h) */
	struct rhash_head node;
	struct list_head list;
	char name[KPLANE_ID_MAX];	/* zero padded: the hash key */
	struct rcu_head rcu;
};

/* A published policy: the matcher's view plus what the node keeps. */
struct kp_pol {
	struct rhash_head node;
	struct list_head list;
	u64 seq;			/* dump cursor, kept across replacement */
	struct kp_policy p;		/* p.id is the hash key */
	struct kp_rule_counters *counters[__KPLANE_DIR_MAX];
	/*
	 * As parsed, before kp_pol_set: the IP sets its rules name, one per
	 * set slot, in the order kp_pol_resolve() walks them.  NULL once
	 * resolved (or for a policy built with its sets in place).
	 */
	char (*set_names)[KPLANE_ID_MAX];
	u32 n_set_names, set_names_cap;
	struct rcu_head rcu;
};

/* One policy named by an endpoint, under a tier, in one direction. */
struct kp_attach {
	u8 dir;
	u8 tier;			/* index among the direction's tiers */
	char tier_name[KPLANE_ID_MAX];
	char id[KPLANE_ID_MAX];		/* empty: a tier listed with no policy */
};

/* An endpoint's policy, as configured and as compiled; one allocation. */
struct kp_ep_policy {
	struct rcu_head rcu;
	struct kp_prog prog[__KPLANE_DIR_MAX];
	u32 n_attach;
	struct kp_attach *attach;
};

struct kp_pol_table {
	struct mutex *lock;		/* guards every change (its node's) */
	struct rhashtable sets;
	struct rhashtable pols;
	struct list_head set_list;
	struct list_head pol_list;
	u64 next_seq;
	unsigned int n_sets;
	unsigned int n_rules;		/* over all policies */
	u32 rev;			/* read by the datapath */
	/* What a change without a journal records into, and forgets. */
	struct kp_undo *no_journal;
};

/*
 * What a transaction's commit replaced, so a failure later in the same
 * commit can put everything back (kp_pol_rollback), and what to free once
 * it succeeds (kp_pol_journal_done).  Changes made without a journal free
 * what they replace at once (after a grace period).
 */
struct kp_pol_journal {
	struct kp_node *node;
	struct list_head undo;		/* struct kp_undo (policy.c), newest first */
	unsigned int n_sets;		/* the table's counts before the commit */
	unsigned int n_rules;
};

/* An IP set change: its members to set or add, and to remove. */
struct kp_ipset_cfg {
	char name[KPLANE_ID_MAX];
	u32 n_add, n_del;
	struct kp_prefix *add;		/* kp_free() them */
	struct kp_prefix *del;
};

extern unsigned int kp_max_rules;
extern unsigned int kp_max_ipsets;

int kp_pol_table_init(struct kp_pol_table *tbl, struct mutex *lock);
/* Caller has dropped every endpoint first. */
void kp_pol_table_destroy(struct kp_pol_table *tbl);

struct kp_ipset *kp_ipset_find(struct kp_pol_table *tbl, const char *name);
/*
 * Every change below takes a journal (NULL: none; see struct kp_pol_journal).
 * kp_ipset_set replaces (or creates) @name with @p[0..n-1] and takes @p in
 * every case.
 */
int kp_ipset_set(struct kp_node *node, const char *name, struct kp_prefix *p, u32 n,
		 struct kp_pol_journal *j, struct netlink_ext_ack *extack);
int kp_ipset_update(struct kp_node *node, const char *name, const struct kp_prefix *add,
		    u32 n_add, const struct kp_prefix *del, u32 n_del,
		    struct kp_pol_journal *j, struct netlink_ext_ack *extack);
int kp_ipset_del(struct kp_node *node, const char *name, struct kp_pol_journal *j,
		 struct netlink_ext_ack *extack);
/* Dumps (under @tbl's lock, outside commits): the members and their count. */
const struct kp_prefix_set *kp_ipset_committed(const struct kp_pol_table *tbl,
					       const struct kp_ipset *set);
u32 kp_ipset_count(const struct kp_pol_table *tbl, const struct kp_ipset *set);

struct kp_pol *kp_pol_alloc(void);
/* About what @pol holds, in bytes: what staging it charges. */
long kp_pol_footprint(const struct kp_pol *pol);
/* A rule of @pol names IP set @name in its next set slot (parsing). */
int kp_pol_name_set(struct kp_pol *pol, const char *name);
void kp_pol_free(struct kp_pol *pol);
struct kp_pol *kp_pol_find(struct kp_pol_table *tbl, const char *id);
/*
 * Publishes @pol (replacing a policy of its id), its rules' IP sets found
 * by name first; takes it in every case.
 */
int kp_pol_set(struct kp_node *node, struct kp_pol *pol, struct kp_pol_journal *j,
	       struct netlink_ext_ack *extack);
int kp_pol_del(struct kp_node *node, const char *id, struct kp_pol_journal *j,
	       struct netlink_ext_ack *extack);
/* The node object around a matcher policy (verdicts point at those). */
static inline struct kp_pol *kp_pol_of(const struct kp_policy *p)
{
	return container_of(p, struct kp_pol, p);
}

/*
 * Replaces the endpoint's tiers and policies with @attach[0..n-1] (copied),
 * checking every policy exists and is in the tier it is listed under.
 * n == 0 clears them.
 */
int kp_ep_policy_set(struct kp_node *node, struct kp_endpoint *ep,
		     const struct kp_attach *attach, u32 n, struct kp_pol_journal *j,
		     struct netlink_ext_ack *extack);
/*
 * A commit's endpoint changes.  kp_ep_join adds @ep (taken in every case)
 * with its policy in the staged view only: until the flip packets see the
 * endpoint without policy, as they saw no endpoint.  kp_ep_leave clears the
 * endpoint's staged policy and deletes it once the commit is published.
 */
/* Endpoint @id, unless absent or leaving in this commit (then NULL, with a message). */
struct kp_endpoint *kp_ep_present(struct kp_node *node, const char *id,
				  struct netlink_ext_ack *extack);
int kp_ep_join(struct kp_node *node, struct kp_endpoint *ep, const struct kp_attach *attach,
	       u32 n, struct kp_pol_journal *j, struct netlink_ext_ack *extack);
int kp_ep_leave(struct kp_node *node, const char *id, struct kp_pol_journal *j,
		struct netlink_ext_ack *extack);
void kp_pol_journal_init(struct kp_node *node, struct kp_pol_journal *j);
/*
 * The commit succeeded and was published (kp_node_publish): the old view
 * catches up, and what the commit replaced goes.
 */
void kp_pol_journal_done(struct kp_pol_journal *j);
/* The commit failed: put back everything it changed, newest first. */
void kp_pol_rollback(struct kp_node *node, struct kp_pol_journal *j);
/* Under RCU: the endpoint's compiled program for @dir in @view, or NULL. */
const struct kp_prog *kp_ep_prog(const struct kp_endpoint *ep, unsigned int dir,
				 unsigned int view);
/* Under RCU: whether the endpoint has any policy in @view. */
bool kp_ep_has_policy(const struct kp_endpoint *ep, unsigned int view);
/* Bumps the policy revision (and the node generation). */
void kp_pol_changed(struct kp_node *node);
/*
 * Datapath: the revision a verdict about to be made will be cached under.
 * Read before the view (kp_filter_decide): a verdict made in an old view
 * then carries an old revision and is re-checked.
 */
#define kp_pol_rev(node) smp_load_acquire(&(node)->pol.rev)

#endif /* KPLANE_POLICY_H */
