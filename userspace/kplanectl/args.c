// SPDX-License-Identifier: GPL-2.0
/*
 * Syntax only: values are checked by the kernel, whose extack message the
 * CLI prints, so there is one validator and one set of messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "args.h"

int kp_args_ip(const char *s, struct kpl_ip *out)
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
				 struct kpl_endpoint *ep, const char **netns_path,
				 const char **why)
{
	if (!strcmp(key, "dev"))
		return kp_args_copy(ep->ifname, sizeof(ep->ifname), val, why,
				    "interface name is too long");
	if (!strcmp(key, "netns")) {
		*netns_path = val;
		return 0;
	}
	if (!strcmp(key, "ingress") || !strcmp(key, "egress"))
		return kp_args_attach(key, val, ep, why);
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
	*why = "expected dev, netns, addr, host, ingress or egress";
	return -EINVAL;
}

int kp_args_endpoint(int argc, char **argv, struct kpl_endpoint *ep,
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
		if (!strcmp(argv[i], "host")) {
			ep->host = true;
			i--;
			continue;
		}
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

const char *const kp_svc_type_names[__KPLANE_SVC_TYPE_MAX] = {
	[KPLANE_SVC_CLUSTER_IP] = "clusterip",
	[KPLANE_SVC_NODE_PORT] = "nodeport",
	[KPLANE_SVC_EXTERNAL_IP] = "externalip",
	[KPLANE_SVC_LOAD_BALANCER] = "loadbalancer",
};

const char *const kp_policy_names[__KPLANE_POLICY_MAX] = {
	[KPLANE_POLICY_CLUSTER] = "cluster",
	[KPLANE_POLICY_LOCAL] = "local",
};

const char *const kp_be_state_names[__KPLANE_BE_STATE_MAX] = {
	[KPLANE_BE_ACTIVE] = "active",
	[KPLANE_BE_TERMINATING] = "terminating",
	[KPLANE_BE_SERVING_TERMINATING] = "serving-terminating",
};

int kp_args_name(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int kp_args_uint(const char *s, unsigned long min, unsigned long max,
			unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out < min || *out > max ? -EINVAL : 0;
}

int kp_args_hostport(const char *s, size_t len, struct kpl_ip *ip, uint16_t *port)
{
	char buf[80], *host = buf, *colon;
	unsigned long p;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		host = buf + 1;
		colon = close + 1;
	} else {
		colon = strrchr(buf, ':');
		if (!colon)
			return -EINVAL;
		*colon = '\0';
		if (strchr(buf, ':'))	/* IPv6 needs brackets */
			return -EINVAL;
	}
	if (kp_args_ip(host, ip) || kp_args_uint(colon + 1, 1, 65535, &p))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

int kp_args_frontend(const char *s, struct kpl_service *svc, const char **why)
{
	const char *slash = strrchr(s, '/');

	*why = "frontend is ADDR:PORT/tcp|udp (IPv6: [ADDR]:PORT/tcp|udp)";
	if (!slash || kp_args_hostport(s, (size_t)(slash - s), &svc->addr, &svc->port))
		return -EINVAL;
	if (!strcmp(slash + 1, "tcp"))
		svc->proto = IPPROTO_TCP;
	else if (!strcmp(slash + 1, "udp"))
		svc->proto = IPPROTO_UDP;
	else
		return -EINVAL;
	*why = NULL;
	return 0;
}

static int kp_args_backend_option(const char *opt, size_t len, struct kpl_backend *be)
{
	char buf[32];
	unsigned long w;
	int state;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, opt, len);
	buf[len] = '\0';
	if (!strcmp(buf, "local")) {
		be->local = true;
		return 0;
	}
	if (!strncmp(buf, "weight=", 7)) {
		if (kp_args_uint(buf + 7, 1, KPLANE_BE_WEIGHT_MAX, &w))
			return -EINVAL;
		be->weight = (uint32_t)w;
		return 0;
	}
	if (!strncmp(buf, "state=", 6)) {
		state = kp_args_name(buf + 6, kp_be_state_names, __KPLANE_BE_STATE_MAX);
		if (state < 0)
			return -EINVAL;
		be->state = (uint8_t)state;
		return 0;
	}
	return -EINVAL;
}

int kp_args_backend(const char *s, struct kpl_backend *be, const char **why)
{
	const char *comma = strchr(s, ',');
	size_t len = comma ? (size_t)(comma - s) : strlen(s);

	memset(be, 0, sizeof(*be));
	be->weight = 1;
	*why = "backend is ADDR:PORT[,weight=N][,state=active|terminating|serving-terminating][,local]";
	if (kp_args_hostport(s, len, &be->addr, &be->port))
		return -EINVAL;
	while (comma) {
		const char *opt = comma + 1;

		comma = strchr(opt, ',');
		len = comma ? (size_t)(comma - opt) : strlen(opt);
		if (kp_args_backend_option(opt, len, be))
			return -EINVAL;
	}
	*why = NULL;
	return 0;
}

