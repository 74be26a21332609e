/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Kubernetes objects kplaned programs services from (v1 Service,
 * discovery.k8s.io/v1 EndpointSlice), read from YAML or JSON with libfyaml,
 * and their meaning as kube-proxy's pkg/proxy gives it: the frontends and
 * backends the kernel is to hold.  Plain C shared by kplaned and kplanectl.
 */
#ifndef KPLANE_AGENT_K8S_H
#define KPLANE_AGENT_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "libkplane.h"

#define KP_K8S_NAME_MAX		254	/* DNS subdomain, with its NUL */
#define KP_K8S_PORTS_MAX	64
#define KP_K8S_IPS_MAX		16
#define KP_K8S_ZONES_MAX	8
#define KP_K8S_SLICE_ENDPOINTS_MAX 1000	/* the API's limit */
#define KP_K8S_AFFINITY_DEFAULT	10800	/* sessionAffinityConfig's default */

struct kp_k8s_svc_port {
	char name[64];
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
	uint16_t node_port;		/* 0: none */
};

struct kp_k8s_service {
	char *ns, *name;		/* one allocation (at ns): kp_k8s_service_free() */
	uint8_t type;			/* enum kplane_svc_type: CLUSTER_IP, NODE_PORT, LOAD_BALANCER */
	bool headless;			/* clusterIP: None */
	unsigned int n_cluster_ips, n_external_ips, n_lb_ips;
	struct kpl_ip cluster_ips[2];	/* clusterIPs: one per family */
	/* Allocated to size (kp_k8s_service_free): 100k services must fit a node. */
	struct kpl_ip *external_ips;
	struct kpl_ip *lb_ips;		/* status.loadBalancer.ingress[].ip */
	uint8_t ext_policy, int_policy;	/* enum kplane_traffic_policy */
	uint32_t affinity;		/* ClientIP timeout, seconds; 0: none */
	uint16_t health_port;		/* healthCheckNodePort; 0: none */
	unsigned int n_ports;
	struct kp_k8s_svc_port *ports;
};

struct kp_k8s_slice_port {
	char name[64];
	uint8_t proto;
	uint16_t port;
};

struct kp_k8s_endpoint {
	struct kpl_ip addr;		/* the first of addresses[] (as kube-proxy) */
	bool ready, serving, terminating;
	char *node;			/* nodeName; NULL: none */
	unsigned int n_zones;		/* hints.forZones */
	char (*zones)[64];
};

struct kp_k8s_slice {
	char *ns, *name;		/* one allocation (at ns) with service */
	char *service;			/* label kubernetes.io/service-name */
	uint16_t family;		/* addressType: AF_INET or AF_INET6 */
	unsigned int n_ports;
	struct kp_k8s_slice_port *ports;
	unsigned int n_endpoints;
	struct kp_k8s_endpoint *endpoints;
};

/*
 * A pod on a node, as Calico's projectcalico.org/v3 WorkloadEndpoint
 * describes it (spec.node, pod, interfaceName: the host side of its veth,
 * ipNetworks), plus spec.netns: the pod's network namespace (a path).
 */
struct kp_k8s_wep {
	char ns[64];
	char name[KP_K8S_NAME_MAX];
	char node[KP_K8S_NAME_MAX];
	char pod[KP_K8S_NAME_MAX];
	char ifname[16];
	char netns[256];		/* "": none given */
	unsigned int n_addrs;
	struct kpl_ip addrs[KPLANE_EP_ADDR_MAX];
	uint64_t gen;			/* the store's, when put */
};

/*
 * A NodeConfig (kplane's FelixConfiguration): "default" for every node,
 * "node.NAME" for one, its fields over the default's; spec.maxEndpoints,
 * maxServices, maxFlows, policyReject, bypassConntrack, fastForward,
 * failsafeInbound/Outbound ([{protocol, port}]).  set.has: those given.
 */
struct kp_k8s_nodecfg {
	char name[KP_K8S_NAME_MAX];
	struct kpl_node_settings set;
};

/* A label of a Pod or Namespace: key and value in one allocation at key. */
struct kp_k8s_label {
	char *key, *value;
};

#define KP_K8S_LABELS_MAX	256
#define KP_K8S_CPORTS_MAX	256	/* named container ports of one pod */
#define KP_K8S_NETPOL_RULES_MAX	256	/* ingress or egress rules of one NetworkPolicy */
#define KP_K8S_NETPOL_ITEMS_MAX	64	/* peers, ports or excepts of one rule */

