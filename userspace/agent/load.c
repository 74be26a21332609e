// SPDX-License-Identifier: GPL-2.0
/* Streams of Kubernetes documents into objects: see k8s.h. */
#include <errno.h>
#include <stdio.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>
#include "k8s.h"

bool kp_grow(void **arr, unsigned int n, unsigned int *cap, size_t size)
{
	void *p;

	if (n < *cap)
		return true;
	/* From one: most keys (an etcd key, a file of one object) hold one. */
	p = realloc(*arr, (*cap ? *cap * 2 : 1) * size);
	if (!p)
		return false;
	*arr = p;
	*cap = *cap ? *cap * 2 : 1;
	return true;
}

static const char *kp_kind(struct fy_node *root)
{
	struct fy_node *n = fy_node_by_path(root, "/kind", FY_NT, FYNWF_DONT_FOLLOW);

	return n && fy_node_is_scalar(n) ? fy_node_get_scalar0(n) : NULL;
}

/* One object: kept, or -EINVAL with the reason. */
static int kp_load_obj(struct fy_node *root, struct kp_k8s_objects *o, const char **why)
{
	const char *kind = kp_kind(root);
	int err;

	if (kind && !strcmp(kind, "Service")) {
		if (!kp_grow((void **)&o->svcs, o->n_svcs, &o->cap_svcs, sizeof(*o->svcs)))
			return -ENOMEM;
		err = kp_k8s_service_read(root, &o->svcs[o->n_svcs], why);
		if (err)
			return err;
		o->n_svcs++;
		return 0;
	}
	if (kind && !strcmp(kind, "EndpointSlice")) {
		if (!kp_grow((void **)&o->slices, o->n_slices, &o->cap_slices, sizeof(*o->slices)))
			return -ENOMEM;
		err = kp_k8s_slice_read(root, &o->slices[o->n_slices], why);
		if (err)
			return err;	/* -ENOMEM must stop the load: a missing slice deletes */
		o->n_slices++;
		return 0;
	}
	if (kind && !strcmp(kind, "WorkloadEndpoint")) {
		if (!kp_grow((void **)&o->weps, o->n_weps, &o->cap_weps, sizeof(*o->weps)))
			return -ENOMEM;
		err = kp_k8s_wep_read(root, &o->weps[o->n_weps], why);
		if (err)
			return err;
		o->n_weps++;
		return 0;
	}
	if (kind && !strcmp(kind, "NodeConfig")) {
		if (!kp_grow((void **)&o->cfgs, o->n_cfgs, &o->cap_cfgs, sizeof(*o->cfgs)))
			return -ENOMEM;
		err = kp_k8s_nodecfg_read(root, &o->cfgs[o->n_cfgs], why);
		if (err)
			return err;
		o->n_cfgs++;
		return 0;
	}
	*why = kind ? "unknown kind" : "no kind";
	return -EINVAL;
}

/* The line an object starts on, as its kind's (1-based; 0: unknown). */
static unsigned int kp_obj_line(struct fy_node *root)
{
	struct fy_node *n = fy_node_by_path(root, "/kind", FY_NT, FYNWF_DONT_FOLLOW);
	struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;

	return m ? (unsigned int)m->line + 1 : 0;
}

/* A list (kubectl get -o yaml|json: kind List, ServiceList, ...): each item. */
static bool kp_is_list(struct fy_node *root)
{
	const char *kind = kp_kind(root);
	size_t n = kind ? strlen(kind) : 0;

	return n >= 4 && !strcmp(kind + n - 4, "List");
}

