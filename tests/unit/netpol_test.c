// SPDX-License-Identifier: GPL-2.0
/*
 * Policy from objects: Pods, Namespaces and NetworkPolicies read (bad ones
 * named), compiled to sets, policies and attachments, and diffed; and a
 * differential test of the compiled sets against the API's semantics
 * evaluated directly over random pods, namespaces and policies.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "kp_test.h"

static const struct kp_k8s_node node = { "n1", NULL };

static void skipped(unsigned int line, const char *why, void *arg)
{
	char *last = arg;

	(void)line;
	snprintf(last, 256, "%s", why);
}

static void put(struct kp_store *s, const char *key, const char *text)
{
	struct kp_k8s_objects o = { 0 };
	char why[256] = "";

	KP_EXPECT(kp_k8s_load(text, strlen(text), &o, skipped, why) == 0);
	if (why[0])
		printf("# %s: skipped: %s\n", key, why);
	KP_EXPECT(kp_store_put(s, key, &o) == 0);
	kp_k8s_objects_free(&o);
}

/* Loads @text; returns why its one object was skipped ("" if kept). */
static const char *load_why(const char *text, struct kp_k8s_objects *o)
{
	static char why[256];

	why[0] = '\0';
	KP_EXPECT(kp_k8s_load(text, strlen(text), o, skipped, why) == 0);
	return why;
}

#define NP_HEAD "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" \
		"metadata: {name: p, namespace: x}\nspec:\n"

static void test_read_netpol(void)
{
	static const char full[] = NP_HEAD
		"  podSelector: {matchLabels: {app: web}}\n"
		"  ingress:\n"
		"  - from:\n"
		"    - podSelector: {matchLabels: {role: fe}}\n"
		"    - namespaceSelector: {matchLabels: {team: a}}\n"
		"      podSelector: {}\n"
		"    - ipBlock: {cidr: 10.1.2.3/16, except: [10.1.9.0/24]}\n"
		"    ports: [{port: 80, endPort: 90}, {port: http, protocol: UDP}, {protocol: SCTP}]\n";
	struct kp_k8s_objects o = { 0 };
	const struct kp_k8s_np_rule *r;
	const char *why = load_why(full, &o);

	KP_EXPECT_STR(why, "");
	KP_EXPECT(o.n_netpols == 1);
	if (o.n_netpols != 1)
		return;
	KP_EXPECT_STR(o.netpols[0].selector,
		      "projectcalico.org/orchestrator == \"k8s\" && projectcalico.org/namespace == \"x\" && "
		      "(app == \"web\")");
	KP_EXPECT(o.netpols[0].types == KPLANE_POLICY_INGRESS);	/* no egress rules */
	KP_EXPECT(o.netpols[0].n_rules[0] == 1 && o.netpols[0].n_rules[1] == 0);
	r = &o.netpols[0].rules[0][0];
	KP_EXPECT(r->n_peers == 3 && r->n_ports == 3);
	KP_EXPECT_STR(r->peers[0].selector,
		      "projectcalico.org/orchestrator == \"k8s\" && projectcalico.org/namespace == \"x\" && "
		      "(role == \"fe\")");
	KP_EXPECT_STR(r->peers[1].selector,
		      "projectcalico.org/orchestrator == \"k8s\" && has(projectcalico.org/namespace) && "
		      "(pcns.team == \"a\")");
	KP_EXPECT(!r->peers[2].selector && r->peers[2].cidr.len == 16 &&
		  r->peers[2].cidr.addr[2] == 0 && r->peers[2].n_except == 1);
	KP_EXPECT(r->ports[0].port == 80 && r->ports[0].end == 90 &&
		  r->ports[0].proto == IPPROTO_TCP);
	KP_EXPECT_STR(r->ports[1].name, "http");
	KP_EXPECT(r->ports[1].proto == IPPROTO_UDP);
	KP_EXPECT(r->ports[2].proto == IPPROTO_SCTP && !r->ports[2].port);
	kp_k8s_objects_free(&o);
}

static void test_read_bad(void)
{
	static const struct { const char *spec, *why; } bad[] = {
		{ "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]\n",
		  "ipBlock and a selector" },
		{ "  ingress: [{from: [{}]}]\n", "no podSelector" },
		{ "  ingress: [{ports: [{port: http, endPort: 90}]}]\n", "endPort with a named port" },
		{ "  ingress: [{ports: [{port: 90, endPort: 80}]}]\n", "endPort is below" },
		{ "  ingress: [{ports: [{port: 0}]}]\n", "not 1..65535" },
		{ "  ingress: [{ports: [{port: 80, protocol: ICMP}]}]\n", "protocol" },
		{ "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]\n", "not a prefix" },
		{ "  podSelector: {matchLabels: {'a\"b': c}}\n", "bad key" },
		{ "  policyTypes: [Sideways]\n", "policyTypes" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kp_k8s_objects o = { 0 };
		char text[512];
		const char *why;

		snprintf(text, sizeof(text), NP_HEAD "%s", bad[i].spec);
		why = load_why(text, &o);
		KP_EXPECT(o.n_netpols == 0 && strstr(why, bad[i].why));
		if (!strstr(why, bad[i].why))
			printf("# case %u: %s\n", i, why);
		kp_k8s_objects_free(&o);
	}
}

#define POD(ns, name, node, labels, ip, ports) \
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: " ns \
	", labels: {" labels "}}\nspec: {nodeName: " node ", containers: [{name: c, ports: [" \
	ports "]}]}\nstatus: {podIPs: [{ip: " ip "}]}\n"
