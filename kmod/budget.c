// SPDX-License-Identifier: GPL-2.0
/* Per-node shares of host-wide resources: see budget.h. */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include "budget.h"

/* 0 at load: a quarter of the host's memory, and half of that per node. */
static unsigned long kp_max_config_mb;
module_param_named(max_config_mb, kp_max_config_mb, ulong, 0644);
MODULE_PARM_DESC(max_config_mb,
		 "Most memory all nodes' services and staged changes may take, MiB (default RAM/4)");
static unsigned long kp_max_node_config_mb;
module_param_named(max_node_config_mb, kp_max_node_config_mb, ulong, 0644);
MODULE_PARM_DESC(max_node_config_mb,
		 "Most of it one node may take, MiB (default max_config_mb/2)");
static struct kp_pool kp_config_used;

void kp_budget_init(void)
{
	if (!kp_max_config_mb)
		kp_max_config_mb = max(totalram_pages() >> (20 - PAGE_SHIFT) >> 2, 64UL);
	if (!kp_max_node_config_mb)
		kp_max_node_config_mb = max(kp_max_config_mb >> 1, 16UL);
}

/* MiB to bytes, saturating (a huge parameter must not wrap negative). */
static long kp_mib(unsigned long mib)
{
	return (long)min(mib, (unsigned long)LONG_MAX >> 20) << 20;
}

int kp_config_charge(struct kp_budget *b, long bytes, struct netlink_ext_ack *extack)
{
	long node_max = kp_mib(READ_ONCE(kp_max_node_config_mb));
	long host_max = kp_mib(READ_ONCE(kp_max_config_mb));

	if (kp_budget_charge(b, node_max, &kp_config_used, host_max, bytes))
		return 0;
	if (atomic_long_read(&b->used) + bytes > node_max)
		NL_SET_ERR_MSG(extack, "node's configuration memory is full (see max_node_config_mb)");
	else
		NL_SET_ERR_MSG(extack, "host's configuration memory is full (see max_config_mb; tenants' nodes share half)");
	return -ENOSPC;
}

void kp_config_uncharge(struct kp_budget *b, long bytes)
{
	kp_budget_uncharge(b, &kp_config_used, bytes);
}

bool kp_net_is_tenant(const struct net *net)
{
	return net->user_ns != &init_user_ns;
}

bool kp_pool_take(struct kp_pool *pool, bool tenant, long n, long max)
{
	if (atomic_long_add_return(n, &pool->all) > max)
		goto all_full;
	if (tenant && atomic_long_add_return(n, &pool->tenants) > max / 2)
		goto tenants_full;
	return true;

tenants_full:
	atomic_long_sub(n, &pool->tenants);
all_full:
	atomic_long_sub(n, &pool->all);
	return false;
}

void kp_pool_give(struct kp_pool *pool, bool tenant, long n)
{
	if (tenant)
		atomic_long_sub(n, &pool->tenants);
	atomic_long_sub(n, &pool->all);
}

struct kp_budget *kp_budget_new(bool tenant)
{
	struct kp_budget *b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);

	if (b) {
		refcount_set(&b->ref, 1);
		b->tenant = tenant;
	}
	return b;
}

struct kp_budget *kp_budget_get(struct kp_budget *b)
{
	refcount_inc(&b->ref);
	return b;
}

void kp_budget_put(struct kp_budget *b)
{
	if (b && refcount_dec_and_test(&b->ref))
		kfree(b);
}

bool kp_budget_charge(struct kp_budget *b, long max, struct kp_pool *host, long host_max,
		      long n)
{
	if (atomic_long_add_return(n, &b->used) > max)
		goto node_full;
	if (!kp_pool_take(host, b->tenant, n, host_max))
		goto node_full;
	return true;

node_full:
	atomic_long_sub(n, &b->used);
	atomic64_inc(&b->refused);
	return false;
}

void kp_budget_uncharge(struct kp_budget *b, struct kp_pool *host, long n)
{
	kp_pool_give(host, b->tenant, n);
	atomic_long_sub(n, &b->used);
}
