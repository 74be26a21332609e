// SPDX-License-Identifier: GPL-2.0
/* kplane: Kubernetes node dataplane.  This file only wires the parts. */
#include <linux/module.h>
#include <net/genetlink.h>
#include <uapi/linux/kplane.h>
#include "budget.h"
#include "endpoint.h"
#include "filter.h"
#include "settings.h"
#include "hooks.h"
#include "netlink.h"
#include "node.h"
#include "sockhook.h"
#include "txn.h"

static int __init kp_mod_init(void)
{
	int err;

	kp_budget_init();
	err = kp_settings_init();
	if (err)
		return err;
	err = kp_endpoint_init();
	if (err)
		return err;
	err = kp_sockhook_init();
	if (err)
		goto err_endpoint;
	err = kp_node_init();
	if (err)
		goto err_sockhook;
	err = kp_hooks_init();
	if (err)
		goto err_node;
	err = kp_txn_init();
	if (err)
		goto err_hooks;
	err = kp_netlink_init();
	if (err)
		goto err_txn;
	return 0;

err_txn:
	kp_txn_uninit();
err_hooks:
	kp_hooks_uninit();
err_node:
	kp_node_uninit();
err_sockhook:
	kp_sockhook_uninit();
err_endpoint:
	kp_endpoint_uninit();
	return err;
}

static void __exit kp_mod_exit(void)
{
	kp_netlink_uninit();
	kp_txn_uninit();
	kp_hooks_uninit();	/* first: its farewell events take the ingress hooks off */
	kp_node_uninit();	/* disables every node: the last one disarms the probes */
	kp_sockhook_uninit();
	kp_endpoint_uninit();
}

module_init(kp_mod_init);
module_exit(kp_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kplane Kubernetes node dataplane");
MODULE_VERSION("0.1");
MODULE_ALIAS_GENL_FAMILY(KPLANE_GENL_NAME);
