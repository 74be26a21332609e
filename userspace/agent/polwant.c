// SPDX-License-Identifier: GPL-2.0
/*
 * NetworkPolicies and Calico's policies compiled into the kernel's terms
 * (see agent.h): IP sets, policies in their tiers, and each local
 * endpoint's attachments, read from the label index (polindex.c).  The
 * diff against the kernel is poldiff.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <search.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "pol_int.h"
#include "selector.h"

#define KP_NP_TIER	"default"
#define KP_NP_ORDER	1000

/* --- sets --- */

/* qsort() that takes an empty array at NULL. */
void kp_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n)
		qsort(base, n, size, cmp);
}

static uint64_t kp_fnv64(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

int kp_pset_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kp_pset *)a)->name, ((const struct kp_pset *)b)->name);
}

int kp_member_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct kplane_prefix));
}

/* The set named @name of the sync, added (empty) if new; NULL: no memory. */
static struct kp_pset *kp_pset_get(struct kp_pol_want *pw, const char *name, const char *sel,
				   uint8_t proto, const char *port_name, uint16_t port)
{
	struct kp_pset *s, **slot, probe;

	snprintf(probe.name, sizeof(probe.name), "%s", name);
	slot = tfind(&probe, &pw->set_tree, kp_pset_cmp);
	if (slot)
		return *slot;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->proto = proto;
	s->port = port;
	snprintf(s->port_name, sizeof(s->port_name), "%s", port_name ? port_name : "");
	if ((sel && !(s->selector = strdup(sel))) || !tsearch(s, &pw->set_tree, kp_pset_cmp)) {
		free(s->selector);
		free(s);
		return NULL;
	}
	pw->n_sets++;
	return s;
}

/*
 * The set of the pods @sel (canonical) selects: "s:" and a hash of it; a
 * hash another selector has (the text is a tenant's) takes a suffix.
 */
static int kp_sel_set(struct kp_pol_want *pw, const char *sel, char name[KPLANE_ID_MAX])
{
	unsigned long long h = (unsigned long long)kp_fnv64(sel);
	struct kp_pset *s;
	unsigned int i;

	for (i = 0; i < 64; i++) {
		snprintf(name, KPLANE_ID_MAX, i ? "s:%016llx.%u" : "s:%016llx", h, i);
		s = kp_pset_get(pw, name, sel, 0, NULL, 0);
		if (!s)
			return -ENOMEM;
		if (s->selector && !strcmp(s->selector, sel))
			return 0;
	}
	return -E2BIG;
}

void kp_port_set_name(char name[KPLANE_ID_MAX], uint8_t proto, const char *port_name,
		      uint16_t port)
{
	snprintf(name, KPLANE_ID_MAX, "np:%u:%s:%u", proto, port_name, port);
}

/* The set of the pods whose port @port_name (@proto) is @port. */
static int kp_port_set(struct kp_pol_want *pw, uint8_t proto, const char *port_name,
		       uint16_t port, char name[KPLANE_ID_MAX])
{
	kp_port_set_name(name, proto, port_name, port);
	return kp_pset_get(pw, name, NULL, proto, port_name, port) ? 0 : -ENOMEM;
}

/* Sorted, each member once: as they are compared. */
void kp_pset_settle(struct kp_pset *s)
{
	unsigned int i, n = 0;

	kp_sort(s->m, s->n, sizeof(*s->m), kp_member_cmp);
	for (i = 0; i < s->n; i++)
		if (!n || kp_member_cmp(&s->m[n - 1], &s->m[i]))
			s->m[n++] = s->m[i];
	s->n = n;
}

/* Says (once) what is left out of what the objects ask, and why: kplaned logs and counts it. */
static int kp_left_out(struct kp_pol_want *pw, const char *fmt, ...)
{
	unsigned int i;
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	for (i = 0; i < pw->n_refused && strcmp(pw->refused[i], s); i++)
		;
	if (i == pw->n_refused &&
	    !kp_grow((void **)&pw->refused, pw->n_refused, &pw->cap_refused, sizeof(*pw->refused))) {
		free(s);
		return -ENOMEM;
	}
	if (i < pw->n_refused)
		free(s);
	else
		pw->refused[pw->n_refused++] = s;
	return 0;
}

/* --- rules --- */

static struct kpl_rule_item *kp_item_add(struct kpl_rule *r, bool dst, uint8_t kind)
{
	struct kpl_rule_item *it = realloc(r->items, (r->n_items + 1) * sizeof(*it));

	if (!it)
		return NULL;
	r->items = it;
	it += r->n_items++;
	memset(it, 0, sizeof(*it));	/* compared whole: see kp_item_cmp() */
	it->dst = dst;
	it->kind = kind;
	return it;
}

/* The peer's side of a rule: a set of pods, or a block with its exceptions. */
static int kp_peer_items(struct kp_pol_want *pw, struct kpl_rule *r, bool dst,
			 const struct kp_k8s_np_peer *peer)
{
	struct kpl_rule_item *it;
	unsigned int i;

	if (!peer)
		return 0;
	if (peer->selector) {
		it = kp_item_add(r, dst, KPLANE_SIDE_A_SET);
		return it ? kp_sel_set(pw, peer->selector, it->set) : -ENOMEM;
	}
	it = kp_item_add(r, dst, KPLANE_SIDE_A_NET);
	if (!it)
		return -ENOMEM;
	it->prefix = peer->cidr;
	for (i = 0; i < peer->n_except; i++) {
		it = kp_item_add(r, dst, KPLANE_SIDE_A_NOT_NET);
		if (!it)
			return -ENOMEM;
		it->prefix = peer->except[i];
	}
	return 0;
}

/*
 * The destination ports a rule matches: @proto's numbered ports (port
 * NULL), or one number a named port resolves to with the set of the pods
 * it is theirs.
 */
struct kp_port_group {
	uint8_t proto;			/* 0: any port, any protocol */
	const struct kp_k8s_np_rule *rule;
	uint16_t named;			/* a named port's number; 0: numbered ports */
	bool every;			/* every port of proto */
	char set[KPLANE_ID_MAX];
};

