/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kplane generic netlink ABI, shared by the module and userspace.
 *
 * Family "kplane", version KPLANE_GENL_VERSION.  The family is netnsok: every
 * request acts on the network namespace of the requesting socket.  A netns in
 * which kplane is enabled is a *node*.
 *
 * Permissions: commands marked (admin) need CAP_NET_ADMIN over the netns the
 * socket lives in (GENL_UNS_ADMIN_PERM); others are open to any process in it.
 * Every rejection carries an errno and an extack message naming the attribute.
 *
 * KPLANE_CMD_NODE_ENABLE (admin)
 *	Make this netns a node.  Idempotent.  No attributes.  Replies nothing.
 *
 * KPLANE_CMD_NODE_DISABLE (admin)
 *	Drop every object and hook of this node.  Idempotent.  Replies nothing.
 *
 * KPLANE_CMD_NODE_GET
 *	Status of this netns.  Replies KPLANE_A_VERSION, KPLANE_A_NODE_ENABLED,
 *	KPLANE_A_GENERATION, KPLANE_A_ENDPOINT_COUNT, KPLANE_A_ENDPOINT_LIMIT and
 *	KPLANE_A_COUNTERS (nest of KPLANE_COUNTER_A_*).  Works on a netns that
 *	is not a node (enabled = 0, counts 0).
 *
 * KPLANE_CMD_ENDPOINT_ADD (admin)
 *	Add a workload endpoint.  KPLANE_A_ENDPOINT nest with:
 *	  KPLANE_EP_A_ID       required, 1..KPLANE_ID_MAX-1 chars of [A-Za-z0-9._:/-]
 *	  KPLANE_EP_A_IFNAME   required, host-side interface in this netns
 *	  KPLANE_EP_A_NETNS_FD optional, fd of the pod's netns
 *	  KPLANE_EP_A_ADDR     0..KPLANE_EP_ADDR_MAX nests of KPLANE_ADDR_A_*
 *	Errors: ENOENT node not enabled; EEXIST id, interface or pod netns
 *	already used by another endpoint; ENODEV no such interface; EBADF/EINVAL
 *	bad netns fd; ENOSPC endpoint limit reached; EINVAL malformed input.
 *
 * KPLANE_CMD_ENDPOINT_DEL (admin)
 *	Delete by KPLANE_A_ENDPOINT { KPLANE_EP_A_ID }.  ENOENT if unknown.
 *
 * KPLANE_CMD_ENDPOINT_GET
 *	doit: KPLANE_A_ENDPOINT { KPLANE_EP_A_ID } replies that endpoint.
 *	dumpit: every endpoint of the node, one KPLANE_A_ENDPOINT per message,
 *	in insertion order.  A dump that races with a change is flagged
 *	NLM_F_DUMP_INTR (restart it for a snapshot); even then, every endpoint
 *	that existed for the whole dump was sent exactly once.
 *	Replies carry ID, IFNAME, IFINDEX, ADDRs and, when a pod netns is bound,
 *	NETNSID (the pod netns' id as seen from the node netns).
 *
 * KPLANE_CMD_SERVICE_SET (admin)
 *	Create or replace, as one step, a service and its whole backend list.
 *	KPLANE_A_SERVICE nest with:
 *	  KPLANE_SVC_A_ADDR, _PORT (1..65535), _PROTO (IPPROTO_TCP/UDP)
 *	                       required: the frontend, which names the service
 *	  KPLANE_SVC_A_ID      optional label, as endpoint ids
 *	  KPLANE_SVC_A_TYPE    enum kplane_svc_type, default CLUSTER_IP
 *	  KPLANE_SVC_A_MAGLEV_SIZE  prime table size, default 1021
 *	  KPLANE_SVC_A_BACKEND 0..KPLANE_SVC_BACKENDS_MAX nests of KPLANE_BE_A_*:
 *	    ADDR (same family as the frontend), PORT (1..65535),
 *	    WEIGHT (1..KPLANE_BE_WEIGHT_MAX, default 1), STATE (enum kplane_be_state),
 *	    LOCAL (1: runs on this node)
 *	  KPLANE_SVC_A_EXT_POLICY, _INT_POLICY  enum kplane_traffic_policy
 *	  KPLANE_SVC_A_AFFINITY_TIMEOUT  0 (none) or 1..KPLANE_AFFINITY_TIMEOUT_MAX
 *	Connections pick among ACTIVE backends, or SERVING_TERMINATING ones when
 *	no backend is active; a service with neither refuses connections at once.
 *	Where a service is reached:
 *	  - connect()/sendmsg() from the node netns and registered pod netns, to
 *	    the frontend (any type) or, for NODE_PORT, to any local address of
 *	    the node: rewritten to a backend at connect time (internal policy);
 *	  - packets arriving at the node (PRE_ROUTING) for the frontend: DNAT
 *	    with reverse NAT, tracked in the node's flow table (external policy);
 *	    CLUSTER policy SNATs to the node for remote backends.
 *	A NODE_PORT frontend's address is a node address or the unspecified
 *	address (0.0.0.0 or ::), which stands for every address of the node.
 *	Errors: ENOENT node not enabled; ENOSPC service limit; EINVAL bad input.
 *
 * KPLANE_CMD_SERVICE_DEL (admin)
 *	Delete by KPLANE_A_SERVICE { ADDR, PORT, PROTO }.  ENOENT if unknown.
 *
 * KPLANE_CMD_SERVICE_GET
 *	doit: by frontend as for DEL; dumpit: every service of the node (with
 *	its backends), with the same cursor guarantee as endpoint dumps.
 *
 * KPLANE_CMD_TXN_BEGIN (admin)
 *	Opens a transaction owned by the requesting socket; replies
 *	KPLANE_A_TXN_ID.  SERVICE_SET and SERVICE_DEL carrying that
 *	KPLANE_A_TXN_ID are validated and staged, not applied; within a
 *	transaction the last change to a frontend wins.  At most 16 open per
 *	node (EBUSY); at most max_txn_ops changes each (ENOSPC).
 * KPLANE_CMD_TXN_COMMIT (admin)
 *	KPLANE_A_TXN_ID: re-checks every staged change against the tables as
 *	they are now (a deleted service must still exist, the service limit
 *	must hold) and applies all of them, or none (ENOENT/ENOSPC with a
 *	message).  Each service is swapped atomically for traffic.
 * KPLANE_CMD_TXN_ABORT (admin)
 *	KPLANE_A_TXN_ID: discards everything staged.  Closing the socket aborts
 *	its open transactions.  An unknown id (commit without begin) is ENOENT.
 */
#ifndef _UAPI_LINUX_KPLANE_H
#define _UAPI_LINUX_KPLANE_H

#define KPLANE_GENL_NAME	"kplane"
#define KPLANE_GENL_VERSION	1

/* Longest id string, including the terminating NUL. */
#define KPLANE_ID_MAX		64
/* Most addresses one endpoint may carry. */
#define KPLANE_EP_ADDR_MAX	8
/* Most backends one service may have, and the largest backend weight. */
#define KPLANE_SVC_BACKENDS_MAX	1024
#define KPLANE_BE_WEIGHT_MAX	65535

enum kplane_svc_type {
	KPLANE_SVC_CLUSTER_IP,
	KPLANE_SVC_NODE_PORT,
	KPLANE_SVC_EXTERNAL_IP,
	KPLANE_SVC_LOAD_BALANCER,
	__KPLANE_SVC_TYPE_MAX,
};

enum kplane_be_state {
	KPLANE_BE_ACTIVE,
	KPLANE_BE_TERMINATING,		/* existing flows only */
	KPLANE_BE_SERVING_TERMINATING,	/* used only when no backend is active */
	__KPLANE_BE_STATE_MAX,
};

/* externalTrafficPolicy / internalTrafficPolicy. */
enum kplane_traffic_policy {
	KPLANE_POLICY_CLUSTER,		/* any usable backend */
	KPLANE_POLICY_LOCAL,		/* node-local backends only; no SNAT */
	__KPLANE_POLICY_MAX,
};

/* Longest ClientIP affinity, as Kubernetes' timeoutSeconds. */
#define KPLANE_AFFINITY_TIMEOUT_MAX	86400

/* What a policy rule does with a packet it matches (Calico's actions). */
enum kplane_action {
	KPLANE_ACTION_ALLOW,
	KPLANE_ACTION_DENY,
	KPLANE_ACTION_PASS,		/* skip to the next tier */
	KPLANE_ACTION_LOG,		/* log the packet, go on with the next rule */
	__KPLANE_ACTION_MAX,
};

/* Directions, seen from the endpoint. */
enum kplane_dir {
	KPLANE_DIR_INGRESS,		/* to the endpoint */
	KPLANE_DIR_EGRESS,		/* from the endpoint */
	__KPLANE_DIR_MAX,
};

/* Bits of KPLANE_POL_A_TYPES. */
#define KPLANE_POLICY_INGRESS	(1U << KPLANE_DIR_INGRESS)
#define KPLANE_POLICY_EGRESS	(1U << KPLANE_DIR_EGRESS)

/* Why a verdict was reached (KPLANE_TRACE_A_REASON). */
enum kplane_verdict_reason {
	KPLANE_REASON_NO_POLICY,	/* no tier had a policy for the direction: allowed */
	KPLANE_REASON_RULE,		/* an Allow or Deny rule decided */
	KPLANE_REASON_END_OF_TIER,	/* policies in the tier, none decided: denied */
	KPLANE_REASON_PASSED,		/* every tier passed it on: allowed */
	__KPLANE_REASON_MAX,
};

enum kplane_cmd {
	KPLANE_CMD_UNSPEC,
	KPLANE_CMD_NODE_ENABLE,
	KPLANE_CMD_NODE_DISABLE,
	KPLANE_CMD_NODE_GET,
	KPLANE_CMD_ENDPOINT_ADD,
	KPLANE_CMD_ENDPOINT_DEL,
	KPLANE_CMD_ENDPOINT_GET,
	KPLANE_CMD_SERVICE_SET,
	KPLANE_CMD_SERVICE_DEL,
	KPLANE_CMD_SERVICE_GET,
	KPLANE_CMD_TXN_BEGIN,
	KPLANE_CMD_TXN_COMMIT,
	KPLANE_CMD_TXN_ABORT,

	__KPLANE_CMD_MAX,
	KPLANE_CMD_MAX = __KPLANE_CMD_MAX - 1
};

/* Top level attributes. */
enum kplane_attr {
	KPLANE_A_UNSPEC,
	KPLANE_A_VERSION,		/* u32 */
	KPLANE_A_NODE_ENABLED,		/* u8 */
	KPLANE_A_GENERATION,		/* u32, bumped by every change */
	KPLANE_A_ENDPOINT_COUNT,	/* u32 */
	KPLANE_A_ENDPOINT_LIMIT,	/* u32 */
	KPLANE_A_COUNTERS,		/* nest, KPLANE_COUNTER_A_* */
	KPLANE_A_ENDPOINT,		/* nest, KPLANE_EP_A_* */
	KPLANE_A_SERVICE,		/* nest, KPLANE_SVC_A_* */
	KPLANE_A_SERVICE_COUNT,		/* u32 */
	KPLANE_A_SERVICE_LIMIT,		/* u32 */
	KPLANE_A_FLOW_COUNT,		/* u32, flows in the node's flow table */
	KPLANE_A_FLOW_LIMIT,		/* u32 */
	KPLANE_A_TXN_ID,		/* u32, a transaction of this socket */

	__KPLANE_A_MAX,
	KPLANE_A_MAX = __KPLANE_A_MAX - 1
};

/* Inside KPLANE_A_COUNTERS; all u64. */
enum kplane_counter_attr {
	KPLANE_COUNTER_A_UNSPEC,
	KPLANE_COUNTER_A_PAD,
	KPLANE_COUNTER_A_RX_PACKETS,	/* packets seen at the node's hooks */
	KPLANE_COUNTER_A_RX_BYTES,
	KPLANE_COUNTER_A_EP_TABLE_FULL,	/* adds refused: endpoint limit */
	KPLANE_COUNTER_A_EP_REAPED,	/* endpoints dropped: pod netns died */
	KPLANE_COUNTER_A_SVC_TABLE_FULL,	/* service sets refused: limit */
	KPLANE_COUNTER_A_CONNECT_LB,	/* connect()s and unconnected datagrams sent to a backend */
	KPLANE_COUNTER_A_CONNECT_REFUSED,	/* connect()s to a service without backends */
	KPLANE_COUNTER_A_FLOW_CREATED,	/* packet-path flows made (external traffic) */
	KPLANE_COUNTER_A_FLOW_TABLE_FULL,	/* new flows refused: flow limit */
	KPLANE_COUNTER_A_FLOW_EXPIRED,	/* flows reclaimed by the collector */
	KPLANE_COUNTER_A_FLOW_TORN_DOWN,	/* UDP flows dropped: their backend left */
	KPLANE_COUNTER_A_NAT_PACKETS,	/* packets rewritten by the packet path */
	KPLANE_COUNTER_A_NAT_REFUSED,	/* packets to a service without backends */
	KPLANE_COUNTER_A_SNAT_EXHAUSTED,	/* new flows refused: no free SNAT port */

	__KPLANE_COUNTER_A_MAX,
	KPLANE_COUNTER_A_MAX = __KPLANE_COUNTER_A_MAX - 1
};

/* Inside KPLANE_A_ENDPOINT. */
enum kplane_endpoint_attr {
	KPLANE_EP_A_UNSPEC,
	KPLANE_EP_A_ID,			/* NUL-terminated string */
	KPLANE_EP_A_IFNAME,		/* NUL-terminated string */
	KPLANE_EP_A_IFINDEX,		/* u32, reply only */
	KPLANE_EP_A_NETNS_FD,		/* u32, request only */
	KPLANE_EP_A_NETNSID,		/* s32, reply only */
	KPLANE_EP_A_ADDR,		/* nest, KPLANE_ADDR_A_*, repeated */

	__KPLANE_EP_A_MAX,
	KPLANE_EP_A_MAX = __KPLANE_EP_A_MAX - 1
};

/* Inside KPLANE_A_SERVICE. */
enum kplane_service_attr {
	KPLANE_SVC_A_UNSPEC,
	KPLANE_SVC_A_ID,		/* NUL-terminated string */
	KPLANE_SVC_A_ADDR,		/* nest, KPLANE_ADDR_A_* */
	KPLANE_SVC_A_PORT,		/* u16, host order */
	KPLANE_SVC_A_PROTO,		/* u8, IPPROTO_TCP or IPPROTO_UDP */
	KPLANE_SVC_A_TYPE,		/* u8, enum kplane_svc_type */
	KPLANE_SVC_A_MAGLEV_SIZE,	/* u32 */
	KPLANE_SVC_A_BACKEND,		/* nest, KPLANE_BE_A_*, repeated */
	KPLANE_SVC_A_EXT_POLICY,	/* u8, enum kplane_traffic_policy */
	KPLANE_SVC_A_INT_POLICY,	/* u8, enum kplane_traffic_policy */
	KPLANE_SVC_A_AFFINITY_TIMEOUT,	/* u32 seconds, ClientIP affinity; 0: none */

	__KPLANE_SVC_A_MAX,
	KPLANE_SVC_A_MAX = __KPLANE_SVC_A_MAX - 1
};

/* Inside KPLANE_SVC_A_BACKEND. */
enum kplane_backend_attr {
	KPLANE_BE_A_UNSPEC,
	KPLANE_BE_A_ADDR,		/* nest, KPLANE_ADDR_A_* */
	KPLANE_BE_A_PORT,		/* u16, host order */
	KPLANE_BE_A_WEIGHT,		/* u32 */
	KPLANE_BE_A_STATE,		/* u8, enum kplane_be_state */
	KPLANE_BE_A_LOCAL,		/* u8, 1: the backend runs on this node */

	__KPLANE_BE_A_MAX,
	KPLANE_BE_A_MAX = __KPLANE_BE_A_MAX - 1
};

/* An IP address: inside KPLANE_EP_A_ADDR and, later, services/backends. */
enum kplane_addr_attr {
	KPLANE_ADDR_A_UNSPEC,
	KPLANE_ADDR_A_FAMILY,		/* u16, AF_INET or AF_INET6 */
	KPLANE_ADDR_A_IP,		/* binary, 4 or 16 bytes by family */

	__KPLANE_ADDR_A_MAX,
	KPLANE_ADDR_A_MAX = __KPLANE_ADDR_A_MAX - 1
};

#endif /* _UAPI_LINUX_KPLANE_H */
