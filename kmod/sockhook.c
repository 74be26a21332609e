// SPDX-License-Identifier: GPL-2.0
/* Connect-time LB: see sockhook.h. */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include "budget.h"
#include "lb.h"
#include "node.h"
#include "service.h"
#include "sockhook.h"

static unsigned int kp_max_lb_sockets = 1 << 20;
module_param_named(max_lb_sockets, kp_max_lb_sockets, uint, 0644);
MODULE_PARM_DESC(max_lb_sockets,
		 "Most load-balanced sockets whose service address is remembered (default 1M)");
/* One node (and its pods) may not take what every other node's sockets need. */
static unsigned int kp_max_lb_sockets_node = 1 << 17;
module_param_named(max_lb_sockets_per_node, kp_max_lb_sockets_node, uint, 0644);
MODULE_PARM_DESC(max_lb_sockets_per_node,
		 "Most of those one node's sockets and its pods' may hold (default 128K)");

/*
 * What a load-balanced socket must be shown: the service it connect()ed to
 * (getpeername) and, for unconnected UDP, which service each backend it
 * sent to stands for (recvfrom's source).  One per socket, dropped when the
 * socket is released.
 */
struct kp_lb_sock {
	struct rhash_head node;
	const struct sock *sk;
	struct kp_budget *quota;	/* the serving node's socket share, charged */
	spinlock_t lock;		/* connected fields, stale and revs */
	bool connected;
	bool stale;			/* its backend left: re-steer at next send */
	struct kp_svc_key svc;		/* the connected service */
	struct kp_svc_key backend;	/* and the backend it went to */
	struct hlist_head revs;		/* struct kp_lb_rev, unconnected UDP */
	unsigned int n_revs;
	struct rcu_head rcu;
};

/* Backend -> service, for one socket's unconnected datagrams. */
struct kp_lb_rev {
	struct hlist_node link;
	struct kp_svc_key backend;	/* proto unused */
	struct kp_svc_key svc;
	struct rcu_head rcu;
};

/* Backends one unconnected UDP socket may be answered from, remembered. */
#define KP_LB_REVS_MAX 64

static const struct rhashtable_params kp_lb_sock_params = {
	.head_offset = offsetof(struct kp_lb_sock, node),
	.key_offset = offsetof(struct kp_lb_sock, sk),
	.key_len = sizeof(struct sock *),
	.automatic_shrinking = true,
};

static struct rhashtable kp_lb_socks;
/* Enabled nodes: the probes are registered while there is one. */
static DEFINE_MUTEX(kp_sockhook_lock);
static unsigned int kp_sockhook_users;	/* written under kp_sockhook_lock */
static struct kp_pool kp_lb_sock_count;	/* records, over all nodes */
/*
 * Whether the socket table may be read: cleared by the last
 * kp_sockhook_put a grace period before the table is emptied, so code
 * outside the probe handlers (the stubs below, after they slept) finds
 * nothing rather than freed buckets.  Read under RCU.
 */
static bool kp_lb_table_live;
/*
 * Return instances held by sockets of netns owned by a user namespace other
 * than the host's (tenants): together at most half of each pool, so the
 * host's own nodes always have the rest.
 */
static atomic_t kp_tenant_getname, kp_tenant_recvmsg;
/* Records marked stale: while none is, a connected send costs one read. */
static atomic_t kp_lb_stale_count = ATOMIC_INIT(0);

static struct kp_lb_sock *kp_lb_sock_find(const struct sock *sk)
{
	if (!READ_ONCE(kp_lb_table_live) || !atomic_long_read(&kp_lb_sock_count.all))
		return NULL;
	return rhashtable_lookup(&kp_lb_socks, &sk, kp_lb_sock_params);
}

/* Caller holds e->lock. */
static void kp_lb_sock_set_stale(struct kp_lb_sock *e, bool stale)
{
	if (e->stale == stale)
		return;
	WRITE_ONCE(e->stale, stale);
	if (stale)
		atomic_inc(&kp_lb_stale_count);
	else
		atomic_dec(&kp_lb_stale_count);
}

static void kp_lb_sock_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct kp_lb_sock, rcu));
}

static void kp_lb_sock_release(struct kp_lb_sock *e)
{
	struct kp_lb_rev *r;
	struct hlist_node *tmp;

	spin_lock(&e->lock);
	kp_lb_sock_set_stale(e, false);
	hlist_for_each_entry_safe(r, tmp, &e->revs, link) {
		hlist_del_rcu(&r->link);
		kfree_rcu(r, rcu);
	}
	spin_unlock(&e->lock);
	kp_budget_uncharge(e->quota, &kp_lb_sock_count, 1);
	kp_budget_put(e->quota);
	call_rcu(&e->rcu, kp_lb_sock_free_rcu);
}

static void kp_lb_sock_forget(const struct sock *sk)
{
	struct kp_lb_sock *e;

	rcu_read_lock();
	e = kp_lb_sock_find(sk);
	if (e && !rhashtable_remove_fast(&kp_lb_socks, &e->node, kp_lb_sock_params))
		kp_lb_sock_release(e);
	rcu_read_unlock();
}

