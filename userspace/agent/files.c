// SPDX-License-Identifier: GPL-2.0
/* Objects from files and directories: see agent.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent.h"

/* A state file larger than this is refused: 100k services take about 40 MiB. */
#define KP_FILE_MAX	(512UL << 20)

bool kp_file_wanted(const char *name)
{
	size_t n = strlen(name);
	static const char *const exts[] = { ".yaml", ".yml", ".json" };
	unsigned int i;

	if (name[0] == '.')
		return false;	/* dotfiles: editors' and rsync's temporaries */
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (n > strlen(exts[i]) && !strcmp(name + n - strlen(exts[i]), exts[i]))
			return true;
	return false;
}

/* The whole of @fd; NULL with errno set. */
static char *kp_slurp(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t r;

		if (n == cap) {
			char *p = cap < KP_FILE_MAX ? realloc(buf, cap * 2) : NULL;

			if (!p) {
				errno = cap < KP_FILE_MAX ? ENOMEM : EFBIG;
				break;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (!r) {
			*len = n;
			return buf;
		}
		n += r;
	}
	free(buf);
	return NULL;
}

struct kp_file_skip {
	const char *path;
	kp_skip_fn skip;
	void *arg;
};

static void kp_file_skipped(unsigned int line, const char *why, void *arg)
{
	struct kp_file_skip *fs = arg;

	fs->skip(fs->path, line, why, fs->arg);
}

int kp_file_read(struct kp_store *s, const char *path, kp_skip_fn skip, void *arg)
{
	struct kp_file_skip fs = { path, skip, arg };
	struct kp_k8s_objects objs = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), err;
	struct stat st;
	size_t len;
	char *text;

	if (fd < 0 && errno == ENOENT) {
		kp_store_del(s, path);
		return 0;
	}
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		skip(path, 0, fd < 0 ? strerror(errno) : "not a regular file", arg);
		if (fd >= 0)
			close(fd);
		kp_store_del(s, path);
		return 0;
	}
	text = kp_slurp(fd, &len);
	close(fd);
	if (!text) {
		if (errno == ENOMEM)
			return -ENOMEM;
		skip(path, 0, strerror(errno), arg);
		kp_store_del(s, path);
		return 0;
	}
	err = kp_k8s_load(text, len, &objs, kp_file_skipped, &fs);
	free(text);
	if (!err)
		err = kp_store_put(s, path, &objs);
	kp_k8s_objects_free(&objs);
	return err;
}

static int kp_dirent_wanted(const struct dirent *d)
{
	return kp_file_wanted(d->d_name);
}

int kp_files_read(struct kp_store *s, const char *path, kp_skip_fn skip, void *arg)
{
	struct dirent **names;
	struct stat st;
	int i, n, err = 0;

	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return kp_file_read(s, path, skip, arg);
	n = scandir(path, &names, kp_dirent_wanted, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		char *file;

		if (!err && asprintf(&file, "%s/%s", path, names[i]->d_name) < 0)
			err = -ENOMEM;
		else if (!err) {
			err = kp_file_read(s, file, skip, arg);
			free(file);
		}
		free(names[i]);
	}
	free(names);
	return err;
}
