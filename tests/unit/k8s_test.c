// SPDX-License-Identifier: GPL-2.0
/*
 * userspace/agent/k8s.c: Services and EndpointSlices read from YAML and
 * translated as kube-proxy's pkg/proxy does (endpoint conditions, ports by
 * name, traffic policies, NodePorts, dual stack, topology hints), and bad
 * fields named.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libfyaml.h>
#include <netinet/in.h>
#include <stdlib.h>
#include "k8s.h"
#include "selector.h"
#include "kp_test.h"

#define FE_MAX 16

/* What kp_k8s_frontends emitted, backends copied. */
struct seen {
	unsigned int n;
	struct kpl_service fe[FE_MAX];
	struct kpl_backend be[FE_MAX][16];
};

static int collect(const struct kpl_service *fe, void *arg)
{
	struct seen *s = arg;

	if (s->n >= FE_MAX || fe->n_backends > 16)
		return -E2BIG;
	s->fe[s->n] = *fe;
	memcpy(s->be[s->n], fe->backends, fe->n_backends * sizeof(*fe->backends));
	s->fe[s->n].backends = s->be[s->n];
	s->n++;
	return 0;
}

static struct fy_document *doc(const char *yaml)
{
	struct fy_document *d = fy_document_build_from_string(NULL, yaml, FY_NT);

	KP_EXPECT(d != NULL);
	return d;
}

static int read_svc(const char *yaml, struct kp_k8s_service *svc, const char **why)
{
	struct fy_document *d = doc(yaml);
	int err = d ? kp_k8s_service_read(fy_document_root(d), svc, why) : -EINVAL;

	fy_document_destroy(d);
	return err;
}

static int read_slice(const char *yaml, struct kp_k8s_slice *slice, const char **why)
{
	struct fy_document *d = doc(yaml);
	int err = d ? kp_k8s_slice_read(fy_document_root(d), slice, why) : -EINVAL;

	fy_document_destroy(d);
	return err;
}

/* Translates @svc_yaml with @n slices on node-1 (zone @zone). */
static void translate(const char *svc_yaml, const char *const *slice_yaml, unsigned int n,
		      const char *zone, struct seen *out)
{
	const struct kp_k8s_node node = { "node-1", zone };
	const struct kp_k8s_slice *ptrs[4];
	struct kp_k8s_slice slices[4];
	struct kp_k8s_service svc;
	const char *why = NULL;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	KP_EXPECT(read_svc(svc_yaml, &svc, &why) == 0);
	for (i = 0; i < n; i++) {
		KP_EXPECT(read_slice(slice_yaml[i], &slices[i], &why) == 0);
		ptrs[i] = &slices[i];
	}
	KP_EXPECT(kp_k8s_frontends(&svc, ptrs, n, &node, collect, out) == 0);
	for (i = 0; i < n; i++)
		kp_k8s_slice_free(&slices[i]);
	kp_k8s_service_free(&svc);
}

static bool ip_is(const struct kpl_ip *ip, const char *text)
{
	struct kpl_ip want = { 0 };

	want.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	inet_pton(want.family, text, want.ip);
	return !memcmp(ip, &want, sizeof(want));
}

/* The backend of @fe at @addr, or NULL. */
static const struct kpl_backend *backend(const struct kpl_service *fe, const char *addr)
{
	unsigned int i;

	for (i = 0; i < fe->n_backends; i++)
		if (ip_is(&fe->backends[i].addr, addr))
			return &fe->backends[i];
	return NULL;
}