/*
 * Finds or makes the socket's entry, charged to @node (the one serving it)
 * and to the caller's memory cgroup; NULL when the host's table or the
 * node's share of it is full (then the socket shows backends: degraded, not
 * broken).  Caller is in an RCU read section.
 */
static struct kp_lb_sock *kp_lb_sock_get(struct kp_node *node, const struct sock *sk)
{
	struct kp_lb_sock *e = kp_lb_sock_find(sk), *old = NULL;

	if (e)
		return e;
	if (!kp_budget_charge(node->lb_quota, READ_ONCE(kp_max_lb_sockets_node),
			      &kp_lb_sock_count, READ_ONCE(kp_max_lb_sockets), 1))
		return NULL;
	e = kzalloc(sizeof(*e), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!e)
		goto uncharge;
	e->sk = sk;
	e->quota = kp_budget_get(node->lb_quota);
	spin_lock_init(&e->lock);
	INIT_HLIST_HEAD(&e->revs);
	old = rhashtable_lookup_get_insert_fast(&kp_lb_socks, &e->node, kp_lb_sock_params);
	if (!old)
		return e;
	kp_budget_put(e->quota);
	kfree(e);
uncharge:
	kp_budget_uncharge(node->lb_quota, &kp_lb_sock_count, 1);
	return IS_ERR_OR_NULL(old) ? NULL : old;
}

/* The key of @be as the address a socket sends to. */
static void kp_backend_key(struct kp_svc_key *out, const struct kp_svc_key *svc,
			   const struct kp_backend *be)
{
	*out = *svc;
	memcpy(out->addr, be->addr.ip, sizeof(out->addr));
	out->port = be->port;
}

/* @sk connect()ed to @svc on @node, which sent it to @backend. */
static void kp_lb_sock_connected(struct kp_node *node, const struct sock *sk,
				 const struct kp_svc_key *svc, const struct kp_svc_key *backend)
{
	struct kp_lb_sock *e = kp_lb_sock_get(node, sk);

	if (!e)
		return;
	spin_lock(&e->lock);
	e->connected = true;
	kp_lb_sock_set_stale(e, false);
	e->svc = *svc;
	e->backend = *backend;
	spin_unlock(&e->lock);
}

/*
 * @sk connect()s to @dest, no service, or (NULL) disconnects: it stops
 * naming a service, unless @dest is its own backend (a TCP connect called
 * again to complete, as io_uring and non-blocking callers do, with the
 * address we rewrote).
 */
static void kp_lb_sock_left(const struct sock *sk, const struct kp_svc_key *dest)
{
	struct kp_lb_sock *e;

	rcu_read_lock();
	e = kp_lb_sock_find(sk);
	if (e) {
		spin_lock(&e->lock);
		if (!dest || memcmp(dest, &e->backend, sizeof(*dest))) {
			e->connected = false;
			kp_lb_sock_set_stale(e, false);
		}
		spin_unlock(&e->lock);
	}
	rcu_read_unlock();
}

/*
 * The backend a TCP socket already connecting to @svc was sent to: a
 * second connect() to the service (a non-blocking caller asking whether it
 * is done) must name the same one, not a new pick.  Caller holds RCU.
 */
static bool kp_lb_sock_connecting(const struct sock *sk, const struct kp_svc_key *svc,
				  struct kp_svc_key *backend)
{
	struct kp_lb_sock *e;
	bool found = false;

	if (sk->sk_protocol != IPPROTO_TCP || READ_ONCE(sk->sk_state) == TCP_CLOSE)
		return false;
	e = kp_lb_sock_find(sk);
	if (!e)
		return false;
	spin_lock(&e->lock);
	if (e->connected && !memcmp(&e->svc, svc, sizeof(*svc))) {
		*backend = e->backend;
		found = true;
	}
	spin_unlock(&e->lock);
	return found;
}

static struct kp_lb_rev *kp_lb_rev_find(struct kp_lb_sock *e, const struct kp_svc_key *backend)
{
	struct kp_lb_rev *r;

	hlist_for_each_entry_rcu(r, &e->revs, link)
		if (!memcmp(&r->backend, backend, sizeof(*backend)))
			return r;
	return NULL;
}

/* Remembers that answers from @backend on @sk are @svc's. */
static void kp_lb_sock_sent(struct kp_node *node, const struct sock *sk,
			    const struct kp_svc_key *backend, const struct kp_svc_key *svc)
{
	struct kp_lb_sock *e = kp_lb_sock_get(node, sk);
	struct kp_lb_rev *r;

	if (!e)
		return;
	spin_lock(&e->lock);
	r = kp_lb_rev_find(e, backend);
	if (!r && e->n_revs < KP_LB_REVS_MAX) {
		r = kzalloc(sizeof(*r), GFP_ATOMIC | __GFP_ACCOUNT);
		if (r) {
			r->backend = *backend;
			hlist_add_head_rcu(&r->link, &e->revs);
			e->n_revs++;
		}
	}
	if (r)
		r->svc = *svc;
	spin_unlock(&e->lock);
}

/*
 * Whether the protocol will take an @sa address at all, so that what we
 * record follows a call that can succeed: its own family, or (an AF_INET6
 * UDP socket) an AF_INET one, which ip6_datagram_connect and
 * udpv6_sendmsg accept.
 */
