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
 *	ENDPOINT_ADD and ENDPOINT_DEL may carry KPLANE_A_TXN_ID (see TXN_*):
 *	an add is validated and its interface and pod netns resolved at once
 *	(the netns is held until the transaction ends); conflicts, the limit
 *	and the deleted endpoint's existence are checked at commit.
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
 *	A policy change refused at commit is named by the refusal's
 *	NLMSGERR_ATTR_COOKIE: a u32 (host order), its index among the policy
 *	requests (IPSET_*, POLICY_*, ENDPOINT_ADD/DEL/POLICY) the transaction
 *	staged.
 *	KPLANE_A_TXN_ID: re-checks every staged change against the tables as
 *	they are now (a deleted service must still exist, the service limit
 *	must hold) and applies all of them, or none (ENOENT/ENOSPC with a
 *	message).  Each service is swapped atomically for traffic.
 * KPLANE_CMD_TXN_ABORT (admin)
 *	KPLANE_A_TXN_ID: discards everything staged.  Closing the socket aborts
 *	its open transactions.  An unknown id (commit without begin) is ENOENT.
 *
 * Policy (Calico semantics; see enum kplane_action and kplane_verdict_reason)
 *
 * KPLANE_CMD_IPSET_SET (admin)
 *	Create or replace a named IP set: KPLANE_A_IPSET { NAME, MEMBER* }.
 *	Members are struct kplane_prefix (host bits are cleared).  At most
 *	KPLANE_IPSET_MEMBERS_MAX members; fill a large set with several
 *	IPSET_UPDATEs (the KPLANE_A_IPSET nest, 64 KiB at most, holds about
 *	2,700 members; libkplane sends larger changes as one transaction).
 * KPLANE_CMD_IPSET_UPDATE (admin)
 *	KPLANE_A_IPSET { NAME, MEMBER* (added), REMOVE* (removed) } on an
 *	existing set; removing a member that is not there is not an error.
 * KPLANE_CMD_IPSET_DEL (admin)
 *	KPLANE_A_IPSET { NAME }.  EBUSY while a policy rule names the set.
 * KPLANE_CMD_IPSET_GET
 *	dumpit: every set, KPLANE_A_IPSET { NAME, COUNT, FIRST_MEMBER,
 *	MEMBER* }, its members sorted (family, longest prefix first); a set
 *	too large for one message continues in the next, FIRST_MEMBER > 0.
 *
 * KPLANE_CMD_POLICY_SET (admin)
 *	Create or replace a policy: KPLANE_A_POLICY { ID, TIER (default
 *	"default"), ORDER, TYPES (KPLANE_POLICY_INGRESS|EGRESS), APPLY_ON_FORWARD,
 *	INGRESS_RULE*, EGRESS_RULE* }, each rule a KPLANE_RULE_A_* nest.
 *	Endpoints that attach the policy switch to the new rules at once.
 *	A host endpoint's policies apply to traffic to and from the node
 *	itself; traffic the node forwards through a host endpoint (arriving
 *	on it, or leaving by it: pods' traffic to and from outside, NodePorts
 *	with remote backends) meets only the APPLY_ON_FORWARD ones, and is
 *	allowed when none applies.
 * KPLANE_CMD_POLICY_DEL (admin)
 *	KPLANE_A_POLICY { ID }.  EBUSY while an endpoint attaches it.
 * KPLANE_CMD_POLICY_GET
 *	dumpit: every policy with its rules and their counters.  A large
 *	policy spans several messages: each carries ID and the rules from
 *	KPLANE_POL_A_FIRST_RULE on (ingress rules, then egress ones, counted
 *	together).
 *
 * KPLANE_CMD_ENDPOINT_POLICY (admin)
 *	KPLANE_A_ENDPOINT { ID, INGRESS, EGRESS }: replaces, as one step, the
 *	tiers and policies that apply to the endpoint (ENDPOINT_ADD takes the
 *	same two attributes).  INGRESS/EGRESS: KPLANE_PROG_A_TIER* in the
 *	order the tiers are evaluated, each { NAME, POLICY* }; within a tier,
 *	policies are evaluated by their ORDER, then id.  Every policy must
 *	exist and belong to the tier it is listed under.
 *
 * KPLANE_CMD_TRACE
 *	KPLANE_A_TRACE { ENDPOINT (where the packet arrives; absent: sent by
 *	the node itself), PROTO, SRC, DST, SPORT, DPORT, ICMP_TYPE, ICMP_CODE }:
 *	evaluates that packet with the datapath's own matcher and replies
 *	KPLANE_A_TRACE { VERDICT, STEP* }, one step per endpoint policy that
 *	was evaluated, in order.
 *
 * KPLANE_CMD_NODE_SET (admin)
 *	The node's own settings, in KPLANE_A_SETTINGS { KPLANE_SET_A_* }; an
 *	attribute left out is left as it is.  The module parameters of the
 *	same names are the host's defaults (what a node follows until it sets
 *	its own, and again after DEFAULT or 0) and, for the limits, its caps
 *	(the switches and lists act in the node's own netns only: its choice):
 *	  MAX_ENDPOINTS, MAX_SERVICES, MAX_FLOWS   u32, 0: the host's;
 *	                       above the host's: ERANGE
 *	  POLICY_REJECT, BYPASS_CONNTRACK, FAST_FORWARD   u8, enum kplane_setting
 *	  FAILSAFE_IN, FAILSAFE_OUT   string "proto:port,..." ("": none;
 *	                       "default": the host's), at most 32 entries
 *	Applies at once (not in a transaction); a lower limit refuses new
 *	objects only.  ENOENT if the node is not enabled.  NODE_DISABLE forgets
 *	them.  NODE_GET replies them in KPLANE_A_SETTINGS (0, DEFAULT and
 *	"default" where the node follows the host), and the limits in force
 *	in KPLANE_A_*_LIMIT.
 *
 * Datapath: the first packet of a flow to or from an endpoint is checked
 * against the egress policy of the endpoint it comes from and the ingress
 * policy of the endpoint it goes to (host endpoints: traffic arriving for
 * the node itself, or sent by it; with APPLY_ON_FORWARD policies, also
 * traffic forwarded in by one, then out by one); the verdict is cached in the flow table
 * and the flow's packets are untracked for nf_conntrack.  Every policy, IP
 * set or endpoint change bumps a revision, and cached flows are re-checked
 * on their next packet.
 */
#ifndef _UAPI_LINUX_KPLANE_H
#define _UAPI_LINUX_KPLANE_H

#include <linux/types.h>

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

/* Policy limits. */
#define KPLANE_IPSET_MEMBERS_MAX	100000
#define KPLANE_POLICY_RULES_MAX		10000	/* per direction */
#define KPLANE_EP_TIERS_MAX		16	/* per direction */
#define KPLANE_EP_POLICIES_MAX		256	/* per endpoint, both directions */

/* An IPv4/IPv6 prefix: IP set members and rule nets. */
struct kplane_prefix {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 len;		/* prefix length */
	__u8 pad[2];		/* zero */
	__u8 addr[16];		/* network order; IPv4 in the first 4 bytes */
};

/* A port range, both ends included, host order. */
struct kplane_port_range {
	__u16 first;
	__u16 last;
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
	KPLANE_CMD_IPSET_SET,
	KPLANE_CMD_IPSET_UPDATE,
	KPLANE_CMD_IPSET_DEL,
	KPLANE_CMD_IPSET_GET,
	KPLANE_CMD_POLICY_SET,
	KPLANE_CMD_POLICY_DEL,
	KPLANE_CMD_POLICY_GET,
	KPLANE_CMD_ENDPOINT_POLICY,
	KPLANE_CMD_TRACE,
	KPLANE_CMD_NODE_SET,

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
	KPLANE_A_IPSET,			/* nest, KPLANE_IPSET_A_* */
	KPLANE_A_POLICY,		/* nest, KPLANE_POL_A_* */
	KPLANE_A_TRACE,			/* nest, KPLANE_TRACE_A_* */
	KPLANE_A_POLICY_REVISION,	/* u32, bumped by every policy, set or endpoint change */
	KPLANE_A_SETTINGS,		/* nest, KPLANE_SET_A_* */

	__KPLANE_A_MAX,
	KPLANE_A_MAX = __KPLANE_A_MAX - 1
};

/* A node's on/off setting: its own, or the host's (the module parameter). */
enum kplane_setting {
	KPLANE_SETTING_DEFAULT,
	KPLANE_SETTING_OFF,
	KPLANE_SETTING_ON,
	__KPLANE_SETTING_MAX,
};

/* Inside KPLANE_A_SETTINGS (NODE_SET, NODE_GET). */
enum kplane_settings_attr {
	KPLANE_SET_A_UNSPEC,
	KPLANE_SET_A_MAX_ENDPOINTS,	/* u32 */
	KPLANE_SET_A_MAX_SERVICES,	/* u32 */
	KPLANE_SET_A_MAX_FLOWS,		/* u32 */
	KPLANE_SET_A_POLICY_REJECT,	/* u8, enum kplane_setting */
	KPLANE_SET_A_BYPASS_CONNTRACK,	/* u8, enum kplane_setting */
	KPLANE_SET_A_FAST_FORWARD,	/* u8, enum kplane_setting */
	KPLANE_SET_A_FAILSAFE_IN,	/* string */
	KPLANE_SET_A_FAILSAFE_OUT,	/* string */

	__KPLANE_SET_A_MAX,
	KPLANE_SET_A_MAX = __KPLANE_SET_A_MAX - 1
};

/* Longest failsafe list string, with its NUL ("sctp:65535," is 11 bytes). */
#define KPLANE_FAILSAFE_STR_MAX	384

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
	KPLANE_COUNTER_A_POLICY_CHECKED,	/* packets evaluated against policy */
	KPLANE_COUNTER_A_POLICY_BYPASSED,	/* packets of approved flows that skipped it */
	KPLANE_COUNTER_A_POLICY_DENIED,		/* packets dropped by policy */
	KPLANE_COUNTER_A_POLICY_FAILSAFE,	/* packets passed for a failsafe port (host
					 * endpoint policy skipped, or the table full) */
	KPLANE_COUNTER_A_FAST_FORWARDED,	/* packets of approved forwarded flows sent
					 * from the first hook (no route lookup, no FORWARD) */
	KPLANE_COUNTER_A_POLICY_RELATED,	/* ICMP errors passed as part of the
					 * approved flow whose packet they quote */
	KPLANE_COUNTER_A_SPOOFED,	/* packets from a workload's interface with a
					 * source not the workload's: dropped */
	KPLANE_COUNTER_A_LB_SOCKET_FULL,	/* sockets whose service is not remembered:
					 * the node's share of the table, or the
					 * host's (tenants': half), was full */
	KPLANE_COUNTER_A_PROBE_MISSED,	/* host-wide: connect-time probe hits missed
					 * (no free return instance, reentry) */

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
	KPLANE_EP_A_HOST,		/* u8, 1: a host endpoint (a node interface) */
	KPLANE_EP_A_INGRESS,		/* nest, KPLANE_PROG_A_* */
	KPLANE_EP_A_EGRESS,		/* nest, KPLANE_PROG_A_* */

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

/* Inside KPLANE_EP_A_INGRESS and _EGRESS. */
enum kplane_prog_attr {
	KPLANE_PROG_A_UNSPEC,
	KPLANE_PROG_A_TIER,		/* nest, KPLANE_TIER_A_*, repeated, in order */

	__KPLANE_PROG_A_MAX,
	KPLANE_PROG_A_MAX = __KPLANE_PROG_A_MAX - 1
};

enum kplane_tier_attr {
	KPLANE_TIER_A_UNSPEC,
	KPLANE_TIER_A_NAME,		/* string */
	KPLANE_TIER_A_POLICY,		/* string, a policy id, repeated */

	__KPLANE_TIER_A_MAX,
	KPLANE_TIER_A_MAX = __KPLANE_TIER_A_MAX - 1
};

/* Inside KPLANE_A_IPSET. */
enum kplane_ipset_attr {
	KPLANE_IPSET_A_UNSPEC,
	KPLANE_IPSET_A_NAME,		/* string */
	KPLANE_IPSET_A_MEMBER,		/* struct kplane_prefix, repeated */
	KPLANE_IPSET_A_REMOVE,		/* struct kplane_prefix, repeated (UPDATE) */
	KPLANE_IPSET_A_COUNT,		/* u32, reply only */
	KPLANE_IPSET_A_FIRST_MEMBER,	/* u32, reply only: index of this
					 * message's first MEMBER (a large set
					 * spans several dump messages) */

	__KPLANE_IPSET_A_MAX,
	KPLANE_IPSET_A_MAX = __KPLANE_IPSET_A_MAX - 1
};

/* Inside KPLANE_A_POLICY. */
enum kplane_policy_attr {
	KPLANE_POL_A_UNSPEC,
	KPLANE_POL_A_ID,		/* string */
	KPLANE_POL_A_TIER,		/* string */
	KPLANE_POL_A_ORDER,		/* u32, lower first */
	KPLANE_POL_A_TYPES,		/* u8, KPLANE_POLICY_INGRESS | _EGRESS */
	KPLANE_POL_A_INGRESS_RULE,	/* nest, KPLANE_RULE_A_*, repeated */
	KPLANE_POL_A_EGRESS_RULE,	/* nest, KPLANE_RULE_A_*, repeated */
	KPLANE_POL_A_FIRST_RULE,	/* u32, reply only: index of the first rule sent */
	KPLANE_POL_A_APPLY_ON_FORWARD,	/* u8, 1: also applies to traffic a host
					 * endpoint forwards (Calico's applyOnForward) */

	__KPLANE_POL_A_MAX,
	KPLANE_POL_A_MAX = __KPLANE_POL_A_MAX - 1
};

/* A rule; every criterion given must hold. */
enum kplane_rule_attr {
	KPLANE_RULE_A_UNSPEC,
	KPLANE_RULE_A_PAD,
	KPLANE_RULE_A_ACTION,		/* u8, enum kplane_action (required) */
	KPLANE_RULE_A_PROTO,		/* u8, IPPROTO_* */
	KPLANE_RULE_A_NOT_PROTO,	/* u8 */
	KPLANE_RULE_A_ICMP_TYPE,	/* u8, 0..254; needs PROTO icmp/icmpv6 */
	KPLANE_RULE_A_ICMP_CODE,	/* u8; needs ICMP_TYPE */
	KPLANE_RULE_A_NOT_ICMP_TYPE,	/* u8 */
	KPLANE_RULE_A_NOT_ICMP_CODE,	/* u8; needs NOT_ICMP_TYPE */
	KPLANE_RULE_A_SRC,		/* nest, KPLANE_SIDE_A_* */
	KPLANE_RULE_A_DST,		/* nest, KPLANE_SIDE_A_* */
	KPLANE_RULE_A_PACKETS,		/* u64, reply only */
	KPLANE_RULE_A_BYTES,		/* u64, reply only */

	__KPLANE_RULE_A_MAX,
	KPLANE_RULE_A_MAX = __KPLANE_RULE_A_MAX - 1
};

/* Source or destination side of a rule. */
enum kplane_side_attr {
	KPLANE_SIDE_A_UNSPEC,
	KPLANE_SIDE_A_NET,		/* struct kplane_prefix, repeated: in any */
	KPLANE_SIDE_A_NOT_NET,		/* struct kplane_prefix, repeated: in none */
	KPLANE_SIDE_A_SET,		/* string, IP set name, repeated: in every */
	KPLANE_SIDE_A_NOT_SET,		/* string, repeated: in none */
	KPLANE_SIDE_A_PORT,		/* struct kplane_port_range, repeated: in any */
	KPLANE_SIDE_A_NOT_PORT,		/* struct kplane_port_range, repeated: in none */

	__KPLANE_SIDE_A_MAX,
	KPLANE_SIDE_A_MAX = __KPLANE_SIDE_A_MAX - 1
};

/* Inside KPLANE_A_TRACE. */
enum kplane_trace_attr {
	KPLANE_TRACE_A_UNSPEC,
	KPLANE_TRACE_A_ENDPOINT,	/* string: where the packet arrives */
	KPLANE_TRACE_A_PROTO,		/* u8 (required) */
	KPLANE_TRACE_A_SRC,		/* nest, KPLANE_ADDR_A_* (required) */
	KPLANE_TRACE_A_DST,		/* nest, KPLANE_ADDR_A_* (required) */
	KPLANE_TRACE_A_SPORT,		/* u16 */
	KPLANE_TRACE_A_DPORT,		/* u16 */
	KPLANE_TRACE_A_ICMP_TYPE,	/* u8 */
	KPLANE_TRACE_A_ICMP_CODE,	/* u8 */
	KPLANE_TRACE_A_VERDICT,		/* u8, reply: KPLANE_ACTION_ALLOW or _DENY */
	KPLANE_TRACE_A_STEP,		/* nest, KPLANE_STEP_A_*, reply, repeated */

	__KPLANE_TRACE_A_MAX,
	KPLANE_TRACE_A_MAX = __KPLANE_TRACE_A_MAX - 1
};

/* One evaluated endpoint policy of a trace. */
enum kplane_step_attr {
	KPLANE_STEP_A_UNSPEC,
	KPLANE_STEP_A_ENDPOINT,		/* string */
	KPLANE_STEP_A_DIR,		/* u8, enum kplane_dir */
	KPLANE_STEP_A_ACTION,		/* u8, ALLOW or DENY */
	KPLANE_STEP_A_REASON,		/* u8, enum kplane_verdict_reason */
	KPLANE_STEP_A_TIER,		/* string, when a tier decided */
	KPLANE_STEP_A_POLICY,		/* string, when a rule decided */
	KPLANE_STEP_A_RULE,		/* u32, its index among the direction's rules */
	KPLANE_STEP_A_FORWARDED,	/* u8, 1: a host endpoint's policy for traffic it
					 * forwards (only APPLY_ON_FORWARD policies) */

	__KPLANE_STEP_A_MAX,
	KPLANE_STEP_A_MAX = __KPLANE_STEP_A_MAX - 1
};

#endif /* _UAPI_LINUX_KPLANE_H */
