// SPDX-License-Identifier: GPL-2.0
/*
 * projectcalico.org/v3 objects: GlobalNetworkPolicy and NetworkPolicy,
 * Tier, GlobalNetworkSet and NetworkSet, HostEndpoint; see k8s.h.  What
 * the kernel cannot do (doNotTrack, preDNAT, service accounts, HTTP
 * matches) is refused with its reason, never ignored.
 */
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k8s_int.h"
#include "selector.h"

#define KP_NS_LABEL	"projectcalico.org/namespace"

/* metadata.name (and namespace when @namespaced) in one allocation at *@name. */
static int kp_cal_meta(struct fy_node *root, bool namespaced, char **name, char **ns,
		       const char **why)
{
	const char *n = kp_k8s_str(root, "/metadata/name");
	const char *s = namespaced ? kp_k8s_str(root, "/metadata/namespace") : NULL;
	size_t ln, ls;

	if (namespaced && !s)
		s = "default";
	if (!n || strlen(n) >= KP_K8S_NAME_MAX || (s && strlen(s) >= 64) ||
	    strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(n) ||
	    (s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(s))) {
		*why = "metadata.name or namespace is missing or not a DNS name";
		return -EINVAL;
	}
	ln = strlen(n) + 1;
	ls = s ? strlen(s) + 1 : 0;
	*name = malloc(ln + ls);
	if (!*name)
		return -ENOMEM;
	memcpy(*name, n, ln);
	*ns = s ? memcpy(*name + ln, s, ls) : NULL;
	return 0;
}

/* spec.order: a number, or absent (after every policy or tier with one). */
static int kp_cal_order(struct fy_node *spec, bool *has, double *order, const char **why)
{
	const char *s = kp_k8s_str(spec, "/order");
	char *end;

	*has = s != NULL;
	if (!s)
		return 0;
	*order = strtod(s, &end);
	if (*end || end == s || !isfinite(*order) || *order < 0 || *order > 4e6) {
		*why = "spec.order: not a number of 0..4000000";
		return -EINVAL;
	}
	return 0;
}

/* A Calico selector at @path scoped by @scope ("" or NULL: none), canonical, in *@out. */
static int kp_cal_selector(struct fy_node *n, const char *path, const char *scope, char **out,
			   const char **why)
{
	const char *text = kp_k8s_str(n, path);
	char *canon = NULL, *both;
	int err;

	*out = NULL;
	if (!text && !scope)
		return 0;
	err = kp_sel_canon(text ? text : "all()", NULL, &canon, why);
	if (err || !scope || !scope[0]) {
		*out = canon;
		return err;
	}
	if (asprintf(&both, "%s && (%s)", scope, canon) < 0)
		both = NULL;
	free(canon);
	*out = both;
	if (!both)
		return -ENOMEM;
	err = kp_k8s_sel_check(both, why);
	if (err) {
		free(both);
		*out = NULL;
	}
	return err;
}

/*
 * The scope of a rule's selector: its namespaceSelector (namespaces by
 * their labels; global(): no namespace, a GlobalNetworkSet or host
 * endpoint), else the policy's own namespace, else none.
 */
static int kp_cal_scope(struct fy_node *side, const char *ns, char **scope, const char **why)
{
	const char *text = kp_k8s_str(side, "/namespaceSelector");
	char *canon = NULL;
	int err;

	*scope = NULL;
	if (!text) {
		if (ns && asprintf(scope, KP_NS_LABEL " == \"%s\"", ns) < 0)
			return -ENOMEM;
		return 0;
	}
	if (!strcmp(text, "global()"))
		return (*scope = strdup("!has(" KP_NS_LABEL ")")) ? 0 : -ENOMEM;
	err = kp_sel_canon(text, "pcns.", &canon, why);
	if (!err && asprintf(scope, "has(" KP_NS_LABEL ") && (%s)", canon) < 0)
		err = -ENOMEM;
	free(canon);
	return err;
}

static int kp_cal_nets(struct fy_node *side, const char *path, struct kplane_prefix **out,
		       unsigned int *n, const char **why)
{
	struct fy_node *seq = kp_k8s_at(side, path), *item;
	void *iter = NULL;
	int err;

	*n = 0;
	err = kp_k8s_alloc_items(seq, KP_CAL_NETS_MAX, sizeof(**out), (void **)out,
				 "nets: not a list of at most 1024", why);
	while (!err && *out && (item = fy_node_sequence_iterate(seq, &iter))) {
		if (kp_k8s_cidr(kp_k8s_scalar(item), &(*out)[*n])) {
			*why = "nets: not a list of prefixes";
			return -EINVAL;
		}
		(*n)++;
	}
	return err;
}

