// SPDX-License-Identifier: GPL-2.0
/*
 * The objects policy is made from: v1 Pod and Namespace (what selectors
 * judge) and networking.k8s.io/v1 NetworkPolicy, its label selectors
 * turned into Calico's as Calico's converter turns them: see k8s.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libfyaml.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k8s_int.h"
#include "selector.h"

/* The label every pod carries with its namespace's name (Calico's). */
#define KP_NS_LABEL	"projectcalico.org/namespace"
/* The label the API server gives every namespace. */
#define KP_NS_NAME_LABEL "kubernetes.io/metadata.name"
/* What every pod carries (kplaned gives it): a selector's pods, not network sets. */
#define KP_POD_TERM	"projectcalico.org/orchestrator == \"k8s\""

void kp_k8s_labels_free(struct kp_k8s_label *l, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		free(l[i].key);
	free(l);
}

static int kp_label_add(struct kp_k8s_label *l, unsigned int *n, const char *key,
			const char *value)
{
	size_t lk = strlen(key) + 1, lv = strlen(value) + 1;

	l[*n].key = malloc(lk + lv);
	if (!l[*n].key)
		return -ENOMEM;
	memcpy(l[*n].key, key, lk);
	l[*n].value = memcpy(l[*n].key + lk, value, lv);
	(*n)++;
	return 0;
}