#define WEP(ns, name, n) \
	"---\nkind: WorkloadEndpoint\nmetadata: {name: w" n ", namespace: " ns "}\n" \
	"spec: {node: n1, pod: " name ", interfaceName: veth" n ", ipNetworks: [10.0.0." n "/32]}\n"

static const char pods_yaml[] =
	"kind: Namespace\nmetadata: {name: x, labels: {team: a}}\n"
	"---\nkind: Namespace\nmetadata: {name: y}\n"
	POD("x", "a", "n1", "app: web", "10.0.0.1", "{name: http, containerPort: 8080}")
	POD("x", "b", "n1", "app: web", "10.0.0.2", "{name: http, containerPort: 9090}")
	POD("y", "c", "n2", "app: db", "10.0.1.3", "{name: http, containerPort: 8080}")
	POD("y", "d", "n2", "app: web", "fd00::4", "")
	WEP("x", "a", "1") WEP("x", "b", "2");

static const char pods_b_gone_yaml[] =
	"kind: Namespace\nmetadata: {name: x, labels: {team: a}}\n"
	"---\nkind: Namespace\nmetadata: {name: y}\n"
	POD("x", "a", "n1", "app: web", "10.0.0.1", "{name: http, containerPort: 8080}")
	POD("x", "b", "n1", "app: gone", "10.0.0.2", "")
	POD("y", "c", "n2", "app: db", "10.0.1.3", "{name: http, containerPort: 8080}")
	POD("y", "d", "n2", "app: web", "fd00::4", "")
	WEP("x", "a", "1") WEP("x", "b", "2");

static const char np_yaml[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: web, namespace: x}\nspec:\n"
	"  podSelector: {matchLabels: {app: web}}\n"
	"  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}],"
	" ports: [{port: http}, {port: 53, protocol: UDP}]}]\n";

static const struct kp_pset *set_named(const struct kp_pol_want *pw, const char *prefix)
{
	unsigned int i;

	for (i = 0; i < pw->n_sets; i++)
		if (!strncmp(pw->sets[i].name, prefix, strlen(prefix)))
			return &pw->sets[i];
	return NULL;
}

/* A named port resolves per pod: one rule per number, towards the pods it is theirs. */
static void test_compile(void)
{
	struct kp_store s = { 0 };
	struct kp_desired w;
	const struct kp_pset *web, *p8080, *p9090;
	const struct kpl_policy *pol;
	unsigned int i;

	put(&s, "pods", pods_yaml);
	put(&s, "np", np_yaml);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	KP_EXPECT(w.pol.n_pols == 1 && w.pol.n_sets == 3);
	if (w.pol.n_pols != 1 || w.pol.n_sets != 3)
		goto out;
	pol = &w.pol.pols[0];
	KP_EXPECT_STR(pol->id, "knp:x/web");
	KP_EXPECT(pol->has_order && pol->order == 1000000 && !strcmp(pol->tier, "default"));
	/* UDP 53, and http as 8080 and as 9090 */
	KP_EXPECT(pol->n_rules == 3);
	web = set_named(&w.pol, "s:");
	p8080 = set_named(&w.pol, "np:6:http:8080");
	p9090 = set_named(&w.pol, "np:6:http:9090");
	KP_EXPECT(web && p8080 && p9090);
	if (!web || !p8080 || !p9090)
		goto out;
	KP_EXPECT(web->n == 3);	/* a, b and the remote d (IPv6); not c (db) */
	KP_EXPECT(p8080->n == 2 && p9090->n == 1);	/* a and c; b */
	for (i = 0; i < pol->n_rules; i++)
		KP_EXPECT(pol->rules[i].dir == KPLANE_DIR_INGRESS &&
			  pol->rules[i].action == KPLANE_ACTION_ALLOW &&
			  (pol->rules[i].has & KPL_HAS_PROTO));
	KP_EXPECT(w.eps.n == 2);
	for (i = 0; i < w.eps.n; i++)
		KP_EXPECT(w.eps.eps[i].ep.n_attach == 1 &&
			  w.eps.eps[i].ep.attach[0].dir == KPLANE_DIR_INGRESS &&
			  !strcmp(w.eps.eps[i].ep.attach[0].policy, "knp:x/web"));
out:
	kp_desired_free(&w);
	kp_store_free(&s);
}

