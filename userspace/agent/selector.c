// SPDX-License-Identifier: GPL-2.0
/* Calico's label selectors: see selector.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "selector.h"

/* --- tokens: as Calico's tokenizer, which reads words by context --- */

enum kp_tok {
	T_EOF, T_LABEL, T_STR, T_LBRACE, T_RBRACE, T_COMMA, T_EQ, T_NE, T_NOT, T_IN, T_NOT_IN,
	T_CONTAINS, T_STARTS, T_ENDS, T_HAS, T_ALL, T_GLOBAL, T_LPAREN, T_RPAREN, T_AND, T_OR,
};

struct kp_lex {
	const char *text, *p, *end;
	enum kp_tok t;
	const char *word;		/* T_LABEL, T_STR, T_HAS: its bytes */
	size_t word_len;
	size_t tok_at;			/* where the token starts */
	const char *why;		/* the first fault, at @at */
	size_t at;
};

static bool kp_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '/' || c == '-';
}

static void kp_skip_ws(struct kp_lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t'))
		l->p++;
}

static int kp_lex_fail(struct kp_lex *l, const char *why)
{
	if (!l->why) {
		l->why = why;
		l->at = l->p - l->text;
	}
	return -EINVAL;
}

/* Whether @word starts at l->p and ends at a word boundary; if so, skips it. */
static bool kp_lex_word(struct kp_lex *l, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(l->end - l->p) < n || memcmp(l->p, word, n) ||
	    (l->p + n < l->end && kp_ident_char(l->p[n])))
		return false;
	l->p += n;
	return true;
}

/* "starts with", "startswith": @first, spaces or tabs, then @second, as one word. */
static bool kp_lex_pair(struct kp_lex *l, const char *first, const char *second)
{
	const char *save = l->p;
	size_t n = strlen(first);

	if ((size_t)(l->end - l->p) < n || memcmp(l->p, first, n))
		return false;
	l->p += n;
	kp_skip_ws(l);
	if (kp_lex_word(l, second))
		return true;
	l->p = save;
	return false;
}

static int kp_lex_ident(struct kp_lex *l)
{
	const char *start = l->p;

	while (l->p < l->end && kp_ident_char(*l->p))
		l->p++;
	if (l->p == start)
		return kp_lex_fail(l, "expected a label name");
	if (l->p - start > KP_SEL_KEY_MAX) {
		l->p = start;
		return kp_lex_fail(l, "label name longer than 512 bytes");
	}
	l->word = start;
	l->word_len = l->p - start;
	return 0;
}

/* After a label, only an operator word (the punctuation ones are read before). */
static int kp_lex_operator(struct kp_lex *l)
{
	if (kp_lex_word(l, "contains"))
		l->t = T_CONTAINS;
	else if (kp_lex_pair(l, "starts", "with"))
		l->t = T_STARTS;
	else if (kp_lex_pair(l, "ends", "with"))
		l->t = T_ENDS;
	else if (kp_lex_pair(l, "not", "in"))
		l->t = T_NOT_IN;
	else if (kp_lex_word(l, "in"))
		l->t = T_IN;
	else
		return kp_lex_fail(l, "expected an operator after a label");
	return 0;
}

/* has(KEY), all(), global(): the word and "(" with nothing between. */
static int kp_lex_call(struct kp_lex *l, const char *name, enum kp_tok t)
{
	int err = 0;

	l->p += strlen(name);
	kp_skip_ws(l);
	if (t == T_HAS)
		err = kp_lex_ident(l);
	kp_skip_ws(l);
	if (!err && (l->p == l->end || *l->p != ')'))
		err = kp_lex_fail(l, "expected ')'");
	if (err)
		return err;
	l->p++;
	l->t = t;
	return 0;
}

static bool kp_lex_starts(const struct kp_lex *l, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(l->end - l->p) >= n && !memcmp(l->p, s, n);
}

static int kp_lex_string(struct kp_lex *l)
{
	const char *close = memchr(l->p + 1, *l->p, l->end - l->p - 1);

	if (!close)
		return kp_lex_fail(l, "unterminated string");
	l->word = l->p + 1;
	l->word_len = close - l->word;
	l->p = close + 1;
	l->t = T_STR;
	return 0;
}

/* "==", "!=", "&&", "||": @c twice, or @c then '='. */
static int kp_lex_double(struct kp_lex *l, char second, enum kp_tok t, const char *why)
{
	if (l->end - l->p < 2 || l->p[1] != second)
		return kp_lex_fail(l, why);
	l->p += 2;
	l->t = t;
	return 0;
}

