// SPDX-License-Identifier: GPL-2.0
/* Request policies (one per nesting level) and endpoint attribute parsing. */
#include <linux/in.h>
#include "attrs.h"
#include "settings.h"
#include "maglev.h"
#include "policy_attrs.h"
#include "service.h"

/* Node commands take no attributes, but NODE_SET its settings. */
const struct nla_policy kp_node_req_nla_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_SETTINGS]		= { .type = NLA_REJECT,
		.reject_message = "only NODE_SET takes settings" },
	[KPLANE_A_ENDPOINT]		= { .type = NLA_REJECT,
		.reject_message = "node commands take no endpoint" },
	[KPLANE_A_SERVICE]		= { .type = NLA_REJECT,
		.reject_message = "node commands take no service" },
	[KPLANE_A_TXN_ID]		= { .type = NLA_REJECT,
		.reject_message = "node commands are not transactional" },
};

const struct nla_policy kp_node_set_nla_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_SETTINGS]		= NLA_POLICY_NESTED(kp_settings_nla_policy),
	[KPLANE_A_ENDPOINT]		= { .type = NLA_REJECT,
		.reject_message = "node commands take no endpoint" },
	[KPLANE_A_SERVICE]		= { .type = NLA_REJECT,
		.reject_message = "node commands take no service" },
	[KPLANE_A_TXN_ID]		= { .type = NLA_REJECT,
		.reject_message = "node settings are not transactional" },
};

/* Transaction commands: only the id (commit, abort). */
const struct nla_policy kp_txn_req_nla_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_ENDPOINT]		= { .type = NLA_REJECT,
		.reject_message = "transaction commands take no endpoint" },
	[KPLANE_A_SERVICE]		= { .type = NLA_REJECT,
		.reject_message = "transaction commands take no service" },
	[KPLANE_A_TXN_ID]		= { .type = NLA_U32 },
};

const struct nla_policy kp_addr_nla_policy[KPLANE_ADDR_A_MAX + 1] = {
	[KPLANE_ADDR_A_FAMILY]	= { .type = NLA_U16 },
	[KPLANE_ADDR_A_IP]	= { .type = NLA_BINARY, .len = 16 },
};

const struct nla_policy kp_ep_nla_policy[KPLANE_EP_A_MAX + 1] = {
	[KPLANE_EP_A_ID]	= { .type = NLA_NUL_STRING, .len = KPLANE_ID_MAX - 1 },
	[KPLANE_EP_A_IFNAME]	= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[KPLANE_EP_A_IFINDEX]	= KP_REPLY_ONLY,
	[KPLANE_EP_A_NETNS_FD]	= { .type = NLA_U32 },
	[KPLANE_EP_A_NETNSID]	= KP_REPLY_ONLY,
	[KPLANE_EP_A_ADDR]	= NLA_POLICY_NESTED(kp_addr_nla_policy),
	[KPLANE_EP_A_HOST]	= NLA_POLICY_MAX(NLA_U8, 1),
	[KPLANE_EP_A_INGRESS]	= NLA_POLICY_NESTED(kp_prog_nla_policy),
	[KPLANE_EP_A_EGRESS]	= NLA_POLICY_NESTED(kp_prog_nla_policy),
};

const struct nla_policy kp_ep_req_nla_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_ENDPOINT]		= NLA_POLICY_NESTED(kp_ep_nla_policy),
	[KPLANE_A_SERVICE]		= { .type = NLA_REJECT,
		.reject_message = "endpoint commands take no service" },
	[KPLANE_A_TXN_ID]		= { .type = NLA_U32 },	/* ENDPOINT_POLICY only */
};

/* nla_policy's own min/max are s16: wider bounds go through a range struct. */
static struct netlink_range_validation kp_weight_range = {
	.min = 1,
	.max = KPLANE_BE_WEIGHT_MAX,
};