static bool kp_sockaddr_fits(const struct sock *sk, const struct sockaddr *sa)
{
	return sa->sa_family == sk->sk_family ||
	       (sk->sk_family == AF_INET6 && sa->sa_family == AF_INET &&
		sk->sk_protocol == IPPROTO_UDP && !ipv6_only_sock(sk));
}

/* Whether a connect() to @sa (@len bytes) disconnects (AF_UNSPEC). */
static bool kp_sockaddr_unspec(const struct sockaddr *sa, int len)
{
	return len >= (int)sizeof(sa->sa_family) && sa->sa_family == AF_UNSPEC;
}

/*
 * The service key of a connect() or datagram address, or false if it cannot
 * be one.  A v4-mapped IPv6 address (an AF_INET6 socket reaching IPv4, as
 * Java's are) is the IPv4 service's key.
 */
static bool kp_sockaddr_key(const struct sock *sk, const struct sockaddr *sa, int len,
			    struct kp_svc_key *key)
{
	memset(key, 0, sizeof(*key));
	key->proto = sk->sk_protocol;
	if ((key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP) ||
	    len < (int)sizeof(sa->sa_family) || !kp_sockaddr_fits(sk, sa))
		return false;
	if (sa->sa_family == AF_INET && len >= (int)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		key->family = AF_INET;
		key->port = sin->sin_port;
		memcpy(key->addr, &sin->sin_addr, 4);
		return true;
	}
	/* The protocols take the RFC 2133 size too: no scope id. */
	if (sa->sa_family == AF_INET6 && len >= SIN6_LEN_RFC2133) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		bool mapped = ipv6_addr_v4mapped(&sin6->sin6_addr);

		if (mapped && ipv6_only_sock(sk))
			return false;	/* refused by the protocol */

		key->family = mapped ? AF_INET : AF_INET6;
		key->port = sin6->sin6_port;
		if (mapped)
			memcpy(key->addr, &sin6->sin6_addr.s6_addr32[3], 4);
		else
			memcpy(key->addr, &sin6->sin6_addr, 16);
		return true;
	}
	return false;
}

/*
 * Writes @key's address and port into @sa, in @sa's own family (an IPv4 one
 * into an AF_INET6 address as v4-mapped); leaves @sa alone if it cannot
 * hold it.
 */
