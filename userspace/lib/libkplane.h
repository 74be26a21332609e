/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libkplane: the only code that speaks netlink to the kplane module.
 * Every call returns 0 or -errno; after a failure kpl_error() holds the
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

struct kpl_handle;

struct kpl_ip {
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint8_t ip[16];
};

/* Which of a kp_node_settings' fields a request sets (the others stay). */
#define KPL_SET_MAX_ENDPOINTS	(1U << 0)
#define KPL_SET_MAX_SERVICES	(1U << 1)
#define KPL_SET_MAX_FLOWS	(1U << 2)
#define KPL_SET_POLICY_REJECT	(1U << 3)
#define KPL_SET_BYPASS_CONNTRACK	(1U << 4)
#define KPL_SET_FAST_FORWARD	(1U << 5)
#define KPL_SET_FAILSAFE_IN	(1U << 6)
#define KPL_SET_FAILSAFE_OUT	(1U << 7)
#define KPL_SET_ALL		((1U << 8) - 1)

/* A node's own settings (0, KPLANE_SETTING_DEFAULT, "default": the host's). */
struct kpl_node_settings {
	uint32_t has;				/* KPL_SET_* */
	uint32_t max_endpoints, max_services, max_flows;
	uint8_t policy_reject, bypass_conntrack, fast_forward;	/* enum kplane_setting */
	char failsafe_in[KPLANE_FAILSAFE_STR_MAX], failsafe_out[KPLANE_FAILSAFE_STR_MAX];
};

struct kpl_status {
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
	struct kpl_node_settings settings;	/* the node's own (limits in force: above) */
};

/* One policy an endpoint attaches, under a tier, in a direction. */
struct kpl_ep_attach {
	uint8_t dir;			/* enum kplane_dir */
	char tier[KPLANE_ID_MAX];
	char policy[KPLANE_ID_MAX];	/* "": the tier is listed with no policy */
};

struct kpl_backend {
	struct kpl_ip addr;
	uint16_t port;
	uint32_t weight;	/* 1..KPLANE_BE_WEIGHT_MAX */
	uint8_t state;		/* enum kplane_be_state */
	bool local;		/* runs on this node */
};

struct kpl_service {
	char id[KPLANE_ID_MAX];	/* optional label */
	struct kpl_ip addr;	/* frontend: addr, port, proto name the service */
	uint16_t port;
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t type;		/* enum kplane_svc_type */
	uint32_t maglev_size;	/* 0: the kernel's default */
	uint8_t ext_policy;	/* enum kplane_traffic_policy */
	uint8_t int_policy;
	uint32_t affinity_timeout;	/* seconds; 0: none */
	unsigned int n_backends;
	struct kpl_backend *backends;
};

struct kpl_endpoint {
	char id[KPLANE_ID_MAX];
	char ifname[16];
	uint32_t ifindex;	/* reply only */
	int netns_fd;		/* request only; -1 for none */
	bool has_netnsid;	/* reply only */
	int32_t netnsid;
	unsigned int n_addrs;
	struct kpl_ip addrs[KPLANE_EP_ADDR_MAX];
	bool host;		/* a host endpoint (node interface) */
	/*
	 * Tiers and policies, per direction, in evaluation order of tiers:
	 * consecutive entries of one direction and tier form that tier.
	 * Requests send them when has_policy; replies allocate them
	 * (kpl_endpoint_release()).
	 */
	bool has_policy;
	unsigned int n_attach;
	struct kpl_ep_attach *attach;
};

/* One criterion of a rule side; @kind is a KPLANE_SIDE_A_* type. */
struct kpl_rule_item {
	bool dst;		/* destination side, else source */
	uint8_t kind;
	union {
		struct kplane_prefix prefix;	/* NET, NOT_NET */
		char set[KPLANE_ID_MAX];	/* SET, NOT_SET */
		struct kplane_port_range ports;	/* PORT, NOT_PORT */
	};
};

/* Optional rule fields: bits of kp_rule.has. */
#define KPL_HAS_PROTO		(1U << 0)
#define KPL_HAS_NOT_PROTO	(1U << 1)
#define KPL_HAS_ICMP_TYPE	(1U << 2)
#define KPL_HAS_ICMP_CODE	(1U << 3)
#define KPL_HAS_NOT_ICMP_TYPE	(1U << 4)
#define KPL_HAS_NOT_ICMP_CODE	(1U << 5)

