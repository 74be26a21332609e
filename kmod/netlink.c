// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink handlers.  One handler per command; each takes its node's
 * lock at its top (node.h, "Locking").  The family is parallel_ops: kplane
 * does not hold genl_mutex, which every other family shares, and requests
 * to different nodes run at once.
 */
#include <linux/file.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include "attrs.h"
#include "budget.h"
#include "endpoint.h"
#include "hooks.h"
#include "netlink.h"
#include "node.h"
#include "sockhook.h"
#include "policy_attrs.h"
#include "policy_nl.h"
#include "service.h"
#include "txn.h"

static struct genl_family kp_family;

struct kp_node *kp_info_node(struct genl_info *info)
{
	return kp_node_get(genl_info_net(info));
}

/* Endpoint commands need an enabled node; says so plainly if not. */
int kp_require_enabled(struct kp_node *node, struct netlink_ext_ack *extack)
{
	if (node->enabled)
		return 0;
	NL_SET_ERR_MSG(extack, "kplane is not enabled in this netns (node enable)");
	return -ENOENT;
}

static int kp_nl_node_enable(struct sk_buff *skb, struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	int err;

	mutex_lock(&node->lock);
	err = kp_node_enable(node, info->extack);
	mutex_unlock(&node->lock);
	return err;
}

static int kp_nl_node_set(struct sk_buff *skb, struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_settings_cfg cfg;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KPLANE_A_SETTINGS))
		return -EINVAL;
	err = kp_settings_parse(info->attrs[KPLANE_A_SETTINGS], &cfg, info->extack);
	if (err)
		return err;
	mutex_lock(&node->lock);
	err = kp_require_enabled(node, info->extack);
	if (!err) {
		kp_settings_apply(node, &cfg);
		/* Cached verdicts a failsafe port decided are judged again. */
		if (cfg.given & (KP_SET_FAILSAFE(KP_FAILSAFE_IN) | KP_SET_FAILSAFE(KP_FAILSAFE_OUT)))
			kp_pol_changed(node);
		kp_node_changed(node);
	}
	mutex_unlock(&node->lock);
	kp_settings_cfg_free(&cfg);
	return err;
}

static int kp_nl_node_disable(struct sk_buff *skb, struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);

	mutex_lock(&node->lock);
	kp_node_disable(node);
	mutex_unlock(&node->lock);
	return 0;
}

static u64 kp_read_atomic(const struct kp_node *node, const atomic64_t *v)
{
	return node->enabled ? atomic64_read(v) : 0;
}

#define KP_STAT_ATTR(name, attr) [KP_STAT_##name] = KPLANE_COUNTER_A_##attr,
static const u16 kp_stat_attrs[__KP_STAT_MAX] = { KP_NODE_STATS(KP_STAT_ATTR) };
#undef KP_STAT_ATTR