/* 80, "8000:8080" or a port's name. */
static int kp_cal_port(const char *s, struct kp_cal_port *p)
{
	unsigned long a, b;
	const char *colon = s ? strchr(s, ':') : NULL;
	char first[8];

	if (!s)
		return -EINVAL;
	if (colon && (size_t)(colon - s) < sizeof(first)) {
		memcpy(first, s, colon - s);
		first[colon - s] = '\0';
		if (!kp_k8s_digits(first, &a) || !kp_k8s_digits(colon + 1, &b) || b < a || b > 65535)
			return -EINVAL;
		p->first = (uint16_t)a;
		p->last = (uint16_t)b;
		return 0;
	}
	if (kp_k8s_digits(s, &a))
		return a > 65535 ? -EINVAL : (p->first = p->last = (uint16_t)a, 0);
	if (!kp_k8s_label_name_ok(s, strlen(s), false) || strlen(s) >= sizeof(p->name))
		return -EINVAL;
	strcpy(p->name, s);
	return 0;
}

static int kp_cal_ports(struct fy_node *side, const char *path, struct kp_cal_port **out,
			unsigned int *n, bool names, const char **why)
{
	struct fy_node *seq = kp_k8s_at(side, path), *item;
	void *iter = NULL;
	int err;

	*n = 0;
	err = kp_k8s_alloc_items(seq, KP_K8S_NETPOL_ITEMS_MAX, sizeof(**out), (void **)out,
				 "ports: not a list of at most 64", why);
	while (!err && *out && (item = fy_node_sequence_iterate(seq, &iter))) {
		if (kp_cal_port(kp_k8s_scalar(item), &(*out)[*n])) {
			*why = "ports: not a port, a range first:last or a port's name";
			return -EINVAL;
		}
		if ((*out)[*n].name[0] && !names) {
			*why = "a port's name is only taken in destination ports";
			return -EINVAL;
		}
		(*n)++;
	}
	return err;
}

static const char *const kp_cal_unsupported[] = {
	"/serviceAccounts", "/services",
};

static int kp_cal_side(struct fy_node *rule, const char *key, const char *ns, bool dst,
		       struct kp_cal_side *side, const char **why)
{
	struct fy_node *n = kp_k8s_at(rule, key);
	char *scope = NULL;
	unsigned int i;
	int err;

	if (!n)
		return 0;
	for (i = 0; i < sizeof(kp_cal_unsupported) / sizeof(kp_cal_unsupported[0]); i++)
		if (kp_k8s_at(n, kp_cal_unsupported[i])) {
			*why = "service account and service matches are not supported";
			return -EINVAL;
		}
	err = kp_cal_scope(n, ns, &scope, why);
	/* A namespaced rule's notSelector is scoped too: Calico's RuleAPIV2ToBackend. */
	if (!err && (kp_k8s_str(n, "/selector") || kp_k8s_str(n, "/namespaceSelector") ||
		     (ns && kp_k8s_str(n, "/notSelector"))))
		err = kp_cal_selector(n, "/selector", scope, &side->selector, why);
	if (!err)
		err = kp_cal_selector(n, "/notSelector", NULL, &side->not_selector, why);
	free(scope);
	if (!err)
		err = kp_cal_nets(n, "/nets", &side->nets, &side->n_nets, why);
	if (!err)
		err = kp_cal_nets(n, "/notNets", &side->not_nets, &side->n_not_nets, why);
	if (!err)
		err = kp_cal_ports(n, "/ports", &side->ports, &side->n_ports, dst, why);
	if (!err)
		err = kp_cal_ports(n, "/notPorts", &side->not_ports, &side->n_not_ports, false, why);
	return err;
}

/* "TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite" or 1..255. */
static int kp_cal_proto(const char *s, uint8_t *proto)
{
	static const struct { const char *name; uint8_t proto; } names[] = {
		{ "TCP", IPPROTO_TCP }, { "UDP", IPPROTO_UDP }, { "ICMP", IPPROTO_ICMP },
		{ "ICMPv6", IPPROTO_ICMPV6 }, { "SCTP", IPPROTO_SCTP }, { "UDPLite", IPPROTO_UDPLITE },
	};
	unsigned long v;
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return (*proto = names[i].proto), 0;
	if (!kp_k8s_digits(s, &v) || !v || v > 255)
		return -EINVAL;
	*proto = (uint8_t)v;
	return 0;
}

