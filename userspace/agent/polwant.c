// SPDX-License-Identifier: GPL-2.0
/*
 * NetworkPolicies compiled into the kernel's terms (see agent.h): IP sets,
 * policies in the default tier at order 1000 (where Calico places them),
 * and each local pod's attachments; then diffed against what the kernel
 * holds, set members added and removed rather than sets rebuilt.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "selector.h"

#define KP_NP_TIER	"default"
#define KP_NP_ORDER	1000

/* What a pod's selectors see: its labels, its namespace's under "pcns.". */
struct kp_labelled {
	const char *ns;
	const struct kp_k8s_label *labels, *ns_labels;
	unsigned int n_labels, n_ns_labels;
};

static const char *kp_label_in(const struct kp_k8s_label *l, unsigned int n, const char *key)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(l[i].key, key))
			return l[i].value;
	return NULL;
}

static const char *kp_labelled_get(const char *key, void *arg)
{
	const struct kp_labelled *o = arg;

	if (!strcmp(key, "projectcalico.org/namespace"))
		return o->ns;
	if (!strncmp(key, "pcns.", 5))
		return kp_label_in(o->ns_labels, o->n_ns_labels, key + 5);
	return kp_label_in(o->labels, o->n_labels, key);
}

static const struct kp_k8s_namespace *kp_ns_find(const struct kp_k8s_view *v, const char *name)
{
	unsigned int i;

	for (i = 0; i < v->n_nss; i++)
		if (!strcmp(v->nss[i]->name, name))
			return v->nss[i];
	return NULL;
}

static void kp_labelled_init(struct kp_labelled *o, const struct kp_k8s_view *v, const char *ns,
			     const struct kp_k8s_pod *pod)
{
	const struct kp_k8s_namespace *n = kp_ns_find(v, ns);

	memset(o, 0, sizeof(*o));
	o->ns = ns;
	if (pod) {
		o->labels = pod->labels;
		o->n_labels = pod->n_labels;
	}
	if (n) {
		o->ns_labels = n->labels;
		o->n_ns_labels = n->n_labels;
	}
}

/* --- sets --- */

/* qsort() that takes an empty array at NULL. */
static void kp_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
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

static int kp_pset_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kp_pset *)a)->name, ((const struct kp_pset *)b)->name);
}

static int kp_prefix_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct kplane_prefix));
}

/* The set named @name in @pw, added (empty, its selector kept) if new; NULL: no memory. */
static struct kp_pset *kp_pset_get(struct kp_pol_want *pw, const char *name, const char *sel,
				   uint8_t proto, const char *port_name, uint16_t port)
{
	struct kp_pset *s;
	unsigned int i;

	for (i = 0; i < pw->n_sets; i++)	/* few distinct selectors; sorted later */
		if (!strcmp(pw->sets[i].name, name))
			return &pw->sets[i];
	if (!kp_grow((void **)&pw->sets, pw->n_sets, &pw->cap_sets, sizeof(*pw->sets)))
		return NULL;
	s = &pw->sets[pw->n_sets];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (sel && !(s->selector = strdup(sel)))
		return NULL;
	s->proto = proto;
	s->port = port;
	snprintf(s->port_name, sizeof(s->port_name), "%s", port_name ? port_name : "");
	pw->n_sets++;
	return s;
}

/* The set of the pods @sel (canonical) selects: "s:" and a hash of it. */
static int kp_sel_set(struct kp_pol_want *pw, const char *sel, char name[KPLANE_ID_MAX])
{
	snprintf(name, KPLANE_ID_MAX, "s:%016llx", (unsigned long long)kp_fnv64(sel));
	return kp_pset_get(pw, name, sel, 0, NULL, 0) ? 0 : -ENOMEM;
}

/* The set of the pods whose port @port_name (@proto) is @port. */
static int kp_port_set(struct kp_pol_want *pw, uint8_t proto, const char *port_name,
		       uint16_t port, char name[KPLANE_ID_MAX])
{
	snprintf(name, KPLANE_ID_MAX, "np:%u:%s:%u", proto, port_name, port);
	return kp_pset_get(pw, name, NULL, proto, port_name, port) ? 0 : -ENOMEM;
}