static int kp_port_items(struct kpl_rule *r, const struct kp_port_group *g)
{
	struct kpl_rule_item *it;
	unsigned int i;

	if (!g->proto)
		return 0;
	r->has |= KPL_HAS_PROTO;
	r->proto = g->proto;
	if (g->every)
		return 0;
	if (g->named) {
		if (!(it = kp_item_add(r, true, KPLANE_SIDE_A_PORT)))
			return -ENOMEM;
		it->ports = (struct kplane_port_range){ g->named, g->named };
		if (!(it = kp_item_add(r, true, KPLANE_SIDE_A_SET)))
			return -ENOMEM;
		strcpy(it->set, g->set);
		return 0;
	}
	for (i = 0; i < g->rule->n_ports; i++) {
		const struct kp_k8s_np_port *p = &g->rule->ports[i];

		if (p->proto != g->proto || p->name[0] || !p->port)
			continue;
		if (!(it = kp_item_add(r, true, KPLANE_SIDE_A_PORT)))
			return -ENOMEM;
		it->ports = (struct kplane_port_range){ p->port, p->end };
	}
	return 0;
}

int kp_item_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct kpl_rule_item));
}

/* A new rule at the end of @pol; NULL with *@err (-E2BIG: more than the kernel takes). */
static struct kpl_rule *kp_rule_new(struct kpl_policy *pol, enum kplane_dir dir, uint8_t action,
				   int *err)
{
	struct kpl_rule *r;
	unsigned int i, n = 0;

	for (i = 0; i < pol->n_rules; i++)
		n += pol->rules[i].dir == dir;
	*err = n == KPLANE_POLICY_RULES_MAX ? -E2BIG : -ENOMEM;
	r = n < KPLANE_POLICY_RULES_MAX ? realloc(pol->rules, (pol->n_rules + 1) * sizeof(*r)) : NULL;
	if (!r)
		return NULL;
	pol->rules = r;
	r += pol->n_rules++;
	memset(r, 0, sizeof(*r));
	r->dir = (uint8_t)dir;
	r->action = action;
	*err = 0;
	return r;
}

/* A named port and the numbers it has on some pod (of namespace @ns; "": any), sorted, each once. */
struct kp_port_name {
	char ns[KP_K8S_NAME_MAX];
	uint8_t proto;
	char name[16];
	uint16_t *ports;
	unsigned int n, cap;
};

static void kp_no_free(void *p)
{
	(void)p;
}

static int kp_port_name_cmp(const void *pa, const void *pb)
{
	const struct kp_port_name *a = pa, *b = pb;

	int c = strcmp(a->ns, b->ns);

	if (c)
		return c;
	return a->proto != b->proto ? a->proto - b->proto : strcmp(a->name, b->name);
}

static int kp_u16_cmp(const void *a, const void *b)
{
	return *(const uint16_t *)a - *(const uint16_t *)b;
}

static void kp_port_name_free(void *p)
{
	struct kp_port_name *pn = p;

	free(pn->ports);
	free(pn);
}

static int kp_port_name_add(void **tree, const char *ns, const struct kp_k8s_cport *c)
{
	struct kp_port_name probe = { .proto = c->proto }, *pn, **slot;

	snprintf(probe.ns, sizeof(probe.ns), "%s", ns);
	strcpy(probe.name, c->name);
	slot = tfind(&probe, tree, kp_port_name_cmp);
	pn = slot ? *slot : calloc(1, sizeof(*pn));
	if (!pn)
		return -ENOMEM;
	if (!slot) {
		*pn = probe;
		if (!tsearch(pn, tree, kp_port_name_cmp)) {
			free(pn);
			return -ENOMEM;
		}
	}
	if (!kp_grow((void **)&pn->ports, pn->n, &pn->cap, sizeof(*pn->ports)))
		return -ENOMEM;
	pn->ports[pn->n++] = c->port;
	return 0;
}

static void kp_port_name_settle(const void *node, VISIT which, void *arg)
{
	struct kp_port_name *pn = *(struct kp_port_name *const *)node;
	unsigned int i, n = 0;

	(void)arg;
	if (which != postorder && which != leaf)
		return;
	kp_sort(pn->ports, pn->n, sizeof(*pn->ports), kp_u16_cmp);
	for (i = 0; i < pn->n; i++)
		if (!n || pn->ports[n - 1] != pn->ports[i])
			pn->ports[n++] = pn->ports[i];
	pn->n = n;
}

/* Each pod's ports, a pod described twice by its first description (the label index's). */
static int kp_ports_index(struct kp_pol_want *pw, const struct kp_k8s_view *v)
{
	struct kp_name *names = malloc((v->n_pods + 1) * sizeof(*names));
	void *seen = NULL;
	unsigned int i, j;
	int err = names ? 0 : -ENOMEM;

	for (i = 0; !err && i < v->n_pods; i++) {
		void *slot;

		names[i] = (struct kp_name){ v->pods[i]->ns, v->pods[i]->name };
		slot = tsearch(&names[i], &seen, kp_name_cmp);
		if (!slot)
			err = -ENOMEM;
		else if (*(struct kp_name **)slot != &names[i])
			continue;
		for (j = 0; !err && j < v->pods[i]->n_cports; j++)
			err = kp_port_name_add(&pw->port_tree, "", &v->pods[i]->cports[j]) ?:
			      kp_port_name_add(&pw->port_tree, v->pods[i]->ns, &v->pods[i]->cports[j]);
	}
	tdestroy(seen, kp_no_free);
	free(names);
	if (!err)
		twalk_r(pw->port_tree, kp_port_name_settle, NULL);
	pw->ports_indexed = !err;
	return err;
}

/*
 * The numbers port @name (@proto) has on some pod (of pw->port_ns, when
 * the rule's destinations are that namespace's pods: another tenant's
 * pods cannot grow its rules); NULL: none.  Every pod's ports are indexed
 * at the first call of a compile: one pass, not one per rule.
 */
