// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the parsers and checks that take untrusted text or
 * bytes: kplanectl's endpoint and service arguments and kmod/validate.c.  The first byte
 * picks the target; the rest is the input (NUL-separated words for argv).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "validate.h"

#define KP_FUZZ_MAX_ARGS 32

static void fuzz_args(const uint8_t *data, size_t len)
{
	char *buf = malloc(len + 1), *argv[KP_FUZZ_MAX_ARGS];
	struct kp_endpoint ep;
	struct kp_service svc;
	const char *ns, *why;
	int argc = 0;
	size_t i, start = 0;

	if (!buf)
		return;
	memcpy(buf, data, len);
	buf[len] = '\0';
	for (i = 0; i <= len && argc < KP_FUZZ_MAX_ARGS; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	if (kp_args_endpoint(argc, argv, &ep, &ns, &why) == 0) {
		if (ep.n_addrs > KPLANE_EP_ADDR_MAX || !ep.ifname[0] ||
		    strnlen(ep.id, sizeof(ep.id)) == sizeof(ep.id))
			abort();
	} else if (!why) {
		abort();
	}
	if (kp_args_service(argc, argv, &svc, &why) == 0) {
		if (svc.n_backends > KPLANE_SVC_BACKENDS_MAX || !svc.port)
			abort();
	} else if (!why) {
		abort();
	}
	free(svc.backends);
	free(buf);
}

static void fuzz_validate(const uint8_t *data, size_t len)
{
	char id[KPLANE_ID_MAX + 8];
	struct kp_addr addrs[KPLANE_EP_ADDR_MAX];
	unsigned int n = 0;
	size_t off;

	memcpy(id, data, len < sizeof(id) - 1 ? len : sizeof(id) - 1);
	id[len < sizeof(id) - 1 ? len : sizeof(id) - 1] = '\0';
	(void)kp_id_invalid(id);
	/* The rest as (family byte, 16 address bytes) records. */
	for (off = 0; off + 17 <= len && n < KPLANE_EP_ADDR_MAX; off += 17) {
		u16 family = data[off] & 1 ? AF_INET6 : (data[off] & 2 ? AF_INET : data[off]);

		if (!kp_addr_invalid(family, data + off + 1, kp_addr_len(family)))
			kp_addr_set(&addrs[n++], family, data + off + 1);
	}
	(void)kp_addr_list_invalid(addrs, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (!len)
		return 0;
	if (data[0] & 1)
		fuzz_args(data + 1, len - 1);
	else
		fuzz_validate(data + 1, len - 1);
	return 0;
}
