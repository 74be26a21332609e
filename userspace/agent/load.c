// SPDX-License-Identifier: GPL-2.0
/* Streams of Kubernetes documents into objects: see k8s.h. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
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
	struct fy_node *n = kp_k8s_at(root, "/kind");

	return n && fy_node_is_scalar(n) ? fy_node_get_scalar0(n) : NULL;
}

/* Whether @root is projectcalico.org's (a NetworkPolicy is of both APIs). */
static bool kp_calico(struct fy_node *root)
{
	struct fy_node *n = kp_k8s_at(root, "/apiVersion");
	const char *v = n && fy_node_is_scalar(n) ? fy_node_get_scalar0(n) : NULL;

	return v && !strncmp(v, "projectcalico.org/", 18);
}

/*
 * Reads one object of a kind into the next slot of its array: grown, read
 * (-EINVAL: skipped, nothing left allocated; -ENOMEM stops the load, as a
 * missing object would delete), counted.
 */
#define KP_LOAD_KIND(o, arr, n, cap, read, root, why)					\
	(!kp_grow((void **)&(o)->arr, (o)->n, &(o)->cap, sizeof(*(o)->arr)) ? -ENOMEM :	\
	 read(root, &(o)->arr[(o)->n], why) ?: ((o)->n++, 0))

/* One object: kept, or -EINVAL with the reason. */
static int kp_load_obj(struct fy_node *root, struct kp_k8s_objects *o, const char **why)
{
	const char *kind = kp_kind(root);

	if (!kind) {
		*why = "no kind";
		return -EINVAL;
	}
	if (!strcmp(kind, "Service"))
		return KP_LOAD_KIND(o, svcs, n_svcs, cap_svcs, kp_k8s_service_read, root, why);
	if (!strcmp(kind, "EndpointSlice"))
		return KP_LOAD_KIND(o, slices, n_slices, cap_slices, kp_k8s_slice_read, root, why);
	if (!strcmp(kind, "WorkloadEndpoint"))
		return KP_LOAD_KIND(o, weps, n_weps, cap_weps, kp_k8s_wep_read, root, why);
	if (!strcmp(kind, "NodeConfig"))
		return KP_LOAD_KIND(o, cfgs, n_cfgs, cap_cfgs, kp_k8s_nodecfg_read, root, why);
	if (!strcmp(kind, "Pod"))
		return KP_LOAD_KIND(o, pods, n_pods, cap_pods, kp_k8s_pod_read, root, why);
	if (!strcmp(kind, "Namespace"))
		return KP_LOAD_KIND(o, nss, n_nss, cap_nss, kp_k8s_namespace_read, root, why);
	if (!strcmp(kind, "NetworkPolicy") && !kp_calico(root))
		return KP_LOAD_KIND(o, netpols, n_netpols, cap_netpols, kp_k8s_netpol_read, root,
				    why);
	if (!strcmp(kind, "NetworkPolicy") || !strcmp(kind, "GlobalNetworkPolicy"))
		return KP_LOAD_KIND(o, cpols, n_cpols, cap_cpols, kp_cal_policy_read, root, why);
	if (!strcmp(kind, "Tier"))
		return KP_LOAD_KIND(o, tiers, n_tiers, cap_tiers, kp_cal_tier_read, root, why);
	if (!strcmp(kind, "NetworkSet") || !strcmp(kind, "GlobalNetworkSet"))
		return KP_LOAD_KIND(o, netsets, n_netsets, cap_netsets, kp_cal_netset_read, root,
				    why);
	if (!strcmp(kind, "HostEndpoint"))
		return KP_LOAD_KIND(o, heps, n_heps, cap_heps, kp_cal_hep_read, root, why);
	*why = "unknown kind";
	return -EINVAL;
}