static const struct kp_port_name *kp_named(struct kp_pol_want *pw, const struct kp_k8s_view *v,
					   const struct kpl_policy *pol, uint8_t proto,
					   const char *name, int *err)
{
	struct kp_port_name probe = { .proto = proto }, **slot;

	*err = pw->ports_indexed ? 0 : kp_ports_index(pw, v);
	snprintf(probe.ns, sizeof(probe.ns), "%s", pw->port_ns ? pw->port_ns : "");
	snprintf(probe.name, sizeof(probe.name), "%s", name);
	slot = *err ? NULL : tfind(&probe, &pw->port_tree, kp_port_name_cmp);
	if (!slot && !*err)	/* as in Kubernetes: it matches no port until a pod has it */
		*err = kp_left_out(pw, "policy %s: no pod has a%s port named %s; the rules "
				   "naming it match nothing for now", pol->id,
				   proto == IPPROTO_UDP ? " UDP" : proto == IPPROTO_SCTP ? "n SCTP" :
				   " TCP", name);
	return slot ? *slot : NULL;
}

/* One Allow rule per peer for @g, appended to @pol. */
static int kp_emit_rules(struct kp_pol_want *pw, struct kpl_policy *pol, enum kplane_dir dir,
			 const struct kp_port_group *g)
{
	const struct kp_k8s_np_rule *k = g->rule;
	unsigned int i, n = k->n_peers ? k->n_peers : 1;
	int err = 0;

	for (i = 0; !err && i < n; i++) {
		struct kpl_rule *r = kp_rule_new(pol, dir, KPLANE_ACTION_ALLOW, &err);

		if (!r)
			return err;
		err = kp_peer_items(pw, r, dir == KPLANE_DIR_EGRESS,
				    k->n_peers ? &k->peers[i] : NULL);
		if (!err)
			err = kp_port_items(r, g);
		kp_sort(r->items, r->n_items, sizeof(*r->items), kp_item_cmp);
	}
	return err;
}

/* The numbers @p (a named port) resolves to over every pod: one group each, in order. */
static int kp_named_groups(struct kp_pol_want *pw, struct kpl_policy *pol, enum kplane_dir dir,
			   const struct kp_k8s_np_rule *k, const struct kp_k8s_np_port *p,
			   const struct kp_k8s_view *v)
{
	const struct kp_port_name *pn;
	unsigned int i;
	int err;

	pn = kp_named(pw, v, pol, p->proto, p->name, &err);
	for (i = 0; !err && pn && i < pn->n; i++) {
		struct kp_port_group g = { .proto = p->proto, .rule = k, .named = pn->ports[i] };

		err = kp_port_set(pw, p->proto, p->name, pn->ports[i], g.set);
		if (!err)
			err = kp_emit_rules(pw, pol, dir, &g);
	}
	return err;
}

/* A NetworkPolicy rule: per protocol its numbered ports, per named port each number. */
static int kp_np_rule_compile(struct kp_pol_want *pw, struct kpl_policy *pol, enum kplane_dir dir,
			      const struct kp_k8s_np_rule *k, const struct kp_k8s_view *v)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	unsigned int i, j;
	int err = 0;

	if (!k->n_ports) {
		struct kp_port_group any = { .rule = k };

		return kp_emit_rules(pw, pol, dir, &any);
	}
	for (i = 0; !err && i < 3; i++) {
		struct kp_port_group g = { .proto = protos[i], .rule = k };
		bool numbered = false, every = false;

		for (j = 0; j < k->n_ports; j++) {
			numbered |= k->ports[j].proto == g.proto && k->ports[j].port;
			every |= k->ports[j].proto == g.proto && !k->ports[j].port &&
				 !k->ports[j].name[0];
		}
		g.every = every;	/* a protocol without a port: all of its ports */
		if (every || numbered)
			err = kp_emit_rules(pw, pol, dir, &g);
	}
	for (j = 0; !err && j < k->n_ports; j++)
		if (k->ports[j].name[0])
			err = kp_named_groups(pw, pol, dir, k, &k->ports[j], v);
	return err;
}

/* --- Calico rules --- */

static int kp_prefix_item(struct kpl_rule *r, bool dst, uint8_t kind, const struct kplane_prefix *p)
{
	struct kpl_rule_item *it = kp_item_add(r, dst, kind);

	if (!it)
		return -ENOMEM;
	it->prefix = *p;
	return 0;
}

static int kp_set_item(struct kp_pol_want *pw, struct kpl_rule *r, bool dst, uint8_t kind,
		       const char *sel)
{
	struct kpl_rule_item *it = kp_item_add(r, dst, kind);

	return it ? kp_sel_set(pw, sel, it->set) : -ENOMEM;
}

/* A side's selectors, nets and numbered ports (named ones: kp_cal_rule_compile()). */
static int kp_cal_side_items(struct kp_pol_want *pw, struct kpl_rule *r, bool dst,
			     const struct kp_cal_side *s, bool ports)
{
	struct kpl_rule_item *it;
	unsigned int i;
	int err = 0;

	if (s->selector)
		err = kp_set_item(pw, r, dst, KPLANE_SIDE_A_SET, s->selector);
	if (!err && s->not_selector)
		err = kp_set_item(pw, r, dst, KPLANE_SIDE_A_NOT_SET, s->not_selector);
	for (i = 0; !err && i < s->n_nets; i++)
		err = kp_prefix_item(r, dst, KPLANE_SIDE_A_NET, &s->nets[i]);
	for (i = 0; !err && i < s->n_not_nets; i++)
		err = kp_prefix_item(r, dst, KPLANE_SIDE_A_NOT_NET, &s->not_nets[i]);
	for (i = 0; !err && ports && i < s->n_ports; i++) {
		if (s->ports[i].name[0])
			continue;
		if (!(it = kp_item_add(r, dst, KPLANE_SIDE_A_PORT)))
			return -ENOMEM;
		it->ports = (struct kplane_port_range){ s->ports[i].first, s->ports[i].last };
	}
	for (i = 0; !err && i < s->n_not_ports; i++) {
		if (!(it = kp_item_add(r, dst, KPLANE_SIDE_A_NOT_PORT)))
			return -ENOMEM;
		it->ports = (struct kplane_port_range){ s->not_ports[i].first, s->not_ports[i].last };
	}
	return err;
}

/*
 * One kernel rule of Calico rule @c: its numbered destination ports, or
 * (@named) one number a named port has, towards the pods whose it is (@set).
 */