static int kp_cal_opt_u8(struct fy_node *n, const char *path, uint8_t bit, uint8_t max,
			 uint8_t *out, uint8_t *has)
{
	const char *s = kp_k8s_str(n, path);
	unsigned long v;

	if (!s)
		return 0;
	if (!kp_k8s_digits(s, &v) || v > max)
		return -EINVAL;
	*out = (uint8_t)v;
	*has |= bit;
	return 0;
}

static int kp_cal_action(const char *s, uint8_t *action)
{
	static const char *const names[] = {
		[KPLANE_ACTION_ALLOW] = "Allow", [KPLANE_ACTION_DENY] = "Deny",
		[KPLANE_ACTION_PASS] = "Pass", [KPLANE_ACTION_LOG] = "Log",
	};
	uint8_t i;

	for (i = 0; s && i < __KPLANE_ACTION_MAX; i++)
		if (!strcmp(s, names[i]))
			return (*action = i), 0;
	return -EINVAL;
}

/* The protocol and ICMP fields of a rule. */
static int kp_cal_match(struct fy_node *n, struct kp_cal_rule *r, const char **why)
{
	const char *proto = kp_k8s_str(n, "/protocol"), *not = kp_k8s_str(n, "/notProtocol");
	const char *ipv = kp_k8s_str(n, "/ipVersion");

	*why = "protocol or notProtocol is not a protocol's name or number";
	if (proto && kp_cal_proto(proto, &r->proto))
		return -EINVAL;
	if (not && kp_cal_proto(not, &r->not_proto))
		return -EINVAL;
	r->has |= (proto ? KPL_HAS_PROTO : 0) | (not ? KPL_HAS_NOT_PROTO : 0);
	*why = "icmp or notICMP: type 0..254, code 0..255, code only with a type";
	if (kp_cal_opt_u8(n, "/icmp/type", KPL_HAS_ICMP_TYPE, 254, &r->icmp_type, &r->has) ||
	    kp_cal_opt_u8(n, "/icmp/code", KPL_HAS_ICMP_CODE, 255, &r->icmp_code, &r->has) ||
	    kp_cal_opt_u8(n, "/notICMP/type", KPL_HAS_NOT_ICMP_TYPE, 254, &r->not_icmp_type,
			  &r->has) ||
	    kp_cal_opt_u8(n, "/notICMP/code", KPL_HAS_NOT_ICMP_CODE, 255, &r->not_icmp_code,
			  &r->has) ||
	    ((r->has & KPL_HAS_ICMP_CODE) && !(r->has & KPL_HAS_ICMP_TYPE)) ||
	    ((r->has & KPL_HAS_NOT_ICMP_CODE) && !(r->has & KPL_HAS_NOT_ICMP_TYPE)))
		return -EINVAL;
	if (ipv && strcmp(ipv, "4") && strcmp(ipv, "6")) {
		*why = "ipVersion is neither 4 nor 6";
		return -EINVAL;
	}
	r->ip_version = ipv ? (uint8_t)(ipv[0] - '0') : 0;
	return 0;
}

static int kp_cal_rule(struct fy_node *n, const char *ns, struct kp_cal_rule *r, const char **why)
{
	int err;

	if (kp_cal_action(kp_k8s_str(n, "/action"), &r->action)) {
		*why = "a rule's action is not Allow, Deny, Pass or Log";
		return -EINVAL;
	}
	if (kp_k8s_at(n, "/http")) {
		*why = "HTTP matches are not supported";
		return -EINVAL;
	}
	err = kp_cal_match(n, r, why);
	if (!err)
		err = kp_cal_side(n, "/source", ns, false, &r->src, why);
	if (!err)
		err = kp_cal_side(n, "/destination", ns, true, &r->dst, why);
	if (!err && (r->src.n_ports || r->src.n_not_ports || r->dst.n_ports || r->dst.n_not_ports) &&
	    (!(r->has & KPL_HAS_PROTO) || (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP &&
					 r->proto != IPPROTO_SCTP && r->proto != IPPROTO_UDPLITE))) {
		*why = "ports need protocol TCP, UDP, SCTP or UDPLite";
		err = -EINVAL;
	}
	return err;
}

static int kp_cal_rules(struct fy_node *spec, enum kplane_dir dir, struct kp_cal_policy *pol,
			const char **why)
{
	struct fy_node *seq = kp_k8s_at(spec, dir == KPLANE_DIR_INGRESS ? "/ingress" : "/egress");
	struct fy_node *item;
	void *iter = NULL;
	int err;

	err = kp_k8s_alloc_items(seq, KP_CAL_RULES_MAX, sizeof(*pol->rules[dir]),
				 (void **)&pol->rules[dir], "ingress or egress: not a list of at "
				 "most 1024 rules", why);
	while (!err && pol->rules[dir] && (item = fy_node_sequence_iterate(seq, &iter)))
		err = kp_cal_rule(item, pol->ns, &pol->rules[dir][pol->n_rules[dir]++], why);
	return err;
}

