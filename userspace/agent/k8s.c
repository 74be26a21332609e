// SPDX-License-Identifier: GPL-2.0
/* Kubernetes Services and EndpointSlices, read and translated: see k8s.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <libfyaml.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k8s_int.h"

bool kp_k8s_text_ok(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;

	while (p < end) {
		unsigned int need, cp, min;
		unsigned char c = *p++;

		if (!c)
			return false;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if ((size_t)(end - p) < need)
			return false;
		for (; need; need--, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*p & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
	}
	return true;
}

/* --- reading: every field checked, the first bad one named --- */

struct fy_node *kp_k8s_at(struct fy_node *n, const char *path)
{
	while (n && *path == '/') {
		const char *key = path + 1;
		size_t len = strcspn(key, "/");

		if (fy_node_is_mapping(n))
			n = fy_node_mapping_lookup_value_by_simple_key(n, key, len);
		else if (fy_node_is_sequence(n) && len == 1 && key[0] >= '0' && key[0] <= '9')
			n = fy_node_sequence_get_by_index(n, key[0] - '0');
		else
			n = NULL;
		path = key + len;
	}
	return n;
}

/* YAML 1.2's null as a plain scalar (libfyaml 0.7.12 returns it as text). */
bool kp_k8s_is_null(struct fy_node *v)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	const char *s;
	unsigned int i;

	if (fy_node_is_null(v))
		return true;
	if (fy_node_get_style(v) != FYNS_PLAIN)
		return false;	/* "null" quoted is text */
	s = fy_node_get_scalar0(v);
	for (i = 0; s && i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(s, nulls[i]))
			return true;
	return !s;
}

/* @v's text if it is a scalar, not null. */
const char *kp_k8s_scalar(struct fy_node *v)
{
	return v && fy_node_is_scalar(v) && !kp_k8s_is_null(v) ? fy_node_get_scalar0(v) : NULL;
}

/* The scalar at @path, or NULL if absent or null. */
const char *kp_k8s_str(struct fy_node *n, const char *path)
{
	return kp_k8s_scalar(kp_k8s_at(n, path));
}

/* A decimal number written as digits only (no sign, no space), at most 10 of them. */
bool kp_k8s_digits(const char *s, unsigned long *v)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n || n > 10)
		return false;
	for (i = 0, *v = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	return true;
}