static int kp_put_counters(struct sk_buff *skb, const struct kp_node *node)
{
	const struct kp_flow_table *ft = &node->flows;
	/* The tables' own: counted where they refuse or drop. */
	const struct { u16 type; u64 value; } own[] = {
		{ KPLANE_COUNTER_A_EP_TABLE_FULL, kp_read_atomic(node, &node->eps.full) },
		{ KPLANE_COUNTER_A_EP_REAPED, kp_read_atomic(node, &node->eps.reaped) },
		{ KPLANE_COUNTER_A_SVC_TABLE_FULL, kp_read_atomic(node, &node->svcs.full) },
		{ KPLANE_COUNTER_A_FLOW_CREATED, kp_read_atomic(node, &ft->created) },
		{ KPLANE_COUNTER_A_FLOW_TABLE_FULL, kp_read_atomic(node, &ft->full) },
		{ KPLANE_COUNTER_A_FLOW_EXPIRED, kp_read_atomic(node, &ft->expired) },
		{ KPLANE_COUNTER_A_FLOW_TORN_DOWN, kp_read_atomic(node, &ft->torn_down) },
		{ KPLANE_COUNTER_A_SNAT_EXHAUSTED, kp_read_atomic(node, &ft->snat_exhausted) },
		{ KPLANE_COUNTER_A_LB_SOCKET_FULL,
		  node->enabled ? atomic64_read(&node->lb_quota->refused) : 0 },
		{ KPLANE_COUNTER_A_PROBE_MISSED, kp_sockhook_missed() },
	};
	struct nlattr *nest = nla_nest_start(skb, KPLANE_A_COUNTERS);
	struct kp_node_counters c;
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	kp_node_counters(node, &c);
	for (i = 0; i < __KP_STAT_MAX; i++)
		if (nla_put_u64_64bit(skb, kp_stat_attrs[i], c.v[i], KPLANE_COUNTER_A_PAD))
			return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(own); i++)
		if (nla_put_u64_64bit(skb, own[i].type, own[i].value, KPLANE_COUNTER_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kp_fill_node(struct sk_buff *skb, const struct kp_node *node)
{
	if (nla_put_u32(skb, KPLANE_A_VERSION, KPLANE_GENL_VERSION) ||
	    nla_put_u8(skb, KPLANE_A_NODE_ENABLED, node->enabled) ||
	    nla_put_u32(skb, KPLANE_A_GENERATION, node->generation) ||
	    nla_put_u32(skb, KPLANE_A_ENDPOINT_COUNT,
			node->enabled ? node->eps.count : 0) ||
	    nla_put_u32(skb, KPLANE_A_ENDPOINT_LIMIT, kp_node_max_endpoints(node)) ||
	    nla_put_u32(skb, KPLANE_A_SERVICE_COUNT,
			node->enabled ? node->svcs.count : 0) ||
	    nla_put_u32(skb, KPLANE_A_SERVICE_LIMIT, kp_node_max_services(node)) ||
	    nla_put_u32(skb, KPLANE_A_FLOW_COUNT,
			node->enabled ? atomic_read(&node->flows.count) : 0) ||
	    nla_put_u32(skb, KPLANE_A_FLOW_LIMIT, kp_node_max_flows(node)) ||
	    nla_put_u32(skb, KPLANE_A_POLICY_REVISION, node->enabled ? node->pol.rev : 0) ||
	    kp_settings_fill(skb, node))
		return -EMSGSIZE;
	return kp_put_counters(skb, node);
}

/* Fills one reply with @fill under the node's lock and sends it. */
int kp_nl_reply(struct genl_info *info, u8 cmd, size_t size,
		int (*fill)(struct sk_buff *msg, struct genl_info *info))
{
	struct kp_node *node = kp_info_node(info);
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(size, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kp_family, 0, cmd);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	mutex_lock(&node->lock);
	err = fill(msg, info);
	mutex_unlock(&node->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int kp_fill_node_reply(struct sk_buff *msg, struct genl_info *info)
{
	return kp_fill_node(msg, kp_info_node(info));
}

static int kp_nl_node_get(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_reply(info, KPLANE_CMD_NODE_GET, NLMSG_GOODSIZE, kp_fill_node_reply);
}

int kp_put_ip(struct sk_buff *skb, int type, u16 family, const void *ip)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest ||
	    nla_put_u16(skb, KPLANE_ADDR_A_FAMILY, family) ||
	    nla_put(skb, KPLANE_ADDR_A_IP, kp_addr_len(family), ip))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kp_put_endpoint(struct sk_buff *skb, struct net *net,
			   const struct kp_endpoint *ep)
{
	struct nlattr *nest = nla_nest_start(skb, KPLANE_A_ENDPOINT);
	unsigned int i;

	if (!nest ||
	    nla_put_string(skb, KPLANE_EP_A_ID, ep->id) ||
	    nla_put_string(skb, KPLANE_EP_A_IFNAME, ep->ifname) ||
	    nla_put_u32(skb, KPLANE_EP_A_IFINDEX, ep->ifindex))
		return -EMSGSIZE;
	if (ep->pod_net &&
	    nla_put_s32(skb, KPLANE_EP_A_NETNSID, peernet2id(net, ep->pod_net)))
		return -EMSGSIZE;
	for (i = 0; i < ep->n_addrs; i++)
		if (kp_put_ip(skb, KPLANE_EP_A_ADDR, ep->addrs[i].family, ep->addrs[i].ip))
			return -EMSGSIZE;
	if ((ep->host && nla_put_u8(skb, KPLANE_EP_A_HOST, 1)) || kp_put_ep_policy(skb, ep))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Resolves the pod netns fd to a netns with a reference.  Opening a netns
 * is not owning it: the caller must hold CAP_NET_ADMIN over the netns's own
 * user namespace, both the sender and the socket's opener (as
 * rtnl_link_get_net_capable asks), or a node owned by a user namespace
 * could serve (hijack) the host's connects.
 */
static struct net *kp_pod_net(struct sk_buff *skb, struct genl_info *info,
			      const struct kp_ep_cfg *cfg)
{
	struct net *pod, *net = genl_info_net(info);

	if (!cfg->has_netns_fd)
		return NULL;
	pod = get_net_ns_by_fd(cfg->netns_fd);
	if (IS_ERR(pod)) {
		NL_SET_ERR_MSG(info->extack, "netns fd does not refer to a network namespace");
		return pod;
	}
	if (pod == net) {
		put_net(pod);
		NL_SET_ERR_MSG(info->extack, "pod netns must not be the node's own netns");
		return ERR_PTR(-EINVAL);
	}
	if (!netlink_ns_capable(skb, pod->user_ns, CAP_NET_ADMIN)) {
		put_net(pod);
		NL_SET_ERR_MSG(info->extack,
			       "no CAP_NET_ADMIN over the pod netns's user namespace");
		return ERR_PTR(-EPERM);
	}
	/* Give it an id now so replies can name it. */
	peernet2id_alloc(net, pod, GFP_KERNEL);
	return pod;
}

/*
 * @ep from @cfg; its pod netns, if any, comes with a reference that the
 * caller drops once the endpoint is indexed (the netns' exit, which takes
 * the node's lock, unbinds it from then on) or freed.
 */
static int kp_ep_build(struct sk_buff *skb, struct genl_info *info,
		       const struct kp_ep_cfg *cfg, struct kp_endpoint *ep)
{
	struct net_device *dev;
	struct net *pod;

	dev = dev_get_by_name(genl_info_net(info), cfg->ifname);
	if (!dev) {
		NL_SET_ERR_MSG(info->extack, "no such interface in this netns");
		return -ENODEV;
	}
	ep->ifindex = dev->ifindex;
	dev_put(dev);
	pod = kp_pod_net(skb, info, cfg);
	if (IS_ERR(pod))
		return PTR_ERR(pod);
	ep->pod_net = pod;
	strscpy(ep->id, cfg->id, sizeof(ep->id));
	strscpy(ep->ifname, cfg->ifname, sizeof(ep->ifname));
	ep->n_addrs = cfg->n_addrs;
	memcpy(ep->addrs, cfg->addrs, sizeof(cfg->addrs));
	ep->host = cfg->host;
	return 0;
}

struct kp_txn *kp_nl_txn(struct genl_info *info)
{
	struct nlattr *a = info->attrs[KPLANE_A_TXN_ID];
	struct kp_txn *txn;

	if (!a)
		return NULL;
	txn = kp_txn_find(kp_info_node(info), nla_get_u32(a), info->snd_portid, info->extack);
	if (!txn) {
		NL_SET_BAD_ATTR(info->extack, a);
		return ERR_PTR(-ENOENT);
	}
	return txn;
}

/* Endpoint add, del and get: the endpoint nest (a transaction is checked later). */
static int kp_nl_ep_require(struct genl_info *info)
{
	if (!GENL_REQ_ATTR_CHECK(info, KPLANE_A_ENDPOINT))
		return 0;
	NL_SET_ERR_MSG(info->extack, "endpoint attribute (KPLANE_A_ENDPOINT) is missing");
	return -EINVAL;
}

static void kp_ep_put_pod(struct kp_endpoint *ep)
{
	if (ep->pod_net)
		put_net(ep->pod_net);
}

/* Adds @ep (built) now; takes it. */
static int kp_nl_ep_add_now(struct kp_node *node, struct kp_endpoint *ep,
			    const struct kp_ep_cfg *cfg, struct netlink_ext_ack *extack)
{
	struct net *pod = ep->pod_net;	/* indexed with @ep, or not at all */
	int err = 0;

	/* Policy before publishing: no packet may see the pod unprotected. */
	if (cfg->n_attach)
		err = kp_ep_policy_set(node, ep, cfg->attach, cfg->n_attach, NULL, extack);
	if (err)
		kp_ep_free(ep);
	else
		err = kp_ep_table_add(&node->eps, ep, kp_node_max_endpoints(node), extack);
	if (pod)
		put_net(pod);
	if (err)
		return err;
	kp_hooks_ingress_add(node, ep);
	kp_pol_changed(node);
	return 0;
}

/* Adds the endpoint of @cfg now, or stages it in the transaction named. */
static int kp_nl_ep_add_locked(struct sk_buff *skb, struct genl_info *info,
			       struct kp_ep_cfg *cfg)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_pol_change c;
	struct kp_endpoint *ep;
	struct kp_txn *txn;
	int err;

	err = kp_require_enabled(node, info->extack);
	if (err)
		return err;
	txn = kp_nl_txn(info);
	if (IS_ERR(txn))
		return PTR_ERR(txn);
	ep = kp_ep_alloc();
	if (!ep)
		return -ENOMEM;
	err = kp_ep_build(skb, info, cfg, ep);
	if (err) {
		kp_ep_free(ep);
		return err;
	}
	if (!txn)
		return kp_nl_ep_add_now(node, ep, cfg, info->extack);
	c = (struct kp_pol_change) {
		.cmd = KPLANE_CMD_ENDPOINT_ADD, .ep = ep,
		.attach = cfg->attach, .n_attach = cfg->n_attach,
	};
	strscpy(c.id, ep->id, sizeof(c.id));
	err = kp_txn_stage_pol(txn, &c, info->extack);
	if (err) {
		kp_ep_put_pod(ep);
		kp_ep_free(ep);
		return err;
	}
	cfg->attach = NULL;	/* taken */
	return 0;
}

static int kp_nl_ep_add(struct sk_buff *skb, struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_ep_cfg *cfg;
	int err;

	err = kp_nl_ep_require(info);
	if (err)
		return err;
	cfg = kmalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	err = kp_ep_parse(info->attrs[KPLANE_A_ENDPOINT], KP_EP_PARSE_FULL, cfg,
			  info->extack);
	if (!err) {
		mutex_lock(&node->lock);
		err = kp_nl_ep_add_locked(skb, info, cfg);
		mutex_unlock(&node->lock);
		kvfree(cfg->attach);
	}
	kfree(cfg);
	return err;
}

/* Parses the id and finds the endpoint; caller holds the node's lock. */
static struct kp_endpoint *kp_nl_ep_find(struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_ep_cfg cfg;
	struct kp_endpoint *ep;
	int err;

	err = kp_nl_ep_require(info);
	if (!err)
		err = kp_ep_parse(info->attrs[KPLANE_A_ENDPOINT], KP_EP_PARSE_KEY,
				  &cfg, info->extack);
	if (!err)
		err = kp_require_enabled(node, info->extack);
	if (err)
		return ERR_PTR(err);
	ep = kp_ep_lookup_id(&node->eps, cfg.id);
	if (!ep) {
		NL_SET_ERR_MSG(info->extack, "no endpoint with this id");
		return ERR_PTR(-ENOENT);
	}
	return ep;
}

static int kp_nl_ep_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_endpoint *ep;
	int err;

	/* In a transaction: its form checked now, the endpoint at commit. */
	if (info->attrs[KPLANE_A_TXN_ID])
		return kp_nl_ep_require(info) ?:
		       kp_nl_pol_change(info, info->attrs[KPLANE_A_ENDPOINT]);
	mutex_lock(&node->lock);
	ep = kp_nl_ep_find(info);
	err = PTR_ERR_OR_ZERO(ep);
	if (!err) {
		kp_hooks_ingress_del(node, ep);
		kp_ep_table_del(ep);
		kp_pol_changed(node);
	}
	mutex_unlock(&node->lock);
	return err;
}

static int kp_fill_ep_reply(struct sk_buff *msg, struct genl_info *info)
{
	struct kp_endpoint *ep = kp_nl_ep_find(info);

	if (IS_ERR(ep))
		return PTR_ERR(ep);
	return kp_put_endpoint(msg, genl_info_net(info), ep);
}

static int kp_nl_ep_get(struct sk_buff *skb, struct genl_info *info)
{
	if (info->attrs[KPLANE_A_TXN_ID]) {
		NL_SET_BAD_ATTR(info->extack, info->attrs[KPLANE_A_TXN_ID]);
		NL_SET_ERR_MSG(info->extack, "endpoint get takes no transaction");
		return -EINVAL;
	}
	return kp_nl_reply(info, KPLANE_CMD_ENDPOINT_GET, NLMSG_GOODSIZE, kp_fill_ep_reply);
}

/*
 * Head of every node dump part, under the node's lock: records the node's
 * generation (a change between parts flags the dump NLM_F_DUMP_INTR).
 * Returns 0 to go on, 1 to end the dump, or -errno.
 */
int kp_dump_begin(struct netlink_callback *cb, struct kp_node *node)
{
	struct kp_dump_ctx *ctx = (struct kp_dump_ctx *)cb->ctx;

	BUILD_BUG_ON(sizeof(struct kp_dump_ctx) > sizeof(cb->ctx));
	lockdep_assert_held(&node->lock);
	cb->seq = node->generation;
	if (node->enabled) {
		ctx->started = true;
		return 0;
	}
	if (ctx->started)
		return 1;
	/*
	 * Refused here, not in .start: in 6.1 only the dump callback has an
	 * extack, carried back in NLMSG_DONE.
	 */
	return kp_require_enabled(node, cb->extack);
}

/* Puts one object as one dump message; false when the skb is full. */
void *kp_dump_put_hdr(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				&kp_family, NLM_F_MULTI, cmd);

	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

bool kp_dump_one(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd,
		 int (*put)(struct sk_buff *skb, struct net *net, const void *obj),
		 const void *obj, u64 seq)
{
	struct kp_dump_ctx *ctx = (struct kp_dump_ctx *)cb->ctx;
	void *hdr;

	hdr = kp_dump_put_hdr(skb, cb, cmd);
	if (!hdr)
		return false;
	if (put(skb, sock_net(skb->sk), obj)) {
		genlmsg_cancel(skb, hdr);
		return false;
	}
	genlmsg_end(skb, hdr);
	ctx->last_seq = seq;
	return true;
}

static int kp_dump_put_endpoint(struct sk_buff *skb, struct net *net, const void *obj)
{
	return kp_put_endpoint(skb, net, obj);
}

static int kp_nl_ep_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kp_dump_ctx *ctx = (struct kp_dump_ctx *)cb->ctx;
	struct kp_node *node = kp_node_get(sock_net(skb->sk));
	struct kp_endpoint *ep;
	int err;

	mutex_lock(&node->lock);
	err = kp_dump_begin(cb, node);
	if (!err)
		list_for_each_entry(ep, &node->eps.list, list)
			if (ep->seq > ctx->last_seq &&
			    !kp_dump_one(skb, cb, KPLANE_CMD_ENDPOINT_GET,
					 kp_dump_put_endpoint, ep, ep->seq))
				break;
	mutex_unlock(&node->lock);
	return err < 0 ? err : skb->len;
}