static int kp_cal_emit(struct kp_pol_want *pw, struct kpl_policy *pol, enum kplane_dir dir,
		       const struct kp_cal_rule *c, uint16_t named, const char *set)
{
	static const struct kplane_prefix any4 = { .family = AF_INET };
	static const struct kplane_prefix any6 = { .family = AF_INET6 };
	struct kpl_rule_item *it;
	struct kpl_rule *r;
	int err;

	r = kp_rule_new(pol, dir, c->action, &err);
	if (!r)
		return err;
	r->has = c->has;
	r->proto = c->proto;
	r->not_proto = c->not_proto;
	r->icmp_type = c->icmp_type;
	r->icmp_code = c->icmp_code;
	r->not_icmp_type = c->not_icmp_type;
	r->not_icmp_code = c->not_icmp_code;
	/* ipVersion: the other family's every address is not a source */
	if (c->ip_version)
		err = kp_prefix_item(r, false, KPLANE_SIDE_A_NOT_NET,
				     c->ip_version == 4 ? &any6 : &any4);
	if (!err)
		err = kp_cal_side_items(pw, r, false, &c->src, true);
	if (!err)
		err = kp_cal_side_items(pw, r, true, &c->dst, !named);
	if (!err && named) {
		if (!(it = kp_item_add(r, true, KPLANE_SIDE_A_PORT)))
			return -ENOMEM;
		it->ports = (struct kplane_port_range){ named, named };
		if (!(it = kp_item_add(r, true, KPLANE_SIDE_A_SET)))
			return -ENOMEM;
		strcpy(it->set, set);
	}
	kp_sort(r->items, r->n_items, sizeof(*r->items), kp_item_cmp);
	return err;
}

static int kp_cal_rule_compile(struct kp_pol_want *pw, struct kpl_policy *pol, enum kplane_dir dir,
			       const struct kp_cal_rule *c, const struct kp_k8s_view *v)
{
	bool numbered = !c->dst.n_ports, named = false;
	const struct kp_port_name *pn;
	unsigned int i, j;
	int err = 0;

	for (i = 0; i < c->dst.n_ports; i++) {
		numbered |= !c->dst.ports[i].name[0];
		named |= c->dst.ports[i].name[0] != '\0';
	}
	if (numbered)
		err = kp_cal_emit(pw, pol, dir, c, 0, NULL);
	for (i = 0; !err && named && i < c->dst.n_ports; i++) {
		const char *name = c->dst.ports[i].name;

		if (!name[0])
			continue;
		pn = kp_named(pw, v, pol, c->proto, name, &err);
		for (j = 0; !err && pn && j < pn->n; j++) {
			char set[KPLANE_ID_MAX];

			err = kp_port_set(pw, c->proto, name, pn->ports[j], set);
			if (!err)
				err = kp_cal_emit(pw, pol, dir, c, pn->ports[j], set);
		}
	}
	return err;
}

/* --- policies --- */

/*
 * A policy as attachments see it: the endpoints it applies to, its tier,
 * its directions.  pw->pols[i] is the kernel's form of srcs[i].
 */
struct kp_src {
	const char *tier, *selector;
	uint8_t types;
};

/* Calico's order (nil: after every other) as the kernel's: three decimals kept. */
static uint32_t kp_kernel_order(bool has, double order)
{
	return has ? (uint32_t)(order * 1000 + 0.5) : UINT32_MAX;
}

static struct kpl_policy *kp_pol_new(struct kp_pol_want *pw, struct kp_src **srcs)
{
	struct kpl_policy *pol;
	struct kp_src *s;

	if (!kp_grow((void **)&pw->pols, pw->n_pols, &pw->cap_pols, sizeof(*pw->pols)))
		return NULL;
	s = realloc(*srcs, (pw->n_pols + 1) * sizeof(*s));
	if (!s)
		return NULL;
	*srcs = s;
	memset(&s[pw->n_pols], 0, sizeof(*s));
	pol = &pw->pols[pw->n_pols++];
	memset(pol, 0, sizeof(*pol));
	pol->has_order = true;
	return pol;
}

