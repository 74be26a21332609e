// SPDX-License-Identifier: GPL-2.0
/* A node's settings on the wire: NODE_SET parsed whole, and their fill. */
#include <linux/slab.h>
#include "attrs.h"
#include "endpoint.h"
#include "flow.h"
#include "node.h"
#include "service.h"
#include "settings.h"

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

static int kp_check_limit(const struct nlattr *a, const unsigned int *host, const char *msg,
			  u32 *out, struct netlink_ext_ack *extack)
{
	if (!a)
		return 0;
	if (nla_get_u32(a) > READ_ONCE(*host)) {
		kp_set_err(extack, a, msg);
		return -ERANGE;
	}
	*out = nla_get_u32(a);
	return 0;
}

static int kp_parse_failsafe(const struct nlattr *a, unsigned int which,
			     struct kp_settings_cfg *cfg, struct netlink_ext_ack *extack)
{
	const char *why;

	if (!a)
		return 0;
	cfg->given |= KP_SET_FAILSAFE(which);
	if (!strcmp(nla_data(a), "default"))
		return 0;
	if (strchr(nla_data(a), '\n')) {
		kp_set_err(extack, a, "a failsafe list is one line");
		return -EINVAL;
	}
	cfg->fs[which] = kzalloc(sizeof(*cfg->fs[which]), GFP_KERNEL_ACCOUNT);
	if (!cfg->fs[which])
		return -ENOMEM;
	why = kp_failsafe_parse(nla_data(a), cfg->fs[which]->pp, &cfg->fs[which]->n);
	if (why) {
		kp_set_err(extack, a, why);
		return -EINVAL;
	}
	return 0;
}

static void kp_parse_u8(const struct nlattr *a, unsigned int bit, u8 *out,
			struct kp_settings_cfg *cfg)
{
	if (a) {
		cfg->given |= bit;
		*out = nla_get_u8(a);
	}
}

static int kp_settings_parse_tb(struct nlattr **tb, struct kp_settings_cfg *cfg,
				struct netlink_ext_ack *extack)
{
	struct kp_settings *v = &cfg->v;

	cfg->given |= (tb[KPLANE_SET_A_MAX_ENDPOINTS] ? KP_SET_MAX_ENDPOINTS : 0) |
		      (tb[KPLANE_SET_A_MAX_SERVICES] ? KP_SET_MAX_SERVICES : 0) |
		      (tb[KPLANE_SET_A_MAX_FLOWS] ? KP_SET_MAX_FLOWS : 0);
	kp_parse_u8(tb[KPLANE_SET_A_POLICY_REJECT], KP_SET_POLICY_REJECT, &v->policy_reject, cfg);
	kp_parse_u8(tb[KPLANE_SET_A_BYPASS_CONNTRACK], KP_SET_BYPASS_CONNTRACK,
		    &v->bypass_conntrack, cfg);
	kp_parse_u8(tb[KPLANE_SET_A_FAST_FORWARD], KP_SET_FAST_FORWARD, &v->fast_forward, cfg);
	return kp_check_limit(tb[KPLANE_SET_A_MAX_ENDPOINTS], &kp_max_endpoints,
			      "max_endpoints above the host's cap (module parameter)",
			      &v->max_endpoints, extack) ?:
	       kp_check_limit(tb[KPLANE_SET_A_MAX_SERVICES], &kp_max_services,
			      "max_services above the host's cap (module parameter)",
			      &v->max_services, extack) ?:
	       kp_check_limit(tb[KPLANE_SET_A_MAX_FLOWS], &kp_max_flows,
			      "max_flows above the host's cap (module parameter)",
			      &v->max_flows, extack) ?:
	       kp_parse_failsafe(tb[KPLANE_SET_A_FAILSAFE_IN], KP_FAILSAFE_IN, cfg, extack) ?:
	       kp_parse_failsafe(tb[KPLANE_SET_A_FAILSAFE_OUT], KP_FAILSAFE_OUT, cfg, extack);
}

int kp_settings_parse(const struct nlattr *nest, struct kp_settings_cfg *cfg,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_SET_A_MAX + 1];
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = nla_parse_nested(tb, KPLANE_SET_A_MAX, nest, kp_settings_nla_policy, extack) ?:
	      kp_settings_parse_tb(tb, cfg, extack);
	if (err)
		kp_settings_cfg_free(cfg);
	return err;
}

void kp_settings_cfg_free(struct kp_settings_cfg *cfg)
{
	kfree(cfg->fs[KP_FAILSAFE_IN]);
	kfree(cfg->fs[KP_FAILSAFE_OUT]);
	cfg->fs[KP_FAILSAFE_IN] = cfg->fs[KP_FAILSAFE_OUT] = NULL;
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

	/* Under the node's lock: the lists cannot change. */
	if (!nest || nla_put_u32(skb, KPLANE_SET_A_MAX_ENDPOINTS, s->max_endpoints) ||
	    nla_put_u32(skb, KPLANE_SET_A_MAX_SERVICES, s->max_services) ||
	    nla_put_u32(skb, KPLANE_SET_A_MAX_FLOWS, s->max_flows) ||
	    nla_put_u8(skb, KPLANE_SET_A_POLICY_REJECT, s->policy_reject) ||
	    nla_put_u8(skb, KPLANE_SET_A_BYPASS_CONNTRACK, s->bypass_conntrack) ||
	    nla_put_u8(skb, KPLANE_SET_A_FAST_FORWARD, s->fast_forward) ||
	    kp_put_failsafe(skb, KPLANE_SET_A_FAILSAFE_IN,
			    rcu_dereference_protected(s->failsafe[KP_FAILSAFE_IN],
						      lockdep_is_held(&node->lock))) ||
	    kp_put_failsafe(skb, KPLANE_SET_A_FAILSAFE_OUT,
			    rcu_dereference_protected(s->failsafe[KP_FAILSAFE_OUT],
						      lockdep_is_held(&node->lock))))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}