static void kp_sockaddr_set(struct sockaddr *sa, const struct kp_svc_key *key)
{
	struct sockaddr_in6 *sin6 = (void *)sa;
	struct sockaddr_in *sin = (void *)sa;

	if (sa->sa_family == AF_INET && key->family == AF_INET) {
		sin->sin_port = key->port;
		memcpy(&sin->sin_addr, key->addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		sin6->sin6_port = key->port;
		if (key->family == AF_INET6)
			memcpy(&sin6->sin6_addr, key->addr, 16);
		else
			ipv6_addr_set_v4mapped(*(const __be32 *)key->addr, &sin6->sin6_addr);
	}
}

static void kp_count_connect(struct kp_node *node, bool refused)
{
	if (refused)
		kp_node_inc(node, connect_refused);
	else
		kp_node_inc(node, connect_lb);
}

/*
 * Who the client is for ClientIP affinity: the socket's bound address, else
 * its pod's address of that family, else (an unbound node socket) the node
 * as one client.
 */
static void kp_sock_client(const struct sock *sk, u8 family, u8 *out)
{
	const struct kp_endpoint *ep;
	unsigned int i;

	memset(out, 0, 16);
	if (family == AF_INET && sk->sk_rcv_saddr) {
		memcpy(out, &sk->sk_rcv_saddr, 4);
		return;
	}
	if (family == AF_INET6 && !ipv6_addr_any(&sk->sk_v6_rcv_saddr)) {
		memcpy(out, &sk->sk_v6_rcv_saddr, 16);
		return;
	}
	ep = kp_ep_lookup_netns(sock_net(sk));
	for (i = 0; ep && i < ep->n_addrs; i++) {
		if (ep->addrs[i].family == family) {
			memcpy(out, ep->addrs[i].ip, 16);
			return;
		}
	}
}

/* A backend for a connect() or datagram from @sk (internal traffic policy). */
static const struct kp_backend *kp_sock_pick(struct kp_node *node,
					     const struct kp_service *svc,
					     const struct sock *sk)
{
	u8 client[16];

	if (svc->affinity_timeout)
		kp_sock_client(sk, svc->key.family, client);
	return kp_lb_pick(node, svc, client, get_random_u64(),
			    svc->int_policy == KPLANE_POLICY_LOCAL);
}

/*
 * Sends the probed call into @stub: module code that runs after the probe
 * handler returned and may sleep, so it holds a module reference, dropped
 * as it leaves (kp_diverted_done); the few instructions after that are
 * covered by the tasks-RCU grace period of module exit.  0: the module is
 * going, the call goes on as if not probed.
 */
static int kp_divert(struct pt_regs *regs, void *stub)
{
	if (!try_module_get(THIS_MODULE))
		return 0;
	instruction_pointer_set(regs, (unsigned long)stub);
	return 1;	/* do not single-step the probed instruction */
}

static void kp_diverted_done(void)
{
	module_put(THIS_MODULE);
}

/*
 * Entered instead of the connect function when a service has no usable
 * backend: the caller gets ECONNREFUSED at once, nothing is sent.
 */
static noinline int kp_connect_refused(struct socket *sock, struct sockaddr *uaddr,
				       int addr_len, int flags)
{
	kp_diverted_done();
	return -ECONNREFUSED;
}

/* The same for a datagram or a Fast Open SYN to such a service. */
static noinline int kp_sendmsg_refused(struct sock *sk, struct msghdr *msg, size_t len)
{
	kp_diverted_done();
	return -ECONNREFUSED;
}

/*
 * @sk connects to @uaddr (kernel copy, rewritten in place): a service's
 * address becomes a backend's, or the call is sent to @refused; any other
 * address (AF_UNSPEC included) ends what the socket was shown.
 */
static int kp_connect_to(struct sock *sk, struct sockaddr *uaddr, int len,
			 struct pt_regs *regs, void *refused)
{
	struct kp_svc_key key, backend;
	const struct kp_backend *be;
	struct kp_service *svc;
	struct kp_node *node;
	int ret = 0;

	if (sk->sk_kern_sock)
		return 0;
	if (!kp_sockaddr_key(sk, uaddr, len, &key)) {
		if (kp_sockaddr_unspec(uaddr, len))
			kp_lb_sock_left(sk, NULL);
		return 0;
	}
	rcu_read_lock();
	node = kp_node_serving(sock_net(sk));
	svc = node ? kp_lb_service(node, &key) : NULL;
	if (!svc) {
		/*
		 * UDP reconnects at will.  TCP connects anew only from CLOSE
		 * (an established socket's connect fails, EISCONN), and a call
		 * naming its own backend completes the connect under way.
		 */
		if (key.proto == IPPROTO_UDP)
			kp_lb_sock_left(sk, NULL);
		else if (READ_ONCE(sk->sk_state) == TCP_CLOSE)
			kp_lb_sock_left(sk, &key);
	} else if (kp_lb_sock_connecting(sk, &key, &backend)) {
		kp_sockaddr_set(uaddr, &backend);
	} else {
		be = kp_sock_pick(node, svc, sk);
		if (be) {
			kp_backend_key(&backend, &key, be);
			kp_sockaddr_set(uaddr, &backend);
			kp_lb_sock_connected(node, sk, &key, &backend);
		} else {
			ret = kp_divert(regs, refused);
		}
		kp_count_connect(node, !be);
	}
	rcu_read_unlock();
	return ret;
}

/* inet_stream_connect, inet_dgram_connect (AF_INET and AF_INET6 sockets). */
static int kp_connect_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct socket *sock = (struct socket *)regs_get_kernel_argument(regs, 0);
	struct sockaddr *uaddr = (struct sockaddr *)regs_get_kernel_argument(regs, 1);
	int len = (int)regs_get_kernel_argument(regs, 2);

	return sock->sk ? kp_connect_to(sock->sk, uaddr, len, regs, kp_connect_refused) : 0;
}

/* tcp_sendmsg_fastopen: sendto(MSG_FASTOPEN) connects without connect(). */
static int kp_fastopen_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	struct msghdr *msg = (struct msghdr *)regs_get_kernel_argument(regs, 1);

	/* AF_UNSPEC: tcp_sendmsg_fastopen refuses it, disconnecting nothing. */
	if (!msg->msg_name || kp_sockaddr_unspec(msg->msg_name, msg->msg_namelen))
		return 0;
	return kp_connect_to(sk, msg->msg_name, msg->msg_namelen, regs, kp_sendmsg_refused);
}

static int kp_release_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct socket *sock = (struct socket *)regs_get_kernel_argument(regs, 0);

	if (sock->sk)
		kp_lb_sock_forget(sock->sk);
	return 0;
}

struct kp_getname_args {
	struct socket *sock;
	struct sockaddr *uaddr;
	int peer;
	atomic_t *tenant;	/* the tenants' count it holds, or NULL */
};

/*
 * Whether @sk may hold one of @ri's pool: always for the host's own netns;
 * for a tenant's (a netns of another user namespace) while tenants hold
 * under half of it.  *@tenant: the count to give back at return.
 */
static bool kp_instance_take(struct kretprobe_instance *ri, const struct sock *sk,
			     atomic_t *tenants, atomic_t **tenant)
{
	*tenant = NULL;
	if (!kp_net_is_tenant(sock_net(sk)))
		return true;
	if (atomic_inc_return(tenants) > get_kretprobe(ri)->maxactive / 2) {
		atomic_dec(tenants);
		return false;
	}
	*tenant = tenants;
	return true;
}

static void kp_instance_give(atomic_t *tenant)
{
	if (tenant)
		atomic_dec(tenant);
}

/* Whether @sk connect()ed to a service, as far as a lockless look can tell. */
static bool kp_lb_sock_is_connected(const struct sock *sk)
{
	struct kp_lb_sock *e;
	bool connected;

	rcu_read_lock();
	e = kp_lb_sock_find(sk);
	connected = e && READ_ONCE(e->connected);
	rcu_read_unlock();
	return connected;
}

