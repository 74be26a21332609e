// SPDX-License-Identifier: LGPL-2.1
/* libkplane: IP sets, policies and trace (see libkplane.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include "libkplane_int.h"

/*
 * Members per message: each is 24 bytes, and the KPLANE_A_IPSET nest that
 * holds them is limited to 64 KiB (a 16-bit attribute length).
 */
#define KP_IPSET_CHUNK 2048

static int kp_ipset_send(struct kpl_handle *h, uint8_t cmd, const char *name,
			 const struct kplane_prefix *add, size_t n_add,
			 const struct kplane_prefix *del, size_t n_del)
{
	struct nl_msg *msg = kp_msg_sized(h, cmd, 0, 1024 + (n_add + n_del) * 32);
	struct nlattr *nest = msg ? nla_nest_start(msg, KPLANE_A_IPSET) : NULL;
	size_t i;
	int bad;

	bad = !nest || nla_put_string(msg, KPLANE_IPSET_A_NAME, name);
	for (i = 0; !bad && i < n_add; i++)
		bad = nla_put(msg, KPLANE_IPSET_A_MEMBER, sizeof(add[i]), &add[i]);
	for (i = 0; !bad && i < n_del; i++)
		bad = nla_put(msg, KPLANE_IPSET_A_REMOVE, sizeof(del[i]), &del[i]);
	return kp_send_change(h, msg, nest, bad);
}

static size_t kp_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Adds then removes, a chunk per message. */
static int kp_ipset_chunks(struct kpl_handle *h, const char *name,
			   const struct kplane_prefix *add, size_t n_add,
			   const struct kplane_prefix *del, size_t n_del)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < n_add; i += KP_IPSET_CHUNK)
		err = kp_ipset_send(h, KPLANE_CMD_IPSET_UPDATE, name, add + i,
				    kp_min(KP_IPSET_CHUNK, n_add - i), NULL, 0);
	for (i = 0; !err && i < n_del; i += KP_IPSET_CHUNK)
		err = kp_ipset_send(h, KPLANE_CMD_IPSET_UPDATE, name, NULL, 0, del + i,
				    kp_min(KP_IPSET_CHUNK, n_del - i));
	return err;
}

/*
 * A change that takes several messages applies as one: in the caller's
 * transaction, or else in one of its own (the first refusal undoes it all).
 */
static int kp_ipset_many(struct kpl_handle *h, bool replace, const char *name,
			 const struct kplane_prefix *add, size_t n_add,
			 const struct kplane_prefix *del, size_t n_del)
{
	size_t first = replace ? kp_min(KP_IPSET_CHUNK, n_add) : 0;
	bool own = !kp_txn_open(h);
	int err = own ? kpl_txn_begin(h) : 0;

	if (!err && replace)
		err = kp_ipset_send(h, KPLANE_CMD_IPSET_SET, name, add, first, NULL, 0);
	if (!err)
		err = kp_ipset_chunks(h, name, add + first, n_add - first, del, n_del);
	if (own && !err)
		return kpl_txn_commit(h);
	if (own)
		kp_txn_abort_after(h);
	return err;
}

int kpl_ipset_set(struct kpl_handle *h, const char *name, const struct kplane_prefix *m,
		 size_t n)
{
	if (n <= KP_IPSET_CHUNK)
		return kp_ipset_send(h, KPLANE_CMD_IPSET_SET, name, m, n, NULL, 0);
	return kp_ipset_many(h, true, name, m, n, NULL, 0);
}

int kpl_ipset_update(struct kpl_handle *h, const char *name, const struct kplane_prefix *add,
		    size_t n_add, const struct kplane_prefix *del, size_t n_del)
{
	if (n_add + n_del <= KP_IPSET_CHUNK)
		return kp_ipset_send(h, KPLANE_CMD_IPSET_UPDATE, name, add, n_add, del, n_del);
	return kp_ipset_many(h, false, name, add, n_add, del, n_del);
}

int kpl_ipset_del(struct kpl_handle *h, const char *name)
{
	return kp_ipset_send(h, KPLANE_CMD_IPSET_DEL, name, NULL, 0, NULL, 0);
}

static int kp_parse_ipset_members(struct nlattr *nest, struct kpl_ipset_info *set)
{
	struct kplane_prefix *m;
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != KPLANE_IPSET_A_MEMBER)
			continue;
		if (nla_len(a) != sizeof(*m))
			return -EPROTO;
		if (!(set->n_members & (set->n_members + 1)) || !set->members) {
			/* Grown at 2^k - 1 members: 1, 3, 7, ... */
			m = realloc(set->members, (set->n_members * 2 + 2) * sizeof(*m));
			if (!m)
				return -ENOMEM;
			set->members = m;
		}
		memcpy(&set->members[set->n_members++], nla_data(a), sizeof(*m));
	}
	return 0;
}