/* Rules @from.. of @pol came from rule @i of the object: what trace names. */
static int kp_origin(struct kpl_policy *pol, unsigned int from, unsigned int i)
{
	uint16_t *o = realloc(pol->origin, (pol->n_rules + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	pol->origin = o;
	while (from < pol->n_rules)
		o[from++] = (uint16_t)i;
	return 0;
}

/* A policy whose rules are more than the kernel takes keeps none: it allows nothing. */
static int kp_too_big(struct kpl_policy *pol, int err)
{
	if (err != -E2BIG)
		return err;
	kpl_policy_release(pol);
	return 0;
}

/*
 * Whose pods a rule's named ports are resolved over: an ingress rule's
 * destinations are the policy's own pods, an egress rule's its peers
 * (the policy's namespace when none names another); NULL: every pod.
 */
static const char *kp_np_port_ns(const struct kp_k8s_netpol *np, enum kplane_dir dir,
				 const struct kp_k8s_np_rule *k)
{
	unsigned int i;

	if (dir == KPLANE_DIR_INGRESS)
		return np->ns;
	for (i = 0; i < k->n_peers && k->peers[i].own_ns; i++)
		;
	return k->n_peers && i == k->n_peers ? np->ns : NULL;
}

static int kp_np_compile(struct kp_pol_want *pw, struct kp_src **srcs,
			 const struct kp_k8s_netpol *np, const struct kp_k8s_view *v)
{
	struct kpl_policy *pol = kp_pol_new(pw, srcs);
	unsigned int d, i;
	int err = 0;

	if (!pol)
		return -ENOMEM;
	(*srcs)[pw->n_pols - 1] = (struct kp_src){ .tier = KP_NP_TIER, .selector = np->selector,
						    .types = np->types };
	kp_id_fit(pol->id, "knp:", np->ns, np->name);
	strcpy(pol->tier, KP_NP_TIER);
	pol->order = kp_kernel_order(true, KP_NP_ORDER);
	pol->types = np->types;
	for (d = 0; !err && d < 2; d++)
		for (i = 0; !err && (np->types & (1U << d)) && i < np->n_rules[d]; i++) {
			unsigned int from = pol->n_rules;

			pw->port_ns = kp_np_port_ns(np, d, &np->rules[d][i]);
			err = kp_np_rule_compile(pw, pol, d, &np->rules[d][i], v) ?:
			      kp_origin(pol, from, i);
		}
	pw->port_ns = NULL;
	return kp_too_big(pol, err);
}

/* Leaves @cp out, saying why: the kernel would take it, the cluster's objects do not. */
static int kp_refuse(struct kp_pol_want *pw, const struct kp_cal_policy *cp, const char *why)
{
	return kp_left_out(pw, "%s %s%s%s: %s; skipped",
			   cp->ns ? "NetworkPolicy" : "GlobalNetworkPolicy", cp->ns ? cp->ns : "",
			   cp->ns ? "/" : "", cp->name, why);
}

static bool kp_tier_exists(const struct kp_k8s_view *v, const char *tier)
{
	unsigned int i;

	for (i = 0; i < v->n_tiers; i++)
		if (!strcmp(v->tiers[i]->name, tier))
			return true;
	return !strcmp(tier, KP_NP_TIER);
}

static int kp_cal_compile(struct kp_pol_want *pw, struct kp_src **srcs,
			  const struct kp_cal_policy *cp, const struct kp_k8s_view *v)
{
	struct kpl_policy *pol;
	unsigned int d, i;
	int err = 0;

	if (!kp_tier_exists(v, cp->tier))
		return kp_refuse(pw, cp, "spec.tier: no Tier of this name");
	pol = kp_pol_new(pw, srcs);
	if (!pol)
		return -ENOMEM;
	(*srcs)[pw->n_pols - 1] = (struct kp_src){ .tier = cp->tier, .selector = cp->selector,
						    .types = cp->types };
	if (cp->ns) {	/* the tier in the id: a policy moved to another tier is another */
		char prefix[KPLANE_ID_MAX + 8];

		snprintf(prefix, sizeof(prefix), "cnp:%s/", cp->tier);
		kp_id_fit(pol->id, prefix, cp->ns, cp->name);
	} else {
		kp_id_fit(pol->id, "gnp:", cp->tier, cp->name);
	}
	snprintf(pol->tier, sizeof(pol->tier), "%s", cp->tier);
	pol->order = kp_kernel_order(cp->has_order, cp->order);
	pol->types = cp->types;
	pol->apply_on_forward = cp->apply_on_forward;
	for (d = 0; !err && d < 2; d++)
		for (i = 0; !err && (cp->types & (1U << d)) && i < cp->n_rules[d]; i++) {
			unsigned int from = pol->n_rules;

			/* ingress: the destination is the policy's own endpoint */
			pw->port_ns = d == KPLANE_DIR_INGRESS ? cp->ns : NULL;
			err = kp_cal_rule_compile(pw, pol, d, &cp->rules[d][i], v) ?:
			      kp_origin(pol, from, i);
		}
	pw->port_ns = NULL;
	return kp_too_big(pol, err);
}

/* An object and where it came in key order: a name twice, the first stands. */
struct kp_obj_at {
	const void *obj;
	const char *ns, *name;
	unsigned int at;
};

/* By namespace (none first) and name. */
static int kp_obj_name_cmp(const struct kp_obj_at *a, const struct kp_obj_at *b)
{
	int c = (a->ns != NULL) - (b->ns != NULL);

	if (!c && a->ns)
		c = strcmp(a->ns, b->ns);
	return c ? c : strcmp(a->name, b->name);
}

static int kp_obj_at_cmp(const void *pa, const void *pb)
{
	const struct kp_obj_at *a = pa, *b = pb;
	int c = kp_obj_name_cmp(a, b);

	return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* @at's @n objects sorted by name, each name once (its first in key order): *@kept. */
static void kp_unique(struct kp_obj_at *at, unsigned int n, unsigned int *kept)
{
	unsigned int i, k = 0;

	kp_sort(at, n, sizeof(*at), kp_obj_at_cmp);
	for (i = 0; i < n; i++)
		if (!k || kp_obj_name_cmp(&at[k - 1], &at[i]))
			at[k++] = at[i];
	*kept = k;
}

/* Every policy of @v, NetworkPolicies and Calico's, in pw->pols with *@srcs alike. */
static int kp_policies_compile(struct kp_pol_want *pw, const struct kp_k8s_view *v,
			       struct kp_src **srcs)
{
	unsigned int n = v->n_netpols + v->n_cpols, i, kept;
	struct kp_obj_at *at = malloc((n ? n : 1) * sizeof(*at));
	int err = 0;

	if (!at)
		return -ENOMEM;
	for (i = 0; i < v->n_netpols; i++)
		at[i] = (struct kp_obj_at){ v->netpols[i], v->netpols[i]->ns, v->netpols[i]->name, i };
	kp_unique(at, v->n_netpols, &kept);
	for (i = 0; !err && i < kept; i++)
		err = kp_np_compile(pw, srcs, at[i].obj, v);
	for (i = 0; i < v->n_cpols; i++)
		at[i] = (struct kp_obj_at){ v->cpols[i], v->cpols[i]->ns, v->cpols[i]->name, i };
	kp_unique(at, v->n_cpols, &kept);
	for (i = 0; !err && i < kept; i++)
		err = kp_cal_compile(pw, srcs, at[i].obj, v);
	free(at);
	return err;
}

int kp_pol_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kpl_policy *)a)->id, ((const struct kpl_policy *)b)->id);
}

/* --- attachments --- */

/* A tier's place: by order (none: after those with one), then name. */
struct kp_tier_rank {
	const char *name;
	bool has_order;
	double order;
};

static int kp_tier_rank_cmp(const void *pa, const void *pb)
{
	const struct kp_tier_rank *a = pa, *b = pb;

	if (a->has_order != b->has_order)
		return a->has_order ? -1 : 1;
	if (a->has_order && a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The tiers the policies name, in evaluation order; *@n of them. */
static struct kp_tier_rank *kp_tiers(const struct kp_k8s_view *v, const struct kp_src *srcs,
				     unsigned int n_srcs, unsigned int *n)
{
	struct kp_tier_rank *t = calloc(n_srcs + 1, sizeof(*t));
	unsigned int i, j;

	*n = 0;
	for (i = 0; t && i < n_srcs; i++) {
		for (j = 0; j < *n && strcmp(t[j].name, srcs[i].tier); j++)
			;
		if (j < *n)
			continue;
		t[(*n)++].name = srcs[i].tier;
		for (j = 0; j < v->n_tiers; j++)
			if (!strcmp(v->tiers[j]->name, srcs[i].tier) && v->tiers[j]->has_order) {
				t[*n - 1].has_order = true;
				t[*n - 1].order = v->tiers[j]->order;
				break;
			}
	}
	if (t)
		kp_sort(t, *n, sizeof(*t), kp_tier_rank_cmp);
	return t;
}

/* A local endpoint, by its item in the index, and the policies whose selectors take it. */
struct kp_local {
	char item[2 * KP_K8S_NAME_MAX + 8];	/* first: the tree's key */
	struct kp_want_ep *ep;
	unsigned int *pols, n_pols, cap_pols;	/* indexes into srcs and pw->pols */
};

static int kp_local_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kp_local *)a)->item, ((const struct kp_local *)b)->item);
}

