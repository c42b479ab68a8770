// SPDX-License-Identifier: GPL-2.0
/*
 * A file's path from its device and inode number, for the per-file view
 * and fault.size's events. The BPF side and the ftrace events see only
 * (device, inode): the path is found here, in user space, by a walk of
 * the filesystem where that device is mounted (from /proc/self/mountinfo),
 * reading inode numbers from the directory entries themselves (no stat
 * per entry) and stopping at a budget of entries. A handle
 * (open_by_handle_at) would need each filesystem's handle format, and
 * xfs's needs the inode's generation, which the programs do not read.
 *
 * Answers are cached. A cached path is checked (lstat) before each use,
 * so a renamed or deleted file is looked for again; an inode the walk
 * did not find (deleted, beyond the budget, on a mount daxtrace cannot
 * see) is tried again no sooner than DT_INOPATH_RETRY_S later, and one
 * that had a path keeps it as "PATH (deleted)". Hard links: the first
 * name the walk meets.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "clock.h"
#include "inopath.h"

#define DT_INOPATH_CACHE	512
#define DT_INOPATH_RETRY_S	60
#define DT_INOPATH_DEPTH	64	/* directories open at once, at most */
#define DT_INOPATH_WANT		(DT_TOP_FILES_MAX * DT_FR_MAX)

const char *dt_inopath_mountinfo = "/proc/self/mountinfo";
unsigned long dt_inopath_budget = 100000;	/* directory entries per walk */

struct ent {
	__u32 dev;
	bool used;
	__u64 ino;
	char *path;		/* NULL: not found at tried */
	bool gone;		/* path is "PATH (deleted)": it named the file once */
	time_t tried;		/* dt_mono_s() of the last walk for it */
};

static struct ent cache[DT_INOPATH_CACHE];
static int next_victim;

static bool same_file(const struct stat *st, __u32 dev, __u64 ino)
{
	return st->st_ino == ino && major(st->st_dev) == (dev >> 20) &&
	       minor(st->st_dev) == (dev & 0xfffff);
}

/* mountinfo's octal escapes (\040 for a space) undone in place */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/*
 * Where dev is mounted: a mount of its filesystem's root if there is one
 * (its paths are whole), else the first bind mount of a part of it.
 */
int dt_inopath_mount(__u32 dev, char *buf, size_t len)
{
	char line[4096], root[PATH_MAX], mnt[PATH_MAX];
	unsigned int maj, min;
	bool found = false;
	FILE *f = fopen(dt_inopath_mountinfo, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %4095s %4095s", &maj, &min, root, mnt) != 4 ||
		    maj != dev >> 20 || min != (dev & 0xfffff))
			continue;
		unescape(root);
		unescape(mnt);
		if (!found || !strcmp(root, "/")) {
			snprintf(buf, len, "%s", mnt);
			found = true;
		}
		if (!strcmp(root, "/"))
			break;
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

struct walk {
	__u32 dev;
	const __u64 *want;
	char **found;		/* found[i]: want[i]'s path, malloc'd */
	int nwant, left;
	unsigned long budget;
	char path[PATH_MAX];
};

static void hit(struct walk *w, int dfd, const char *name, __u64 ino, size_t len)
{
	struct stat st;
	int i;

	for (i = 0; i < w->nwant; i++) {
		if (w->want[i] != ino || w->found[i])
			continue;
		/* the entry's inode number is the file's, but on this device? */
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || !same_file(&st, w->dev, ino))
			return;
		if (len + 1 + strlen(name) < sizeof(w->path)) {
			snprintf(w->path + len, sizeof(w->path) - len, "/%s", name);
			w->found[i] = strdup(w->path);
			w->path[len] = '\0';
			if (w->found[i])
				w->left--;
		}
		return;
	}
}

/* One directory, w->path its path (length len); dfd is closed here. */
static void walk_dir(struct walk *w, int dfd, size_t len, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	struct stat st;
	int sub;

	if (!d) {
		close(dfd);
		return;
	}
	while (w->left && w->budget && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		w->budget--;
		hit(w, dirfd(d), de->d_name, de->d_ino, len);
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (depth >= DT_INOPATH_DEPTH ||
		    len + 1 + strlen(de->d_name) >= sizeof(w->path))
			continue;
		sub = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		/* another filesystem mounted below: not this device's */
		if (fstat(sub, &st) || major(st.st_dev) != (w->dev >> 20) ||
		    minor(st.st_dev) != (w->dev & 0xfffff)) {
			close(sub);
			continue;
		}
		snprintf(w->path + len, sizeof(w->path) - len, "/%s", de->d_name);
		walk_dir(w, sub, len + 1 + strlen(de->d_name), depth + 1);
		w->path[len] = '\0';
	}
	closedir(d);
}

