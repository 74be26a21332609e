// SPDX-License-Identifier: GPL-2.0
/* Per-node shares of host-wide resources: see budget.h. */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include "budget.h"

/* 0 at load: an eighth of the host's memory, and a quarter of that per node. */
static unsigned long kp_max_config_mb;
module_param_named(max_config_mb, kp_max_config_mb, ulong, 0644);
MODULE_PARM_DESC(max_config_mb,
		 "Most memory all nodes' services and staged changes may take, MiB (default RAM/8)");
static unsigned long kp_max_node_config_mb;
module_param_named(max_node_config_mb, kp_max_node_config_mb, ulong, 0644);
MODULE_PARM_DESC(max_node_config_mb,
		 "Most of it one node may take, MiB (default max_config_mb/4)");
static atomic_long_t kp_config_used = ATOMIC_LONG_INIT(0);

void kp_budget_init(void)
{
	if (!kp_max_config_mb)
		kp_max_config_mb = max(totalram_pages() >> (20 - PAGE_SHIFT) >> 3, 64UL);
	if (!kp_max_node_config_mb)
		kp_max_node_config_mb = max(kp_max_config_mb >> 2, 16UL);
}

int kp_config_charge(struct kp_budget *b, long bytes, struct netlink_ext_ack *extack)
{
	long node_max = READ_ONCE(kp_max_node_config_mb) << 20;
	long host_max = READ_ONCE(kp_max_config_mb) << 20;

	if (kp_budget_charge(b, node_max, &kp_config_used, host_max, bytes))
		return 0;
	if (atomic_long_read(&b->used) + bytes > node_max)
		NL_SET_ERR_MSG(extack, "node's configuration memory is full (see max_node_config_mb)");
	else
		NL_SET_ERR_MSG(extack, "host's configuration memory is full (see max_config_mb)");
	return -ENOSPC;
}

void kp_config_uncharge(struct kp_budget *b, long bytes)
{
	kp_budget_uncharge(b, &kp_config_used, bytes);
}

struct kp_budget *kp_budget_new(void)
{
	struct kp_budget *b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);

	if (b)
		refcount_set(&b->ref, 1);
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

bool kp_budget_charge(struct kp_budget *b, long max, atomic_long_t *host, long host_max,
		      long n)
{
	if (atomic_long_add_return(n, &b->used) > max)
		goto node_full;
	if (atomic_long_add_return(n, host) > host_max)
		goto host_full;
	return true;

host_full:
	atomic_long_sub(n, host);
node_full:
	atomic_long_sub(n, &b->used);
	atomic64_inc(&b->refused);
	return false;
}

void kp_budget_uncharge(struct kp_budget *b, atomic_long_t *host, long n)
{
	atomic_long_sub(n, host);
	atomic_long_sub(n, &b->used);
}