static void kp_local_free(void *p)
{
	struct kp_local *l = p;

	free(l->pols);
	free(l);
}

/* The endpoint @id of @eps as item @item (a pod described twice: the first stands). */
static int kp_local_add(void **tree, struct kp_ep_set *eps, const char *item, const char *id)
{
	struct kp_local *l = calloc(1, sizeof(*l));
	unsigned int j;

	if (!l)
		return -ENOMEM;
	snprintf(l->item, sizeof(l->item), "%s", item);
	for (j = 0; j < eps->n && strcmp(eps->eps[j].ep.id, id); j++)
		;
	if (j == eps->n || tfind(l, tree, kp_local_cmp)) {
		free(l);
		return 0;
	}
	l->ep = &eps->eps[j];
	if (!tsearch(l, tree, kp_local_cmp)) {
		free(l);
		return -ENOMEM;
	}
	return 0;
}

/* This node's endpoints, each under its item's id. */
static int kp_locals(void **tree, struct kp_ep_set *eps, const struct kp_k8s_view *v,
		     const struct kp_k8s_node *node)
{
	char item[2 * KP_K8S_NAME_MAX + 8], id[KPLANE_ID_MAX];
	unsigned int i;
	int err = 0;

	for (i = 0; !err && node->name && i < v->n_weps; i++) {
		const struct kp_k8s_wep *w = v->weps[i];

		if (strcmp(w->node, node->name))
			continue;
		snprintf(item, sizeof(item), "p:%s/%s", w->ns, w->pod);
		kp_id_fit(id, "", w->ns, w->pod);
		err = kp_local_add(tree, eps, item, id);
	}
	for (i = 0; !err && node->name && i < v->n_heps; i++) {
		if (strcmp(v->heps[i]->node, node->name))
			continue;
		snprintf(item, sizeof(item), "h:%s", v->heps[i]->name);
		kp_id_fit(id, "hep:", "", v->heps[i]->name);
		err = kp_local_add(tree, eps, item, id);
	}
	return err;
}

/* The policies (by index into srcs and pw->pols) that take each local endpoint. */
static int kp_local_pols(void *locals, const struct kp_polidx *idx, const struct kp_pol_want *pw);

struct kp_local_walk {
	const struct kp_polidx *idx;
	const struct kp_pol_want *pw;
	int err;
};

static int kp_pos_cmp(const void *key, const void *elt)
{
	return strcmp(key, ((const struct kpl_policy *)elt)->id);
}

static void kp_local_visit(const void *node, VISIT which, void *arg)
{
	struct kp_local *l = *(struct kp_local *const *)node;
	struct kp_local_walk *w = arg;
	char *const *ids;
	unsigned int i, n;

	if (which != postorder && which != leaf)
		return;
	kp_polidx_item_pols(w->idx, l->item, &ids, &n);
	for (i = 0; !w->err && i < n; i++) {
		const struct kpl_policy *pol = bsearch(ids[i], w->pw->pols, w->pw->n_pols,
						      sizeof(*w->pw->pols), kp_pos_cmp);

		if (!pol)
			continue;
		if (!kp_grow((void **)&l->pols, l->n_pols, &l->cap_pols, sizeof(*l->pols)))
			w->err = -ENOMEM;
		else
			l->pols[l->n_pols++] = pol - w->pw->pols;
	}
}

static int kp_local_pols(void *locals, const struct kp_polidx *idx, const struct kp_pol_want *pw)
{
	struct kp_local_walk w = { idx, pw, 0 };

	twalk_r(locals, kp_local_visit, &w);
	return w.err;
}

/* Attachments of one endpoint: per direction, its tiers in order, each with its policies. */
struct kp_attach_ctx {
	const struct kp_src *srcs;
	struct kp_pol_want *pw;
	const struct kp_tier_rank *tiers;
	unsigned int n_tiers;
	int err;
};

/* Whether @ep's attachments are more than the kernel takes of an endpoint. */
static bool kp_attach_too_many(const struct kpl_endpoint *ep)
{
	unsigned int i, pols = 0, tiers[2] = { 0, 0 };

	for (i = 0; i < ep->n_attach; i++) {
		const struct kpl_ep_attach *a = &ep->attach[i];

		pols += a->policy[0] != '\0';
		/* sorted by direction, tier: a tier's first entry counts it */
		tiers[a->dir & 1] += !i || a[-1].dir != a->dir || strcmp(a[-1].tier, a->tier);
	}
	return pols > KPLANE_EP_POLICIES_MAX || tiers[0] > KPLANE_EP_TIERS_MAX ||
	       tiers[1] > KPLANE_EP_TIERS_MAX;
}

/*
 * Taken by more policies (tiers) than an endpoint holds: rather than
 * unpoliced, it is isolated both ways with nothing allowed, and said so.
 */
static int kp_attach_fail_closed(struct kp_attach_ctx *c, struct kpl_endpoint *ep,
				 unsigned int n_pols)
{
	free(ep->attach);
	ep->attach = NULL;
	ep->n_attach = 0;
	return kpl_endpoint_attach(ep, KPLANE_DIR_INGRESS, KP_NP_TIER, "", 0) ?:
	       kpl_endpoint_attach(ep, KPLANE_DIR_EGRESS, KP_NP_TIER, "", 0) ?:
	       kp_left_out(c->pw, "endpoint %s: taken by %u policies, more than an endpoint "
			   "holds (%u, in %u tiers a direction); all its traffic denied", ep->id,
			   n_pols, KPLANE_EP_POLICIES_MAX, KPLANE_EP_TIERS_MAX);
}