static int kp_lex_next(struct kp_lex *l)
{
	static const char single[] = "(){},";
	static const enum kp_tok singles[] = { T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_COMMA };
	bool after_label = l->t == T_LABEL;
	const char *s;

	kp_skip_ws(l);
	l->tok_at = l->p - l->text;
	if (l->p == l->end) {
		l->t = T_EOF;
		return 0;
	}
	s = strchr(single, *l->p);
	if (s && *s) {
		l->t = singles[s - single];
		l->p++;
		return 0;
	}
	switch (*l->p) {
	case '"':
	case '\'':
		return kp_lex_string(l);
	case '=':
		return kp_lex_double(l, '=', T_EQ, "expected '=='");
	case '&':
		return kp_lex_double(l, '&', T_AND, "expected '&&'");
	case '|':
		return kp_lex_double(l, '|', T_OR, "expected '||'");
	case '!':
		if (l->end - l->p >= 2 && l->p[1] == '=')
			return kp_lex_double(l, '=', T_NE, "");
		l->p++;
		l->t = T_NOT;
		return 0;
	}
	if (after_label)
		return kp_lex_operator(l);
	if (kp_lex_starts(l, "has("))
		return kp_lex_call(l, "has(", T_HAS);
	if (kp_lex_starts(l, "all("))
		return kp_lex_call(l, "all(", T_ALL);
	if (kp_lex_starts(l, "global("))
		return kp_lex_call(l, "global(", T_GLOBAL);
	l->t = T_LABEL;
	return kp_lex_ident(l);
}

/* --- the tree --- */

void kp_sel_free(struct kp_sel *s)
{
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < s->n_kids; i++)
		kp_sel_free(s->kids[i]);
	for (i = 0; i < s->n_vals; i++)
		free(s->vals[i]);
	free(s->kids);
	free(s->vals);
	free(s->key);
	free(s);
}

static struct kp_sel *kp_sel_new(enum kp_sel_op op)
{
	struct kp_sel *s = calloc(1, sizeof(*s));

	if (s)
		s->op = op;
	return s;
}

/* Appends a copy of the current word to @s's values; false: out of memory. */
static bool kp_sel_add_val(struct kp_sel *s, const struct kp_lex *l)
{
	char **v = realloc(s->vals, (s->n_vals + 1) * sizeof(*v));

	if (!v)
		return false;
	s->vals = v;
	v[s->n_vals] = strndup(l->word, l->word_len);
	return v[s->n_vals++] != NULL;
}

static bool kp_sel_add_kid(struct kp_sel *s, struct kp_sel *kid)
{
	struct kp_sel **k = realloc(s->kids, (s->n_kids + 1) * sizeof(*k));

	if (!k)
		return false;
	s->kids = k;
	k[s->n_kids++] = kid;
	return true;
}

static int kp_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted and unique, as Calico keeps a set. */
static void kp_sel_set_sort(struct kp_sel *s)
{
	unsigned int i, n = 0;

	if (s->n_vals)
		qsort(s->vals, s->n_vals, sizeof(*s->vals), kp_str_cmp);
	for (i = 0; i < s->n_vals; i++) {
		if (n && !strcmp(s->vals[n - 1], s->vals[i]))
			free(s->vals[i]);
		else
			s->vals[n++] = s->vals[i];
	}
	s->n_vals = n;
}

/* --- parsing: recursive descent over the tokens, as Calico's parser --- */

/* Parentheses that make no node ("((a))") are not counted in the depth: cap them too. */
#define KP_SEL_PARENS_MAX	256

struct kp_parse {
	struct kp_lex l;
	bool oom;
	unsigned int depth;
};

static struct kp_sel *kp_or_expr(struct kp_parse *ps);

/* Fails at the current token: @why ("" if the tokenizer said why), NULL: no memory. */
static struct kp_sel *kp_fail(struct kp_parse *ps, struct kp_sel *s, const char *why)
{
	kp_sel_free(s);
	if (!why) {
		ps->oom = true;
	} else if (!ps->l.why) {
		ps->l.why = why;
		ps->l.at = ps->l.tok_at;
	}
	return NULL;
}

static bool kp_next(struct kp_parse *ps)
{
	return !kp_lex_next(&ps->l);
}