/* The line an object starts on, as its kind's (1-based; 0: unknown). */
static unsigned int kp_obj_line(struct fy_node *root)
{
	struct fy_node *n = kp_k8s_at(root, "/kind");
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
	items = kp_k8s_at(root, "/items");
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

/* libfyaml's defaults, taken once: each take asks isatty(), a syscall per etcd key. */
static struct fy_diag_cfg kp_diag_default;
static pthread_once_t kp_diag_once = PTHREAD_ONCE_INIT;

static void kp_diag_init(void)
{
	fy_diag_cfg_default(&kp_diag_default);
}

struct fy_diag *kp_fy_diag(void *msg)
{
	struct fy_diag_cfg cfg;

	pthread_once(&kp_diag_once, kp_diag_init);
	cfg = kp_diag_default;
	cfg.fp = NULL;
	cfg.output_fn = kp_diag_keep;
	cfg.user = msg;
	cfg.colorize = cfg.show_source = cfg.show_type = cfg.show_module = false;
	cfg.show_position = true;
	cfg.position_width = 0;
	return fy_diag_create(&cfg);
}

/*
 * One stream, in order; *@broken when a syntax error ended it (what came
 * before it stands).  @text is known to be text.
 */
static int kp_load_stream(const char *text, size_t len, struct kp_k8s_objects *o,
			  void (*skip)(unsigned int line, const char *why, void *arg), void *arg,
			  bool *broken)
{
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET | FYPCF_DISABLE_ACCELERATORS };
	struct kp_diag_msg msg = { .line = 0 };
	struct fy_document *d;
	struct fy_parser *fyp = NULL;
	int err = 0;

	*broken = false;
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

		snprintf(why, sizeof(why), "YAML syntax error%s%s (the documents before it are kept)",
			 msg.text[0] ? ": " : "", msg.text);
		skip(msg.line, why, arg);
		*broken = true;
	}
	fy_parser_destroy(fyp);
	fy_diag_unref(cfg.diag);
	return err;
}

/*
 * A large stream is read in pieces, one thread each: a line that starts
 * with "---" starts a document wherever it is (YAML's c-forbidden: no
 * scalar or collection goes on across it), so pieces cut before such
 * lines read as the whole does.  A stream with directives ("%YAML", which
 * bind the next document) is read whole.
 */
#define KP_PIECE_MIN	(1u << 20)
#define KP_PIECES_MAX	8

struct kp_skip_note {
	unsigned int line;
	char *why;
};

struct kp_piece {
	const char *text;
	size_t len;
	unsigned int line0;		/* lines before it */
	struct kp_k8s_objects objs;
	struct kp_skip_note *skips;	/* replayed in order by the caller's thread */
	unsigned int n_skips, cap_skips;
	bool broken, oom;
	int err;
	pthread_t thread;
};

static void kp_piece_skip(unsigned int line, const char *why, void *arg)
{
	struct kp_piece *p = arg;
	struct kp_skip_note *n;

	if (!kp_grow((void **)&p->skips, p->n_skips, &p->cap_skips, sizeof(*p->skips))) {
		p->oom = true;
		return;
	}
	n = &p->skips[p->n_skips];
	n->line = line ? line + p->line0 : 0;
	n->why = strdup(why);
	if (!n->why) {
		p->oom = true;
		return;
	}
	p->n_skips++;
}

static void *kp_piece_read(void *arg)
{
	struct kp_piece *p = arg;

	p->err = kp_load_stream(p->text, p->len, &p->objs, kp_piece_skip, p, &p->broken);
	if (!p->err && p->oom)
		p->err = -ENOMEM;
	return NULL;
}

static bool kp_doc_start(const char *text, size_t len, size_t at)
{
	return (!at || text[at - 1] == '\n') && len - at >= 3 && !memcmp(text + at, "---", 3) &&
	       (len - at == 3 || strchr(" \t\r\n", text[at + 3]));
}

/* Where the piece that starts near @at starts: the next document's line, or @len. */
static size_t kp_piece_start(const char *text, size_t len, size_t at)
{
	const char *nl;

	while (at < len && !kp_doc_start(text, len, at)) {
		nl = memchr(text + at, '\n', len - at);
		at = nl ? (size_t)(nl - text) + 1 : len;
	}
	return at;
}