/* metadata.labels, each key and value checked as the API checks them; room for @extra more. */
int kp_k8s_labels_read(struct fy_node *root, unsigned int extra, struct kp_k8s_label **out,
			  unsigned int *n, const char **why)
{
	struct fy_node *map = kp_k8s_at(root, "/metadata/labels");
	struct fy_node_pair *fp;
	void *iter = NULL;
	int count = map && !kp_k8s_is_null(map) ? fy_node_mapping_item_count(map) : 0;
	int err = 0;

	*n = 0;
	if (count < 0 || count > KP_K8S_LABELS_MAX) {
		*why = "metadata.labels: not a mapping of at most 256 labels";
		return -EINVAL;
	}
	*out = calloc((size_t)count + extra, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	while (!err && count && (fp = fy_node_mapping_iterate(map, &iter))) {
		const char *k = kp_k8s_scalar(fy_node_pair_key(fp));
		const char *v = kp_k8s_scalar(fy_node_pair_value(fp));

		if (!v)
			v = "";
		if (!kp_k8s_label_key_ok(k) || !kp_k8s_label_name_ok(v, strlen(v), true)) {
			*why = "metadata.labels: a bad key or value";
			err = -EINVAL;
		} else {
			err = kp_label_add(*out, n, k, v);
		}
	}
	if (err) {
		kp_k8s_labels_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

/* --- Pod --- */

static int kp_ip_proto(const char *s, uint8_t *proto)
{
	if (!s || !strcmp(s, "TCP"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "UDP"))
		*proto = IPPROTO_UDP;
	else if (!strcmp(s, "SCTP"))
		*proto = IPPROTO_SCTP;
	else
		return -EINVAL;
	return 0;
}

/* status.podIPs (or podIP), unless the pod has finished: its addresses may be another's. */
static int kp_pod_ips(struct fy_node *root, struct kp_k8s_pod *pod, const char **why)
{
	const char *phase = kp_k8s_str(root, "/status/phase");
	struct fy_node *seq = kp_k8s_at(root, "/status/podIPs"), *item;
	const char *one = kp_k8s_str(root, "/status/podIP");
	void *iter = NULL;

	if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
		return 0;
	*why = "status.podIPs: not a list of at most two addresses";
	if (seq && !kp_k8s_is_null(seq) && !fy_node_is_sequence(seq))
		return -EINVAL;
	while (seq && (item = fy_node_sequence_iterate(seq, &iter))) {
		if (pod->n_ips == 2 || kp_k8s_ip(kp_k8s_str(item, "/ip"), &pod->ips[pod->n_ips]))
			return -EINVAL;
		pod->n_ips++;
	}
	if (!pod->n_ips && one) {
		if (kp_k8s_ip(one, &pod->ips[0]))
			return -EINVAL;
		pod->n_ips = 1;
	}
	return 0;
}

static int kp_cport_read(struct fy_node *p, struct kp_k8s_pod *pod, const char **why)
{
	struct kp_k8s_cport *c = &pod->cports[pod->n_cports];
	const char *name = kp_k8s_str(p, "/name");

	if (!name)
		return 0;	/* only named ports are looked up */
	if (pod->n_cports == KP_K8S_CPORTS_MAX) {
		*why = "spec.containers: more than 256 named ports";
		return -EINVAL;
	}
	if (kp_k8s_copy(c->name, sizeof(c->name), name, "a port name is longer than 15", why) ||
	    kp_k8s_port(p, "/containerPort", false, &c->port, "a containerPort is not 1..65535",
			why))
		return -EINVAL;
	if (kp_ip_proto(kp_k8s_str(p, "/protocol"), &c->proto)) {
		*why = "a container port's protocol is not TCP, UDP or SCTP";
		return -EINVAL;
	}
	pod->n_cports++;
	return 0;
}

/* The named ports of every container (init containers have none that serve). */
static int kp_pod_cports(struct fy_node *root, struct kp_k8s_pod *pod, const char **why)
{
	struct fy_node *ctrs = kp_k8s_at(root, "/spec/containers"), *ctr, *ports, *p;
	void *it = NULL, *pit;
	int err = 0;

	if (ctrs && !kp_k8s_is_null(ctrs) && !fy_node_is_sequence(ctrs)) {
		*why = "spec.containers: not a list";
		return -EINVAL;
	}
	pod->cports = calloc(KP_K8S_CPORTS_MAX, sizeof(*pod->cports));
	if (!pod->cports)
		return -ENOMEM;
	while (!err && ctrs && (ctr = fy_node_sequence_iterate(ctrs, &it))) {
		ports = kp_k8s_at(ctr, "/ports");
		if (ports && !kp_k8s_is_null(ports) && !fy_node_is_sequence(ports)) {
			*why = "spec.containers: ports is not a list";
			return -EINVAL;
		}
		pit = NULL;
		while (!err && ports && (p = fy_node_sequence_iterate(ports, &pit)))
			err = kp_cport_read(p, pod, why);
	}
	if (!err && pod->n_cports < KP_K8S_CPORTS_MAX) {	/* to size: 100k pods */
		void *fit = realloc(pod->cports, (pod->n_cports ? pod->n_cports : 1) *
					     sizeof(*pod->cports));

		pod->cports = fit ? fit : pod->cports;
	}
	return err;
}

int kp_k8s_pod_read(struct fy_node *root, struct kp_k8s_pod *pod, const char **why)
{
	const char *node = kp_k8s_str(root, "/spec/nodeName");
	int err;

	memset(pod, 0, sizeof(*pod));
	err = kp_k8s_meta_dup(root, NULL, &pod->ns, &pod->name, NULL, why);
	if (!err && node && !(pod->node = strdup(node)))
		err = -ENOMEM;
	if (!err)
		err = kp_k8s_labels_read(root, 0, &pod->labels, &pod->n_labels, why);
	if (!err)
		err = kp_pod_ips(root, pod, why);
	if (!err)
		err = kp_pod_cports(root, pod, why);
	if (err)
		kp_k8s_pod_free(pod);
	return err;
}

void kp_k8s_pod_free(struct kp_k8s_pod *pod)
{
	free(pod->ns);
	free(pod->node);
	kp_k8s_labels_free(pod->labels, pod->n_labels);
	free(pod->cports);
	memset(pod, 0, sizeof(*pod));
}

/* --- Namespace --- */

int kp_k8s_namespace_read(struct fy_node *root, struct kp_k8s_namespace *ns, const char **why)
{
	const char *name = kp_k8s_str(root, "/metadata/name");
	unsigned int i;
	int err;

	memset(ns, 0, sizeof(*ns));
	if (!name || !kp_k8s_label_name_ok(name, strlen(name), false)) {
		*why = "metadata.name is missing or not a DNS label";
		return -EINVAL;
	}
	ns->name = strdup(name);
	if (!ns->name)
		return -ENOMEM;
	err = kp_k8s_labels_read(root, 1, &ns->labels, &ns->n_labels, why);
	for (i = 0; !err && i < ns->n_labels; i++)
		if (!strcmp(ns->labels[i].key, KP_NS_NAME_LABEL))
			break;
	if (!err && i == ns->n_labels)
		err = kp_label_add(ns->labels, &ns->n_labels, KP_NS_NAME_LABEL, name);
	if (err)
		kp_k8s_namespace_free(ns);
	return err;
}

void kp_k8s_namespace_free(struct kp_k8s_namespace *ns)
{
	free(ns->name);
	kp_k8s_labels_free(ns->labels, ns->n_labels);
	memset(ns, 0, sizeof(*ns));
}

/* --- NetworkPolicy --- */

int kp_k8s_sel_check(const char *sel, const char **why)
{
	struct kp_sel *s = NULL;
	size_t at;
	int err = sel ? kp_sel_parse(sel, strlen(sel), &s, why, &at) : 0;

	kp_sel_free(s);
	if (err == -EINVAL)
		*why = "a selector, once scoped, is longer than 64 KiB or nested deeper than 64";
	return err;
}

/*
 * "A && (B) && (C)" of the terms given (NULL and "all()" left out; none:
 * "all()"), in *@out.
 */
static int kp_sel_and(char **out, const char *a, const char *b, const char *c)
{
	const char *terms[] = { a, b, c };
	size_t len = 0, cap = 0;
	unsigned int i, n = 0;
	bool ok = true;

	*out = NULL;
	for (i = 0; ok && i < 3; i++) {
		if (!terms[i] || !strcmp(terms[i], "all()"))
			continue;
		ok = (!n || kp_k8s_buf_add(out, &len, &cap, " && ")) &&
		     kp_k8s_buf_add(out, &len, &cap, i ? "(" : "") &&
		     kp_k8s_buf_add(out, &len, &cap, terms[i]) &&
		     kp_k8s_buf_add(out, &len, &cap, i ? ")" : "");
		n++;
	}
	if (ok && !n)
		ok = kp_k8s_buf_add(out, &len, &cap, "all()");
	if (!ok) {
		free(*out);
		*out = NULL;
	}
	return ok ? 0 : -ENOMEM;
}

/* The pods of one namespace (pods: not a namespace's NetworkSets, as Calico's converter says). */
static int kp_ns_term(const char *ns, char *buf, size_t size)
{
	return snprintf(buf, size, KP_POD_TERM " && " KP_NS_LABEL " == \"%s\"", ns) < (int)size ?
	       0 : -EINVAL;
}

/* "10.0.0.0/8": a prefix, host bits cleared as the kernel keeps it. */
int kp_k8s_cidr(const char *s, struct kplane_prefix *p)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	unsigned long len;
	unsigned int i;

	memset(p, 0, sizeof(*p));
	if (!slash || (size_t)(slash - s) >= sizeof(addr) || !kp_k8s_digits(slash + 1, &len))
		return -EINVAL;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, p->addr) == 1)
		p->family = AF_INET6;
	if (!p->family || len > (p->family == AF_INET ? 32u : 128u))
		return -EINVAL;
	p->len = (uint8_t)len;
	for (i = 0; i < 16; i++) {
		unsigned int keep = len > 8 * i ? len - 8 * i : 0;

		p->addr[i] &= keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);
	}
	return 0;
}

