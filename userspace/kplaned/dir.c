// SPDX-License-Identifier: GPL-2.0
/*
 * The directory source: every *.yaml, *.yml and *.json file of one
 * directory, one store key per file, kept current with inotify.  A file
 * written in place is read when closed; one renamed over (editors, `kubectl
 * create configmap`-style atomic swaps of a "..data" symlink) when moved in.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kplaned.h"

#define KP_DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
		       IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB)

struct kp_dir {
	struct kp_source src;
	char *path;
};

static void kp_dir_skipped(const char *where, unsigned int line, const char *why, void *arg)
{
	struct kp_dir *d = arg;

	d->src.skipped++;
	if (line)
		kp_log(KP_WARN, "%s:%u: document skipped: %s", where, line, why);
	else
		kp_log(KP_WARN, "%s: skipped: %s", where, why);
}

/* A key of this directory whose file is no longer there. */
static bool kp_dir_gone(const char *key, void *arg)
{
	const struct kp_dir *d = arg;
	size_t n = strlen(d->path);
	struct stat st;

	return !strncmp(key, d->path, n) && key[n] == '/' && stat(key, &st);
}

/* Reads every file again and forgets those gone: after an overflow or a swap. */
static int kp_dir_rescan(struct kp_dir *d, struct kp_store *store)
{
	uint64_t before = kp_store_changes(store);
	int err;

	kp_store_prune(store, kp_dir_gone, d);	/* what it missed goes at the next rescan */
	err = kp_files_read(store, d->path, kp_dir_skipped, d);
	if (err == -ENOENT)
		err = 0;	/* an empty desired state, until it is created */
	if (err)
		return err;
	return kp_store_changes(store) - before;
}

static bool kp_is_symlink(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISLNK(st.st_mode);
}

static int kp_dir_event(struct kp_dir *d, struct kp_store *store, const struct inotify_event *ev,
			bool *rescan)
{
	char *file;
	int err;

	if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
		*rescan = true;
		return 0;
	}
	if (!ev->len)
		return 0;
	if (!kp_file_wanted(ev->name)) {
		/* "..data" swapped: the files (symlinks into it) all changed. */
		*rescan |= ev->name[0] == '.' && ev->name[1] == '.' && (ev->mask & IN_MOVED_TO);
		return 0;
	}
	if (asprintf(&file, "%s/%s", d->path, ev->name) < 0)
		return -ENOMEM;
	/* A new file is read when written and closed; a symlink (never written) now. */
	if ((ev->mask & IN_CREATE) && !kp_is_symlink(file)) {
		free(file);
		return 0;
	}
	kp_log(KP_DEBUG, "%s changed (inotify mask %#x)", file, ev->mask);
	err = kp_file_read(store, file, kp_dir_skipped, d);
	free(file);
	return err;
}

static int kp_dir_process(struct kp_source *src, struct kp_store *store)
{
	struct kp_dir *d = (struct kp_dir *)src;
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t before = kp_store_changes(store);
	bool rescan = !src->listed;
	ssize_t len;
	int err = 0;

	while ((len = read(src->fd, buf, sizeof(buf))) > 0) {
		char *p;

		for (p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			/* A file that could not be taken: every file again, below. */
			if (!err)
				err = kp_dir_event(d, store, ev, &rescan);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (err) {
		kp_log(KP_WARN, "%s: %s; reading every file again", d->path, strerror(-err));
		rescan = true;
		err = 0;
	}
	if (!err && rescan) {
		err = inotify_add_watch(src->fd, d->path, KP_DIR_EVENTS) < 0 && errno != ENOENT ?
		      -errno : 0;
		if (!err)
			err = kp_dir_rescan(d, store);
		if (err >= 0) {
			kp_log(src->listed ? KP_INFO : KP_DEBUG, "%s read: %u files",
			       d->path, store->n_keys);
			src->listed = true;
			err = 0;
		}
	}
	if (err)
		return err;
	return kp_store_changes(store) - before;
}

static void kp_dir_destroy(struct kp_source *src)
{
	struct kp_dir *d = (struct kp_dir *)src;

	if (src->fd >= 0)
		close(src->fd);
	free(d->path);
	free(d);
}

struct kp_source *kp_dir_source(const char *dir)
{
	struct kp_dir *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->src = (struct kp_source){ .name = "directory", .fd = -1, .healthy = true,
				     .process = kp_dir_process, .destroy = kp_dir_destroy };
	d->path = strdup(dir);
	if (d->path && mkdir(dir, 0755) && errno != EEXIST)
		kp_log(KP_WARN, "cannot create %s: %s", dir, strerror(errno));
	d->src.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (!d->path || d->src.fd < 0 ||
	    inotify_add_watch(d->src.fd, dir, KP_DIR_EVENTS) < 0) {
		kp_log(KP_ERR, "cannot watch %s: %s", dir, strerror(errno));
		kp_dir_destroy(&d->src);
		return NULL;
	}
	return &d->src;
}
