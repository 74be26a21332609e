// SPDX-License-Identifier: GPL-2.0
/*
 * userspace/agent: the model kplaned and kplanectl share.  Objects kept by
 * source key, the services they make together (slices joined to their
 * service across keys), files and directories read with bad documents
 * named, kubectl's List kinds, and what a diff makes of a change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent.h"
#include "kp_test.h"

static const char svc_yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
	"spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80}]}\n";
static const char slice_yaml[] =
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}\n"
	"addressType: IPv4\nports: [{name: http, port: 8080}]\n"
	"endpoints: [{addresses: [10.244.1.2]}, {addresses: [10.244.1.3]}]\n";

static const struct kp_k8s_node node = { "node-1", NULL };

struct skips {
	unsigned int n;
	char where[4][128], why[4][256];
	unsigned int line[4];
};

static void note(const char *where, unsigned int line, const char *why, void *arg)
{
	struct skips *k = arg;

	if (k->n < 4) {
		snprintf(k->where[k->n], sizeof(k->where[0]), "%s", where);
		snprintf(k->why[k->n], sizeof(k->why[0]), "%s", why);
		k->line[k->n] = line;
	}
	k->n++;
}

static void note_line(unsigned int line, const char *why, void *arg)
{
	note("-", line, why, arg);
}

static void put(struct kp_store *s, const char *key, const char *text)
{
	struct kp_k8s_objects o = { 0 };
	struct skips k = { 0 };

	KP_EXPECT(kp_k8s_load(text, strlen(text), &o, note_line, &k) == 0);
	KP_EXPECT(kp_store_put(s, key, &o) == 0);
	kp_k8s_objects_free(&o);
}

static unsigned int want_backends(const struct kp_store *s, unsigned int *n_fe,
				  unsigned int *orphans)
{
	struct kp_desired w;
	unsigned int n = 0, i;

	KP_EXPECT(kp_store_desired(s, &node, &w) == 0);
	for (i = 0; i < w.svcs.n; i++)
		n += w.svcs.svcs[i].n_backends;
	*n_fe = w.svcs.n;
	*orphans = w.orphans;
	kp_desired_free(&w);
	return n;
}

/* A service and its slice under two keys are joined; either gone, the join goes. */
static void test_store_join(void)
{
	struct kp_store s = { 0 };
	unsigned int fe, orphans;

	put(&s, "a", svc_yaml);
	put(&s, "b", slice_yaml);
	KP_EXPECT(s.n_keys == 2 && s.n_svcs == 1 && s.n_slices == 1);
	KP_EXPECT(want_backends(&s, &fe, &orphans) == 2 && fe == 1 && orphans == 0);
	KP_EXPECT(kp_store_del(&s, "a"));
	KP_EXPECT(want_backends(&s, &fe, &orphans) == 0 && fe == 0 && orphans == 1);
	KP_EXPECT(!kp_store_del(&s, "a"));
	put(&s, "a", svc_yaml);
	KP_EXPECT(kp_store_del(&s, "b"));
	KP_EXPECT(want_backends(&s, &fe, &orphans) == 0 && fe == 1);
	KP_EXPECT(s.svc_changes == 3 && s.slice_changes == 2);
	kp_store_free(&s);
}

/* A Service under two keys: the first key's stands alone, whatever the heap did. */
static void test_store_duplicate(void)
{
	struct kp_store s = { 0 };
	struct kp_desired w;
	char other[sizeof(svc_yaml) + 16];

	snprintf(other, sizeof(other), "%s", svc_yaml);
	memcpy(strstr(other, "port: 80"), "port: 81", 8);
	put(&s, "b", other);
	put(&s, "a", svc_yaml);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	KP_EXPECT(w.svcs.n == 1 && w.svcs.svcs[0].port == 80);	/* alone: port 81 is not */
	kp_desired_free(&w);
	/* The same object under two keys: once applied, a partial sync keeps it. */
	put(&s, "c", svc_yaml);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	{
		struct kp_change c;

		KP_EXPECT(kp_desired_diff(&w, &w, &c) == 0);
		KP_EXPECT(c.svc.n_set == 0 && c.svc.n_del == 0);
		kp_change_free(&c);
	}
	kp_desired_free(&w);
	kp_store_free(&s);
}