static const struct nla_policy kp_be_nla_policy[KPLANE_BE_A_MAX + 1] = {
	[KPLANE_BE_A_ADDR]	= NLA_POLICY_NESTED(kp_addr_nla_policy),
	[KPLANE_BE_A_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[KPLANE_BE_A_WEIGHT]	= NLA_POLICY_FULL_RANGE(NLA_U32, &kp_weight_range),
	[KPLANE_BE_A_STATE]	= NLA_POLICY_MAX(NLA_U8, __KPLANE_BE_STATE_MAX - 1),
	[KPLANE_BE_A_LOCAL]	= NLA_POLICY_MAX(NLA_U8, 1),
};

static struct netlink_range_validation kp_affinity_range = {
	.max = KPLANE_AFFINITY_TIMEOUT_MAX,
};

static const struct nla_policy kp_svc_nla_policy[KPLANE_SVC_A_MAX + 1] = {
	[KPLANE_SVC_A_ID]	= { .type = NLA_NUL_STRING, .len = KPLANE_ID_MAX - 1 },
	[KPLANE_SVC_A_ADDR]	= NLA_POLICY_NESTED(kp_addr_nla_policy),
	[KPLANE_SVC_A_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[KPLANE_SVC_A_PROTO]	= { .type = NLA_U8 },
	[KPLANE_SVC_A_TYPE]	= NLA_POLICY_MAX(NLA_U8, __KPLANE_SVC_TYPE_MAX - 1),
	[KPLANE_SVC_A_MAGLEV_SIZE] = { .type = NLA_U32 },
	[KPLANE_SVC_A_BACKEND]	= NLA_POLICY_NESTED(kp_be_nla_policy),
	[KPLANE_SVC_A_EXT_POLICY] = NLA_POLICY_MAX(NLA_U8, __KPLANE_POLICY_MAX - 1),
	[KPLANE_SVC_A_INT_POLICY] = NLA_POLICY_MAX(NLA_U8, __KPLANE_POLICY_MAX - 1),
	[KPLANE_SVC_A_AFFINITY_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &kp_affinity_range),
};

const struct nla_policy kp_svc_req_nla_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_ENDPOINT]		= { .type = NLA_REJECT,
		.reject_message = "service commands take no endpoint" },
	[KPLANE_A_SERVICE]		= NLA_POLICY_NESTED(kp_svc_nla_policy),
	[KPLANE_A_TXN_ID]		= { .type = NLA_U32 },
};

void kp_set_err(struct netlink_ext_ack *extack, const struct nlattr *attr,
		const char *msg)
{
	if (!extack)
		return;
	extack->_msg = msg;
	extack->bad_attr = attr;
}

static u8 kp_get_u8_or(const struct nlattr *a, u8 dflt)
{
	return a ? nla_get_u8(a) : dflt;
}

bool kp_attr_missing(struct netlink_ext_ack *extack,
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

int kp_addr_parse(const struct nlattr *nest, struct kp_addr *addr, bool any_ok,
		  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_ADDR_A_MAX + 1];
	const char *why;
	u16 family;
	int err;

	err = nla_parse_nested(tb, KPLANE_ADDR_A_MAX, nest, kp_addr_nla_policy, extack);
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
	if (why && any_ok && nla_len(tb[KPLANE_ADDR_A_IP]) == kp_addr_len(family) &&
	    kp_all_zero(nla_data(tb[KPLANE_ADDR_A_IP]), kp_addr_len(family)))
		why = NULL;
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
		err = kp_addr_parse(a, &cfg->addrs[cfg->n_addrs], false, extack);
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

static const char *kp_ep_key_extra(struct nlattr **tb, enum kp_ep_parse_mode mode)
{
	if (tb[KPLANE_EP_A_IFNAME] || tb[KPLANE_EP_A_NETNS_FD] || tb[KPLANE_EP_A_ADDR] ||
	    tb[KPLANE_EP_A_HOST])
		return "only the id names an endpoint here";
	if (mode == KP_EP_PARSE_KEY && (tb[KPLANE_EP_A_INGRESS] || tb[KPLANE_EP_A_EGRESS]))
		return "policies are set with ENDPOINT_ADD or ENDPOINT_POLICY";
	return NULL;
}

static int kp_ep_parse_policy(struct nlattr **tb, struct kp_ep_cfg *cfg,
			      struct netlink_ext_ack *extack)
{
	cfg->has_policy = tb[KPLANE_EP_A_INGRESS] || tb[KPLANE_EP_A_EGRESS];
	return kp_attach_parse(tb[KPLANE_EP_A_INGRESS], tb[KPLANE_EP_A_EGRESS],
			       &cfg->attach, &cfg->n_attach, extack);
}

int kp_ep_parse(const struct nlattr *nest, enum kp_ep_parse_mode mode,
		struct kp_ep_cfg *cfg, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_EP_A_MAX + 1];
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = nla_parse_nested(tb, KPLANE_EP_A_MAX, nest, kp_ep_nla_policy, extack);
	if (err)
		return err;
	err = kp_ep_parse_id(nest, tb, cfg, extack);
	if (err)
		return err;
	if (mode != KP_EP_PARSE_FULL) {
		if (kp_ep_key_extra(tb, mode)) {
			kp_set_err(extack, nest, kp_ep_key_extra(tb, mode));
			return -EINVAL;
		}
		return mode == KP_EP_PARSE_POLICY ? kp_ep_parse_policy(tb, cfg, extack) : 0;
	}
	if (kp_attr_missing(extack, nest, tb, KPLANE_EP_A_IFNAME,
			    "endpoint interface (ifname) is missing"))
		return -EINVAL;
	nla_strscpy(cfg->ifname, tb[KPLANE_EP_A_IFNAME], sizeof(cfg->ifname));
	if (tb[KPLANE_EP_A_NETNS_FD]) {
		cfg->has_netns_fd = true;
		cfg->netns_fd = nla_get_u32(tb[KPLANE_EP_A_NETNS_FD]);
	}
	cfg->host = tb[KPLANE_EP_A_HOST] && nla_get_u8(tb[KPLANE_EP_A_HOST]);
	if (cfg->host && cfg->has_netns_fd) {
		kp_set_err(extack, tb[KPLANE_EP_A_NETNS_FD], "a host endpoint has no pod netns");
		return -EINVAL;
	}
	err = kp_ep_parse_addrs(nest, cfg, extack);
	if (err)
		return err;
	return kp_ep_parse_policy(tb, cfg, extack);
}