/* "{" [STR ("," STR)* [","]] "}", after in / not in. */
static struct kp_sel *kp_set(struct kp_parse *ps, struct kp_sel *s)
{
	if (ps->l.t != T_LBRACE)
		return kp_fail(ps, s, "expected a set: {\"value\", ...}");
	if (!kp_next(ps))
		return kp_fail(ps, s, "");
	while (ps->l.t == T_STR) {
		if (!kp_sel_add_val(s, &ps->l))
			return kp_fail(ps, s, NULL);
		if (!kp_next(ps))
			return kp_fail(ps, s, "");
		if (ps->l.t != T_COMMA)
			break;
		if (!kp_next(ps))
			return kp_fail(ps, s, "");
	}
	if (ps->l.t != T_RBRACE)
		return kp_fail(ps, s, "expected '}'");
	kp_sel_set_sort(s);
	return kp_next(ps) ? s : kp_fail(ps, s, "");
}

/* LABEL OP "value", LABEL in {...}. */
static struct kp_sel *kp_match(struct kp_parse *ps)
{
	static const enum kp_tok toks[] = { T_EQ, T_NE, T_CONTAINS, T_STARTS, T_ENDS,
					    T_IN, T_NOT_IN };
	static const enum kp_sel_op ops[] = { KP_SEL_EQ, KP_SEL_NE, KP_SEL_CONTAINS,
					      KP_SEL_STARTS, KP_SEL_ENDS, KP_SEL_IN,
					      KP_SEL_NOT_IN };
	struct kp_sel *s = kp_sel_new(KP_SEL_EQ);
	unsigned int i;

	if (!s || !(s->key = strndup(ps->l.word, ps->l.word_len)))
		return kp_fail(ps, s, NULL);
	if (!kp_next(ps))
		return kp_fail(ps, s, "");
	for (i = 0; i < sizeof(toks) / sizeof(toks[0]) && ps->l.t != toks[i]; i++)
		;
	if (i == sizeof(toks) / sizeof(toks[0]))
		return kp_fail(ps, s, "expected an operator after a label");
	s->op = ops[i];
	if (!kp_next(ps))
		return kp_fail(ps, s, "");
	if (s->op == KP_SEL_IN || s->op == KP_SEL_NOT_IN)
		return kp_set(ps, s);
	if (ps->l.t != T_STR)
		return kp_fail(ps, s, "expected a quoted value");
	if (!kp_sel_add_val(s, &ps->l))
		return kp_fail(ps, s, NULL);
	return kp_next(ps) ? s : kp_fail(ps, s, "");
}

static struct kp_sel *kp_group(struct kp_parse *ps)
{
	struct kp_sel *s;

	if (++ps->depth > KP_SEL_PARENS_MAX)
		return kp_fail(ps, NULL, "parentheses nested deeper than 256");
	if (!kp_next(ps))
		return kp_fail(ps, NULL, "");
	s = kp_or_expr(ps);
	ps->depth--;
	if (!s)
		return NULL;
	if (ps->l.t != T_RPAREN)
		return kp_fail(ps, s, "expected ')'");
	return kp_next(ps) ? s : kp_fail(ps, s, "");
}

static struct kp_sel *kp_primary(struct kp_parse *ps)
{
	struct kp_sel *s;

	switch (ps->l.t) {
	case T_LPAREN:
		return kp_group(ps);
	case T_LABEL:
		return kp_match(ps);
	case T_HAS:
	case T_ALL:
	case T_GLOBAL:
		s = kp_sel_new(ps->l.t == T_HAS ? KP_SEL_HAS :
			       ps->l.t == T_ALL ? KP_SEL_ALL : KP_SEL_GLOBAL);
		if (!s || (ps->l.t == T_HAS && !(s->key = strndup(ps->l.word, ps->l.word_len))))
			return kp_fail(ps, s, NULL);
		return kp_next(ps) ? s : kp_fail(ps, s, "");
	default:
		return kp_fail(ps, NULL, "expected a label, has(), all(), global() or '('");
	}
}

/* "!"* primary: an odd run of "!" negates (pairs cancel, as Calico's). */
static struct kp_sel *kp_operation(struct kp_parse *ps)
{
	struct kp_sel *s, *not;
	bool odd = false;