static int kp_args_service_pair(const char *key, const char *val, struct kpl_service *svc,
				const char **why)
{
	unsigned long size;
	int type;

	if (!strcmp(key, "backend")) {
		if (svc->n_backends == KPLANE_SVC_BACKENDS_MAX) {
			*why = "too many backends";
			return -EINVAL;
		}
		return kp_args_backend(val, &svc->backends[svc->n_backends++], why);
	}
	if (!strcmp(key, "id"))
		return kp_args_copy(svc->id, sizeof(svc->id), val, why, "id is too long");
	if (!strcmp(key, "type")) {
		type = kp_args_name(val, kp_svc_type_names, __KPLANE_SVC_TYPE_MAX);
		*why = "type is clusterip, nodeport, externalip or loadbalancer";
		if (type < 0)
			return -EINVAL;
		svc->type = (uint8_t)type;
		return 0;
	}
	if (!strcmp(key, "external-policy") || !strcmp(key, "internal-policy")) {
		int policy = kp_args_name(val, kp_policy_names, __KPLANE_POLICY_MAX);

		*why = "a traffic policy is cluster or local";
		if (policy < 0)
			return -EINVAL;
		*(key[0] == 'e' ? &svc->ext_policy : &svc->int_policy) = (uint8_t)policy;
		return 0;
	}
	if (!strcmp(key, "affinity")) {
		*why = "affinity takes a timeout in seconds (0: none)";
		if (kp_args_uint(val, 0, UINT32_MAX, &size))
			return -EINVAL;
		svc->affinity_timeout = (uint32_t)size;
		return 0;
	}
	if (!strcmp(key, "maglev")) {
		*why = "maglev takes a table size";
		if (kp_args_uint(val, 1, UINT32_MAX, &size))
			return -EINVAL;
		svc->maglev_size = (uint32_t)size;
		return 0;
	}
	*why = "expected backend, id, type, maglev, external-policy, internal-policy or affinity";
	return -EINVAL;
}

int kp_args_service(int argc, char **argv, struct kpl_service *svc, const char **why)
{
	int i;

	memset(svc, 0, sizeof(*svc));
	svc->backends = calloc(argc > 1 ? (size_t)argc / 2 : 1, sizeof(*svc->backends));
	if (!svc->backends) {
		*why = "out of memory";
		return -ENOMEM;
	}
	if (argc < 1) {
		*why = "missing frontend";
		return -EINVAL;
	}
	if (kp_args_frontend(argv[0], svc, why))
		return -EINVAL;
	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc) {
			*why = "keyword without a value";
			return -EINVAL;
		}
		if (kp_args_service_pair(argv[i], argv[i + 1], svc, why))
			return -EINVAL;
	}
	return 0;
}

const char *const kp_setting_names[__KPLANE_SETTING_MAX] = { "default", "off", "on" };

/* One "KEY VALUE" of node set into @s. */
static int kp_args_setting(const char *key, const char *val, struct kpl_node_settings *s,
			   const char **why)
{
	static const struct {
		const char *key;
		uint32_t bit;
	} keys[] = {
		{ "max-endpoints", KPL_SET_MAX_ENDPOINTS }, { "max-services", KPL_SET_MAX_SERVICES },
		{ "max-flows", KPL_SET_MAX_FLOWS }, { "policy-reject", KPL_SET_POLICY_REJECT },
		{ "bypass-conntrack", KPL_SET_BYPASS_CONNTRACK },
		{ "fast-forward", KPL_SET_FAST_FORWARD }, { "failsafe-in", KPL_SET_FAILSAFE_IN },
		{ "failsafe-out", KPL_SET_FAILSAFE_OUT },
	};
	uint32_t *limits[] = { &s->max_endpoints, &s->max_services, &s->max_flows };
	uint8_t *onoff[] = { &s->policy_reject, &s->bypass_conntrack, &s->fast_forward };
	char *lists[] = { s->failsafe_in, s->failsafe_out };
	unsigned long v;
	unsigned int i;
	int on;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && strcmp(key, keys[i].key); i++)
		;
	if (i == sizeof(keys) / sizeof(keys[0])) {
		*why = "unknown setting";
		return -EINVAL;
	}
	s->has |= keys[i].bit;
	if (i < 3) {
		if (!strcmp(val, "default"))
			v = 0;
		else if (kp_args_uint(val, 1, UINT32_MAX, &v))
			goto bad;
		*limits[i] = (uint32_t)v;
		return 0;
	}
	if (i < 6) {
		on = kp_args_name(val, kp_setting_names, __KPLANE_SETTING_MAX);
		if (on < 0)
			goto bad;
		*onoff[i - 3] = (uint8_t)on;
		return 0;
	}
	if (strlen(val) >= KPLANE_FAILSAFE_STR_MAX)
		goto bad;
	strcpy(lists[i - 6], !strcmp(val, "none") ? "" : val);
	return 0;
bad:
	*why = i < 3 ? "a limit is a number (1..4294967295) or \"default\"" :
	       i < 6 ? "takes on, off or default" :
	       "takes PROTO:PORT,..., none or default";
	return -EINVAL;
}

int kp_args_node_set(int argc, char **argv, struct kpl_node_settings *s, const char **why)
{
	int i, err = 0;

	memset(s, 0, sizeof(*s));
	if (!argc || argc % 2) {
		*why = "takes KEY VALUE pairs";
		return -EINVAL;
	}
	for (i = 0; !err && i < argc; i += 2)
		err = kp_args_setting(argv[i], argv[i + 1], s, why);
	return err;
}
