/* SPDX-License-Identifier: GPL-2.0 */
/* The node's netfilter hooks: registered per netns while a node is enabled. */
#ifndef KPLANE_HOOKS_H
#define KPLANE_HOOKS_H

struct net;

int kp_hooks_register(struct net *net);
void kp_hooks_unregister(struct net *net);

#endif /* KPLANE_HOOKS_H */