/* What the kernel has, diffed: members added and removed, policies set and deleted. */
static void test_diff(void)
{
	struct kp_store s = { 0 };
	struct kp_desired a, b;
	struct kp_change c;

	put(&s, "pods", pods_yaml);
	put(&s, "np", np_yaml);
	KP_EXPECT(kp_store_desired(&s, &node, &a) == 0);
	KP_EXPECT(kp_desired_diff(&a, &a, &c) == 0);
	KP_EXPECT(kp_pol_diff_empty(&c.pol) && c.ep.n_pol == 0);
	kp_change_free(&c);
	/* pod b leaves the app: out of the web set, and its endpoint unattached */
	put(&s, "pods", pods_b_gone_yaml);
	KP_EXPECT(kp_store_desired(&s, &node, &b) == 0);
	KP_EXPECT(kp_desired_diff(&b, &a, &c) == 0);
	KP_EXPECT(c.pol.n_set_upd == 1 && c.pol.set_upd[0].n_del == 1 &&
		  c.pol.set_upd[0].n_add == 0);
	KP_EXPECT(c.pol.n_set_del == 1);	/* http is 9090 on no pod now */
	KP_EXPECT(c.pol.n_pol_set == 1 && c.pol.n_pol_del == 0);	/* its 9090 rule gone */
	KP_EXPECT(c.ep.n_pol == 1 && c.ep.pol[0]->ep.n_attach == 0 && !c.ep.n_add);
	kp_change_free(&c);
	/* and back: the reverse */
	KP_EXPECT(kp_desired_diff(&a, &b, &c) == 0);
	KP_EXPECT(c.pol.n_set_new == 1 && c.pol.n_set_upd == 1 && c.pol.set_upd[0].n_add == 1);
	kp_change_free(&c);
	kp_desired_free(&a);
	kp_desired_free(&b);
	kp_store_free(&s);
}


/* --- Calico --- */

static const char cal_yaml[] =
	"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: sec}\nspec: {order: 100}\n"
	"---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
	"metadata: {name: g}\nspec:\n  tier: sec\n  order: 2.5\n  selector: app == 'web'\n"
	"  ingress:\n"
	"  - {action: Deny, protocol: TCP, ipVersion: 4, source: {namespaceSelector: team == 'a',"
	" notSelector: role == 'x'}, destination: {ports: [80, '8000:8080', http], notPorts: [8081]}}\n"
	"  - action: Pass\n"
	"---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
	"metadata: {name: n, namespace: x}\nspec:\n  selector: all()\n"
	"  egress: [{action: Allow, destination: {selector: role == 'db', namespaceSelector: global()}}]\n"
	"---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
	"metadata: {name: ext, labels: {role: db}}\nspec: {nets: [192.168.0.0/16]}\n"
	"---\napiVersion: projectcalico.org/v3\nkind: HostEndpoint\n"
	"metadata: {name: eth0, labels: {app: web}}\n"
	"spec: {node: n1, interfaceName: eth0, expectedIPs: [192.0.2.1]}\n";

static const struct kpl_policy *pol_named(const struct kp_pol_want *pw, const char *id)
{
	unsigned int i;

	for (i = 0; i < pw->n_pols; i++)
		if (!strcmp(pw->pols[i].id, id))
			return &pw->pols[i];
	return NULL;
}

static const struct kp_want_ep *ep_named(const struct kp_ep_set *eps, const char *id)
{
	unsigned int i;

	for (i = 0; i < eps->n; i++)
		if (!strcmp(eps->eps[i].ep.id, id))
			return &eps->eps[i];
	return NULL;
}

static void test_calico(void)
{
	struct kp_store s = { 0 };
	struct kp_desired w;
	const struct kpl_policy *g, *n;
	const struct kp_want_ep *a, *hep;

	put(&s, "pods", pods_yaml);
	put(&s, "cal", cal_yaml);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	g = pol_named(&w.pol, "gnp:sec/g");
	n = pol_named(&w.pol, "cnp:default/x/n");
	KP_EXPECT(g && n);
	if (!g || !n)
		goto out;
	KP_EXPECT(!strcmp(g->tier, "sec") && g->order == 2500);
	/* numbered ports; http as 8080 (a) and 9090 (b); the Pass */
	KP_EXPECT(g->n_rules == 4);
	KP_EXPECT(g->rules[0].action == KPLANE_ACTION_DENY && g->rules[3].action == KPLANE_ACTION_PASS);
	/* Deny's items: ::/0 not a source, the ns set, the not-set, 80, 8000-8080, not 8081 */
	KP_EXPECT(g->rules[0].n_items == 6);
	KP_EXPECT(n->order == UINT32_MAX && n->types == KPLANE_POLICY_EGRESS);
	a = ep_named(&w.eps, "x/a");
	hep = ep_named(&w.eps, "hep:eth0");
	KP_EXPECT(a && hep && hep->ep.host);
	/* x/a: ingress tier sec (g), egress tier default (n), in that order */
	KP_EXPECT(a && a->ep.n_attach == 2 && !strcmp(a->ep.attach[0].tier, "sec") &&
		  !strcmp(a->ep.attach[1].policy, "cnp:default/x/n"));
	/* the host endpoint: g only (n is x's); no policy for its egress: Calico's default deny */
	KP_EXPECT(hep && hep->ep.n_attach == 2 && !strcmp(hep->ep.attach[0].policy, "gnp:sec/g") &&
		  hep->ep.attach[1].dir == KPLANE_DIR_EGRESS && !hep->ep.attach[1].policy[0]);
	/* n's destination set, global(): the GlobalNetworkSet's net only */
	{
		const struct kp_pset *db = NULL;
		unsigned int i;

		for (i = 0; i < w.pol.n_sets; i++)
			if (w.pol.sets[i].selector && strstr(w.pol.sets[i].selector, "db"))
				db = &w.pol.sets[i];
		KP_EXPECT(db && db->n == 1 && db->m[0].len == 16);
	}
out:
	kp_desired_free(&w);
	kp_store_free(&s);
}

