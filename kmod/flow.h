/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The node's own flow table: one entry per translated connection of the
 * packet path, so later packets skip the service lookup and nf_conntrack.
 *
 * A flow is hashed under up to four tuples, one per place a packet of it is
 * met: its original direction before routing (PRE: rewrite the destination
 * to the backend) and after (POST: SNAT, if any), its reply direction before
 * routing (PRE: rewrite the destination back to the client) and after (POST:
 * rewrite the source back to the frontend).  Destinations are rewritten
 * before routing so the route follows them; sources after, because a local
 * source address arriving on an interface is a martian.
 *
 * Lookups are lockless (RCU); creation and removal take the table lock.
 * Bounded by max_flows; a delayed work reclaims idle flows.
 */
#ifndef KPLANE_FLOW_H
#define KPLANE_FLOW_H

#include <linux/rhashtable.h>
#include <linux/spinlock.h>
#include <net/tcp.h>
#include <linux/workqueue.h>
#include "match.h"
#include "service.h"

enum kp_flow_stage {
	KP_STAGE_PRE,		/* PRE_ROUTING */
	KP_STAGE_POST,		/* POST_ROUTING */
	KP_STAGE_AFFINITY,	/* not a packet: client -> service, ClientIP affinity */
	KP_STAGE_POLICY,	/* a policy verdict, keyed as packets leave NAT at PRE */
};

enum kp_flow_role {
	KP_ROLE_ORIG_PRE,	/* client -> frontend: destination := backend */
	KP_ROLE_ORIG_POST,	/* client -> backend: source := SNAT address */
	KP_ROLE_REPLY_PRE,	/* backend -> SNAT address: destination := client */
	KP_ROLE_REPLY_POST,	/* backend -> client: source := frontend */
	KP_ROLES,
};

/* A packet as the flow table keys it; compared as bytes. */
struct kp_tuple {
	u8 family;
	u8 proto;
	u8 stage;		/* enum kp_flow_stage */
	u8 pad;
	__be16 sport;
	__be16 dport;
	u8 saddr[16];
	u8 daddr[16];
};

struct kp_flow;

struct kp_flow_node {
	struct rhash_head node;
	struct kp_tuple key;
	struct kp_flow *flow;
	u8 role;		/* enum kp_flow_role */
	bool hashed;
};

/* The addresses a flow rewrites to, per direction. */
struct kp_flow_nat {
	u8 client[16];		/* c: who connected */
	u8 front[16];		/* v: the address it connected to */
	u8 backend[16];		/* b */
	u8 snat[16];		/* c': the client as the backend sees it */
	__be16 cport, fport, bport, sport;
};

struct kp_rule_stats;

/* Endpoint policies a verdict may combine (filter.h, struct kp_decision). */
#define KP_VERDICT_STEPS 3

/*
 * A cached policy verdict (KP_STAGE_POLICY flows: hashed under ORIG_PRE and
 * its reverse, REPLY_PRE).  What it depends on is kept so it can be
 * re-checked when the node's policy revision moves on: the first packet and
 * where it entered.  @rev is written last (release) and read first
 * (acquire), so a reader that sees the current revision sees its verdict.
 */
struct kp_flow_verdict {
	u32 rev;
	u8 action;			/* KPLANE_ACTION_ALLOW or _DENY */
	int in_ifindex;			/* arrival interface; 0: sent by the node */
	int out_ifindex;		/* the device a node-sent packet leaves by */
	/*
	 * Where replies arrive: the interface the original direction is
	 * routed out of; 0: the node answers itself (LOCAL_OUT).  With
	 * in_ifindex, part of what a packet must match to be the flow's (as
	 * nf_flow_table's tuples carry iifidx), so a packet with the flow's
	 * addresses from elsewhere is judged as itself.
	 */
	int reply_ifindex;
	/* The deciding rules' of each endpoint policy evaluated, or NULL. */
	struct kp_rule_stats __percpu *stats[KP_VERDICT_STEPS];
	struct kp_match_pkt first;
	/*
	 * Forwarded flows, per direction (0 original, 1 reply): the route the
	 * stack chose for them, held, so later packets are sent from the first
	 * hook (filter.c); released when the flow is freed.
	 */
	struct dst_entry *dst[2];
	u32 dst_cookie[2];
};

struct kp_flow {
	struct kp_flow_node tn[KP_ROLES];
	struct kp_flow_nat nat;
	struct kp_flow_verdict verdict;
	struct kp_svc_key svc;	/* which service made it (teardown) */
	u8 family;
	u8 proto;
	bool snat;
	u8 state;		/* enum kp_flow_state */
	bool translates;	/* a service packet-path flow (counted in nat_count) */
	unsigned long expires;	/* jiffies; refreshed by packets */
	unsigned long dead;	/* bit 0: unhashed, going away */
	struct rcu_head rcu;
};

struct kp_flow_table {
	struct rhashtable ht;
	spinlock_t lock;	/* creation and removal */
	bool tenant;		/* its node is a tenant's (budget.h) */
	/* Its node's own max_flows (settings.h); NULL (a bare table): the host's. */
	const u32 *own_max;
	atomic_t count;
	/* Flows that rewrite packets: while none exist, packets need no NAT lookup. */
	atomic_t nat_count;
	struct delayed_work gc;
	atomic64_t created;
	atomic64_t full;
	atomic64_t expired;
	atomic64_t torn_down;
	atomic64_t snat_exhausted;
};

extern unsigned int kp_max_flows;

