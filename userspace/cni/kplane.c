// SPDX-License-Identifier: GPL-2.0
/*
 * The kplane CNI plugin (CNI spec 1.0: ADD, DEL, CHECK, VERSION).  Chained
 * after a plugin that made the pod's interface (ptp, bridge), it describes
 * the pod as a WorkloadEndpoint in kplaned's state directory: the host
 * side of the veth from prevResult, the pod's addresses, its netns, its
 * name from CNI_ARGS.  kplaned makes it an endpoint; DEL removes it.  The
 * result is prevResult, unchanged.  Errors are the spec's JSON on stdout.
 *
 * Standalone (the configuration has an "ipam" section): it makes the pod's
 * interface itself, as Calico does (a veth "kp<hash>", proxy ARP for the
 * 169.254.1.1 gateway, fe80::1, routes to the pod), with the addresses the
 * IPAM plugin (e.g. host-local) gives, and DEL undoes both.
 *
 * Network configuration (all optional):
 *   "state_dir": kplaned's directory (default /etc/kplane/state.d)
 *   "nodename":  this node as kplaned knows it (default the hostname)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>
#include "k8s.h"

#define KP_CNI_STDIN_MAX	(1 << 20)

enum {	/* the spec's error codes */
	KP_CNI_ERR_VERSION = 1,
	KP_CNI_ERR_ENV = 4,
	KP_CNI_ERR_IO = 5,
	KP_CNI_ERR_DECODE = 6,
	KP_CNI_ERR_CONFIG = 7,
	KP_CNI_ERR_CHECK = 100,	/* plugin-specific from 100 */
};

struct kp_cni {
	const char *command, *container, *netns, *ifname;
	char pod_ns[64], pod[KP_K8S_NAME_MAX];
	const char *version;		/* the config's cniVersion */
	char node[256];
	const char *state_dir;
	struct fy_document *conf;
	char *conf_text;		/* as read: handed to the IPAM plugin */
	size_t conf_len;
	struct fy_node *prev;		/* prevResult (standalone: the IPAM's, made whole) */
	const char *ipam;		/* standalone: the IPAM plugin's type */
	char host_if[16];		/* standalone: the veth's host side */
	char path[512], tmp[512];	/* the pod's WorkloadEndpoint file */
};

static const char *kp_str(struct fy_node *n, const char *path)
{
	struct fy_node *v = n ? kp_k8s_at(n, path) : NULL;

	return v && fy_node_is_scalar(v) ? fy_node_get_scalar0(v) : NULL;
}

/* A mapping key/value pair of plain scalars; @plain false quotes the value. */
static int kp_put(struct fy_document *d, struct fy_node *map, const char *key, const char *val,
		  bool plain)
{
	struct fy_node *v = plain ? fy_node_create_scalar_copy(d, val, FY_NT) :
			    fy_node_buildf(d, "\"%s\"", val);

	return v ? fy_node_mapping_append(map, fy_node_create_scalar_copy(d, key, FY_NT), v) : -1;
}

/*
 * A message as one double-quoted scalar needs no escape: quotes become
 * single, backslashes slashes, control characters spaces (an IPAM
 * plugin's error, quoted in ours, holds all three).
 */
static void kp_plain_text(char *s)
{
	for (; *s; s++)
		*s = *s == '"' ? '\'' : *s == '\\' ? '/' : (unsigned char)*s < ' ' ? ' ' : *s;
}

/* The spec's error result on stdout; exits 1. */
static void __attribute__((noreturn, format(printf, 3, 4)))
kp_fail(const struct kp_cni *c, unsigned int code, const char *fmt, ...)
{
	struct fy_document *d = fy_document_create(NULL);
	struct fy_node *map = d ? fy_node_create_mapping(d) : NULL;
	char msg[512], num[16];
	va_list ap;
	char *out;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kp_plain_text(msg);
	snprintf(num, sizeof(num), "%u", code);
	if (map && !fy_document_set_root(d, map) &&
	    !kp_put(d, map, "cniVersion", c->version ? c->version : "1.0.0", false) &&
	    !kp_put(d, map, "code", num, true) && !kp_put(d, map, "msg", msg, false) &&
	    (out = fy_emit_document_to_string(d, FYECF_MODE_JSON_ONELINE))) {
		puts(out);
		free(out);
	} else {
		puts("{\"code\": 5, \"msg\": \"out of memory\"}");
	}
	fprintf(stderr, "kplane: %s\n", msg);
	exit(1);
}