static int kp_pset_add_ips(struct kp_pset *s, const struct kp_k8s_pod *pod)
{
	unsigned int i;

	for (i = 0; i < pod->n_ips; i++) {
		struct kplane_prefix p = { .family = pod->ips[i].family,
					   .len = pod->ips[i].family == AF_INET ? 32 : 128 };

		memcpy(p.addr, pod->ips[i].ip, pod->ips[i].family == AF_INET ? 4 : 16);
		if (!kp_grow((void **)&s->m, s->n, &s->cap, sizeof(*s->m)))
			return -ENOMEM;
		s->m[s->n++] = p;
	}
	return 0;
}

static bool kp_pod_has_port(const struct kp_k8s_pod *pod, const struct kp_pset *s)
{
	unsigned int i;

	for (i = 0; i < pod->n_cports; i++)
		if (pod->cports[i].proto == s->proto && pod->cports[i].port == s->port &&
		    !strcmp(pod->cports[i].name, s->port_name))
			return true;
	return false;
}

/* Sorted, each member once: as they are compared. */
static void kp_pset_settle(struct kp_pset *s)
{
	unsigned int i, n = 0;

	kp_sort(s->m, s->n, sizeof(*s->m), kp_prefix_cmp);
	for (i = 0; i < s->n; i++)
		if (!n || kp_prefix_cmp(&s->m[n - 1], &s->m[i]))
			s->m[n++] = s->m[i];
	s->n = n;
}

/* Every set's members: the pods (of any node) it selects. */
static int kp_psets_fill(struct kp_pol_want *pw, const struct kp_k8s_view *v)
{
	unsigned int i, j;
	int err = 0;

	for (i = 0; !err && i < pw->n_sets; i++) {
		struct kp_pset *s = &pw->sets[i];
		struct kp_sel *sel = NULL;
		const char *why;
		size_t at;

		if (s->selector)
			err = kp_sel_parse(s->selector, strlen(s->selector), &sel, &why, &at);
		for (j = 0; !err && j < v->n_pods; j++) {
			const struct kp_k8s_pod *pod = v->pods[j];
			struct kp_labelled o;

			kp_labelled_init(&o, v, pod->ns, pod);
			if (sel ? kp_sel_match(sel, kp_labelled_get, &o) : kp_pod_has_port(pod, s))
				err = kp_pset_add_ips(s, pod);
		}
		kp_sel_free(sel);
		kp_pset_settle(s);
	}
	kp_sort(pw->sets, pw->n_sets, sizeof(*pw->sets), kp_pset_cmp);
	return err;
}

/* --- rules --- */

static struct kp_rule_item *kp_item_add(struct kp_rule *r, bool dst, uint8_t kind)
{
	struct kp_rule_item *it = realloc(r->items, (r->n_items + 1) * sizeof(*it));

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
static int kp_peer_items(struct kp_pol_want *pw, struct kp_rule *r, bool dst,
			 const struct kp_k8s_np_peer *peer)
{
	struct kp_rule_item *it;
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

static int kp_port_items(struct kp_rule *r, const struct kp_port_group *g)
{
	struct kp_rule_item *it;
	unsigned int i;

	if (!g->proto)
		return 0;
	r->has |= KP_HAS_PROTO;
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

static int kp_item_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct kp_rule_item));
}