static void kp_attach_visit(const void *node, VISIT which, void *arg)
{
	const struct kp_local *l = *(const struct kp_local *const *)node;
	struct kp_attach_ctx *c = arg;
	unsigned int d, t, i, before;

	if (which != postorder && which != leaf)
		return;
	for (d = 0; d < 2; d++) {
		before = l->ep->ep.n_attach;
		for (t = 0; t < c->n_tiers; t++)
			for (i = 0; !c->err && i < l->n_pols; i++) {
				const struct kp_src *src = &c->srcs[l->pols[i]];
				const char *id = c->pw->pols[l->pols[i]].id;

				if ((src->types & (1U << d)) && !strcmp(src->tier, c->tiers[t].name))
					c->err = kpl_endpoint_attach(&l->ep->ep, d, src->tier, id,
								    strlen(id));
			}
		/* Calico denies a host endpoint's traffic no policy takes (failsafes aside). */
		if (!c->err && l->ep->ep.host && l->ep->ep.n_attach == before)
			c->err = kpl_endpoint_attach(&l->ep->ep, d, KP_NP_TIER, "", 0);
	}
	kp_ep_attach_sort(&l->ep->ep);
	if (!c->err && kp_attach_too_many(&l->ep->ep))
		c->err = kp_attach_fail_closed(c, &l->ep->ep, l->n_pols);
}

/* Each local endpoint's attachments, from the policies the index says take it. */
static int kp_attachments(struct kp_pol_want *pw, const struct kp_polidx *idx,
			  const struct kp_src *srcs, struct kp_ep_set *eps,
			  const struct kp_k8s_view *v, const struct kp_k8s_node *node)
{
	struct kp_attach_ctx a = { .srcs = srcs, .pw = pw };
	void *locals = NULL;

	a.err = kp_locals(&locals, eps, v, node) ?: kp_local_pols(locals, idx, pw);
	a.tiers = kp_tiers(v, srcs, pw->n_pols, &a.n_tiers);
	a.err = a.err ?: (a.tiers ? 0 : -ENOMEM);
	if (!a.err)
		twalk_r(locals, kp_attach_visit, &a);
	tdestroy(locals, kp_local_free);
	free((void *)a.tiers);
	return a.err;
}

/* The selectors a compile wants in the index: each set's, and each policy's ("@ID"). */
static int kp_sels_sync(struct kp_polidx *idx, const struct kp_pol_want *pw,
			const struct kp_src *srcs)
{
	char id[KPLANE_ID_MAX + 1];
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < pw->n_sets; i++)
		if (pw->sets[i].selector)
			err = kp_polidx_sel(idx, pw->sets[i].name, pw->sets[i].selector);
	for (i = 0; !err && i < pw->n_pols; i++) {
		snprintf(id, sizeof(id), "@%s", pw->pols[i].id);
		err = kp_polidx_sel(idx, id, srcs[i].selector);
	}
	return err;
}

/* The compile's sets, from its tree into pw->sets in name order (a tree walk's), memberless. */
static void kp_skeleton_visit(const void *node, VISIT which, void *arg)
{
	struct kp_pset *s = *(struct kp_pset *const *)node;
	struct kp_pol_want *pw = arg;

	if (which == postorder || which == leaf)
		pw->sets[pw->n_sets++] = *s;
}

static int kp_skeleton(struct kp_pol_want *pw)
{
	unsigned int n = pw->n_sets;

	pw->sets = calloc(n + 1, sizeof(*pw->sets));
	pw->cap_sets = n;
	pw->n_sets = 0;
	if (!pw->sets)
		return -ENOMEM;
	twalk_r(pw->set_tree, kp_skeleton_visit, pw);
	tdestroy(pw->set_tree, free);	/* the selectors are the array's now */
	pw->set_tree = NULL;
	return 0;
}