/*
 * spec.types; absent, Calico's default: the directions it has rules for,
 * Ingress when it has none.
 */
static int kp_cal_types(struct fy_node *spec, struct kp_cal_policy *pol, const char **why)
{
	struct fy_node *seq = kp_k8s_at(spec, "/types"), *item = NULL;
	void *iter = NULL;

	if (!seq || kp_k8s_is_null(seq) ||
	    (fy_node_is_sequence(seq) && !fy_node_sequence_item_count(seq))) {
		pol->types = (pol->n_rules[KPLANE_DIR_INGRESS] ? KPLANE_POLICY_INGRESS : 0) |
			     (pol->n_rules[KPLANE_DIR_EGRESS] ? KPLANE_POLICY_EGRESS : 0);
		if (!pol->types)
			pol->types = KPLANE_POLICY_INGRESS;
		return 0;
	}
	while (fy_node_is_sequence(seq) && (item = fy_node_sequence_iterate(seq, &iter))) {
		const char *s = kp_k8s_scalar(item);

		if (s && !strcmp(s, "Ingress"))
			pol->types |= KPLANE_POLICY_INGRESS;
		else if (s && !strcmp(s, "Egress"))
			pol->types |= KPLANE_POLICY_EGRESS;
		else
			break;
	}
	if (!fy_node_is_sequence(seq) || item) {
		*why = "spec.types: not a list of Ingress and Egress";
		return -EINVAL;
	}
	return 0;
}

/* What the kernel cannot do, refused with its reason. */
static int kp_cal_refuse(struct fy_node *spec, const char **why)
{
	const char *s;

	if ((s = kp_k8s_str(spec, "/doNotTrack")) && !strcmp(s, "true")) {
		*why = "doNotTrack: kplane evaluates policy on tracked flows only";
		return -EINVAL;
	}
	if ((s = kp_k8s_str(spec, "/preDNAT")) && !strcmp(s, "true")) {
		*why = "preDNAT: kplane evaluates host endpoint policy after service NAT";
		return -EINVAL;
	}
	if (kp_k8s_at(spec, "/serviceAccountSelector")) {
		*why = "serviceAccountSelector is not supported";
		return -EINVAL;
	}
	return 0;
}

/* The endpoints a policy applies to: its selector, scoped to its namespace or namespaceSelector. */
static int kp_cal_applies(struct fy_node *spec, struct kp_cal_policy *pol, const char **why)
{
	char *scope = NULL;
	int err = 0;

	if (pol->ns && asprintf(&scope, KP_NS_LABEL " == \"%s\"", pol->ns) < 0)
		return -ENOMEM;
	if (!pol->ns && kp_k8s_str(spec, "/namespaceSelector"))
		err = kp_cal_scope(spec, NULL, &scope, why);
	if (!err)
		err = kp_cal_selector(spec, "/selector", scope ? scope : "", &pol->selector, why);
	if (!err && !pol->selector)
		pol->selector = strdup("all()");
	free(scope);
	return err || pol->selector ? err : -ENOMEM;
}

int kp_cal_policy_read(struct fy_node *root, struct kp_cal_policy *pol, const char **why)
{
	const char *kind = kp_k8s_str(root, "/kind"), *tier, *fwd;
	struct fy_node *spec = kp_k8s_at(root, "/spec");
	int err;

	memset(pol, 0, sizeof(*pol));
	err = kp_cal_meta(root, kind && !strcmp(kind, "NetworkPolicy"), &pol->name, &pol->ns, why);
	if (err)
		return err;
	tier = kp_k8s_str(spec, "/tier");
	fwd = kp_k8s_str(spec, "/applyOnForward");
	pol->apply_on_forward = fwd && !strcmp(fwd, "true");
	err = kp_cal_refuse(spec, why);
	if (!err && tier && (!kp_k8s_label_name_ok(tier, strlen(tier), false) || strlen(tier) > 40)) {
		*why = "spec.tier: not a name of at most 40";
		err = -EINVAL;
	}
	if (!err && !(pol->tier = strdup(tier ? tier : "default")))
		err = -ENOMEM;
	if (!err)
		err = kp_cal_order(spec, &pol->has_order, &pol->order, why);
	if (!err)
		err = kp_cal_applies(spec, pol, why);
	if (!err)
		err = kp_cal_rules(spec, KPLANE_DIR_INGRESS, pol, why);
	if (!err)
		err = kp_cal_rules(spec, KPLANE_DIR_EGRESS, pol, why);
	if (!err)
		err = kp_cal_types(spec, pol, why);
	if (err)
		kp_cal_policy_free(pol);
	return err;
}

