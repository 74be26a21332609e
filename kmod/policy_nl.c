// SPDX-License-Identifier: GPL-2.0
/* Netlink handlers for policy objects: see policy_nl.h and the uapi header. */
#include "attrs.h"
#include "filter.h"
#include "netlink.h"
#include "node.h"
#include "policy_attrs.h"
#include "policy_nl.h"
#include "route.h"
#include "txn.h"

/* --- changes: applied at once, or staged in a transaction --- */

/* The change @cmd asks for with @nest, parsed whole: nothing looked up yet. */
static int kp_pol_change_parse(u8 cmd, const struct nlattr *nest, struct kp_pol_change *c,
			       struct netlink_ext_ack *extack)
{
	struct kp_ep_cfg cfg;
	int err;

	c->cmd = cmd;
	switch (cmd) {
	case KPLANE_CMD_IPSET_SET:
	case KPLANE_CMD_IPSET_UPDATE:
	case KPLANE_CMD_IPSET_DEL:
		return kp_ipset_parse(nest, cmd == KPLANE_CMD_IPSET_UPDATE,
				      cmd == KPLANE_CMD_IPSET_DEL, &c->set, extack);
	case KPLANE_CMD_POLICY_SET:
		return kp_pol_parse(nest, &c->pol, extack);
	case KPLANE_CMD_POLICY_DEL:
		return kp_pol_parse_id(nest, c->id, extack);
	case KPLANE_CMD_ENDPOINT_POLICY:
		err = kp_ep_parse(nest, KP_EP_PARSE_POLICY, &cfg, extack);
		if (err)
			return err;
		strscpy(c->id, cfg.id, sizeof(c->id));
		c->attach = cfg.attach;
		c->n_attach = cfg.n_attach;
		return 0;
	case KPLANE_CMD_ENDPOINT_DEL:
		err = kp_ep_parse(nest, KP_EP_PARSE_KEY, &cfg, extack);
		if (!err)
			strscpy(c->id, cfg.id, sizeof(c->id));
		return err;
	}
	return -EOPNOTSUPP;
}

int kp_nl_pol_change(struct genl_info *info, const struct nlattr *nest)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_pol_change c = {};
	struct kp_txn *txn;
	int err;

	err = kp_pol_change_parse(info->genlhdr->cmd, nest, &c, info->extack);
	if (err)
		goto out;
	mutex_lock(&node->lock);
	err = kp_require_enabled(node, info->extack);
	if (!err) {
		txn = kp_nl_txn(info);
		err = PTR_ERR_OR_ZERO(txn);
	}
	if (!err)
		err = txn ? kp_txn_stage_pol(txn, &c, info->extack) :
			    kp_pol_change_apply(node, &c, NULL, info->extack);
	mutex_unlock(&node->lock);
out:
	kp_pol_change_release(&c);
	return err;
}

/*
 * The handler of every policy change: checks the nest is there, then
 * applies the change, or stages it in the transaction the request names
 * (applied, or refused, at commit).
 */
static int kp_nl_pol_op(struct genl_info *info, int type, const char *missing)
{
	if (GENL_REQ_ATTR_CHECK(info, type)) {
		kp_set_err(info->extack, NULL, missing);
		return -EINVAL;
	}
	return kp_nl_pol_change(info, info->attrs[type]);
}

static const char kp_ipset_missing[] = "IP set attribute (KPLANE_A_IPSET) is missing";
static const char kp_pol_missing[] = "policy attribute (KPLANE_A_POLICY) is missing";

int kp_nl_ipset_set(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_pol_op(info, KPLANE_A_IPSET, kp_ipset_missing);
}

int kp_nl_ipset_update(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_pol_op(info, KPLANE_A_IPSET, kp_ipset_missing);
}

int kp_nl_ipset_del(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_pol_op(info, KPLANE_A_IPSET, kp_ipset_missing);
}

int kp_nl_pol_set(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_pol_op(info, KPLANE_A_POLICY, kp_pol_missing);
}

int kp_nl_pol_del(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_pol_op(info, KPLANE_A_POLICY, kp_pol_missing);
}

int kp_nl_ep_policy(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_pol_op(info, KPLANE_A_ENDPOINT,
			    "endpoint attribute (KPLANE_A_ENDPOINT) is missing");
}

/*
 * Puts one message of a dump whose objects may span several: @obj from
 * part ctx->next_part on, by @put.  True when @obj is complete (the caller
 * moves its cursor past it), false when the message is full.
 */