static char *kp_read_stdin(size_t *len)
{
	size_t cap = 65536;
	char *buf = malloc(cap);

	*len = 0;
	while (buf) {
		size_t n = fread(buf + *len, 1, cap - *len, stdin);

		*len += n;
		if (n == 0)
			return ferror(stdin) ? (free(buf), NULL) : buf;
		if (*len == cap) {
			char *p = cap < KP_CNI_STDIN_MAX ? realloc(buf, cap * 2) : NULL;

			if (!p)
				free(buf);
			buf = p;
			cap *= 2;
		}
	}
	return NULL;
}

/* K8S_POD_NAMESPACE and K8S_POD_NAME from CNI_ARGS ("K=V;K=V"); the container id otherwise. */
static void kp_pod_name(struct kp_cni *c)
{
	const char *args = getenv("CNI_ARGS");
	char *copy = strdup(args ? args : ""), *tok, *save = NULL;

	snprintf(c->pod_ns, sizeof(c->pod_ns), "default");
	snprintf(c->pod, sizeof(c->pod), "%s", c->container);
	for (tok = copy ? strtok_r(copy, ";", &save) : NULL; tok; tok = strtok_r(NULL, ";", &save)) {
		if (!strncmp(tok, "K8S_POD_NAMESPACE=", 18) && tok[18])
			snprintf(c->pod_ns, sizeof(c->pod_ns), "%s", tok + 18);
		else if (!strncmp(tok, "K8S_POD_NAME=", 13) && tok[13])
			snprintf(c->pod, sizeof(c->pod), "%s", tok + 13);
	}
	free(copy);
}

#define KP_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

/* Names that become a file's name or an object's field: [A-Za-z0-9_.-]. */
static bool kp_safe(const char *s)
{
	return s[0] && s[0] != '.' && strspn(s, KP_NAME_CHARS) == strlen(s);
}

/* Paths written into the object: absolute, of the same characters and '/'. */
static bool kp_safe_path(const char *s)
{
	return s[0] == '/' && strspn(s, KP_NAME_CHARS "/") == strlen(s) && !strstr(s, "/../");
}

static const char *const kp_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0" };

static bool kp_version_ok(const char *v)
{
	unsigned int i;

	for (i = 0; i < sizeof(kp_versions) / sizeof(kp_versions[0]); i++)
		if (!strcmp(v, kp_versions[i]))
			return true;
	return false;
}

static void kp_env(struct kp_cni *c)
{
	c->container = getenv("CNI_CONTAINERID");
	c->netns = getenv("CNI_NETNS");
	c->ifname = getenv("CNI_IFNAME");
	if (!c->container || !kp_safe(c->container) || strlen(c->container) > 128)
		kp_fail(c, KP_CNI_ERR_ENV, "CNI_CONTAINERID missing or not [A-Za-z0-9_.-]");
	if (!c->ifname || !kp_safe(c->ifname) || strlen(c->ifname) > 15)
		kp_fail(c, KP_CNI_ERR_ENV, "CNI_IFNAME missing or invalid");
	if (strcmp(c->command, "DEL") && (!c->netns || !kp_safe_path(c->netns) ||
					 strlen(c->netns) > 255))
		kp_fail(c, KP_CNI_ERR_ENV, "CNI_NETNS missing or not an absolute path of "
			"[A-Za-z0-9_./-]");
	kp_pod_name(c);
	if (!kp_safe(c->pod_ns) || !kp_safe(c->pod))
		kp_fail(c, KP_CNI_ERR_ENV, "K8S_POD_NAMESPACE/K8S_POD_NAME not [A-Za-z0-9_.-]");
}