/* One Allow rule per peer for @g, appended to @pol. */
static int kp_emit_rules(struct kp_pol_want *pw, struct kp_policy *pol, enum kplane_dir dir,
			 const struct kp_port_group *g)
{
	const struct kp_k8s_np_rule *k = g->rule;
	unsigned int i, n = k->n_peers ? k->n_peers : 1;
	int err = 0;

	for (i = 0; !err && i < n; i++) {
		struct kp_rule *r;

		if (pol->n_rules == KPLANE_POLICY_RULES_MAX * 2)
			return -E2BIG;
		r = realloc(pol->rules, (pol->n_rules + 1) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		pol->rules = r;
		r += pol->n_rules++;
		memset(r, 0, sizeof(*r));
		r->dir = (uint8_t)dir;
		r->action = KPLANE_ACTION_ALLOW;
		err = kp_peer_items(pw, r, dir == KPLANE_DIR_EGRESS,
				    k->n_peers ? &k->peers[i] : NULL);
		if (!err)
			err = kp_port_items(r, g);
		kp_sort(r->items, r->n_items, sizeof(*r->items), kp_item_cmp);
	}
	return err;
}

/* The numbers @p (a named port) resolves to over every pod: one group each. */
static int kp_named_groups(struct kp_pol_want *pw, struct kp_policy *pol, enum kplane_dir dir,
			   const struct kp_k8s_np_rule *k, const struct kp_k8s_np_port *p,
			   const struct kp_k8s_view *v)
{
	uint8_t seen[65536 / 8] = { 0 };
	unsigned int i, j;
	int err = 0;

	for (i = 0; !err && i < v->n_pods; i++) {
		const struct kp_k8s_pod *pod = v->pods[i];

		for (j = 0; !err && j < pod->n_cports; j++) {
			const struct kp_k8s_cport *c = &pod->cports[j];
			struct kp_port_group g = { .proto = p->proto, .rule = k, .named = c->port };

			if (c->proto != p->proto || strcmp(c->name, p->name) ||
			    seen[c->port / 8] & (1 << (c->port % 8)))
				continue;
			seen[c->port / 8] |= (uint8_t)(1 << (c->port % 8));
			err = kp_port_set(pw, p->proto, p->name, c->port, g.set);
			if (!err)
				err = kp_emit_rules(pw, pol, dir, &g);
		}
	}
	return err;
}

/* A NetworkPolicy rule: per protocol its numbered ports, per named port each number. */
static int kp_np_rule_compile(struct kp_pol_want *pw, struct kp_policy *pol, enum kplane_dir dir,
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

/* --- policies --- */

static int kp_np_id(const struct kp_k8s_netpol *np, char id[KPLANE_ID_MAX])
{
	return kp_id_fit(id, "knp:", np->ns, np->name);
}

static int kp_np_compile(struct kp_pol_want *pw, const struct kp_k8s_netpol *np,
			 const struct kp_k8s_view *v)
{
	struct kp_policy *pol;
	unsigned int d, i;
	int err = 0;

	if (!kp_grow((void **)&pw->pols, pw->n_pols, &pw->cap_pols, sizeof(*pw->pols)))
		return -ENOMEM;
	pol = &pw->pols[pw->n_pols++];
	memset(pol, 0, sizeof(*pol));
	kp_np_id(np, pol->id);
	strcpy(pol->tier, KP_NP_TIER);
	pol->has_order = true;
	pol->order = KP_NP_ORDER;
	pol->types = np->types;
	for (d = 0; !err && d < 2; d++)
		for (i = 0; !err && (np->types & (1U << d)) && i < np->n_rules[d]; i++)
			err = kp_np_rule_compile(pw, pol, d, &np->rules[d][i], v);
	return err;
}

/* A NetworkPolicy and where it came in key order: a name twice, the first stands. */
struct kp_np_at {
	const struct kp_k8s_netpol *np;
	unsigned int at;
};

static int kp_np_name_cmp(const struct kp_k8s_netpol *a, const struct kp_k8s_netpol *b)
{
	int c = strcmp(a->ns, b->ns);

	return c ? c : strcmp(a->name, b->name);
}

static int kp_np_at_cmp(const void *pa, const void *pb)
{
	const struct kp_np_at *a = pa, *b = pb;
	int c = kp_np_name_cmp(a->np, b->np);

	return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* The policies of @v's NetworkPolicies, in *@sorted by name, each name once. */
static int kp_netpols_compile(struct kp_pol_want *pw, const struct kp_k8s_view *v,
			      const struct kp_k8s_netpol ***sorted)
{
	struct kp_np_at *at = malloc((v->n_netpols ? v->n_netpols : 1) * sizeof(*at));
	const struct kp_k8s_netpol **np = malloc((v->n_netpols ? v->n_netpols : 1) * sizeof(*np));
	unsigned int i, n = 0;
	int err = 0;

	if (!at || !np) {
		free(at);
		free(np);
		return -ENOMEM;
	}
	for (i = 0; i < v->n_netpols; i++)
		at[i] = (struct kp_np_at){ v->netpols[i], i };
	kp_sort(at, v->n_netpols, sizeof(*at), kp_np_at_cmp);
	for (i = 0; i < v->n_netpols; i++)
		if (!n || kp_np_name_cmp(np[n - 1], at[i].np))
			np[n++] = at[i].np;
	free(at);
	for (i = 0; !err && i < n; i++) {
		err = kp_np_compile(pw, np[i], v);
		if (err == -E2BIG) {	/* too many rules for the kernel: it allows nothing */
			kp_policy_release(&pw->pols[pw->n_pols - 1]);
			err = 0;
		}
	}
	*sorted = np;
	pw->n_netpols = n;
	return err;
}

static int kp_pol_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kp_policy *)a)->id, ((const struct kp_policy *)b)->id);
}

