// SPDX-License-Identifier: GPL-2.0
/* Policy request attributes: see policy_attrs.h. */
#include <linux/in.h>
#include <linux/slab.h>
#include "attrs.h"
#include "maglev.h"
#include "policy.h"
#include "policy_attrs.h"

#define KP_ID_POLICY { .type = NLA_NUL_STRING, .len = KPLANE_ID_MAX - 1 }
#define KP_PREFIX_POLICY NLA_POLICY_EXACT_LEN(sizeof(struct kplane_prefix))
#define KP_PORTS_POLICY NLA_POLICY_EXACT_LEN(sizeof(struct kplane_port_range))

static const struct nla_policy kp_tier_nla_policy[KPLANE_TIER_A_MAX + 1] = {
	[KPLANE_TIER_A_NAME]	= KP_ID_POLICY,
	[KPLANE_TIER_A_POLICY]	= KP_ID_POLICY,
};

const struct nla_policy kp_prog_nla_policy[KPLANE_PROG_A_MAX + 1] = {
	[KPLANE_PROG_A_TIER]	= NLA_POLICY_NESTED(kp_tier_nla_policy),
};

static const struct nla_policy kp_ipset_nla_policy[KPLANE_IPSET_A_MAX + 1] = {
	[KPLANE_IPSET_A_NAME]	= KP_ID_POLICY,
	[KPLANE_IPSET_A_MEMBER]	= KP_PREFIX_POLICY,
	[KPLANE_IPSET_A_REMOVE]	= KP_PREFIX_POLICY,
	[KPLANE_IPSET_A_COUNT]	= KP_REPLY_ONLY,
	[KPLANE_IPSET_A_FIRST_MEMBER] = KP_REPLY_ONLY,
};

const struct nla_policy kp_ipset_req_nla_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_IPSET]	= NLA_POLICY_NESTED(kp_ipset_nla_policy),
	[KPLANE_A_TXN_ID]	= { .type = NLA_U32 },
};

static const struct nla_policy kp_side_nla_policy[KPLANE_SIDE_A_MAX + 1] = {
	[KPLANE_SIDE_A_NET]	= KP_PREFIX_POLICY,
	[KPLANE_SIDE_A_NOT_NET]	= KP_PREFIX_POLICY,
	[KPLANE_SIDE_A_SET]	= KP_ID_POLICY,
	[KPLANE_SIDE_A_NOT_SET]	= KP_ID_POLICY,
	[KPLANE_SIDE_A_PORT]	= KP_PORTS_POLICY,
	[KPLANE_SIDE_A_NOT_PORT] = KP_PORTS_POLICY,
};

static const struct nla_policy kp_rule_nla_policy[KPLANE_RULE_A_MAX + 1] = {
	[KPLANE_RULE_A_PAD]		= KP_REPLY_ONLY,
	[KPLANE_RULE_A_ACTION]		= { .type = NLA_U8 },
	[KPLANE_RULE_A_PROTO]		= { .type = NLA_U8 },
	[KPLANE_RULE_A_NOT_PROTO]	= { .type = NLA_U8 },
	[KPLANE_RULE_A_ICMP_TYPE]	= { .type = NLA_U8 },
	[KPLANE_RULE_A_ICMP_CODE]	= { .type = NLA_U8 },
	[KPLANE_RULE_A_NOT_ICMP_TYPE]	= { .type = NLA_U8 },
	[KPLANE_RULE_A_NOT_ICMP_CODE]	= { .type = NLA_U8 },
	[KPLANE_RULE_A_SRC]		= NLA_POLICY_NESTED(kp_side_nla_policy),
	[KPLANE_RULE_A_DST]		= NLA_POLICY_NESTED(kp_side_nla_policy),
	[KPLANE_RULE_A_PACKETS]		= KP_REPLY_ONLY,
	[KPLANE_RULE_A_BYTES]		= KP_REPLY_ONLY,
};

