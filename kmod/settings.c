// SPDX-License-Identifier: GPL-2.0
/* A node's own settings over the host's defaults and caps: see settings.h. */
#include <linux/module.h>
#include <linux/slab.h>
#include "settings.h"
#include "endpoint.h"
#include "flow.h"
#include "node.h"
#include "policy.h"
#include "service.h"

static bool kp_policy_reject;
module_param_named(policy_reject, kp_policy_reject, bool, 0644);
MODULE_PARM_DESC(policy_reject, "Answer packets denied by policy with ICMP administratively prohibited (default: drop silently; a node may set its own)");

static bool kp_fast_forward = true;
module_param_named(fast_forward, kp_fast_forward, bool, 0644);
MODULE_PARM_DESC(fast_forward, "Send approved forwarded flows from the first hook, skipping the route lookup and FORWARD (default on; a node may set its own)");

static bool kp_bypass_conntrack = true;
module_param_named(bypass_conntrack, kp_bypass_conntrack, bool, 0644);
MODULE_PARM_DESC(bypass_conntrack, "Keep approved endpoint flows out of nf_conntrack (default on; off if pod egress relies on iptables MASQUERADE; a node may set its own)");

/*
 * Failsafe ports (Calico's defaults): traffic to and from the node itself
 * on these skips host endpoint policy and passes when the flow table is
 * full, so a bad policy or a flood cannot lock operators out.
 */
static struct kp_failsafe kp_host_failsafe[2];

static int kp_failsafe_param_set(const char *val, const struct kernel_param *kp)
{
	struct kp_failsafe *fs = kp->arg, tmp;
	const char *err = kp_failsafe_parse(val, tmp.pp, &tmp.n);

	if (err) {
		pr_warn("kplane: %s: %s\n", kp->name, err);
		return -EINVAL;
	}
	/* Readers may see a mix of old and new entries for a moment: harmless. */
	memcpy(fs->pp, tmp.pp, sizeof(tmp.pp));
	WRITE_ONCE(fs->n, tmp.n);
	return 0;
}