/* Find the paths of want[0..n) on dev: found[i] malloc'd, or NULL. */
int dt_inopath_walk(__u32 dev, const __u64 *want, char **found, int n)
{
	struct walk w = { .dev = dev, .want = want, .found = found, .nwant = n,
			  .left = n, .budget = dt_inopath_budget };
	size_t len;
	int dfd;

	memset(found, 0, n * sizeof(*found));
	if (dt_inopath_mount(dev, w.path, sizeof(w.path)))
		return -ENOENT;
	dfd = open(w.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	len = strlen(w.path);
	if (len && w.path[len - 1] == '/')	/* "/": its entries are "/x" */
		w.path[--len] = '\0';
	walk_dir(&w, dfd, len, 0);
	return 0;
}

static struct ent *cache_find(__u32 dev, __u64 ino)
{
	int i;

	for (i = 0; i < DT_INOPATH_CACHE; i++)
		if (cache[i].used && cache[i].dev == dev && cache[i].ino == ino)
			return &cache[i];
	return NULL;
}

/*
 * A walk's answer. Where it did not find a file that had a path before,
 * that path is kept, marked as /proc marks a deleted file's: the file was
 * deleted, or moved out of the walk's reach.
 */
static struct ent *cache_put(__u32 dev, __u64 ino, char *path)
{
	struct ent *e = cache_find(dev, ino);
	bool gone = false;

	if (!e) {
		e = &cache[next_victim];
		next_victim = (next_victim + 1) % DT_INOPATH_CACHE;
		free(e->path);
		e->path = NULL;
	} else if (!path && e->path) {
		gone = true;
		if (e->gone)
			path = e->path, e->path = NULL;
		else if (asprintf(&path, "%s (deleted)", e->path) < 0)
			path = NULL;
	}
	free(e->path);
	*e = (struct ent){ .dev = dev, .used = true, .ino = ino, .path = path,
			   .gone = gone && path, .tried = dt_mono_s() };
	return e;
}

/* The cached answer, if it still holds: true when nothing is to walk. */
static bool cached(__u32 dev, __u64 ino, const char **path)
{
	struct ent *e = cache_find(dev, ino);
	struct stat st;

	*path = NULL;
	if (!e)
		return false;
	if (!e->path || e->gone) {
		*path = e->path;
		return dt_mono_s() < e->tried + DT_INOPATH_RETRY_S;
	}
	if (lstat(e->path, &st) || !same_file(&st, dev, ino))
		return false;	/* renamed or deleted since */
	*path = e->path;
	return true;
}

const char *dt_inopath(__u32 dev, __u64 ino)
{
	const char *p;
	char *found;

	if (cached(dev, ino, &p))
		return p;
	dt_inopath_walk(dev, &ino, &found, 1);
	return cache_put(dev, ino, found)->path;
}

/* One walk per device for every file of it not answered from the cache. */
void dt_inopath_files(struct dt_snapshot *s)
{
	static __u64 want[DT_INOPATH_WANT];
	static char *found[DT_INOPATH_WANT];
	static int at[DT_INOPATH_WANT];
	const char *p;
	int i, j, n;
	__u32 dev;

	for (i = 0; i < s->nfiles; i = j) {
		dev = s->files[i].key.dev;
		n = 0;
		for (j = i; j < s->nfiles && s->files[j].key.dev == dev; j++) {
			if (cached(dev, s->files[j].key.ino, &p)) {
				free(s->files[j].path);
				s->files[j].path = p ? strdup(p) : NULL;
			} else if (n < DT_INOPATH_WANT) {
				want[n] = s->files[j].key.ino;
				at[n++] = j;
			}
		}
		if (!n)
			continue;
		dt_inopath_walk(dev, want, found, n);
		for (j = 0; j < n; j++) {
			p = cache_put(dev, want[j], found[j])->path;
			free(s->files[at[j]].path);
			s->files[at[j]].path = p ? strdup(p) : NULL;
		}
		for (j = i; j < s->nfiles && s->files[j].key.dev == dev; j++)
			;
	}
}

void dt_inopath_reset(void)
{
	int i;

	for (i = 0; i < DT_INOPATH_CACHE; i++)
		free(cache[i].path);
	memset(cache, 0, sizeof(cache));
	next_victim = 0;
}

void dt_files_finish(struct dt_snapshot *s, int top)
{
	dt_snapshot_top_files(s, top);
	dt_inopath_files(s);
}

const char *dt_inopath_of(void *ctx, __u32 dev, __u64 ino)
{
	return dt_inopath(dev, ino);
}
