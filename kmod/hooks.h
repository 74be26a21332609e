/* SPDX-License-Identifier: GPL-2.0 */
/* The node's netfilter hooks: registered per netns while a node is enabled. */
#ifndef KPLANE_HOOKS_H
#define KPLANE_HOOKS_H

struct net;
struct kp_endpoint;
struct kp_node;

int kp_hooks_register(struct net *net);
void kp_hooks_unregister(struct net *net);
/*
 * The fast path's hook at an endpoint's interface ingress: added with the
 * endpoint (best effort), removed with it or with the device, whichever
 * goes first.  Callers hold the node's lock; these take its hooks_lock.
 */
void kp_hooks_ingress_add(struct kp_node *node, struct kp_endpoint *ep);
void kp_hooks_ingress_del(struct kp_node *node, struct kp_endpoint *ep);
/* Module-wide: follows devices going away. */
int kp_hooks_init(void);
void kp_hooks_uninit(void);

#endif /* KPLANE_HOOKS_H */