static int kp_ip_block(struct fy_node *b, struct kp_k8s_np_peer *peer, const char **why)
{
	struct fy_node *seq = kp_k8s_at(b, "/except"), *item;
	void *iter = NULL;
	int err;

	*why = "ipBlock: cidr or an except is not a prefix";
	if (kp_k8s_cidr(kp_k8s_str(b, "/cidr"), &peer->cidr))
		return -EINVAL;
	err = kp_k8s_alloc_items(seq, KP_K8S_NETPOL_ITEMS_MAX, sizeof(*peer->except),
				 (void **)&peer->except, "ipBlock: except is not a list of 64", why);
	while (!err && peer->except && (item = fy_node_sequence_iterate(seq, &iter))) {
		if (kp_k8s_cidr(kp_k8s_scalar(item), &peer->except[peer->n_except]))
			return -EINVAL;
		peer->n_except++;
	}
	return err;
}

/* A peer: pods by podSelector (in @ns) and/or namespaceSelector, or an ipBlock. */
static int kp_np_peer(struct fy_node *n, const char *ns, struct kp_k8s_np_peer *peer,
		      const char **why)
{
	struct fy_node *ps = kp_k8s_at(n, "/podSelector"), *nss = kp_k8s_at(n, "/namespaceSelector");
	struct fy_node *block = kp_k8s_at(n, "/ipBlock");
	char *psel = NULL, *nsel = NULL, term[160];
	int err;

	if (block && !kp_k8s_is_null(block)) {
		if (ps || nss) {
			*why = "a peer has an ipBlock and a selector";
			return -EINVAL;
		}
		return kp_ip_block(block, peer, why);
	}
	if (!ps && !nss) {
		*why = "a peer has no podSelector, namespaceSelector or ipBlock";
		return -EINVAL;
	}
	err = kp_k8s_label_selector(ps, NULL, &psel, why);
	if (!err && nss)
		err = kp_k8s_label_selector(nss, "pcns.", &nsel, why);
	if (!err && nss)
		snprintf(term, sizeof(term), KP_POD_TERM " && has(" KP_NS_LABEL ")");
	else if (!err)
		err = kp_ns_term(ns, term, sizeof(term));
	peer->own_ns = !nss;
	if (!err)
		err = kp_sel_and(&peer->selector, term, nsel, psel);
	if (!err)
		err = kp_k8s_sel_check(peer->selector, why);
	free(psel);
	free(nsel);
	return err;
}