/* --- attachments --- */

static const struct kp_k8s_pod *kp_pod_find(const struct kp_k8s_view *v, const char *ns,
					    const char *name)
{
	unsigned int i;

	for (i = 0; i < v->n_pods; i++)
		if (!strcmp(v->pods[i]->ns, ns) && !strcmp(v->pods[i]->name, name))
			return v->pods[i];
	return NULL;
}

/* @ep (the endpoint of @w) attaches each policy whose selector takes its pod, by direction. */
static int kp_ep_attach(struct kp_want_ep *ep, const struct kp_k8s_wep *w,
			const struct kp_k8s_netpol *const *np, const struct kp_pol_want *pw,
			struct kp_sel *const *sels, const struct kp_k8s_view *v)
{
	struct kp_labelled o;
	unsigned int d, i;
	int err = 0;

	kp_labelled_init(&o, v, w->ns, kp_pod_find(v, w->ns, w->pod));
	for (d = 0; !err && d < 2; d++)
		for (i = 0; !err && i < pw->n_netpols; i++)
			if ((np[i]->types & (1U << d)) && sels[i] &&
			    kp_sel_match(sels[i], kp_labelled_get, &o))
				err = kp_endpoint_attach(&ep->ep, d, KP_NP_TIER, pw->pols[i].id,
							 strlen(pw->pols[i].id));
	return err;
}

static int kp_eps_attach(struct kp_ep_set *eps, const struct kp_k8s_view *v,
			 const struct kp_k8s_node *node, const struct kp_k8s_netpol *const *np,
			 const struct kp_pol_want *pw)
{
	struct kp_sel **sels = calloc(pw->n_netpols + 1, sizeof(*sels));
	bool *seen = calloc(eps->n + 1, sizeof(*seen));
	unsigned int i, j;
	int err = 0;

	if (!sels || !seen) {
		free(sels);
		free(seen);
		return -ENOMEM;
	}
	for (i = 0; !err && i < pw->n_netpols; i++) {
		const char *why;
		size_t at;

		err = kp_sel_parse(np[i]->selector, strlen(np[i]->selector), &sels[i], &why, &at);
	}
	for (i = 0; !err && i < v->n_weps; i++) {
		const struct kp_k8s_wep *w = v->weps[i];
		char id[KPLANE_ID_MAX];

		if (!node->name || strcmp(w->node, node->name))
			continue;
		kp_id_fit(id, "", w->ns, w->pod);
		for (j = 0; j < eps->n && strcmp(eps->eps[j].ep.id, id); j++)
			;
		if (j == eps->n || seen[j])	/* a pod described twice: the first stands */
			continue;
		seen[j] = true;
		err = kp_ep_attach(&eps->eps[j], w, np, pw, sels, v);
		kp_ep_attach_sort(&eps->eps[j].ep);
	}
	for (i = 0; i < pw->n_netpols; i++)
		kp_sel_free(sels[i]);
	free(sels);
	free(seen);
	return err;
}