static int kp_svc_parse_frontend(const struct nlattr *nest, struct nlattr **tb,
				 struct kp_svc_key *key, struct netlink_ext_ack *extack)
{
	struct kp_addr addr;
	int err;
	u8 proto;

	if (kp_attr_missing(extack, nest, tb, KPLANE_SVC_A_ADDR, "service address is missing") ||
	    kp_attr_missing(extack, nest, tb, KPLANE_SVC_A_PORT, "service port is missing") ||
	    kp_attr_missing(extack, nest, tb, KPLANE_SVC_A_PROTO, "service protocol is missing"))
		return -EINVAL;
	proto = nla_get_u8(tb[KPLANE_SVC_A_PROTO]);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		kp_set_err(extack, tb[KPLANE_SVC_A_PROTO], "protocol must be TCP (6) or UDP (17)");
		return -EINVAL;
	}
	err = kp_addr_parse(tb[KPLANE_SVC_A_ADDR], &addr, true, extack);
	if (err)
		return err;
	memset(key, 0, sizeof(*key));
	key->family = (u8)addr.family;
	key->proto = proto;
	key->port = htons(nla_get_u16(tb[KPLANE_SVC_A_PORT]));
	memcpy(key->addr, addr.ip, sizeof(key->addr));
	return 0;
}

int kp_svc_parse_key(const struct nlattr *nest, struct kp_svc_key *key,
		     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_SVC_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KPLANE_SVC_A_MAX, nest, kp_svc_nla_policy, extack);
	if (err)
		return err;
	if (tb[KPLANE_SVC_A_BACKEND] || tb[KPLANE_SVC_A_TYPE] || tb[KPLANE_SVC_A_ID] ||
	    tb[KPLANE_SVC_A_MAGLEV_SIZE] || tb[KPLANE_SVC_A_EXT_POLICY] ||
	    tb[KPLANE_SVC_A_INT_POLICY] || tb[KPLANE_SVC_A_AFFINITY_TIMEOUT]) {
		kp_set_err(extack, nest, "only the frontend names a service here");
		return -EINVAL;
	}
	return kp_svc_parse_frontend(nest, tb, key, extack);
}

static int kp_be_parse(const struct nlattr *nest, const struct kp_service *svc,
		       struct kp_backend *be, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_BE_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KPLANE_BE_A_MAX, nest, kp_be_nla_policy, extack);
	if (err)
		return err;
	if (kp_attr_missing(extack, nest, tb, KPLANE_BE_A_ADDR, "backend address is missing") ||
	    kp_attr_missing(extack, nest, tb, KPLANE_BE_A_PORT, "backend port is missing"))
		return -EINVAL;
	err = kp_addr_parse(tb[KPLANE_BE_A_ADDR], &be->addr, false, extack);
	if (err)
		return err;
	if (be->addr.family != svc->key.family) {
		kp_set_err(extack, tb[KPLANE_BE_A_ADDR],
			   "backend address family differs from the service's");
		return -EINVAL;
	}
	be->port = htons(nla_get_u16(tb[KPLANE_BE_A_PORT]));
	be->weight = tb[KPLANE_BE_A_WEIGHT] ? nla_get_u32(tb[KPLANE_BE_A_WEIGHT]) : 1;
	be->state = tb[KPLANE_BE_A_STATE] ? nla_get_u8(tb[KPLANE_BE_A_STATE]) : KPLANE_BE_ACTIVE;
	be->local = tb[KPLANE_BE_A_LOCAL] && nla_get_u8(tb[KPLANE_BE_A_LOCAL]);
	return 0;
}