static int kp_np_port(struct fy_node *n, struct kp_k8s_np_port *port, const char **why)
{
	struct fy_node *p = kp_k8s_at(n, "/port");
	const char *s = kp_k8s_scalar(p);
	unsigned long v;

	if (kp_ip_proto(kp_k8s_str(n, "/protocol"), &port->proto)) {
		*why = "a port's protocol is not TCP, UDP or SCTP";
		return -EINVAL;
	}
	if (!s)
		return kp_k8s_str(n, "/endPort") ? (*why = "endPort without a port", -EINVAL) : 0;
	if (!kp_k8s_digits(s, &v)) {
		if (!kp_k8s_label_name_ok(s, strlen(s), false) ||
		    kp_k8s_copy(port->name, sizeof(port->name), s, "", why)) {
			*why = "a port is neither 1..65535 nor a port name";
			return -EINVAL;
		}
		return kp_k8s_str(n, "/endPort") ? (*why = "endPort with a named port", -EINVAL) : 0;
	}
	if (!v || v > 65535) {
		*why = "a port is not 1..65535";
		return -EINVAL;
	}
	port->port = port->end = (uint16_t)v;
	if (kp_k8s_port(n, "/endPort", true, &port->end, "endPort is not 1..65535", why))
		return -EINVAL;
	if (!port->end)
		port->end = port->port;
	if (port->end < port->port) {
		*why = "endPort is below port";
		return -EINVAL;
	}
	return 0;
}

/* One ingress (from) or egress (to) rule. */
static int kp_np_rule(struct fy_node *n, const char *peers_key, const char *ns,
		      struct kp_k8s_np_rule *r, const char **why)
{
	struct fy_node *peers = kp_k8s_at(n, peers_key), *ports = kp_k8s_at(n, "/ports"), *item;
	void *iter = NULL;
	int err;

	err = kp_k8s_alloc_items(peers, KP_K8S_NETPOL_ITEMS_MAX, sizeof(*r->peers),
				 (void **)&r->peers, "a rule's peers: not a list of 64", why);
	while (!err && r->peers && (item = fy_node_sequence_iterate(peers, &iter))) {
		err = kp_np_peer(item, ns, &r->peers[r->n_peers], why);
		r->n_peers += !err || r->peers[r->n_peers].selector || r->peers[r->n_peers].except;
	}
	if (!err)
		err = kp_k8s_alloc_items(ports, KP_K8S_NETPOL_ITEMS_MAX, sizeof(*r->ports),
					 (void **)&r->ports, "a rule's ports: not a list of 64", why);
	iter = NULL;
	while (!err && r->ports && (item = fy_node_sequence_iterate(ports, &iter))) {
		err = kp_np_port(item, &r->ports[r->n_ports], why);
		r->n_ports += !err;
	}
	return err;
}

