/* SPDX-License-Identifier: GPL-2.0 */
/* kplanectl argument parsing: no I/O, so it builds into the fuzzer too. */
#ifndef KPLANECTL_ARGS_H
#define KPLANECTL_ARGS_H

#include "libkplane.h"

/* IPv4 or IPv6 literal into @out; -EINVAL if neither. */
int kp_args_ip(const char *s, struct kp_ip *out);

/*
 * "ID dev IFNAME [netns PATH] [addr IP]..." into @ep (netns_fd left -1) and
 * @netns_path (NULL if absent).  On error returns -EINVAL and sets @why.
 */
int kp_args_endpoint(int argc, char **argv, struct kp_endpoint *ep,
		     const char **netns_path, const char **why);

/* "ADDR:PORT/PROTO", IPv6 as "[ADDR]:PORT/PROTO", into the frontend of @svc. */
int kp_args_frontend(const char *s, struct kp_service *svc, const char **why);
/* "ADDR:PORT[,weight=W][,state=active|terminating|serving-terminating]". */
int kp_args_backend(const char *s, struct kp_backend *be, const char **why);
/*
 * "FRONTEND [id ID] [type T] [maglev SIZE] [backend B]..." into @svc; its
 * backends array is malloc'd (free it, also on error).
 */
int kp_args_service(int argc, char **argv, struct kp_service *svc, const char **why);

extern const char *const kp_svc_type_names[__KPLANE_SVC_TYPE_MAX];
extern const char *const kp_be_state_names[__KPLANE_BE_STATE_MAX];
extern const char *const kp_policy_names[__KPLANE_POLICY_MAX];

#endif /* KPLANECTL_ARGS_H */
