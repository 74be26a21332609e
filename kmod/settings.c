// SPDX-License-Identifier: GPL-2.0
/* A node's own settings over the host's defaults and caps: see settings.h. */
#include <linux/module.h>
#include <linux/slab.h>
#include "settings.h"
#include "attrs.h"
#include "endpoint.h"
#include "flow.h"
#include "node.h"
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

static int kp_failsafe_print(char *buf, size_t size, const struct kp_failsafe *fs)
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

const struct nla_policy kp_settings_nla_policy[KPLANE_SET_A_MAX + 1] = {
	[KPLANE_SET_A_MAX_ENDPOINTS]	= { .type = NLA_U32 },
	[KPLANE_SET_A_MAX_SERVICES]	= { .type = NLA_U32 },
	[KPLANE_SET_A_MAX_FLOWS]	= { .type = NLA_U32 },
	[KPLANE_SET_A_POLICY_REJECT]	= NLA_POLICY_MAX(NLA_U8, __KPLANE_SETTING_MAX - 1),
	[KPLANE_SET_A_BYPASS_CONNTRACK]	= NLA_POLICY_MAX(NLA_U8, __KPLANE_SETTING_MAX - 1),
	[KPLANE_SET_A_FAST_FORWARD]	= NLA_POLICY_MAX(NLA_U8, __KPLANE_SETTING_MAX - 1),
	[KPLANE_SET_A_FAILSAFE_IN]	= { .type = NLA_NUL_STRING,
					    .len = KPLANE_FAILSAFE_STR_MAX - 1 },
	[KPLANE_SET_A_FAILSAFE_OUT]	= { .type = NLA_NUL_STRING,
					    .len = KPLANE_FAILSAFE_STR_MAX - 1 },
};

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

/* What NODE_SET asked for, checked whole before any of it is applied. */
struct kp_settings_req {
	struct nlattr *tb[KPLANE_SET_A_MAX + 1];
	struct kp_failsafe *fs[2];	/* new lists; NULL with @fs_set: the host's */
	bool fs_set[2];
};

static int kp_check_limit(struct nlattr *a, const unsigned int *host, const char *msg,
			  struct netlink_ext_ack *extack)
{
	if (a && nla_get_u32(a) > READ_ONCE(*host)) {
		kp_set_err(extack, a, msg);
		return -ERANGE;
	}
	return 0;
}

static int kp_parse_failsafe(struct kp_settings_req *r, unsigned int which,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *a = r->tb[which == KP_FAILSAFE_IN ? KPLANE_SET_A_FAILSAFE_IN :
				 KPLANE_SET_A_FAILSAFE_OUT];
	const char *why;

	if (!a)
		return 0;
	r->fs_set[which] = true;
	if (!strcmp(nla_data(a), "default"))
		return 0;
	if (strchr(nla_data(a), '\n')) {
		kp_set_err(extack, a, "a failsafe list is one line");
		return -EINVAL;
	}
	r->fs[which] = kzalloc(sizeof(*r->fs[which]), GFP_KERNEL_ACCOUNT);
	if (!r->fs[which])
		return -ENOMEM;
	why = kp_failsafe_parse(nla_data(a), r->fs[which]->pp, &r->fs[which]->n);
	if (why) {
		kp_set_err(extack, a, why);
		return -EINVAL;
	}
	return 0;
}

static int kp_settings_parse(const struct nlattr *nest, struct kp_settings_req *r,
			     struct netlink_ext_ack *extack)
{
	int err = nla_parse_nested(r->tb, KPLANE_SET_A_MAX, nest, kp_settings_nla_policy, extack);

	if (!err)
		err = kp_check_limit(r->tb[KPLANE_SET_A_MAX_ENDPOINTS], &kp_max_endpoints,
				     "max_endpoints above the host's cap (module parameter)", extack);
	if (!err)
		err = kp_check_limit(r->tb[KPLANE_SET_A_MAX_SERVICES], &kp_max_services,
				     "max_services above the host's cap (module parameter)", extack);
	if (!err)
		err = kp_check_limit(r->tb[KPLANE_SET_A_MAX_FLOWS], &kp_max_flows,
				     "max_flows above the host's cap (module parameter)", extack);
	if (!err)
		err = kp_parse_failsafe(r, KP_FAILSAFE_IN, extack);
	if (!err)
		err = kp_parse_failsafe(r, KP_FAILSAFE_OUT, extack);
	return err;
}

static void kp_set_u32(u32 *field, const struct nlattr *a)
{
	if (a)
		WRITE_ONCE(*field, nla_get_u32(a));
}

static void kp_set_u8(u8 *field, const struct nlattr *a)
{
	if (a)
		WRITE_ONCE(*field, nla_get_u8(a));
}

