// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the parsers and checks that take untrusted text or
 * bytes: kplanectl's endpoint, service, policy and trace arguments,
 * kmod/lib/validate.c, and the rule validator and matcher (kmod/lib/match.c) fed
 * rules built from raw bytes, and kplaned's reading and translation of
 * Kubernetes objects (userspace/agent/k8s.c, behind libfyaml).  The first
 * byte picks the target; the rest is the input (NUL-separated words for
 * argv).
 */
#include <errno.h>
#include <libfyaml.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "agent.h"
#include "selector.h"
#include "validate.h"

/* fuzz_rules.c: its own file, as kmod's and libkplane's struct names overlap. */
void fuzz_rule(const uint8_t *data, size_t len);

#define KP_FUZZ_MAX_ARGS 32

static void fuzz_policy_args(int argc, char **argv)
{
	struct kpl_policy pol;
	struct kpl_trace t;
	const char *why = NULL;
	unsigned int i;

	if (kp_args_policy(argc, argv, &pol, &why) == 0) {
		for (i = 0; i < pol.n_rules; i++)
			if (pol.rules[i].action >= __KPLANE_ACTION_MAX ||
			    pol.rules[i].dir >= __KPLANE_DIR_MAX)
				abort();
	} else if (!why) {
		abort();
	}
	kpl_policy_release(&pol);
	if (kp_args_trace(argc, argv, &t, &why) != 0 && !why)
		abort();
}