static const struct nla_policy kp_pol_nla_policy[KPLANE_POL_A_MAX + 1] = {
	[KPLANE_POL_A_ID]		= KP_ID_POLICY,
	[KPLANE_POL_A_TIER]		= KP_ID_POLICY,
	[KPLANE_POL_A_ORDER]		= { .type = NLA_U32 },
	[KPLANE_POL_A_TYPES]		= NLA_POLICY_MAX(NLA_U8,
						 KPLANE_POLICY_INGRESS | KPLANE_POLICY_EGRESS),
	[KPLANE_POL_A_INGRESS_RULE]	= NLA_POLICY_NESTED(kp_rule_nla_policy),
	[KPLANE_POL_A_EGRESS_RULE]	= NLA_POLICY_NESTED(kp_rule_nla_policy),
	[KPLANE_POL_A_FIRST_RULE]	= KP_REPLY_ONLY,
	[KPLANE_POL_A_APPLY_ON_FORWARD]	= NLA_POLICY_MAX(NLA_U8, 1),
};

const struct nla_policy kp_pol_req_nla_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_POLICY]	= NLA_POLICY_NESTED(kp_pol_nla_policy),
	[KPLANE_A_TXN_ID]	= { .type = NLA_U32 },
};

static const struct nla_policy kp_trace_nla_policy[KPLANE_TRACE_A_MAX + 1] = {
	[KPLANE_TRACE_A_ENDPOINT]	= KP_ID_POLICY,
	[KPLANE_TRACE_A_PROTO]		= { .type = NLA_U8 },
	[KPLANE_TRACE_A_SRC]		= NLA_POLICY_NESTED(kp_addr_nla_policy),
	[KPLANE_TRACE_A_DST]		= NLA_POLICY_NESTED(kp_addr_nla_policy),
	[KPLANE_TRACE_A_SPORT]		= { .type = NLA_U16 },
	[KPLANE_TRACE_A_DPORT]		= { .type = NLA_U16 },
	[KPLANE_TRACE_A_ICMP_TYPE]	= { .type = NLA_U8 },
	[KPLANE_TRACE_A_ICMP_CODE]	= { .type = NLA_U8 },
	[KPLANE_TRACE_A_VERDICT]	= KP_REPLY_ONLY,
	[KPLANE_TRACE_A_STEP]		= KP_REPLY_ONLY,
};

const struct nla_policy kp_trace_req_nla_policy[KPLANE_A_MAX + 1] = {
	KP_NODE_STATUS_REPLY_ONLY,
	[KPLANE_A_TRACE]	= NLA_POLICY_NESTED(kp_trace_nla_policy),
};

/* An id-like name (set, policy, tier) into @out. */
static int kp_name_parse(const struct nlattr *a, char *out, struct netlink_ext_ack *extack)
{
	const char *why = kp_id_invalid(nla_data(a));

	if (why) {
		kp_set_err(extack, a, why);
		return -EINVAL;
	}
	nla_strscpy(out, a, KPLANE_ID_MAX);
	return 0;
}

static int kp_prefix_parse(const struct nlattr *a, struct kp_prefix *p,
			   struct netlink_ext_ack *extack)
{
	const struct kplane_prefix *k = nla_data(a);
	const char *why = kp_prefix_invalid(k->family, k->len);

	if (!why && (k->pad[0] || k->pad[1]))
		why = "prefix padding must be zero";
	if (!why && k->family == AF_INET && !kp_all_zero(k->addr + 4, 12))
		why = "an IPv4 prefix has only 4 address bytes";
	if (why) {
		kp_set_err(extack, a, why);
		return -EINVAL;
	}
	memset(p, 0, sizeof(*p));
	p->family = k->family;
	p->len = k->len;
	memcpy(p->addr, k->addr, sizeof(p->addr));
	kp_prefix_mask(p);	/* 10.1.2.3/8 means 10.0.0.0/8, as Calico reads it */
	return 0;
}