int kp_k8s_want_policy(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
		       struct kp_pol_want *out, struct kp_ep_set *eps)
{
	const struct kp_k8s_netpol **np = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	err = kp_netpols_compile(out, v, &np);
	if (!err)
		err = kp_eps_attach(eps, v, node, np, out);
	if (!err)
		err = kp_psets_fill(out, v);
	kp_sort(out->pols, out->n_pols, sizeof(*out->pols), kp_pol_id_cmp);
	free(np);
	if (err)
		kp_pol_want_free(out);
	return err;
}

void kp_pol_want_free(struct kp_pol_want *pw)
{
	unsigned int i;

	for (i = 0; i < pw->n_sets; i++) {
		free(pw->sets[i].m);
		free(pw->sets[i].selector);
	}
	for (i = 0; i < pw->n_pols; i++)
		kp_policy_release(&pw->pols[i]);
	free(pw->sets);
	free(pw->pols);
	memset(pw, 0, sizeof(*pw));
}

/* --- what the kernel holds, and the diff --- */

/* kplaned's own: the sets and policies it names; the rest are an operator's. */
static bool kp_own_set(const char *name)
{
	return !strncmp(name, "s:", 2) || !strncmp(name, "np:", 3);
}

static bool kp_own_policy(const char *id)
{
	return !strncmp(id, "knp:", 4);
}

int kp_pol_want_take(struct kp_pol_want *out, struct kp_ipset_info *sets, size_t n_sets,
		     struct kp_policy *pols, size_t n_pols)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	out->sets = calloc(n_sets + 1, sizeof(*out->sets));
	out->pols = calloc(n_pols + 1, sizeof(*out->pols));
	if (!out->sets || !out->pols) {
		kp_pol_want_free(out);
		return -ENOMEM;
	}
	for (i = 0; i < n_sets; i++) {
		struct kp_pset *s = &out->sets[out->n_sets];

		if (!kp_own_set(sets[i].name))
			continue;
		snprintf(s->name, sizeof(s->name), "%s", sets[i].name);
		s->m = sets[i].members;
		s->n = s->cap = sets[i].n_members;
		sets[i].members = NULL;
		sets[i].n_members = 0;
		kp_pset_settle(s);
		out->n_sets++;
	}
	for (i = 0; i < n_pols; i++) {
		struct kp_policy *pol = &out->pols[out->n_pols];

		if (!kp_own_policy(pols[i].id))
			continue;
		*pol = pols[i];
		memset(&pols[i], 0, sizeof(pols[i]));
		for (j = 0; j < pol->n_rules; j++) {
			kp_sort(pol->rules[j].items, pol->rules[j].n_items, sizeof(*pol->rules[j].items),
			      kp_item_cmp);
			pol->rules[j].packets = pol->rules[j].bytes = 0;
		}
		out->n_pols++;
	}
	kp_sort(out->sets, out->n_sets, sizeof(*out->sets), kp_pset_cmp);
	kp_sort(out->pols, out->n_pols, sizeof(*out->pols), kp_pol_id_cmp);
	out->cap_sets = out->n_sets;
	out->cap_pols = out->n_pols;
	return 0;
}

static bool kp_rule_same(const struct kp_rule *a, const struct kp_rule *b)
{
	return a->dir == b->dir && a->action == b->action && a->has == b->has &&
	       a->proto == b->proto && a->not_proto == b->not_proto &&
	       a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code &&
	       a->not_icmp_type == b->not_icmp_type && a->not_icmp_code == b->not_icmp_code &&
	       a->n_items == b->n_items &&
	       (!a->n_items || !memcmp(a->items, b->items, a->n_items * sizeof(*a->items)));
}

/* Whether the kernel's @have is @want: rules in order, each side's items as sorted. */
static bool kp_policy_same(const struct kp_policy *want, const struct kp_policy *have)
{
	unsigned int i;

	if (strcmp(want->tier, have->tier) || want->order != have->order ||
	    want->types != have->types || want->apply_on_forward != have->apply_on_forward ||
	    want->n_rules != have->n_rules)
		return false;
	for (i = 0; i < want->n_rules; i++)
		if (!kp_rule_same(&want->rules[i], &have->rules[i]))
			return false;
	return true;
}