static bool kp_has_directive(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (*p == '%')
			return true;
		p = nl ? nl + 1 : end;
	}
	return false;
}

static unsigned int kp_count_lines(const char *p, const char *end)
{
	unsigned int n = 0;

	while ((p = memchr(p, '\n', end - p))) {
		n++;
		p++;
	}
	return n;
}

/* Cuts @text into at most @n pieces; returns how many. */
static unsigned int kp_cut(const char *text, size_t len, struct kp_piece *pieces, unsigned int n)
{
	unsigned int k, lines = 0;
	size_t at = 0;

	for (k = 0; k < n && at < len; k++) {
		size_t aim = len / n * (k + 1), next = len;

		if (k + 1 < n)
			next = kp_piece_start(text, len, aim > at ? aim : at + 1);
		pieces[k] = (struct kp_piece){ .text = text + at, .len = next - at, .line0 = lines };
		lines += kp_count_lines(text + at, text + next);
		at = next;
	}
	return k;
}

bool kp_append(void **to, unsigned int *n_to, unsigned int *cap, const void *from,
	       unsigned int *n_from, size_t size)
{
	unsigned int want = *n_to + *n_from;

	if (!*n_from)
		return true;
	if (want > *cap) {
		unsigned int room = *cap * 2 > want ? *cap * 2 : want;
		void *p = realloc(*to, (size_t)room * size);

		if (!p)
			return false;
		*to = p;
		*cap = room;
	}
	memcpy((char *)*to + (size_t)*n_to * size, from, (size_t)*n_from * size);
	*n_to = want;
	*n_from = 0;
	return true;
}

void kp_drop(void *arr, unsigned int *n, size_t size, unsigned int i)
{
	memmove((char *)arr + (size_t)i * size, (char *)arr + (size_t)(i + 1) * size,
		(size_t)(*n - i - 1) * size);
	(*n)--;
}

/* Moves @from's objects to the end of @to's; false: out of memory. */
static bool kp_objects_move(struct kp_k8s_objects *to, struct kp_k8s_objects *from)
{
	return kp_append((void **)&to->svcs, &to->n_svcs, &to->cap_svcs, from->svcs,
			 &from->n_svcs, sizeof(*to->svcs)) &&
	       kp_append((void **)&to->slices, &to->n_slices, &to->cap_slices, from->slices,
			 &from->n_slices, sizeof(*to->slices)) &&
	       kp_append((void **)&to->weps, &to->n_weps, &to->cap_weps, from->weps,
			 &from->n_weps, sizeof(*to->weps)) &&
	       kp_append((void **)&to->cfgs, &to->n_cfgs, &to->cap_cfgs, from->cfgs,
			 &from->n_cfgs, sizeof(*to->cfgs)) &&
	       kp_append((void **)&to->pods, &to->n_pods, &to->cap_pods, from->pods,
			 &from->n_pods, sizeof(*to->pods)) &&
	       kp_append((void **)&to->nss, &to->n_nss, &to->cap_nss, from->nss,
			 &from->n_nss, sizeof(*to->nss)) &&
	       kp_append((void **)&to->netpols, &to->n_netpols, &to->cap_netpols, from->netpols,
			 &from->n_netpols, sizeof(*to->netpols)) &&
	       kp_append((void **)&to->cpols, &to->n_cpols, &to->cap_cpols, from->cpols,
			 &from->n_cpols, sizeof(*to->cpols)) &&
	       kp_append((void **)&to->tiers, &to->n_tiers, &to->cap_tiers, from->tiers,
			 &from->n_tiers, sizeof(*to->tiers)) &&
	       kp_append((void **)&to->netsets, &to->n_netsets, &to->cap_netsets, from->netsets,
			 &from->n_netsets, sizeof(*to->netsets)) &&
	       kp_append((void **)&to->heps, &to->n_heps, &to->cap_heps, from->heps,
			 &from->n_heps, sizeof(*to->heps));
}