int kp_k8s_copy(char *dst, size_t size, const char *s, const char *what, const char **why)
{
	if (!s || !s[0] || strlen(s) >= size) {
		*why = what;
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

/* A port number at @path: 0 if absent and @optional, else 1..65535. */
int kp_k8s_port(struct fy_node *n, const char *path, bool optional, uint16_t *out,
		   const char *what, const char **why)
{
	const char *s = kp_k8s_str(n, path);
	unsigned long v;

	*out = 0;
	if (!s && optional)
		return 0;
	if (!kp_k8s_digits(s, &v) || !v || v > 65535) {
		*why = what;
		return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

/* A port's name: absent or "" is the unnamed port, as the API writes it. */
static int kp_port_name(char *dst, size_t size, const char *name, const char **why)
{
	if (!name || !name[0]) {
		dst[0] = '\0';
		return 0;
	}
	return kp_k8s_copy(dst, size, name, "a port name is too long", why);
}

static int kp_proto(struct fy_node *n, uint8_t *proto, const char **why)
{
	const char *s = kp_k8s_str(n, "/protocol");

	if (!s || !strcmp(s, "TCP"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "UDP"))
		*proto = IPPROTO_UDP;
	else if (!strcmp(s, "SCTP"))
		*proto = 0;	/* not one kplane balances: the port is left out */
	else {
		*why = "protocol is not TCP, UDP or SCTP";
		return -EINVAL;
	}
	return 0;
}

int kp_k8s_ip(const char *s, struct kpl_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (s && inet_pton(AF_INET, s, ip->ip) == 1)
		ip->family = AF_INET;
	else if (s && inet_pton(AF_INET6, s, ip->ip) == 1)
		ip->family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

/* Neither unspecified nor multicast: an address a frontend or backend can be. */
static bool kp_ip_unicast(const struct kpl_ip *ip)
{
	static const uint8_t zero[16];

	if (ip->family == AF_INET)
		return memcmp(ip->ip, zero, 4) && (ip->ip[0] & 0xf0) != 0xe0;
	return memcmp(ip->ip, zero, 16) && ip->ip[0] != 0xff;
}

/* Addresses of a sequence at @path (of scalars, or of mappings' @key). */
/*
 * Room for @seq's items (at most @max, each @size bytes) in *@arr; 0 with
 * *@arr NULL for no sequence, -EINVAL (with @what) for too many or not a
 * list, -ENOMEM.
 */
int kp_k8s_alloc_items(struct fy_node *seq, unsigned int max, size_t size, void **arr,
			  const char *what, const char **why)
{
	int n;

	*arr = NULL;
	if (!seq || kp_k8s_is_null(seq))
		return 0;
	n = fy_node_is_sequence(seq) ? fy_node_sequence_item_count(seq) : -1;
	if (n < 0 || (unsigned int)n > max) {
		*why = what;
		return -EINVAL;
	}
	*arr = calloc(n ? (size_t)n : 1, size);
	return *arr ? 0 : -ENOMEM;
}

static int kp_ips(struct fy_node *n, const char *path, const char *key, struct kpl_ip **out,
		  unsigned int max, unsigned int *count, const char *what, const char **why)
{
	struct fy_node *seq = kp_k8s_at(n, path), *item;
	void *iter = NULL;
	struct kpl_ip *ips;
	int err;

	*count = 0;
	err = kp_k8s_alloc_items(seq, max, sizeof(**out), (void **)out, what, why);
	if (err || !*out)
		return err;
	ips = *out;
	while ((item = fy_node_sequence_iterate(seq, &iter))) {
		const char *s = key ? kp_k8s_str(item, key) : kp_k8s_scalar(item);
		const char *mode = key ? kp_k8s_str(item, "/ipMode") : NULL;

		/* A hostname-only ingress, or one whose balancer proxies: nothing to do here. */
		if ((key && !s) || (mode && !strcmp(mode, "Proxy")))
			continue;
		if (kp_k8s_ip(s, &ips[*count]) || !kp_ip_unicast(&ips[*count]))
			goto bad;
		(*count)++;
	}
	return 0;
bad:
	*why = what;
	return -EINVAL;
}

/* A name as Kubernetes allows one: lowercase letters, digits, '-' and '.'. */
static bool kp_dns_name(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == strlen(s);
}

/* metadata.name and metadata.namespace (default "default"). */
static int kp_meta(struct fy_node *root, char *ns, size_t ns_size, char *name, size_t name_size,
		   const char **why)
{
	const char *s = kp_k8s_str(root, "/metadata/namespace");

	if (kp_k8s_copy(ns, ns_size, s ? s : "default", "metadata.namespace is too long", why) ||
	    kp_k8s_copy(name, name_size, kp_k8s_str(root, "/metadata/name"),
		    "metadata.name is missing or too long", why))
		return -EINVAL;
	if (!kp_dns_name(ns) || !kp_dns_name(name)) {
		*why = "metadata.name or namespace is not a DNS name ([a-z0-9.-])";
		return -EINVAL;
	}
	return 0;
}

/*
 * metadata.namespace and name, and a slice's service label (@label, when
 * @svc), in one allocation at *@ns: 100k objects must not each hold
 * three 254-byte arrays.  -EINVAL (*@why says why) or -ENOMEM.
 */
int kp_k8s_meta_dup(struct fy_node *root, const char *label, char **ns, char **name,
		       char **svc, const char **why)
{
	char b_ns[64], b_name[KP_K8S_NAME_MAX], b_svc[KP_K8S_NAME_MAX] = "";
	size_t l_ns, l_name;

	if (kp_meta(root, b_ns, sizeof(b_ns), b_name, sizeof(b_name), why) ||
	    (svc && kp_k8s_copy(b_svc, sizeof(b_svc), label,
			    "label kubernetes.io/service-name is missing", why)))
		return -EINVAL;
	l_ns = strlen(b_ns) + 1;
	l_name = strlen(b_name) + 1;
	*ns = malloc(l_ns + l_name + strlen(b_svc) + 1);
	if (!*ns)
		return -ENOMEM;
	memcpy(*ns, b_ns, l_ns);
	*name = memcpy(*ns + l_ns, b_name, l_name);
	if (svc)
		*svc = strcpy(*name + l_name, b_svc);
	return 0;
}

static int kp_policy(struct fy_node *root, const char *path, uint8_t *out, const char **why)
{
	const char *s = kp_k8s_str(root, path);

	if (!s || !strcmp(s, "Cluster"))
		*out = KPLANE_POLICY_CLUSTER;
	else if (!strcmp(s, "Local"))
		*out = KPLANE_POLICY_LOCAL;
	else {
		*why = "a traffic policy is neither Cluster nor Local";
		return -EINVAL;
	}
	return 0;
}

static int kp_svc_type(struct fy_node *root, struct kp_k8s_service *svc, const char **why)
{
	const char *s = kp_k8s_str(root, "/spec/type");

	if (!s || !strcmp(s, "ClusterIP"))
		svc->type = KPLANE_SVC_CLUSTER_IP;
	else if (!strcmp(s, "NodePort"))
		svc->type = KPLANE_SVC_NODE_PORT;
	else if (!strcmp(s, "LoadBalancer"))
		svc->type = KPLANE_SVC_LOAD_BALANCER;
	else if (!strcmp(s, "ExternalName"))
		svc->headless = true;	/* DNS only: kube-proxy programs nothing */
	else {
		*why = "spec.type is not ClusterIP, NodePort, LoadBalancer or ExternalName";
		return -EINVAL;
	}
	return 0;
}

/* spec.clusterIPs, else spec.clusterIP; "None": headless. */
static int kp_cluster_ips(struct fy_node *root, struct kp_k8s_service *svc, const char **why)
{
	const char *one = kp_k8s_str(root, "/spec/clusterIP");
	const char *first = kp_k8s_str(root, "/spec/clusterIPs/0");
	const char *what = "spec.clusterIPs is not one or two addresses";

	if ((one && !strcmp(one, "None")) || (first && !strcmp(first, "None"))) {
		svc->headless = true;
		return 0;
	}
	if (kp_k8s_at(root, "/spec/clusterIPs")) {
		struct kpl_ip *ips = NULL;
		int err = kp_ips(root, "/spec/clusterIPs", NULL, &ips, 2, &svc->n_cluster_ips,
				 what, why);

		if (!err && svc->n_cluster_ips)
			memcpy(svc->cluster_ips, ips, svc->n_cluster_ips * sizeof(*ips));
		free(ips);
		return err;
	}
	if (!one || !one[0])
		return 0;
	svc->n_cluster_ips = 1;
	if (!kp_k8s_ip(one, &svc->cluster_ips[0]) && kp_ip_unicast(&svc->cluster_ips[0]))
		return 0;
	*why = "spec.clusterIP is not an address";
	return -EINVAL;
}

static int kp_affinity(struct fy_node *root, struct kp_k8s_service *svc, const char **why)
{
	const char *s = kp_k8s_str(root, "/spec/sessionAffinity");
	const char *t = kp_k8s_str(root, "/spec/sessionAffinityConfig/clientIP/timeoutSeconds");
	unsigned long v;

	if (!s || !strcmp(s, "None"))
		return 0;
	if (strcmp(s, "ClientIP")) {
		*why = "spec.sessionAffinity is neither None nor ClientIP";
		return -EINVAL;
	}
	v = KP_K8S_AFFINITY_DEFAULT;
	if (t && (!kp_k8s_digits(t, &v) || !v || v > KPLANE_AFFINITY_TIMEOUT_MAX)) {
		*why = "sessionAffinityConfig.clientIP.timeoutSeconds is out of range";
		return -EINVAL;
	}
	svc->affinity = (uint32_t)v;
	return 0;
}

/* A port list's entry: name ("" unnamed), protocol (0: SCTP), port. */
static int kp_port_entry(struct fy_node *item, char *name, size_t name_size, uint8_t *proto,
			 uint16_t *port, bool optional, const char **why)
{
	return kp_port_name(name, name_size, kp_k8s_str(item, "/name"), why) ||
	       kp_proto(item, proto, why) ||
	       kp_k8s_port(item, "/port", optional, port, "a port's port is not 1-65535", why) ?
	       -EINVAL : 0;
}

static int kp_svc_ports(struct fy_node *root, struct kp_k8s_service *svc, const char **why)
{
	struct fy_node *seq = kp_k8s_at(root, "/spec/ports"), *item;
	void *iter = NULL;
	int err = kp_k8s_alloc_items(seq, KP_K8S_PORTS_MAX, sizeof(*svc->ports), (void **)&svc->ports,
				 "spec.ports is not a list of at most 64", why);

	if (err)
		return err;
	while (svc->ports && (item = fy_node_sequence_iterate(seq, &iter))) {
		struct kp_k8s_svc_port *p = &svc->ports[svc->n_ports];

		memset(p, 0, sizeof(*p));
		if (kp_port_entry(item, p->name, sizeof(p->name), &p->proto, &p->port, false, why) ||
		    kp_k8s_port(item, "/nodePort", true, &p->node_port, "a nodePort is not 1-65535", why))
			return -EINVAL;
		if (p->proto)
			svc->n_ports++;
	}
	return 0;
}

int kp_k8s_service_read(struct fy_node *root, struct kp_k8s_service *svc, const char **why)
{
	memset(svc, 0, sizeof(*svc));
	*why = NULL;
	if (kp_k8s_meta_dup(root, NULL, &svc->ns, &svc->name, NULL, why) ||
	    kp_svc_type(root, svc, why) || kp_cluster_ips(root, svc, why) ||
	    kp_ips(root, "/spec/externalIPs", NULL, &svc->external_ips, KP_K8S_IPS_MAX,
		   &svc->n_external_ips, "spec.externalIPs holds a non-address or too many", why) ||
	    kp_ips(root, "/status/loadBalancer/ingress", "/ip", &svc->lb_ips, KP_K8S_IPS_MAX,
		   &svc->n_lb_ips, "status.loadBalancer.ingress holds a bad ip or too many", why) ||
	    kp_policy(root, "/spec/externalTrafficPolicy", &svc->ext_policy, why) ||
	    kp_policy(root, "/spec/internalTrafficPolicy", &svc->int_policy, why) ||
	    kp_affinity(root, svc, why) || kp_svc_ports(root, svc, why) ||
	    kp_k8s_port(root, "/spec/healthCheckNodePort", true, &svc->health_port,
		    "spec.healthCheckNodePort is not 1-65535", why)) {
		kp_k8s_service_free(svc);
		return *why ? -EINVAL : -ENOMEM;
	}
	return 0;
}

void kp_k8s_service_free(struct kp_k8s_service *svc)
{
	free(svc->ns);
	svc->ns = svc->name = NULL;
	free(svc->ports);
	free(svc->external_ips);
	free(svc->lb_ips);
	svc->ports = NULL;
	svc->external_ips = svc->lb_ips = NULL;
	svc->n_ports = svc->n_external_ips = svc->n_lb_ips = 0;
}

static int kp_slice_ports(struct fy_node *root, struct kp_k8s_slice *slice, const char **why)
{
	struct fy_node *seq = kp_k8s_at(root, "/ports"), *item;
	void *iter = NULL;
	int err = kp_k8s_alloc_items(seq, KP_K8S_PORTS_MAX, sizeof(*slice->ports),
				 (void **)&slice->ports, "ports is not a list of at most 64", why);

	if (err)
		return err;
	while (slice->ports && (item = fy_node_sequence_iterate(seq, &iter))) {
		struct kp_k8s_slice_port *p = &slice->ports[slice->n_ports];

		memset(p, 0, sizeof(*p));
		if (kp_port_entry(item, p->name, sizeof(p->name), &p->proto, &p->port, true, why))
			return -EINVAL;
		if (p->proto && p->port)	/* a nil port means every port: unused */
			slice->n_ports++;
	}
	return 0;
}

/* A condition: YAML 1.2's true or false; nil takes @dflt; else -EINVAL. */
static int kp_cond(struct fy_node *ep, const char *path, bool dflt, bool *out, const char **why)
{
	const char *s = kp_k8s_str(ep, path);

	if (!s)
		*out = dflt;
	else if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		*out = false;
	else {
		*why = "a condition is neither true nor false";
		return -EINVAL;
	}
	return 0;
}

static int kp_slice_endpoint(struct fy_node *item, uint16_t family, struct kp_k8s_endpoint *ep,
			     const char **why)
{
	struct fy_node *zones = kp_k8s_at(item, "/hints/forZones"), *z;
	const char *node = kp_k8s_str(item, "/nodeName");
	void *iter = NULL;
	int err;

	memset(ep, 0, sizeof(*ep));
	if (kp_k8s_ip(kp_k8s_str(item, "/addresses/0"), &ep->addr) || ep->addr.family != family ||
	    !kp_ip_unicast(&ep->addr)) {
		*why = "an endpoint's first address is not a unicast one of the slice's addressType";
		return -EINVAL;
	}
	if (kp_cond(item, "/conditions/ready", true, &ep->ready, why) ||
	    kp_cond(item, "/conditions/serving", ep->ready, &ep->serving, why) ||
	    kp_cond(item, "/conditions/terminating", false, &ep->terminating, why))
		return -EINVAL;
	if (node && strlen(node) >= KP_K8S_NAME_MAX) {
		*why = "a nodeName is too long";
		return -EINVAL;
	}
	if (node && !(ep->node = strdup(node)))
		return -ENOMEM;
	err = kp_k8s_alloc_items(zones, KP_K8S_ZONES_MAX, sizeof(*ep->zones), (void **)&ep->zones,
			     "hints.forZones is not a list of at most 8", why);
	while (!err && ep->zones && (z = fy_node_sequence_iterate(zones, &iter))) {
		err = kp_k8s_copy(ep->zones[ep->n_zones], sizeof(ep->zones[0]), kp_k8s_str(z, "/name"),
			      "a zone hint is missing its name, or it is too long", why);
		ep->n_zones += !err;
	}
	return err;
}

static int kp_slice_endpoints(struct fy_node *root, struct kp_k8s_slice *slice, const char **why)
{
	struct fy_node *seq = kp_k8s_at(root, "/endpoints"), *item;
	void *iter = NULL;
	int n;

	if (!seq || !fy_node_is_sequence(seq))
		return 0;
	n = fy_node_sequence_item_count(seq);
	if (n > KP_K8S_SLICE_ENDPOINTS_MAX) {
		*why = "more endpoints than a slice may hold (1000)";
		return -EINVAL;
	}
	slice->endpoints = calloc(n > 0 ? (size_t)n : 1, sizeof(*slice->endpoints));
	if (!slice->endpoints)
		return -ENOMEM;
	while ((item = fy_node_sequence_iterate(seq, &iter))) {
		/* Counted first: what it allocated before a refusal is freed with the slice. */
		int err = kp_slice_endpoint(item, slice->family,
					    &slice->endpoints[slice->n_endpoints++], why);

		if (err)
			return err;
	}
	return 0;
}

int kp_k8s_slice_read(struct fy_node *root, struct kp_k8s_slice *slice, const char **why)
{
	struct fy_node *labels = kp_k8s_at(root, "/metadata/labels");
	struct fy_node *svc = labels ? fy_node_mapping_lookup_value_by_simple_key(labels,
						"kubernetes.io/service-name", FY_NT) : NULL;
	const char *type = kp_k8s_str(root, "/addressType");
	int err;

	memset(slice, 0, sizeof(*slice));
	*why = NULL;
	if (type && !strcmp(type, "IPv4")) {
		slice->family = AF_INET;
	} else if (type && !strcmp(type, "IPv6")) {
		slice->family = AF_INET6;
	} else {
		*why = "addressType is not IPv4 or IPv6";
		return -EINVAL;
	}
	err = kp_k8s_meta_dup(root, kp_k8s_scalar(svc), &slice->ns, &slice->name, &slice->service, why);
	if (!err)
		err = kp_slice_ports(root, slice, why);
	if (!err)
		err = kp_slice_endpoints(root, slice, why);
	if (err)
		kp_k8s_slice_free(slice);
	return err;
}

/* "10.244.1.2/32" or "fd00::2/128" (a bare address too): one host's address. */
static int kp_host_net(const char *s, struct kpl_ip *ip)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t n = slash ? (size_t)(slash - s) : s ? strlen(s) : 0;

	if (!s || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (kp_k8s_ip(addr, ip) || !kp_ip_unicast(ip))
		return -EINVAL;
	if (slash && strcmp(slash + 1, ip->family == AF_INET ? "32" : "128"))
		return -EINVAL;
	return 0;
}

static int kp_wep_nets(struct fy_node *root, struct kp_k8s_wep *wep, const char **why)
{
	struct fy_node *seq = kp_k8s_at(root, "/spec/ipNetworks"), *item;
	void *iter = NULL;

	if (seq && !fy_node_is_sequence(seq))
		goto bad;
	while (seq && (item = fy_node_sequence_iterate(seq, &iter))) {
		if (wep->n_addrs >= KPLANE_EP_ADDR_MAX ||
		    kp_host_net(kp_k8s_scalar(item), &wep->addrs[wep->n_addrs]))
			goto bad;
		wep->n_addrs++;
	}
	return 0;
bad:
	*why = "spec.ipNetworks: not a list of at most 8 host addresses (/32, /128)";
	return -EINVAL;
}

int kp_k8s_wep_read(struct fy_node *root, struct kp_k8s_wep *wep, const char **why)
{
	const char *netns = kp_k8s_str(root, "/spec/netns");

	memset(wep, 0, sizeof(*wep));
	if (kp_meta(root, wep->ns, sizeof(wep->ns), wep->name, sizeof(wep->name), why) ||
	    kp_k8s_copy(wep->node, sizeof(wep->node), kp_k8s_str(root, "/spec/node"),
		    "spec.node is missing or too long", why) ||
	    kp_k8s_copy(wep->pod, sizeof(wep->pod), kp_k8s_str(root, "/spec/pod"),
		    "spec.pod is missing or too long", why) ||
	    kp_k8s_copy(wep->ifname, sizeof(wep->ifname), kp_k8s_str(root, "/spec/interfaceName"),
		    "spec.interfaceName is missing or longer than 15", why) ||
	    kp_wep_nets(root, wep, why))
		return -EINVAL;
	if (netns && (netns[0] != '/' || strlen(netns) >= sizeof(wep->netns))) {
		*why = "spec.netns: not an absolute path";
		return -EINVAL;
	}
	if (netns)
		strcpy(wep->netns, netns);
	return 0;
}

/* --- LabelSelectors, as Calico converts them --- */

static bool kp_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A label value, or a key's name: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
bool kp_k8s_label_name_ok(const char *s, size_t n, bool empty_ok)
{
	size_t i;

	if (!n)
		return empty_ok;
	if (n > 63 || !kp_alnum(s[0]) || !kp_alnum(s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!kp_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* A label key: [DNS subdomain "/"] name. */
bool kp_k8s_label_key_ok(const char *k)
{
	const char *slash = k ? strchr(k, '/') : NULL;

	if (!k)
		return false;
	if (slash && (slash == k || slash - k > 253 ||
		      strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789-.") != (size_t)(slash - k)))
		return false;
	if (slash)
		k = slash + 1;
	return kp_k8s_label_name_ok(k, strlen(k), false);
}

/* Appends @s to *@buf (of *@len, room *@cap), growing it; false: out of memory. */
bool kp_k8s_buf_add(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		size_t room = 2 * (*len + n + 1);
		char *p = realloc(*buf, room);

		if (!p)
			return false;
		*buf = p;
		*cap = room;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return true;
}

/* One matchExpressions item as a term: "KEY in {"v1", "v2"}", "!has(KEY)"... */
static int kp_match_expression(struct fy_node *e, const char *prefix, char **term,
			       const char **why)
{
	const char *key = kp_k8s_str(e, "/key"), *op = kp_k8s_str(e, "/operator");
	struct fy_node *vals = kp_k8s_at(e, "/values"), *v;
	bool set = op && (!strcmp(op, "In") || !strcmp(op, "NotIn"));
	bool listed = vals && fy_node_is_sequence(vals) && fy_node_sequence_item_count(vals) > 0;
	size_t len = 0, cap = 0;
	void *iter = NULL;
	char *out = NULL;
	bool ok;

	*why = "matchExpressions: a bad key, operator or values";
	if (!kp_k8s_label_key_ok(key) || !op || (!set && strcmp(op, "Exists") &&
					     strcmp(op, "DoesNotExist")) || set != listed)
		return -EINVAL;
	if (!set)
		return asprintf(term, "%shas(%s%s)", strcmp(op, "Exists") ? "!" : "", prefix,
				key) < 0 ? -ENOMEM : 0;
	ok = kp_k8s_buf_add(&out, &len, &cap, prefix) && kp_k8s_buf_add(&out, &len, &cap, key) &&
	     kp_k8s_buf_add(&out, &len, &cap, strcmp(op, "In") ? " not in {" : " in {");
	while (ok && (v = fy_node_sequence_iterate(vals, &iter))) {
		const char *s = kp_k8s_scalar(v);

		if (!s || !kp_k8s_label_name_ok(s, strlen(s), true)) {
			free(out);
			return -EINVAL;
		}
		ok = (out[len - 1] == '{' || kp_k8s_buf_add(&out, &len, &cap, ", ")) &&
		     kp_k8s_buf_add(&out, &len, &cap, "\"") && kp_k8s_buf_add(&out, &len, &cap, s) &&
		     kp_k8s_buf_add(&out, &len, &cap, "\"");
	}
	if (!ok || !kp_k8s_buf_add(&out, &len, &cap, "}")) {
		free(out);
		return -ENOMEM;
	}
	*term = out;
	return 0;
}

static int kp_term_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every term of @n: matchLabels' then matchExpressions', in *@terms. */
static int kp_selector_terms(struct fy_node *n, const char *prefix, char ***terms,
			     unsigned int *n_terms, const char **why)
{
	struct fy_node *labels = kp_k8s_at(n, "/matchLabels"), *exprs = kp_k8s_at(n, "/matchExpressions");
	struct fy_node_pair *pair;
	unsigned int cap = 0;
	void *iter = NULL;
	struct fy_node *e;
	int err = 0;

	*why = "matchLabels: a bad key or value";
	if ((labels && !fy_node_is_null(labels) && !fy_node_is_mapping(labels)) ||
	    (exprs && !fy_node_is_null(exprs) && !fy_node_is_sequence(exprs)))
		return -EINVAL;
	while (!err && labels && fy_node_is_mapping(labels) &&
	       (pair = fy_node_mapping_iterate(labels, &iter))) {
		const char *k = kp_k8s_scalar(fy_node_pair_key(pair));
		const char *v = kp_k8s_scalar(fy_node_pair_value(pair));

		if (!kp_k8s_label_key_ok(k) || !v || !kp_k8s_label_name_ok(v, strlen(v), true))
			return -EINVAL;
		if (!kp_grow((void **)terms, *n_terms, &cap, sizeof(**terms)))
			return -ENOMEM;
		err = asprintf(&(*terms)[*n_terms], "%s%s == \"%s\"", prefix, k, v) < 0 ? -ENOMEM : 0;
		*n_terms += !err;
	}
	iter = NULL;
	while (!err && exprs && fy_node_is_sequence(exprs) &&
	       (e = fy_node_sequence_iterate(exprs, &iter))) {
		if (!kp_grow((void **)terms, *n_terms, &cap, sizeof(**terms)))
			return -ENOMEM;
		err = kp_match_expression(e, prefix, &(*terms)[*n_terms], why);
		*n_terms += !err;
	}
	return err;
}

int kp_k8s_label_selector(struct fy_node *n, const char *prefix, char **out, const char **why)
{
	char **terms = NULL;
	unsigned int n_terms = 0, i;
	size_t len = 0, cap = 0;
	bool ok;
	int err = 0;

	*out = NULL;
	if (n && !fy_node_is_null(n) && !fy_node_is_mapping(n)) {
		*why = "a label selector is not a mapping";
		return -EINVAL;
	}
	if (n && fy_node_is_mapping(n))
		err = kp_selector_terms(n, prefix ? prefix : "", &terms, &n_terms, why);
	if (!err && n_terms)
		qsort(terms, n_terms, sizeof(*terms), kp_term_cmp);
	ok = n_terms || kp_k8s_buf_add(out, &len, &cap, "all()");
	for (i = 0; !err && ok && i < n_terms; i++)
		ok = (!i || kp_k8s_buf_add(out, &len, &cap, " && ")) &&
		     kp_k8s_buf_add(out, &len, &cap, terms[i]);
	if (!err && !ok)
		err = -ENOMEM;
	for (i = 0; i < n_terms; i++)
		free(terms[i]);
	free(terms);
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

/* --- NodeConfig: a node's settings, as FelixConfiguration's "default" and "node.NAME" --- */

static int kp_cfg_limit(struct fy_node *spec, const char *path, uint32_t bit, uint32_t *out,
			uint32_t *has, const char **why)
{
	const char *s = kp_k8s_str(spec, path);
	unsigned long v;

	if (!s)
		return 0;
	if (!kp_k8s_digits(s, &v) || v > UINT32_MAX) {
		*why = "spec: a limit is not a number (0..4294967295)";
		return -EINVAL;
	}
	*out = (uint32_t)v;
	*has |= bit;
	return 0;
}

static int kp_cfg_bool(struct fy_node *spec, const char *path, uint32_t bit, uint8_t *out,
		       uint32_t *has, const char **why)
{
	const char *s = kp_k8s_str(spec, path);

	if (!s)
		return 0;
	if (strcmp(s, "true") && strcmp(s, "false")) {
		*why = "spec: policyReject, bypassConntrack and fastForward are true or false";
		return -EINVAL;
	}
	*out = !strcmp(s, "true") ? KPLANE_SETTING_ON : KPLANE_SETTING_OFF;
	*has |= bit;
	return 0;
}

/* failsafeInbound/Outbound: [{protocol, port}...] as the kernel's "tcp:22,..." ([]: none). */
static int kp_cfg_failsafe(struct fy_node *spec, const char *path, uint32_t bit, char *out,
			   uint32_t *has, const char **why)
{
	struct fy_node *seq = kp_k8s_at(spec, path), *item;
	unsigned int n = 0;
	void *iter = NULL;
	size_t len = 0;

	if (!seq || kp_k8s_is_null(seq))
		return 0;
	if (!fy_node_is_sequence(seq))
		goto bad;
	out[0] = '\0';
	while ((item = fy_node_sequence_iterate(seq, &iter))) {
		const char *p = kp_k8s_str(item, "/protocol");
		uint16_t port;

		if (kp_k8s_port(item, "/port", false, &port, "", why) || n++ == KP_FAILSAFE_ENTRIES ||
		    (p && strcmp(p, "TCP") && strcmp(p, "UDP") && strcmp(p, "SCTP")))
			goto bad;
		len += snprintf(out + len, KPLANE_FAILSAFE_STR_MAX - len, "%s%s:%u", len ? "," : "",
				!p || !strcmp(p, "TCP") ? "tcp" : !strcmp(p, "UDP") ? "udp" : "sctp",
				port);
	}
	*has |= bit;
	return 0;
bad:
	*why = "spec: a failsafe list is not at most 32 of {protocol: TCP|UDP|SCTP, port: 1-65535}";
	return -EINVAL;
}

int kp_k8s_nodecfg_read(struct fy_node *root, struct kp_k8s_nodecfg *cfg, const char **why)
{
	struct fy_node *spec = kp_k8s_at(root, "/spec");
	struct kpl_node_settings *s = &cfg->set;

	memset(cfg, 0, sizeof(*cfg));
	if (kp_k8s_copy(cfg->name, sizeof(cfg->name), kp_k8s_str(root, "/metadata/name"),
		    "metadata.name is missing or too long", why))
		return -EINVAL;
	if (kp_cfg_limit(spec, "/maxEndpoints", KPL_SET_MAX_ENDPOINTS, &s->max_endpoints, &s->has,
			 why) ||
	    kp_cfg_limit(spec, "/maxServices", KPL_SET_MAX_SERVICES, &s->max_services, &s->has,
			 why) ||
	    kp_cfg_limit(spec, "/maxFlows", KPL_SET_MAX_FLOWS, &s->max_flows, &s->has, why) ||
	    kp_cfg_bool(spec, "/policyReject", KPL_SET_POLICY_REJECT, &s->policy_reject, &s->has,
			why) ||
	    kp_cfg_bool(spec, "/bypassConntrack", KPL_SET_BYPASS_CONNTRACK, &s->bypass_conntrack,
			&s->has, why) ||
	    kp_cfg_bool(spec, "/fastForward", KPL_SET_FAST_FORWARD, &s->fast_forward, &s->has,
			why) ||
	    kp_cfg_failsafe(spec, "/failsafeInbound", KPL_SET_FAILSAFE_IN, s->failsafe_in, &s->has,
			    why) ||
	    kp_cfg_failsafe(spec, "/failsafeOutbound", KPL_SET_FAILSAFE_OUT, s->failsafe_out,
			    &s->has, why))
		return -EINVAL;
	return 0;
}

void kp_k8s_slice_free(struct kp_k8s_slice *slice)
{
	unsigned int i;

	for (i = 0; i < slice->n_endpoints; i++) {
		free(slice->endpoints[i].node);
		free(slice->endpoints[i].zones);
	}
	free(slice->endpoints);
	free(slice->ports);
	free(slice->ns);
	slice->ns = slice->name = slice->service = NULL;
	slice->endpoints = NULL;
	slice->ports = NULL;
	slice->n_endpoints = slice->n_ports = 0;
}

/* --- translation, as kube-proxy's pkg/proxy (endpoints, topology.go) --- */

/* A slice endpoint's state for the kernel; false: not a backend at all. */
static bool kp_be_state(const struct kp_k8s_endpoint *ep, uint8_t *state)
{
	if (ep->ready)
		*state = KPLANE_BE_ACTIVE;
	else if (ep->serving && ep->terminating)
		*state = KPLANE_BE_SERVING_TERMINATING;	/* only when none is ready */
	else if (ep->terminating)
		*state = KPLANE_BE_TERMINATING;		/* its existing flows only */
	else
		return false;
	return true;
}

static bool kp_has_zone(const struct kp_k8s_endpoint *ep, const char *zone)
{
	unsigned int i;

	for (i = 0; i < ep->n_zones; i++)
		if (!strcmp(ep->zones[i], zone))
			return true;
	return false;
}

struct kp_pool_ctx {
	const struct kp_k8s_service *svc;
	const struct kp_k8s_svc_port *port;
	const struct kp_k8s_slice *const *slices;
	unsigned int n_slices;
	uint16_t family;
};

/* The port @slice serves @port on: same name and protocol; 0 if none. */
static uint16_t kp_slice_port_for(const struct kp_k8s_slice *slice,
				  const struct kp_k8s_svc_port *port)
{
	unsigned int i;

	for (i = 0; i < slice->n_ports; i++)
		if (slice->ports[i].proto == port->proto && !strcmp(slice->ports[i].name, port->name))
			return slice->ports[i].port;
	return 0;
}

/* Calls @fn on each endpoint of the service's slices of the family serving the port. */
static void kp_pool_walk(const struct kp_pool_ctx *c,
			 void (*fn)(const struct kp_k8s_endpoint *ep, uint16_t port, void *arg),
			 void *arg)
{
	unsigned int i, j;

	for (i = 0; i < c->n_slices; i++) {
		const struct kp_k8s_slice *s = c->slices[i];
		uint16_t port;

		if (s->family != c->family || strcmp(s->ns, c->svc->ns) ||
		    strcmp(s->service, c->svc->name))
			continue;
		port = kp_slice_port_for(s, c->port);
		for (j = 0; port && j < s->n_endpoints; j++)
			fn(&s->endpoints[j], port, arg);
	}
}

/*
 * Topology hints apply only when every ready endpoint has one and some
 * endpoint's hints name this node's zone (kube-proxy's canUseTopology).
 */
struct kp_hints {
	const char *zone;
	bool all_hinted, zone_named;
};

static void kp_hints_visit(const struct kp_k8s_endpoint *ep, uint16_t port __attribute__((unused)),
			   void *arg)
{
	struct kp_hints *h = arg;

	if (!ep->ready)
		return;
	h->all_hinted &= ep->n_zones > 0;
	h->zone_named |= h->zone && kp_has_zone(ep, h->zone);
}

struct kp_backends {
	const struct kp_k8s_node *node;
	bool topology;			/* keep only endpoints hinted for our zone (and local ones) */
	struct kpl_backend *be;
	unsigned int n, max;
};

static void kp_backends_visit(const struct kp_k8s_endpoint *ep, uint16_t port, void *arg)
{
	struct kp_backends *b = arg;
	bool local = b->node->name && ep->node && !strcmp(ep->node, b->node->name);
	struct kpl_backend *be;
	uint8_t state;

	if (!kp_be_state(ep, &state) || (b->topology && !local && !kp_has_zone(ep, b->node->zone)) ||
	    b->n >= b->max)
		return;
	be = &b->be[b->n++];
	memset(be, 0, sizeof(*be));
	be->addr = ep->addr;
	be->port = port;
	be->weight = 1;
	be->state = state;
	be->local = local;
}

/* How good a copy of an endpoint is: ready, then serving, then local. */
static int kp_be_rank(const struct kpl_backend *be)
{
	int r = be->state == KPLANE_BE_ACTIVE ? 0 : be->state == KPLANE_BE_SERVING_TERMINATING ? 2 : 4;

	return r + !be->local;
}

int kp_backend_cmp(const void *pa, const void *pb)
{
	const struct kpl_backend *a = pa, *b = pb;
	int c = memcmp(&a->addr, &b->addr, sizeof(a->addr));

	return c ? c : (int)a->port - (int)b->port;
}

/* By address and port, the best copy of each first. */
static int kp_be_order(const void *a, const void *b)
{
	int c = kp_backend_cmp(a, b);

	return c ? c : kp_be_rank(a) - kp_be_rank(b);
}

/*
 * One backend per address and port (an endpoint in two slices while one
 * replaces the other: its best copy), in a fixed order, at most as many as
 * the kernel takes: n log n however hostile the slices.
 */
static void kp_backends_settle(struct kp_backends *b)
{
	unsigned int i, n = 0;

	qsort(b->be, b->n, sizeof(*b->be), kp_be_order);
	for (i = 0; i < b->n; i++)
		if (!n || kp_backend_cmp(&b->be[n - 1], &b->be[i]))
			b->be[n++] = b->be[i];
	b->n = n < KPLANE_SVC_BACKENDS_MAX ? n : KPLANE_SVC_BACKENDS_MAX;
}

static unsigned int kp_pool_size(const struct kp_pool_ctx *c)
{
	unsigned int i, n = 0;

	for (i = 0; i < c->n_slices; i++)
		n += c->slices[i]->n_endpoints;
	return n;
}

struct kp_emit {
	struct kpl_service fe;
	int (*emit)(const struct kpl_service *fe, void *arg);
	void *arg;
};

static int kp_emit_at(struct kp_emit *e, const struct kpl_ip *addr, uint16_t port, uint8_t type)
{
	e->fe.addr = *addr;
	e->fe.port = port;
	e->fe.type = type;
	return e->emit(&e->fe, e->arg);
}

/* Every frontend of one service port in one family. */
static int kp_emit_family(struct kp_emit *e, const struct kp_k8s_service *svc,
			  const struct kp_k8s_svc_port *port, uint16_t family)
{
	const struct kpl_ip any = { .family = family };
	bool has_cluster_ip = false;
	unsigned int i;
	int err = 0;

	for (i = 0; i < svc->n_cluster_ips; i++)
		has_cluster_ip |= svc->cluster_ips[i].family == family;
	/* A family the service has no clusterIP of is not one it serves. */
	if (!has_cluster_ip)
		return 0;
	for (i = 0; !err && i < svc->n_cluster_ips; i++)
		if (svc->cluster_ips[i].family == family)
			err = kp_emit_at(e, &svc->cluster_ips[i], port->port, KPLANE_SVC_CLUSTER_IP);
	for (i = 0; !err && i < svc->n_external_ips; i++)
		if (svc->external_ips[i].family == family)
			err = kp_emit_at(e, &svc->external_ips[i], port->port, KPLANE_SVC_EXTERNAL_IP);
	for (i = 0; !err && svc->type == KPLANE_SVC_LOAD_BALANCER && i < svc->n_lb_ips; i++)
		if (svc->lb_ips[i].family == family)
			err = kp_emit_at(e, &svc->lb_ips[i], port->port, KPLANE_SVC_LOAD_BALANCER);
	if (!err && port->node_port && svc->type != KPLANE_SVC_CLUSTER_IP)
		err = kp_emit_at(e, &any, port->node_port, KPLANE_SVC_NODE_PORT);
	return err;
}

int kp_k8s_frontends(const struct kp_k8s_service *svc, const struct kp_k8s_slice *const *slices,
		     unsigned int n_slices, const struct kp_k8s_node *node,
		     int (*emit)(const struct kpl_service *fe, void *arg), void *arg)
{
	static const uint16_t families[] = { AF_INET, AF_INET6 };
	struct kp_emit e = { .emit = emit, .arg = arg };
	unsigned int p, f;
	int err = 0;

	if (svc->headless)
		return 0;
	for (p = 0; !err && p < svc->n_ports; p++) {
		for (f = 0; !err && f < 2; f++) {
			struct kp_pool_ctx c = { svc, &svc->ports[p], slices, n_slices, families[f] };
			struct kp_hints h = { .zone = node->zone, .all_hinted = true };
			struct kp_backends b = { .node = node, .max = kp_pool_size(&c) };

			kp_pool_walk(&c, kp_hints_visit, &h);
			b.topology = h.all_hinted && h.zone_named;
			b.be = calloc(b.max ? b.max : 1, sizeof(*b.be));
			if (!b.be)
				return -ENOMEM;
			kp_pool_walk(&c, kp_backends_visit, &b);
			kp_backends_settle(&b);
			memset(&e.fe, 0, sizeof(e.fe));
			if (strlen(svc->ns) + strlen(svc->name) + strlen(svc->ports[p].name) + 3 <
			    sizeof(e.fe.id))
				snprintf(e.fe.id, sizeof(e.fe.id), svc->ports[p].name[0] ? "%s/%s:%s" :
					 "%s/%s", svc->ns, svc->name, svc->ports[p].name);
			e.fe.proto = svc->ports[p].proto;
			e.fe.ext_policy = svc->ext_policy;
			e.fe.int_policy = svc->int_policy;
			e.fe.affinity_timeout = svc->affinity;
			e.fe.n_backends = b.n;
			e.fe.backends = b.be;
			err = kp_emit_family(&e, svc, &svc->ports[p], families[f]);
			free(b.be);
		}
	}
	return err;
}
