// SPDX-License-Identifier: LGPL-2.1
/* A node's own settings (NODE_SET), and reading them back from NODE_GET. */
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "libkplane.h"
#include "libkplane_int.h"

static int kp_put_settings(struct nl_msg *msg, const struct kpl_node_settings *s)
{
	struct nlattr *nest = nla_nest_start(msg, KPLANE_A_SETTINGS);

	if (!nest ||
	    ((s->has & KPL_SET_MAX_ENDPOINTS) &&
	     nla_put_u32(msg, KPLANE_SET_A_MAX_ENDPOINTS, s->max_endpoints)) ||
	    ((s->has & KPL_SET_MAX_SERVICES) &&
	     nla_put_u32(msg, KPLANE_SET_A_MAX_SERVICES, s->max_services)) ||
	    ((s->has & KPL_SET_MAX_FLOWS) && nla_put_u32(msg, KPLANE_SET_A_MAX_FLOWS, s->max_flows)) ||
	    ((s->has & KPL_SET_POLICY_REJECT) &&
	     nla_put_u8(msg, KPLANE_SET_A_POLICY_REJECT, s->policy_reject)) ||
	    ((s->has & KPL_SET_BYPASS_CONNTRACK) &&
	     nla_put_u8(msg, KPLANE_SET_A_BYPASS_CONNTRACK, s->bypass_conntrack)) ||
	    ((s->has & KPL_SET_FAST_FORWARD) &&
	     nla_put_u8(msg, KPLANE_SET_A_FAST_FORWARD, s->fast_forward)) ||
	    ((s->has & KPL_SET_FAILSAFE_IN) &&
	     nla_put_string(msg, KPLANE_SET_A_FAILSAFE_IN, s->failsafe_in)) ||
	    ((s->has & KPL_SET_FAILSAFE_OUT) &&
	     nla_put_string(msg, KPLANE_SET_A_FAILSAFE_OUT, s->failsafe_out)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int kpl_node_set(struct kpl_handle *h, const struct kpl_node_settings *s)
{
	struct nl_msg *msg = kp_msg(h, KPLANE_CMD_NODE_SET, 0);

	if (!msg || kp_put_settings(msg, s)) {
		nlmsg_free(msg);
		return kp_fail(h, -ENOMEM, "out of memory");
	}
	return kp_exchange(h, msg, NULL, NULL);
}

static void kp_get_str(char *dst, size_t size, struct nlattr *a)
{
	dst[0] = '\0';
	if (a && nla_len(a) > 0)
		snprintf(dst, size, "%.*s", nla_len(a), (const char *)nla_data(a));
}

int kp_parse_settings(struct nlattr *nest, struct kpl_node_settings *s)
{
	struct nlattr *tb[KPLANE_SET_A_MAX + 1] = { 0 };

	memset(s, 0, sizeof(*s));
	if (!nest)
		return 0;	/* an older module: every setting the host's */
	if (nla_parse_nested(tb, KPLANE_SET_A_MAX, nest, NULL))
		return -EPROTO;
	s->max_endpoints = kp_get_u32_or0(tb[KPLANE_SET_A_MAX_ENDPOINTS]);
	s->max_services = kp_get_u32_or0(tb[KPLANE_SET_A_MAX_SERVICES]);
	s->max_flows = kp_get_u32_or0(tb[KPLANE_SET_A_MAX_FLOWS]);
	s->policy_reject = tb[KPLANE_SET_A_POLICY_REJECT] ?
			   nla_get_u8(tb[KPLANE_SET_A_POLICY_REJECT]) : 0;
	s->bypass_conntrack = tb[KPLANE_SET_A_BYPASS_CONNTRACK] ?
			      nla_get_u8(tb[KPLANE_SET_A_BYPASS_CONNTRACK]) : 0;
	s->fast_forward = tb[KPLANE_SET_A_FAST_FORWARD] ?
			  nla_get_u8(tb[KPLANE_SET_A_FAST_FORWARD]) : 0;
	kp_get_str(s->failsafe_in, sizeof(s->failsafe_in), tb[KPLANE_SET_A_FAILSAFE_IN]);
	kp_get_str(s->failsafe_out, sizeof(s->failsafe_out), tb[KPLANE_SET_A_FAILSAFE_OUT]);
	s->has = KPL_SET_ALL;
	return 0;
}