/* The veth's host side: "kp" and a hash of the container and interface (Calico's "cali..."). */
static void kp_host_if_name(struct kp_cni *c)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */
	const char *parts[] = { c->container, "/", c->ifname };
	unsigned int i;
	const char *p;

	for (i = 0; i < 3; i++)
		for (p = parts[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	snprintf(c->host_if, sizeof(c->host_if), "kp%012llx", (unsigned long long)(h >> 16));
}

static void kp_config(struct kp_cni *c)
{
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET };
	struct fy_node *root;
	const char *node;
	size_t len;
	char *text = kp_read_stdin(&len);

	if (!text)
		kp_fail(c, KP_CNI_ERR_IO, "cannot read the network configuration");
	c->conf_text = text;
	c->conf_len = len;
	cfg.diag = kp_fy_diag(NULL);
	c->conf = kp_k8s_text_ok(text, len) && cfg.diag ?
		  fy_document_build_from_string(&cfg, text, len) : NULL;
	fy_diag_unref(cfg.diag);
	root = c->conf ? fy_document_root(c->conf) : NULL;
	if (!root || !fy_node_is_mapping(root))
		kp_fail(c, KP_CNI_ERR_DECODE, "the network configuration is not a JSON object");
	c->version = kp_str(root, "/cniVersion");
	if (!c->version)
		kp_fail(c, KP_CNI_ERR_CONFIG, "cniVersion missing");
	if (!kp_version_ok(c->version))
		kp_fail(c, KP_CNI_ERR_VERSION, "cniVersion %.32s is not supported (0.3.0 to 1.0.0)",
			c->version);
	if (!strcmp(c->command, "CHECK") && strncmp(c->version, "0.3.", 4) == 0)
		kp_fail(c, KP_CNI_ERR_VERSION, "CHECK needs cniVersion 0.4.0 or later");
	c->state_dir = kp_str(root, "/state_dir");
	if (!c->state_dir)
		c->state_dir = "/etc/kplane/state.d";
	if (!kp_safe_path(c->state_dir) || strlen(c->state_dir) > 256)
		kp_fail(c, KP_CNI_ERR_CONFIG, "state_dir: not an absolute path of [A-Za-z0-9_./-]");
	node = kp_str(root, "/nodename");
	if (node)
		snprintf(c->node, sizeof(c->node), "%s", node);
	else if (gethostname(c->node, sizeof(c->node) - 1))
		kp_fail(c, KP_CNI_ERR_CONFIG, "no nodename and no hostname");
	if (!kp_safe(c->node))
		kp_fail(c, KP_CNI_ERR_CONFIG, "nodename: not [A-Za-z0-9_.-]");
	c->prev = kp_k8s_at(root, "/prevResult");
	c->ipam = kp_str(root, "/ipam/type");
	if (c->ipam && !kp_safe(c->ipam))
		kp_fail(c, KP_CNI_ERR_CONFIG, "ipam.type: not [A-Za-z0-9_.-]");
	kp_host_if_name(c);
	/* Keep the text: the document points into it until the plugin exits. */
	snprintf(c->path, sizeof(c->path), "%s/wep-%s-%s.yaml", c->state_dir, c->container,
		 c->ifname);
	snprintf(c->tmp, sizeof(c->tmp), "%s/.wep-%s-%s.yaml.tmp", c->state_dir, c->container,
		 c->ifname);
}

/* Whether @name is a bridge (bridge's prevResult lists it beside the veth). */
static bool kp_is_bridge(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", name);
	return !stat(path, &st);
}

/* The host side of the pod's veth: the last interface outside any sandbox that is not a bridge. */
static const char *kp_host_if(struct kp_cni *c)
{
	struct fy_node *ifs = kp_k8s_at(c->prev, "/interfaces");
	struct fy_node *i;
	const char *host = NULL;
	void *iter = NULL;

	while (ifs && fy_node_is_sequence(ifs) && (i = fy_node_sequence_iterate(ifs, &iter))) {
		const char *name = kp_str(i, "/name"), *sandbox = kp_str(i, "/sandbox");

		if (name && (!sandbox || !sandbox[0]) && !kp_is_bridge(name))
			host = name;
	}
	if (!host || !kp_safe(host) || strlen(host) > 15)
		kp_fail(c, KP_CNI_ERR_CONFIG, "prevResult names no host-side interface");
	return host;
}

/* prevResult's addresses, as host networks (the pod's own: /32, /128). */
static struct fy_node *kp_pod_nets(struct kp_cni *c, struct fy_document *d)
{
	struct fy_node *ips = kp_k8s_at(c->prev, "/ips");
	struct fy_node *seq = fy_node_create_sequence(d), *ip;
	void *iter = NULL;
	unsigned int n = 0;

	while (seq && ips && fy_node_is_sequence(ips) && (ip = fy_node_sequence_iterate(ips, &iter))) {
		const char *addr = kp_str(ip, "/address");
		char net[64];
		struct kpl_ip parsed;
		size_t len = addr ? strcspn(addr, "/") : 0;

		if (!len || len >= 46 || n == KPLANE_EP_ADDR_MAX)
			kp_fail(c, KP_CNI_ERR_CONFIG, "prevResult: an address is invalid (or too many)");
		snprintf(net, sizeof(net), "%.*s", (int)len, addr);
		if (inet_pton(AF_INET, net, parsed.ip) == 1)
			strcat(net, "/32");
		else if (inet_pton(AF_INET6, net, parsed.ip) == 1)
			strcat(net, "/128");
		else
			kp_fail(c, KP_CNI_ERR_CONFIG, "prevResult: %s is not an address", addr);
		fy_node_sequence_append(seq, fy_node_buildf(d, "\"%s\"", net));
		n++;
	}
	if (!n)
		kp_fail(c, KP_CNI_ERR_CONFIG, "prevResult has no address for the pod");
	return seq;
}

