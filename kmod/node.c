// SPDX-License-Identifier: GPL-2.0
/* Per-netns node state: enable/disable, counters, netns teardown. */
#include <linux/netdevice.h>
#include <net/net_namespace.h>
#include "node.h"
#include "budget.h"
#include "hooks.h"
#include "sockhook.h"
#include "txn.h"

DEFINE_MUTEX(kplane_mutex);
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
	kp_node_udp_moved(node, svc);
	return 0;
}

void kp_node_svc_del(struct kp_node *node, struct kp_service *svc)
{
	kp_flow_teardown_udp(&node->flows, &svc->key, NULL);
	kp_svc_table_del(&node->svcs, svc);
}

void kp_node_publish(struct kp_node *node)
{
	lockdep_assert_held(&kplane_mutex);
	smp_store_release(&node->view, kp_view_staged(node));
	/* After the flip: a verdict cached under the new revision was made in the new view. */
	kp_pol_changed(node);
	/*
	 * Every control request waits behind this under kplane_mutex: an
	 * expedited grace period (an IPI per CPU, once per commit) rather
	 * than a normal one, which takes tens of ms on a loaded node.
	 */
	synchronize_rcu_expedited();
}

int kp_node_enable(struct kp_node *node, struct netlink_ext_ack *extack)
{
	bool tenant = kp_net_is_tenant(node->net);
	int err;

	lockdep_assert_held(&kplane_mutex);
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
	err = kp_ep_table_init(&node->eps);
	if (err)
		goto err_quota;
	err = kp_svc_table_init(&node->svcs);
	if (err)
		goto err_eps;
	err = kp_flow_table_init(&node->flows);
	if (err)
		goto err_svcs;
	node->flows.own_max = &node->set.max_flows;
	node->eps.tenant = node->flows.tenant = tenant;
	err = kp_pol_table_init(&node->pol);
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
	WRITE_ONCE(node->enabled, true);
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
	lockdep_assert_held(&kplane_mutex);
	if (!node->enabled)
		return;
	WRITE_ONCE(node->enabled, false);
	kp_txn_abort_all(node);
	/*
	 * Every hook first, the endpoints' ingress ones included; the grace
	 * period in kp_hooks_unregister then covers packets inside any of
	 * them, and connect hooks that saw the node enabled.
	 */
	kp_ep_table_unhook(&node->eps);
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
	int cpu;

	memset(c, 0, sizeof(*c));
	if (!node->stats)
		return;
	for_each_possible_cpu(cpu) {
		const struct kp_node_counters *v = per_cpu_ptr(node->stats, cpu);

		c->rx_packets += READ_ONCE(v->rx_packets);
		c->rx_bytes += READ_ONCE(v->rx_bytes);
		c->connect_lb += READ_ONCE(v->connect_lb);
		c->connect_refused += READ_ONCE(v->connect_refused);
		c->nat_packets += READ_ONCE(v->nat_packets);
		c->nat_refused += READ_ONCE(v->nat_refused);
		c->policy_checked += READ_ONCE(v->policy_checked);
		c->policy_bypassed += READ_ONCE(v->policy_bypassed);
		c->policy_denied += READ_ONCE(v->policy_denied);
		c->policy_failsafe += READ_ONCE(v->policy_failsafe);
		c->fast_forwarded += READ_ONCE(v->fast_forwarded);
		c->policy_related += READ_ONCE(v->policy_related);
		c->spoofed += READ_ONCE(v->spoofed);
	}
}

static int __net_init kp_net_init(struct net *net)
{
	struct kp_node *node = kp_node_get(net);

	node->net = net;
	node->generation = 1;
	INIT_LIST_HEAD(&node->txns);
	return 0;
}

static void __net_exit kp_net_exit(struct net *net)
{
	mutex_lock(&kplane_mutex);
	/* This netns may be a pod of some node, a node, or both. */
	kp_ep_reap_netns(net);
	kp_node_disable(kp_node_get(net));
	mutex_unlock(&kplane_mutex);
}

static struct pernet_operations kp_net_ops = {
	.init = kp_net_init,
	.exit = kp_net_exit,
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