static bool kp_be_duplicate(const struct kp_service *svc, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (kp_addr_equal(&svc->backends[i].addr, &svc->backends[n].addr) &&
		    svc->backends[i].port == svc->backends[n].port)
			return true;
	return false;
}

static int kp_svc_parse_backends(const struct nlattr *nest, struct kp_service *svc,
				 struct netlink_ext_ack *extack)
{
	const struct nlattr *a;
	u32 n = 0;
	int rem, err;

	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != KPLANE_SVC_A_BACKEND)
			continue;
		err = kp_be_parse(a, svc, &svc->backends[n], extack);
		if (err)
			return err;
		if (kp_be_duplicate(svc, n)) {
			kp_set_err(extack, a, "duplicate backend");
			return -EINVAL;
		}
		n++;
	}
	return 0;
}

static unsigned int kp_svc_count_backends(const struct nlattr *nest)
{
	const struct nlattr *a;
	unsigned int n = 0;
	int rem;

	nla_for_each_nested(a, nest, rem)
		n += nla_type(a) == KPLANE_SVC_A_BACKEND;
	return n;
}

static int kp_svc_parse_options(struct nlattr **tb, struct kp_service *svc,
				struct netlink_ext_ack *extack)
{
	const char *why;

	if (tb[KPLANE_SVC_A_ID]) {
		why = kp_id_invalid(nla_data(tb[KPLANE_SVC_A_ID]));
		if (why) {
			kp_set_err(extack, tb[KPLANE_SVC_A_ID], why);
			return -EINVAL;
		}
		nla_strscpy(svc->id, tb[KPLANE_SVC_A_ID], sizeof(svc->id));
	}
	svc->type = tb[KPLANE_SVC_A_TYPE] ? nla_get_u8(tb[KPLANE_SVC_A_TYPE]) :
					    KPLANE_SVC_CLUSTER_IP;
	if (svc->type != KPLANE_SVC_NODE_PORT &&
	    kp_all_zero(svc->key.addr, sizeof(svc->key.addr))) {
		kp_set_err(extack, tb[KPLANE_SVC_A_ADDR],
			   "only a NodePort service may have the unspecified address");
		return -EINVAL;
	}
	svc->ext_policy = kp_get_u8_or(tb[KPLANE_SVC_A_EXT_POLICY], KPLANE_POLICY_CLUSTER);
	svc->int_policy = kp_get_u8_or(tb[KPLANE_SVC_A_INT_POLICY], KPLANE_POLICY_CLUSTER);
	svc->affinity_timeout = tb[KPLANE_SVC_A_AFFINITY_TIMEOUT] ?
				nla_get_u32(tb[KPLANE_SVC_A_AFFINITY_TIMEOUT]) : 0;
	svc->maglev_size = tb[KPLANE_SVC_A_MAGLEV_SIZE] ?
			   nla_get_u32(tb[KPLANE_SVC_A_MAGLEV_SIZE]) : KP_MAGLEV_DEFAULT_SIZE;
	if (!kp_maglev_size_ok(svc->maglev_size)) {
		kp_set_err(extack, tb[KPLANE_SVC_A_MAGLEV_SIZE],
			   "Maglev table size must be one of 251 509 1021 2039 4093 8191 16381 32749 65521");
		return -EINVAL;
	}
	return 0;
}

int kp_svc_parse(const struct nlattr *nest, struct kp_service **out,
		 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_SVC_A_MAX + 1];
	struct kp_service *svc;
	unsigned int n;
	int err;

	err = nla_parse_nested(tb, KPLANE_SVC_A_MAX, nest, kp_svc_nla_policy, extack);
	if (err)
		return err;
	n = kp_svc_count_backends(nest);
	if (n > KPLANE_SVC_BACKENDS_MAX) {
		kp_set_err(extack, nest, "too many backends (KPLANE_SVC_BACKENDS_MAX)");
		return -EINVAL;
	}
	svc = kp_svc_alloc(n);
	if (!svc)
		return -ENOMEM;
	err = kp_svc_parse_frontend(nest, tb, &svc->key, extack);
	if (!err)
		err = kp_svc_parse_options(tb, svc, extack);
	if (!err)
		err = kp_svc_parse_backends(nest, svc, extack);
	if (err) {
		kp_svc_free(svc);
		return err;
	}
	*out = svc;
	return 0;
}