/* A set's parts arrive in order; a part after the first extends it. */
static int kp_parse_ipset_part(struct nlattr **top, void *arg)
{
	struct nlattr *tb[KPLANE_IPSET_A_MAX + 1];
	struct kp_array *a = arg;
	struct kpl_ipset_info *set;

	if (!top[KPLANE_A_IPSET] ||
	    nla_parse_nested(tb, KPLANE_IPSET_A_MAX, top[KPLANE_A_IPSET], NULL) ||
	    !tb[KPLANE_IPSET_A_NAME])
		return -EPROTO;
	set = kp_array_continued(a, kp_get_u32_or0(tb[KPLANE_IPSET_A_FIRST_MEMBER]),
				 offsetof(struct kpl_ipset_info, name),
				 nla_get_string(tb[KPLANE_IPSET_A_NAME]));
	if (!set) {
		set = kp_array_push(a);
		if (!set)
			return -ENOMEM;
		snprintf(set->name, sizeof(set->name), "%s",
			 nla_get_string(tb[KPLANE_IPSET_A_NAME]));
	}
	set->count = kp_get_u32_or0(tb[KPLANE_IPSET_A_COUNT]);
	return kp_parse_ipset_members(top[KPLANE_A_IPSET], set);
}

static void kp_ipset_release_item(void *item)
{
	free(((struct kpl_ipset_info *)item)->members);
}

void kpl_ipsets_free(struct kpl_ipset_info *sets, size_t n)
{
	kp_items_release(sets, n, sizeof(*sets), kp_ipset_release_item);
	free(sets);
}

int kpl_ipset_list(struct kpl_handle *h, struct kpl_ipset_info **out, size_t *n)
{
	struct kp_array a = { .size = sizeof(**out), .release = kp_ipset_release_item,
			      .parse_reply = kp_parse_ipset_part };
	int err = kp_dump_array(h, KPLANE_CMD_IPSET_GET, &a);

	if (!err) {
		*out = a.items;
		*n = a.n;
	}
	return err;
}

/* --- policies --- */

