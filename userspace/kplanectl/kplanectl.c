// SPDX-License-Identifier: GPL-2.0
/*
 * kplanectl: inspect and program the kplane node of the current netns (or
 * of the one -n names, as `ip -n` does).
 *
 * Exit codes (scripts rely on them):
 *   0  done
 *   1  the kernel (or libkplane) refused; the reason is printed on stderr
 *   2  usage error
 *   3  kplane is not available (module not loaded)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent.h"
#include "args.h"
#include "libkplane.h"
#include "output.h"

enum { KP_EXIT_OK, KP_EXIT_REFUSED, KP_EXIT_USAGE, KP_EXIT_UNAVAILABLE };

struct kp_cli {
	struct kpl_handle *h;
	bool json;
	const struct kp_cmd *cmd;
};

struct kp_cmd {
	const char *group;	/* "node", "endpoint", or NULL for top level */
	const char *name;
	int (*run)(struct kp_cli *cli, int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct kp_cmd kp_cmds[];

static void kp_cmd_name(const struct kp_cmd *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", c->group ? c->group : "", c->group ? " " : "", c->name);
}

static int kp_usage(const struct kp_cmd *c, const char *why)
{
	char name[64];

	kp_cmd_name(c, name, sizeof(name));
	if (why)
		fprintf(stderr, "kplanectl: %s: %s\n", name, why);
	fprintf(stderr, "usage: kplanectl [--json] %s%s%s\n", name, c->args[0] ? " " : "", c->args);
	return KP_EXIT_USAGE;
}

/* Prints a refusal as "kplanectl: CMD: strerror: kernel message". */
static int kp_refused(struct kp_cli *cli, int err)
{
	const char *msg = kpl_error(cli->h);
	char name[64];

	kp_cmd_name(cli->cmd, name, sizeof(name));
	if (msg[0] && strcmp(msg, strerror(-err)))
		fprintf(stderr, "kplanectl: %s: %s: %s\n", name, strerror(-err), msg);
	else
		fprintf(stderr, "kplanectl: %s: %s\n", name, strerror(-err));
	return KP_EXIT_REFUSED;
}

static int kp_no_args(struct kp_cli *cli, int argc)
{
	return argc ? kp_usage(cli->cmd, "takes no arguments") : 0;
}

static int kp_run_status(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_status st;
	int err = kp_no_args(cli, argc);

	(void)argv;
	if (err)
		return err;
	err = kpl_node_status(cli->h, &st);
	if (err)
		return kp_refused(cli, err);
	kp_print_status(stdout, &st, cli->json);
	return KP_EXIT_OK;
}

/* A command that takes no arguments and prints nothing on success. */
static int kp_run_plain(struct kp_cli *cli, int argc, int (*call)(struct kpl_handle *h))
{
	int err = kp_no_args(cli, argc);

	if (err)
		return err;
	err = call(cli->h);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

static int kp_run_node_enable(struct kp_cli *cli, int argc, char **argv)
{
	(void)argv;
	return kp_run_plain(cli, argc, kpl_node_enable);
}

static int kp_run_node_set(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_node_settings s;
	const char *why = NULL;
	int err;

	if (kp_args_node_set(argc, argv, &s, &why))
		return kp_usage(cli->cmd, why);
	err = kpl_node_set(cli->h, &s);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

static int kp_run_node_disable(struct kp_cli *cli, int argc, char **argv)
{
	(void)argv;
	return kp_run_plain(cli, argc, kpl_node_disable);
}

static int kp_run_endpoint_add(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_endpoint ep;
	const char *netns = NULL, *why = NULL;
	int err;

	if (kp_args_endpoint(argc, argv, &ep, &netns, &why)) {
		kpl_endpoint_release(&ep);
		return kp_usage(cli->cmd, why);
	}
	if (netns) {
		ep.netns_fd = open(netns, O_RDONLY | O_CLOEXEC);
		if (ep.netns_fd < 0) {
			fprintf(stderr, "kplanectl: endpoint add: %s: %s\n", netns, strerror(errno));
			kpl_endpoint_release(&ep);
			return KP_EXIT_REFUSED;
		}
	}
	err = kpl_endpoint_add(cli->h, &ep);
	if (ep.netns_fd >= 0)
		close(ep.netns_fd);
	kpl_endpoint_release(&ep);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

static int kp_run_endpoint_del(struct kp_cli *cli, int argc, char **argv)
{
	int err;

	if (argc != 1)
		return kp_usage(cli->cmd, "takes exactly one id");
	err = kpl_endpoint_del(cli->h, argv[0]);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

static int kp_run_endpoint_show(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_endpoint ep;
	int err;

	if (argc != 1)
		return kp_usage(cli->cmd, "takes exactly one id");
	err = kpl_endpoint_get(cli->h, argv[0], &ep);
	if (err)
		return kp_refused(cli, err);
	kp_print_endpoint(stdout, &ep, cli->json);
	kpl_endpoint_release(&ep);
	return KP_EXIT_OK;
}

static int kp_run_endpoint_list(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_endpoint *eps;
	size_t n;
	int err = kp_no_args(cli, argc);

	(void)argv;
	if (err)
		return err;
	err = kpl_endpoint_list(cli->h, &eps, &n);
	if (err)
		return kp_refused(cli, err);
	kp_print_endpoints(stdout, eps, n, cli->json);
	kpl_endpoints_free(eps, n);
	return KP_EXIT_OK;
}

static int kp_run_service_set(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_service svc;
	const char *why = NULL;
	int err;

	if (kp_args_service(argc, argv, &svc, &why)) {
		free(svc.backends);
		return kp_usage(cli->cmd, why);
	}
	err = kpl_service_set(cli->h, &svc);
	free(svc.backends);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

/* Longest batch line, and most words on one. */
#define KP_BATCH_LINE	65536
#define KP_BATCH_WORDS	(2 * KPLANE_SVC_BACKENDS_MAX + 32)

/* Splits @line on blanks in place; returns the word count or -1 if too many. */
static int kp_split(char *line, char **words)
{
	int n = 0;
	char *w;

	for (w = strtok(line, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
		if (n == KP_BATCH_WORDS)
			return -1;
		words[n++] = w;
	}
	return n;
}

/* Queues one batch line ("service set ..." or "service del ..."). */
static int kp_run_ipset_set(struct kp_cli *cli, int argc, char **argv);
static int kp_run_ipset_add(struct kp_cli *cli, int argc, char **argv);
static int kp_run_ipset_remove(struct kp_cli *cli, int argc, char **argv);
static int kp_run_ipset_del(struct kp_cli *cli, int argc, char **argv);
static int kp_run_policy_set(struct kp_cli *cli, int argc, char **argv);
static int kp_run_policy_del(struct kp_cli *cli, int argc, char **argv);
static int kp_run_endpoint_policy(struct kp_cli *cli, int argc, char **argv);

/*
 * A policy line of a batch: sent at once, into the open transaction, by
 * the command's own runner (which prints its refusal).
 */
static int kp_batch_policy_line(struct kp_cli *cli, char **w, int n, const char **why)
{
	static const struct {
		const char *group, *name;
		int (*run)(struct kp_cli *cli, int argc, char **argv);
	} lines[] = {
		{ "ipset", "set", kp_run_ipset_set }, { "ipset", "add", kp_run_ipset_add },
		{ "ipset", "remove", kp_run_ipset_remove }, { "ipset", "del", kp_run_ipset_del },
		{ "policy", "set", kp_run_policy_set }, { "policy", "del", kp_run_policy_del },
		{ "endpoint", "policy", kp_run_endpoint_policy },
		{ "endpoint", "add", kp_run_endpoint_add }, { "endpoint", "del", kp_run_endpoint_del },
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (strcmp(w[0], lines[i].group) || strcmp(w[1], lines[i].name))
			continue;
		if (lines[i].run(cli, n - 2, w + 2) == KP_EXIT_OK)
			return 0;
		*why = "refused (see above)";
		return -EINVAL;
	}
	return -ENOENT;
}

static int kp_batch_line(struct kp_cli *cli, char **w, int n, const char **why)
{
	struct kpl_service svc;
	int err;

	*why = "expected \"service set|del\", \"ipset set|add|remove|del\", "
	       "\"policy set|del\" or \"endpoint add|del|policy\"";
	if (n < 2)
		return -EINVAL;
	err = kp_batch_policy_line(cli, w, n, why);
	if (err != -ENOENT)
		return err;
	if (n < 3 || strcmp(w[0], "service"))
		return -EINVAL;
	if (!strcmp(w[1], "set")) {
		if (kp_args_service(n - 2, w + 2, &svc, why)) {
			free(svc.backends);
			return -EINVAL;
		}
		err = kpl_batch_service_set(cli->h, &svc);
		free(svc.backends);
	} else if (!strcmp(w[1], "del") && n == 3) {
		memset(&svc, 0, sizeof(svc));
		if (kp_args_frontend(w[2], &svc, why))
			return -EINVAL;
		err = kpl_batch_service_del(cli->h, &svc);
	} else {
		return -EINVAL;
	}
	if (err)	/* sending a full window of the batch failed */
		*why = kpl_error(cli->h);
	return err;
}

/*
 * Where a batch's changes came from, to name the line of a refusal: the
 * line of each queued service change (kpl_batch_flush counts those), and of
 * each policy line with the span of policy requests it staged (a commit's
 * refusal counts those: kpl_refused_change).
 */
struct kp_batch_src {
	unsigned int *queued;
	size_t n_queued;
	struct kp_staged_line {
		unsigned int line;
		uint32_t from, to;
	} *staged;
	size_t n_staged;
};

static int kp_batch_note(struct kp_batch_src *src, unsigned int line, uint32_t from, uint32_t to)
{
	if (from == to) {
		unsigned int *q = realloc(src->queued, (src->n_queued + 1) * sizeof(*q));

		if (!q)
			return -ENOMEM;
		src->queued = q;
		q[src->n_queued++] = line;
	} else {
		struct kp_staged_line *st = realloc(src->staged, (src->n_staged + 1) * sizeof(*st));

		if (!st)
			return -ENOMEM;
		src->staged = st;
		st[src->n_staged++] = (struct kp_staged_line){ line, from, to };
	}
	return 0;
}

/* The line that staged policy request @index, or 0. */
static unsigned int kp_batch_staged_line(const struct kp_batch_src *src, uint32_t index)
{
	size_t i;

	for (i = 0; i < src->n_staged; i++)
		if (index >= src->staged[i].from && index < src->staged[i].to)
			return src->staged[i].line;
	return 0;
}

/* Reads and queues every line; usage errors name the line. */
static int kp_batch_read(struct kp_cli *cli, FILE *in, struct kp_batch_src *src)
{
	char *buf = malloc(KP_BATCH_LINE), **words = calloc(KP_BATCH_WORDS, sizeof(*words));
	const char *why = "out of memory";
	unsigned int lineno = 0;
	uint32_t before;
	int nw, err = 0;

	while (buf && words && fgets(buf, KP_BATCH_LINE, in)) {
		lineno++;
		nw = kp_split(buf, words);
		if (nw == 0 || (nw > 0 && words[0][0] == '#'))
			continue;
		before = kpl_txn_policy_changes(cli->h);
		err = nw < 0 ? -E2BIG : kp_batch_line(cli, words, nw, &why);
		if (!err)
			err = kp_batch_note(src, lineno, before, kpl_txn_policy_changes(cli->h));
		if (err)
			break;
	}
	if (!buf || !words)
		err = -ENOMEM;
	free(buf);
	free(words);
	if (err == -E2BIG)
		why = "too many words";
	if (err)
		fprintf(stderr, "kplanectl: batch: line %u: %s\n", lineno, why);
	return err;
}

/* A commit's refusal, with the line of the change it names. */
static int kp_batch_commit_refused(struct kp_cli *cli, const struct kp_batch_src *src, int err)
{
	unsigned int line = 0;
	uint32_t index;

	if (kpl_refused_change(cli->h, &index))
		line = kp_batch_staged_line(src, index);
	if (!line)
		return kp_refused(cli, err);
	fprintf(stderr, "kplanectl: batch: line %u: %s: %s\n", line, strerror(-err),
		kpl_error(cli->h));
	return KP_EXIT_REFUSED;
}

static int kp_run_batch(struct kp_cli *cli, int argc, char **argv)
{
	FILE *in = argc == 1 && strcmp(argv[0], "-") ? fopen(argv[0], "r") : stdin;
	struct kp_batch_src src = { 0 };
	size_t failed;
	int err;

	if (argc > 1)
		return kp_usage(cli->cmd, "takes at most one file");
	if (!in) {
		fprintf(stderr, "kplanectl: batch: %s: %s\n", argv[0], strerror(errno));
		return KP_EXIT_USAGE;
	}
	/* Every change carries the transaction's id: begin before queueing. */
	err = kpl_txn_begin(cli->h);
	if (err) {
		if (in != stdin)
			fclose(in);
		return kp_refused(cli, err);
	}
	err = kp_batch_read(cli, in, &src);
	if (in != stdin)
		fclose(in);
	if (err) {
		kpl_txn_abort(cli->h);
		err = KP_EXIT_USAGE;
		goto out;
	}
	err = kpl_batch_flush(cli->h, &failed);
	if (err) {
		fprintf(stderr, "kplanectl: batch: line %u: %s: %s\n",
			failed < src.n_queued ? src.queued[failed] : 0, strerror(-err),
			kpl_error(cli->h));
		kpl_txn_abort(cli->h);
		err = KP_EXIT_REFUSED;
		goto out;
	}
	err = kpl_txn_commit(cli->h);
	err = err ? kp_batch_commit_refused(cli, &src, err) : KP_EXIT_OK;
out:
	free(src.queued);
	free(src.staged);
	return err;
}

/* Commands that name a service by its frontend alone. */
static int kp_service_key_arg(struct kp_cli *cli, int argc, char **argv, struct kpl_service *key)
{
	const char *why;

	memset(key, 0, sizeof(*key));
	if (argc != 1)
		return kp_usage(cli->cmd, "takes exactly one frontend");
	if (kp_args_frontend(argv[0], key, &why))
		return kp_usage(cli->cmd, why);
	return 0;
}

static int kp_run_service_del(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_service key;
	int err = kp_service_key_arg(cli, argc, argv, &key);

	if (err)
		return err;
	err = kpl_service_del(cli->h, &key);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

static int kp_run_service_show(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_service key, svc;
	int err = kp_service_key_arg(cli, argc, argv, &key);

	if (err)
		return err;
	err = kpl_service_get(cli->h, &key, &svc);
	if (err)
		return kp_refused(cli, err);
	kp_print_service(stdout, &svc, cli->json);
	free(svc.backends);
	return KP_EXIT_OK;
}

static int kp_run_service_list(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_service *svcs;
	size_t n;
	int err = kp_no_args(cli, argc);

	(void)argv;
	if (err)
		return err;
	err = kpl_service_list(cli->h, &svcs, &n);
	if (err)
		return kp_refused(cli, err);
	kp_print_services(stdout, svcs, n, cli->json);
	kpl_services_free(svcs, n);
	return KP_EXIT_OK;
}


static int kp_run_endpoint_policy(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_endpoint ep = { .netns_fd = -1 };
	const char *why = NULL;
	int i, err = 0;

	if (argc < 1 || !(argc % 2) || strlen(argv[0]) >= sizeof(ep.id))
		return kp_usage(cli->cmd, "takes an id, then ingress|egress TIER:POLICIES pairs");
	strcpy(ep.id, argv[0]);
	for (i = 1; i < argc && !err; i += 2) {
		if (strcmp(argv[i], "ingress") && strcmp(argv[i], "egress")) {
			why = "expected ingress or egress";
			err = -EINVAL;
		} else {
			err = kp_args_attach(argv[i], argv[i + 1], &ep, &why);
		}
	}
	if (!err)
		err = kpl_endpoint_policy(cli->h, &ep);
	else
		err = 1;
	kpl_endpoint_release(&ep);
	if (err == 1)
		return kp_usage(cli->cmd, why);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

/* CIDR arguments into a new array; NULL with @why on a bad one. */
static struct kplane_prefix *kp_prefix_args(int argc, char **argv, const char **why)
{
	struct kplane_prefix *p = calloc(argc ? (size_t)argc : 1, sizeof(*p));
	int i;

	for (i = 0; p && i < argc; i++) {
		if (kp_args_prefix(argv[i], &p[i])) {
			*why = "members are ADDR/LEN or ADDR";
			free(p);
			return NULL;
		}
	}
	return p;
}

enum kp_ipset_verb { KP_IPSET_VERB_SET, KP_IPSET_VERB_ADD, KP_IPSET_VERB_REMOVE };

static int kp_run_ipset_members(struct kp_cli *cli, int argc, char **argv,
				enum kp_ipset_verb verb)
{
	const char *why = "out of memory";
	struct kplane_prefix *p;
	size_t n;
	int err;

	if (argc < 1 || (verb != KP_IPSET_VERB_SET && argc < 2))
		return kp_usage(cli->cmd, "takes a set name and members");
	p = kp_prefix_args(argc - 1, argv + 1, &why);
	if (!p)
		return kp_usage(cli->cmd, why);
	n = (size_t)argc - 1;
	if (verb == KP_IPSET_VERB_SET)
		err = kpl_ipset_set(cli->h, argv[0], p, n);
	else if (verb == KP_IPSET_VERB_ADD)
		err = kpl_ipset_update(cli->h, argv[0], p, n, NULL, 0);
	else
		err = kpl_ipset_update(cli->h, argv[0], NULL, 0, p, n);
	free(p);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

static int kp_run_ipset_set(struct kp_cli *cli, int argc, char **argv)
{
	return kp_run_ipset_members(cli, argc, argv, KP_IPSET_VERB_SET);
}

static int kp_run_ipset_add(struct kp_cli *cli, int argc, char **argv)
{
	return kp_run_ipset_members(cli, argc, argv, KP_IPSET_VERB_ADD);
}

static int kp_run_ipset_remove(struct kp_cli *cli, int argc, char **argv)
{
	return kp_run_ipset_members(cli, argc, argv, KP_IPSET_VERB_REMOVE);
}

static int kp_run_ipset_del(struct kp_cli *cli, int argc, char **argv)
{
	int err;

	if (argc != 1)
		return kp_usage(cli->cmd, "takes exactly one set name");
	err = kpl_ipset_del(cli->h, argv[0]);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

/* Every set (@only NULL: names and sizes) or one with its members. */
static int kp_run_ipsets(struct kp_cli *cli, const char *only)
{
	struct kpl_ipset_info *sets;
	size_t n, i = 0;
	int err = kpl_ipset_list(cli->h, &sets, &n);

	if (err)
		return kp_refused(cli, err);
	while (only && i < n && strcmp(sets[i].name, only))
		i++;
	if (only && i == n) {
		kpl_ipsets_free(sets, n);
		fprintf(stderr, "kplanectl: ipset show: no IP set with this name\n");
		return KP_EXIT_REFUSED;
	}
	if (only)
		kp_print_ipset_members(stdout, &sets[i], cli->json);
	else
		kp_print_ipsets(stdout, sets, n, cli->json);
	kpl_ipsets_free(sets, n);
	return KP_EXIT_OK;
}

static int kp_run_ipset_list(struct kp_cli *cli, int argc, char **argv)
{
	int err = kp_no_args(cli, argc);

	(void)argv;
	return err ? err : kp_run_ipsets(cli, NULL);
}

static int kp_run_ipset_show(struct kp_cli *cli, int argc, char **argv)
{
	if (argc != 1)
		return kp_usage(cli->cmd, "takes exactly one set name");
	return kp_run_ipsets(cli, argv[0]);
}

static int kp_run_policy_set(struct kp_cli *cli, int argc, char **argv)
{
	struct kpl_policy pol;
	const char *why = NULL;
	int err;

	if (kp_args_policy(argc, argv, &pol, &why)) {
		kpl_policy_release(&pol);
		return kp_usage(cli->cmd, why);
	}
	err = kpl_policy_set(cli->h, &pol);
	kpl_policy_release(&pol);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

static int kp_run_policy_del(struct kp_cli *cli, int argc, char **argv)
{
	int err;

	if (argc != 1)
		return kp_usage(cli->cmd, "takes exactly one policy id");
	err = kpl_policy_del(cli->h, argv[0]);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

/* Every policy, or the one named (show). */
static int kp_run_policies(struct kp_cli *cli, const char *only)
{
	struct kpl_policy *pols;
	size_t n, i = 0;
	int err = kpl_policy_list(cli->h, &pols, &n);

	if (err)
		return kp_refused(cli, err);
	while (only && i < n && strcmp(pols[i].id, only))
		i++;
	if (only && i == n) {
		kpl_policies_free(pols, n);
		fprintf(stderr, "kplanectl: policy show: no policy with this id\n");
		return KP_EXIT_REFUSED;
	}
	kp_print_policies(stdout, pols + i, only ? 1 : n, cli->json);
	kpl_policies_free(pols, n);
	return KP_EXIT_OK;
}

static int kp_run_policy_list(struct kp_cli *cli, int argc, char **argv)
{
	int err = kp_no_args(cli, argc);

	(void)argv;
	return err ? err : kp_run_policies(cli, NULL);
}

static int kp_run_policy_show(struct kp_cli *cli, int argc, char **argv)
{
	if (argc != 1)
		return kp_usage(cli->cmd, "takes exactly one policy id");
	return kp_run_policies(cli, argv[0]);
}

/* -f PATH [node NAME] [zone ZONE]: where the objects are and where they apply. */
struct kp_sync_args {
	const char *path;
	char host[256];
	struct kp_k8s_node node;
};

static int kp_sync_parse(struct kp_cli *cli, int argc, char **argv, struct kp_sync_args *a)
{
	int i;

	if (gethostname(a->host, sizeof(a->host) - 1))
		a->host[0] = '\0';
	a->node.name = a->host;
	for (i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-f"))
			a->path = argv[i + 1];
		else if (!strcmp(argv[i], "node"))
			a->node.name = argv[i + 1];
		else if (!strcmp(argv[i], "zone"))
			a->node.zone = argv[i + 1];
		else
			break;
	}
	if (i != argc || !a->path)
		return kp_usage(cli->cmd, "takes -f FILE|DIR, then node NAME and zone ZONE pairs");
	return KP_EXIT_OK;
}

static void kp_sync_skipped(const char *where, unsigned int line, const char *why, void *arg)
{
	(void)arg;
	if (line)
		fprintf(stderr, "kplanectl: %s:%u: skipped: %s\n", where, line, why);
	else
		fprintf(stderr, "kplanectl: %s: skipped: %s\n", where, why);
}

/* What the objects under a->path make on a->node. */
static int kp_sync_want(struct kp_cli *cli, const struct kp_sync_args *a, struct kp_desired *want)
{
	struct kp_store store = { 0 };
	int err = kp_files_read(&store, a->path, kp_sync_skipped, NULL);

	if (!err)
		err = kp_store_desired(&store, &a->node, want);
	kp_store_free(&store);
	if (err) {
		fprintf(stderr, "kplanectl: %s: %s: %s\n", cli->cmd->name, a->path, strerror(-err));
		return KP_EXIT_REFUSED;
	}
	if (want->orphans)
		fprintf(stderr, "kplanectl: %u EndpointSlice(s) name a service not given\n",
			want->orphans);
	return KP_EXIT_OK;
}

/* The change from the kernel's state to @want's; @have keeps what it points into. */
static int kp_sync_change(struct kp_cli *cli, const struct kp_desired *want,
			  struct kp_desired *have, struct kp_change *c)
{
	int err = kp_kernel_desired(cli->h, have);

	if (!err)
		err = kp_desired_diff(want, have, c);
	return err ? kp_refused(cli, err) : KP_EXIT_OK;
}

static int kp_run_diff(struct kp_cli *cli, int argc, char **argv)
{
	struct kp_sync_args a = { 0 };
	struct kp_desired want, have = { 0 };
	struct kp_change c;
	int err = kp_sync_parse(cli, argc, argv, &a);

	if (err || (err = kp_sync_want(cli, &a, &want)))
		return err;
	err = kp_sync_change(cli, &want, &have, &c);
	if (!err) {
		kp_print_change(stdout, &c, cli->json);
		kp_change_free(&c);
	}
	kp_desired_free(&have);
	kp_desired_free(&want);
	return err;
}

/* "  from KIND NAME, its DIR rule N": the object a kplaned policy's rule came from. */
static void kp_trace_origin(const struct kpl_trace_step *s, const struct kp_pol_want *pw)
{
	static const struct { const char *prefix, *kind; } kinds[] = {
		{ "knp:", "NetworkPolicy" }, { "cnp:", "projectcalico.org/v3 NetworkPolicy" },
		{ "gnp:", "GlobalNetworkPolicy" },
	};
	const struct kpl_policy *pol = NULL;
	unsigned int i, k, at = s->rule;

	for (i = 0; i < pw->n_pols && !pol; i++)
		if (!strcmp(pw->pols[i].id, s->policy))
			pol = &pw->pols[i];
	for (k = 0; pol && k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strncmp(s->policy, kinds[k].prefix, 4))
			break;
	if (!pol || !pol->origin || k == sizeof(kinds) / sizeof(kinds[0]))
		return;
	for (i = 0; s->dir == KPLANE_DIR_EGRESS && i < pol->n_rules; i++)
		at += pol->rules[i].dir == KPLANE_DIR_INGRESS;
	if (at < pol->n_rules)
		printf("  %s %s: from %s %s, its %s rule %u\n", s->endpoint,
		       s->dir == KPLANE_DIR_EGRESS ? "egress" : "ingress", kinds[k].kind,
		       s->policy + 4, s->dir == KPLANE_DIR_EGRESS ? "egress" : "ingress",
		       pol->origin[at]);
}

/* TRACE-ARGS [-f FILE|DIR [node NAME]]: with the objects, each rule named by where it came from. */
static int kp_run_trace(struct kp_cli *cli, int argc, char **argv)
{
	struct kp_sync_args *a = NULL;
	struct kpl_trace_result res;
	struct kp_desired want = { 0 };
	struct kpl_trace t;
	const char *why;
	int i, n = argc, err;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-f"))
			n = i;
	if (kp_args_trace(n, argv, &t, &why))
		return kp_usage(cli->cmd, why);
	if (n < argc) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return kp_refused(cli, -ENOMEM);
		err = kp_sync_parse(cli, argc - n, argv + n, a);
		if (!err)
			err = kp_sync_want(cli, a, &want);
		free(a);
		if (err)
			return err;
	}
	err = kpl_trace(cli->h, &t, &res);
	if (err) {
		kp_desired_free(&want);
		return kp_refused(cli, err);
	}
	kp_print_trace(stdout, &res, cli->json);
	for (i = 0; n < argc && !cli->json && i < (int)res.n_steps; i++)
		kp_trace_origin(&res.steps[i], &want.pol);
	kp_desired_free(&want);
	return KP_EXIT_OK;
}

/* "kplanectl: apply: endpoint ID: strerror: why" (or the service, settings, or neither). */
static int kp_apply_refused(int err, const struct kp_refused *r)
{
	char what[192] = "";

	if (r->settings || r->ep || r->svc)
		kp_refused_name(r, what, sizeof(what));
	fprintf(stderr, "kplanectl: apply: %s%s%s%s%s\n", what, what[0] ? ": " : "", strerror(-err),
		r->why[0] ? ": " : "", r->why);
	return KP_EXIT_REFUSED;
}

static int kp_run_apply(struct kp_cli *cli, int argc, char **argv)
{
	struct kp_sync_args a = { 0 };
	struct kp_desired want, have = { 0 };
	struct kp_refused r;
	struct kp_change c;
	int err = kp_sync_parse(cli, argc, argv, &a);

	if (err || (err = kp_sync_want(cli, &a, &want)))
		return err;
	err = kp_sync_change(cli, &want, &have, &c);
	if (!err) {
		err = kp_sync_apply(cli->h, &c, &r);
		if (err)
			err = kp_apply_refused(err, &r);
		else
			printf("%u set, %u deleted; %u endpoints added, %u deleted%s\n", c.svc.n_set,
			       c.svc.n_del, c.ep.n_add, c.ep.n_del,
			       c.settings ? "; node settings set" : "");
		kp_change_free(&c);
	}
	kp_desired_free(&have);
	kp_desired_free(&want);
	return err;
}

static const struct kp_cmd kp_cmds[] = {
	{ NULL, "status", kp_run_status, "",
	  "Show this netns' kplane node: enabled, object counts, counters." },
	{ "node", "enable", kp_run_node_enable, "",
	  "Make this netns a kplane node (idempotent). Needs CAP_NET_ADMIN." },
	{ "node", "set", kp_run_node_set,
	  "[max-endpoints N|default] [max-services N|default] [max-flows N|default]\n"
	  "        [policy-reject on|off|default] [bypass-conntrack on|off|default]\n"
	  "        [fast-forward on|off|default] [failsafe-in LIST|none|default]\n"
	  "        [failsafe-out LIST|none|default]",
	  "Set this node's own settings; those not named stay. The module parameters\n"
	  "of the same names are every node's defaults (\"default\" follows them again)\n"
	  "and caps: a limit above the host's is refused. LIST is PROTO:PORT,...\n"
	  "(tcp, udp, sctp). Applies at once. Needs CAP_NET_ADMIN." },
	{ "node", "disable", kp_run_node_disable, "",
	  "Drop every object and hook of this node (idempotent). Needs CAP_NET_ADMIN." },
	{ "endpoint", "add", kp_run_endpoint_add,
	  "ID dev IFNAME [netns PATH] [addr IP]... [host]\n"
	  "        [ingress|egress TIER:[POLICY[,POLICY]...]]...",
	  "Add an endpoint: a workload's host-side interface IFNAME, the pod's netns\n"
	  "(a path such as /run/netns/NAME or /proc/PID/ns/net) and up to 8 addresses;\n"
	  "or, with host, a node interface (a host endpoint). ingress/egress attach\n"
	  "policies as in endpoint policy, before the first packet is seen." },
	{ "endpoint", "policy", kp_run_endpoint_policy,
	  "ID [ingress|egress TIER:[POLICY[,POLICY]...]]...",
	  "Replace the tiers and policies that apply to an endpoint. Tiers are\n"
	  "evaluated in the order given; within a tier, policies by their order.\n"
	  "A tier with policies that match nothing denies. No argument clears." },
	{ "endpoint", "del", kp_run_endpoint_del, "ID", "Delete a workload endpoint." },
	{ "endpoint", "show", kp_run_endpoint_show, "ID", "Show one workload endpoint." },
	{ "endpoint", "list", kp_run_endpoint_list, "", "List every workload endpoint." },
	{ "service", "set", kp_run_service_set,
	  "ADDR:PORT/tcp|udp [id ID] [type clusterip|nodeport|externalip|loadbalancer]\n"
	  "        [maglev SIZE] [external-policy cluster|local] [internal-policy cluster|local]\n"
	  "        [affinity SECONDS] [backend ADDR:PORT[,weight=N][,state=S][,local]]...",
	  "Create or replace a service with all its backends, in one step. IPv6\n"
	  "addresses go in brackets: [fd00::1]:80/tcp. Backend states: active,\n"
	  "terminating (existing flows only), serving-terminating (used only when no\n"
	  "backend is active); ',local' marks a backend on this node. Connections\n"
	  "pick backends by Maglev hashing. Connects from the node and its pods are\n"
	  "balanced at connect time (internal policy); packets arriving at the node\n"
	  "are NATed (external policy; cluster SNATs to the node for remote\n"
	  "backends). A nodeport frontend 0.0.0.0:PORT or [::]:PORT matches every\n"
	  "node address." },
	{ "service", "del", kp_run_service_del, "ADDR:PORT/tcp|udp", "Delete a service." },
	{ "service", "show", kp_run_service_show, "ADDR:PORT/tcp|udp",
	  "Show a service and its backends." },
	{ "service", "list", kp_run_service_list, "", "List every service." },
	{ "ipset", "set", kp_run_ipset_set, "NAME [CIDR]...",
	  "Create or replace an IP set (up to 100000 IPv4/IPv6 prefixes)." },
	{ "ipset", "add", kp_run_ipset_add, "NAME CIDR...", "Add members to an IP set." },
	{ "ipset", "remove", kp_run_ipset_remove, "NAME CIDR...", "Remove members." },
	{ "ipset", "del", kp_run_ipset_del, "NAME", "Delete an IP set no rule uses." },
	{ "ipset", "list", kp_run_ipset_list, "", "List IP sets and their sizes." },
	{ "ipset", "show", kp_run_ipset_show, "NAME", "Show an IP set's members." },
	{ "policy", "set", kp_run_policy_set,
	  "ID [tier T] [order N] [types ingress|egress|ingress,egress]\n"
	  "        [apply-on-forward true|false]\n"
	  "        [ingress|egress allow|deny|pass|log [proto P] [not-proto P]\n"
	  "         [icmp T[/C]] [not-icmp T[/C]] [from|to [net CIDR] [not-net CIDR]\n"
	  "         [set NAME] [not-set NAME] [port P[-Q]] [not-port P[-Q]]...]...]...",
	  "Create or replace a policy (Calico semantics). Each ingress/egress word\n"
	  "starts a rule; from/to choose the side later criteria apply to. Every\n"
	  "criterion of a rule must hold; nets and ports match any listed, sets\n"
	  "all listed, not- forms none. The first Allow or Deny decides, Pass goes\n"
	  "to the next tier, Log logs and goes on. Tier defaults to \"default\";\n"
	  "no order sorts last. A host endpoint's policies judge traffic to and\n"
	  "from the node; traffic it forwards meets only apply-on-forward ones." },
	{ "policy", "del", kp_run_policy_del, "ID", "Delete a policy no endpoint attaches." },
	{ "policy", "show", kp_run_policy_show, "ID", "Show a policy, rules and counters." },
	{ "policy", "list", kp_run_policy_list, "", "List policies, rules and counters." },
	{ NULL, "trace", kp_run_trace, "ENDPOINT|- PROTO SRC[:PORT] DST[:PORT] [type T] [code C] [-f FILE|DIR [node NAME]]",
	  "Evaluate a packet that does not exist, as it would arrive from ENDPOINT's\n"
	  "interface (- : sent by the node itself), with the datapath's own matcher.\n"
	  "Prints the verdict and, for each endpoint policy evaluated, the tier,\n"
	  "policy and rule that decided." },
	{ NULL, "batch", kp_run_batch, "[FILE|-]",
	  "Apply a file (default stdin) of service, ipset, policy and endpoint\n"
	  "command lines (\"service set ...\", \"policy del ID\", \"endpoint add\n"
	  "...\", ...) as one transaction: all apply together or none does.\n"
	  "Service changes are checked as they are read; policy and endpoint\n"
	  "changes in order at commit, each against those before it. Blank\n"
	  "lines and # comments are skipped.\n"
	  "Refusals while reading name the line." },
	{ NULL, "diff", kp_run_diff, "-f FILE|DIR [node NAME] [zone ZONE]",
	  "Print what `apply` would change: the services (frontends) the Kubernetes\n"
	  "Service and EndpointSlice objects, and the workload endpoints the\n"
	  "WorkloadEndpoint objects for node NAME, in FILE or in DIR's *.yaml,\n"
	  "*.yml and *.json files make on node NAME (default: the hostname) in zone\n"
	  "ZONE, against what the kernel has. Bad documents are skipped and named." },
	{ NULL, "apply", kp_run_apply, "-f FILE|DIR [node NAME] [zone ZONE]",
	  "Make the kernel's services and workload endpoints those the objects make\n"
	  "(as `diff` shows), in one transaction, as kplaned does; those not made by\n"
	  "them are deleted (host endpoints are left). Unchanged state writes nothing." },
	{ 0 }
};

static void kp_help_all(FILE *f)
{
	const struct kp_cmd *c;
	char name[64];

	fprintf(f, "usage: kplanectl [--json] [-n NETNS] COMMAND [ARGS]...\n"
		   "       kplanectl COMMAND --help\n\n"
		   "  -n, --netns NETNS  act on the node of network namespace NETNS (a name\n"
		   "                     under /run/netns, as `ip -n`, or a path)\n\ncommands:\n");
	for (c = kp_cmds; c->name; c++) {
		kp_cmd_name(c, name, sizeof(name));
		fprintf(f, "  %-16s %s\n", name, c->args);
	}
	fprintf(f, "\nexit codes: 0 done, 1 refused (reason on stderr), 2 usage,\n"
		   "            3 kplane unavailable (module not loaded)\n");
}

static bool kp_wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* Finds the command named by argv[0] (and argv[1] for groups). */
static const struct kp_cmd *kp_find(int argc, char **argv, int *used)
{
	const struct kp_cmd *c;

	for (c = kp_cmds; c->name; c++) {
		if (!c->group && !strcmp(argv[0], c->name)) {
			*used = 1;
			return c;
		}
		if (c->group && !strcmp(argv[0], c->group) && argc > 1 &&
		    !strcmp(argv[1], c->name)) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

static int kp_run(struct kp_cli *cli, int argc, char **argv)
{
	char name[64];
	int err;

	if (kp_wants_help(argc, argv)) {
		kp_cmd_name(cli->cmd, name, sizeof(name));
		printf("usage: kplanectl [--json] %s %s\n\n%s\n", name, cli->cmd->args,
		       cli->cmd->help);
		return KP_EXIT_OK;
	}
	err = kpl_open(&cli->h);
	if (err == -ENOENT) {
		fprintf(stderr, "kplanectl: kplane is not available: is the kplane module loaded?\n");
		return KP_EXIT_UNAVAILABLE;
	}
	if (err) {
		fprintf(stderr, "kplanectl: cannot open netlink: %s\n", strerror(-err));
		return KP_EXIT_UNAVAILABLE;
	}
	err = cli->cmd->run(cli, argc, argv);
	kpl_close(cli->h);
	return err;
}

/* -n NETNS: a name under /run/netns (as `ip -n`) or a path to a netns file. */
static int kp_enter_netns(const char *name)
{
	char path[4096];
	int fd = -1, err = 0, n;

	n = snprintf(path, sizeof(path), "%s%s", strchr(name, '/') ? "" : "/run/netns/", name);
	if (n < 0 || (size_t)n >= sizeof(path))
		err = ENAMETOOLONG;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWNET))
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err)
		fprintf(stderr, "kplanectl: cannot enter network namespace \"%s\": %s\n",
			name, strerror(err));
	return err;
}

int main(int argc, char **argv)
{
	struct kp_cli cli = { 0 };
	int used;

	argc--, argv++;
	for (; argc && argv[0][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[0], "--json") || !strcmp(argv[0], "-j")) {
			cli.json = true;
		} else if (!strcmp(argv[0], "--netns") || !strcmp(argv[0], "-n")) {
			if (argc < 2) {
				fprintf(stderr, "kplanectl: %s needs a network namespace\n", argv[0]);
				return KP_EXIT_USAGE;
			}
			argc--, argv++;
			if (kp_enter_netns(argv[0]))
				return KP_EXIT_REFUSED;
		} else if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
			kp_help_all(stdout);
			return KP_EXIT_OK;
		} else {
			fprintf(stderr, "kplanectl: unknown option %s\n", argv[0]);
			return KP_EXIT_USAGE;
		}
	}
	if (!argc) {
		kp_help_all(stderr);
		return KP_EXIT_USAGE;
	}
	cli.cmd = kp_find(argc, argv, &used);
	if (!cli.cmd) {
		fprintf(stderr, "kplanectl: unknown command \"%s%s%s\"\n", argv[0],
			argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		kp_help_all(stderr);
		return KP_EXIT_USAGE;
	}
	return kp_run(&cli, argc - used, argv + used);
}
