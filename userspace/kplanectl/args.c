// SPDX-License-Identifier: GPL-2.0
/*
 * Syntax only: values are checked by the kernel, whose extack message the
 * CLI prints, so there is one validator and one set of messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "args.h"

int kp_args_ip(const char *s, struct kp_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->ip) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->ip) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int kp_args_copy(char *dst, size_t size, const char *src, const char **why,
			const char *too_long)
{
	if (strlen(src) >= size) {
		*why = too_long;
		return -EINVAL;
	}
	strcpy(dst, src);
	return 0;
}

/* One "KEYWORD VALUE" pair; returns -EINVAL with @why on a bad pair. */
static int kp_args_endpoint_pair(const char *key, const char *val,
				 struct kp_endpoint *ep, const char **netns_path,
				 const char **why)
{
	if (!strcmp(key, "dev"))
		return kp_args_copy(ep->ifname, sizeof(ep->ifname), val, why,
				    "interface name is too long");
	if (!strcmp(key, "netns")) {
		*netns_path = val;
		return 0;
	}
	if (!strcmp(key, "addr")) {
		if (ep->n_addrs == KPLANE_EP_ADDR_MAX) {
			*why = "too many addresses";
			return -EINVAL;
		}
		if (kp_args_ip(val, &ep->addrs[ep->n_addrs])) {
			*why = "addr takes an IPv4 or IPv6 address";
			return -EINVAL;
		}
		ep->n_addrs++;
		return 0;
	}
	*why = "expected dev, netns or addr";
	return -EINVAL;
}

int kp_args_endpoint(int argc, char **argv, struct kp_endpoint *ep,
		     const char **netns_path, const char **why)
{
	int i;

	memset(ep, 0, sizeof(*ep));
	ep->netns_fd = -1;
	*netns_path = NULL;
	if (argc < 1) {
		*why = "missing endpoint id";
		return -EINVAL;
	}
	if (kp_args_copy(ep->id, sizeof(ep->id), argv[0], why, "id is too long"))
		return -EINVAL;
	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc) {
			*why = "keyword without a value";
			return -EINVAL;
		}
		if (kp_args_endpoint_pair(argv[i], argv[i + 1], ep, netns_path, why))
			return -EINVAL;
	}
	if (!ep->ifname[0]) {
		*why = "dev IFNAME is required";
		return -EINVAL;
	}
	return 0;
}