/*
 * Only getpeername() (and accept's peer: a new socket, never ours) of a
 * socket that connected to a service takes a return instance: the pool is
 * shared by every inet socket on the host.
 */
static int kp_getname_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kp_getname_args *a = (void *)ri->data;

	a->sock = (struct socket *)regs_get_kernel_argument(regs, 0);
	a->uaddr = (struct sockaddr *)regs_get_kernel_argument(regs, 1);
	a->peer = (int)regs_get_kernel_argument(regs, 2);
	if (!a->peer || !a->sock->sk || !kp_lb_sock_is_connected(a->sock->sk))
		return 1;
	return kp_instance_take(ri, a->sock->sk, &kp_tenant_getname, &a->tenant) ? 0 : 1;
}

static int kp_getname_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kp_getname_args *a = (void *)ri->data;
	struct kp_lb_sock *e;

	kp_instance_give(a->tenant);
	if ((long)regs_return_value(regs) <= 0 || !a->sock->sk)
		return 0;
	rcu_read_lock();
	e = kp_lb_sock_find(a->sock->sk);
	if (e) {
		spin_lock(&e->lock);
		if (e->connected)
			kp_sockaddr_set(a->uaddr, &e->svc);
		spin_unlock(&e->lock);
	}
	rcu_read_unlock();
	return 0;
}

/*
 * The service whose backend @e's connected UDP socket lost: @svc, or (NULL)
 * any, as the table has it now; NULL if none.  Caller holds @e->lock.
 */
static const struct kp_service *kp_lb_sock_stale(struct kp_node *node,
						 const struct kp_service *svc,
						 const struct kp_lb_sock *e)
{
	if (!e->connected || e->svc.proto != IPPROTO_UDP)
		return NULL;
	if (!svc)	/* e->svc is the address connected to (a NodePort: one of the node's) */
		svc = kp_lb_service(node, &e->svc);
	else if (memcmp(&e->svc, &svc->key, sizeof(e->svc)))
		return NULL;
	return svc && !kp_svc_has_backend(svc, e->backend.addr, e->backend.port) ? svc : NULL;
}

#define KP_LB_WALK_BATCH 1024

/*
 * Calls @visit on every record, in RCU sections of a bounded size (up to
 * max_lb_sockets records: let RCU and others in).  Records only, never
 * their sockets: a TCP socket may be freed without a grace period once its
 * record is gone.  Caller holds its node's lock, and the node is one of
 * the users: the table is there.  Walks of different nodes may run at once;
 * each changes only its node's records.
 */