/* A named container port: what a NetworkPolicy's named port resolves to. */
struct kp_k8s_cport {
	char name[16];			/* IANA_SVC_NAME: 15 characters at most */
	uint8_t proto;			/* IPPROTO_TCP, _UDP or _SCTP */
	uint16_t port;
};

/*
 * A v1 Pod, on any node: what selectors judge (labels, its namespace's
 * labels through it) and what sets hold (status.podIPs while it runs).
 */
struct kp_k8s_pod {
	char *ns, *name;		/* one allocation (at ns) */
	char *node;			/* spec.nodeName; NULL: not scheduled */
	unsigned int n_labels, n_ips, n_cports;
	struct kp_k8s_label *labels;
	struct kpl_ip ips[2];		/* none once Succeeded or Failed: its IPs are reused */
	struct kp_k8s_cport *cports;
	uint64_t gen;			/* the store's, when put */
};

/* A v1 Namespace: its labels, with kubernetes.io/metadata.name as the API sets it. */
struct kp_k8s_namespace {
	char *name;
	unsigned int n_labels;
	struct kp_k8s_label *labels;
};

/* One port of a NetworkPolicy rule: by number (port..end) or by name. */
struct kp_k8s_np_port {
	uint8_t proto;
	uint16_t port, end;		/* 0: every port of proto */
	char name[16];			/* a named port: resolved per pod */
};

/* One peer: pods by a Calico selector, or an ipBlock. */
struct kp_k8s_np_peer {
	char *selector;			/* NULL: an ipBlock */
	bool own_ns;			/* pods of the policy's namespace only (no namespaceSelector) */
	struct kplane_prefix cidr;
	unsigned int n_except;
	struct kplane_prefix *except;
};

struct kp_k8s_np_rule {
	unsigned int n_peers, n_ports;	/* 0: every peer, every port */
	struct kp_k8s_np_peer *peers;
	struct kp_k8s_np_port *ports;
};

/*
 * A networking.k8s.io/v1 NetworkPolicy, its selectors already Calico's:
 * @selector picks the pods of its namespace it isolates.
 */
struct kp_k8s_netpol {
	char *ns, *name;		/* one allocation (at ns) */
	char *selector;
	uint8_t types;			/* KPLANE_POLICY_INGRESS | _EGRESS */
	unsigned int n_rules[2];	/* by enum kplane_dir */
	struct kp_k8s_np_rule *rules[2];
};

/* --- projectcalico.org/v3 --- */

/* A port range of a Calico rule, or a named port (resolved per pod). */
struct kp_cal_port {
	uint16_t first, last;
	char name[16];			/* "": a range */
};

/* One side of a Calico rule; selectors already scoped and canonical. */
struct kp_cal_side {
	char *selector, *not_selector;	/* NULL: none */
	unsigned int n_nets, n_not_nets, n_ports, n_not_ports;
	struct kplane_prefix *nets, *not_nets;
	struct kp_cal_port *ports, *not_ports;
};

struct kp_cal_rule {
	uint8_t action;			/* enum kplane_action */
	uint8_t has;			/* KP_HAS_* */
	uint8_t proto, not_proto, icmp_type, icmp_code, not_icmp_type, not_icmp_code;
	uint8_t ip_version;		/* 0, 4 or 6 */
	struct kp_cal_side src, dst;
};

/*
 * A GlobalNetworkPolicy (@ns NULL) or a namespaced projectcalico.org/v3
 * NetworkPolicy, its selector scoped (a namespaced one's to its namespace).
 */
struct kp_cal_policy {
	char *ns, *name;		/* one allocation (at name); ns points into it or NULL */
	char *tier;			/* "default" when not given */
	bool has_order;
	double order;
	char *selector;
	uint8_t types;
	bool apply_on_forward;
	unsigned int n_rules[2];
	struct kp_cal_rule *rules[2];
};

/* A Tier: its policies are evaluated in tier order (none: after those with one). */
struct kp_cal_tier {
	char *name;
	bool has_order;
	double order;
};