static unsigned int kp_count_type(const struct nlattr *nest, int type)
{
	const struct nlattr *a;
	unsigned int n = 0;
	int rem;

	nla_for_each_nested(a, nest, rem)
		n += nla_type(a) == type;
	return n;
}

/*
 * An array for the @type attributes of @nest, of @size bytes each, at most
 * @max of them (else @too_many): ERR_PTR, or NULL when there are none.
 */
static void *kp_list_alloc(const struct nlattr *nest, int type, unsigned int max, size_t size,
			   const char *too_many, struct netlink_ext_ack *extack)
{
	unsigned int count = kp_count_type(nest, type);
	void *list;

	if (count > max) {
		kp_set_err(extack, nest, too_many);
		return ERR_PTR(-ENOSPC);
	}
	if (!count)
		return NULL;
	list = kp_zalloc(count * size);
	return list ?: ERR_PTR(-ENOMEM);
}

/* Every @type attribute of @nest as a prefix, into a new array. */
static int kp_prefixes_parse(const struct nlattr *nest, int type, unsigned int max,
			     struct kp_prefix **out, u32 *n, struct netlink_ext_ack *extack)
{
	bool set = type == KPLANE_IPSET_A_MEMBER || type == KPLANE_IPSET_A_REMOVE;
	const struct nlattr *a;
	int rem, err;

	*n = 0;
	*out = kp_list_alloc(nest, type, max, sizeof(**out),
			     set ? "an IP set holds at most 100000 members" :
				   "too many nets in one rule (1024 at most)", extack);
	if (IS_ERR(*out)) {
		err = PTR_ERR(*out);
		*out = NULL;
		return err;
	}
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != type)
			continue;
		err = kp_prefix_parse(a, &(*out)[*n], extack);
		if (err)
			return err;
		(*n)++;
	}
	return 0;
}

int kp_ipset_parse(const struct nlattr *nest, bool update, bool key_only,
		   struct kp_ipset_cfg *cfg, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_IPSET_A_MAX + 1];
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = nla_parse_nested(tb, KPLANE_IPSET_A_MAX, nest, kp_ipset_nla_policy, extack);
	if (err)
		return err;
	if (kp_attr_missing(extack, nest, tb, KPLANE_IPSET_A_NAME, "IP set name is missing"))
		return -EINVAL;
	err = kp_name_parse(tb[KPLANE_IPSET_A_NAME], cfg->name, extack);
	if (err)
		return err;
	if (key_only && (tb[KPLANE_IPSET_A_MEMBER] || tb[KPLANE_IPSET_A_REMOVE])) {
		kp_set_err(extack, nest, "only the name names an IP set here");
		return -EINVAL;
	}
	if (!update && tb[KPLANE_IPSET_A_REMOVE]) {
		kp_set_err(extack, tb[KPLANE_IPSET_A_REMOVE],
			   "members are removed with IPSET_UPDATE");
		return -EINVAL;
	}
	err = kp_prefixes_parse(nest, KPLANE_IPSET_A_MEMBER, KPLANE_IPSET_MEMBERS_MAX,
				&cfg->add, &cfg->n_add, extack);
	if (!err)
		err = kp_prefixes_parse(nest, KPLANE_IPSET_A_REMOVE, KPLANE_IPSET_MEMBERS_MAX,
					&cfg->del, &cfg->n_del, extack);
	return err;
}

static int kp_ports_parse(const struct nlattr *nest, int type, struct kp_port_range **out,
			  u16 *n, struct netlink_ext_ack *extack)
{
	const struct nlattr *a;
	int rem;

	*out = kp_list_alloc(nest, type, KP_RULE_PORTS_MAX, sizeof(**out),
			     "too many port ranges in one rule (64 at most)", extack);
	if (IS_ERR(*out)) {
		rem = PTR_ERR(*out);
		*out = NULL;
		return rem;
	}
	nla_for_each_nested(a, nest, rem) {
		const struct kplane_port_range *r = nla_data(a);

		if (nla_type(a) != type)
			continue;
		if (r->first > r->last) {
			kp_set_err(extack, a, "port range is upside down (first port above last)");
			return -EINVAL;
		}
		(*out)[*n].lo = r->first;
		(*out)[(*n)++].hi = r->last;
	}
	return 0;
}

