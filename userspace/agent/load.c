// SPDX-License-Identifier: GPL-2.0
/* Streams of Kubernetes documents into objects: see k8s.h. */
#include <errno.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>
#include "k8s.h"

/* Room for one more in *@arr of *@n (doubling from 16); false: out of memory. */
static bool kp_grow(void **arr, unsigned int n, unsigned int *cap, size_t size)
{
	void *p;

	if (n < *cap)
		return true;
	p = realloc(*arr, (*cap ? *cap * 2 : 16) * size);
	if (!p)
		return false;
	*arr = p;
	*cap = *cap ? *cap * 2 : 16;
	return true;
}

/* One document: kept, or skipped with the reason. */
static int kp_load_doc(struct fy_document *d, struct kp_k8s_objects *o, const char **why)
{
	struct fy_node *root = fy_document_root(d);
	struct fy_node *kind_node = root ? fy_node_by_path(root, "/kind", FY_NT,
							   FYNWF_DONT_FOLLOW) : NULL;
	const char *kind = kind_node && fy_node_is_scalar(kind_node) ?
			   fy_node_get_scalar0(kind_node) : NULL;
	int err;

	if (!root || fy_node_is_null(root))
		return 0;	/* an empty document ("---" alone) */
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
	*why = kind ? "unknown kind" : "no kind";
	return -EINVAL;
}

int kp_k8s_load(const char *text, size_t len, struct kp_k8s_objects *o,
		void (*skip)(unsigned int line, const char *why, void *arg), void *arg)
{
	const struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET };
	struct fy_document *d;
	struct fy_parser *fyp;
	int err = 0;

	if (!kp_k8s_text_ok(text, len)) {
		skip(0, "not UTF-8 text (or holds a NUL byte)", arg);
		return 0;
	}
	fyp = fy_parser_create(&cfg);
	if (!fyp || fy_parser_set_string(fyp, text, len)) {
		fy_parser_destroy(fyp);
		return -ENOMEM;
	}
	while (!err && (d = fy_parse_load_document(fyp))) {
		const struct fy_mark *m =
			fy_document_state_start_mark(fy_document_get_document_state(d));
		const char *why = NULL;

		err = kp_load_doc(d, o, &why);
		if (err == -EINVAL) {
			skip(m ? (unsigned int)m->line + 1 : 0, why, arg);
			err = 0;
		}
		fy_parse_document_destroy(fyp, d);
	}
	/* A syntax error ends the stream: what came before it stands. */
	if (!err && fy_parser_get_stream_error(fyp))
		skip(0, "YAML syntax error (the documents before it are kept)", arg);
	fy_parser_destroy(fyp);
	return err;
}

void kp_k8s_objects_free(struct kp_k8s_objects *o)
{
	unsigned int i;

	for (i = 0; i < o->n_slices; i++)
		kp_k8s_slice_free(&o->slices[i]);
	free(o->slices);
	free(o->svcs);
	memset(o, 0, sizeof(*o));
}