static int kp_np_rules(struct fy_node *root, enum kplane_dir dir, struct kp_k8s_netpol *np,
		       const char **why)
{
	struct fy_node *seq = kp_k8s_at(root, dir == KPLANE_DIR_INGRESS ? "/spec/ingress" :
								      "/spec/egress"), *item;
	void *iter = NULL;
	int err;

	err = kp_k8s_alloc_items(seq, KP_K8S_NETPOL_RULES_MAX, sizeof(*np->rules[dir]),
				 (void **)&np->rules[dir], "spec: ingress or egress is not a list "
				 "of at most 256 rules", why);
	while (!err && np->rules[dir] && (item = fy_node_sequence_iterate(seq, &iter))) {
		/* counted first: what a failed rule holds is freed with it */
		err = kp_np_rule(item, dir == KPLANE_DIR_INGRESS ? "/from" : "/to", np->ns,
				 &np->rules[dir][np->n_rules[dir]++], why);
	}
	return err;
}

/* policyTypes; absent: Ingress, and Egress when there are egress rules (the API's default). */
static int kp_np_types(struct fy_node *root, struct kp_k8s_netpol *np, const char **why)
{
	struct fy_node *seq = kp_k8s_at(root, "/spec/policyTypes"), *item;
	void *iter = NULL;

	if (!seq || kp_k8s_is_null(seq) ||
	    (fy_node_is_sequence(seq) && !fy_node_sequence_item_count(seq))) {
		np->types = KPLANE_POLICY_INGRESS | (np->n_rules[KPLANE_DIR_EGRESS] ?
						     KPLANE_POLICY_EGRESS : 0);
		return 0;
	}
	if (!fy_node_is_sequence(seq))
		goto bad;
	while ((item = fy_node_sequence_iterate(seq, &iter))) {
		const char *s = kp_k8s_scalar(item);

		if (s && !strcmp(s, "Ingress"))
			np->types |= KPLANE_POLICY_INGRESS;
		else if (s && !strcmp(s, "Egress"))
			np->types |= KPLANE_POLICY_EGRESS;
		else
			goto bad;
	}
	return 0;
bad:
	*why = "spec.policyTypes: not a list of Ingress and Egress";
	return -EINVAL;
}

int kp_k8s_netpol_read(struct fy_node *root, struct kp_k8s_netpol *np, const char **why)
{
	char *psel = NULL, term[160];
	int err;

	memset(np, 0, sizeof(*np));
	err = kp_k8s_meta_dup(root, NULL, &np->ns, &np->name, NULL, why);
	if (!err)
		err = kp_k8s_label_selector(kp_k8s_at(root, "/spec/podSelector"), NULL, &psel, why);
	if (!err)
		err = kp_ns_term(np->ns, term, sizeof(term));
	if (!err)
		err = kp_sel_and(&np->selector, term, psel, NULL);
	if (!err)
		err = kp_k8s_sel_check(np->selector, why);
	if (!err)
		err = kp_np_rules(root, KPLANE_DIR_INGRESS, np, why);
	if (!err)
		err = kp_np_rules(root, KPLANE_DIR_EGRESS, np, why);
	if (!err)
		err = kp_np_types(root, np, why);
	free(psel);
	if (err)
		kp_k8s_netpol_free(np);
	return err;
}

static void kp_np_rule_free(struct kp_k8s_np_rule *r)
{
	unsigned int i;

	for (i = 0; i < r->n_peers; i++) {
		free(r->peers[i].selector);
		free(r->peers[i].except);
	}
	free(r->peers);
	free(r->ports);
}

void kp_k8s_netpol_free(struct kp_k8s_netpol *np)
{
	unsigned int d, i;

	for (d = 0; d < 2; d++) {
		for (i = 0; i < np->n_rules[d]; i++)
			kp_np_rule_free(&np->rules[d][i]);
		free(np->rules[d]);
	}
	free(np->ns);
	free(np->selector);
	memset(np, 0, sizeof(*np));
}