/* A policy in a tier no Tier object names is left out, and said why. */
static void test_calico_no_tier(void)
{
	struct kp_store s = { 0 };
	struct kp_desired w;

	put(&s, "cal", "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
		"metadata: {name: g}\nspec: {tier: nowhere, ingress: [{action: Deny}]}\n");
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	KP_EXPECT(w.pol.n_pols == 0 && w.pol.n_refused == 1 &&
		  !strcmp(w.pol.refused[0], "GlobalNetworkPolicy g: spec.tier: no Tier of this name; skipped"));
	kp_desired_free(&w);
	kp_store_free(&s);
}

static void test_calico_refused(void)
{
	static const struct { const char *spec, *why; } bad[] = {
		{ "spec: {doNotTrack: true}\n", "doNotTrack" },
		{ "spec: {preDNAT: true}\n", "preDNAT" },
		{ "spec: {ingress: [{action: Allow, http: {methods: [GET]}}]}\n", "HTTP" },
		{ "spec: {ingress: [{action: Jump}]}\n", "action" },
		{ "spec: {ingress: [{action: Allow, destination: {ports: [80]}}]}\n", "need protocol" },
		{ "spec: {ingress: [{action: Allow, protocol: TCP, source: {ports: [http]}}]}\n",
		  "only taken in destination" },
		{ "spec: {selector: 'a ==='}\n", "" },
		{ "spec: {ingress: [{action: Allow, source: {serviceAccounts: {names: [x]}}}]}\n",
		  "service account" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kp_k8s_objects o = { 0 };
		char text[512];
		const char *why;

		snprintf(text, sizeof(text), "apiVersion: projectcalico.org/v3\n"
			 "kind: GlobalNetworkPolicy\nmetadata: {name: g}\n%s", bad[i].spec);
		why = load_why(text, &o);
		KP_EXPECT(o.n_cpols == 0 && why[0] && strstr(why, bad[i].why));
		if (!why[0] || !strstr(why, bad[i].why))
			printf("# case %u: '%s'\n", i, why);
		kp_k8s_objects_free(&o);
	}
}


/*
 * A tenant's labels cannot place it in another namespace's sets: the
 * reserved names (projectcalico.org/..., pcns.) are kplaned's, and a
 * NetworkPolicy's peers take pods, not network sets.
 */
static void test_spoof(void)
{
	static const char world[] =
		"kind: Namespace\nmetadata: {name: x, labels: {team: a}}\n"
		"---\nkind: Namespace\nmetadata: {name: y}\n"
		POD("y", "evil", "n2", "role: fe, projectcalico.org/namespace: x, pcns.team: a",
		    "10.0.9.9", "")
		"---\napiVersion: projectcalico.org/v3\nkind: NetworkSet\n"
		"metadata: {name: all, namespace: y, labels: {role: fe}}\nspec: {nets: [0.0.0.0/0]}\n"
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n"
		"  ingress: [{from: [{podSelector: {matchLabels: {role: fe}}},"
		" {namespaceSelector: {matchLabels: {team: a}}}, {namespaceSelector: {}}]}]\n";
	struct kp_store s = { 0 };
	struct kp_desired w;
	unsigned int i, j, evil = 0, nets = 0;

	put(&s, "w", world);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	for (i = 0; i < w.pol.n_sets; i++)
		for (j = 0; j < w.pol.sets[i].n; j++) {
			evil += w.pol.sets[i].m[j].len == 32 && w.pol.sets[i].m[j].addr[3] == 9 &&
				w.pol.sets[i].m[j].addr[2] == 9 &&
				(!strstr(w.pol.sets[i].selector, "has(projectcalico.org/namespace)") ||
				 strstr(w.pol.sets[i].selector, "pcns.team"));
			nets += w.pol.sets[i].m[j].len == 0;
		}
	/* evil is in "every namespace's pods" only; the NetworkSet in none */
	KP_EXPECT(evil == 0 && nets == 0);
	kp_desired_free(&w);
	kp_store_free(&s);
}

/* --- the index kept from one sync to the next --- */

/* @n_pols NetworkPolicies over @n_pods pods, pod @moved labelled @label. */
static void inc_write(struct kp_store *st, unsigned int n_pods, unsigned int n_pols,
		      unsigned int moved, const char *label)
{
	size_t cap = 256 * (n_pods + n_pols) + 4096, n = 0;
	char *text = malloc(cap);
	unsigned int i;

	for (i = 0; i < 4; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "---\nkind: Namespace\nmetadata: {name: ns%u, labels: {t: t%u}}\n",
				      i, i % 2);
	for (i = 0; i < n_pods; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "---\nkind: Pod\nmetadata: {name: p%u, namespace: ns%u, labels: "
				      "{app: a%u, role: %s}}\nspec: {nodeName: n%u}\n"
				      "status: {podIPs: [{ip: 10.%u.%u.%u}]}\n",
				      i, i % 4, i % n_pols, i == moved ? label : "r0", i % 2,
				      (i >> 16) & 255, (i >> 8) & 255, i & 255);
	for (i = 0; i < 2; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "---\nkind: WorkloadEndpoint\nmetadata: {name: w%u, namespace: ns%u}\n"
				      "spec: {node: n1, pod: p%u, interfaceName: v%u, ipNetworks: []}\n",
				      2 * i + 1, (2 * i + 1) % 4, 2 * i + 1, i);
	for (i = 0; i < n_pols; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				      "metadata: {name: np%u, namespace: ns%u}\nspec:\n"
				      "  podSelector: {matchLabels: {app: a%u}}\n"
				      "  ingress: [{from: [{namespaceSelector: {matchLabels: {t: t%u}},"
				      " podSelector: {matchLabels: {role: r%u}}}]}]\n",
				      i, i % 4, i, i % 2, i % 7);
	put(st, "world", text);
	free(text);
}

/* Whether @a and @b make the same sets, policies and attachments. */
static bool same_policy(const struct kp_desired *a, const struct kp_desired *b)
{
	struct kp_change c;
	bool same;

	if (kp_desired_diff(a, b, &c))
		return false;
	same = kp_pol_diff_empty(&c.pol) && !c.ep.n_pol && !c.ep.n_add && !c.ep.n_del;
	kp_change_free(&c);
	return same;
}

/* Evaluations one label change costs with @n_pols policies; and the result is a fresh one's. */
static uint64_t inc_cost(unsigned int n_pols)
{
	static const char *const labels[] = { "r3", "r0", "r5", "x" };
	struct kp_store st = { 0 };
	struct kp_polidx idx;
	uint64_t cost = 0;
	unsigned int i;

	kp_polidx_init(&idx);
	inc_write(&st, 400, n_pols, 7, "r0");
	for (i = 0; i <= 4; i++) {
		struct kp_k8s_view v;
		struct kp_desired kept = { 0 }, fresh;
		uint64_t before = idx.lx.evaluations;

		if (i)
			inc_write(&st, 400, n_pols, 7, labels[i - 1]);
		KP_EXPECT(kp_store_view_pods(&st, &v) == 0);
		KP_EXPECT(kp_k8s_want_eps(&v, &node, &kept.eps) == 0);
		KP_EXPECT(kp_k8s_want_policy(&v, &node, &kept.pol, &kept.eps, &idx) == 0);
		KP_EXPECT(kp_store_desired(&st, &node, &fresh) == 0);
		KP_EXPECT(same_policy(&kept, &fresh));
		if (i)
			cost += idx.lx.evaluations - before;
		kp_k8s_view_free(&v);
		kp_desired_free(&kept);
		kp_desired_free(&fresh);
	}
	kp_polidx_free(&idx);
	kp_store_free(&st);
	return cost / 4;
}

static void test_incremental(void)
{
	uint64_t small = inc_cost(100), large = inc_cost(1000);

	printf("# one pod's label change: %llu selectors evaluated with 100 policies, "
	       "%llu with 1000\n", (unsigned long long)small, (unsigned long long)large);
	KP_EXPECT(large <= small + 2 && small < 50);
}

/* --- differential: the compiled sets against the API's semantics, evaluated here --- */

#define D_PODS	24
#define D_NS	3
#define D_KEYS	3
#define D_VALS	3

struct d_world {
	int ns_label[D_NS][D_KEYS];		/* value 0..D_VALS-1, or -1: absent */
	int pod_ns[D_PODS], pod_label[D_PODS][D_KEYS];
};

/* A matchLabels of one key (or none: {}), as the test writes it. */
struct d_sel {
	int key, val;			/* key -1: {} */
};

struct d_peer {
	bool has_pod, has_ns;
	struct d_sel pod, ns;
};

static bool d_sel_match(const struct d_sel *s, const int *labels)
{
	return s->key < 0 || labels[s->key] == s->val;
}

/* The API: a peer's pods, with its podSelector in @pol_ns unless a namespaceSelector is there. */
static bool d_peer_match(const struct d_world *w, const struct d_peer *p, int pol_ns, int pod)
{
	if (!p->has_ns && w->pod_ns[pod] != pol_ns)
		return false;
	if (p->has_ns && !d_sel_match(&p->ns, w->ns_label[w->pod_ns[pod]]))
		return false;
	return !p->has_pod || d_sel_match(&p->pod, w->pod_label[pod]);
}

static size_t d_sel_yaml(char *buf, size_t size, const struct d_sel *s)
{
	if (s->key < 0)
		return (size_t)snprintf(buf, size, "{}");
	return (size_t)snprintf(buf, size, "{matchLabels: {k%d: v%d}}", s->key, s->val);
}

static size_t d_labels_yaml(char *buf, size_t size, const int *labels)
{
	size_t n = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < D_KEYS; k++)
		if (labels[k] >= 0)
			n += (size_t)snprintf(buf + n, size - n, "%sk%d: v%d", n ? ", " : "", k,
					      labels[k]);
	return n;
}