static const char web_svc[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
	"spec:\n  clusterIP: 10.96.0.10\n  ports:\n"
	"  - {name: http, port: 80, targetPort: web}\n"
	"  - {name: dns, port: 53, protocol: UDP}\n";

static const char web_slice[] =
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata:\n  name: web-abc\n  namespace: shop\n"
	"  labels: {kubernetes.io/service-name: web}\n"
	"addressType: IPv4\n"
	"ports:\n- {name: http, port: 8080}\n- {name: metrics, port: 9090}\n"
	"- {name: dns, port: 5353, protocol: UDP}\n"
	"endpoints:\n"
	"- {addresses: [10.244.1.2], nodeName: node-1}\n"
	"- {addresses: [10.244.2.3], conditions: {ready: false}, nodeName: node-2}\n"
	"- {addresses: [10.244.2.4], conditions: {ready: false, serving: true, terminating: true}}\n"
	"- {addresses: [10.244.2.5], conditions: {ready: false, serving: false, terminating: true}}\n";

/* Conditions (nil ready = ready, nil serving = ready's value), ports by name and protocol. */
static void test_conditions_and_ports(void)
{
	const char *slices[] = { web_slice };
	const struct kpl_backend *be;
	struct seen s;

	translate(web_svc, slices, 1, NULL, &s);
	KP_EXPECT(s.n == 2);
	KP_EXPECT(ip_is(&s.fe[0].addr, "10.96.0.10") && s.fe[0].port == 80 &&
		  s.fe[0].proto == IPPROTO_TCP && s.fe[0].type == KPLANE_SVC_CLUSTER_IP);
	KP_EXPECT_STR(s.fe[0].id, "shop/web:http");
	KP_EXPECT(s.fe[0].n_backends == 3);	/* not ready and not terminating: none */
	be = backend(&s.fe[0], "10.244.1.2");
	KP_EXPECT(be && be->port == 8080 && be->state == KPLANE_BE_ACTIVE && be->local);
	KP_EXPECT(!backend(&s.fe[0], "10.244.2.3"));
	be = backend(&s.fe[0], "10.244.2.4");
	KP_EXPECT(be && be->state == KPLANE_BE_SERVING_TERMINATING && !be->local);
	be = backend(&s.fe[0], "10.244.2.5");
	KP_EXPECT(be && be->state == KPLANE_BE_TERMINATING);
	KP_EXPECT(s.fe[1].port == 53 && s.fe[1].proto == IPPROTO_UDP);
	be = backend(&s.fe[1], "10.244.1.2");
	KP_EXPECT(be && be->port == 5353);
}

/* NodePort, externalIPs, load balancer IPs, policies and ClientIP affinity. */
static void test_external_frontends(void)
{
	static const char svc[] =
		"kind: Service\nmetadata: {name: web, namespace: shop}\n"
		"spec:\n  type: LoadBalancer\n  clusterIPs: [10.96.0.10]\n"
		"  externalIPs: [192.0.2.10]\n  externalTrafficPolicy: Local\n"
		"  internalTrafficPolicy: Local\n  sessionAffinity: ClientIP\n"
		"  ports: [{name: http, port: 80, nodePort: 30080}]\n"
		"status: {loadBalancer: {ingress: [{ip: 198.51.100.7}, {hostname: lb.example}]}}\n";
	const char *slices[] = { web_slice };
	struct seen s;

	translate(svc, slices, 1, NULL, &s);
	KP_EXPECT(s.n == 4);
	KP_EXPECT(s.fe[0].type == KPLANE_SVC_CLUSTER_IP && ip_is(&s.fe[0].addr, "10.96.0.10"));
	KP_EXPECT(s.fe[1].type == KPLANE_SVC_EXTERNAL_IP && ip_is(&s.fe[1].addr, "192.0.2.10"));
	KP_EXPECT(s.fe[2].type == KPLANE_SVC_LOAD_BALANCER &&
		  ip_is(&s.fe[2].addr, "198.51.100.7"));
	KP_EXPECT(s.fe[3].type == KPLANE_SVC_NODE_PORT && ip_is(&s.fe[3].addr, "0.0.0.0") &&
		  s.fe[3].port == 30080);
	KP_EXPECT(s.fe[3].ext_policy == KPLANE_POLICY_LOCAL &&
		  s.fe[3].int_policy == KPLANE_POLICY_LOCAL);
	KP_EXPECT(s.fe[0].affinity_timeout == KP_K8S_AFFINITY_DEFAULT);
	KP_EXPECT(s.fe[3].n_backends == 3);
}

/* Dual stack: each family's frontends get that family's slices' endpoints. */
static void test_dual_stack(void)
{
	static const char svc[] =
		"kind: Service\nmetadata: {name: web}\n"
		"spec:\n  clusterIPs: [10.96.0.10, 'fd00:96::10']\n  ports: [{port: 80}]\n";
	static const char v4[] =
		"kind: EndpointSlice\nmetadata: {name: a, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\nports: [{port: 8080}]\nendpoints: [{addresses: [10.244.1.2]}]\n";
	static const char v6[] =
		"kind: EndpointSlice\nmetadata: {name: b, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv6\nports: [{port: 8080}]\n"
		"endpoints: [{addresses: ['fd00:244::2']}, {addresses: ['fd00:244::3']}]\n";
	const char *slices[] = { v4, v6 };
	struct seen s;

	translate(svc, slices, 2, NULL, &s);
	KP_EXPECT(s.n == 2);
	KP_EXPECT(ip_is(&s.fe[0].addr, "10.96.0.10") && s.fe[0].n_backends == 1);
	KP_EXPECT(ip_is(&s.fe[1].addr, "fd00:96::10") && s.fe[1].n_backends == 2);
	KP_EXPECT(backend(&s.fe[1], "fd00:244::3") != NULL);
	KP_EXPECT_STR(s.fe[0].id, "default/web");
}

/* Headless and ExternalName services program nothing. */
static void test_headless(void)
{
	const char *slices[] = { web_slice };
	struct seen s;

	translate("kind: Service\nmetadata: {name: web, namespace: shop}\n"
		  "spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n", slices, 1, NULL, &s);
	KP_EXPECT(s.n == 0);
	translate("kind: Service\nmetadata: {name: web, namespace: shop}\n"
		  "spec: {type: ExternalName, externalName: example.com}\n", slices, 1, NULL, &s);
	KP_EXPECT(s.n == 0);
	translate("kind: Service\nmetadata: {name: web, namespace: shop}\n"
		  "spec: {clusterIPs: [None], ports: [{name: http, port: 80}]}\n", slices, 1, NULL, &s);
	KP_EXPECT(s.n == 0);
}

static const char hinted_svc[] =
	"kind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}\n";

/* Topology hints: used only when every ready endpoint has one and one names our zone. */
static void test_topology(void)
{
	static const char all_hinted[] =
		"kind: EndpointSlice\nmetadata: {name: a, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\nports: [{port: 8080}]\nendpoints:\n"
		"- {addresses: [10.0.0.1], hints: {forZones: [{name: zone-a}]}}\n"
		"- {addresses: [10.0.0.2], hints: {forZones: [{name: zone-b}]}}\n"
		"- {addresses: [10.0.0.3], nodeName: node-1, hints: {forZones: [{name: zone-b}]}}\n";
	static const char one_unhinted[] =
		"kind: EndpointSlice\nmetadata: {name: a, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\nports: [{port: 8080}]\nendpoints:\n"
		"- {addresses: [10.0.0.1], hints: {forZones: [{name: zone-a}]}}\n"
		"- {addresses: [10.0.0.2]}\n";
	const char *slices[1];
	struct seen s;

	slices[0] = all_hinted;
	translate(hinted_svc, slices, 1, "zone-a", &s);
	KP_EXPECT(s.n == 1 && s.fe[0].n_backends == 2);	/* zone-a's, and the local one */
	KP_EXPECT(backend(&s.fe[0], "10.0.0.1") && !backend(&s.fe[0], "10.0.0.2"));
	translate(hinted_svc, slices, 1, "zone-c", &s);
	KP_EXPECT(s.fe[0].n_backends == 3);		/* no hint names zone-c: all */
	translate(hinted_svc, slices, 1, NULL, &s);
	KP_EXPECT(s.fe[0].n_backends == 3);		/* no zone label: all */
	slices[0] = one_unhinted;
	translate(hinted_svc, slices, 1, "zone-a", &s);
	KP_EXPECT(s.fe[0].n_backends == 2);		/* one without hints: all */
}

/* An endpoint in two slices (during a slice's replacement) is one backend. */
static void test_dedup(void)
{
	static const char a[] =
		"kind: EndpointSlice\nmetadata: {name: a, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\nports: [{port: 8080}]\nendpoints: [{addresses: [10.0.0.1]}]\n";
	static const char b[] =
		"kind: EndpointSlice\nmetadata: {name: b, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\nports: [{port: 8080}]\n"
		"endpoints: [{addresses: [10.0.0.1]}, {addresses: [10.0.0.2]}]\n";
	static const char other[] =
		"kind: EndpointSlice\nmetadata: {name: c, labels: {kubernetes.io/service-name: db}}\n"
		"addressType: IPv4\nports: [{port: 8080}]\nendpoints: [{addresses: [10.0.0.9]}]\n";
	const char *slices[] = { a, b, other };
	struct seen s;

	translate(hinted_svc, slices, 3, NULL, &s);
	KP_EXPECT(s.n == 1 && s.fe[0].n_backends == 2);
	KP_EXPECT(!backend(&s.fe[0], "10.0.0.9"));
}

static void expect_bad_svc(const char *yaml, const char *why_part)
{
	struct kp_k8s_service svc;
	const char *why = NULL;

	KP_EXPECT(read_svc(yaml, &svc, &why) == -EINVAL);
	KP_EXPECT(why && strstr(why, why_part));
	if (why && !strstr(why, why_part))
		printf("#   why: %s\n", why);
}

/* Bad fields are refused and named, so the object is skipped with a reason. */
static void test_bad_input(void)
{
	struct kp_k8s_slice slice;
	const char *why = NULL;

	expect_bad_svc("kind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 70000}]}\n",
		       "port");
	expect_bad_svc("kind: Service\nmetadata: {name: web}\nspec: {clusterIP: banana}\n",
		       "spec.clusterIP");
	expect_bad_svc("kind: Service\nspec: {clusterIP: 10.96.0.1}\n", "metadata.name");
	expect_bad_svc("kind: Service\nmetadata: {name: web}\nspec: {type: Magic}\n", "spec.type");
	expect_bad_svc("kind: Service\nmetadata: {name: web}\n"
		       "spec: {ports: [{port: 80, protocol: ICMP}]}\n", "protocol");
	KP_EXPECT(read_slice("kind: EndpointSlice\nmetadata: {name: a}\naddressType: IPv4\n",
			     &slice, &why) == -EINVAL);
	KP_EXPECT(why && strstr(why, "service-name"));
	KP_EXPECT(read_slice("kind: EndpointSlice\nmetadata: {name: a, labels: "
			     "{kubernetes.io/service-name: web}}\naddressType: IPv4\n"
			     "endpoints: [{addresses: ['fd00::1']}]\n", &slice, &why) == -EINVAL);
	KP_EXPECT(why && strstr(why, "addressType"));
}

/* JSON is YAML 1.2: the same objects as etcd holds them. */
static void test_json(void)
{
	struct kp_k8s_service svc;
	const char *why = NULL;

	KP_EXPECT(read_svc("{\"kind\": \"Service\", \"metadata\": {\"name\": \"web\"}, "
			   "\"spec\": {\"clusterIP\": \"10.96.0.10\", "
			   "\"ports\": [{\"port\": 80, \"protocol\": \"UDP\"}]}}", &svc, &why) == 0);
	KP_EXPECT(svc.n_ports == 1 && svc.ports[0].proto == IPPROTO_UDP);
	kp_k8s_service_free(&svc);
}

/* What libfyaml is never handed: NUL bytes, invalid or overlong UTF-8, surrogates. */
static void test_text(void)
{
	KP_EXPECT(kp_k8s_text_ok("kind: Service\nmetadata: {name: caf\xc3\xa9}\n", 34));
	KP_EXPECT(kp_k8s_text_ok("\xf0\x9f\x98\x80", 4));
	KP_EXPECT(!kp_k8s_text_ok("%\xff\xff", 3));	/* libfyaml 0.7.12 loops on it */
	KP_EXPECT(!kp_k8s_text_ok("a\0b", 3));
	KP_EXPECT(!kp_k8s_text_ok("\xc0\xaf", 2));		/* overlong '/' */
	KP_EXPECT(!kp_k8s_text_ok("\xed\xa0\x80", 3));	/* a surrogate */
	KP_EXPECT(!kp_k8s_text_ok("\xe2\x82", 2));		/* cut short */
}

struct skips {
	unsigned int n, lines[8];
	const char *whys[8];
	char text[8][256];	/* a why may be the caller's buffer: kept here */
};

static void note_skip(unsigned int line, const char *why, void *arg)
{
	struct skips *k = arg;

	if (k->n < 8) {
		k->lines[k->n] = line;
		snprintf(k->text[k->n], sizeof(k->text[k->n]), "%s", why);
		k->whys[k->n] = k->text[k->n];
	}
	k->n++;
}

/* Several documents per file; a bad one or an unknown kind is skipped by line. */
static void test_load_stream(void)
{
	static const char text[] =
		"apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
		"spec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}\n"
		"---\n"
		"kind: ConfigMap\nmetadata: {name: cm}\n"
		"---\n"
		"kind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 70000}]}\n"
		"---\n"
		"---\n"
		"kind: EndpointSlice\nmetadata: {name: web-1, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\nports: [{port: 8080}]\nendpoints: [{addresses: [10.0.0.1]}]\n";
	struct kp_k8s_objects o = { 0 };
	struct skips k = { 0 };

	KP_EXPECT(kp_k8s_load(text, sizeof(text) - 1, &o, note_skip, &k) == 0);
	KP_EXPECT(o.n_svcs == 1 && o.n_slices == 1);
	KP_EXPECT_STR(o.svcs[0].name, "web");
	KP_EXPECT(o.slices[0].n_endpoints == 1);
	KP_EXPECT(k.n == 2);
	/* Each named by the line of its "---". */
	KP_EXPECT(k.lines[0] == 5 && k.whys[0] && strstr(k.whys[0], "unknown kind"));
	KP_EXPECT(k.lines[1] == 8 && k.whys[1] && strstr(k.whys[1], "port"));
	if (k.n == 2 && (k.lines[0] != 5 || k.lines[1] != 8))
		printf("#   skipped at lines %u and %u\n", k.lines[0], k.lines[1]);
	kp_k8s_objects_free(&o);
}

/* A syntax error keeps what came before it; bytes libfyaml must not see, nothing. */
static void test_load_broken(void)
{
	static const char text[] =
		"kind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.10}\n"
		"---\nkind: Service\nmetadata: {name: [unclosed\n";
	struct kp_k8s_objects o = { 0 };
	struct skips k = { 0 };

	KP_EXPECT(kp_k8s_load(text, sizeof(text) - 1, &o, note_skip, &k) == 0);
	KP_EXPECT(o.n_svcs == 1 && k.n == 1 && k.whys[0] && strstr(k.whys[0], "syntax"));
	kp_k8s_objects_free(&o);
	memset(&k, 0, sizeof(k));
	KP_EXPECT(kp_k8s_load("%\xff\xff", 3, &o, note_skip, &k) == 0);
	KP_EXPECT(o.n_svcs == 0 && k.n == 1);
	kp_k8s_objects_free(&o);
}

/* Translated state against itself, as a restart meets it: nothing to write. */
static void test_diff_unchanged(void)
{
	const char *slices[] = { web_slice };
	struct kpl_service have[FE_MAX];
	struct kpl_backend backs[FE_MAX][16];
	struct kp_svc_diff d;
	struct seen s;
	unsigned int i, j;

	translate(web_svc, slices, 1, NULL, &s);
	/* The kernel's copy: same content, backends in another order. */
	for (i = 0; i < s.n; i++) {
		have[i] = s.fe[i];
		for (j = 0; j < s.fe[i].n_backends; j++)
			backs[i][j] = s.fe[i].backends[s.fe[i].n_backends - 1 - j];
		have[i].backends = backs[i];
		have[i].maglev_size = 1021;	/* the kernel reports its default */
	}
	KP_EXPECT(kp_svc_diff(s.fe, s.n, have, s.n, &d) == 0);
	KP_EXPECT(d.n_set == 0 && d.n_del == 0);
	kp_svc_diff_free(&d);
}

/* New, changed (a backend's state, a policy) and gone frontends. */
static void test_diff_changes(void)
{
	const char *slices[] = { web_slice };
	struct kpl_service have[FE_MAX + 1];
	struct kpl_backend backs[FE_MAX][16];
	struct kp_svc_diff d;
	struct seen s;
	unsigned int i;

	translate(web_svc, slices, 1, NULL, &s);
	for (i = 0; i < s.n; i++) {
		have[i] = s.fe[i];
		memcpy(backs[i], s.fe[i].backends, s.fe[i].n_backends * sizeof(backs[i][0]));
		have[i].backends = backs[i];
	}
	backs[0][0].state = KPLANE_BE_TERMINATING;	/* the kernel lags: to set */
	have[s.n] = s.fe[0];				/* one more the kernel has: to delete */
	have[s.n].port = 8443;
	KP_EXPECT(kp_svc_diff(s.fe, s.n, have, s.n + 1, &d) == 0);
	KP_EXPECT(d.n_set == 1 && d.set[0]->port == 80);
	KP_EXPECT(d.n_del == 1 && d.del[0]->port == 8443);
	kp_svc_diff_free(&d);
	KP_EXPECT(kp_svc_diff(s.fe, s.n, NULL, 0, &d) == 0);	/* an empty kernel: all new */
	KP_EXPECT(d.n_set == s.n && d.n_del == 0);
	kp_svc_diff_free(&d);
	have[1].int_policy = KPLANE_POLICY_LOCAL;
	backs[0][0].state = KPLANE_BE_ACTIVE;
	KP_EXPECT(kp_svc_diff(s.fe, s.n, have, s.n, &d) == 0);
	KP_EXPECT(d.n_set == 1 && d.set[0]->port == 53 && d.n_del == 0);
	kp_svc_diff_free(&d);
}

/* As the API server writes them: name: "", null and ~, quoted or not. */
static void test_api_forms(void)
{
	static const char svc[] =
		"kind: Service\nmetadata: {name: web}\n"
		"spec: {clusterIP: 10.96.0.10, ports: [{name: \"\", port: 80, nodePort: null}]}\n";
	static const char slice[] =
		"kind: EndpointSlice\nmetadata: {name: a, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\nports: [{name: \"\", port: 8080, protocol: TCP}]\n"
		"endpoints:\n"
		"- {addresses: [10.0.0.1], nodeName: null, conditions: {ready: ~, serving: null}}\n"
		"- {addresses: [10.0.0.2], conditions: {ready: False, serving: TRUE, terminating: true}}\n";
	const char *slices[] = { slice };
	struct kp_k8s_slice bad;
	const char *why = NULL;
	struct seen s;

	translate(svc, slices, 1, NULL, &s);
	KP_EXPECT(s.n == 1 && s.fe[0].n_backends == 2);
	KP_EXPECT(backend(&s.fe[0], "10.0.0.1") &&
		  backend(&s.fe[0], "10.0.0.1")->state == KPLANE_BE_ACTIVE &&
		  !backend(&s.fe[0], "10.0.0.1")->local);
	KP_EXPECT(backend(&s.fe[0], "10.0.0.2") &&
		  backend(&s.fe[0], "10.0.0.2")->state == KPLANE_BE_SERVING_TERMINATING);
	KP_EXPECT(read_slice("kind: EndpointSlice\nmetadata: {name: a, labels: "
			     "{kubernetes.io/service-name: web}}\naddressType: IPv4\n"
			     "endpoints: [{addresses: [10.0.0.1], conditions: {ready: yes}}]\n",
			     &bad, &why) == -EINVAL && why && strstr(why, "condition"));
}

/* kube-proxy's edges: a family without a clusterIP, a proxying balancer, best copy wins. */
static void test_edges(void)
{
	static const char svc[] =
		"kind: Service\nmetadata: {name: web}\n"
		"spec:\n  type: LoadBalancer\n  clusterIP: 10.96.0.10\n"
		"  externalIPs: ['fd00:1::1', 192.0.2.1]\n  ports: [{port: 80}]\n"
		"status: {loadBalancer: {ingress: [{ip: 198.51.100.1, ipMode: Proxy}]}}\n";
	static const char a[] =
		"kind: EndpointSlice\nmetadata: {name: a, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\nports: [{port: 8080}]\n"
		"endpoints: [{addresses: [10.0.0.1], conditions: {ready: false, terminating: true}}]\n";
	static const char b[] =
		"kind: EndpointSlice\nmetadata: {name: b, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\nports: [{port: 8080}]\n"
		"endpoints: [{addresses: [10.0.0.1], nodeName: node-1}]\n";
	const char *slices[] = { a, b };
	struct seen s;

	translate(svc, slices, 2, NULL, &s);
	KP_EXPECT(s.n == 2);	/* the clusterIP and the IPv4 externalIP only */
	KP_EXPECT(s.fe[1].type == KPLANE_SVC_EXTERNAL_IP && ip_is(&s.fe[1].addr, "192.0.2.1"));
	KP_EXPECT(s.fe[0].n_backends == 1 && s.fe[0].backends[0].state == KPLANE_BE_ACTIVE &&
		  s.fe[0].backends[0].local);
}

/* A frontend wanted twice settles: one set, then nothing. */
static void test_diff_duplicates(void)
{
	static const char svc[] =
		"kind: Service\nmetadata: {name: web}\n"
		"spec: {clusterIP: 10.96.0.10, ports: [{name: a, port: 80}, {name: b, port: 80}]}\n";
	const char *slices[] = { web_slice };
	struct kp_svc_diff d;
	struct seen s;

	translate(svc, slices, 1, NULL, &s);
	KP_EXPECT(s.n == 2);
	KP_EXPECT(kp_svc_diff(s.fe, s.n, NULL, 0, &d) == 0 && d.n_set == 1);
	if (d.n_set == 1) {
		struct kpl_service have = *d.set[0];
		struct kp_svc_diff again;

		KP_EXPECT(kp_svc_diff(s.fe, s.n, &have, 1, &again) == 0);
		KP_EXPECT(again.n_set == 0 && again.n_del == 0);
		kp_svc_diff_free(&again);
	}
	kp_svc_diff_free(&d);
}

static const char *one_label(const char *key, void *arg)
{
	return !strcmp(key, "tier") ? arg : NULL;
}

/*
 * LabelSelectors as Calico converts them: terms sorted and joined, {} all(),
 * keys under a prefix; bad keys, values and operators refused; and what
 * they make parses and keeps the API's meaning (NotIn matches the absent).
 */
static void test_label_selectors(void)
{
	static const struct { const char *yaml, *prefix, *want; } ok[] = {
		{ "{matchLabels: {tier: db, app: web}}", NULL, "app == \"web\" && tier == \"db\"" },
		{ "{matchExpressions: [{key: env, operator: In, values: [prod, dev]},"
		  " {key: x, operator: DoesNotExist}, {key: k8s.io/y, operator: Exists}]}", NULL,
		  "!has(x) && env in {\"prod\", \"dev\"} && has(k8s.io/y)" },
		{ "{}", NULL, "all()" },
		{ "{matchLabels: {team: a}, matchExpressions: [{key: tier, operator: NotIn, "
		  "values: [db]}]}", "pcns.", "pcns.team == \"a\" && pcns.tier not in {\"db\"}" },
	};
	static const char *const bad[] = {
		"{matchLabels: {a: 'x\"y'}}", "{matchLabels: {'a b': x}}",
		"{matchExpressions: [{key: a, operator: In}]}",
		"{matchExpressions: [{key: a, operator: Exists, values: [x]}]}",
		"{matchExpressions: [{key: a, operator: Near, values: [x]}]}",
		"{matchLabels: [a]}", "[]", "{matchLabels: {a: -x}}",
	};
	struct kp_sel *sel;
	const char *why;
	unsigned int i;
	size_t at;
	char *out;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct fy_document *d = doc(ok[i].yaml);

		KP_EXPECT(kp_k8s_label_selector(fy_document_root(d), ok[i].prefix, &out, &why) == 0);
		KP_EXPECT_STR(out, ok[i].want);
		KP_EXPECT(out && kp_sel_parse(out, strlen(out), &sel, &why, &at) == 0);
		kp_sel_free(sel);
		free(out);
		fy_document_destroy(d);
	}
	KP_EXPECT(kp_k8s_label_selector(NULL, NULL, &out, &why) == 0);
	KP_EXPECT_STR(out, "all()");
	free(out);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fy_document *d = doc(bad[i]);

		KP_EXPECT(kp_k8s_label_selector(fy_document_root(d), NULL, &out, &why) == -EINVAL);
		KP_EXPECT(!out && why);
		fy_document_destroy(d);
	}
	/* NotIn, as the API means it: the label absent matches. */
	KP_EXPECT(kp_sel_parse("tier not in {\"db\"}", 18, &sel, &why, &at) == 0);
	KP_EXPECT(kp_sel_match(sel, one_label, NULL) && !kp_sel_match(sel, one_label, "db"));
	kp_sel_free(sel);
}

int main(void)
{
	KP_RUN(test_conditions_and_ports);
	KP_RUN(test_label_selectors);
	KP_RUN(test_external_frontends);
	KP_RUN(test_dual_stack);
	KP_RUN(test_headless);
	KP_RUN(test_topology);
	KP_RUN(test_dedup);
	KP_RUN(test_bad_input);
	KP_RUN(test_json);
	KP_RUN(test_text);
	KP_RUN(test_load_stream);
	KP_RUN(test_load_broken);
	KP_RUN(test_diff_unchanged);
	KP_RUN(test_diff_changes);
	KP_RUN(test_api_forms);
	KP_RUN(test_edges);
	KP_RUN(test_diff_duplicates);
	return KP_TEST_DONE();
}