/* Room for the largest service: every backend with every attribute. */
#define KP_SVC_MSG_MAX (NLMSG_GOODSIZE + KPLANE_SVC_BACKENDS_MAX * 80)

static int kp_put_backend(struct sk_buff *skb, const struct kp_backend *be)
{
	struct nlattr *nest = nla_nest_start(skb, KPLANE_SVC_A_BACKEND);

	if (!nest ||
	    kp_put_ip(skb, KPLANE_BE_A_ADDR, be->addr.family, be->addr.ip) ||
	    nla_put_u16(skb, KPLANE_BE_A_PORT, ntohs(be->port)) ||
	    nla_put_u32(skb, KPLANE_BE_A_WEIGHT, be->weight) ||
	    nla_put_u8(skb, KPLANE_BE_A_STATE, be->state) ||
	    nla_put_u8(skb, KPLANE_BE_A_LOCAL, be->local))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kp_put_service(struct sk_buff *skb, const struct kp_service *svc)
{
	struct nlattr *nest = nla_nest_start(skb, KPLANE_A_SERVICE);
	u32 i;

	if (!nest ||
	    (svc->id[0] && nla_put_string(skb, KPLANE_SVC_A_ID, svc->id)) ||
	    kp_put_ip(skb, KPLANE_SVC_A_ADDR, svc->key.family, svc->key.addr) ||
	    nla_put_u16(skb, KPLANE_SVC_A_PORT, ntohs(svc->key.port)) ||
	    nla_put_u8(skb, KPLANE_SVC_A_PROTO, svc->key.proto) ||
	    nla_put_u8(skb, KPLANE_SVC_A_TYPE, svc->type) ||
	    nla_put_u32(skb, KPLANE_SVC_A_MAGLEV_SIZE, svc->maglev_size) ||
	    nla_put_u8(skb, KPLANE_SVC_A_EXT_POLICY, svc->ext_policy) ||
	    nla_put_u8(skb, KPLANE_SVC_A_INT_POLICY, svc->int_policy) ||
	    nla_put_u32(skb, KPLANE_SVC_A_AFFINITY_TIMEOUT, svc->affinity_timeout))
		return -EMSGSIZE;
	for (i = 0; i < svc->n_backends; i++)
		if (kp_put_backend(skb, &svc->backends[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kp_nl_svc_require(struct genl_info *info)
{
	if (!GENL_REQ_ATTR_CHECK(info, KPLANE_A_SERVICE))
		return 0;
	NL_SET_ERR_MSG(info->extack, "service attribute (KPLANE_A_SERVICE) is missing");
	return -EINVAL;
}

/* Applies @svc now; the caller checked the node is enabled. */
static int kp_nl_svc_set_locked(struct genl_info *info, struct kp_service *svc)
{
	struct kp_node *node = kp_info_node(info);
	int err;

	err = kp_node_svc_set(node, svc, kp_node_max_services(node), info->extack);
	if (!err)
		kp_node_changed(node);
	return err;
}

/* Takes @svc in every case. */
static int kp_nl_svc_stage_or_set(struct genl_info *info, struct kp_service *svc)
{
	struct kp_txn *txn = NULL;
	int err;

	err = kp_require_enabled(kp_info_node(info), info->extack);
	if (!err) {
		txn = kp_nl_txn(info);
		err = PTR_ERR_OR_ZERO(txn);
	}
	if (!err)
		err = kp_svc_charge(svc, kp_info_node(info)->cfg_budget, info->extack);
	if (err) {
		kp_svc_free(svc);
		return err;
	}
	return txn ? kp_txn_stage_svc_set(txn, svc, info->extack) :
		     kp_nl_svc_set_locked(info, svc);
}

static int kp_nl_svc_set(struct sk_buff *skb, struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_service *svc;
	int err;

	err = kp_nl_svc_require(info);
	if (!err)
		err = kp_svc_parse(info->attrs[KPLANE_A_SERVICE], &svc, info->extack);
	if (err)
		return err;
	/*
	 * The Maglev table is built before the lock (large tables take time),
	 * or, for a transaction, in the background while the client stages on.
	 */
	if (!info->attrs[KPLANE_A_TXN_ID])
		err = kp_svc_build(svc, info->extack);
	if (err) {
		kp_svc_free(svc);
		return err;
	}
	mutex_lock(&node->lock);
	err = kp_nl_svc_stage_or_set(info, svc);
	mutex_unlock(&node->lock);
	return err;
}

/* Parses the frontend of a request about one service. */
static int kp_nl_svc_key(struct genl_info *info, struct kp_svc_key *key)
{
	int err = kp_nl_svc_require(info);

	if (!err)
		err = kp_svc_parse_key(info->attrs[KPLANE_A_SERVICE], key, info->extack);
	if (!err)
		err = kp_require_enabled(kp_info_node(info), info->extack);
	return err;
}

/* Parses the frontend and finds the service; caller holds the node's lock. */
static struct kp_service *kp_nl_svc_find(struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_service *svc;
	struct kp_svc_key key;
	int err;

	err = kp_nl_svc_key(info, &key);
	if (err)
		return ERR_PTR(err);
	svc = kp_svc_lookup(&node->svcs, &key);
	if (!svc) {
		NL_SET_ERR_MSG(info->extack, "no service with this frontend");
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

static int kp_nl_svc_del_locked(struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_service *svc;
	struct kp_svc_key key;
	struct kp_txn *txn;
	int err;

	if (info->attrs[KPLANE_A_TXN_ID]) {
		err = kp_nl_svc_key(info, &key);
		txn = err ? ERR_PTR(err) : kp_nl_txn(info);
		if (IS_ERR(txn))
			return PTR_ERR(txn);
		return kp_txn_stage_svc_del(node, txn, &key, info->extack);
	}
	svc = kp_nl_svc_find(info);
	if (IS_ERR(svc))
		return PTR_ERR(svc);
	kp_node_svc_del(node, svc);
	kp_node_changed(node);
	return 0;
}

static int kp_nl_svc_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	int err;

	mutex_lock(&node->lock);
	err = kp_nl_svc_del_locked(info);
	mutex_unlock(&node->lock);
	return err;
}

static int kp_fill_txn_begin(struct sk_buff *msg, struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	int err;
	u32 id;

	err = kp_require_enabled(node, info->extack);
	if (!err)
		err = kp_txn_begin(node, info->snd_portid, &id, info->extack);
	if (!err && nla_put_u32(msg, KPLANE_A_TXN_ID, id)) {
		kp_txn_abort(node, kp_txn_find(node, id, info->snd_portid, NULL));
		err = -EMSGSIZE;
	}
	return err;
}

static int kp_nl_txn_begin(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_reply(info, KPLANE_CMD_TXN_BEGIN, NLMSG_GOODSIZE, kp_fill_txn_begin);
}

/* Commit (@commit) or abort the transaction the request names. */
static int kp_nl_txn_end(struct genl_info *info, bool commit)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_txn *txn;
	int err = 0;

	if (GENL_REQ_ATTR_CHECK(info, KPLANE_A_TXN_ID)) {
		NL_SET_ERR_MSG(info->extack,
			       "transaction id (KPLANE_A_TXN_ID) is missing: commit or abort without begin");
		return -EINVAL;
	}
	mutex_lock(&node->lock);
	txn = kp_nl_txn(info);
	if (IS_ERR(txn))
		err = PTR_ERR(txn);
	else if (commit)
		err = kp_txn_commit(node, txn, info->extack);
	else
		kp_txn_abort(node, txn);
	mutex_unlock(&node->lock);
	return err;
}

static int kp_nl_txn_commit(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_txn_end(info, true);
}

static int kp_nl_txn_abort(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_txn_end(info, false);
}

static int kp_fill_svc_reply(struct sk_buff *msg, struct genl_info *info)
{
	struct kp_service *svc = kp_nl_svc_find(info);

	if (IS_ERR(svc))
		return PTR_ERR(svc);
	return kp_put_service(msg, svc);
}

static int kp_nl_svc_get(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_reply(info, KPLANE_CMD_SERVICE_GET, KP_SVC_MSG_MAX, kp_fill_svc_reply);
}

static int kp_nl_svc_dump_start(struct netlink_callback *cb)
{
	/* One service per message, and a service may be large. */
	cb->min_dump_alloc = KP_SVC_MSG_MAX;
	return 0;
}

static int kp_dump_put_service(struct sk_buff *skb, struct net *net, const void *obj)
{
	return kp_put_service(skb, obj);
}

static int kp_nl_svc_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kp_dump_ctx *ctx = (struct kp_dump_ctx *)cb->ctx;
	struct kp_node *node = kp_node_get(sock_net(skb->sk));
	struct kp_service *svc;
	int err;

	mutex_lock(&node->lock);
	err = kp_dump_begin(cb, node);
	if (!err)
		list_for_each_entry(svc, &node->svcs.list, list)
			if (svc->seq > ctx->last_seq &&
			    !kp_dump_one(skb, cb, KPLANE_CMD_SERVICE_GET,
					 kp_dump_put_service, svc, svc->seq))
				break;
	mutex_unlock(&node->lock);
	return err < 0 ? err : skb->len;
}

static const struct genl_ops kp_genl_ops[] = {
	{
		.cmd = KPLANE_CMD_NODE_ENABLE,
		.doit = kp_nl_node_enable,
		.policy = kp_node_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_NODE_DISABLE,
		.doit = kp_nl_node_disable,
		.policy = kp_node_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_NODE_SET,
		.doit = kp_nl_node_set,
		.policy = kp_node_set_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_NODE_GET,
		.doit = kp_nl_node_get,
		.policy = kp_node_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
	},
	{
		.cmd = KPLANE_CMD_ENDPOINT_ADD,
		.doit = kp_nl_ep_add,
		.policy = kp_ep_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_ENDPOINT_DEL,
		.doit = kp_nl_ep_del,
		.policy = kp_ep_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_ENDPOINT_GET,
		.doit = kp_nl_ep_get,
		.dumpit = kp_nl_ep_dump,
		.policy = kp_ep_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
	},
	{
		.cmd = KPLANE_CMD_SERVICE_SET,
		.doit = kp_nl_svc_set,
		.policy = kp_svc_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_SERVICE_DEL,
		.doit = kp_nl_svc_del,
		.policy = kp_svc_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_SERVICE_GET,
		.doit = kp_nl_svc_get,
		.start = kp_nl_svc_dump_start,
		.dumpit = kp_nl_svc_dump,
		.policy = kp_svc_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
	},
	{
		.cmd = KPLANE_CMD_TXN_BEGIN,
		.doit = kp_nl_txn_begin,
		.policy = kp_txn_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_TXN_COMMIT,
		.doit = kp_nl_txn_commit,
		.policy = kp_txn_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_TXN_ABORT,
		.doit = kp_nl_txn_abort,
		.policy = kp_txn_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_IPSET_SET,
		.doit = kp_nl_ipset_set,
		.policy = kp_ipset_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_IPSET_UPDATE,
		.doit = kp_nl_ipset_update,
		.policy = kp_ipset_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_IPSET_DEL,
		.doit = kp_nl_ipset_del,
		.policy = kp_ipset_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_IPSET_GET,
		.dumpit = kp_nl_ipset_dump,
		.policy = kp_ipset_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
	},
	{
		.cmd = KPLANE_CMD_POLICY_SET,
		.doit = kp_nl_pol_set,
		.policy = kp_pol_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_POLICY_DEL,
		.doit = kp_nl_pol_del,
		.policy = kp_pol_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_POLICY_GET,
		.dumpit = kp_nl_pol_dump,
		.policy = kp_pol_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
	},
	{
		.cmd = KPLANE_CMD_ENDPOINT_POLICY,
		.doit = kp_nl_ep_policy,
		.policy = kp_ep_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KPLANE_CMD_TRACE,
		.doit = kp_nl_trace,
		.policy = kp_trace_req_nla_policy,
		.maxattr = KPLANE_A_MAX,
	},
};

static struct genl_family kp_family __ro_after_init = {
	.name = KPLANE_GENL_NAME,
	.version = KPLANE_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = kp_genl_ops,
	.n_ops = ARRAY_SIZE(kp_genl_ops),
};

int kp_netlink_init(void)
{
	return genl_register_family(&kp_family);
}

void kp_netlink_uninit(void)
{
	genl_unregister_family(&kp_family);
}