static void d_random_sel(struct d_sel *s)
{
	s->key = rand() % (D_KEYS + 1) - 1;
	s->val = rand() % D_VALS;
}

/* The world as objects, and one NetworkPolicy in ns0 with @peer as its only ingress peer. */
static void d_write(struct kp_store *st, const struct d_world *w, const struct d_peer *peer)
{
	static char text[64 * 1024];
	char a[256], b[256];
	size_t n = 0;
	int i;

	for (i = 0; i < D_NS; i++) {
		d_labels_yaml(a, sizeof(a), w->ns_label[i]);
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "---\nkind: Namespace\nmetadata: {name: ns%d, labels: {%s}}\n", i, a);
	}
	for (i = 0; i < D_PODS; i++) {
		d_labels_yaml(a, sizeof(a), w->pod_label[i]);
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "---\nkind: Pod\nmetadata: {name: p%d, namespace: ns%d, labels: {%s}}\n"
				      "spec: {nodeName: n%d}\nstatus: {podIPs: [{ip: 10.9.0.%d}]}\n",
				      i, w->pod_ns[i], a, i % 2, i + 1);
	}
	a[0] = b[0] = '\0';
	if (peer->has_pod)
		d_sel_yaml(a, sizeof(a), &peer->pod);
	if (peer->has_ns)
		d_sel_yaml(b, sizeof(b), &peer->ns);
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			      "metadata: {name: np, namespace: ns0}\nspec:\n  podSelector: {}\n"
			      "  ingress: [{from: [{%s%s%s%s%s}]}]\n",
			      peer->has_pod ? "podSelector: " : "", a,
			      peer->has_pod && peer->has_ns ? ", " : "",
			      peer->has_ns ? "namespaceSelector: " : "", b);
	put(st, "world", text);
}