/* The slots stay empty: the names are resolved when the policy is set. */
static int kp_sets_parse(const struct nlattr *nest, int type, struct kp_pol *pol,
			 struct kp_ipset ***out, u8 *n, struct netlink_ext_ack *extack)
{
	const struct nlattr *a;
	int rem;

	*out = kp_list_alloc(nest, type, KP_RULE_SETS_MAX, sizeof(**out),
			     "too many IP sets in one rule (16 at most)", extack);
	if (IS_ERR(*out)) {
		rem = PTR_ERR(*out);
		*out = NULL;
		return rem;
	}
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != type)
			continue;
		if (kp_pol_name_set(pol, nla_data(a)))
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

/* Whatever is filled in stays in @s for kp_rule_release(), error or not. */
static int kp_side_parse(const struct nlattr *nest, struct kp_pol *pol,
			 struct kp_rule_side *s, struct netlink_ext_ack *extack)
{
	struct kp_prefix *p;
	u32 n;
	int err;

	if (!nest)
		return 0;
	err = kp_prefixes_parse(nest, KPLANE_SIDE_A_NET, KP_RULE_NETS_MAX, &p, &n, extack);
	kp_prefix_set_build(&s->nets, p, n);
	if (err)
		return err;
	err = kp_prefixes_parse(nest, KPLANE_SIDE_A_NOT_NET, KP_RULE_NETS_MAX, &p, &n, extack);
	kp_prefix_set_build(&s->not_nets, p, n);
	return err ?:
	       kp_sets_parse(nest, KPLANE_SIDE_A_SET, pol, &s->sets, &s->n_sets, extack) ?:
	       kp_sets_parse(nest, KPLANE_SIDE_A_NOT_SET, pol, &s->not_sets, &s->n_not_sets,
			     extack) ?:
	       kp_ports_parse(nest, KPLANE_SIDE_A_PORT, &s->ports, &s->n_ports, extack) ?:
	       kp_ports_parse(nest, KPLANE_SIDE_A_NOT_PORT, &s->not_ports, &s->n_not_ports,
			      extack);
}

static void kp_rule_u8(struct nlattr **tb, int type, u8 flag, u8 *field, u8 *flags)
{
	if (tb[type]) {
		*field = nla_get_u8(tb[type]);
		*flags |= flag;
	}
}

static int kp_rule_parse(const struct nlattr *nest, struct kp_pol *pol,
			 struct kp_rule *r, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_RULE_A_MAX + 1];
	const char *why;
	int err;

	err = nla_parse_nested(tb, KPLANE_RULE_A_MAX, nest, kp_rule_nla_policy, extack);
	if (err)
		return err;
	if (kp_attr_missing(extack, nest, tb, KPLANE_RULE_A_ACTION, "rule action is missing"))
		return -EINVAL;
	r->action = nla_get_u8(tb[KPLANE_RULE_A_ACTION]);
	kp_rule_u8(tb, KPLANE_RULE_A_PROTO, KP_RULE_PROTO, &r->proto, &r->flags);
	kp_rule_u8(tb, KPLANE_RULE_A_NOT_PROTO, KP_RULE_NOT_PROTO, &r->not_proto, &r->flags);
	kp_rule_u8(tb, KPLANE_RULE_A_ICMP_TYPE, KP_RULE_ICMP_TYPE, &r->icmp_type, &r->flags);
	kp_rule_u8(tb, KPLANE_RULE_A_ICMP_CODE, KP_RULE_ICMP_CODE, &r->icmp_code, &r->flags);
	kp_rule_u8(tb, KPLANE_RULE_A_NOT_ICMP_TYPE, KP_RULE_NOT_ICMP_TYPE, &r->not_icmp_type,
		   &r->flags);
	kp_rule_u8(tb, KPLANE_RULE_A_NOT_ICMP_CODE, KP_RULE_NOT_ICMP_CODE, &r->not_icmp_code,
		   &r->flags);
	err = kp_side_parse(tb[KPLANE_RULE_A_SRC], pol, &r->src, extack) ?:
	      kp_side_parse(tb[KPLANE_RULE_A_DST], pol, &r->dst, extack);
	if (err)
		return err;
	why = kp_rule_invalid(r);
	if (why) {
		kp_set_err(extack, r->action >= __KPLANE_ACTION_MAX ?
			   tb[KPLANE_RULE_A_ACTION] : nest, why);
		return -EINVAL;
	}
	return 0;
}