static unsigned int kp_pieces_for(const char *text, size_t len)
{
	size_t n = len / KP_PIECE_MIN;
	cpu_set_t set;
	int cpus = 1;

	/* The CPUs this process may run on (a pod's cpuset), not the host's. */
	if (n >= 2 && !sched_getaffinity(0, sizeof(set), &set))
		cpus = CPU_COUNT(&set);

	if (cpus < 2 || n < 2 || kp_has_directive(text, len))
		return 1;
	n = n < (size_t)cpus ? n : (size_t)cpus;
	return n < KP_PIECES_MAX ? n : KP_PIECES_MAX;
}

/* Reads the pieces, each on its thread but the first, then takes them in order. */
static int kp_load_pieces(struct kp_piece *pieces, unsigned int n, struct kp_k8s_objects *o,
			  void (*skip)(unsigned int line, const char *why, void *arg), void *arg)
{
	unsigned int k, i, started = 1;
	bool broken = false;
	int err = 0;

	for (k = 1; k < n; k++, started++)
		if (pthread_create(&pieces[k].thread, NULL, kp_piece_read, &pieces[k]))
			break;
	for (k = started; k < n; k++)	/* no thread: read here */
		kp_piece_read(&pieces[k]);
	kp_piece_read(&pieces[0]);
	for (k = 1; k < started; k++)
		pthread_join(pieces[k].thread, NULL);
	for (k = 0; k < n; k++) {
		struct kp_piece *p = &pieces[k];

		/* As one stream: a syntax error ends it, what is after it is not read. */
		if (!err && !broken) {
			err = p->err;
			for (i = 0; !err && i < p->n_skips; i++)
				skip(p->skips[i].line, p->skips[i].why, arg);
			if (!err && !kp_objects_move(o, &p->objs))
				err = -ENOMEM;
			broken = p->broken;
		}
		for (i = 0; i < p->n_skips; i++)
			free(p->skips[i].why);
		free(p->skips);
		kp_k8s_objects_free(&p->objs);
	}
	return err;
}

int kp_k8s_load(const char *text, size_t len, struct kp_k8s_objects *o,
		void (*skip)(unsigned int line, const char *why, void *arg), void *arg)
{
	struct kp_piece pieces[KP_PIECES_MAX];
	unsigned int n;
	bool broken;

	if (!kp_k8s_text_ok(text, len)) {
		skip(0, "not UTF-8 text (or holds a NUL byte)", arg);
		return 0;
	}
	n = kp_pieces_for(text, len);
	if (n > 1)
		n = kp_cut(text, len, pieces, n);
	if (n <= 1)
		return kp_load_stream(text, len, o, skip, arg, &broken);
	return kp_load_pieces(pieces, n, o, skip, arg);
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
	for (i = 0; i < o->n_pods; i++)
		kp_k8s_pod_free(&o->pods[i]);
	for (i = 0; i < o->n_nss; i++)
		kp_k8s_namespace_free(&o->nss[i]);
	for (i = 0; i < o->n_netpols; i++)
		kp_k8s_netpol_free(&o->netpols[i]);
	for (i = 0; i < o->n_cpols; i++)
		kp_cal_policy_free(&o->cpols[i]);
	for (i = 0; i < o->n_tiers; i++)
		kp_cal_tier_free(&o->tiers[i]);
	for (i = 0; i < o->n_netsets; i++)
		kp_cal_netset_free(&o->netsets[i]);
	for (i = 0; i < o->n_heps; i++)
		kp_cal_hep_free(&o->heps[i]);
	free(o->cpols);
	free(o->tiers);
	free(o->netsets);
	free(o->heps);
	free(o->weps);
	free(o->cfgs);
	free(o->pods);
	free(o->nss);
	free(o->netpols);
	memset(o, 0, sizeof(*o));
}