/* The pod's WorkloadEndpoint, as kplaned reads it. */
static char *kp_wep_text(struct kp_cni *c)
{
	struct fy_document *d = fy_document_create(NULL);
	struct fy_node *root = d ? fy_node_create_mapping(d) : NULL, *meta, *spec;
	char name[600];
	char *out = NULL;

	meta = d ? fy_node_create_mapping(d) : NULL;
	spec = d ? fy_node_create_mapping(d) : NULL;
	snprintf(name, sizeof(name), "%s-k8s-%s-%s", c->node, c->pod, c->ifname);
	if (root && meta && spec && !fy_document_set_root(d, root) &&
	    !kp_put(d, root, "apiVersion", "projectcalico.org/v3", false) &&
	    !kp_put(d, root, "kind", "WorkloadEndpoint", false) &&
	    !kp_put(d, meta, "name", name, false) &&
	    !kp_put(d, meta, "namespace", c->pod_ns, false) &&
	    !fy_node_mapping_append(root, fy_node_create_scalar(d, "metadata", FY_NT), meta) &&
	    !kp_put(d, spec, "node", c->node, false) &&
	    !kp_put(d, spec, "orchestrator", "k8s", false) &&
	    !kp_put(d, spec, "pod", c->pod, false) &&
	    !kp_put(d, spec, "endpoint", c->ifname, false) &&
	    !kp_put(d, spec, "containerID", c->container, false) &&
	    !kp_put(d, spec, "interfaceName", kp_host_if(c), false) &&
	    !kp_put(d, spec, "netns", c->netns, false) &&
	    !fy_node_mapping_append(spec, fy_node_create_scalar(d, "ipNetworks", FY_NT),
				    kp_pod_nets(c, d)) &&
	    !fy_node_mapping_append(root, fy_node_create_scalar(d, "spec", FY_NT), spec))
		out = fy_emit_document_to_string(d, FYECF_MODE_JSON);
	fy_document_destroy(d);
	if (!out)
		kp_fail(c, KP_CNI_ERR_IO, "out of memory");
	return out;
}

/* Written whole, then renamed over: kplaned never reads half a file. */
static void kp_write_wep(struct kp_cni *c, const char *text)
{
	FILE *f = fopen(c->tmp, "w");

	if (!f || fputs(text, f) < 0 || fflush(f) || fsync(fileno(f)) || fclose(f)) {
		if (f)
			fclose(f);
		unlink(c->tmp);
		kp_fail(c, KP_CNI_ERR_IO, "cannot write %s: %s", c->tmp, strerror(errno));
	}
	if (rename(c->tmp, c->path))
		kp_fail(c, KP_CNI_ERR_IO, "cannot rename to %s: %s", c->path, strerror(errno));
}

/* The result: prevResult as it came, in the config's version. */
static void kp_print_result(struct kp_cni *c)
{
	char *out;

	fy_node_mapping_remove_by_key(c->prev, fy_node_create_scalar(c->conf, "cniVersion", FY_NT));
	fy_node_mapping_append(c->prev, fy_node_create_scalar(c->conf, "cniVersion", FY_NT),
			       fy_node_buildf(c->conf, "\"%s\"", c->version));
	out = fy_emit_node_to_string(c->prev, FYECF_MODE_JSON_ONELINE);
	if (!out)
		kp_fail(c, KP_CNI_ERR_IO, "out of memory");
	puts(out);
	free(out);
}

/* The first @type executable on CNI_PATH, into @path. */
static bool kp_find_plugin(const char *type, char *path, size_t size)
{
	const char *dirs = getenv("CNI_PATH");
	char *copy = strdup(dirs ? dirs : "/opt/cni/bin"), *dir, *save = NULL;
	bool found = false;

	for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, size, "%s/%s", dir, type);
		found = !access(path, X_OK);
	}
	free(copy);
	return found;
}

/*
 * Runs the IPAM plugin with @command, the same environment and this
 * configuration on stdin, as the spec delegates; its result, parsed (ADD),
 * or NULL.  Its failure is the plugin's (ADD) or ignored (DEL).
 */