static void kp_cal_side_free(struct kp_cal_side *s)
{
	free(s->selector);
	free(s->not_selector);
	free(s->nets);
	free(s->not_nets);
	free(s->ports);
	free(s->not_ports);
}

void kp_cal_policy_free(struct kp_cal_policy *pol)
{
	unsigned int d, i;

	for (d = 0; d < 2; d++) {
		for (i = 0; i < pol->n_rules[d]; i++) {
			kp_cal_side_free(&pol->rules[d][i].src);
			kp_cal_side_free(&pol->rules[d][i].dst);
		}
		free(pol->rules[d]);
	}
	free(pol->name);
	free(pol->tier);
	free(pol->selector);
	memset(pol, 0, sizeof(*pol));
}

int kp_cal_tier_read(struct fy_node *root, struct kp_cal_tier *tier, const char **why)
{
	char *ns;
	int err;

	memset(tier, 0, sizeof(*tier));
	err = kp_cal_meta(root, false, &tier->name, &ns, why);
	if (!err && strlen(tier->name) > 40) {
		*why = "metadata.name: a tier's name is at most 40";
		err = -EINVAL;
	}
	if (!err)
		err = kp_cal_order(kp_k8s_at(root, "/spec"), &tier->has_order, &tier->order, why);
	if (err)
		kp_cal_tier_free(tier);
	return err;
}

void kp_cal_tier_free(struct kp_cal_tier *tier)
{
	free(tier->name);
	memset(tier, 0, sizeof(*tier));
}

int kp_cal_netset_read(struct fy_node *root, struct kp_cal_netset *set, const char **why)
{
	const char *kind = kp_k8s_str(root, "/kind");
	int err;

	memset(set, 0, sizeof(*set));
	err = kp_cal_meta(root, kind && !strcmp(kind, "NetworkSet"), &set->name, &set->ns, why);
	if (!err)
		err = kp_k8s_labels_read(root, 0, &set->labels, &set->n_labels, why);
	if (!err)
		err = kp_cal_nets(kp_k8s_at(root, "/spec"), "/nets", &set->nets, &set->n_nets, why);
	if (err)
		kp_cal_netset_free(set);
	return err;
}

void kp_cal_netset_free(struct kp_cal_netset *set)
{
	free(set->name);
	kp_k8s_labels_free(set->labels, set->n_labels);
	free(set->nets);
	memset(set, 0, sizeof(*set));
}

static int kp_hep_ips(struct fy_node *spec, struct kp_cal_hep *hep, const char **why)
{
	struct fy_node *seq = kp_k8s_at(spec, "/expectedIPs"), *item;
	void *iter = NULL;

	while (seq && fy_node_is_sequence(seq) && (item = fy_node_sequence_iterate(seq, &iter))) {
		if (hep->n_ips == KPLANE_EP_ADDR_MAX ||
		    kp_k8s_ip(kp_k8s_scalar(item), &hep->ips[hep->n_ips])) {
			*why = "spec.expectedIPs: not a list of at most 8 addresses";
			return -EINVAL;
		}
		hep->n_ips++;
	}
	return 0;
}

int kp_cal_hep_read(struct fy_node *root, struct kp_cal_hep *hep, const char **why)
{
	struct fy_node *spec = kp_k8s_at(root, "/spec");
	const char *node = kp_k8s_str(spec, "/node");
	char *ns;
	int err;

	memset(hep, 0, sizeof(*hep));
	err = kp_cal_meta(root, false, &hep->name, &ns, why);
	if (!err && (!node || !(hep->node = strdup(node)))) {
		*why = "spec.node is missing";
		err = node ? -ENOMEM : -EINVAL;
	}
	if (!err && kp_k8s_copy(hep->ifname, sizeof(hep->ifname), kp_k8s_str(spec, "/interfaceName"),
				"spec.interfaceName is missing or longer than 15", why))
		err = -EINVAL;
	if (!err)
		err = kp_hep_ips(spec, hep, why);
	if (!err)
		err = kp_k8s_labels_read(root, 0, &hep->labels, &hep->n_labels, why);
	if (err)
		kp_cal_hep_free(hep);
	return err;
}

void kp_cal_hep_free(struct kp_cal_hep *hep)
{
	free(hep->name);
	free(hep->node);
	kp_k8s_labels_free(hep->labels, hep->n_labels);
	memset(hep, 0, sizeof(*hep));
}