static void kp_lb_socks_walk(void (*visit)(struct kp_lb_sock *e, const void *arg),
			     const void *arg)
{
	struct rhashtable_iter iter;
	unsigned int seen = 0;
	struct kp_lb_sock *e;

	if (!READ_ONCE(kp_sockhook_users))
		return;
	rhashtable_walk_enter(&kp_lb_socks, &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter))) {
		if (!IS_ERR(e))
			visit(e, arg);
		if (!(++seen % KP_LB_WALK_BATCH)) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

struct kp_udp_moved {
	struct kp_node *node;
	const struct kp_service *svc;
};

static void kp_lb_sock_mark_moved(struct kp_lb_sock *e, const void *arg)
{
	const struct kp_udp_moved *m = arg;

	if (e->quota != m->node->lb_quota)	/* not served by this node */
		return;
	spin_lock(&e->lock);
	if (kp_lb_sock_stale(m->node, m->svc, e))
		kp_lb_sock_set_stale(e, true);
	spin_unlock(&e->lock);
}

/*
 * Marks, not moves: a datagram may be in flight to the departing backend,
 * and its answer is only accepted while the socket is still connected to
 * it.  The socket moves at its next send (kp_sendmsg_resteered).
 */
void kp_sockhook_udp_moved(struct kp_node *node, const struct kp_service *svc)
{
	const struct kp_udp_moved m = { node, svc };

	lockdep_assert_held(&node->lock);
	if (!svc || svc->key.proto == IPPROTO_UDP)
		kp_lb_socks_walk(kp_lb_sock_mark_moved, &m);
}

static void kp_lb_sock_drop_node(struct kp_lb_sock *e, const void *arg)
{
	const struct kp_node *node = arg;

	if (e->quota == node->lb_quota &&
	    !rhashtable_remove_fast(&kp_lb_socks, &e->node, kp_lb_sock_params))
		kp_lb_sock_release(e);
}

/*
 * @node is being disabled: its sockets (and its pods') stop being shown
 * services now, and give their records back, rather than holding the
 * host's table until they close.
 */
void kp_sockhook_node_gone(struct kp_node *node)
{
	lockdep_assert_held(&node->lock);
	kp_lb_socks_walk(kp_lb_sock_drop_node, node);
}

/*
 * Connects @sk, marked stale, to a live backend of its service, as its own
 * connect() would have, unless the application connected it elsewhere
 * meanwhile (the record then no longer names the old backend, and the
 * application's connect wins).  No backend left: its datagrams fail as
 * before.  A corked datagram is finished where it was begun.
 */
static void kp_lb_sock_resteer(struct sock *sk)
{
	struct sockaddr_in6 sa = {};
	const struct kp_backend *be = NULL;
	const struct kp_service *svc;
	struct kp_svc_key backend, old;
	struct kp_node *node;
	struct kp_lb_sock *e;
	int len;

	if (READ_ONCE(udp_sk(sk)->pending))
		return;
	rcu_read_lock();
	e = kp_lb_sock_find(sk);
	if (e) {
		node = kp_node_serving(sock_net(sk));
		spin_lock(&e->lock);
		svc = node ? kp_lb_sock_stale(node, NULL, e) : NULL;
		old = e->backend;
		kp_lb_sock_set_stale(e, false);
		spin_unlock(&e->lock);
		be = svc ? kp_sock_pick(node, svc, sk) : NULL;
		if (be)
			kp_backend_key(&backend, &svc->key, be);
	}
	rcu_read_unlock();
	if (!be)
		return;
	sa.sin6_family = backend.family;
	len = backend.family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(sa);
	kp_sockaddr_set((struct sockaddr *)&sa, &backend);
	if (sk->sk_prot->connect(sk, (struct sockaddr *)&sa, len))
		return;
	rcu_read_lock();
	e = kp_lb_sock_find(sk);
	if (e) {
		spin_lock(&e->lock);
		if (e->connected && !memcmp(&e->backend, &old, sizeof(old)))
			e->backend = backend;
		spin_unlock(&e->lock);
	}
	rcu_read_unlock();
}

/*
 * Entered instead of udp_sendmsg/udpv6_sendmsg for a connected socket
 * marked stale: in process context, so it may connect (which sleeps) before
 * the datagram is sent from the top of the protocol's sendmsg.
 */
static noinline int kp_sendmsg_resteered(struct sock *sk, struct msghdr *msg, size_t len)
{
	int ret;

	kp_lb_sock_resteer(sk);
	ret = sk->sk_prot->sendmsg(sk, msg, len);
	kp_diverted_done();
	return ret;
}

/* A send without an address: the socket's backend may have left. */
static int kp_sendmsg_connected_pre(struct sock *sk, struct pt_regs *regs)
{
	struct kp_lb_sock *e;
	bool stale;

	/*
	 * A corked datagram is finished where it was begun: no resteer (and
	 * none attempted, or sendmsg would come back here for ever).
	 */
	if (!atomic_read(&kp_lb_stale_count) || READ_ONCE(udp_sk(sk)->pending))
		return 0;
	rcu_read_lock();
	e = kp_lb_sock_find(sk);
	stale = e && READ_ONCE(e->stale);
	rcu_read_unlock();
	return stale ? kp_divert(regs, kp_sendmsg_resteered) : 0;
}

/* udp_sendmsg/udpv6_sendmsg: a datagram to a service goes to a backend. */
static int kp_sendmsg_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	struct msghdr *msg = (struct msghdr *)regs_get_kernel_argument(regs, 1);
	struct kp_svc_key key, backend;
	const struct kp_backend *be;
	struct kp_service *svc;
	struct kp_node *node;
	int refuse = 0;

	if (sk->sk_kern_sock)
		return 0;
	if (!msg->msg_name)
		return kp_sendmsg_connected_pre(sk, regs);
	if (!kp_sockaddr_key(sk, msg->msg_name, msg->msg_namelen, &key))
		return 0;
	rcu_read_lock();
	node = kp_node_serving(sock_net(sk));
	svc = node ? kp_lb_service(node, &key) : NULL;
	if (svc) {
		be = kp_sock_pick(node, svc, sk);
		if (be) {
			kp_backend_key(&backend, &key, be);
			kp_sockaddr_set(msg->msg_name, &backend);
			kp_lb_sock_sent(node, sk, &backend, &key);
		} else {
			refuse = kp_divert(regs, kp_sendmsg_refused);
		}
		kp_count_connect(node, !be);
	}
	rcu_read_unlock();
	return refuse;
}

/*
 * udp_sendmsg: an AF_INET6 socket's datagram here came through
 * udpv6_sendmsg's v4-mapped branch, already seen (and rewritten) there; a
 * second look would balance a backend that is itself a frontend again.
 */
static int kp_udp4_sendmsg_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 0);

	return sk->sk_family == AF_INET6 ? 0 : kp_sendmsg_pre(p, regs);
}

struct kp_recvmsg_args {
	struct sock *sk;
	struct msghdr *msg;
	int *addr_len;		/* the source's length: msg_namelen is set later */
	atomic_t *tenant;	/* the tenants' count it holds, or NULL */
};

static int kp_recvmsg_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kp_recvmsg_args *a = (void *)ri->data;
	struct kp_lb_sock *e;
	bool ours;

	a->sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	a->msg = (struct msghdr *)regs_get_kernel_argument(regs, 1);
	a->addr_len = (int *)regs_get_kernel_argument(regs, 4);
	/*
	 * Only sockets with a record take a return instance (blocked
	 * receivers elsewhere must not exhaust the pool), a tenant's only
	 * while tenants hold under half of it.
	 */
	rcu_read_lock();
	e = kp_lb_sock_find(a->sk);
	ours = e && a->msg->msg_name && (READ_ONCE(e->connected) || !hlist_empty(&e->revs));
	rcu_read_unlock();
	return ours && kp_instance_take(ri, a->sk, &kp_tenant_recvmsg, &a->tenant) ? 0 : 1;
}

