// SPDX-License-Identifier: GPL-2.0
/* Per-netns node state: enable/disable, counters, netns teardown. */
#include <linux/netdevice.h>
#include <net/net_namespace.h>
#include "node.h"
#include "budget.h"
#include "hooks.h"
#include "sockhook.h"
#include "txn.h"

void kp_node_udp_moved(struct kp_node *node, const struct kp_service *svc)
{
	if (svc)
		kp_flow_teardown_udp(&node->flows, &svc->key, svc);
	else
		kp_flow_teardown_udp_stale(&node->flows, &node->svcs);
	kp_sockhook_udp_moved(node, svc);
}

int kp_node_svc_set(struct kp_node *node, struct kp_service *svc, unsigned int limit,
		    struct netlink_ext_ack *extack)
{
	int err = kp_svc_table_set(&node->svcs, svc, limit, extack);

	if (err)
		return err;
	kp_node_udp_moved(node, svc);	/* the table's now, and ours under the lock */
	return 0;
}

void kp_node_svc_del(struct kp_node *node, struct kp_service *svc)
{
	kp_flow_teardown_udp(&node->flows, &svc->key, NULL);
	kp_svc_table_del(&node->svcs, svc);
}

void kp_node_publish(struct kp_node *node)
{
	lockdep_assert_held(&node->lock);
	smp_store_release(&node->view, kp_view_staged(node));
	/* After the flip: a verdict cached under the new revision was made in the new view. */
	kp_pol_changed(node);
	/*
	 * Every request to this node waits behind this under its lock: an
	 * expedited grace period (an IPI per CPU, once per commit) rather
	 * than a normal one, which takes tens of ms on a loaded node.
	 */
	synchronize_rcu_expedited();
}

static void kp_node_unhook_all(struct kp_node *node)
{
	struct kp_endpoint *ep;

	list_for_each_entry(ep, &node->eps.list, list)
		kp_hooks_ingress_del(node, ep);
}

/* The device notifier reads it under hooks_lock: tables live while it is set. */
static void kp_node_set_enabled(struct kp_node *node, bool on)
{
	mutex_lock(&node->hooks_lock);
	WRITE_ONCE(node->enabled, on);
	mutex_unlock(&node->hooks_lock);
}

int kp_node_enable(struct kp_node *node, struct netlink_ext_ack *extack)
{
	bool tenant = kp_net_is_tenant(node->net);
	int err;

	lockdep_assert_held(&node->lock);
	if (node->enabled)
		return 0;
	node->stats = alloc_percpu_gfp(struct kp_node_counters, GFP_KERNEL_ACCOUNT);
	if (!node->stats)
		return -ENOMEM;
	node->lb_quota = kp_budget_new(tenant);
	node->cfg_budget = kp_budget_new(tenant);
	if (!node->lb_quota || !node->cfg_budget) {
		err = -ENOMEM;
		goto err_quota;
	}
	err = kp_ep_table_init(&node->eps, &node->lock);
	if (err)
		goto err_quota;
	err = kp_svc_table_init(&node->svcs, &node->lock);
	if (err)
		goto err_eps;
	err = kp_flow_table_init(&node->flows);
	if (err)
		goto err_svcs;
	node->flows.own_max = &node->set.max_flows;
	node->eps.tenant = node->flows.tenant = tenant;
	err = kp_pol_table_init(&node->pol, &node->lock);
	if (err)
		goto err_flows;
	err = kp_hooks_register(node->net);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register netfilter hooks");
		goto err_pol;
	}
	err = kp_sockhook_get();
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register the connect-time probes (see dmesg)");
		goto err_hooks;
	}
	kp_node_set_enabled(node, true);
	kp_node_changed(node);
	return 0;

err_hooks:
	kp_hooks_unregister(node->net);
err_pol:
	kp_pol_table_destroy(&node->pol);
err_flows:
	kp_flow_table_destroy(&node->flows);
err_svcs:
	kp_svc_table_destroy(&node->svcs);
err_eps:
	kp_ep_table_destroy(&node->eps);
err_quota:
	kp_budget_put(node->cfg_budget);
	kp_budget_put(node->lb_quota);
	node->cfg_budget = NULL;
	node->lb_quota = NULL;
	free_percpu(node->stats);
	node->stats = NULL;
	return err;
}