struct kpl_rule {
	uint8_t dir;		/* enum kplane_dir */
	uint8_t action;		/* enum kplane_action */
	uint8_t has;
	uint8_t proto, not_proto;
	uint8_t icmp_type, icmp_code, not_icmp_type, not_icmp_code;
	unsigned int n_items;
	struct kpl_rule_item *items;
	uint64_t packets, bytes;	/* replies */
};

struct kpl_policy {
	char id[KPLANE_ID_MAX];
	char tier[KPLANE_ID_MAX];	/* "": "default" */
	bool has_order;
	uint32_t order;
	uint8_t types;			/* 0: the kernel's default */
	bool apply_on_forward;		/* also for traffic a host endpoint forwards */
	unsigned int n_rules;
	struct kpl_rule *rules;
	/* Not sent: each rule's index among its direction's in the object it was compiled from. */
	uint16_t *origin;
};

struct kpl_ipset_info {
	char name[KPLANE_ID_MAX];
	uint32_t count;
	uint32_t n_members;		/* as listed: count, unless the set changed */
	struct kplane_prefix *members;	/* sorted as the kernel keeps them */
};

struct kpl_trace {
	char endpoint[KPLANE_ID_MAX];	/* where it arrives; "": sent by the node */
	uint8_t proto;
	struct kpl_ip src, dst;
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
};

struct kpl_trace_step {
	char endpoint[KPLANE_ID_MAX];
	uint8_t dir, action, reason;
	bool forwarded;			/* a host endpoint's policy for forwarded traffic */
	char tier[KPLANE_ID_MAX];	/* "" when no tier decided */
	char policy[KPLANE_ID_MAX];	/* "" when no rule decided */
	uint32_t rule;
};

struct kpl_trace_result {
	uint8_t verdict;		/* KPLANE_ACTION_ALLOW or _DENY */
	unsigned int n_steps;
	struct kpl_trace_step steps[4];
};

/*
 * Appends to @ep's attachments: @policy (its first @len bytes; 0: the tier
 * with no policy) under @tier in direction @dir.  -EINVAL for a name too
 * long, -ENOMEM.  Inline: kplanectl's I/O-free parser uses it too.
 */