/*
 * The service @from answers for on @e: the one @e is connected to if @from
 * is its backend (c-ares and glibc read connected sockets with recvfrom and
 * drop answers from anyone else), else the one an unconnected datagram to
 * @from was sent to.  Caller holds RCU.
 */
static bool kp_lb_sock_answered(struct kp_lb_sock *e, const struct kp_svc_key *from,
				struct kp_svc_key *svc)
{
	struct kp_lb_rev *r;
	bool found;

	spin_lock(&e->lock);
	found = e->connected && !memcmp(&e->backend, from, sizeof(*from));
	if (found) {
		*svc = e->svc;
	} else {
		r = kp_lb_rev_find(e, from);
		found = r;
		if (r)
			*svc = r->svc;
	}
	spin_unlock(&e->lock);
	return found;
}

static int kp_recvmsg_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kp_recvmsg_args *a = (void *)ri->data;
	struct kp_svc_key from, svc;
	struct kp_lb_sock *e;

	kp_instance_give(a->tenant);
	if ((long)regs_return_value(regs) < 0 ||
	    !kp_sockaddr_key(a->sk, a->msg->msg_name, *a->addr_len, &from))
		return 0;
	rcu_read_lock();
	e = kp_lb_sock_find(a->sk);
	if (e && kp_lb_sock_answered(e, &from, &svc))
		kp_sockaddr_set(a->msg->msg_name, &svc);
	rcu_read_unlock();
	return 0;
}

/*
 * Probes that may divert a call have a post_handler (never called when they
 * do): it makes an ftrace-based kprobe register as modifying the
 * instruction pointer (IPMODIFY), so a livepatch on the same function is
 * refused at registration instead of silently undoing our diversion.
 */
static void kp_probe_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
}

static struct kprobe kp_probes[] = {
	{ .symbol_name = "inet_stream_connect", .pre_handler = kp_connect_pre,
	  .post_handler = kp_probe_post },
	{ .symbol_name = "inet_dgram_connect", .pre_handler = kp_connect_pre,
	  .post_handler = kp_probe_post },
	{ .symbol_name = "tcp_sendmsg_fastopen", .pre_handler = kp_fastopen_pre,
	  .post_handler = kp_probe_post },
	{ .symbol_name = "udp_sendmsg", .pre_handler = kp_udp4_sendmsg_pre,
	  .post_handler = kp_probe_post },
	{ .symbol_name = "udpv6_sendmsg", .pre_handler = kp_sendmsg_pre,
	  .post_handler = kp_probe_post },
	{ .symbol_name = "inet_release", .pre_handler = kp_release_pre },
};

/*
 * Return instances (one host-wide pool per probe, sized by CPU count): a
 * caller holds one while inside the function, which may sleep
 * (inet_getname takes the socket lock; a blocking receive waits in
 * udp_recvmsg), so the pool must outnumber the callers that can wait at
 * once, not the CPUs.  Only sockets with a record take one.
 */
#define KP_GETNAME_INSTANCES(cpus)	max(256U, 64U * (cpus))
#define KP_RECVMSG_INSTANCES(cpus)	max(1024U, 256U * (cpus))

static struct kretprobe kp_retprobes[] = {
	{
		.kp.symbol_name = "inet_getname",
		.entry_handler = kp_getname_entry,
		.handler = kp_getname_ret,
		.data_size = sizeof(struct kp_getname_args),
	},
	{
		.kp.symbol_name = "inet6_getname",
		.entry_handler = kp_getname_entry,
		.handler = kp_getname_ret,
		.data_size = sizeof(struct kp_getname_args),
	},
	{
		.kp.symbol_name = "udp_recvmsg",
		.entry_handler = kp_recvmsg_entry,
		.handler = kp_recvmsg_ret,
		.data_size = sizeof(struct kp_recvmsg_args),
	},
	{
		.kp.symbol_name = "udpv6_recvmsg",
		.entry_handler = kp_recvmsg_entry,
		.handler = kp_recvmsg_ret,
		.data_size = sizeof(struct kp_recvmsg_args),
	},
};

static struct kprobe *kp_probe_ptrs[ARRAY_SIZE(kp_probes)];
static struct kretprobe *kp_retprobe_ptrs[ARRAY_SIZE(kp_retprobes)];

static void kp_lb_sock_free(void *ptr, void *arg)
{
	kp_lb_sock_release(ptr);
}


int kp_sockhook_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kp_probes); i++)
		kp_probe_ptrs[i] = &kp_probes[i];
	for (i = 0; i < ARRAY_SIZE(kp_retprobes); i++) {
		struct kretprobe *rp = &kp_retprobes[i];

		rp->maxactive = rp->handler == kp_getname_ret ?
			KP_GETNAME_INSTANCES(num_possible_cpus()) :
			KP_RECVMSG_INSTANCES(num_possible_cpus());
		kp_retprobe_ptrs[i] = rp;
	}
	return rhashtable_init(&kp_lb_socks, &kp_lb_sock_params);
}

