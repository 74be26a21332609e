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

#endif /* KPLANECTL_ARGS_H */