/* Publishes @fs (NULL: the host's); the old list goes after a grace period. */
static void kp_failsafe_swap(struct kp_node *node, unsigned int which, struct kp_failsafe *fs)
{
	struct kp_failsafe *old = rcu_replace_pointer(node->set.failsafe[which], fs,
						      lockdep_is_held(&kplane_mutex));

	if (old)
		kfree_rcu(old, rcu);
}

int kp_settings_set(struct kp_node *node, const struct nlattr *nest,
		    struct netlink_ext_ack *extack)
{
	struct kp_settings_req r = { };
	struct kp_settings *s = &node->set;
	unsigned int i;
	int err;

	lockdep_assert_held(&kplane_mutex);
	if (!node->enabled) {
		NL_SET_ERR_MSG(extack, "kplane is not enabled in this netns");
		return -ENOENT;
	}
	err = kp_settings_parse(nest, &r, extack);
	if (err) {
		kfree(r.fs[KP_FAILSAFE_IN]);
		kfree(r.fs[KP_FAILSAFE_OUT]);
		return err;
	}
	kp_set_u32(&s->max_endpoints, r.tb[KPLANE_SET_A_MAX_ENDPOINTS]);
	kp_set_u32(&s->max_services, r.tb[KPLANE_SET_A_MAX_SERVICES]);
	kp_set_u32(&s->max_flows, r.tb[KPLANE_SET_A_MAX_FLOWS]);
	kp_set_u8(&s->policy_reject, r.tb[KPLANE_SET_A_POLICY_REJECT]);
	kp_set_u8(&s->bypass_conntrack, r.tb[KPLANE_SET_A_BYPASS_CONNTRACK]);
	kp_set_u8(&s->fast_forward, r.tb[KPLANE_SET_A_FAST_FORWARD]);
	for (i = 0; i < 2; i++)
		if (r.fs_set[i])
			kp_failsafe_swap(node, i, r.fs[i]);
	/* Cached verdicts a failsafe port decided are judged again. */
	if (r.fs_set[KP_FAILSAFE_IN] || r.fs_set[KP_FAILSAFE_OUT])
		kp_pol_changed(node);
	else
		kp_node_changed(node);
	return 0;
}

void kp_settings_reset(struct kp_node *node)
{
	unsigned int i;

	lockdep_assert_held(&kplane_mutex);
	for (i = 0; i < 2; i++)
		kp_failsafe_swap(node, i, NULL);
	WRITE_ONCE(node->set.max_endpoints, 0);
	WRITE_ONCE(node->set.max_services, 0);
	WRITE_ONCE(node->set.max_flows, 0);
	WRITE_ONCE(node->set.policy_reject, KPLANE_SETTING_DEFAULT);
	WRITE_ONCE(node->set.bypass_conntrack, KPLANE_SETTING_DEFAULT);
	WRITE_ONCE(node->set.fast_forward, KPLANE_SETTING_DEFAULT);
}

static int kp_put_failsafe(struct sk_buff *skb, int type, const struct kp_failsafe *fs)
{
	char buf[KPLANE_FAILSAFE_STR_MAX];

	if (!fs)
		return nla_put_string(skb, type, "default");
	kp_failsafe_print(buf, sizeof(buf), fs);
	return nla_put_string(skb, type, buf);
}

int kp_settings_fill(struct sk_buff *skb, const struct kp_node *node)
{
	const struct kp_settings *s = &node->set;
	struct nlattr *nest = nla_nest_start(skb, KPLANE_A_SETTINGS);

	/* Under kplane_mutex: the lists cannot change. */
	if (!nest || nla_put_u32(skb, KPLANE_SET_A_MAX_ENDPOINTS, s->max_endpoints) ||
	    nla_put_u32(skb, KPLANE_SET_A_MAX_SERVICES, s->max_services) ||
	    nla_put_u32(skb, KPLANE_SET_A_MAX_FLOWS, s->max_flows) ||
	    nla_put_u8(skb, KPLANE_SET_A_POLICY_REJECT, s->policy_reject) ||
	    nla_put_u8(skb, KPLANE_SET_A_BYPASS_CONNTRACK, s->bypass_conntrack) ||
	    nla_put_u8(skb, KPLANE_SET_A_FAST_FORWARD, s->fast_forward) ||
	    kp_put_failsafe(skb, KPLANE_SET_A_FAILSAFE_IN,
			    rcu_dereference_protected(s->failsafe[KP_FAILSAFE_IN],
						      lockdep_is_held(&kplane_mutex))) ||
	    kp_put_failsafe(skb, KPLANE_SET_A_FAILSAFE_OUT,
			    rcu_dereference_protected(s->failsafe[KP_FAILSAFE_OUT],
						      lockdep_is_held(&kplane_mutex))))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}
