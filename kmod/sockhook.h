/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Connect-time service load balancing.  kprobes on the kernel's connect
 * paths rewrite the kernel copy of a service address to a backend before the
 * protocol uses it (syscall and io_uring alike), so no per-packet NAT and no
 * conntrack entry exist for these flows.  Unconnected UDP is rewritten per
 * datagram in udp_sendmsg/udpv6_sendmsg.  The service address is remembered
 * per socket so getpeername() and recvfrom()/recvmsg() report it, never the
 * backend.
 */
#ifndef KPLANE_SOCKHOOK_H
#define KPLANE_SOCKHOOK_H

int kp_sockhook_init(void);
void kp_sockhook_uninit(void);

/* Probe hits the kernel could not hand us (no free return instance, reentry). */
unsigned long kp_sockhook_missed(void);
/*
 * The probes are armed only while some node is enabled, so a host without
 * nodes pays nothing on its connect paths.
 */
int kp_sockhook_get(void);
void kp_sockhook_put(void);

struct kp_node;
struct kp_service;
/*
 * After @svc (UDP) changed on @node: connected sockets whose backend left
 * are connected to a live one at their next send, so their next datagram
 * (same socket, same service address) is answered, and so is one already
 * in flight to the old backend; kube-proxy's stale-conntrack UDP failure
 * (kubernetes#19029) cannot happen.  @svc NULL: every UDP service, as the
 * table has it now (after a commit, one pass for all it changed).
 */
void kp_sockhook_udp_moved(struct kp_node *node, const struct kp_service *svc);
/* @node is being disabled: its sockets' records go (caller holds its lock). */
void kp_sockhook_node_gone(struct kp_node *node);

#endif /* KPLANE_SOCKHOOK_H */