static int prefix_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct kplane_prefix));
}

static void test_differential(void)
{
	unsigned int round, bad = 0;

	srand(19);
	for (round = 0; round < 300; round++) {
		struct d_world w;
		struct d_peer peer = { 0 };
		struct kp_store st = { 0 };
		struct kp_desired want;
		const struct kp_pset *set;
		int i, k;

		for (i = 0; i < D_NS; i++)
			for (k = 0; k < D_KEYS; k++)
				w.ns_label[i][k] = rand() % (D_VALS + 1) - 1;
		for (i = 0; i < D_PODS; i++) {
			w.pod_ns[i] = rand() % D_NS;
			for (k = 0; k < D_KEYS; k++)
				w.pod_label[i][k] = rand() % (D_VALS + 1) - 1;
		}
		peer.has_pod = rand() % 2;
		peer.has_ns = !peer.has_pod || rand() % 2;
		d_random_sel(&peer.pod);
		d_random_sel(&peer.ns);
		d_write(&st, &w, &peer);
		KP_EXPECT(kp_store_desired(&st, &node, &want) == 0);
		set = set_named(&want.pol, "s:");
		for (i = 0; set && i < D_PODS; i++) {
			struct kplane_prefix p = { .family = AF_INET, .len = 32,
						   .addr = { 10, 9, 0, (uint8_t)(i + 1) } };
			bool in = set->n && bsearch(&p, set->m, set->n, sizeof(p), prefix_cmp);

			bad += in != d_peer_match(&w, &peer, 0, i);
		}
		KP_EXPECT(set != NULL);
		kp_desired_free(&want);
		kp_store_free(&st);
	}
	KP_EXPECT(bad == 0);
	printf("# 300 worlds of %d pods: %u cells wrong\n", D_PODS, bad);
}

/* What policies ask but cannot have is said: a named port no pod has, an endpoint over-taken. */
static void test_left_out(void)
{
	struct kp_store s = { 0 };
	struct kp_desired w;
	const struct kp_want_ep *ep = NULL;
	size_t cap = 400 * 256, n = 0;
	char *text = malloc(cap);
	unsigned int i;

	n += (size_t)snprintf(text + n, cap - n, "%s%s",
			      POD("x", "a", "n1", "app: web", "10.0.0.1", ""), WEP("x", "a", "1"));
	n += (size_t)snprintf(text + n, cap - n,
			      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			      "metadata: {name: named, namespace: x}\nspec:\n  podSelector: {}\n"
			      "  ingress: [{ports: [{port: nope}]}]\n");
	put(&s, "k", text);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	KP_EXPECT(w.pol.n_pols == 1 && w.pol.n_refused == 1);
	KP_EXPECT(w.pol.n_refused &&
		  !strcmp(w.pol.refused[0], "policy knp:x/named: no pod has a TCP port named nope; "
					    "the rules naming it match nothing for now"));
	kp_desired_free(&w);

	for (i = 0; i < KPLANE_EP_POLICIES_MAX + 1; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				      "metadata: {name: p%u, namespace: x}\nspec:\n  podSelector: {}\n"
				      "  ingress: [{}]\n", i);
	put(&s, "k", text);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	for (i = 0; i < w.eps.n; i++)
		if (!strcmp(w.eps.eps[i].ep.id, "x/a"))
			ep = &w.eps.eps[i];
	/* isolated both ways, nothing allowed: not left unpoliced by a refused endpoint */
	KP_EXPECT(ep && ep->ep.n_attach == 2 && !ep->ep.attach[0].policy[0] &&
		  !ep->ep.attach[1].policy[0] && ep->ep.attach[0].dir != ep->ep.attach[1].dir);
	KP_EXPECT(w.pol.n_refused == 2);
	kp_desired_free(&w);
	kp_store_free(&s);
	free(text);
}