int kp_flow_table_init(struct kp_flow_table *tbl);
/* Caller has unhooked the node and waited for packets in flight. */
void kp_flow_table_destroy(struct kp_flow_table *tbl);

/*
 * Lookups and kp_flow_seen() are inline: every packet of the fast path
 * (filter.c) makes them, and a call and its return are dear per packet.
 */
static const struct rhashtable_params kp_flow_params = {
	.head_offset = offsetof(struct kp_flow_node, node),
	.key_offset = offsetof(struct kp_flow_node, key),
	.key_len = sizeof(struct kp_tuple),
	.automatic_shrinking = true,
};

static inline struct kp_flow_node *kp_flow_lookup(struct kp_flow_table *tbl,
						  const struct kp_tuple *t)
{
	if (!atomic_read(&tbl->count))
		return NULL;
	return rhashtable_lookup(&tbl->ht, t, kp_flow_params);
}
/*
 * Creates the flow of a first packet @t (stage PRE) to @svc, translated to
 * @be; with @snat_addr non-NULL the backend sees the client as that address
 * and a port from the SNAT range.  Returns the ORIG_PRE node, or ERR_PTR:
 * -ENOSPC table full, -EADDRINUSE no free SNAT port, -ENOMEM.
 */
struct kp_flow_node *kp_flow_create(struct kp_flow_table *tbl, const struct kp_tuple *t,
				    const struct kp_service *svc, const struct kp_backend *be,
				    const u8 *snat_addr);
/*
 * Caches the verdict @v for the flow of first packet @t (stage POLICY), under
 * @t and its reverse.  Returns the ORIG_PRE node, or ERR_PTR: -ENOSPC table
 * full, -EEXIST the reverse belongs to another flow, -ENOMEM.
 */
struct kp_flow_node *kp_flow_create_verdict(struct kp_flow_table *tbl, const struct kp_tuple *t,
					    const struct kp_flow_verdict *v);
enum kp_flow_state {
	KP_FLOW_NEW,		/* nothing came back yet */
	KP_FLOW_REPLIED,
	KP_FLOW_CLOSING,	/* TCP FIN or RST seen */
};

extern unsigned int kp_flow_timeout_tcp, kp_flow_timeout_udp;

/* Unanswered flows and closed TCP ones go sooner, as in nf_conntrack. */
#define KP_FLOW_TIMEOUT_UNREPLIED	(30 * HZ)
#define KP_FLOW_TIMEOUT_SYN		(60 * HZ)
#define KP_FLOW_TIMEOUT_CLOSING		(10 * HZ)

static inline unsigned long kp_flow_timeout(const struct kp_flow *f)
{
	if (f->state == KP_FLOW_CLOSING)
		return KP_FLOW_TIMEOUT_CLOSING;
	if (f->state == KP_FLOW_NEW)
		return f->proto == IPPROTO_TCP ? KP_FLOW_TIMEOUT_SYN : KP_FLOW_TIMEOUT_UNREPLIED;
	if (f->proto == IPPROTO_TCP)
		return (unsigned long)READ_ONCE(kp_flow_timeout_tcp) * HZ;
	return (unsigned long)READ_ONCE(kp_flow_timeout_udp) * HZ;
}

/* Accounts a packet of @fn's flow: state and idle timeout. */
static inline void kp_flow_seen(struct kp_flow_node *fn, u8 tcp_flags)
{
	struct kp_flow *f = fn->flow;
	u8 state = READ_ONCE(f->state), was = state;
	unsigned long expires;
	bool changed;

	if (tcp_flags & (TCPHDR_FIN | TCPHDR_RST))
		state = KP_FLOW_CLOSING;	/* idles out in seconds, not an hour */
	else if (state == KP_FLOW_NEW && fn->role >= KP_ROLE_REPLY_PRE)
		state = KP_FLOW_REPLIED;
	changed = state != was;
	if (changed)
		WRITE_ONCE(f->state, state);
	expires = jiffies + kp_flow_timeout(f);
	/* Refresh at most about once a second: the line is shared by CPUs. */
	if (changed || time_after(expires, READ_ONCE(f->expires) + HZ))
		WRITE_ONCE(f->expires, expires);
}

/*
 * ClientIP session affinity, kept in the flow table (one tuple per client and
 * service, expiring after the service's timeout of idleness).
 * kp_affinity_get: the backend @client is bound to, if still bound and
 * usable (@local: among node-local ones); refreshes the binding.
 * kp_affinity_set: binds @client to @be, replacing an older binding.
 * Callers are in an RCU read-side section.
 */
const struct kp_backend *kp_affinity_get(struct kp_flow_table *tbl,
					 const struct kp_service *svc, const u8 *client,
					 bool local);
void kp_affinity_set(struct kp_flow_table *tbl, const struct kp_service *svc,
		     const u8 *client, const struct kp_backend *be);

/*
 * Drops the UDP flows of service @key whose backend is no longer among
 * @svc's (@svc NULL: the service is gone), so the next datagram of the same
 * 5-tuple picks a live backend.  Returns how many.
 */
unsigned int kp_flow_teardown_udp(struct kp_flow_table *tbl, const struct kp_svc_key *key,
				  const struct kp_service *svc);
/*
 * The same for every service at once, as @svcs has them now (after a
 * commit: one sweep of the flow table, not one per service it changed).
 */
unsigned int kp_flow_teardown_udp_stale(struct kp_flow_table *tbl, struct kp_svc_table *svcs);

#endif /* KPLANE_FLOW_H */
