// SPDX-License-Identifier: GPL-2.0
/* Request policies (one per nesting level) and endpoint attribute parsing. */
#include "attrs.h"

#define KP_REPLY_ONLY { .type = NLA_REJECT, \
			.reject_message = "attribute is only sent by the kernel" }

/* Top-level attributes only the kernel sends (node status). */
#define KP_NODE_STATUS_REPLY_ONLY					\
	[KPLANE_A_VERSION]		= KP_REPLY_ONLY,		\
	[KPLANE_A_NODE_ENABLED]		= KP_REPLY_ONLY,		\
	[KPLANE_A_GENERATION]		= KP_REPLY_ONLY,		\
	[KPLANE_A_ENDPOINT_COUNT]	= KP_REPLY_ONLY,		\
	[KPLANE_A_ENDPOINT_LIMIT]	= KP_REPLY_ONLY,		\
	[KPLANE_A_COUNTERS]		= KP_REPLY_ONLY

/* Node commands take no attributes. */
const struct nla_policy kp_node_req_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_ENDPOINT]		= { .type = NLA_REJECT,
		.reject_message = "node commands take no endpoint" },
};

const struct nla_policy kp_addr_policy[KPLANE_ADDR_A_MAX + 1] = {
	[KPLANE_ADDR_A_FAMILY]	= { .type = NLA_U16 },
	[KPLANE_ADDR_A_IP]	= { .type = NLA_BINARY, .len = 16 },
};

const struct nla_policy kp_ep_policy[KPLANE_EP_A_MAX + 1] = {
	[KPLANE_EP_A_ID]	= { .type = NLA_NUL_STRING, .len = KPLANE_ID_MAX - 1 },
	[KPLANE_EP_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[KPLANE_EP_A_IFINDEX]	= KP_REPLY_ONLY,
	[KPLANE_EP_A_NETNS_FD]	= { .type = NLA_U32 },
	[KPLANE_EP_A_NETNSID]	= KP_REPLY_ONLY,
	[KPLANE_EP_A_ADDR]	= NLA_POLICY_NESTED(kp_addr_policy),
};

const struct nla_policy kp_ep_req_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_ENDPOINT]		= NLA_POLICY_NESTED(kp_ep_policy),
};

void kp_set_err(struct netlink_ext_ack *extack, const struct nlattr *attr,
		const char *msg)
{
	if (!extack)
		return;
	extack->_msg = msg;
	extack->bad_attr = attr;
}

/* Reports a missing attribute the way NL_REQ_ATTR_CHECK does, plus a message. */
static bool kp_attr_missing(struct netlink_ext_ack *extack,
			    const struct nlattr *nest, struct nlattr **tb,
			    int type, const char *msg)
{
	if (tb[type])
		return false;
	NL_SET_ERR_ATTR_MISS(extack, nest, type);
	if (extack)
		extack->_msg = msg;
	return true;
}

int kp_addr_parse(const struct nlattr *nest, struct kp_addr *addr,
		  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_ADDR_A_MAX + 1];
	const char *why;
	u16 family;
	int err;

	err = nla_parse_nested(tb, KPLANE_ADDR_A_MAX, nest, kp_addr_policy, extack);
	if (err)
		return err;
	if (kp_attr_missing(extack, nest, tb, KPLANE_ADDR_A_FAMILY,
			    "address needs a family") ||
	    kp_attr_missing(extack, nest, tb, KPLANE_ADDR_A_IP,
			    "address needs an IP"))
		return -EINVAL;
	family = nla_get_u16(tb[KPLANE_ADDR_A_FAMILY]);
	if (!kp_addr_len(family)) {
		kp_set_err(extack, tb[KPLANE_ADDR_A_FAMILY],
			   "address family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	why = kp_addr_invalid(family, nla_data(tb[KPLANE_ADDR_A_IP]),
			      nla_len(tb[KPLANE_ADDR_A_IP]));
	if (why) {
		kp_set_err(extack, tb[KPLANE_ADDR_A_IP], why);
		return -EINVAL;
	}
	kp_addr_set(addr, family, nla_data(tb[KPLANE_ADDR_A_IP]));
	return 0;
}

static int kp_ep_parse_addrs(const struct nlattr *nest, struct kp_ep_cfg *cfg,
			     struct netlink_ext_ack *extack)
{
	const struct nlattr *a;
	const char *why;
	int rem, err;

	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != KPLANE_EP_A_ADDR)
			continue;
		if (cfg->n_addrs == KPLANE_EP_ADDR_MAX) {
			kp_set_err(extack, a, "too many addresses (KPLANE_EP_ADDR_MAX)");
			return -EINVAL;
		}
		err = kp_addr_parse(a, &cfg->addrs[cfg->n_addrs], extack);
		if (err)
			return err;
		cfg->n_addrs++;
	}
	why = kp_addr_list_invalid(cfg->addrs, cfg->n_addrs);
	if (why) {
		kp_set_err(extack, nest, why);
		return -EINVAL;
	}
	return 0;
}

static int kp_ep_parse_id(const struct nlattr *nest, struct nlattr **tb,
			  struct kp_ep_cfg *cfg, struct netlink_ext_ack *extack)
{
	const char *why;

	if (kp_attr_missing(extack, nest, tb, KPLANE_EP_A_ID, "endpoint id is missing"))
		return -EINVAL;
	why = kp_id_invalid(nla_data(tb[KPLANE_EP_A_ID]));
	if (why) {
		kp_set_err(extack, tb[KPLANE_EP_A_ID], why);
		return -EINVAL;
	}
	nla_strscpy(cfg->id, tb[KPLANE_EP_A_ID], sizeof(cfg->id));
	return 0;
}

static const char *kp_ep_key_extra(struct nlattr **tb)
{
	if (tb[KPLANE_EP_A_IFNAME] || tb[KPLANE_EP_A_NETNS_FD] || tb[KPLANE_EP_A_ADDR])
		return "only the id names an endpoint here";
	return NULL;
}

int kp_ep_parse(const struct nlattr *nest, enum kp_ep_parse_mode mode,
		struct kp_ep_cfg *cfg, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_EP_A_MAX + 1];
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = nla_parse_nested(tb, KPLANE_EP_A_MAX, nest, kp_ep_policy, extack);
	if (err)
		return err;
	err = kp_ep_parse_id(nest, tb, cfg, extack);
	if (err)
		return err;
	if (mode == KP_EP_PARSE_KEY) {
		if (kp_ep_key_extra(tb)) {
			kp_set_err(extack, nest, kp_ep_key_extra(tb));
			return -EINVAL;
		}
		return 0;
	}
	if (kp_attr_missing(extack, nest, tb, KPLANE_EP_A_IFNAME,
			    "endpoint interface (ifname) is missing"))
		return -EINVAL;
	nla_strscpy(cfg->ifname, tb[KPLANE_EP_A_IFNAME], sizeof(cfg->ifname));
	if (tb[KPLANE_EP_A_NETNS_FD]) {
		cfg->has_netns_fd = true;
		cfg->netns_fd = nla_get_u32(tb[KPLANE_EP_A_NETNS_FD]);
	}
	return kp_ep_parse_addrs(nest, cfg, extack);
}
