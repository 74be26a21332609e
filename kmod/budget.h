/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Budgets: how much of a host-wide resource one node may hold.  A node needs
 * only a user namespace, so without a share per node one tenant could take
 * what the host and every other node need.  A charge counts against the
 * node's share and the host's total at once, and fails (nothing charged)
 * when either would pass its limit.
 *
 * What holds a charge holds a reference to the node's budget, so a charge
 * can be returned after the node is disabled (a socket record, a service
 * freed after a grace period).
 */
#ifndef KPLANE_BUDGET_H
#define KPLANE_BUDGET_H

#include <linux/atomic.h>
#include <linux/refcount.h>

struct net;

/*
 * A host-wide total and, within it, what tenants' nodes took: a tenant is a
 * netns owned by a user namespace other than the host's, and tenants
 * together may take at most half of the total, so the host's own nodes
 * (the kubelet's) always have the rest, however many netns users make.
 */
struct kp_pool {
	atomic_long_t all;
	atomic_long_t tenants;
};

bool kp_net_is_tenant(const struct net *net);
/* Takes @n of @pool (at most @max in all); any context. */
bool kp_pool_take(struct kp_pool *pool, bool tenant, long n, long max);
void kp_pool_give(struct kp_pool *pool, bool tenant, long n);

struct kp_budget {
	refcount_t ref;
	bool tenant;		/* its node's netns is a tenant's */
	atomic_long_t used;
	atomic64_t refused;	/* charges that failed */
};

struct kp_budget *kp_budget_new(bool tenant);
struct kp_budget *kp_budget_get(struct kp_budget *b);
void kp_budget_put(struct kp_budget *b);	/* NULL: nothing */
/* Charges @n to @b (at most @max) and @host (at most @host_max); any context. */
bool kp_budget_charge(struct kp_budget *b, long max, struct kp_pool *host, long host_max,
		      long n);
void kp_budget_uncharge(struct kp_budget *b, struct kp_pool *host, long n);

struct netlink_ext_ack;
/*
 * Configuration memory: services (their Maglev tables: up to 256 KiB each)
 * and staged transaction changes, in bytes, against max_node_config_mb and
 * max_config_mb.  Fails with -ENOSPC and says which limit.
 */
int kp_config_charge(struct kp_budget *b, long bytes, struct netlink_ext_ack *extack);
void kp_config_uncharge(struct kp_budget *b, long bytes);
void kp_budget_init(void);

#endif /* KPLANE_BUDGET_H */