static struct fy_document *kp_ipam(struct kp_cni *c, const char *command)
{
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET };
	int in[2], out[2], status;
	struct fy_document *doc;
	char path[512], *buf = NULL;
	size_t len = 0;
	FILE *f;
	pid_t pid;

	if (!kp_find_plugin(c->ipam, path, sizeof(path)))
		kp_fail(c, KP_CNI_ERR_CONFIG, "ipam plugin %s not found on CNI_PATH", c->ipam);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		kp_fail(c, KP_CNI_ERR_IO, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		kp_fail(c, KP_CNI_ERR_IO, "fork: %s", strerror(errno));
	if (!pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		setenv("CNI_COMMAND", command, 1);
		execl(path, c->ipam, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (write(in[1], c->conf_text, c->conf_len) != (ssize_t)c->conf_len)
		kp_fail(c, KP_CNI_ERR_IO, "writing to the ipam plugin: %s", strerror(errno));
	close(in[1]);
	f = fdopen(out[0], "r");
	while (f && !feof(f)) {
		char *p = realloc(buf, len + 4096 + 1);

		if (!p)
			break;
		buf = p;
		len += fread(buf + len, 1, 4096, f);
		buf[len] = '\0';
		if (len > 1 << 20)
			break;
	}
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	if (!strcmp(command, "DEL")) {
		free(buf);
		return NULL;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !buf)
		kp_fail(c, KP_CNI_ERR_IO, "ipam plugin %s failed: %.300s", c->ipam, buf ? buf : "");
	cfg.diag = kp_fy_diag(NULL);
	doc = kp_k8s_text_ok(buf, len) ? fy_document_build_from_string(&cfg, buf, len) : NULL;
	fy_diag_unref(cfg.diag);
	if (!doc)
		kp_fail(c, KP_CNI_ERR_DECODE, "ipam plugin %s: not a result", c->ipam);
	return doc;	/* @buf stays: the document points into it */
}

/* An interface entry of a result: name, mac and (the pod's) sandbox. */
static struct fy_node *kp_result_if(struct fy_document *d, const char *name, const char *mac,
				    const char *sandbox)
{
	struct fy_node *i = fy_node_create_mapping(d);

	if (!i || kp_put(d, i, "name", name, false) || kp_put(d, i, "mac", mac, false) ||
	    (sandbox && kp_put(d, i, "sandbox", sandbox, false)))
		return NULL;
	return i;
}

/* The IPAM's addresses into @l; each ips[] entry now names the pod's interface (1). */
static void kp_ipam_addrs(struct kp_cni *c, struct fy_document *d, struct kpl_pod_link *l)
{
	struct fy_node *ips = kp_k8s_at(fy_document_root(d), "/ips");
	struct fy_node *ip;
	void *iter = NULL;

	while (ips && fy_node_is_sequence(ips) && (ip = fy_node_sequence_iterate(ips, &iter))) {
		const char *addr = kp_str(ip, "/address");
		char text[64];

		snprintf(text, sizeof(text), "%.*s", (int)(addr ? strcspn(addr, "/") : 0),
			 addr ? addr : "");
		if (l->n_addrs == KPLANE_EP_ADDR_MAX ||
		    inet_pton(strchr(text, ':') ? AF_INET6 : AF_INET, text,
			      l->addrs[l->n_addrs].ip) != 1)
			kp_fail(c, KP_CNI_ERR_DECODE, "ipam result: a bad address");
		l->addrs[l->n_addrs++].family = strchr(text, ':') ? AF_INET6 : AF_INET;
		fy_node_mapping_remove_by_key(ip, fy_node_create_scalar(d, "interface", FY_NT));
		fy_node_mapping_append(ip, fy_node_create_scalar(d, "interface", FY_NT),
				       fy_node_create_scalar(d, "1", FY_NT));
	}
	if (!l->n_addrs)
		kp_fail(c, KP_CNI_ERR_DECODE, "ipam plugin %s gave no address", c->ipam);
}

/* Standalone ADD: addresses from IPAM, the veth wired, the result made whole. */
static void kp_add_standalone(struct kp_cni *c)
{
	struct kpl_pod_link l = { .pod_netns_fd = -1 };
	struct fy_document *d = kp_ipam(c, "ADD");
	struct fy_node *root = fy_document_root(d), *ifs = fy_node_create_sequence(d);
	const char *mtu = kp_str(fy_document_root(c->conf), "/mtu");
	int err;

	kp_ipam_addrs(c, d, &l);
	snprintf(l.host_if, sizeof(l.host_if), "%s", c->host_if);
	snprintf(l.pod_if, sizeof(l.pod_if), "%s", c->ifname);
	l.mtu = mtu ? (uint32_t)strtoul(mtu, NULL, 10) : 0;
	l.pod_netns_fd = open(c->netns, O_RDONLY | O_CLOEXEC);
	err = l.pod_netns_fd < 0 ? -errno : kpl_pod_link_add(&l);
	if (l.pod_netns_fd >= 0)
		close(l.pod_netns_fd);
	if (err) {
		kp_ipam(c, "DEL");
		kp_fail(c, KP_CNI_ERR_IO, "the pod's interface: %s",
			l.error[0] ? l.error : strerror(-err));
	}
	fy_node_mapping_remove_by_key(root, fy_node_create_scalar(d, "interfaces", FY_NT));
	if (!ifs || fy_node_sequence_append(ifs, kp_result_if(d, l.host_if, l.host_mac, NULL)) ||
	    fy_node_sequence_append(ifs, kp_result_if(d, c->ifname, l.pod_mac, c->netns)) ||
	    fy_node_mapping_append(root, fy_node_create_scalar(d, "interfaces", FY_NT), ifs))
		kp_fail(c, KP_CNI_ERR_IO, "out of memory");
	c->prev = fy_node_copy(c->conf, root);
	fy_document_destroy(d);
	if (!c->prev)
		kp_fail(c, KP_CNI_ERR_IO, "out of memory");
}

static int kp_add(struct kp_cni *c)
{
	char *text;

	if (c->ipam)
		kp_add_standalone(c);
	if (!c->prev)
		kp_fail(c, KP_CNI_ERR_CONFIG, "no prevResult: run kplane chained after ptp or "
			"bridge, or give it an ipam section to make the interface itself");
	text = kp_wep_text(c);
	kp_write_wep(c, text);
	free(text);
	kp_print_result(c);
	return 0;
}

static int kp_del(struct kp_cni *c)
{
	if (c->ipam) {
		int err = kpl_pod_link_del(c->host_if);

		if (err)
			kp_fail(c, KP_CNI_ERR_IO, "deleting %s: %s", c->host_if, strerror(-err));
		kp_ipam(c, "DEL");
	}
	if (unlink(c->path) && errno != ENOENT)
		kp_fail(c, KP_CNI_ERR_IO, "cannot remove %s: %s", c->path, strerror(errno));
	return 0;
}

/* The file holds what ADD would write now. */
static int kp_check(struct kp_cni *c)
{
	char *want, *have;
	size_t len;
	FILE *f;

	if (!c->prev)
		kp_fail(c, KP_CNI_ERR_CONFIG, "CHECK needs prevResult");
	if (c->ipam && !kpl_pod_link_exists(c->host_if))
		kp_fail(c, KP_CNI_ERR_CHECK, "the pod's interface %s is gone", c->host_if);
	want = kp_wep_text(c);
	f = fopen(c->path, "r");
	if (!f)
		kp_fail(c, KP_CNI_ERR_CHECK, "%s: %s", c->path, strerror(errno));
	have = calloc(1, strlen(want) + 2);
	len = have ? fread(have, 1, strlen(want) + 1, f) : 0;
	fclose(f);
	if (!have || len != strlen(want) || memcmp(have, want, len))
		kp_fail(c, KP_CNI_ERR_CHECK, "%s does not describe this pod as ADD did", c->path);
	free(have);
	free(want);
	return 0;
}

int main(void)
{
	static const char versions[] = "{\"cniVersion\": \"1.0.0\", \"supportedVersions\": "
				       "[\"0.3.0\", \"0.3.1\", \"0.4.0\", \"1.0.0\"]}";	/* kp_versions */
	struct kp_cni c = { .command = getenv("CNI_COMMAND") };

	if (!c.command)
		kp_fail(&c, KP_CNI_ERR_ENV, "CNI_COMMAND is not set");
	if (!strcmp(c.command, "VERSION")) {
		puts(versions);
		return 0;
	}
	kp_env(&c);
	kp_config(&c);
	if (!strcmp(c.command, "ADD"))
		return kp_add(&c);
	if (!strcmp(c.command, "DEL"))
		return kp_del(&c);
	if (!strcmp(c.command, "CHECK"))
		return kp_check(&c);
	kp_fail(&c, KP_CNI_ERR_ENV, "unknown CNI_COMMAND %s", c.command);
}