static int kp_rules_parse(const struct nlattr *nest, int type, struct kp_pol *pol,
			  unsigned int dir, struct netlink_ext_ack *extack)
{
	unsigned int count = kp_count_type(nest, type);
	const struct nlattr *a;
	int rem, err;

	if (count > KPLANE_POLICY_RULES_MAX) {
		kp_set_err(extack, nest, "too many rules in one direction (10000 at most)");
		return -ENOSPC;
	}
	pol->p.rules[dir] = kp_zalloc((count + 1) * sizeof(struct kp_rule));
	pol->counters[dir] = kp_counters_alloc(count);
	if (!pol->p.rules[dir] || !pol->counters[dir])
		return -ENOMEM;
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != type)
			continue;
		/* Counted first, so kp_pol_free() releases a half-parsed rule. */
		pol->p.n_rules[dir]++;
		err = kp_rule_parse(a, pol, &pol->p.rules[dir][pol->p.n_rules[dir] - 1], extack);
		if (err)
			return err;
		pol->counters[dir]->ids[pol->p.n_rules[dir] - 1] = kp_hash64(nla_data(a),
									      nla_len(a), 0);
	}
	return 0;
}

int kp_pol_parse_id(const struct nlattr *nest, char *id, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_POL_A_MAX + 1];
	int err, i;

	err = nla_parse_nested(tb, KPLANE_POL_A_MAX, nest, kp_pol_nla_policy, extack);
	if (err)
		return err;
	if (kp_attr_missing(extack, nest, tb, KPLANE_POL_A_ID, "policy id is missing"))
		return -EINVAL;
	for (i = KPLANE_POL_A_ID + 1; i <= KPLANE_POL_A_MAX; i++) {
		if (tb[i]) {
			kp_set_err(extack, tb[i], "only the id names a policy here");
			return -EINVAL;
		}
	}
	return kp_name_parse(tb[KPLANE_POL_A_ID], id, extack);
}

static int kp_pol_parse_head(const struct nlattr *nest, struct nlattr **tb, struct kp_pol *pol,
			     struct netlink_ext_ack *extack)
{
	bool egress = kp_count_type(nest, KPLANE_POL_A_EGRESS_RULE);
	bool ingress = kp_count_type(nest, KPLANE_POL_A_INGRESS_RULE);
	int err;

	if (kp_attr_missing(extack, nest, tb, KPLANE_POL_A_ID, "policy id is missing"))
		return -EINVAL;
	err = kp_name_parse(tb[KPLANE_POL_A_ID], pol->p.id, extack);
	if (!err && tb[KPLANE_POL_A_TIER])
		err = kp_name_parse(tb[KPLANE_POL_A_TIER], pol->p.tier, extack);
	if (err)
		return err;
	if (!tb[KPLANE_POL_A_TIER])
		strscpy(pol->p.tier, "default", sizeof(pol->p.tier));
	/* Calico: no order means after every ordered policy. */
	pol->p.order = tb[KPLANE_POL_A_ORDER] ? nla_get_u32(tb[KPLANE_POL_A_ORDER]) : U32_MAX;
	/* Calico: ingress always, egress when there are egress rules. */
	pol->p.types = tb[KPLANE_POL_A_TYPES] ? nla_get_u8(tb[KPLANE_POL_A_TYPES]) :
		       KPLANE_POLICY_INGRESS | (egress ? KPLANE_POLICY_EGRESS : 0);
	pol->p.apply_on_forward = tb[KPLANE_POL_A_APPLY_ON_FORWARD] &&
				  nla_get_u8(tb[KPLANE_POL_A_APPLY_ON_FORWARD]);
	if ((ingress && !(pol->p.types & KPLANE_POLICY_INGRESS)) ||
	    (egress && !(pol->p.types & KPLANE_POLICY_EGRESS))) {
		kp_set_err(extack, tb[KPLANE_POL_A_TYPES],
			   "the policy has rules for a direction its types leave out");
		return -EINVAL;
	}
	return 0;
}

