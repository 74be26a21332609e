// SPDX-License-Identifier: GPL-2.0
/*
 * Policy syntax for kplanectl (see args.h).  Syntax only, as args.c: the
 * kernel checks values (upside-down ranges, ICMP without a protocol, ...)
 * and its message is what the CLI prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "args.h"

const char *const kp_action_names[__KPLANE_ACTION_MAX] = {
	[KPLANE_ACTION_ALLOW] = "allow",
	[KPLANE_ACTION_DENY] = "deny",
	[KPLANE_ACTION_PASS] = "pass",
	[KPLANE_ACTION_LOG] = "log",
};

const char *const kp_reason_names[__KPLANE_REASON_MAX] = {
	[KPLANE_REASON_NO_POLICY] = "no policy",
	[KPLANE_REASON_RULE] = "rule",
	[KPLANE_REASON_END_OF_TIER] = "end of tier",
	[KPLANE_REASON_PASSED] = "passed every tier",
};

const char *const kp_dir_names[__KPLANE_DIR_MAX] = {
	[KPLANE_DIR_INGRESS] = "ingress",
	[KPLANE_DIR_EGRESS] = "egress",
};

/* Item keywords, indexed by KPLANE_SIDE_A_*. */
static const char *const kp_item_names[KPLANE_SIDE_A_MAX + 1] = {
	[KPLANE_SIDE_A_NET] = "net",
	[KPLANE_SIDE_A_NOT_NET] = "not-net",
	[KPLANE_SIDE_A_SET] = "set",
	[KPLANE_SIDE_A_NOT_SET] = "not-set",
	[KPLANE_SIDE_A_PORT] = "port",
	[KPLANE_SIDE_A_NOT_PORT] = "not-port",
};

int kp_args_prefix(const char *s, struct kplane_prefix *out)
{
	char buf[64], *slash;
	struct kpl_ip ip;
	unsigned long len;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (kp_args_ip(buf, &ip))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)ip.family;
	memcpy(out->addr, ip.ip, sizeof(out->addr));
	len = ip.family == AF_INET ? 32 : 128;
	if (slash && kp_args_uint(slash + 1, 0, 255, &len))
		return -EINVAL;
	out->len = (uint8_t)len;	/* too long for the family: the kernel says so */
	return 0;
}

int kp_args_proto(const char *s, uint8_t *out)
{
	static const struct { const char *name; uint8_t proto; } names[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 }, { "icmpv6", 58 },
	};
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].proto;
			return 0;
		}
	}
	if (kp_args_uint(s, 0, 255, &v))
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

/* "P" or "P-Q", 0..65535 each. */
static int kp_args_ports(const char *s, struct kplane_port_range *out)
{
	char buf[16], *dash;
	unsigned long lo, hi;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (kp_args_uint(buf, 0, 65535, &lo) ||
	    (dash && kp_args_uint(dash + 1, 0, 65535, &hi)))
		return -EINVAL;
	out->first = (uint16_t)lo;
	out->last = (uint16_t)(dash ? hi : lo);
	return 0;
}

/* "T" or "T/C". */
static int kp_args_icmp(const char *s, uint8_t *type, uint8_t *code, bool *has_code)
{
	char buf[16], *slash;
	unsigned long t, c = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (kp_args_uint(buf, 0, 255, &t) || (slash && kp_args_uint(slash + 1, 0, 255, &c)))
		return -EINVAL;
	*type = (uint8_t)t;
	*code = (uint8_t)c;
	*has_code = slash;
	return 0;
}

static int kp_rule_item(struct kpl_rule *r, int side, int kind, const char *val,
			const char **why)
{
	struct kpl_rule_item *items, *it;
	int bad;

	if (side < 0) {
		*why = "net, set and port criteria follow \"from\" or \"to\"";
		return -EINVAL;
	}
	items = realloc(r->items, (r->n_items + 1) * sizeof(*items));
	if (!items) {
		*why = "out of memory";
		return -ENOMEM;
	}
	r->items = items;
	it = &items[r->n_items];
	memset(it, 0, sizeof(*it));
	it->dst = side;
	it->kind = (uint8_t)kind;
	if (kind == KPLANE_SIDE_A_SET || kind == KPLANE_SIDE_A_NOT_SET) {
		bad = strlen(val) >= sizeof(it->set);
		if (!bad)
			strcpy(it->set, val);
		*why = "IP set name is too long";
	} else if (kind == KPLANE_SIDE_A_PORT || kind == KPLANE_SIDE_A_NOT_PORT) {
		bad = kp_args_ports(val, &it->ports);
		*why = "ports are PORT or FIRST-LAST";
	} else {
		bad = kp_args_prefix(val, &it->prefix);
		*why = "nets are ADDR/LEN or ADDR";
	}
	if (bad)
		return -EINVAL;
	r->n_items++;
	*why = NULL;
	return 0;
}