/* kubectl get -o json|yaml: a List's items, a bad one named by its line. */
static void test_list_kind(void)
{
	static const char list[] =
		"apiVersion: v1\nkind: List\nitems:\n"
		"- apiVersion: v1\n  kind: Service\n  metadata: {name: web, namespace: shop}\n"
		"  spec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}\n"
		"- apiVersion: v1\n  kind: Service\n  metadata: {name: bad}\n"
		"  spec: {clusterIP: 10.96.0.11, ports: [{port: 0}]}\n"
		"- kind: EndpointSlice\n  metadata: {name: web-1, namespace: shop, "
		"labels: {kubernetes.io/service-name: web}}\n"
		"  addressType: IPv4\n  endpoints: [{addresses: [10.244.1.2]}]\n";
	struct kp_k8s_objects o = { 0 };
	struct skips k = { 0 };

	KP_EXPECT(kp_k8s_load(list, sizeof(list) - 1, &o, note_line, &k) == 0);
	KP_EXPECT(o.n_svcs == 1 && o.n_slices == 1 && k.n == 1);
	KP_EXPECT(k.line[0] == 9 && strstr(k.why[0], "port"));
	kp_k8s_objects_free(&o);
	memset(&k, 0, sizeof(k));
	KP_EXPECT(kp_k8s_load("kind: ServiceList\nitems: 3\n", 26, &o, note_line, &k) == 0);
	KP_EXPECT(o.n_svcs == 0 && k.n == 1 && strstr(k.why[0], "items"));
	kp_k8s_objects_free(&o);
}

/* A syntax error is named by its line and libfyaml's reason, nothing printed. */
static void test_syntax_named(void)
{
	static const char text[] = "kind: Service\nmetadata: {name: web}\nspec: {ports: [\n";
	struct kp_k8s_objects o = { 0 };
	struct skips k = { 0 };

	KP_EXPECT(kp_k8s_load(text, sizeof(text) - 1, &o, note_line, &k) == 0);
	KP_EXPECT(k.n == 1 && k.line[0] >= 3 && strstr(k.why[0], "YAML syntax error: "));
	KP_EXPECT(strstr(k.why[0], "bracket") || strstr(k.why[0], "flow"));
	kp_k8s_objects_free(&o);
}

/*
 * @n Services, one bad (unknown kind) at @bad, one broken (a flow never
 * closed) at @broken; with a directive first when @directive (read whole).
 */
static char *big_stream(unsigned int n, unsigned int bad, unsigned int broken, bool directive,
			size_t *len)
{
	size_t cap = (size_t)n * 160 + 64, at = 0;
	char *text = malloc(cap);
	unsigned int i;

	if (directive)
		at += snprintf(text + at, cap - at, "%%YAML 1.2\n");
	for (i = 0; i < n; i++)
		at += snprintf(text + at, cap - at, "---\nkind: %s\nmetadata: {name: s%u, "
			       "namespace: big}\nspec: {clusterIP: 10.96.%u.%u, ports: [{port: 80}%s\n",
			       i == bad ? "Gadget" : "Service", i, i / 250, i % 250 + 1,
			       i == broken ? "" : "]}");
	*len = at;
	return text;
}

/*
 * A large stream is read in pieces on every CPU; what is kept and what is
 * named skipped (at which line) is what reading it whole gives.
 */