/* Policies and their srcs sorted alike, by id: attachments look policies up by id. */
static int kp_pols_sort(struct kp_pol_want *pw, struct kp_src *srcs)
{
	unsigned int i, n = pw->n_pols;
	struct kp_obj_at *at;
	struct kpl_policy *pols;
	struct kp_src *s;

	if (!n)
		return 0;
	at = malloc(n * sizeof(*at));
	pols = malloc(n * sizeof(*pols));
	s = malloc(n * sizeof(*s));
	if (!at || !pols || !s) {
		free(at);
		free(pols);
		free(s);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		at[i] = (struct kp_obj_at){ .name = pw->pols[i].id, .at = i };
	kp_sort(at, n, sizeof(*at), kp_obj_at_cmp);
	for (i = 0; i < n; i++) {
		pols[i] = pw->pols[at[i].at];
		s[i] = srcs[at[i].at];
	}
	memcpy(pw->pols, pols, n * sizeof(*pols));
	memcpy(srcs, s, n * sizeof(*s));
	free(at);
	free(pols);
	free(s);
	return 0;
}

/* Compiles @v's policies into the index's cache, and puts their selectors in the index. */
static int kp_compile(struct kp_polidx *idx, const struct kp_k8s_view *v)
{
	struct kp_src *srcs = NULL;
	int err;

	kp_pol_want_free(&idx->compiled);
	free(idx->srcs);
	idx->srcs = NULL;
	idx->have_compiled = false;
	err = kp_policies_compile(&idx->compiled, v, &srcs);
	idx->srcs = srcs;
	tdestroy(idx->compiled.port_tree, kp_port_name_free);
	idx->compiled.port_tree = NULL;
	idx->compiled.ports_indexed = false;
	err = err ?: kp_skeleton(&idx->compiled) ?: kp_pols_sort(&idx->compiled, srcs);
	return err ?: kp_sels_sync(idx, &idx->compiled, srcs);
}

static int kp_policy_copy(struct kpl_policy *to, const struct kpl_policy *from)
{
	unsigned int i;

	*to = *from;
	to->rules = calloc(from->n_rules + 1, sizeof(*to->rules));
	to->origin = malloc((from->n_rules + 1) * sizeof(*to->origin));
	to->n_rules = 0;
	if (!to->rules || !to->origin) {
		kpl_policy_release(to);
		return -ENOMEM;
	}
	if (from->n_rules)
		memcpy(to->origin, from->origin, from->n_rules * sizeof(*to->origin));
	for (i = 0; i < from->n_rules; i++) {
		struct kpl_rule *r = &to->rules[i];

		*r = from->rules[i];
		r->items = malloc((r->n_items + 1) * sizeof(*r->items));
		if (!r->items) {
			kpl_policy_release(to);
			return -ENOMEM;
		}
		if (r->n_items)
			memcpy(r->items, from->rules[i].items, r->n_items * sizeof(*r->items));
		to->n_rules++;
	}
	return 0;
}

static int kp_pset_copy(struct kp_pset *to, const struct kp_pset *from, struct kp_polidx *idx)
{
	const struct kplane_prefix *m;
	unsigned int n;

	*to = *from;
	to->selector = NULL;
	m = kp_polidx_members(idx, from->name, &n);
	to->m = m ? malloc((n ? n : 1) * sizeof(*to->m)) : NULL;
	if (!to->m || (from->selector && !(to->selector = strdup(from->selector)))) {
		free(to->m);
		to->m = NULL;
		return -ENOMEM;
	}
	memcpy(to->m, m, n * sizeof(*m));
	to->n = to->cap = n;
	return 0;
}

static bool kp_policy_uses(const struct kpl_policy *pol, const char *set)
{
	unsigned int i, j;

	for (i = 0; i < pol->n_rules; i++)
		for (j = 0; j < pol->rules[i].n_items; j++) {
			const struct kpl_rule_item *it = &pol->rules[i].items[j];

			if ((it->kind == KPLANE_SIDE_A_SET || it->kind == KPLANE_SIDE_A_NOT_SET) &&
			    !strcmp(it->set, set))
				return true;
		}
	return false;
}

/*
 * A set with more members than the kernel holds would fail the whole
 * sync: it goes empty, and the policies that use it keep no rule (their
 * endpoints allow nothing in their tier), each said once.
 */
static int kp_sets_overfull(struct kp_pol_want *out)
{
	unsigned int i, j, n;
	int err = 0;

	for (i = 0; !err && i < out->n_sets; i++) {
		struct kp_pset *set = &out->sets[i];

		if (set->n <= KPLANE_IPSET_MEMBERS_MAX)
			continue;
		n = set->n;
		set->n = 0;
		for (j = 0; !err && j < out->n_pols; j++) {
			if (!kp_policy_uses(&out->pols[j], set->name))
				continue;
			kpl_policy_release(&out->pols[j]);
			err = kp_left_out(out, "policy %s: its set %s would hold %u members, more "
					  "than a set holds (%u); the policy allows nothing",
					  out->pols[j].id, set->name, n, KPLANE_IPSET_MEMBERS_MAX);
		}
	}
	return err;
}

/* @idx's compile, with its sets' members as the index has them now. */
static int kp_from_compiled(struct kp_pol_want *out, struct kp_polidx *idx)
{
	const struct kp_pol_want *c = &idx->compiled;
	unsigned int i;
	int err = 0;

	out->pols = calloc(c->n_pols + 1, sizeof(*out->pols));
	out->sets = calloc(c->n_sets + 1, sizeof(*out->sets));
	out->refused = calloc(c->n_refused + 1, sizeof(*out->refused));
	if (!out->pols || !out->sets || !out->refused)
		return -ENOMEM;
	out->cap_pols = c->n_pols;
	out->cap_sets = c->n_sets;
	out->cap_refused = c->n_refused;
	for (i = 0; !err && i < c->n_pols; i++)
		if (!(err = kp_policy_copy(&out->pols[i], &c->pols[i])))
			out->n_pols++;
	for (i = 0; !err && i < c->n_sets; i++)
		if (!(err = kp_pset_copy(&out->sets[i], &c->sets[i], idx)))
			out->n_sets++;
	for (i = 0; !err && i < c->n_refused; i++)
		if ((out->refused[i] = strdup(c->refused[i])))
			out->n_refused++;
		else
			err = -ENOMEM;
	return err ?: kp_sets_overfull(out);
}

/*
 * The index brought to @v, and the policies compiled again only where
 * what they read changed: the policy objects (the store's rule_changes)
 * or the named port numbers some pod has.
 */
static int kp_index_sync(struct kp_polidx *idx, const struct kp_k8s_view *v,
			 const struct kp_k8s_node *node)
{
	bool compile = !idx->have_compiled || idx->compiled_rules != v->rule_changes;
	int err;

	err = kp_polidx_begin(idx, v);
	/* Selectors before items: a new item is judged by the selectors under its labels only. */
	if (!err && compile)
		err = kp_compile(idx, v);
	if (!err)
		err = kp_polidx_items(idx, v, node);
	if (!err && !compile && idx->ports_version != idx->compiled_ports) {
		compile = true;
		err = kp_compile(idx, v);
	}
	if (!err)
		err = kp_polidx_sweep(idx, compile);
	idx->have_compiled = !err;
	idx->compiled_rules = v->rule_changes;
	idx->compiled_ports = idx->ports_version;
	return err;
}

int kp_k8s_want_policy(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
		       struct kp_pol_want *out, struct kp_ep_set *eps, struct kp_polidx *idx)
{
	struct kp_polidx local;
	int err;

	memset(out, 0, sizeof(*out));
	if (!idx) {
		kp_polidx_init(&local);
		idx = &local;
	}
	err = kp_index_sync(idx, v, node);
	if (!err)
		err = kp_from_compiled(out, idx);
	if (!err)
		err = kp_attachments(out, idx, idx->srcs, eps, v, node);
	if (idx == &local)
		kp_polidx_free(&local);
	if (err)
		kp_pol_want_free(out);
	return err;
}

static void kp_pset_free(void *p)
{
	struct kp_pset *s = p;

	free(s->m);
	free(s->selector);
	free(s);
}

void kp_pol_want_free(struct kp_pol_want *pw)
{
	unsigned int i;

	for (i = 0; pw->sets && i < pw->n_sets; i++) {
		free(pw->sets[i].m);
		free(pw->sets[i].selector);
	}
	for (i = 0; i < pw->n_pols; i++)
		kpl_policy_release(&pw->pols[i]);
	for (i = 0; i < pw->n_refused; i++)
		free(pw->refused[i]);
	free(pw->refused);
	free(pw->sets);
	free(pw->pols);
	tdestroy(pw->set_tree, kp_pset_free);
	tdestroy(pw->port_tree, kp_port_name_free);
	memset(pw, 0, sizeof(*pw));
}