/* A set over what the kernel holds: its policy keeps no rule rather than failing every sync. */
static void test_overfull(void)
{
	unsigned int sets = KPLANE_IPSET_MEMBERS_MAX / 1024 + 1, i, j;
	size_t cap = (size_t)sets * 1024 * 24 + 4096, n = 0;
	char *text = malloc(cap);
	struct kp_store s = { 0 };
	struct kp_desired w;

	n += (size_t)snprintf(text + n, cap - n,
			      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
			      "metadata: {name: g}\nspec:\n  selector: all()\n"
			      "  ingress: [{action: Allow, source: {selector: role == 'big'}}]\n");
	for (i = 0; i < sets; i++) {
		n += (size_t)snprintf(text + n, cap - n,
				      "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
				      "metadata: {name: s%u, labels: {role: big}}\nspec: {nets: [", i);
		for (j = 0; j < 1024; j++)
			n += (size_t)snprintf(text + n, cap - n, "%s10.%u.%u.%u/32", j ? ", " : "",
					      i, j / 256, j % 256);
		n += (size_t)snprintf(text + n, cap - n, "]}\n");
	}
	put(&s, "k", text);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	KP_EXPECT(w.pol.n_pols == 1 && w.pol.pols[0].n_rules == 0);
	KP_EXPECT(w.pol.n_sets == 1 && w.pol.sets[0].n == 0);
	KP_EXPECT(w.pol.n_refused == 1 && strstr(w.pol.refused[0], "the policy allows nothing"));
	kp_desired_free(&w);
	kp_store_free(&s);
	free(text);
}

/* One sync of the kept @idx over @st: whether it makes what a fresh index makes. */
static bool kept_is_fresh(struct kp_store *st, struct kp_polidx *idx)
{
	struct kp_k8s_view v;
	struct kp_desired kept = { 0 }, fresh;
	bool same;

	KP_EXPECT(kp_store_view_pods(st, &v) == 0);
	KP_EXPECT(kp_k8s_want_eps(&v, &node, &kept.eps) == 0);
	KP_EXPECT(kp_k8s_want_policy(&v, &node, &kept.pol, &kept.eps, idx) == 0);
	kp_k8s_view_free(&v);
	kp_store_items_settle(st);
	KP_EXPECT(kp_store_desired(st, &node, &fresh) == 0);
	same = same_policy(&kept, &fresh);
	kp_desired_free(&kept);
	kp_desired_free(&fresh);
	return same;
}

/* A pod's named port moved by a multiple of 256 moves it between port sets. */
static void test_port_moved(void)
{
	static const char *const port[] = { "80", "336" };
	static const char world[] =
		POD("x", "a", "n1", "app: web", "10.0.0.1", "{name: http, containerPort: %s}")
		WEP("x", "a", "1")
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: np, namespace: x}\nspec:\n  podSelector: {}\n"
		"  ingress: [{ports: [{port: http}]}]\n";
	struct kp_store st = { 0 };
	struct kp_polidx idx;
	unsigned int i;
	char text[1024];

	kp_polidx_init(&idx);
	for (i = 0; i < 2; i++) {
		snprintf(text, sizeof(text), world, port[i]);
		put(&st, "k", text);
		KP_EXPECT(kept_is_fresh(&st, &idx));
	}
	kp_polidx_free(&idx);
	kp_store_free(&st);
}

/* Another tenant's pods cannot grow a policy's rules by naming many numbers as its port. */
static void test_named_scope(void)
{
	size_t cap = 64 * 1024, n = 0;
	char *text = malloc(cap);
	struct kp_store s = { 0 };
	struct kp_desired w;
	unsigned int i;

	n += (size_t)snprintf(text + n, cap - n, "%s",
			      POD("x", "a", "n1", "app: web", "10.0.0.1",
				  "{name: http, containerPort: 8080}"));
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "---\nkind: Pod\nmetadata: {name: e%u, namespace: evil}\n"
				      "spec: {nodeName: n2, containers: [{name: c, ports: "
				      "[{name: http, containerPort: %u}]}]}\n"
				      "status: {podIPs: [{ip: 10.7.0.%u}]}\n", i, 1000 + i, i + 1);
	n += (size_t)snprintf(text + n, cap - n,
			      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			      "metadata: {name: np, namespace: x}\nspec:\n  podSelector: {}\n"
			      "  policyTypes: [Ingress, Egress]\n"
			      "  ingress: [{ports: [{port: http}]}]\n"
			      "  egress: [{to: [{podSelector: {}}], ports: [{port: http}]}]\n");
	put(&s, "k", text);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	/* one rule a direction: x's pods have http on 8080 alone */
	KP_EXPECT(w.pol.n_pols == 1 && w.pol.pols[0].n_rules == 2);
	kp_desired_free(&w);
	kp_store_free(&s);
	free(text);
}

/* --- churn: a kept index through many small changes, each judged against a fresh one --- */

#define C_PODS	12

static void c_labels(char *buf, size_t size)
{
	snprintf(buf, size, "{k0: v%d, k1: v%d%s}", rand() % 3, rand() % 3, rand() % 4 ? "" : ", k2: x");
}

/* Pod @i under @key (its own, or "dup/I": a second description of it), or gone. */
static int c_dbg;
static void c_pod(struct kp_store *st, const char *key, int i)
{
	static const char *const ports[] = { "", "{name: http, containerPort: 80}",
					     "{name: http, containerPort: 81}",
					     "{name: web, containerPort: 90}",
					     "{name: http, containerPort: 336}" };	/* 80 + 256 */
	char text[1024], l[128];

	if (!(rand() % 5)) {
		if (c_dbg) printf("DEL %s\n", key);
		kp_store_del(st, key);
		return;
	}
	c_labels(l, sizeof(l));
	snprintf(text, sizeof(text),
		 "kind: Pod\nmetadata: {name: p%d, namespace: ns%d, labels: %s}\n"
		 "spec: {nodeName: n%d, containers: [{name: c, ports: [%s]}]}\n"
		 "status: {podIPs: [{ip: 10.8.0.%d}]}\n",
		 i, i % 3, l, 1 + i % 2, ports[rand() % 5], rand() % 3 ? i + 1 : 99);
	if (c_dbg) printf("PUT %s\n%s", key, text);
	put(st, key, text);
}