static const char *const kp_proto_names[] = {
	[IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp", [IPPROTO_SCTP] = "sctp",
};

int kp_failsafe_print(char *buf, size_t size, const struct kp_failsafe *fs)
{
	unsigned int i, n = READ_ONCE(fs->n);
	int len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += scnprintf(buf + len, size - len, "%s%s:%u", i ? "," : "",
				 kp_proto_names[fs->pp[i].proto], fs->pp[i].port);
	return len;
}

static int kp_failsafe_param_get(char *buf, const struct kernel_param *kp)
{
	int len = kp_failsafe_print(buf, PAGE_SIZE - 1, kp->arg);

	return len + scnprintf(buf + len, PAGE_SIZE - len, "\n");
}

static const struct kernel_param_ops kp_failsafe_ops = {
	.set = kp_failsafe_param_set,
	.get = kp_failsafe_param_get,
};

module_param_cb(failsafe_inbound, &kp_failsafe_ops, &kp_host_failsafe[KP_FAILSAFE_IN], 0644);
MODULE_PARM_DESC(failsafe_inbound, "Node ports always reachable (proto:port,...; a node may set its own)");
module_param_cb(failsafe_outbound, &kp_failsafe_ops, &kp_host_failsafe[KP_FAILSAFE_OUT], 0644);
MODULE_PARM_DESC(failsafe_outbound, "Remote ports the node can always reach (proto:port,...; a node may set its own)");

int kp_settings_init(void)
{
	static const char *const dflt[2] = {
		"tcp:22,udp:68,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667",
		"udp:53,udp:67,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667",
	};
	unsigned int i;

	/* Only if not given at load time. */
	for (i = 0; i < 2; i++)
		if (!kp_host_failsafe[i].n)
			kp_failsafe_parse(dflt[i], kp_host_failsafe[i].pp, &kp_host_failsafe[i].n);
	return 0;
}

u32 kp_node_max_endpoints(const struct kp_node *node)
{
	return kp_limit(READ_ONCE(node->set.max_endpoints), &kp_max_endpoints);
}

u32 kp_node_max_services(const struct kp_node *node)
{
	return kp_limit(READ_ONCE(node->set.max_services), &kp_max_services);
}

u32 kp_node_max_flows(const struct kp_node *node)
{
	return kp_limit(READ_ONCE(node->set.max_flows), &kp_max_flows);
}

static bool kp_on(u8 own, const bool *host)
{
	return own == KPLANE_SETTING_DEFAULT ? READ_ONCE(*host) : own == KPLANE_SETTING_ON;
}

bool kp_node_policy_reject(const struct kp_node *node)
{
	return kp_on(READ_ONCE(node->set.policy_reject), &kp_policy_reject);
}

bool kp_node_bypass_conntrack(const struct kp_node *node)
{
	return kp_on(READ_ONCE(node->set.bypass_conntrack), &kp_bypass_conntrack);
}

bool kp_node_fast_forward(const struct kp_node *node)
{
	return kp_on(READ_ONCE(node->set.fast_forward), &kp_fast_forward);
}

bool kp_node_failsafe_has(const struct kp_node *node, unsigned int which, u8 proto, u16 port)
{
	const struct kp_failsafe *fs = rcu_dereference(node->set.failsafe[which]);
	unsigned int i, n;

	if (!fs)
		fs = &kp_host_failsafe[which];
	n = READ_ONCE(fs->n);
	for (i = 0; i < n; i++)
		if (fs->pp[i].proto == proto && fs->pp[i].port == port)
			return true;
	return false;
}

/* Publishes @fs (NULL: the host's); the old list goes after a grace period. */
static void kp_failsafe_swap(struct kp_node *node, unsigned int which, struct kp_failsafe *fs)
{
	struct kp_failsafe *old = rcu_replace_pointer(node->set.failsafe[which], fs,
						      lockdep_is_held(&node->lock));

	if (old)
		kfree_rcu(old, rcu);
}

void kp_settings_reset(struct kp_node *node)
{
	unsigned int i;

	lockdep_assert_held(&node->lock);
	for (i = 0; i < 2; i++)
		kp_failsafe_swap(node, i, NULL);
	WRITE_ONCE(node->set.max_endpoints, 0);
	WRITE_ONCE(node->set.max_services, 0);
	WRITE_ONCE(node->set.max_flows, 0);
	WRITE_ONCE(node->set.policy_reject, KPLANE_SETTING_DEFAULT);
	WRITE_ONCE(node->set.bypass_conntrack, KPLANE_SETTING_DEFAULT);
	WRITE_ONCE(node->set.fast_forward, KPLANE_SETTING_DEFAULT);
}

void kp_settings_apply(struct kp_node *node, struct kp_settings_cfg *cfg)
{
	struct kp_settings *s = &node->set;
	unsigned int i;

	if (cfg->given & KP_SET_MAX_ENDPOINTS)
		WRITE_ONCE(s->max_endpoints, cfg->v.max_endpoints);
	if (cfg->given & KP_SET_MAX_SERVICES)
		WRITE_ONCE(s->max_services, cfg->v.max_services);
	if (cfg->given & KP_SET_MAX_FLOWS)
		WRITE_ONCE(s->max_flows, cfg->v.max_flows);
	if (cfg->given & KP_SET_POLICY_REJECT)
		WRITE_ONCE(s->policy_reject, cfg->v.policy_reject);
	if (cfg->given & KP_SET_BYPASS_CONNTRACK)
		WRITE_ONCE(s->bypass_conntrack, cfg->v.bypass_conntrack);
	if (cfg->given & KP_SET_FAST_FORWARD)
		WRITE_ONCE(s->fast_forward, cfg->v.fast_forward);
	for (i = 0; i < 2; i++) {
		if (cfg->given & KP_SET_FAILSAFE(i)) {
			kp_failsafe_swap(node, i, cfg->fs[i]);
			cfg->fs[i] = NULL;
		}
	}
}
