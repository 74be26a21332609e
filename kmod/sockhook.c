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
#include <net/sock.h>
#include "node.h"
#include "service.h"
#include "sockhook.h"

static unsigned int kp_max_lb_sockets = 1 << 20;
module_param_named(max_lb_sockets, kp_max_lb_sockets, uint, 0644);
MODULE_PARM_DESC(max_lb_sockets,
		 "Most load-balanced sockets whose service address is remembered (default 1M)");

/* A socket that was connected to a service: what getpeername() must show. */
struct kp_lb_sock {
	struct rhash_head node;
	const struct sock *sk;
	u16 family;
	__be16 port;
	u8 addr[16];
	struct rcu_head rcu;
};

static const struct rhashtable_params kp_lb_sock_params = {
	.head_offset = offsetof(struct kp_lb_sock, node),
	.key_offset = offsetof(struct kp_lb_sock, sk),
	.key_len = sizeof(struct sock *),
	.automatic_shrinking = true,
};

static struct rhashtable kp_lb_socks;
static atomic_t kp_lb_sock_count = ATOMIC_INIT(0);

static void kp_lb_sock_forget(const struct sock *sk)
{
	struct kp_lb_sock *e;

	rcu_read_lock();
	e = rhashtable_lookup(&kp_lb_socks, &sk, kp_lb_sock_params);
	if (e && !rhashtable_remove_fast(&kp_lb_socks, &e->node, kp_lb_sock_params)) {
		atomic_dec(&kp_lb_sock_count);
		kfree_rcu(e, rcu);
	}
	rcu_read_unlock();
}

static void kp_lb_sock_remember(const struct sock *sk, const struct kp_svc_key *key)
{
	struct kp_lb_sock *e;

	kp_lb_sock_forget(sk);		/* a reconnect replaces the old service */
	if (atomic_inc_return(&kp_lb_sock_count) > READ_ONCE(kp_max_lb_sockets))
		goto full;
	e = kzalloc(sizeof(*e), GFP_ATOMIC);
	if (!e)
		goto full;
	e->sk = sk;
	e->family = key->family;
	e->port = key->port;
	memcpy(e->addr, key->addr, sizeof(e->addr));
	if (!rhashtable_lookup_insert_fast(&kp_lb_socks, &e->node, kp_lb_sock_params))
		return;
	kfree(e);
full:
	/* getpeername() then shows the backend: degraded, not broken. */
	atomic_dec(&kp_lb_sock_count);
}

/* The service key of a connect() address, or false if it cannot be one. */
static bool kp_sockaddr_key(const struct sock *sk, const struct sockaddr *sa, int len,
			    struct kp_svc_key *key)
{
	memset(key, 0, sizeof(*key));
	key->proto = sk->sk_protocol;
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP)
		return false;
	if (sa->sa_family == AF_INET && len >= (int)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		key->family = AF_INET;
		key->port = sin->sin_port;
		memcpy(key->addr, &sin->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= (int)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		key->family = AF_INET6;
		key->port = sin6->sin6_port;
		memcpy(key->addr, &sin6->sin6_addr, 16);
		return true;
	}
	return false;
}

static void kp_sockaddr_set(struct sockaddr *sa, u16 family, const u8 *addr, __be16 port)
{
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)sa;

		sin->sin_port = port;
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (void *)sa;

		sin6->sin6_port = port;
		memcpy(&sin6->sin6_addr, addr, 16);
	}
}

static void kp_count_connect(struct kp_node *node, bool refused)
{
	struct kp_node_stats *stats = this_cpu_ptr(node->stats);

	u64_stats_update_begin(&stats->syncp);
	if (refused)
		stats->connect_refused++;
	else
		stats->connect_lb++;
	u64_stats_update_end(&stats->syncp);
}

/*
 * Entered instead of the connect function when a service has no usable
 * backend: the caller gets ECONNREFUSED at once, nothing is sent.
 */
static noinline int kp_connect_refused(struct socket *sock, struct sockaddr *uaddr,
				       int addr_len, int flags)
{
	return -ECONNREFUSED;
}