static int kp_put_rule_side(struct nl_msg *msg, const struct kpl_rule *r, bool dst)
{
	struct nlattr *nest = nla_nest_start(msg, dst ? KPLANE_RULE_A_DST : KPLANE_RULE_A_SRC);
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < r->n_items; i++) {
		const struct kpl_rule_item *it = &r->items[i];
		int bad;

		if (it->dst != dst)
			continue;
		if (it->kind == KPLANE_SIDE_A_SET || it->kind == KPLANE_SIDE_A_NOT_SET)
			bad = nla_put_string(msg, it->kind, it->set);
		else if (it->kind == KPLANE_SIDE_A_PORT || it->kind == KPLANE_SIDE_A_NOT_PORT)
			bad = nla_put(msg, it->kind, sizeof(it->ports), &it->ports);
		else
			bad = nla_put(msg, it->kind, sizeof(it->prefix), &it->prefix);
		if (bad)
			return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int kp_put_opt_u8(struct nl_msg *msg, const struct kpl_rule *r, uint8_t bit, int type,
			 uint8_t v)
{
	return (r->has & bit) ? nla_put_u8(msg, type, v) : 0;
}

static int kpl_put_rule(struct nl_msg *msg, const struct kpl_rule *r)
{
	struct nlattr *nest = nla_nest_start(msg, r->dir == KPLANE_DIR_EGRESS ?
					     KPLANE_POL_A_EGRESS_RULE : KPLANE_POL_A_INGRESS_RULE);

	if (!nest || nla_put_u8(msg, KPLANE_RULE_A_ACTION, r->action) ||
	    kp_put_opt_u8(msg, r, KPL_HAS_PROTO, KPLANE_RULE_A_PROTO, r->proto) ||
	    kp_put_opt_u8(msg, r, KPL_HAS_NOT_PROTO, KPLANE_RULE_A_NOT_PROTO, r->not_proto) ||
	    kp_put_opt_u8(msg, r, KPL_HAS_ICMP_TYPE, KPLANE_RULE_A_ICMP_TYPE, r->icmp_type) ||
	    kp_put_opt_u8(msg, r, KPL_HAS_ICMP_CODE, KPLANE_RULE_A_ICMP_CODE, r->icmp_code) ||
	    kp_put_opt_u8(msg, r, KPL_HAS_NOT_ICMP_TYPE, KPLANE_RULE_A_NOT_ICMP_TYPE,
			  r->not_icmp_type) ||
	    kp_put_opt_u8(msg, r, KPL_HAS_NOT_ICMP_CODE, KPLANE_RULE_A_NOT_ICMP_CODE,
			  r->not_icmp_code) ||
	    kp_put_rule_side(msg, r, false) || kp_put_rule_side(msg, r, true))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static size_t kp_policy_size(const struct kpl_policy *pol)
{
	size_t size = 1024;
	unsigned int i;

	for (i = 0; i < pol->n_rules; i++)
		size += 64 + pol->rules[i].n_items * 72;
	return size;
}

int kpl_policy_set(struct kpl_handle *h, const struct kpl_policy *pol)
{
	struct nl_msg *msg = kp_msg_sized(h, KPLANE_CMD_POLICY_SET, 0, kp_policy_size(pol));
	struct nlattr *nest = msg ? nla_nest_start(msg, KPLANE_A_POLICY) : NULL;
	unsigned int i;
	int bad;

	bad = !nest || nla_put_string(msg, KPLANE_POL_A_ID, pol->id) ||
	      (pol->tier[0] && nla_put_string(msg, KPLANE_POL_A_TIER, pol->tier)) ||
	      (pol->has_order && nla_put_u32(msg, KPLANE_POL_A_ORDER, pol->order)) ||
	      (pol->types && nla_put_u8(msg, KPLANE_POL_A_TYPES, pol->types)) ||
	      (pol->apply_on_forward && nla_put_u8(msg, KPLANE_POL_A_APPLY_ON_FORWARD, 1));
	for (i = 0; !bad && i < pol->n_rules; i++)
		bad = kpl_put_rule(msg, &pol->rules[i]);
	return kp_send_change(h, msg, nest, bad);
}

int kpl_policy_del(struct kpl_handle *h, const char *id)
{
	struct nl_msg *msg = kp_msg(h, KPLANE_CMD_POLICY_DEL, 0);
	struct nlattr *nest = msg ? nla_nest_start(msg, KPLANE_A_POLICY) : NULL;

	return kp_send_change(h, msg, nest, !nest || nla_put_string(msg, KPLANE_POL_A_ID, id));
}

static int kp_parse_rule_side(struct nlattr *nest, bool dst, struct kpl_rule *r)
{
	struct nlattr *a;
	int rem;

	if (!nest)
		return 0;
	nla_for_each_nested(a, nest, rem) {
		struct kpl_rule_item *items = realloc(r->items, (r->n_items + 1) * sizeof(*items));
		struct kpl_rule_item *it;

		if (!items)
			return -ENOMEM;
		r->items = items;
		it = &items[r->n_items];
		memset(it, 0, sizeof(*it));
		it->dst = dst;
		it->kind = (uint8_t)nla_type(a);
		if (it->kind == KPLANE_SIDE_A_SET || it->kind == KPLANE_SIDE_A_NOT_SET)
			snprintf(it->set, sizeof(it->set), "%s", nla_get_string(a));
		else if ((it->kind == KPLANE_SIDE_A_PORT || it->kind == KPLANE_SIDE_A_NOT_PORT) &&
			 nla_len(a) == sizeof(it->ports))
			memcpy(&it->ports, nla_data(a), sizeof(it->ports));
		else if (nla_len(a) == sizeof(it->prefix))
			memcpy(&it->prefix, nla_data(a), sizeof(it->prefix));
		else
			return -EPROTO;
		r->n_items++;
	}
	return 0;
}

static void kp_get_opt_u8(struct nlattr **tb, int type, uint8_t bit, uint8_t *v, uint8_t *has)
{
	if (tb[type]) {
		*v = nla_get_u8(tb[type]);
		*has |= bit;
	}
}

static int kp_parse_rule(struct nlattr *nest, uint8_t dir, struct kpl_rule *r)
{
	struct nlattr *tb[KPLANE_RULE_A_MAX + 1];

	memset(r, 0, sizeof(*r));
	if (nla_parse_nested(tb, KPLANE_RULE_A_MAX, nest, NULL) || !tb[KPLANE_RULE_A_ACTION])
		return -EPROTO;
	r->dir = dir;
	r->action = nla_get_u8(tb[KPLANE_RULE_A_ACTION]);
	kp_get_opt_u8(tb, KPLANE_RULE_A_PROTO, KPL_HAS_PROTO, &r->proto, &r->has);
	kp_get_opt_u8(tb, KPLANE_RULE_A_NOT_PROTO, KPL_HAS_NOT_PROTO, &r->not_proto, &r->has);
	kp_get_opt_u8(tb, KPLANE_RULE_A_ICMP_TYPE, KPL_HAS_ICMP_TYPE, &r->icmp_type, &r->has);
	kp_get_opt_u8(tb, KPLANE_RULE_A_ICMP_CODE, KPL_HAS_ICMP_CODE, &r->icmp_code, &r->has);
	kp_get_opt_u8(tb, KPLANE_RULE_A_NOT_ICMP_TYPE, KPL_HAS_NOT_ICMP_TYPE, &r->not_icmp_type,
		      &r->has);
	kp_get_opt_u8(tb, KPLANE_RULE_A_NOT_ICMP_CODE, KPL_HAS_NOT_ICMP_CODE, &r->not_icmp_code,
		      &r->has);
	r->packets = kp_get_u64_or0(tb[KPLANE_RULE_A_PACKETS]);
	r->bytes = kp_get_u64_or0(tb[KPLANE_RULE_A_BYTES]);
	return kp_parse_rule_side(tb[KPLANE_RULE_A_SRC], false, r) ?:
	       kp_parse_rule_side(tb[KPLANE_RULE_A_DST], true, r);
}

static void kp_policy_release_item(void *item)
{
	kpl_policy_release(item);
}

void kpl_policies_free(struct kpl_policy *pols, size_t n)
{
	kp_items_release(pols, n, sizeof(*pols), kp_policy_release_item);
	free(pols);
}

static int kp_parse_policy_rules(struct nlattr *nest, struct kpl_policy *pol)
{
	struct nlattr *a;
	int rem, err;

	nla_for_each_nested(a, nest, rem) {
		uint8_t dir = nla_type(a) == KPLANE_POL_A_EGRESS_RULE ? KPLANE_DIR_EGRESS :
									  KPLANE_DIR_INGRESS;
		struct kpl_rule *rules;

		if (nla_type(a) != KPLANE_POL_A_INGRESS_RULE &&
		    nla_type(a) != KPLANE_POL_A_EGRESS_RULE)
			continue;
		rules = realloc(pol->rules, (pol->n_rules + 1) * sizeof(*rules));
		if (!rules)
			return -ENOMEM;
		pol->rules = rules;
		err = kp_parse_rule(a, dir, &rules[pol->n_rules]);
		pol->n_rules++;		/* counted: released even half-parsed */
		if (err)
			return err;
	}
	return 0;
}

/* A policy's parts arrive in order; a part after the first extends it. */
static int kp_parse_policy_part(struct nlattr **top, void *arg)
{
	struct kp_array *a = arg;
	struct nlattr *tb[KPLANE_POL_A_MAX + 1];
	struct kpl_policy *pol;

	if (!top[KPLANE_A_POLICY] ||
	    nla_parse_nested(tb, KPLANE_POL_A_MAX, top[KPLANE_A_POLICY], NULL) ||
	    !tb[KPLANE_POL_A_ID])
		return -EPROTO;
	pol = kp_array_continued(a, kp_get_u32_or0(tb[KPLANE_POL_A_FIRST_RULE]),
				 offsetof(struct kpl_policy, id), nla_get_string(tb[KPLANE_POL_A_ID]));
	if (!pol) {
		pol = kp_array_push(a);
		if (!pol)
			return -ENOMEM;
		snprintf(pol->id, sizeof(pol->id), "%s", nla_get_string(tb[KPLANE_POL_A_ID]));
		if (tb[KPLANE_POL_A_TIER])
			snprintf(pol->tier, sizeof(pol->tier), "%s",
				 nla_get_string(tb[KPLANE_POL_A_TIER]));
		pol->has_order = tb[KPLANE_POL_A_ORDER];
		pol->order = kp_get_u32_or0(tb[KPLANE_POL_A_ORDER]);
		pol->types = tb[KPLANE_POL_A_TYPES] ? nla_get_u8(tb[KPLANE_POL_A_TYPES]) : 0;
		pol->apply_on_forward = tb[KPLANE_POL_A_APPLY_ON_FORWARD] &&
					nla_get_u8(tb[KPLANE_POL_A_APPLY_ON_FORWARD]);
	}
	return kp_parse_policy_rules(top[KPLANE_A_POLICY], pol);
}

int kpl_policy_list(struct kpl_handle *h, struct kpl_policy **out, size_t *n)
{
	struct kp_array a = { .size = sizeof(**out), .release = kp_policy_release_item,
			      .parse_reply = kp_parse_policy_part };
	int err = kp_dump_array(h, KPLANE_CMD_POLICY_GET, &a);

	if (!err) {
		*out = a.items;
		*n = a.n;
	}
	return err;
}

/* --- trace --- */

static int kp_parse_step(struct nlattr *nest, struct kpl_trace_step *s)
{
	struct nlattr *tb[KPLANE_STEP_A_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (nla_parse_nested(tb, KPLANE_STEP_A_MAX, nest, NULL) || !tb[KPLANE_STEP_A_ENDPOINT] ||
	    !tb[KPLANE_STEP_A_DIR] || !tb[KPLANE_STEP_A_ACTION] || !tb[KPLANE_STEP_A_REASON])
		return -EPROTO;
	snprintf(s->endpoint, sizeof(s->endpoint), "%s",
		 nla_get_string(tb[KPLANE_STEP_A_ENDPOINT]));
	s->dir = nla_get_u8(tb[KPLANE_STEP_A_DIR]);
	s->action = nla_get_u8(tb[KPLANE_STEP_A_ACTION]);
	s->reason = nla_get_u8(tb[KPLANE_STEP_A_REASON]);
	s->forwarded = tb[KPLANE_STEP_A_FORWARDED] && nla_get_u8(tb[KPLANE_STEP_A_FORWARDED]);
	if (tb[KPLANE_STEP_A_TIER])
		snprintf(s->tier, sizeof(s->tier), "%s", nla_get_string(tb[KPLANE_STEP_A_TIER]));
	if (tb[KPLANE_STEP_A_POLICY])
		snprintf(s->policy, sizeof(s->policy), "%s",
			 nla_get_string(tb[KPLANE_STEP_A_POLICY]));
	s->rule = kp_get_u32_or0(tb[KPLANE_STEP_A_RULE]);
	return 0;
}

static int kp_parse_trace(struct nlattr **top, void *arg)
{
	struct kpl_trace_result *res = arg;
	struct nlattr *tb[KPLANE_TRACE_A_MAX + 1], *a;
	int rem;

	if (!top[KPLANE_A_TRACE] ||
	    nla_parse_nested(tb, KPLANE_TRACE_A_MAX, top[KPLANE_A_TRACE], NULL) ||
	    !tb[KPLANE_TRACE_A_VERDICT])
		return -EPROTO;
	res->verdict = nla_get_u8(tb[KPLANE_TRACE_A_VERDICT]);
	nla_for_each_nested(a, top[KPLANE_A_TRACE], rem) {
		if (nla_type(a) != KPLANE_TRACE_A_STEP)
			continue;
		if (res->n_steps == sizeof(res->steps) / sizeof(res->steps[0]) ||
		    kp_parse_step(a, &res->steps[res->n_steps]))
			return -EPROTO;
		res->n_steps++;
	}
	return 0;
}

int kpl_trace(struct kpl_handle *h, const struct kpl_trace *t, struct kpl_trace_result *out)
{
	struct nl_msg *msg = kp_msg(h, KPLANE_CMD_TRACE, 0);
	struct nlattr *nest = msg ? nla_nest_start(msg, KPLANE_A_TRACE) : NULL;
	bool icmp = t->proto == 1 || t->proto == 58;

	memset(out, 0, sizeof(*out));
	if (!nest || (t->endpoint[0] && nla_put_string(msg, KPLANE_TRACE_A_ENDPOINT, t->endpoint)) ||
	    nla_put_u8(msg, KPLANE_TRACE_A_PROTO, t->proto) ||
	    kpl_put_ip(msg, KPLANE_TRACE_A_SRC, &t->src) ||
	    kpl_put_ip(msg, KPLANE_TRACE_A_DST, &t->dst) ||
	    (!icmp && (nla_put_u16(msg, KPLANE_TRACE_A_SPORT, t->sport) ||
		       nla_put_u16(msg, KPLANE_TRACE_A_DPORT, t->dport))) ||
	    (icmp && (nla_put_u8(msg, KPLANE_TRACE_A_ICMP_TYPE, t->icmp_type) ||
		      nla_put_u8(msg, KPLANE_TRACE_A_ICMP_CODE, t->icmp_code)))) {
		nlmsg_free(msg);
		return kp_fail(h, -ENOMEM, "out of memory");
	}
	nla_nest_end(msg, nest);
	return kp_exchange(h, msg, kp_parse_trace, out);
}