static void c_step(struct kp_store *st, bool dups)
{
	char key[32], text[1024], l[128];
	int i = rand() % C_PODS, j = rand() % 4;

	switch (rand() % 7) {
	case 0:
	case 1:
		snprintf(key, sizeof(key), "pod/%d", i);
		c_pod(st, key, i);
		break;
	case 2:		/* a second Pod of that name, where the store's order says which stands */
		snprintf(key, sizeof(key), dups ? "dup/%d" : "pod/%d", i);
		c_pod(st, key, i);
		break;
	case 3:		/* a WEP of a pod on this node, with or without its Pod */
		snprintf(key, sizeof(key), "wep/%d", i);
		snprintf(text, sizeof(text),
			 "kind: WorkloadEndpoint\nmetadata: {name: w%d, namespace: ns%d}\n"
			 "spec: {node: n1, pod: p%d, interfaceName: v%d, ipNetworks: [10.8.0.%d/32]}\n",
			 i, i % 3, i, i, rand() % 2 ? i + 1 : 50 + i);
		if (rand() % 3) {
			if (c_dbg) printf("PUT %s\n%s", key, text);
			put(st, key, text);
		} else {
			if (c_dbg) printf("DEL %s\n", key);
			kp_store_del(st, key);
		}
		break;
	case 4:
		snprintf(key, sizeof(key), "ns/%d", j % 3);
		c_labels(l, sizeof(l));
		snprintf(text, sizeof(text), "kind: Namespace\nmetadata: {name: ns%d, labels: %s}\n",
			 j % 3, l);
		put(st, key, text);
		break;
	case 5:
		snprintf(key, sizeof(key), "gns/%d", j);
		c_labels(l, sizeof(l));
		snprintf(text, sizeof(text),
			 "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
			 "metadata: {name: g%d, labels: %s}\nspec: {nets: [192.168.%d.0/24]}\n",
			 j, l, rand() % 3);
		if (rand() % 4)
			put(st, key, text);
		else
			kp_store_del(st, key);
		break;
	default:
		snprintf(key, sizeof(key), "pol/%d", j);
		snprintf(text, sizeof(text),
			 "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			 "metadata: {name: np%d, namespace: ns%d}\nspec:\n"
			 "  podSelector: {matchLabels: {k0: v%d}}\n"
			 "  ingress: [{from: [{podSelector: {matchLabels: {k1: v%d}}}],"
			 " ports: [{port: %s}]}]\n"
			 "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
			 "metadata: {name: g%d}\nspec:\n  selector: k0 == 'v%d'\n"
			 "  ingress: [{action: Allow, source: {selector: k1 == 'v%d'}}]\n",
			 j, j % 3, rand() % 3, rand() % 3, rand() % 2 ? "http" : "web",
			 j, rand() % 3, rand() % 3);
		if (rand() % 4)
			put(st, key, text);
		else
			kp_store_del(st, key);
	}
}

/*
 * A kept index through random changes to pods, WEPs, namespaces, network
 * sets, policies (@dups: and second descriptions of pods), each sync's
 * result the same as a fresh index's.  Returns the syncs that looked at
 * every item.
 */
static uint64_t churn(unsigned int seed, bool dups)
{
	struct kp_store st = { 0 };
	struct kp_polidx idx;
	unsigned int step, bad = 0, steps = 600;
	uint64_t whole;

	srand(getenv("CHURN_SEED") ? (unsigned int)atoi(getenv("CHURN_SEED")) : seed);
	if (getenv("CHURN_STEPS"))
		steps = atoi(getenv("CHURN_STEPS"));
	kp_polidx_init(&idx);
	for (step = 0; step < steps; step++) {
		int n = 1 + rand() % 3;

		while (n--)
			c_step(&st, dups);
		if (!kept_is_fresh(&st, &idx) && !bad++)
			printf("#   step %u: the kept index differs from a fresh one\n", step);
	}
	KP_EXPECT(bad == 0);
	printf("# %u steps of churn%s: %u differ from a fresh index; %llu of %llu syncs "
	       "looked at every item\n", steps, dups ? " with pods described twice" : "", bad,
	       (unsigned long long)idx.whole_passes, (unsigned long long)idx.item_passes);
	whole = idx.whole_passes;
	kp_polidx_free(&idx);
	kp_store_free(&st);
	return whole;
}

static void test_churn(void)
{
	churn(20, true);
	KP_EXPECT(churn(21, false) == 1);	/* the first sync's alone */
}

int main(void)
{
	KP_RUN(test_read_netpol);
	KP_RUN(test_read_bad);
	KP_RUN(test_compile);
	KP_RUN(test_diff);
	KP_RUN(test_calico);
	KP_RUN(test_calico_refused);
	KP_RUN(test_calico_no_tier);
	KP_RUN(test_spoof);
	KP_RUN(test_incremental);
	KP_RUN(test_left_out);
	KP_RUN(test_overfull);
	KP_RUN(test_named_scope);
	KP_RUN(test_port_moved);
	KP_RUN(test_churn);
	KP_RUN(test_differential);
	return KP_TEST_DONE();
}