unsigned long kp_sockhook_missed(void)
{
	unsigned long missed = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kp_probes); i++)
		missed += READ_ONCE(kp_probes[i].nmissed);
	for (i = 0; i < ARRAY_SIZE(kp_retprobes); i++)
		missed += READ_ONCE(kp_retprobes[i].nmissed) +
			  READ_ONCE(kp_retprobes[i].kp.nmissed);
	return missed;
}

void kp_sockhook_uninit(void)
{
	/*
	 * A stub that dropped its module reference may still be on its last
	 * instructions (module text): wait until every task has left them.
	 */
	synchronize_rcu_tasks();
	rhashtable_destroy(&kp_lb_socks);
}

/*
 * With the probes gone, inet_release no longer drops records: forget them
 * all now, or a new socket at a freed one's address would inherit its service.
 */
static void kp_lb_socks_flush(void)
{
	rhashtable_free_and_destroy(&kp_lb_socks, kp_lb_sock_free, NULL);
	/* Same params as at init, which succeeded; only -ENOMEM could fail. */
	WARN_ON(rhashtable_init(&kp_lb_socks, &kp_lb_sock_params));
}

/* Registration fills in addr and flags; a second registration wants them clear. */
static void kp_probes_reset(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kp_probes); i++) {
		kp_probes[i].addr = NULL;
		kp_probes[i].flags = 0;
		kp_probes[i].nmissed = 0;
	}
	/* Instances outstanding at unregistering never returned theirs. */
	atomic_set(&kp_tenant_getname, 0);
	atomic_set(&kp_tenant_recvmsg, 0);
	for (i = 0; i < ARRAY_SIZE(kp_retprobes); i++) {
		kp_retprobes[i].kp.addr = NULL;
		kp_retprobes[i].kp.flags = 0;
		kp_retprobes[i].kp.nmissed = 0;
		kp_retprobes[i].nmissed = 0;
	}
}

/*
 * The handlers divert calls by rewriting the instruction pointer, and run
 * where the arguments are the function's own: at its fentry, through
 * ftrace.  A jump-optimised kprobe ignores a new instruction pointer;
 * refuse anything but ftrace rather than guess.
 */
static int kp_probes_check_ftrace(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kp_probes); i++) {
		if (!(kp_probes[i].flags & KPROBE_FLAG_FTRACE)) {
			pr_err("kplane: %s is not probed through ftrace (CONFIG_KPROBES_ON_FTRACE, fentry): connect-time LB cannot divert calls there\n",
			       kp_probes[i].symbol_name);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int kp_sockhook_get_locked(void)
{
	int err;

	lockdep_assert_held(&kp_sockhook_lock);
	if (kp_sockhook_users) {
		WRITE_ONCE(kp_sockhook_users, kp_sockhook_users + 1);
		return 0;
	}
	WRITE_ONCE(kp_sockhook_users, 1);
	kp_probes_reset();
	WRITE_ONCE(kp_lb_table_live, true);
	err = register_kprobes(kp_probe_ptrs, ARRAY_SIZE(kp_probe_ptrs));
	if (err)
		goto err_users;
	err = kp_probes_check_ftrace();
	if (err)
		goto err_probes;
	err = register_kretprobes(kp_retprobe_ptrs, ARRAY_SIZE(kp_retprobe_ptrs));
	if (err)
		goto err_probes;
	return 0;

err_probes:
	unregister_kprobes(kp_probe_ptrs, ARRAY_SIZE(kp_probe_ptrs));
err_users:
	WRITE_ONCE(kp_lb_table_live, false);
	WRITE_ONCE(kp_sockhook_users, 0);
	pr_err("kplane: connect-time LB unavailable: cannot register probes: %d\n", err);
	return err;
}

static void kp_sockhook_put_locked(void)
{
	lockdep_assert_held(&kp_sockhook_lock);
	WRITE_ONCE(kp_sockhook_users, kp_sockhook_users - 1);
	if (kp_sockhook_users)
		return;
	unregister_kretprobes(kp_retprobe_ptrs, ARRAY_SIZE(kp_retprobe_ptrs));
	unregister_kprobes(kp_probe_ptrs, ARRAY_SIZE(kp_probe_ptrs));
	/*
	 * Handlers are done (unregistering waits for them); a stub that
	 * slept may still look records up: from a grace period on, none
	 * finds the table live, and it can go.
	 */
	WRITE_ONCE(kp_lb_table_live, false);
	synchronize_rcu();
	kp_lb_socks_flush();
	/* kp_lb_sock_free_rcu is module code. */
	rcu_barrier();
}

int kp_sockhook_get(void)
{
	int err;

	mutex_lock(&kp_sockhook_lock);
	err = kp_sockhook_get_locked();
	mutex_unlock(&kp_sockhook_lock);
	return err;
}

void kp_sockhook_put(void)
{
	mutex_lock(&kp_sockhook_lock);
	kp_sockhook_put_locked();
	mutex_unlock(&kp_sockhook_lock);
}
