// SPDX-License-Identifier: GPL-2.0
/* Userspace-facing value checks; built in the module and in tests/unit. */
#include "validate.h"

/*
 * Ids are Kubernetes-ish names (namespace/pod, uids): a conservative charset
 * keeps them safe to print in logs and to use as keys without escaping.
 */
static bool kp_id_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	       c == ':' || c == '/';
}

const char *kp_id_invalid(const char *id)
{
	size_t i;

	if (!id[0])
		return "id must not be empty";
	for (i = 0; id[i]; i++) {
		if (i >= KPLANE_ID_MAX - 1)
			return "id is too long";
		if (!kp_id_char_ok(id[i]))
			return "id may only contain A-Z a-z 0-9 . _ - : /";
	}
	return NULL;
}

size_t kp_addr_len(u16 family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

bool kp_all_zero(const u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

const char *kp_addr_invalid(u16 family, const void *ip, size_t len)
{
	const u8 *b = ip;
	size_t want = kp_addr_len(family);

	if (!want)
		return "address family must be AF_INET or AF_INET6";
	if (len != want)
		return family == AF_INET ? "IPv4 address must be 4 bytes" :
					   "IPv6 address must be 16 bytes";
	if (kp_all_zero(b, len))
		return "unspecified address (0.0.0.0 or ::) is not allowed";
	if (family == AF_INET && (b[0] & 0xf0) == 0xe0)
		return "multicast address is not allowed";
	if (family == AF_INET6 && b[0] == 0xff)
		return "multicast address is not allowed";
	return NULL;
}

void kp_addr_set(struct kp_addr *out, u16 family, const void *ip)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->ip, ip, kp_addr_len(family));
}

bool kp_addr_equal(const struct kp_addr *a, const struct kp_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->ip, b->ip, kp_addr_len(a->family));
}

const char *kp_addr_list_invalid(const struct kp_addr *addrs, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (kp_addr_equal(&addrs[i], &addrs[j]))
				return "duplicate address";
	return NULL;
}

static const char *kp_failsafe_one(const char **s, struct kp_proto_port *pp)
{
	static const struct { const char *name; u8 proto; } protos[] = {
		{ "tcp:", IPPROTO_TCP }, { "udp:", IPPROTO_UDP }, { "sctp:", IPPROTO_SCTP },
	};
	unsigned int i, port = 0, digits = 0;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strncmp(*s, protos[i].name, strlen(protos[i].name)))
			break;
	if (i == sizeof(protos) / sizeof(protos[0]))
		return "failsafe entries are tcp:PORT, udp:PORT or sctp:PORT";
	pp->proto = protos[i].proto;
	*s += strlen(protos[i].name);
	for (; **s >= '0' && **s <= '9'; (*s)++, digits++) {
		port = port * 10 + (unsigned int)(**s - '0');
		if (port > 65535)
			return "failsafe port must be 1..65535";
	}
	if (!digits || !port)
		return "failsafe port must be 1..65535";
	if (**s && **s != ',' && **s != '\n')
		return "failsafe entries are separated by commas";
	pp->port = (u16)port;
	return NULL;
}

const char *kp_failsafe_parse(const char *s, struct kp_proto_port *out, unsigned int *n)
{
	struct kp_proto_port tmp[KP_FAILSAFE_MAX];
	unsigned int count = 0;

	while (*s && *s != '\n') {
		const char *err;

		if (count == KP_FAILSAFE_MAX)
			return "at most 32 failsafe entries";
		err = kp_failsafe_one(&s, &tmp[count]);
		if (err)
			return err;
		count++;
		if (*s == ',')
			s++;
	}
	memcpy(out, tmp, count * sizeof(*tmp));
	*n = count;
	return NULL;
}