void kp_node_disable(struct kp_node *node)
{
	lockdep_assert_held(&node->lock);
	if (!node->enabled)
		return;
	/*
	 * The endpoints' ingress hooks before the device notifier stops
	 * looking (!enabled): a device deleted after that must carry none.
	 * Nothing hooks again meanwhile: that takes node->lock, held here.
	 */
	kp_node_unhook_all(node);
	kp_node_set_enabled(node, false);
	kp_txn_abort_all(node);
	/*
	 * Every hook goes before the tables; the grace period in
	 * kp_hooks_unregister then covers packets inside any of them, and
	 * connect hooks that saw the node enabled.
	 */
	kp_hooks_unregister(node->net);
	kp_sockhook_node_gone(node);
	kp_sockhook_put();
	kp_budget_put(node->lb_quota);
	node->lb_quota = NULL;
	kp_flow_table_destroy(&node->flows);
	kp_svc_table_destroy(&node->svcs);
	kp_ep_table_destroy(&node->eps);
	kp_pol_table_destroy(&node->pol);
	/* Services freed after a grace period hold their own reference. */
	kp_budget_put(node->cfg_budget);
	node->cfg_budget = NULL;
	free_percpu(node->stats);
	node->stats = NULL;
	kp_settings_reset(node);
	kp_node_changed(node);
}

void kp_node_counters(const struct kp_node *node, struct kp_node_counters *c)
{
	unsigned int i;
	int cpu;

	memset(c, 0, sizeof(*c));
	if (!node->stats)
		return;
	for_each_possible_cpu(cpu) {
		const struct kp_node_counters *v = per_cpu_ptr(node->stats, cpu);

		for (i = 0; i < __KP_STAT_MAX; i++)
			c->v[i] += READ_ONCE(v->v[i]);
	}
}

static int __net_init kp_net_init(struct net *net)
{
	struct kp_node *node = kp_node_get(net);

	node->net = net;
	node->generation = 1;
	mutex_init(&node->lock);
	mutex_init(&node->hooks_lock);
	INIT_LIST_HEAD(&node->txns);
	return 0;
}

/*
 * @net is going: so does the endpoint it is the pod netns of, if any,
 * under that endpoint's node's lock.  That node's netns outlives this:
 * netns exits run one batch at a time, and a node's own exit (or disable)
 * unbinds its endpoints first.  Retried if the netns was bound anew while
 * the lock was awaited.
 */
static void kp_node_reap_pod(struct net *net)
{
	struct kp_endpoint *ep;
	struct kp_ep_table *tbl;
	struct kp_node *node;
	bool done;

	do {
		rcu_read_lock();
		tbl = kp_ep_netns_table(net);
		rcu_read_unlock();
		if (!tbl)
			return;
		node = kp_node_of_table(tbl);
		mutex_lock(&node->lock);
		ep = kp_ep_lookup_netns(net);
		if (ep && ep->table == tbl)
			kp_hooks_ingress_del(node, ep);
		done = kp_ep_reap_netns(tbl, net);
		mutex_unlock(&node->lock);
	} while (!done);
}

/*
 * A netns may be a pod of some node, a node, or both.  Most are neither,
 * and leave without a lock: no other node's commit can hold them up.
 */
static void __net_exit kp_net_exit_batch(struct list_head *net_exit_list)
{
	struct net *net;

	bool disabled = false;

	list_for_each_entry(net, net_exit_list, exit_list) {
		struct kp_node *node = kp_node_get(net);

		kp_node_reap_pod(net);
		/* Only its own sockets enable a node, and they are gone. */
		if (!READ_ONCE(node->enabled))
			continue;
		mutex_lock(&node->lock);
		kp_node_disable(node);
		mutex_unlock(&node->lock);
		disabled = true;
	}
	/*
	 * A connect in a pod that found its endpoint in the pod netns index
	 * before the node dropped it may still read the node: its memory goes
	 * when this returns.
	 */
	if (disabled)
		synchronize_rcu();
}

static struct pernet_operations kp_net_ops = {
	.init = kp_net_init,
	.exit_batch = kp_net_exit_batch,
	.id = &kp_net_id,
	.size = sizeof(struct kp_node),
};

int kp_node_init(void)
{
	return register_pernet_subsys(&kp_net_ops);
}

void kp_node_uninit(void)
{
	unregister_pernet_subsys(&kp_net_ops);
}
