/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libkplane: the only code that speaks netlink to the kplane module.
 * Every call returns 0 or -errno; after a failure kp_error() holds the
 * kernel's extack message (or a local one), "" when there was none.
 */
#ifndef LIBKPLANE_H
#define LIBKPLANE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kplane.h>

struct kp_handle;

struct kp_ip {
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint8_t ip[16];
};

/* Which of a kp_node_settings' fields a request sets (the others stay). */
#define KP_SET_MAX_ENDPOINTS	(1U << 0)
#define KP_SET_MAX_SERVICES	(1U << 1)
#define KP_SET_MAX_FLOWS	(1U << 2)
#define KP_SET_POLICY_REJECT	(1U << 3)
#define KP_SET_BYPASS_CONNTRACK	(1U << 4)
#define KP_SET_FAST_FORWARD	(1U << 5)
#define KP_SET_FAILSAFE_IN	(1U << 6)
#define KP_SET_FAILSAFE_OUT	(1U << 7)
#define KP_SET_ALL		((1U << 8) - 1)

/* A node's own settings (0, KPLANE_SETTING_DEFAULT, "default": the host's). */
struct kp_node_settings {
	uint32_t has;				/* KP_SET_* */
	uint32_t max_endpoints, max_services, max_flows;
	uint8_t policy_reject, bypass_conntrack, fast_forward;	/* enum kplane_setting */
	char failsafe_in[KPLANE_FAILSAFE_STR_MAX], failsafe_out[KPLANE_FAILSAFE_STR_MAX];
};

struct kp_status {
	uint32_t version;
	bool enabled;
	uint32_t generation;
	uint32_t endpoint_count;
	uint32_t endpoint_limit;
	uint32_t service_count;
	uint32_t service_limit;
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t ep_table_full;
	uint64_t ep_reaped;
	uint64_t svc_table_full;
	uint64_t connect_lb;
	uint64_t connect_refused;
	uint32_t flow_count;
	uint32_t flow_limit;
	uint64_t flow_created;
	uint64_t flow_table_full;
	uint64_t flow_expired;
	uint64_t flow_torn_down;
	uint64_t nat_packets;
	uint64_t nat_refused;
	uint64_t snat_exhausted;
	uint32_t policy_revision;
	uint64_t policy_checked;
	uint64_t policy_bypassed;
	uint64_t policy_denied;
	uint64_t policy_failsafe;
	uint64_t fast_forwarded;
	uint64_t policy_related;	/* ICMP errors of approved flows */
	uint64_t spoofed;		/* dropped: a workload's source not its own */
	uint64_t lb_socket_full;	/* sockets whose service was not remembered */
	uint64_t probe_missed;		/* host-wide connect-time probe misses */
	struct kp_node_settings settings;	/* the node's own (limits in force: above) */
};

/* One policy an endpoint attaches, under a tier, in a direction. */
struct kp_ep_attach {
	uint8_t dir;			/* enum kplane_dir */
	char tier[KPLANE_ID_MAX];
	char policy[KPLANE_ID_MAX];	/* "": the tier is listed with no policy */
};

struct kp_backend {
	struct kp_ip addr;
	uint16_t port;
	uint32_t weight;	/* 1..KPLANE_BE_WEIGHT_MAX */
	uint8_t state;		/* enum kplane_be_state */
	bool local;		/* runs on this node */
};

struct kp_service {
	char id[KPLANE_ID_MAX];	/* optional label */
	struct kp_ip addr;	/* frontend: addr, port, proto name the service */
	uint16_t port;
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t type;		/* enum kplane_svc_type */
	uint32_t maglev_size;	/* 0: the kernel's default */
	uint8_t ext_policy;	/* enum kplane_traffic_policy */
	uint8_t int_policy;
	uint32_t affinity_timeout;	/* seconds; 0: none */
	unsigned int n_backends;
	struct kp_backend *backends;
};

struct kp_endpoint {
	char id[KPLANE_ID_MAX];
	char ifname[16];
	uint32_t ifindex;	/* reply only */
	int netns_fd;		/* request only; -1 for none */
	bool has_netnsid;	/* reply only */
	int32_t netnsid;
	unsigned int n_addrs;
	struct kp_ip addrs[KPLANE_EP_ADDR_MAX];
	bool host;		/* a host endpoint (node interface) */
	/*
	 * Tiers and policies, per direction, in evaluation order of tiers:
	 * consecutive entries of one direction and tier form that tier.
	 * Requests send them when has_policy; replies allocate them
	 * (kp_endpoint_release()).
	 */
	bool has_policy;
	unsigned int n_attach;
	struct kp_ep_attach *attach;
};

/* One criterion of a rule side; @kind is a KPLANE_SIDE_A_* type. */
struct kp_rule_item {
	bool dst;		/* destination side, else source */
	uint8_t kind;
	union {
		struct kplane_prefix prefix;	/* NET, NOT_NET */
		char set[KPLANE_ID_MAX];	/* SET, NOT_SET */
		struct kplane_port_range ports;	/* PORT, NOT_PORT */
	};
};

