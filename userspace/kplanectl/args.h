/* SPDX-License-Identifier: GPL-2.0 */
/* kplanectl argument parsing: no I/O, so it builds into the fuzzer too. */
#ifndef KPLANECTL_ARGS_H
#define KPLANECTL_ARGS_H

#include "libkplane.h"

/* IPv4 or IPv6 literal into @out; -EINVAL if neither. */
int kp_args_ip(const char *s, struct kpl_ip *out);
/* The index of @s in @names[0..n-1], or -1. */
int kp_args_name(const char *s, const char *const *names, int n);
/* A decimal in [min, max], the whole string. */
int kp_args_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* "ADDR:PORT" or "[ADDR6]:PORT", the first @len bytes of @s. */
int kp_args_hostport(const char *s, size_t len, struct kpl_ip *ip, uint16_t *port);

/*
 * "ID dev IFNAME [netns PATH] [addr IP]... [host] [ingress|egress TIER:POLICIES]..."
 * into @ep (netns_fd left -1; attach malloc'd, free it also on error) and
 * @netns_path (NULL if absent).  On error returns -EINVAL and sets @why.
 */
int kp_args_endpoint(int argc, char **argv, struct kpl_endpoint *ep,
		     const char **netns_path, const char **why);

/* "ADDR:PORT/PROTO", IPv6 as "[ADDR]:PORT/PROTO", into the frontend of @svc. */
int kp_args_frontend(const char *s, struct kpl_service *svc, const char **why);
/* "ADDR:PORT[,weight=W][,state=active|terminating|serving-terminating]". */
int kp_args_backend(const char *s, struct kpl_backend *be, const char **why);
/*
 * "FRONTEND [id ID] [type T] [maglev SIZE] [backend B]..." into @svc; its
 * backends array is malloc'd (free it, also on error).
 */
int kp_args_service(int argc, char **argv, struct kpl_service *svc, const char **why);

/*
 * node set: "KEY VALUE"... with KEY max-endpoints|max-services|max-flows
 * (N or default), policy-reject|bypass-conntrack|fast-forward (on, off or
 * default), failsafe-in|failsafe-out (PROTO:PORT,..., none or default).
 */
int kp_args_node_set(int argc, char **argv, struct kpl_node_settings *s, const char **why);

extern const char *const kp_setting_names[__KPLANE_SETTING_MAX];
extern const char *const kp_svc_type_names[__KPLANE_SVC_TYPE_MAX];
extern const char *const kp_be_state_names[__KPLANE_BE_STATE_MAX];
extern const char *const kp_policy_names[__KPLANE_POLICY_MAX];

/* Policy syntax (policy_args.c). */

/* "CIDR" or a bare address (a /32 or /128). */
int kp_args_prefix(const char *s, struct kplane_prefix *out);
/* "tcp", "udp", "sctp", "icmp", "icmpv6" or 0..255. */
int kp_args_proto(const char *s, uint8_t *out);
/*
 * "ID [tier T] [order N] [types ingress|egress|ingress,egress]
 *  [ingress|egress ACTION [CRITERION]...]..." into @pol; its rules (and
 * their items) are malloc'd: kpl_policy_release(), also on error.
 */
int kp_args_policy(int argc, char **argv, struct kpl_policy *pol, const char **why);
/* "ingress|egress TIER:[POLICY[,POLICY]...]" appended to @ep's attachments. */
int kp_args_attach(const char *dir, const char *val, struct kpl_endpoint *ep, const char **why);
/* "ENDPOINT|- PROTO SRC[:PORT] DST[:PORT] [type T] [code C]". */
int kp_args_trace(int argc, char **argv, struct kpl_trace *t, const char **why);

extern const char *const kp_action_names[__KPLANE_ACTION_MAX];
extern const char *const kp_reason_names[__KPLANE_REASON_MAX];
extern const char *const kp_dir_names[__KPLANE_DIR_MAX];

#endif /* KPLANECTL_ARGS_H */