static bool kp_dump_part(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd,
			 int (*put)(struct sk_buff *skb, const void *obj, u32 first, u32 *next),
			 const void *obj, u32 total)
{
	struct kp_dump_ctx *ctx = (struct kp_dump_ctx *)cb->ctx;
	void *hdr = kp_dump_put_hdr(skb, cb, cmd);
	u32 next;

	if (!hdr)
		return false;
	if (put(skb, obj, ctx->next_part, &next)) {
		genlmsg_cancel(skb, hdr);
		return false;
	}
	genlmsg_end(skb, hdr);
	if (next < total) {
		ctx->next_part = next;
		return false;
	}
	ctx->next_part = 0;
	return true;
}

static int kp_put_prefix(struct sk_buff *skb, int type, const struct kp_prefix *p)
{
	struct kplane_prefix k = { .family = p->family, .len = p->len };

	memcpy(k.addr, p->addr, sizeof(k.addr));
	return nla_put(skb, type, sizeof(k), &k);
}

/*
 * Set @set from member @first on, as many members as fit; *@next: the first
 * left out.  -EMSGSIZE when not even the header and one member fit.
 */
static int kp_put_ipset_part(struct sk_buff *skb, const void *obj, u32 first, u32 *next)
{
	const struct kp_ipset *set = obj;
	const struct kp_pol_table *tbl = &kp_node_get(sock_net(skb->sk))->pol;
	const struct kp_prefix_set *s = kp_ipset_committed(tbl, set);
	struct nlattr *nest = nla_nest_start(skb, KPLANE_A_IPSET);
	u32 n = s ? s->n : 0, i;

	if (!nest || nla_put_string(skb, KPLANE_IPSET_A_NAME, set->name) ||
	    nla_put_u32(skb, KPLANE_IPSET_A_COUNT, n) ||
	    nla_put_u32(skb, KPLANE_IPSET_A_FIRST_MEMBER, first))
		return -EMSGSIZE;
	for (i = first; i < n; i++)
		if (kp_put_prefix(skb, KPLANE_IPSET_A_MEMBER, &s->p[i]))
			break;
	if (i == first && i < n)
		return -EMSGSIZE;
	*next = i;
	nla_nest_end(skb, nest);
	return 0;
}

int kp_nl_ipset_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kp_dump_ctx *ctx = (struct kp_dump_ctx *)cb->ctx;
	struct kp_node *node = kp_node_get(sock_net(skb->sk));
	struct kp_ipset *set;
	u64 i = 0;
	int err;

	mutex_lock(&node->lock);
	err = kp_dump_begin(cb, node);
	/*
	 * Sets are few; their position is the cursor (a racing change flags
	 * it), with the next member of a set that spans messages.
	 */
	if (!err) {
		list_for_each_entry(set, &node->pol.set_list, list) {
			if (++i <= ctx->last_seq)
				continue;
			if (!kp_dump_part(skb, cb, KPLANE_CMD_IPSET_GET, kp_put_ipset_part, set,
					  kp_ipset_count(&node->pol, set)))
				break;
			ctx->last_seq = i;
		}
	}
	mutex_unlock(&node->lock);
	return err < 0 ? err : skb->len;
}

/* --- dumps --- */

static int kp_put_prefixes(struct sk_buff *skb, int type, const struct kp_prefix_set *s)
{
	u32 i;

	for (i = 0; i < s->n; i++)
		if (kp_put_prefix(skb, type, &s->p[i]))
			return -EMSGSIZE;
	return 0;
}

static int kp_put_sets(struct sk_buff *skb, int type, struct kp_ipset *const *sets, u8 n)
{
	u8 i;

	for (i = 0; i < n; i++)
		if (nla_put_string(skb, type, sets[i]->name))
			return -EMSGSIZE;
	return 0;
}

static int kp_put_ports(struct sk_buff *skb, int type, const struct kp_port_range *r, u16 n)
{
	u16 i;

	for (i = 0; i < n; i++) {
		struct kplane_port_range k = { .first = r[i].lo, .last = r[i].hi };

		if (nla_put(skb, type, sizeof(k), &k))
			return -EMSGSIZE;
	}
	return 0;
}

static int kp_put_side(struct sk_buff *skb, int type, const struct kp_rule_side *s)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest ||
	    kp_put_prefixes(skb, KPLANE_SIDE_A_NET, &s->nets) ||
	    kp_put_prefixes(skb, KPLANE_SIDE_A_NOT_NET, &s->not_nets) ||
	    kp_put_sets(skb, KPLANE_SIDE_A_SET, s->sets, s->n_sets) ||
	    kp_put_sets(skb, KPLANE_SIDE_A_NOT_SET, s->not_sets, s->n_not_sets) ||
	    kp_put_ports(skb, KPLANE_SIDE_A_PORT, s->ports, s->n_ports) ||
	    kp_put_ports(skb, KPLANE_SIDE_A_NOT_PORT, s->not_ports, s->n_not_ports))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kp_put_rule_u8(struct sk_buff *skb, const struct kp_rule *r, u8 flag, int type,
			  u8 value)
{
	return (r->flags & flag) ? nla_put_u8(skb, type, value) : 0;
}