/* Optional rule fields: bits of kp_rule.has. */
#define KP_HAS_PROTO		(1U << 0)
#define KP_HAS_NOT_PROTO	(1U << 1)
#define KP_HAS_ICMP_TYPE	(1U << 2)
#define KP_HAS_ICMP_CODE	(1U << 3)
#define KP_HAS_NOT_ICMP_TYPE	(1U << 4)
#define KP_HAS_NOT_ICMP_CODE	(1U << 5)

struct kp_rule {
	uint8_t dir;		/* enum kplane_dir */
	uint8_t action;		/* enum kplane_action */
	uint8_t has;
	uint8_t proto, not_proto;
	uint8_t icmp_type, icmp_code, not_icmp_type, not_icmp_code;
	unsigned int n_items;
	struct kp_rule_item *items;
	uint64_t packets, bytes;	/* replies */
};

struct kp_policy {
	char id[KPLANE_ID_MAX];
	char tier[KPLANE_ID_MAX];	/* "": "default" */
	bool has_order;
	uint32_t order;
	uint8_t types;			/* 0: the kernel's default */
	bool apply_on_forward;		/* also for traffic a host endpoint forwards */
	unsigned int n_rules;
	struct kp_rule *rules;
	/* Not sent: each rule's index among its direction's in the object it was compiled from. */
	uint16_t *origin;
};

struct kp_ipset_info {
	char name[KPLANE_ID_MAX];
	uint32_t count;
	uint32_t n_members;		/* as listed: count, unless the set changed */
	struct kplane_prefix *members;	/* sorted as the kernel keeps them */
};

struct kp_trace {
	char endpoint[KPLANE_ID_MAX];	/* where it arrives; "": sent by the node */
	uint8_t proto;
	struct kp_ip src, dst;
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
};

struct kp_trace_step {
	char endpoint[KPLANE_ID_MAX];
	uint8_t dir, action, reason;
	bool forwarded;			/* a host endpoint's policy for forwarded traffic */
	char tier[KPLANE_ID_MAX];	/* "" when no tier decided */
	char policy[KPLANE_ID_MAX];	/* "" when no rule decided */
	uint32_t rule;
};

struct kp_trace_result {
	uint8_t verdict;		/* KPLANE_ACTION_ALLOW or _DENY */
	unsigned int n_steps;
	struct kp_trace_step steps[4];
};

/*
 * Appends to @ep's attachments: @policy (its first @len bytes; 0: the tier
 * with no policy) under @tier in direction @dir.  -EINVAL for a name too
 * long, -ENOMEM.  Inline: kplanectl's I/O-free parser uses it too.
 */