/* One keyword (and its value) of a rule; *@used says how many words it took. */
static int kp_rule_word(struct kpl_rule *r, int *side, int argc, char **argv, int *used,
			const char **why)
{
	const char *key = argv[0], *val = argc > 1 ? argv[1] : NULL;
	bool has_code;
	int kind;

	*used = 1;
	if (!strcmp(key, "from") || !strcmp(key, "to")) {
		*side = !strcmp(key, "to");
		return 0;
	}
	*used = 2;
	if (!val) {
		*why = "rule keyword without a value";
		return -EINVAL;
	}
	if (!strcmp(key, "proto") || !strcmp(key, "not-proto")) {
		bool not = key[0] == 'n';

		r->has |= not ? KPL_HAS_NOT_PROTO : KPL_HAS_PROTO;
		*why = "protocol is tcp, udp, sctp, icmp, icmpv6 or 0..255";
		return kp_args_proto(val, not ? &r->not_proto : &r->proto);
	}
	if (!strcmp(key, "icmp") || !strcmp(key, "not-icmp")) {
		bool not = key[0] == 'n';

		*why = "ICMP is TYPE or TYPE/CODE";
		if (kp_args_icmp(val, not ? &r->not_icmp_type : &r->icmp_type,
				 not ? &r->not_icmp_code : &r->icmp_code, &has_code))
			return -EINVAL;
		r->has |= not ? KPL_HAS_NOT_ICMP_TYPE : KPL_HAS_ICMP_TYPE;
		if (has_code)
			r->has |= not ? KPL_HAS_NOT_ICMP_CODE : KPL_HAS_ICMP_CODE;
		return 0;
	}
	/* Index 0 (KPLANE_SIDE_A_UNSPEC) has no name. */
	kind = kp_args_name(key, kp_item_names + 1, KPLANE_SIDE_A_MAX) + 1;
	if (kind <= 0) {
		*why = "unknown rule keyword (proto, not-proto, icmp, not-icmp, from, to, "
		       "net, not-net, set, not-set, port, not-port)";
		return -EINVAL;
	}
	return kp_rule_item(r, *side, kind, val, why);
}

static bool kp_is_dir(const char *s)
{
	return !strcmp(s, "ingress") || !strcmp(s, "egress");
}

/* "ingress|egress ACTION [WORD]..." up to the next direction; returns words used. */
static int kp_args_rule(int argc, char **argv, struct kpl_rule *r, const char **why)
{
	int i = 2, used, side = -1, action;

	memset(r, 0, sizeof(*r));
	r->dir = !strcmp(argv[0], "egress") ? KPLANE_DIR_EGRESS : KPLANE_DIR_INGRESS;
	action = argc > 1 ? kp_args_name(argv[1], kp_action_names, __KPLANE_ACTION_MAX) : -1;
	if (action < 0) {
		*why = "a rule starts with its action: allow, deny, pass or log";
		return -EINVAL;
	}
	r->action = (uint8_t)action;
	while (i < argc && !kp_is_dir(argv[i])) {
		if (kp_rule_word(r, &side, argc - i, argv + i, &used, why))
			return -EINVAL;
		i += used;
	}
	*why = NULL;
	return i;
}

static int kp_args_types(const char *s, uint8_t *types)
{
	if (!strcmp(s, "ingress"))
		*types = KPLANE_POLICY_INGRESS;
	else if (!strcmp(s, "egress"))
		*types = KPLANE_POLICY_EGRESS;
	else if (!strcmp(s, "ingress,egress") || !strcmp(s, "egress,ingress"))
		*types = KPLANE_POLICY_INGRESS | KPLANE_POLICY_EGRESS;
	else
		return -EINVAL;
	return 0;
}

static int kp_args_policy_head(const char *key, const char *val, struct kpl_policy *pol,
			       const char **why)
{
	unsigned long order;

	if (!val) {
		*why = "keyword without a value";
		return -EINVAL;
	}
	if (!strcmp(key, "tier")) {
		*why = "tier name is too long";
		if (strlen(val) >= sizeof(pol->tier))
			return -EINVAL;
		strcpy(pol->tier, val);
	} else if (!strcmp(key, "order")) {
		*why = "order is 0..4294967295";
		if (kp_args_uint(val, 0, UINT32_MAX, &order))
			return -EINVAL;
		pol->order = (uint32_t)order;
		pol->has_order = true;
	} else if (!strcmp(key, "types")) {
		*why = "types is ingress, egress or ingress,egress";
		if (kp_args_types(val, &pol->types))
			return -EINVAL;
	} else if (!strcmp(key, "apply-on-forward")) {
		*why = "apply-on-forward is true or false";
		if (strcmp(val, "true") && strcmp(val, "false"))
			return -EINVAL;
		pol->apply_on_forward = !strcmp(val, "true");
	} else {
		*why = "expected tier, order, types, apply-on-forward, ingress or egress";
		return -EINVAL;
	}
	*why = NULL;
	return 0;
}