/* A GlobalNetworkSet (@ns NULL) or NetworkSet: nets that selectors can take by label. */
struct kp_cal_netset {
	char *ns, *name;		/* one allocation (at name) */
	unsigned int n_labels, n_nets;
	struct kp_k8s_label *labels;
	struct kplane_prefix *nets;
	uint64_t gen;			/* the store's, when put */
};

/* A HostEndpoint: an interface of a node, policed by the policies that select it. */
struct kp_cal_hep {
	char *name, *node;
	char ifname[16];
	unsigned int n_labels, n_ips;
	struct kp_k8s_label *labels;
	struct kpl_ip ips[KPLANE_EP_ADDR_MAX];
	uint64_t gen;			/* the store's, when put */
};

#define KP_CAL_RULES_MAX	1024	/* of a direction, as read */
#define KP_CAL_NETS_MAX		1024	/* of a network set or a rule side */

struct fy_node;
int kp_k8s_pod_read(struct fy_node *root, struct kp_k8s_pod *pod, const char **why);
void kp_k8s_pod_free(struct kp_k8s_pod *pod);
int kp_k8s_namespace_read(struct fy_node *root, struct kp_k8s_namespace *ns, const char **why);
void kp_k8s_namespace_free(struct kp_k8s_namespace *ns);
int kp_k8s_netpol_read(struct fy_node *root, struct kp_k8s_netpol *np, const char **why);
void kp_k8s_netpol_free(struct kp_k8s_netpol *np);
int kp_cal_policy_read(struct fy_node *root, struct kp_cal_policy *pol, const char **why);
void kp_cal_policy_free(struct kp_cal_policy *pol);
int kp_cal_tier_read(struct fy_node *root, struct kp_cal_tier *tier, const char **why);
void kp_cal_tier_free(struct kp_cal_tier *tier);
int kp_cal_netset_read(struct fy_node *root, struct kp_cal_netset *set, const char **why);
void kp_cal_netset_free(struct kp_cal_netset *set);
int kp_cal_hep_read(struct fy_node *root, struct kp_cal_hep *hep, const char **why);
void kp_cal_hep_free(struct kp_cal_hep *hep);

#define KP_FAILSAFE_ENTRIES	32	/* the kernel's KP_FAILSAFE_MAX */

/*
 * Whether @buf may be handed to libfyaml: UTF-8 text without NUL bytes, as
 * Kubernetes objects are.  libfyaml 0.7.12 loops for ever on some invalid
 * UTF-8 (a directive "%\xff\xff"), and a datastore's value is untrusted.
 */
bool kp_k8s_text_ok(const char *buf, size_t len);

struct fy_node;
/*
 * The node at @path under @n ("/spec/ports", "/addresses/0"; NULL when
 * absent or @n is): mapping keys and sequence indexes 0-9, looked up as
 * plain strings (fy_node_by_path() reads its path as YAML, a fifth of the
 * time of reading 100k objects).  Aliases are not followed.
 */
struct fy_node *kp_k8s_at(struct fy_node *n, const char *path);
/*
 * Reads one object; 0, or -EINVAL with *@why naming the field (the object is
 * then to be skipped, the rest applied; nothing is left allocated).  Lists
 * are allocated to size: kp_k8s_service_free(), kp_k8s_slice_free().
 */
int kp_k8s_service_read(struct fy_node *root, struct kp_k8s_service *svc, const char **why);
int kp_k8s_slice_read(struct fy_node *root, struct kp_k8s_slice *slice, const char **why);
void kp_k8s_service_free(struct kp_k8s_service *svc);
void kp_k8s_slice_free(struct kp_k8s_slice *slice);
int kp_k8s_wep_read(struct fy_node *root, struct kp_k8s_wep *wep, const char **why);
int kp_k8s_nodecfg_read(struct fy_node *root, struct kp_k8s_nodecfg *cfg, const char **why);

/*
 * A Kubernetes LabelSelector (@n: matchLabels, matchExpressions; NULL or
 * {} selects all) as a Calico selector, in *@out (malloc'd), as Calico
 * converts one: each term with its key under @prefix ("pcns." for a
 * namespaceSelector, NULL for none), sorted, joined by &&.  Keys and
 * values are checked as the API checks them, so none holds a quote.
 * -EINVAL with *@why, or -ENOMEM.
 */
int kp_k8s_label_selector(struct fy_node *n, const char *prefix, char **out, const char **why);