/* One document: its object (or a list's), each kept or reported to @skip. */
static int kp_load_doc(struct fy_document *d, struct kp_k8s_objects *o, unsigned int line,
		       void (*skip)(unsigned int line, const char *why, void *arg), void *arg)
{
	struct fy_node *root = fy_document_root(d), *items, *item;
	const char *why = NULL;
	void *iter = NULL;
	int err;

	if (!root || fy_node_is_null(root))
		return 0;	/* an empty document ("---" alone) */
	if (!kp_is_list(root)) {
		err = kp_load_obj(root, o, &why);
		if (err == -EINVAL)
			skip(line, why, arg);
		return err == -EINVAL ? 0 : err;
	}
	items = fy_node_by_path(root, "/items", FY_NT, FYNWF_DONT_FOLLOW);
	if (items && !fy_node_is_null(items) && !fy_node_is_sequence(items)) {
		skip(line, "items: not a list", arg);
		return 0;
	}
	while (items && (item = fy_node_sequence_iterate(items, &iter))) {
		err = kp_load_obj(item, o, &why);
		if (err == -EINVAL)
			skip(kp_obj_line(item) ? kp_obj_line(item) : line, why, arg);
		else if (err)
			return err;
	}
	return 0;
}

/* The first message a diagnostic gives, kept for the skip line. */
struct kp_diag_msg {
	unsigned int line;
	char text[160];
};

/* "<memory-@...>:LINE:COL: error: TEXT\n": keeps LINE and TEXT. */
static void kp_diag_keep(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct kp_diag_msg *m = user;
	const char *p, *text;
	char *end;

	(void)diag;
	if (!m || m->text[0])
		return;
	snprintf(m->text, sizeof(m->text), "%.*s", (int)len, buf);
	m->text[strcspn(m->text, "\n")] = '\0';
	p = strstr(m->text, ">:");
	if (!p)
		return;
	m->line = strtoul(p + 2, &end, 10);
	text = strstr(end, ": ");
	text = text ? strstr(text + 2, ": ") : NULL;	/* past the column and the type */
	if (text)
		memmove(m->text, text + 2, strlen(text + 2) + 1);
}

struct fy_diag *kp_fy_diag(void *msg)
{
	struct fy_diag_cfg cfg;

	fy_diag_cfg_default(&cfg);
	cfg.fp = NULL;
	cfg.output_fn = kp_diag_keep;
	cfg.user = msg;
	cfg.colorize = cfg.show_source = cfg.show_type = cfg.show_module = false;
	cfg.show_position = true;
	cfg.position_width = 0;
	return fy_diag_create(&cfg);
}

int kp_k8s_load(const char *text, size_t len, struct kp_k8s_objects *o,
		void (*skip)(unsigned int line, const char *why, void *arg), void *arg)
{
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET | FYPCF_DISABLE_ACCELERATORS };
	struct kp_diag_msg msg = { .line = 0 };
	struct fy_document *d;
	struct fy_parser *fyp = NULL;
	int err = 0;

	if (!kp_k8s_text_ok(text, len)) {
		skip(0, "not UTF-8 text (or holds a NUL byte)", arg);
		return 0;
	}
	cfg.diag = kp_fy_diag(&msg);
	if (cfg.diag)
		fyp = fy_parser_create(&cfg);
	if (!fyp || fy_parser_set_string(fyp, text, len)) {
		fy_parser_destroy(fyp);
		fy_diag_unref(cfg.diag);
		return -ENOMEM;
	}
	while (!err && (d = fy_parse_load_document(fyp))) {
		const struct fy_mark *m =
			fy_document_state_start_mark(fy_document_get_document_state(d));
		err = kp_load_doc(d, o, m ? (unsigned int)m->line + 1 : 0, skip, arg);
		fy_parse_document_destroy(fyp, d);
	}
	if (!err && fy_parser_get_stream_error(fyp)) {
		char why[224];

		/* A syntax error ends the stream: what came before it stands. */
		snprintf(why, sizeof(why), "YAML syntax error%s%s (the documents before it are kept)",
			 msg.text[0] ? ": " : "", msg.text);
		skip(msg.line, why, arg);
	}
	fy_parser_destroy(fyp);
	fy_diag_unref(cfg.diag);
	return err;
}

void kp_k8s_objects_free(struct kp_k8s_objects *o)
{
	unsigned int i;

	for (i = 0; i < o->n_slices; i++)
		kp_k8s_slice_free(&o->slices[i]);
	for (i = 0; i < o->n_svcs; i++)
		kp_k8s_service_free(&o->svcs[i]);
	free(o->slices);
	free(o->svcs);
	free(o->weps);
	free(o->cfgs);
	memset(o, 0, sizeof(*o));
}