static inline int kp_endpoint_attach(struct kp_endpoint *ep, uint8_t dir, const char *tier,
				     const char *policy, size_t len)
{
	struct kp_ep_attach *a;

	if (strlen(tier) >= sizeof(a->tier) || len >= sizeof(a->policy))
		return -EINVAL;
	a = (struct kp_ep_attach *)realloc(ep->attach, (ep->n_attach + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	ep->attach = a;
	a += ep->n_attach++;
	memset(a, 0, sizeof(*a));
	a->dir = dir;
	strcpy(a->tier, tier);
	memcpy(a->policy, policy, len);
	ep->has_policy = true;
	return 0;
}

/* Frees what @pol's rules own (not @pol). */
static inline void kp_policy_release(struct kp_policy *pol)
{
	unsigned int i;

	for (i = 0; i < pol->n_rules; i++)
		free(pol->rules[i].items);
	free(pol->rules);
	free(pol->origin);
	pol->rules = NULL;
	pol->origin = NULL;
	pol->n_rules = 0;
}

/* Opens the one long-lived socket and resolves the family. -ENOENT: no module. */
int kp_open(struct kp_handle **out);
void kp_close(struct kp_handle *h);
const char *kp_error(const struct kp_handle *h);

int kp_node_enable(struct kp_handle *h);
int kp_node_disable(struct kp_handle *h);
int kp_node_status(struct kp_handle *h, struct kp_status *st);
/* Sets the fields of @s named in s->has; not part of a transaction. */
int kp_node_set(struct kp_handle *h, const struct kp_node_settings *s);

int kp_endpoint_add(struct kp_handle *h, const struct kp_endpoint *ep);
int kp_endpoint_del(struct kp_handle *h, const char *id);
int kp_endpoint_get(struct kp_handle *h, const char *id, struct kp_endpoint *out);
/*
 * The whole table; free *out.  A dump that raced a change is retried for a
 * snapshot; if changes keep coming, the last listing is returned, which holds
 * every endpoint that existed throughout exactly once.
 */
int kp_endpoint_list(struct kp_handle *h, struct kp_endpoint **out, size_t *n);
void kp_endpoint_release(struct kp_endpoint *ep);
void kp_endpoints_free(struct kp_endpoint *eps, size_t n);
/* Replaces the endpoint's tiers and policies (ep->id, ep->attach). */
int kp_endpoint_policy(struct kp_handle *h, const struct kp_endpoint *ep);

/*
 * IP sets.  A set larger than one message (2048 members each) is sent as a
 * SET then UPDATEs in one transaction (the caller's open one, or its own):
 * no reader sees it partly filled.
 */
int kp_ipset_set(struct kp_handle *h, const char *name, const struct kplane_prefix *m,
		 size_t n);
int kp_ipset_update(struct kp_handle *h, const char *name, const struct kplane_prefix *add,
		    size_t n_add, const struct kplane_prefix *del, size_t n_del);
int kp_ipset_del(struct kp_handle *h, const char *name);
/* Every set with its members; free the result with kp_ipsets_free(). */
int kp_ipset_list(struct kp_handle *h, struct kp_ipset_info **out, size_t *n);
void kp_ipsets_free(struct kp_ipset_info *sets, size_t n);

/* Creates or replaces a policy with all its rules. */
int kp_policy_set(struct kp_handle *h, const struct kp_policy *pol);
int kp_policy_del(struct kp_handle *h, const char *id);
/* Every policy, rules and counters; free with kp_policies_free(). */
int kp_policy_list(struct kp_handle *h, struct kp_policy **out, size_t *n);
void kp_policies_free(struct kp_policy *pols, size_t n);

/* Evaluates a packet that does not exist with the datapath's own matcher. */
int kp_trace(struct kp_handle *h, const struct kp_trace *t, struct kp_trace_result *out);
/* How many dumps this handle restarted because the kernel flagged a change. */
unsigned int kp_dump_restarts(const struct kp_handle *h);

/* Creates or replaces the service with this frontend and all its backends. */
int kp_service_set(struct kp_handle *h, const struct kp_service *svc);
/* By frontend (addr, port, proto of @key). */
int kp_service_del(struct kp_handle *h, const struct kp_service *key);
/* By frontend; free out->backends. */
int kp_service_get(struct kp_handle *h, const struct kp_service *key, struct kp_service *out);
/* Every service; free with kp_services_free(). */
int kp_service_list(struct kp_handle *h, struct kp_service **out, size_t *n);
void kp_services_free(struct kp_service *svcs, size_t n);

/*
 * Transactions.  kp_txn_begin opens one owned by this handle's socket; until
 * kp_txn_commit or kp_txn_abort, service, IP set, policy and endpoint
 * changes (add, delete, policy) sent through the handle are staged in it
 * and applied by the commit all together, or not at all.
 * Closing the handle aborts it.  Commit/abort with none open is refused by
 * the kernel (ENOENT).
 */
int kp_txn_begin(struct kp_handle *h);
int kp_txn_commit(struct kp_handle *h);
int kp_txn_abort(struct kp_handle *h);
/*
 * Policy requests (IP set, policy, endpoint add, delete and policy) staged in the open
 * transaction so far, 0 the first: a caller notes the count around each of
 * its changes; a commit's refusal may then name the request it refused
 * (kp_refused_change: true and *@index set).
 */
uint32_t kp_txn_policy_changes(const struct kp_handle *h);
bool kp_refused_change(const struct kp_handle *h, uint32_t *index);

/*
 * Batches: changes queued on the handle, then sent many to a sendmsg, each
 * still acknowledged on its own (as nft -f and iptables-restore do).
 * kp_batch_flush returns 0 or the first refusal, with *failed the index of
 * the refused change among those queued since the last flush (SIZE_MAX
 * when no change was refused: the error was the transport's).  Outside a
 * transaction, changes after a refused one are still applied.
 */
int kp_batch_service_set(struct kp_handle *h, const struct kp_service *svc);
int kp_batch_service_del(struct kp_handle *h, const struct kp_service *key);
int kp_batch_flush(struct kp_handle *h, size_t *failed);

/*
 * A pod's veth wired as Calico does (the CNI plugin's standalone mode):
 * @host_if in the caller's netns (no address; proxy ARP, fe80::1, a route
 * to each pod address), @pod_if in the pod's netns with the addresses as
 * /32 and /128 and default routes via 169.254.1.1 and fe80::1.  On
 * failure nothing is left and @error says what failed.
 */
struct kp_pod_link {
	char host_if[16], pod_if[16];
	int pod_netns_fd;
	uint32_t mtu;				/* 0: the default */
	unsigned int n_addrs;
	struct kp_ip addrs[KPLANE_EP_ADDR_MAX];
	char host_mac[24], pod_mac[24];		/* filled in */
	char error[160];
};

int kp_pod_link_add(struct kp_pod_link *l);
/* Deletes @host_if (and its peer); 0 if there is none. */
int kp_pod_link_del(const char *host_if);
bool kp_pod_link_exists(const char *host_if);

/*
 * Sends @cmd with caller-built attributes (raw netlink attribute bytes) and
 * waits for the ack.  For tests that must send what the typed calls never
 * would: wrong types, unknown attributes.
 */
int kp_request_raw(struct kp_handle *h, uint8_t cmd, const void *attrs, size_t len);

#endif /* LIBKPLANE_H */