static inline int kpl_endpoint_attach(struct kpl_endpoint *ep, uint8_t dir, const char *tier,
				     const char *policy, size_t len)
{
	struct kpl_ep_attach *a;

	if (strlen(tier) >= sizeof(a->tier) || len >= sizeof(a->policy))
		return -EINVAL;
	a = (struct kpl_ep_attach *)realloc(ep->attach, (ep->n_attach + 1) * sizeof(*a));
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
static inline void kpl_policy_release(struct kpl_policy *pol)
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
int kpl_open(struct kpl_handle **out);
void kpl_close(struct kpl_handle *h);
const char *kpl_error(const struct kpl_handle *h);

int kpl_node_enable(struct kpl_handle *h);
int kpl_node_disable(struct kpl_handle *h);
int kpl_node_status(struct kpl_handle *h, struct kpl_status *st);
/* Sets the fields of @s named in s->has; not part of a transaction. */
int kpl_node_set(struct kpl_handle *h, const struct kpl_node_settings *s);

int kpl_endpoint_add(struct kpl_handle *h, const struct kpl_endpoint *ep);
int kpl_endpoint_del(struct kpl_handle *h, const char *id);
int kpl_endpoint_get(struct kpl_handle *h, const char *id, struct kpl_endpoint *out);
/*
 * The whole table; free *out.  A dump that raced a change is retried for a
 * snapshot; if changes keep coming, the last listing is returned, which holds
 * every endpoint that existed throughout exactly once.
 */
int kpl_endpoint_list(struct kpl_handle *h, struct kpl_endpoint **out, size_t *n);
void kpl_endpoint_release(struct kpl_endpoint *ep);
void kpl_endpoints_free(struct kpl_endpoint *eps, size_t n);
/* Replaces the endpoint's tiers and policies (ep->id, ep->attach). */
int kpl_endpoint_policy(struct kpl_handle *h, const struct kpl_endpoint *ep);

/*
 * IP sets.  A set larger than one message (2048 members each) is sent as a
 * SET then UPDATEs in one transaction (the caller's open one, or its own):
 * no reader sees it partly filled.
 */
int kpl_ipset_set(struct kpl_handle *h, const char *name, const struct kplane_prefix *m,
		 size_t n);
int kpl_ipset_update(struct kpl_handle *h, const char *name, const struct kplane_prefix *add,
		    size_t n_add, const struct kplane_prefix *del, size_t n_del);
int kpl_ipset_del(struct kpl_handle *h, const char *name);
/* Every set with its members; free the result with kpl_ipsets_free(). */
int kpl_ipset_list(struct kpl_handle *h, struct kpl_ipset_info **out, size_t *n);
void kpl_ipsets_free(struct kpl_ipset_info *sets, size_t n);

/* Creates or replaces a policy with all its rules. */
int kpl_policy_set(struct kpl_handle *h, const struct kpl_policy *pol);
int kpl_policy_del(struct kpl_handle *h, const char *id);
/* Every policy, rules and counters; free with kpl_policies_free(). */
int kpl_policy_list(struct kpl_handle *h, struct kpl_policy **out, size_t *n);
void kpl_policies_free(struct kpl_policy *pols, size_t n);

/* Evaluates a packet that does not exist with the datapath's own matcher. */
int kpl_trace(struct kpl_handle *h, const struct kpl_trace *t, struct kpl_trace_result *out);
/* How many dumps this handle restarted because the kernel flagged a change. */
unsigned int kpl_dump_restarts(const struct kpl_handle *h);

/* Creates or replaces the service with this frontend and all its backends. */
int kpl_service_set(struct kpl_handle *h, const struct kpl_service *svc);
/* By frontend (addr, port, proto of @key). */
int kpl_service_del(struct kpl_handle *h, const struct kpl_service *key);
/* By frontend; free out->backends. */
int kpl_service_get(struct kpl_handle *h, const struct kpl_service *key, struct kpl_service *out);
/* Every service; free with kpl_services_free(). */
int kpl_service_list(struct kpl_handle *h, struct kpl_service **out, size_t *n);
void kpl_services_free(struct kpl_service *svcs, size_t n);

/*
 * Transactions.  kpl_txn_begin opens one owned by this handle's socket; until
 * kpl_txn_commit or kpl_txn_abort, service, IP set, policy and endpoint
 * changes (add, delete, policy) sent through the handle are staged in it
 * and applied by the commit all together, or not at all.
 * Closing the handle aborts it.  Commit/abort with none open is refused by
 * the kernel (ENOENT).
 */
int kpl_txn_begin(struct kpl_handle *h);
int kpl_txn_commit(struct kpl_handle *h);
int kpl_txn_abort(struct kpl_handle *h);
/*
 * Policy requests (IP set, policy, endpoint add, delete and policy) staged in the open
 * transaction so far, 0 the first: a caller notes the count around each of
 * its changes; a commit's refusal may then name the request it refused
 * (kpl_refused_change: true and *@index set).
 */
uint32_t kpl_txn_policy_changes(const struct kpl_handle *h);
bool kpl_refused_change(const struct kpl_handle *h, uint32_t *index);

/*
 * Batches: changes queued on the handle, then sent many to a sendmsg, each
 * still acknowledged on its own (as nft -f and iptables-restore do).
 * kpl_batch_flush returns 0 or the first refusal, with *failed the index of
 * the refused change among those queued since the last flush (SIZE_MAX
 * when no change was refused: the error was the transport's).  Outside a
 * transaction, changes after a refused one are still applied.
 */
int kpl_batch_service_set(struct kpl_handle *h, const struct kpl_service *svc);
int kpl_batch_service_del(struct kpl_handle *h, const struct kpl_service *key);
int kpl_batch_flush(struct kpl_handle *h, size_t *failed);

/*
 * A pod's veth wired as Calico does (the CNI plugin's standalone mode):
 * @host_if in the caller's netns (no address; proxy ARP, fe80::1, a route
 * to each pod address), @pod_if in the pod's netns with the addresses as
 * /32 and /128 and default routes via 169.254.1.1 and fe80::1.  On
 * failure nothing is left and @error says what failed.
 */
struct kpl_pod_link {
	char host_if[16], pod_if[16];
	int pod_netns_fd;
	uint32_t mtu;				/* 0: the default */
	unsigned int n_addrs;
	struct kpl_ip addrs[KPLANE_EP_ADDR_MAX];
	char host_mac[24], pod_mac[24];		/* filled in */
	char error[160];
};

int kpl_pod_link_add(struct kpl_pod_link *l);
/* Deletes @host_if (and its peer); 0 if there is none. */
int kpl_pod_link_del(const char *host_if);
bool kpl_pod_link_exists(const char *host_if);

/*
 * Sends @cmd with caller-built attributes (raw netlink attribute bytes) and
 * waits for the ack.  For tests that must send what the typed calls never
 * would: wrong types, unknown attributes.
 */
int kpl_request_raw(struct kpl_handle *h, uint8_t cmd, const void *attrs, size_t len);

#endif /* LIBKPLANE_H */