	while (ps->l.t == T_NOT) {
		odd = !odd;
		if (!kp_next(ps))
			return kp_fail(ps, NULL, "");
	}
	s = kp_primary(ps);
	if (!s || !odd)
		return s;
	not = kp_sel_new(KP_SEL_NOT);
	if (!not || !kp_sel_add_kid(not, s)) {
		kp_sel_free(not);
		return kp_fail(ps, s, NULL);
	}
	return not;
}

/* KID (SEP KID)*: one kid alone, or an @op node of them all. */
static struct kp_sel *kp_list(struct kp_parse *ps, enum kp_tok sep, enum kp_sel_op op,
			      struct kp_sel *(*kid)(struct kp_parse *ps))
{
	struct kp_sel *first = kid(ps), *s, *next;

	if (!first || ps->l.t != sep)
		return first;
	s = kp_sel_new(op);
	if (!s || !kp_sel_add_kid(s, first)) {
		kp_sel_free(s);
		return kp_fail(ps, first, NULL);
	}
	while (ps->l.t == sep) {
		if (!kp_next(ps))
			return kp_fail(ps, s, "");
		next = kid(ps);
		if (!next)
			return kp_fail(ps, s, "");
		if (!kp_sel_add_kid(s, next)) {
			kp_sel_free(next);
			return kp_fail(ps, s, NULL);
		}
	}
	return s;
}

static struct kp_sel *kp_and_expr(struct kp_parse *ps)
{
	return kp_list(ps, T_AND, KP_SEL_AND, kp_operation);
}

static struct kp_sel *kp_or_expr(struct kp_parse *ps)
{
	return kp_list(ps, T_OR, KP_SEL_OR, kp_and_expr);
}

/* How deep @s nests: what its evaluation and its canonical form recurse. */
static unsigned int kp_sel_depth(const struct kp_sel *s)
{
	unsigned int i, most = 0, d;

	for (i = 0; i < s->n_kids; i++) {
		d = kp_sel_depth(s->kids[i]);
		most = d > most ? d : most;
	}
	return most + 1;
}

int kp_sel_parse(const char *text, size_t len, struct kp_sel **out, const char **why,
		 size_t *at)
{
	struct kp_parse ps = { .l = { .text = text, .p = text, .end = text + len, .t = T_EOF } };
	struct kp_sel *s = NULL;

	*out = NULL;
	if (len > KP_SEL_LEN_MAX || memchr(text, '\0', len))
		kp_lex_fail(&ps.l, len > KP_SEL_LEN_MAX ? "longer than 64 KiB" : "a NUL byte");
	else if (kp_next(&ps) && ps.l.t == T_EOF)
		s = kp_sel_new(KP_SEL_ALL);	/* empty: every object */
	else if (!ps.l.why)
		s = kp_or_expr(&ps);
	if (s && ps.l.t != T_EOF)
		s = kp_fail(&ps, s, "unexpected text after the selector");
	if (s && kp_sel_depth(s) > KP_SEL_DEPTH_MAX) {
		ps.l.tok_at = 0;
		s = kp_fail(&ps, s, "nested deeper than 64 (&&, ||, !)");
	}
	if (!s && !ps.l.why)
		ps.oom = true;
	if (!s) {
		*why = ps.oom ? "out of memory" : ps.l.why;
		*at = ps.l.at;
		return ps.oom ? -ENOMEM : -EINVAL;
	}
	*out = s;
	return 0;
}

/* --- evaluation --- */

static bool kp_sel_in(const struct kp_sel *s, const char *v)
{
	return s->n_vals && bsearch(&v, s->vals, s->n_vals, sizeof(*s->vals), kp_str_cmp);
}

bool kp_sel_match(const struct kp_sel *s, kp_sel_label_fn label, void *arg)
{
	const char *v = s->key ? label(s->key, arg) : NULL, *x = s->n_vals ? s->vals[0] : "";
	size_t lv = v ? strlen(v) : 0, lx = strlen(x);
	unsigned int i;

	switch (s->op) {
	case KP_SEL_ALL:
	case KP_SEL_GLOBAL:
		return true;
	case KP_SEL_HAS:
		return v;
	case KP_SEL_EQ:
		return v && !strcmp(v, x);
	case KP_SEL_NE:
		return !v || strcmp(v, x);
	case KP_SEL_CONTAINS:
		return v && strstr(v, x);
	case KP_SEL_STARTS:
		return v && lv >= lx && !memcmp(v, x, lx);
	case KP_SEL_ENDS:
		return v && lv >= lx && !memcmp(v + lv - lx, x, lx);
	case KP_SEL_IN:
		return v && kp_sel_in(s, v);
	case KP_SEL_NOT_IN:
		return !v || !kp_sel_in(s, v);
	case KP_SEL_NOT:
		return !kp_sel_match(s->kids[0], label, arg);
	case KP_SEL_AND:
		for (i = 0; i < s->n_kids; i++)
			if (!kp_sel_match(s->kids[i], label, arg))
				return false;
		return true;
	case KP_SEL_OR:
		for (i = 0; i < s->n_kids; i++)
			if (kp_sel_match(s->kids[i], label, arg))
				return true;
		return false;
	}
	return false;
}

