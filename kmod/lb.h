/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service selection, shared by the packet path (nat.c) and connect time
 * (sockhook.c): which node serves a socket, which service a destination
 * reaches, which backend a new connection gets.  Callers are in an RCU
 * read-side section.
 */
#ifndef KPLANE_LB_H
#define KPLANE_LB_H

#include "node.h"

/*
 * The enabled node whose services apply to sockets of @net: @net itself, or
 * the node of the endpoint whose pod netns @net is.  NULL if none.  Node
 * teardown waits for RCU readers.
 */
struct kp_node *kp_node_serving(const struct net *net);
/*
 * The service a packet or connect() to @key reaches on @node: the exact
 * frontend, or a NodePort on every node address when @key's address is one
 * of the node's.
 */
struct kp_service *kp_lb_service(struct kp_node *node, const struct kp_svc_key *key);
/*
 * The backend for a new connection from @client to @svc: the client's
 * affinity binding if the service has ClientIP affinity and it still holds,
 * else a Maglev pick by @hash (then bound).  @local: node-local backends only.
 */
const struct kp_backend *kp_lb_pick(struct kp_node *node, const struct kp_service *svc,
				    const u8 *client, u64 hash, bool local);

#endif /* KPLANE_LB_H */