static int kp_connect_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct socket *sock = (struct socket *)regs_get_kernel_argument(regs, 0);
	struct sockaddr *uaddr = (struct sockaddr *)regs_get_kernel_argument(regs, 1);
	int len = (int)regs_get_kernel_argument(regs, 2);
	const struct kp_backend *be;
	struct kp_service *svc;
	struct kp_svc_key key;
	struct kp_node *node;
	int refuse = 0;

	if (!sock->sk || sock->sk->sk_kern_sock ||
	    !kp_sockaddr_key(sock->sk, uaddr, len, &key))
		return 0;
	rcu_read_lock();
	node = kp_node_serving(sock_net(sock->sk));
	svc = node ? kp_svc_lookup(&node->svcs, &key) : NULL;
	if (svc) {
		be = kp_svc_pick(svc, get_random_u64());
		if (be) {
			kp_sockaddr_set(uaddr, key.family, be->addr.ip, be->port);
			kp_lb_sock_remember(sock->sk, &key);
		} else {
			instruction_pointer_set(regs, (unsigned long)kp_connect_refused);
			refuse = 1;
		}
		kp_count_connect(node, refuse);
	}
	rcu_read_unlock();
	return refuse;
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
};

static int kp_getname_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kp_getname_args *a = (void *)ri->data;

	a->sock = (struct socket *)regs_get_kernel_argument(regs, 0);
	a->uaddr = (struct sockaddr *)regs_get_kernel_argument(regs, 1);
	a->peer = (int)regs_get_kernel_argument(regs, 2);
	return a->peer ? 0 : 1;		/* 1: no return probe for getsockname() */
}

static int kp_getname_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kp_getname_args *a = (void *)ri->data;
	struct kp_lb_sock *e;

	if ((long)regs_return_value(regs) <= 0 || !a->sock->sk)
		return 0;
	rcu_read_lock();
	e = rhashtable_lookup(&kp_lb_socks, &a->sock->sk, kp_lb_sock_params);
	if (e && e->family == a->uaddr->sa_family)
		kp_sockaddr_set(a->uaddr, e->family, e->addr, e->port);
	rcu_read_unlock();
	return 0;
}

static struct kprobe kp_probes[] = {
	{ .symbol_name = "inet_stream_connect", .pre_handler = kp_connect_pre },
	{ .symbol_name = "inet_dgram_connect", .pre_handler = kp_connect_pre },
	{ .symbol_name = "inet_release", .pre_handler = kp_release_pre },
};

static struct kretprobe kp_retprobes[] = {
	{
		.kp.symbol_name = "inet_getname",
		.entry_handler = kp_getname_entry,
		.handler = kp_getname_ret,
		.data_size = sizeof(struct kp_getname_args),
		.maxactive = 64,
	},
	{
		.kp.symbol_name = "inet6_getname",
		.entry_handler = kp_getname_entry,
		.handler = kp_getname_ret,
		.data_size = sizeof(struct kp_getname_args),
		.maxactive = 64,
	},
};

static struct kprobe *kp_probe_ptrs[ARRAY_SIZE(kp_probes)];
static struct kretprobe *kp_retprobe_ptrs[ARRAY_SIZE(kp_retprobes)];

static void kp_lb_sock_free(void *ptr, void *arg)
{
	kfree(ptr);
}

int kp_sockhook_init(void)
{
	unsigned int i;
	int err;

	err = rhashtable_init(&kp_lb_socks, &kp_lb_sock_params);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(kp_probes); i++)
		kp_probe_ptrs[i] = &kp_probes[i];
	for (i = 0; i < ARRAY_SIZE(kp_retprobes); i++)
		kp_retprobe_ptrs[i] = &kp_retprobes[i];
	err = register_kprobes(kp_probe_ptrs, ARRAY_SIZE(kp_probe_ptrs));
	if (err) {
		pr_err("kplane: connect-time LB unavailable: kprobes: %d\n", err);
		goto err_table;
	}
	err = register_kretprobes(kp_retprobe_ptrs, ARRAY_SIZE(kp_retprobe_ptrs));
	if (err) {
		pr_err("kplane: connect-time LB unavailable: kretprobes: %d\n", err);
		goto err_probes;
	}
	return 0;

err_probes:
	unregister_kprobes(kp_probe_ptrs, ARRAY_SIZE(kp_probe_ptrs));
err_table:
	rhashtable_destroy(&kp_lb_socks);
	return err;
}

void kp_sockhook_uninit(void)
{
	unregister_kretprobes(kp_retprobe_ptrs, ARRAY_SIZE(kp_retprobe_ptrs));
	unregister_kprobes(kp_probe_ptrs, ARRAY_SIZE(kp_probe_ptrs));
	rhashtable_free_and_destroy(&kp_lb_socks, kp_lb_sock_free, NULL);
}