int kp_args_policy(int argc, char **argv, struct kpl_policy *pol, const char **why)
{
	int i = 1, used;

	memset(pol, 0, sizeof(*pol));
	if (argc < 1 || strlen(argv[0]) >= sizeof(pol->id)) {
		*why = argc < 1 ? "missing policy id" : "id is too long";
		return -EINVAL;
	}
	strcpy(pol->id, argv[0]);
	for (; i < argc && !kp_is_dir(argv[i]); i += 2)
		if (kp_args_policy_head(argv[i], i + 1 < argc ? argv[i + 1] : NULL, pol, why))
			return -EINVAL;
	while (i < argc) {
		struct kpl_rule *rules = realloc(pol->rules, (pol->n_rules + 1) * sizeof(*rules));

		if (!rules) {
			*why = "out of memory";
			return -ENOMEM;
		}
		pol->rules = rules;
		used = kp_args_rule(argc - i, argv + i, &rules[pol->n_rules++], why);
		if (used < 0)
			return -EINVAL;
		i += used;
	}
	return 0;
}

int kp_args_attach(const char *dir, const char *val, struct kpl_endpoint *ep, const char **why)
{
	uint8_t d = !strcmp(dir, "egress") ? KPLANE_DIR_EGRESS : KPLANE_DIR_INGRESS;
	char tier[KPLANE_ID_MAX];
	const char *colon = strchr(val, ':'), *p;

	if (!colon || colon == val || (size_t)(colon - val) >= sizeof(tier)) {
		*why = "policies are given as TIER:[POLICY[,POLICY]...]";
		return -EINVAL;
	}
	memcpy(tier, val, (size_t)(colon - val));
	tier[colon - val] = '\0';
	*why = "tier or policy name is too long";
	if (!colon[1])
		return kpl_endpoint_attach(ep, d, tier, "", 0);
	for (p = colon + 1; *p; ) {
		size_t len = strcspn(p, ",");

		if (!len) {
			*why = "empty policy name";
			return -EINVAL;
		}
		if (kpl_endpoint_attach(ep, d, tier, p, len))
			return -EINVAL;
		p += len + (p[len] == ',');
	}
	*why = NULL;
	return 0;
}

/* "ADDR:PORT", "[ADDR6]:PORT" (ports) or a bare address (no ports). */
static int kp_args_trace_addr(const char *s, bool ports, struct kpl_ip *ip, uint16_t *port)
{
	*port = 0;
	if (ports)
		return kp_args_hostport(s, strlen(s), ip, port);
	return kp_args_ip(s, ip);
}

int kp_args_trace(int argc, char **argv, struct kpl_trace *t, const char **why)
{
	unsigned long v;
	bool ports;
	int i;

	memset(t, 0, sizeof(*t));
	*why = "usage: ENDPOINT|- PROTO SRC DST [type T] [code C]";
	if (argc < 4 || (argc - 4) % 2)
		return -EINVAL;
	if (strcmp(argv[0], "-")) {
		if (strlen(argv[0]) >= sizeof(t->endpoint))
			return -EINVAL;
		strcpy(t->endpoint, argv[0]);
	}
	*why = "protocol is tcp, udp, sctp, icmp, icmpv6 or 0..255";
	if (kp_args_proto(argv[1], &t->proto))
		return -EINVAL;
	ports = t->proto == 6 || t->proto == 17 || t->proto == 132;
	*why = ports ? "addresses are ADDR:PORT or [ADDR6]:PORT for this protocol" :
		       "addresses are plain IPv4 or IPv6 addresses for this protocol";
	if (kp_args_trace_addr(argv[2], ports, &t->src, &t->sport) ||
	    kp_args_trace_addr(argv[3], ports, &t->dst, &t->dport))
		return -EINVAL;
	for (i = 4; i < argc; i += 2) {
		*why = "type and code are 0..255";
		if (kp_args_uint(argv[i + 1], 0, 255, &v))
			return -EINVAL;
		if (!strcmp(argv[i], "type"))
			t->icmp_type = (uint8_t)v;
		else if (!strcmp(argv[i], "code"))
			t->icmp_code = (uint8_t)v;
		else
			return -EINVAL;
	}
	*why = NULL;
	return 0;
}