/* The objects of one or more streams, in the order they came. */
struct kp_k8s_objects {
	unsigned int n_svcs, cap_svcs, n_slices, cap_slices, n_weps, cap_weps, n_cfgs, cap_cfgs;
	unsigned int n_pods, cap_pods, n_nss, cap_nss, n_netpols, cap_netpols;
	unsigned int n_cpols, cap_cpols, n_tiers, cap_tiers, n_netsets, cap_netsets;
	unsigned int n_heps, cap_heps;
	struct kp_k8s_service *svcs;
	struct kp_k8s_slice *slices;
	struct kp_k8s_wep *weps;
	struct kp_k8s_nodecfg *cfgs;
	struct kp_k8s_pod *pods;
	struct kp_k8s_namespace *nss;
	struct kp_k8s_netpol *netpols;
	struct kp_cal_policy *cpols;
	struct kp_cal_tier *tiers;
	struct kp_cal_netset *netsets;
	struct kp_cal_hep *heps;
};

/*
 * Adds to @objs every Service, EndpointSlice and WorkloadEndpoint of @text (YAML or JSON,
 * several documents); a document that is bad, of an unknown kind or after a
 * syntax error is reported to @skip (the line it starts on, its "---" if
 * it has one, 1-based; 0: the stream) and left out, the rest kept.
 * -ENOMEM only.
 */
int kp_k8s_load(const char *text, size_t len, struct kp_k8s_objects *objs,
		void (*skip)(unsigned int line, const char *why, void *arg), void *arg);
void kp_k8s_objects_free(struct kp_k8s_objects *objs);

/* Room for one more in *@arr of @n (doubling from one); false: out of memory. */
bool kp_grow(void **arr, unsigned int n, unsigned int *cap, size_t size);
/* Moves *@n_from items of @from to the end of *@to (room doubled as needed). */
bool kp_append(void **to, unsigned int *n_to, unsigned int *cap, const void *from,
	       unsigned int *n_from, size_t size);
/* Removes item @i of @arr, those after it moved down. */
void kp_drop(void *arr, unsigned int *n, size_t size, unsigned int i);

struct fy_diag;
/*
 * A libfyaml diagnostic that prints nothing; with @msg (load.c's), the
 * first message is kept there.  NULL: no memory.
 */
struct fy_diag *kp_fy_diag(void *msg);

/* Where kplaned runs: endpoint locality and topology hints are judged from here. */
struct kp_k8s_node {
	const char *name;
	const char *zone;		/* NULL: no zone label */
};

/*
 * The frontends @svc and its @slices make on @node, as kube-proxy programs
 * them: one per service port and address (each clusterIP, externalIP and
 * load balancer IP; a NodePort on the unspecified address of each family
 * the service has), each with the backends of that family whose slice port
 * has the service port's name and protocol.  @emit is called with each (its
 * backends are valid only during the call); a non-zero return stops.
 * One deviation: with topology hints in use, a local endpoint hinted for
 * another zone stays, as the kernel's one backend list also serves Local
 * policies.  At most KPLANE_SVC_BACKENDS_MAX backends, in address order.
 */
int kp_k8s_frontends(const struct kp_k8s_service *svc, const struct kp_k8s_slice *const *slices,
		     unsigned int n_slices, const struct kp_k8s_node *node,
		     int (*emit)(const struct kpl_service *fe, void *arg), void *arg);

/* Frontends in one order: family, address, port, protocol. */
int kp_fe_cmp(const struct kpl_service *a, const struct kpl_service *b);
/* Backends in one order, by address then port (qsort's shape). */
int kp_backend_cmp(const void *a, const void *b);

/*
 * What turns the kernel's services (@have, as dumped) into @want, by
 * frontend: those to set (new, or differing in anything the kernel keeps;
 * backends compared as sets) and those to delete.  Unchanged state makes
 * an empty diff: a restart writes nothing.  The arrays point into @want
 * and @have.
 */
struct kp_svc_diff {
	const struct kpl_service **set, **del;
	unsigned int n_set, n_del;
};

int kp_svc_diff(const struct kpl_service *want, unsigned int n_want,
		const struct kpl_service *have, unsigned int n_have, struct kp_svc_diff *d);
void kp_svc_diff_free(struct kp_svc_diff *d);

#endif /* KPLANE_AGENT_K8S_H */