int kp_pol_parse(const struct nlattr *nest, struct kp_pol **out, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_POL_A_MAX + 1];
	struct kp_pol *pol;
	int err;

	err = nla_parse_nested(tb, KPLANE_POL_A_MAX, nest, kp_pol_nla_policy, extack);
	if (err)
		return err;
	pol = kp_pol_alloc();
	if (!pol)
		return -ENOMEM;
	err = kp_pol_parse_head(nest, tb, pol, extack) ?:
	      kp_rules_parse(nest, KPLANE_POL_A_INGRESS_RULE, pol, KPLANE_DIR_INGRESS, extack) ?:
	      kp_rules_parse(nest, KPLANE_POL_A_EGRESS_RULE, pol, KPLANE_DIR_EGRESS, extack) ?:
	      kp_policy_index(&pol->p, KP_INDEX_MIN_RULES);
	if (err) {
		kp_pol_free(pol);
		return err;
	}
	*out = pol;
	return 0;
}

/* --- endpoint attachments --- */

static bool kp_attach_dup(const struct kp_attach *a, u32 n, const struct kp_attach *new)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (a[i].dir == new->dir && new->id[0] && !strcmp(a[i].id, new->id))
			return true;
	return false;
}

static bool kp_tier_dup(const struct kp_attach *a, u32 n, const struct kp_attach *new)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (a[i].dir == new->dir && a[i].tier != new->tier &&
		    !strcmp(a[i].tier_name, new->tier_name))
			return true;
	return false;
}

/* One tier's entries (one with an empty id when it lists no policy). */
static int kp_tier_parse(const struct nlattr *nest, u8 dir, u8 tier, struct kp_attach *a,
			 u32 *n, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_TIER_A_MAX + 1];
	struct kp_attach proto = { .dir = dir, .tier = tier };
	const struct nlattr *p;
	u32 first = *n;
	int rem, err;

	err = nla_parse_nested(tb, KPLANE_TIER_A_MAX, nest, kp_tier_nla_policy, extack);
	if (err)
		return err;
	if (kp_attr_missing(extack, nest, tb, KPLANE_TIER_A_NAME, "tier name is missing"))
		return -EINVAL;
	err = kp_name_parse(tb[KPLANE_TIER_A_NAME], proto.tier_name, extack);
	if (err)
		return err;
	if (kp_tier_dup(a, *n, &proto)) {
		kp_set_err(extack, tb[KPLANE_TIER_A_NAME], "a tier is listed twice in one direction");
		return -EINVAL;
	}
	nla_for_each_nested(p, nest, rem) {
		if (nla_type(p) != KPLANE_TIER_A_POLICY)
			continue;
		if (*n == KPLANE_EP_POLICIES_MAX) {
			kp_set_err(extack, p, "too many policies on one endpoint (256 at most)");
			return -ENOSPC;
		}
		a[*n] = proto;
		err = kp_name_parse(p, a[*n].id, extack);
		if (err)
			return err;
		if (kp_attach_dup(a, *n, &a[*n])) {
			kp_set_err(extack, p, "a policy is listed twice in one direction");
			return -EINVAL;
		}
		(*n)++;
	}
	if (*n == first)
		a[(*n)++] = proto;
	return 0;
}