/* @want's members not in @have (both sorted) into *@out; -ENOMEM. */
static int kp_members_minus(const struct kp_pset *want, const struct kp_pset *have,
			    struct kplane_prefix **out, unsigned int *n)
{
	unsigned int i, j = 0;

	*n = 0;
	*out = malloc((want->n ? want->n : 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < want->n; i++) {
		int c = 1;

		while (have && j < have->n && (c = kp_prefix_cmp(&have->m[j], &want->m[i])) < 0)
			j++;
		if (!have || j == have->n || c)
			(*out)[(*n)++] = want->m[i];
	}
	return 0;
}

static int kp_set_diff(const struct kp_pset *w, const struct kp_pset *h, struct kp_pol_diff *d)
{
	struct kp_pset_upd *u;
	int err;

	if (!h) {
		d->set_new[d->n_set_new++] = w;
		return 0;
	}
	u = &d->set_upd[d->n_set_upd];
	memset(u, 0, sizeof(*u));
	u->set = w;
	err = kp_members_minus(w, h, &u->add, &u->n_add);
	if (!err)
		err = kp_members_minus(h, w, &u->del, &u->n_del);
	if (!err && (u->n_add || u->n_del))
		d->n_set_upd++;
	else {
		free(u->add);
		free(u->del);
	}
	return err;
}

int kp_pol_diff(const struct kp_pol_want *want, const struct kp_pol_want *have,
		struct kp_pol_diff *d)
{
	unsigned int i = 0, j = 0;
	int err = 0;

	memset(d, 0, sizeof(*d));
	d->set_new = malloc((want->n_sets + 1) * sizeof(*d->set_new));
	d->set_upd = malloc((want->n_sets + 1) * sizeof(*d->set_upd));
	d->set_del = malloc((have->n_sets + 1) * sizeof(*d->set_del));
	d->pol_set = malloc((want->n_pols + 1) * sizeof(*d->pol_set));
	d->pol_del = malloc((have->n_pols + 1) * sizeof(*d->pol_del));
	if (!d->set_new || !d->set_upd || !d->set_del || !d->pol_set || !d->pol_del)
		err = -ENOMEM;
	while (!err && (i < want->n_sets || j < have->n_sets)) {
		int c = i == want->n_sets ? 1 : j == have->n_sets ? -1 :
			strcmp(want->sets[i].name, have->sets[j].name);

		if (c > 0)
			d->set_del[d->n_set_del++] = &have->sets[j++];
		else
			err = kp_set_diff(&want->sets[i++], c ? NULL : &have->sets[j++], d);
	}
	for (i = 0, j = 0; !err && (i < want->n_pols || j < have->n_pols);) {
		int c = i == want->n_pols ? 1 : j == have->n_pols ? -1 :
			strcmp(want->pols[i].id, have->pols[j].id);

		if (c > 0)
			d->pol_del[d->n_pol_del++] = &have->pols[j++];
		else if (c < 0 || !kp_policy_same(&want->pols[i], &have->pols[j]))
			d->pol_set[d->n_pol_set++] = &want->pols[i];
		i += c <= 0;
		j += c == 0;
	}
	if (err)
		kp_pol_diff_free(d);
	return err;
}

void kp_pol_diff_free(struct kp_pol_diff *d)
{
	unsigned int i;

	for (i = 0; d->set_upd && i < d->n_set_upd; i++) {
		free(d->set_upd[i].add);
		free(d->set_upd[i].del);
	}
	free(d->set_new);
	free(d->set_upd);
	free(d->set_del);
	free(d->pol_set);
	free(d->pol_del);
	memset(d, 0, sizeof(*d));
}

bool kp_pol_diff_empty(const struct kp_pol_diff *d)
{
	return !d->n_set_new && !d->n_set_upd && !d->n_set_del && !d->n_pol_set && !d->n_pol_del;
}