static int kp_put_rule(struct sk_buff *skb, int type, const struct kp_rule *r,
		       const struct kp_rule_stats __percpu *st)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	u64 packets, bytes;

	if (!nest)
		return -EMSGSIZE;
	kp_counters_read(st, &packets, &bytes);
	if (nla_put_u8(skb, KPLANE_RULE_A_ACTION, r->action) ||
	    kp_put_rule_u8(skb, r, KP_RULE_PROTO, KPLANE_RULE_A_PROTO, r->proto) ||
	    kp_put_rule_u8(skb, r, KP_RULE_NOT_PROTO, KPLANE_RULE_A_NOT_PROTO, r->not_proto) ||
	    kp_put_rule_u8(skb, r, KP_RULE_ICMP_TYPE, KPLANE_RULE_A_ICMP_TYPE, r->icmp_type) ||
	    kp_put_rule_u8(skb, r, KP_RULE_ICMP_CODE, KPLANE_RULE_A_ICMP_CODE, r->icmp_code) ||
	    kp_put_rule_u8(skb, r, KP_RULE_NOT_ICMP_TYPE, KPLANE_RULE_A_NOT_ICMP_TYPE,
			   r->not_icmp_type) ||
	    kp_put_rule_u8(skb, r, KP_RULE_NOT_ICMP_CODE, KPLANE_RULE_A_NOT_ICMP_CODE,
			   r->not_icmp_code) ||
	    kp_put_side(skb, KPLANE_RULE_A_SRC, &r->src) ||
	    kp_put_side(skb, KPLANE_RULE_A_DST, &r->dst) ||
	    nla_put_u64_64bit(skb, KPLANE_RULE_A_PACKETS, packets, KPLANE_RULE_A_PAD) ||
	    nla_put_u64_64bit(skb, KPLANE_RULE_A_BYTES, bytes, KPLANE_RULE_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * One message of @pol: its head and the rules from @first (ingress, then
 * egress, counted together) that fit.  *@next is where the next part starts.
 */
static int kp_put_policy_part(struct sk_buff *skb, const void *obj, u32 first, u32 *next)
{
	const struct kp_pol *pol = obj;
	u32 n_in = pol->p.n_rules[KPLANE_DIR_INGRESS];
	u32 total = n_in + pol->p.n_rules[KPLANE_DIR_EGRESS], k;
	struct nlattr *nest = nla_nest_start(skb, KPLANE_A_POLICY);

	if (!nest ||
	    nla_put_string(skb, KPLANE_POL_A_ID, pol->p.id) ||
	    nla_put_string(skb, KPLANE_POL_A_TIER, pol->p.tier) ||
	    nla_put_u32(skb, KPLANE_POL_A_ORDER, pol->p.order) ||
	    nla_put_u8(skb, KPLANE_POL_A_TYPES, pol->p.types) ||
	    nla_put_u8(skb, KPLANE_POL_A_APPLY_ON_FORWARD, pol->p.apply_on_forward) ||
	    nla_put_u32(skb, KPLANE_POL_A_FIRST_RULE, first))
		return -EMSGSIZE;
	for (k = first; k < total; k++) {
		unsigned int d = k < n_in ? KPLANE_DIR_INGRESS : KPLANE_DIR_EGRESS;
		u32 i = k < n_in ? k : k - n_in;

		if (kp_put_rule(skb, d == KPLANE_DIR_INGRESS ? KPLANE_POL_A_INGRESS_RULE :
							      KPLANE_POL_A_EGRESS_RULE,
				&pol->p.rules[d][i], kp_counters_of(pol->counters[d], i)))
			break;
	}
	if (k == first && k < total)
		return -EMSGSIZE;	/* not even one rule: next skb */
	*next = k;
	nla_nest_end(skb, nest);
	return 0;
}

int kp_nl_pol_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kp_dump_ctx *ctx = (struct kp_dump_ctx *)cb->ctx;
	struct kp_node *node = kp_node_get(sock_net(skb->sk));
	struct kp_pol *pol;
	int err;

	mutex_lock(&node->lock);
	err = kp_dump_begin(cb, node);
	if (!err) {
		list_for_each_entry(pol, &node->pol.pol_list, list) {
			if (pol->seq <= ctx->last_seq)
				continue;
			if (!kp_dump_part(skb, cb, KPLANE_CMD_POLICY_GET, kp_put_policy_part,
					  pol, pol->p.n_rules[0] + pol->p.n_rules[1]))
				break;
			ctx->last_seq = pol->seq;
		}
	}
	mutex_unlock(&node->lock);
	return err < 0 ? err : skb->len;
}

/* --- endpoint attachments --- */

static int kp_put_prog(struct sk_buff *skb, int type, const struct kp_ep_policy *epp, u8 dir)
{
	struct nlattr *prog = NULL, *tier = NULL;
	int last = -1;
	u32 i;

	for (i = 0; i < epp->n_attach; i++) {
		const struct kp_attach *a = &epp->attach[i];

		if (a->dir != dir)
			continue;
		if (!prog && !(prog = nla_nest_start(skb, type)))
			return -EMSGSIZE;
		if (a->tier != last) {
			if (tier)
				nla_nest_end(skb, tier);
			tier = nla_nest_start(skb, KPLANE_PROG_A_TIER);
			if (!tier || nla_put_string(skb, KPLANE_TIER_A_NAME, a->tier_name))
				return -EMSGSIZE;
			last = a->tier;
		}
		if (a->id[0] && nla_put_string(skb, KPLANE_TIER_A_POLICY, a->id))
			return -EMSGSIZE;
	}
	if (tier)
		nla_nest_end(skb, tier);
	if (prog)
		nla_nest_end(skb, prog);
	return 0;
}

int kp_put_ep_policy(struct sk_buff *skb, const struct kp_endpoint *ep)
{
	const struct kp_ep_policy *epp = kp_slot_staged(kp_node_of_table(ep->table), ep->pol);

	if (!epp)
		return 0;
	return kp_put_prog(skb, KPLANE_EP_A_INGRESS, epp, KPLANE_DIR_INGRESS) ?:
	       kp_put_prog(skb, KPLANE_EP_A_EGRESS, epp, KPLANE_DIR_EGRESS);
}

/* --- trace --- */

static int kp_put_step(struct sk_buff *skb, const struct kp_filter_step *s)
{
	struct nlattr *nest = nla_nest_start(skb, KPLANE_TRACE_A_STEP);

	if (!nest ||
	    nla_put_string(skb, KPLANE_STEP_A_ENDPOINT, s->ep->id) ||
	    nla_put_u8(skb, KPLANE_STEP_A_DIR, s->dir) ||
	    nla_put_u8(skb, KPLANE_STEP_A_ACTION, s->v.action) ||
	    nla_put_u8(skb, KPLANE_STEP_A_REASON, s->v.reason) ||
	    nla_put_u8(skb, KPLANE_STEP_A_FORWARDED, s->forwarded) ||
	    (s->tier && nla_put_string(skb, KPLANE_STEP_A_TIER, s->tier)) ||
	    (s->v.policy && (nla_put_string(skb, KPLANE_STEP_A_POLICY, s->v.policy->id) ||
			     nla_put_u32(skb, KPLANE_STEP_A_RULE, s->v.rule))))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kp_trace_fill(struct sk_buff *msg, struct kp_node *node,
			 const struct kp_trace_cfg *cfg, struct netlink_ext_ack *extack)
{
	struct kp_filter_at at = {};
	struct kp_decision d;
	struct nlattr *nest;
	unsigned int i;

	if (cfg->endpoint[0]) {
		struct kp_endpoint *ep = kp_ep_lookup_id(&node->eps, cfg->endpoint);

		if (!ep) {
			NL_SET_ERR_MSG(extack, "no endpoint with this id");
			return -ENOENT;
		}
		at.in_ifindex = ep->ifindex;
	} else {
		/* The device a packet the node sends there leaves by, or 0. */
		kp_route_out(node->net, cfg->pkt.family, cfg->pkt.daddr, &at.out_ifindex, NULL);
	}
	kp_filter_decide(node, &at, &cfg->pkt, false, &d);
	nest = nla_nest_start(msg, KPLANE_A_TRACE);
	if (!nest || nla_put_u8(msg, KPLANE_TRACE_A_VERDICT, d.action))
		return -EMSGSIZE;
	for (i = 0; i < d.n_steps; i++)
		if (kp_put_step(msg, &d.steps[i]))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int kp_fill_trace(struct sk_buff *msg, struct genl_info *info)
{
	struct kp_node *node = kp_info_node(info);
	struct kp_trace_cfg cfg;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KPLANE_A_TRACE)) {
		NL_SET_ERR_MSG(info->extack, "trace attribute (KPLANE_A_TRACE) is missing");
		return -EINVAL;
	}
	err = kp_trace_parse(info->attrs[KPLANE_A_TRACE], &cfg, info->extack) ?:
	      kp_require_enabled(node, info->extack);
	if (err)
		return err;
	rcu_read_lock();
	err = kp_trace_fill(msg, node, &cfg, info->extack);
	rcu_read_unlock();
	return err;
}

int kp_nl_trace(struct sk_buff *skb, struct genl_info *info)
{
	return kp_nl_reply(info, KPLANE_CMD_TRACE, NLMSG_GOODSIZE, kp_fill_trace);
}