static int kp_prog_parse(const struct nlattr *nest, u8 dir, struct kp_attach *a, u32 *n,
			 struct netlink_ext_ack *extack)
{
	const struct nlattr *t;
	u8 tiers = 0;
	int rem, err;

	if (!nest)
		return 0;
	nla_for_each_nested(t, nest, rem) {
		if (nla_type(t) != KPLANE_PROG_A_TIER)
			continue;
		if (tiers == KPLANE_EP_TIERS_MAX || *n == KPLANE_EP_POLICIES_MAX) {
			kp_set_err(extack, t, "too many tiers (16 per direction at most)");
			return -ENOSPC;
		}
		err = kp_tier_parse(t, dir, tiers++, a, n, extack);
		if (err)
			return err;
	}
	return 0;
}

int kp_attach_parse(const struct nlattr *ingress, const struct nlattr *egress,
		    struct kp_attach **out, u32 *n, struct netlink_ext_ack *extack)
{
	struct kp_attach *a;
	int err;

	*out = NULL;
	*n = 0;
	if (!ingress && !egress)
		return 0;
	a = kvcalloc(KPLANE_EP_POLICIES_MAX, sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	err = kp_prog_parse(ingress, KPLANE_DIR_INGRESS, a, n, extack) ?:
	      kp_prog_parse(egress, KPLANE_DIR_EGRESS, a, n, extack);
	if (err) {
		kvfree(a);
		*n = 0;
		return err;
	}
	*out = a;
	return 0;
}

/* --- trace --- */

int kp_trace_parse(const struct nlattr *nest, struct kp_trace_cfg *cfg,
		   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KPLANE_TRACE_A_MAX + 1];
	struct kp_match_pkt *m = &cfg->pkt;
	struct kp_addr src, dst;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = nla_parse_nested(tb, KPLANE_TRACE_A_MAX, nest, kp_trace_nla_policy, extack);
	if (err)
		return err;
	if (kp_attr_missing(extack, nest, tb, KPLANE_TRACE_A_PROTO, "trace protocol is missing") ||
	    kp_attr_missing(extack, nest, tb, KPLANE_TRACE_A_SRC, "trace source is missing") ||
	    kp_attr_missing(extack, nest, tb, KPLANE_TRACE_A_DST, "trace destination is missing"))
		return -EINVAL;
	if (tb[KPLANE_TRACE_A_ENDPOINT]) {
		err = kp_name_parse(tb[KPLANE_TRACE_A_ENDPOINT], cfg->endpoint, extack);
		if (err)
			return err;
	}
	err = kp_addr_parse(tb[KPLANE_TRACE_A_SRC], &src, false, extack) ?:
	      kp_addr_parse(tb[KPLANE_TRACE_A_DST], &dst, false, extack);
	if (err)
		return err;
	if (src.family != dst.family) {
		kp_set_err(extack, tb[KPLANE_TRACE_A_DST], "source and destination families differ");
		return -EINVAL;
	}
	m->family = (u8)src.family;
	m->proto = nla_get_u8(tb[KPLANE_TRACE_A_PROTO]);
	memcpy(m->saddr, src.ip, 16);
	memcpy(m->daddr, dst.ip, 16);
	if (tb[KPLANE_TRACE_A_SPORT])
		m->sport = nla_get_u16(tb[KPLANE_TRACE_A_SPORT]);
	if (tb[KPLANE_TRACE_A_DPORT])
		m->dport = nla_get_u16(tb[KPLANE_TRACE_A_DPORT]);
	if (tb[KPLANE_TRACE_A_ICMP_TYPE])
		m->icmp_type = nla_get_u8(tb[KPLANE_TRACE_A_ICMP_TYPE]);
	if (tb[KPLANE_TRACE_A_ICMP_CODE])
		m->icmp_code = nla_get_u8(tb[KPLANE_TRACE_A_ICMP_CODE]);
	return 0;
}