static void test_pieces(void)
{
	struct kp_k8s_objects a = { 0 }, b = { 0 };
	struct skips ka = { 0 }, kb = { 0 };
	size_t la, lb;
	char *pieces = big_stream(30000, 17000, 26000, false, &la);
	char *whole = big_stream(30000, 17000, 26000, true, &lb);

	KP_EXPECT(la > (2u << 20));
	KP_EXPECT(kp_k8s_load(pieces, la, &a, note_line, &ka) == 0);
	KP_EXPECT(kp_k8s_load(whole, lb, &b, note_line, &kb) == 0);
	KP_EXPECT(a.n_svcs == 25999 && b.n_svcs == a.n_svcs);
	KP_EXPECT(ka.n == 2 && kb.n == 2);
	KP_EXPECT(ka.line[0] == 17000 * 4 + 1 && kb.line[0] == ka.line[0] + 1);
	KP_EXPECT(!strcmp(ka.why[0], "unknown kind"));
	KP_EXPECT(ka.line[1] > 26000 * 4 && kb.line[1] == ka.line[1] + 1);
	KP_EXPECT(!strcmp(ka.why[1], kb.why[1]) && strstr(ka.why[1], "YAML syntax error"));
	KP_EXPECT(!strcmp(a.svcs[25998].name, "s25999"));
	kp_k8s_objects_free(&a);
	kp_k8s_objects_free(&b);
	free(pieces);
	free(whole);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	KP_EXPECT(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A directory: *.yaml, *.yml, *.json in name order; dotfiles and others left out. */
static void test_files(void)
{
	char dir[] = "/tmp/kp-agent-test.XXXXXX", path[256];
	struct kp_store s = { 0 };
	struct skips k = { 0 };
	unsigned int fe, orphans;

	KP_EXPECT(mkdtemp(dir) != NULL);
	write_file(dir, "a.yaml", svc_yaml);
	write_file(dir, "b.json", "{\"kind\": \"EndpointSlice\", \"metadata\": {\"name\": \"w\", "
		   "\"namespace\": \"shop\", \"labels\": {\"kubernetes.io/service-name\": \"web\"}}, "
		   "\"addressType\": \"IPv4\", \"ports\": [{\"name\": \"http\", \"port\": 1}], \"endpoints\": [{\"addresses\": [\"10.0.0.9\"]}]}");
	write_file(dir, ".a.yaml.swp", "garbage: [");
	write_file(dir, "notes.txt", "garbage: [");
	write_file(dir, "c.yml", "kind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 70000}]}\n");
	KP_EXPECT(kp_files_read(&s, dir, note, &k) == 0);
	KP_EXPECT(s.n_keys == 3 && k.n == 1);
	KP_EXPECT(strstr(k.where[0], "/c.yml") && k.line[0] == 1);
	KP_EXPECT(want_backends(&s, &fe, &orphans) == 1);
	snprintf(path, sizeof(path), "%s/b.json", dir);
	unlink(path);
	KP_EXPECT(kp_file_read(&s, path, note, &k) == 0);	/* gone: forgotten */
	KP_EXPECT(s.n_keys == 2 && want_backends(&s, &fe, &orphans) == 0);
	KP_EXPECT(kp_files_read(&s, "/nonexistent/kp", note, &k) == -ENOENT);
	KP_EXPECT(kp_file_wanted("x.json") && !kp_file_wanted(".x.json") &&
		  !kp_file_wanted("x.yaml~") && !kp_file_wanted(".yaml"));
	kp_store_free(&s);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	KP_EXPECT(system(path) == 0);
}

/* An endpoint turning ready: one frontend to set, the others untouched. */
static void test_change_diff(void)
{
	struct kp_store s = { 0 };
	struct kp_desired before, after;
	struct kp_change d;
	char changed[sizeof(slice_yaml) + 64];

	put(&s, "svc", svc_yaml);
	put(&s, "svc2", "kind: Service\nmetadata: {name: db, namespace: shop}\n"
			"spec: {clusterIP: 10.96.0.11, ports: [{port: 5432}]}\n");
	put(&s, "slice", slice_yaml);
	KP_EXPECT(kp_store_desired(&s, &node, &before) == 0);
	snprintf(changed, sizeof(changed), "%s", slice_yaml);
	strcpy(strstr(changed, "endpoints:"), "endpoints: [{addresses: [10.244.1.2]}]\n");
	put(&s, "slice", changed);
	KP_EXPECT(kp_store_desired(&s, &node, &after) == 0);
	KP_EXPECT(kp_desired_diff(&after, &before, &d) == 0);
	KP_EXPECT(d.svc.n_set == 1 && d.svc.n_del == 0 && d.svc.set[0]->n_backends == 1);
	kp_change_free(&d);
	KP_EXPECT(kp_store_del(&s, "svc"));
	kp_desired_free(&after);
	KP_EXPECT(kp_store_desired(&s, &node, &after) == 0);
	KP_EXPECT(kp_desired_diff(&after, &before, &d) == 0);
	KP_EXPECT(d.svc.n_set == 0 && d.svc.n_del == 1 && d.svc.del[0]->port == 80);
	kp_change_free(&d);
	kp_desired_free(&before);
	kp_desired_free(&after);
	kp_store_free(&s);
}

static const char wep_yaml[] =
	"apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\n"
	"metadata: {name: node--1-k8s-web--0-eth0, namespace: shop}\n"
	"spec: {node: node-1, pod: web-0, interfaceName: veth2, netns: /run/netns/web-0,\n"
	"       ipNetworks: [10.244.1.2/32, \"fd00:244::2/128\"]}\n";

/* Pods of this node become endpoints "namespace/pod"; others' are left alone. */
static void test_weps(void)
{
	static const char subnet[] = "kind: WorkloadEndpoint\nmetadata: {name: x}\n"
		"spec: {node: n, pod: p, interfaceName: v, ipNetworks: [10.0.0.0/24]}\n";
	static const char long_if[] = "kind: WorkloadEndpoint\nmetadata: {name: x}\n"
		"spec: {node: n, pod: p, interfaceName: veth0123456789abc}\n";
	struct kp_store s = { 0 };
	struct kp_desired w;
	struct kp_k8s_objects o = { 0 };
	struct skips k = { 0 };
	char other[sizeof(wep_yaml) + 8], longer[sizeof(wep_yaml) + 128];

	put(&s, "a", wep_yaml);
	snprintf(other, sizeof(other), "%s", wep_yaml);
	memcpy(strstr(other, "node: node-1"), "node: node-2", 12);
	memcpy(strstr(other, "pod: web-0"), "pod: web-9", 10);
	put(&s, "b", other);
	snprintf(longer, sizeof(longer), "%.*spod: %s%s", (int)(strstr(wep_yaml, "pod: ") - wep_yaml),
		 wep_yaml, "web-0123456789012345678901234567890123456789012345678901234567890",
		 strstr(wep_yaml, ", interfaceName"));
	put(&s, "c", longer);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	KP_EXPECT(w.eps.n == 2);
	if (w.eps.n == 2) {
		KP_EXPECT_STR(w.eps.eps[0].ep.id, "shop/web-0");
		KP_EXPECT_STR(w.eps.eps[0].ep.ifname, "veth2");
		KP_EXPECT_STR(w.eps.eps[0].netns, "/run/netns/web-0");
		KP_EXPECT(w.eps.eps[0].ep.n_addrs == 2);
		KP_EXPECT(strlen(w.eps.eps[1].ep.id) == KPLANE_ID_MAX - 1 &&
			  w.eps.eps[1].ep.id[54] == '.');
	}
	kp_desired_free(&w);
	kp_store_free(&s);
	/* Not a host's address, or not a path: the object is skipped and why named. */
	KP_EXPECT(kp_k8s_load(subnet, strlen(subnet), &o, note_line, &k) == 0);
	KP_EXPECT(o.n_weps == 0 && k.n == 1 && strstr(k.why[0], "ipNetworks"));
	KP_EXPECT(kp_k8s_load(long_if, strlen(long_if), &o, note_line, &k) == 0);
	KP_EXPECT(o.n_weps == 0 && k.n == 2 && strstr(k.why[1], "interfaceName"));
	kp_k8s_objects_free(&o);
}

/* The kernel's view of a pod (no netns path) against the wanted one. */
static void test_ep_diff(void)
{
	struct kp_store s = { 0 };
	struct kp_desired want, have = { 0 };
	struct kp_change c;

	put(&s, "a", wep_yaml);
	put(&s, "b", wep_yaml);	/* a stale copy beside it: one endpoint, kept */
	KP_EXPECT(kp_store_desired(&s, &node, &want) == 0);
	KP_EXPECT(kp_desired_diff(&want, &want, &c) == 0);
	KP_EXPECT(c.ep.n_add == 0 && c.ep.n_del == 0);
	kp_change_free(&c);
	KP_EXPECT(kp_ep_set_from(&want.eps.eps[0].ep, 1, &have.eps) == 0);
	/* The kernel lists addresses in its own order. */
	have.eps.eps[0].ep.addrs[0] = want.eps.eps[0].ep.addrs[1];
	have.eps.eps[0].ep.addrs[1] = want.eps.eps[0].ep.addrs[0];
	have.eps.eps[0].netns[0] = '\0';
	KP_EXPECT(kp_desired_diff(&want, &have, &c) == 0);
	KP_EXPECT(c.ep.n_add == 0 && c.ep.n_del == 0);
	kp_change_free(&c);
	have.eps.eps[0].ep.n_addrs = 1;
	KP_EXPECT(kp_desired_diff(&want, &have, &c) == 0);
	KP_EXPECT(c.ep.n_add == 1 && c.ep.n_del == 1);	/* replaced */
	kp_change_free(&c);
	have.eps.eps[0].ep.host = true;	/* a host endpoint is not the agent's */
	kp_ep_set_free(&have.eps);
	KP_EXPECT(kp_ep_set_from(&(struct kpl_endpoint){ .id = "eth0", .host = true }, 1,
				 &have.eps) == 0 && have.eps.n == 0);
	kp_desired_free(&have);
	kp_desired_free(&want);
	kp_store_free(&s);
}

/* NodeConfig: node.NAME's fields over default's, the host's where neither says. */
static void test_node_config(void)
{
	static const char cfgs[] =
		"kind: NodeConfig\nmetadata: {name: default}\n"
		"spec: {maxServices: 50, fastForward: false,\n"
		"       failsafeInbound: [{protocol: TCP, port: 22}, {protocol: UDP, port: 68}]}\n"
		"---\nkind: NodeConfig\nmetadata: {name: node.node-1}\n"
		"spec: {maxServices: 40, policyReject: true, failsafeOutbound: []}\n"
		"---\nkind: NodeConfig\nmetadata: {name: node.node-2}\nspec: {maxFlows: 7}\n"
		"---\nkind: NodeConfig\nmetadata: {name: bad}\nspec: {policyReject: yes}\n";
	struct kp_store s = { 0 };
	struct kp_desired w;
	struct kp_k8s_objects o = { 0 };
	struct skips k = { 0 };

	put(&s, "a", cfgs);
	KP_EXPECT(s.n_cfgs == 3);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	KP_EXPECT(w.settings.has == KPL_SET_ALL);
	KP_EXPECT(w.settings.max_services == 40 && w.settings.max_flows == 0);
	KP_EXPECT(w.settings.policy_reject == KPLANE_SETTING_ON);
	KP_EXPECT(w.settings.fast_forward == KPLANE_SETTING_OFF);
	KP_EXPECT(w.settings.bypass_conntrack == KPLANE_SETTING_DEFAULT);
	KP_EXPECT_STR(w.settings.failsafe_in, "tcp:22,udp:68");
	KP_EXPECT_STR(w.settings.failsafe_out, "");
	kp_desired_free(&w);
	kp_store_free(&s);
	KP_EXPECT(kp_k8s_load(cfgs, sizeof(cfgs) - 1, &o, note_line, &k) == 0);
	KP_EXPECT(k.n == 1 && strstr(k.why[0], "true or false"));
	kp_k8s_objects_free(&o);
}

/* The example state the README points at reads without a skip. */
static void test_dist_example(void)
{
	struct kp_store s = { 0 };
	struct skips k = { 0 };
	struct kp_desired w;

	KP_EXPECT(kp_files_read(&s, KP_DIST "/state.d-example.yaml", note, &k) == 0);
	KP_EXPECT(k.n == 0 && s.n_svcs == 1 && s.n_slices == 1 && s.n_cfgs == 1);
	KP_EXPECT(kp_store_desired(&s, &node, &w) == 0);
	KP_EXPECT(w.svcs.n == 2 && w.settings.max_services == 50000);
	kp_desired_free(&w);
	kp_store_free(&s);
}

static bool key_starts_b(const char *key, void *arg)
{
	(void)arg;
	return key[0] == 'b';
}

/* A prune forgets exactly the keys its predicate calls gone. */
static void test_store_prune(void)
{
	struct kp_store s = { 0 };

	put(&s, "a", svc_yaml);
	put(&s, "b1", slice_yaml);
	put(&s, "b2", wep_yaml);
	KP_EXPECT(kp_store_prune(&s, key_starts_b, NULL) == 0);
	KP_EXPECT(s.n_keys == 1 && s.n_svcs == 1 && s.n_slices == 0 && s.n_weps == 0);
	kp_store_free(&s);
}

/* A kernel as the diffs leave it: frontends with their backends. */
struct sim {
	struct kpl_service fe[64];
	struct kpl_backend be[64][8];
	unsigned int n;
};

static void sim_apply(struct sim *k, const struct kp_svc_diff *d)
{
	unsigned int i, j;

	for (i = 0; i < d->n_del; i++)
		for (j = 0; j < k->n; j++)
			if (!kp_fe_cmp(&k->fe[j], d->del[i])) {
				k->fe[j] = k->fe[--k->n];
				memcpy(k->be[j], k->be[k->n], sizeof(k->be[j]));
				k->fe[j].backends = k->be[j];
				break;
			}
	for (i = 0; i < d->n_set; i++) {
		for (j = 0; j < k->n && kp_fe_cmp(&k->fe[j], d->set[i]); j++)
			;
		KP_EXPECT(j < 64 && d->set[i]->n_backends <= 8);
		if (j == k->n)
			k->n++;
		k->fe[j] = *d->set[i];
		if (d->set[i]->n_backends)
			memcpy(k->be[j], d->set[i]->backends,
			       d->set[i]->n_backends * sizeof(k->be[j][0]));
		k->fe[j].backends = k->be[j];
	}
}

/* One random key: a Service of 4 (from 3 addresses, so two may collide) and its slice. */
static void random_key(struct kp_store *s, unsigned int key, unsigned int *seed)
{
	unsigned int svc = rand_r(seed) % 4, ip = rand_r(seed) % 3, eps = rand_r(seed) % 3;
	char k[8], text[1024];
	int n = 0;

	snprintf(k, sizeof(k), "k%u", key);
	if (rand_r(seed) % 4 == 0) {
		kp_store_del(s, k);
		return;
	}
	if (rand_r(seed) % 2)
		n += snprintf(text + n, sizeof(text) - n, "kind: Service\nmetadata: {name: s%u, "
			      "namespace: ns}\nspec: {clusterIP: 10.96.0.%u, ports: [{name: http, "
			      "port: 80}]%s}\n---\n", svc, ip + 1, rand_r(seed) % 2 ? "" :
			      ", type: NodePort, externalTrafficPolicy: Local, healthCheckNodePort: 30999");
	n += snprintf(text + n, sizeof(text) - n, "kind: EndpointSlice\nmetadata: {name: e%u, "
		      "namespace: ns, labels: {kubernetes.io/service-name: s%u}}\naddressType: IPv4\n"
		      "ports: [{name: http, port: 8080}]\nendpoints: [", key, rand_r(seed) % 4);
	while (eps--)
		n += snprintf(text + n, sizeof(text) - n, "{addresses: [10.244.0.%u], nodeName: "
			      "node-%u}%s", rand_r(seed) % 5 + 1, rand_r(seed) % 2 + 1, eps ? ", " : "");
	snprintf(text + n, sizeof(text) - n, "]\n");
	put(s, k, text);
}

/* A whole sync: what the store makes, against what was applied. */
static void whole(struct kp_model *m, struct kp_store *s, struct sim *k)
{
	struct kp_desired want, have;
	struct kp_change c;

	KP_EXPECT(kp_store_desired(s, &node, &want) == 0);
	KP_EXPECT(kp_model_flat(m, &have) == 0);
	KP_EXPECT(kp_desired_diff(&want, &have, &c) == 0);
	sim_apply(k, &c.svc);
	kp_change_free(&c);
	kp_model_flat_free(&have);
	kp_model_free(m);
	kp_model_build(m, &want);
	KP_EXPECT(s->names_lost ? kp_store_reindex(s) == 0 : (kp_store_settle(s), true));
}

/*
 * Changes judged name by name leave the kernel as a whole sync would, over
 * random puts and deletes (services that collide on an address included).
 */
static void test_model_names(void)
{
	struct kp_store s = { 0 };
	struct kp_model m = { 0 };
	struct sim *k = calloc(1, sizeof(*k));
	unsigned int seed = 7, step, by_name = 0, whole_n = 0, health = 0, i;

	for (step = 0; step < 400; step++) {
		struct kp_names_change nc;
		struct kp_svc_diff d;
		struct kp_desired want;
		int err;

		random_key(&s, rand_r(&seed) % 6, &seed);
		err = kp_model_names_diff(&m, &s, &node, &nc, &d);
		KP_EXPECT(err == 0 || err == -EAGAIN);
		if (err) {
			whole(&m, &s, k);
			whole_n++;
		} else {
			sim_apply(k, &d);
			kp_model_names_apply(&m, &nc);
			kp_store_settle(&s);
			kp_names_change_free(&nc);
			kp_svc_diff_free(&d);
			by_name++;
		}
		KP_EXPECT(kp_store_desired(&s, &node, &want) == 0);
		KP_EXPECT(kp_svc_diff(want.svcs.svcs, want.svcs.n, k->fe, k->n, &d) == 0);
		KP_EXPECT(d.n_set == 0 && d.n_del == 0);
		KP_EXPECT(want.orphans == s.orphans && m.n_fes == k->n);
		KP_EXPECT(want.health.n == m.health.n);
		for (i = 0; i < want.health.n && i < m.health.n; i++)
			KP_EXPECT(want.health.hp[i].port == m.health.hp[i].port &&
				  want.health.hp[i].local == m.health.hp[i].local &&
				  !strcmp(want.health.hp[i].name, m.health.hp[i].name));
		health += m.health.n;
		kp_svc_diff_free(&d);
		kp_desired_free(&want);
	}
	printf("#   400 changes: %u judged by name, %u whole; %u health ports seen\n", by_name,
	       whole_n, health);
	KP_EXPECT(by_name > 100 && whole_n > 10 && health > 100);
	kp_model_free(&m);
	kp_store_free(&s);
	free(k);
}

int main(void)
{
	KP_RUN(test_store_join);
	KP_RUN(test_store_duplicate);
	KP_RUN(test_list_kind);
	KP_RUN(test_syntax_named);
	KP_RUN(test_pieces);
	KP_RUN(test_files);
	KP_RUN(test_change_diff);
	KP_RUN(test_weps);
	KP_RUN(test_ep_diff);
	KP_RUN(test_node_config);
	KP_RUN(test_dist_example);
	KP_RUN(test_store_prune);
	KP_RUN(test_model_names);
	return KP_TEST_DONE();
}
