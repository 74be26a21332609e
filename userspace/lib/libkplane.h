/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libkplane: the only code that speaks netlink to the kplane module.
 * Every call returns 0 or -errno; after a failure kp_error() holds the
 * kernel's extack message (or a local one), "" when there was none.
 */
#ifndef LIBKPLANE_H
#define LIBKPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kplane.h>

struct kp_handle;

struct kp_ip {
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint8_t ip[16];
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
};

/* Opens the one long-lived socket and resolves the family. -ENOENT: no module. */
int kp_open(struct kp_handle **out);
void kp_close(struct kp_handle *h);
const char *kp_error(const struct kp_handle *h);

int kp_node_enable(struct kp_handle *h);
int kp_node_disable(struct kp_handle *h);
int kp_node_status(struct kp_handle *h, struct kp_status *st);

int kp_endpoint_add(struct kp_handle *h, const struct kp_endpoint *ep);
int kp_endpoint_del(struct kp_handle *h, const char *id);
int kp_endpoint_get(struct kp_handle *h, const char *id, struct kp_endpoint *out);
/*
 * The whole table; free *out.  A dump that raced a change is retried for a
 * snapshot; if changes keep coming, the last listing is returned, which holds
 * every endpoint that existed throughout exactly once.
 */
int kp_endpoint_list(struct kp_handle *h, struct kp_endpoint **out, size_t *n);
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
 * kp_txn_commit or kp_txn_abort, service changes sent through the handle are
 * staged in it and applied by the commit all together, or not at all.
 * Closing the handle aborts it.  Commit/abort with none open is refused by
 * the kernel (ENOENT).
 */
int kp_txn_begin(struct kp_handle *h);
int kp_txn_commit(struct kp_handle *h);
int kp_txn_abort(struct kp_handle *h);

/*
 * Batches: changes queued on the handle, then sent many to a sendmsg, each
 * still acknowledged on its own (as nft -f and iptables-restore do).
 * kp_batch_flush returns 0 or the first refusal, with *failed the index of
 * the refused change among those queued since the last flush.  Outside a
 * transaction, changes after a refused one are still applied.
 */
int kp_batch_service_set(struct kp_handle *h, const struct kp_service *svc);
int kp_batch_service_del(struct kp_handle *h, const struct kp_service *key);
int kp_batch_flush(struct kp_handle *h, size_t *failed);

/*
 * Sends @cmd with caller-built attributes (raw netlink attribute bytes) and
 * waits for the ack.  For tests that must send what the typed calls never
 * would: wrong types, unknown attributes.
 */
int kp_request_raw(struct kp_handle *h, uint8_t cmd, const void *attrs, size_t len);

#endif /* LIBKPLANE_H */