/* --- the canonical form, as Calico's String() --- */

struct kp_out {
	char *buf;
	size_t size, len;
};

static void kp_put(struct kp_out *o, const char *s, size_t n)
{
	if (o->len < o->size)
		memcpy(o->buf + o->len, s, o->len + n < o->size ? n : o->size - o->len);
	o->len += n;
}

static void kp_puts(struct kp_out *o, const char *s)
{
	kp_put(o, s, strlen(s));
}

/* "v", or 'v' when v holds a '"' (a value never holds both). */
static void kp_put_quoted(struct kp_out *o, const char *v)
{
	const char *q = strchr(v, '"') ? "'" : "\"";

	kp_puts(o, q);
	kp_puts(o, v);
	kp_puts(o, q);
}

static void kp_sel_write(const struct kp_sel *s, struct kp_out *o)
{
	static const char *const words[] = {
		[KP_SEL_EQ] = " == ", [KP_SEL_NE] = " != ", [KP_SEL_CONTAINS] = " contains ",
		[KP_SEL_STARTS] = " starts with ", [KP_SEL_ENDS] = " ends with ",
		[KP_SEL_IN] = " in {", [KP_SEL_NOT_IN] = " not in {",
	};
	unsigned int i;

	switch (s->op) {
	case KP_SEL_ALL:
		kp_puts(o, "all()");
		break;
	case KP_SEL_GLOBAL:
		kp_puts(o, "global()");
		break;
	case KP_SEL_HAS:
		kp_puts(o, "has(");
		kp_puts(o, s->key);
		kp_puts(o, ")");
		break;
	case KP_SEL_NOT:
		kp_puts(o, "!");
		kp_sel_write(s->kids[0], o);
		break;
	case KP_SEL_AND:
	case KP_SEL_OR:
		kp_puts(o, "(");
		for (i = 0; i < s->n_kids; i++) {
			if (i)
				kp_puts(o, s->op == KP_SEL_AND ? " && " : " || ");
			kp_sel_write(s->kids[i], o);
		}
		kp_puts(o, ")");
		break;
	default:
		kp_puts(o, s->key);
		kp_puts(o, words[s->op]);
		for (i = 0; i < s->n_vals; i++) {
			if (i)
				kp_puts(o, ", ");
			kp_put_quoted(o, s->vals[i]);
		}
		if (s->op == KP_SEL_IN || s->op == KP_SEL_NOT_IN)
			kp_puts(o, "}");
	}
}

size_t kp_sel_string(const struct kp_sel *s, char *buf, size_t size)
{
	struct kp_out o = { buf, size, 0 };

	kp_sel_write(s, &o);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

int kp_sel_prefix(struct kp_sel *s, const char *prefix)
{
	unsigned int i;

	if (s->key) {
		char *k = malloc(strlen(prefix) + strlen(s->key) + 1);

		if (!k)
			return -ENOMEM;
		strcpy(stpcpy(k, prefix), s->key);
		free(s->key);
		s->key = k;
	}
	for (i = 0; i < s->n_kids; i++)
		if (kp_sel_prefix(s->kids[i], prefix))
			return -ENOMEM;
	return 0;
}

int kp_sel_canon(const char *text, const char *prefix, char **out, const char **why)
{
	struct kp_sel *s = NULL;
	size_t at, n;
	int err;

	*out = NULL;
	err = kp_sel_parse(text, strlen(text), &s, why, &at);
	if (!err && prefix)
		err = kp_sel_prefix(s, prefix);
	if (!err) {
		n = kp_sel_string(s, NULL, 0);
		*out = malloc(n + 1);
		if (*out)
			kp_sel_string(s, *out, n + 1);
		else
			err = -ENOMEM;
	}
	kp_sel_free(s);
	return err;
}