static void fuzz_args(const uint8_t *data, size_t len)
{
	char *buf = malloc(len + 1), *argv[KP_FUZZ_MAX_ARGS];
	struct kpl_endpoint ep;
	struct kpl_service svc;
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
	free(ep.attach);
	fuzz_policy_args(argc, argv);
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

static void fuzz_failsafe(const uint8_t *data, size_t len)
{
	struct kp_proto_port pp[KP_FAILSAFE_MAX];
	char *s = malloc(len + 1);
	unsigned int n = 0, i;

	if (!s)
		return;
	memcpy(s, data, len);
	s[len] = '\0';
	if (!kp_failsafe_parse(s, pp, &n))
		for (i = 0; i < n; i++)
			if (!pp[i].port || n > KP_FAILSAFE_MAX)
				abort();
	free(s);
}

static int fuzz_k8s_emit(const struct kpl_service *fe, void *arg)
{
	(void)arg;
	if (fe->n_backends && !fe->backends)
		abort();
	return 0;
}

static void fuzz_k8s_skip(unsigned int line, const char *why, void *arg)
{
	(void)line;
	(void)arg;
	if (!why)
		abort();
}

/*
 * What the objects make, kept by name: every name judged alone against it
 * changes nothing (or cannot be judged alone: a frontend two names want).
 */
static void fuzz_model(const struct kp_store *store, const struct kp_k8s_node *node,
		       struct kp_desired *want)
{
	struct kp_names_change nc;
	struct kp_svc_diff d;
	struct kp_model m;

	kp_model_build(&m, want);
	if (!kp_model_names_diff(&m, store, node, &nc, &d)) {
		if (d.n_set || d.n_del)
			abort();
		kp_names_change_free(&nc);
		kp_svc_diff_free(&d);
	}
	kp_model_free(&m);
}

/* What the objects make, diffed against itself: nothing to set. */
static void fuzz_want(const struct kp_store *store, const struct kp_k8s_node *node)
{
	struct kp_desired want;
	struct kp_change d;

	if (kp_store_desired(store, node, &want))
		return;
	if (!kp_desired_diff(&want, &want, &d)) {
		if (d.svc.n_set || d.ep.n_add)
			abort();
		kp_change_free(&d);
	}
	fuzz_model(store, node, &want);
	kp_desired_free(&want);
}

/*
 * The bytes as a stream of documents (kp_k8s_load, which checks them
 * first), then as one document read as a Service and as an EndpointSlice,
 * translated.
 */
static void fuzz_k8s(const uint8_t *data, size_t len)
{
	static const struct fy_parse_cfg quiet = { .flags = FYPCF_QUIET };
	const struct kp_k8s_node node = { "node-1", "zone-a" };
	struct fy_document *d;
	struct kp_k8s_service svc;
	struct kp_k8s_slice slice;
	const struct kp_k8s_slice *slices[] = { &slice };
	const char *why = NULL;
	int svc_err, slice_err;

	struct kp_k8s_objects objs = { 0 };
	struct kp_store store = { 0 };

	/* kplaned's path: objects, the store, what they make, and a diff. */
	if (!kp_k8s_load((const char *)data, len, &objs, fuzz_k8s_skip, NULL) &&
	    !kp_store_put(&store, "fuzz", &objs))
		fuzz_want(&store, &node);
	kp_store_free(&store);
	kp_k8s_objects_free(&objs);
	if (!kp_k8s_text_ok((const char *)data, len))
		return;
	d = fy_document_build_from_string(&quiet, (const char *)data, len);
	if (!d)
		return;
	svc_err = kp_k8s_service_read(fy_document_root(d), &svc, &why);
	if (svc_err && !why)
		abort();
	why = NULL;
	slice_err = kp_k8s_slice_read(fy_document_root(d), &slice, &why);
	if (slice_err == -EINVAL && !why)
		abort();
	if (!svc_err && !slice_err)
		kp_k8s_frontends(&svc, slices, 1, &node, fuzz_k8s_emit, NULL);
	if (!slice_err)
		kp_k8s_slice_free(&slice);
	if (!svc_err)
		kp_k8s_service_free(&svc);
	fy_document_destroy(d);
}

static const char *fuzz_label(const char *key, void *arg)
{
	static const char *const labels[][2] = { { "a", "x" }, { "b", "" }, { "c", "y\"'" } };
	unsigned int i;

	for (i = 0; arg && i < sizeof(labels) / sizeof(labels[0]); i++)
		if (!strcmp(key, labels[i][0]))
			return labels[i][1];
	return NULL;
}

/*
 * A Calico selector: refused with a reason, or parsed; then its canonical
 * form parses too and means the same, with labels and without.
 */
static void fuzz_selector(const uint8_t *data, size_t len)
{
	struct kp_sel *s, *again;
	const char *why = NULL;
	size_t at = 0, n;
	char *canon;

	if (kp_sel_parse((const char *)data, len, &s, &why, &at)) {
		if (!why || at > len)
			abort();
		return;
	}
	n = kp_sel_string(s, NULL, 0);
	canon = malloc(n + 1);
	if (!canon || kp_sel_string(s, canon, n + 1) != n)
		abort();
	/* (A canonical form past the length cap is for comparing, not parsing.) */
	if (n <= KP_SEL_LEN_MAX &&
	    (kp_sel_parse(canon, n, &again, &why, &at) ||
	     kp_sel_match(s, fuzz_label, canon) != kp_sel_match(again, fuzz_label, canon) ||
	     kp_sel_match(s, fuzz_label, NULL) != kp_sel_match(again, fuzz_label, NULL)))
		abort();
	if (n <= KP_SEL_LEN_MAX)
		kp_sel_free(again);
	kp_sel_free(s);
	free(canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (!len)
		return 0;
	if (data[0] >= 0xf0) {
		fuzz_k8s(data + 1, len - 1);
		return 0;
	}
	if (data[0] >= 0xe0) {
		fuzz_selector(data + 1, len - 1);
		return 0;
	}
	switch (data[0] & 3) {
	case 0:
		fuzz_validate(data + 1, len - 1);
		break;
	case 1:
		fuzz_args(data + 1, len - 1);
		break;
	case 2:
		fuzz_rule(data + 1, len - 1);
		break;
	default:
		fuzz_failsafe(data + 1, len - 1);
		break;
	}
	return 0;
}
