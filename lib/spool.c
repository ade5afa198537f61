/*
 * spool - write, claim, read, finish and recover spool entries.
 *
 * Every state change is a rename(2) within one file system; every rename
 * that makes an entry visible or moves it on is preceded by an fsync of the
 * file and followed by an fsync of the directory, so what a program has
 * acknowledged survives a crash or a power loss.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "spool.h"

#define SPOOL_MAGIC		"HERALD-SPOOL 1\n"
#define SPOOL_TRAILER		"HERALD-END\n"
#define SPOOL_SIZE_DIGITS	20
#define SPOOL_HEADER_MAX	(8 * SPOOL_FIELD_MAX)
#define SPOOL_WRITE_CHUNK	(64 * 1024)
#define SPOOL_DIR_MODE		0750
#define SPOOL_FILE_MODE		0600

static const struct {
	const char *name;
	const char *doc;
} spool_defs[SPOOL_COUNT] = {
#define SPOOL(id, name, writers, readers, doc) { name, doc },
#include "spools.def"
#undef SPOOL
};

const char *
spool_name(enum spool_id id)
{
	return spool_defs[id].name;
}

const char *
spool_doc(enum spool_id id)
{
	return spool_defs[id].doc;
}

int
spool_lookup(const char *name)
{
	for (int i = 0; i < SPOOL_COUNT; i++)
		if (strcmp(spool_defs[i].name, name) == 0)
			return i;
	return -1;
}

/* Host names go into file names: keep letters, digits, '-' and '.'. */
static char *
spool_clean_host(const char *hostname)
{
	char *h = xstrndup(hostname && *hostname ? hostname : "localhost", 64);

	for (char *p = h; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			*p = '-';
	return h;
}

/* The kernel's start time of a process (clock ticks since boot); 0 if gone. */
static unsigned long long
spool_proc_start(pid_t pid)
{
	char path[64], line[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	int field;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(line, sizeof line, f) == NULL || (p = strrchr(line, ')')) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* Fields after "(comm)" start at 3 (state); starttime is field 22. */
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

/*
 * A worker is named by host, pid and the pid's start time, so a pid reused
 * after a crash is not mistaken for the worker that died.
 */
static char *
spool_worker_id(const char *host)
{
	char id[256];

	snprintf(id, sizeof id, "%s:%ld:%llu", host, (long)getpid(),
	    spool_proc_start(getpid()));
	return xstrdup(id);
}

static int
spool_open_dir(int at, const char *name)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Open DIR/sub for each wanted sub; -1 (errno set) if one is missing. */
static int
spool_open_subdirs(const char *dir, int *tmp, int *new, int *cur)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), saved;

	if (dfd < 0)
		return -1;
	if ((tmp && (*tmp = spool_open_dir(dfd, "tmp")) < 0) ||
	    (new && (*new = spool_open_dir(dfd, "new")) < 0) ||
	    (cur && (*cur = spool_open_dir(dfd, "cur")) < 0)) {
		saved = errno;
		close(dfd);
		errno = saved;
		return -1;
	}
	close(dfd);
	return 0;
}

/*
 * A writer (queue, bouncequeue) needs tmp/ and new/ only: every system
 * call counts when the MTA starts one process per message.
 */
static int
spool_open_mode(struct spool *s, const char *root, enum spool_id id,
    const char *hostname, int reader, struct buf *err)
{
	char path[PATH_MAX];

	memset(s, 0, sizeof *s);
	s->tmp_fd = s->new_fd = s->cur_fd = s->bad_tmp_fd = s->bad_new_fd = -1;
	s->id = id;
	snprintf(path, sizeof path, "%s/%s", root, spool_defs[id].name);
	s->path = xstrdup(path);
	if (spool_open_subdirs(s->path, &s->tmp_fd, &s->new_fd,
	    reader ? &s->cur_fd : NULL) < 0) {
		buf_printf(err, "%s: cannot open spool (tmp, new or cur): %s", s->path,
		    strerror(errno));
		spool_close(s);
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", root, spool_defs[SPOOL_BAD].name);
	if (reader && spool_open_subdirs(path, &s->bad_tmp_fd, &s->bad_new_fd, NULL) < 0) {
		buf_printf(err, "%s: cannot open spool (tmp or new): %s", path,
		    strerror(errno));
		spool_close(s);
		return -1;
	}
	s->host = spool_clean_host(hostname);
	return 0;
}

int
spool_open(struct spool *s, const char *root, enum spool_id id,
    const char *hostname, struct buf *err)
{
	return spool_open_mode(s, root, id, hostname, 1, err);
}

int
spool_open_writer(struct spool *s, const char *root, enum spool_id id,
    const char *hostname, struct buf *err)
{
	return spool_open_mode(s, root, id, hostname, 0, err);
}

void
spool_close(struct spool *s)
{
	int *fds[] = { &s->tmp_fd, &s->new_fd, &s->cur_fd, &s->bad_tmp_fd, &s->bad_new_fd };

	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(s->path);
	free(s->host);
	free(s->worker);
	s->path = s->host = s->worker = NULL;
}

int
spool_init_tree_dir(const char *path, uid_t uid, gid_t gid, struct buf *err)
{
	struct stat st;
	mode_t mode;

	if (mkdir(path, SPOOL_DIR_MODE) < 0 && errno != EEXIST) {
		buf_printf(err, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		buf_printf(err, "%s: exists and is not a directory", path);
		return -1;
	}
	if ((st.st_uid != uid || st.st_gid != gid) && chown(path, uid, gid) < 0) {
		buf_printf(err, "%s: cannot set owner: %s", path, strerror(errno));
		return -1;
	}
	/*
	 * Add what the daemons need, take away write access for others, and
	 * keep a traverse or read bit an administrator gave others (a
	 * database socket may live under the state directory).
	 */
	mode = (st.st_mode & 0005) | SPOOL_DIR_MODE;
	if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0) {
		buf_printf(err, "%s: cannot set mode: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
spool_init_tree(const char *root, uid_t uid, gid_t gid, struct buf *err)
{
	static const char *subdirs[] = { "tmp", "new", "cur" };
	char path[PATH_MAX];

	if (spool_init_tree_dir(root, uid, gid, err) < 0)
		return -1;
	for (int i = 0; i < SPOOL_COUNT; i++) {
		snprintf(path, sizeof path, "%s/%s", root, spool_defs[i].name);
		if (spool_init_tree_dir(path, uid, gid, err) < 0)
			return -1;
		for (size_t j = 0; j < 3; j++) {
			snprintf(path, sizeof path, "%s/%s/%s", root, spool_defs[i].name,
			    subdirs[j]);
			if (spool_init_tree_dir(path, uid, gid, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* Envelope values are single lines of printable text. */
static int
spool_field_ok(const char *v)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)v; *p; p++, n++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return n <= SPOOL_FIELD_MAX;
}

static void
spool_make_name(struct spool *s, int priority, const struct timeval *tv,
    char *name, size_t size)
{
	unsigned int rnd;

	/* O_EXCL catches the impossible collision; the random part avoids it. */
	if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
		rnd = (unsigned int)tv->tv_usec ^ (unsigned int)getpid() << 16;
	snprintf(name, size, "%d.%010lld.%06ld.%ld.%08x.%s", priority,
	    (long long)tv->tv_sec, (long)tv->tv_usec, (long)getpid(), rnd, s->host);
}

/* write(2) all of it, through EINTR and short writes. */
static int
spool_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
spool_flush(struct spool_writer *w)
{
	if (w->failed)
		return -1;
	if (spool_write_all(w->fd, w->pending, w->npending) < 0) {
		w->failed = errno;
		return -1;
	}
	w->npending = 0;
	return 0;
}

static int
spool_buffer(struct spool_writer *w, const void *data, size_t n)
{
	const char *p = data;

	while (n > 0) {
		size_t room = SPOOL_WRITE_CHUNK - w->npending, k = n < room ? n : room;

		memcpy(w->pending + w->npending, p, k);
		w->npending += k;
		p += k;
		n -= k;
		if (w->npending == SPOOL_WRITE_CHUNK && spool_flush(w) < 0)
			return -1;
	}
	return 0;
}

/*
 * Run as root (by hand, or by a misconfigured MTA), a writer would leave
 * entries the daemons cannot read: give them to the owner of the spool.
 */
static int
spool_give_to_owner(struct spool *s, int fd)
{
	struct stat st;

	if (fstat(s->tmp_fd, &st) < 0 || fchown(fd, st.st_uid, st.st_gid) < 0)
		return -1;
	return 0;
}

int
spool_create(struct spool *s, int priority, const struct spool_envelope *env,
    struct spool_writer *w)
{
	struct buf header = BUF_INIT(SPOOL_HEADER_MAX);
	struct timeval now;

	memset(w, 0, sizeof *w);
	w->fd = -1;
	if (priority < 0 || priority > 9 || !spool_field_ok(env->recipient) ||
	    !spool_field_ok(env->sender) || !spool_field_ok(env->program) ||
	    (env->original_recipient && !spool_field_ok(env->original_recipient))) {
		errno = EINVAL;
		return -1;
	}
	gettimeofday(&now, NULL);
	spool_make_name(s, priority, &now, w->name, sizeof w->name);
	w->fd = openat(s->tmp_fd, w->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    SPOOL_FILE_MODE);
	if (w->fd < 0)
		return -1;
	w->spool = s;
	if (geteuid() == 0 && spool_give_to_owner(s, w->fd) < 0) {
		spool_abort(w);
		return -1;
	}
	w->pending = xmalloc(SPOOL_WRITE_CHUNK);
	buf_printf(&header, "%srecipient: %s\n", SPOOL_MAGIC, env->recipient);
	if (env->original_recipient && *env->original_recipient)
		buf_printf(&header, "original-recipient: %s\n", env->original_recipient);
	buf_printf(&header, "sender: %s\nreceived: %lld.%06ld\nhost: %s\n"
	    "program: %s\nsize: %0*d\n\n", env->sender, (long long)now.tv_sec,
	    (long)now.tv_usec, s->host, env->program, SPOOL_SIZE_DIGITS, 0);
	w->header_len = header.len;
	if (spool_buffer(w, header.data, header.len) < 0) {
		buf_free(&header);
		spool_abort(w);
		return -1;
	}
	buf_free(&header);
	return 0;
}

int
spool_write(struct spool_writer *w, const void *data, size_t n)
{
	if (w->failed) {
		errno = w->failed;
		return -1;
	}
	if (spool_buffer(w, data, n) < 0) {
		errno = w->failed;
		return -1;
	}
	w->size += n;
	return 0;
}

/* Put the message's length into the header's reserved field. */
static int
spool_seal_size(struct spool_writer *w)
{
	char digits[SPOOL_SIZE_DIGITS + 1];
	off_t at = (off_t)(w->header_len - 2 - SPOOL_SIZE_DIGITS);

	snprintf(digits, sizeof digits, "%0*zu", SPOOL_SIZE_DIGITS, w->size);
	if (pwrite(w->fd, digits, SPOOL_SIZE_DIGITS, at) != SPOOL_SIZE_DIGITS) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

int
spool_commit(struct spool_writer *w)
{
	struct spool *s = w->spool;
	int saved;

	if (spool_buffer(w, SPOOL_TRAILER, sizeof SPOOL_TRAILER - 1) < 0 ||
	    spool_flush(w) < 0) {
		errno = w->failed;
		goto fail;
	}
	if (spool_seal_size(w) < 0 || fsync(w->fd) < 0)
		goto fail;
	if (close(w->fd) < 0) {
		w->fd = -1;
		goto fail;
	}
	w->fd = -1;
	if (renameat(s->tmp_fd, w->name, s->new_fd, w->name) < 0 || fsync(s->new_fd) < 0)
		goto fail;
	free(w->pending);
	w->pending = NULL;
	return 0;
fail:
	saved = errno;
	spool_abort(w);
	errno = saved;
	return -1;
}

void
spool_abort(struct spool_writer *w)
{
	int saved = errno;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->spool != NULL && w->name[0])
		unlinkat(w->spool->tmp_fd, w->name, 0);
	free(w->pending);
	w->pending = NULL;
	errno = saved;
}

static int
spool_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
spool_scan(struct spool *s, size_t max, size_t *count)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd = dup(s->new_fd);

	*count = 0;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strlen(de->d_name) > SPOOL_NAME_MAX)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xreallocarray(names, cap, sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (names == NULL)
		names = xcalloc(1, sizeof *names);	/* empty, not an error */
	qsort(names, n, sizeof *names, spool_cmp_names);
	/* Only the first max are wanted, but every name had to be seen to sort. */
	while (n > max)
		free(names[--n]);
	*count = n;
	return names;
}

void
spool_free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int
spool_claim(struct spool *s, const char *name, struct spool_entry *e)
{
	memset(e, 0, sizeof *e);
	/* Named on the first claim: writers such as queue(8) never need it. */
	if (s->worker == NULL)
		s->worker = spool_worker_id(s->host);
	if (strlen(name) > SPOOL_NAME_MAX || strchr(name, '/') != NULL ||
	    (size_t)snprintf(e->claimed, sizeof e->claimed, "%s,%s", name, s->worker) >=
	    sizeof e->claimed) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(e->name, sizeof e->name, "%s", name);
	e->spool = s;
	if (renameat(s->new_fd, name, s->cur_fd, e->claimed) < 0)
		return errno == ENOENT ? 1 : -1;
	return 0;
}

/* One "key: value" line of the header; *p advances past it. */
static int
spool_header_line(const char **p, const char *end, const char **key, size_t *klen,
    const char **val, size_t *vlen)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p)), *colon;

	if (nl == NULL || nl - *p > SPOOL_FIELD_MAX + 32)
		return -1;
	colon = memchr(*p, ':', (size_t)(nl - *p));
	if (colon == NULL || colon + 1 >= nl || colon[1] != ' ')
		return -1;
	*key = *p;
	*klen = (size_t)(colon - *p);
	*val = colon + 2;
	*vlen = (size_t)(nl - colon - 2);
	*p = nl + 1;
	return 0;
}

static int
spool_parse_received(const char *v, size_t n, struct timeval *tv)
{
	char tmp[64], *end;
	long long sec;
	long usec;

	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	sec = strtoll(tmp, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return -1;
	usec = strtol(end + 1, &end, 10);
	if (*end != '\0' || sec < 0 || usec < 0 || usec > 999999)
		return -1;
	tv->tv_sec = (time_t)sec;
	tv->tv_usec = usec;
	return 0;
}

static int
spool_parse_size(const char *v, size_t n, size_t *size)
{
	size_t x = 0;

	if (n != SPOOL_SIZE_DIGITS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]) || x > (SIZE_MAX - 9) / 10)
			return -1;
		x = x * 10 + (size_t)(v[i] - '0');
	}
	*size = x;
	return 0;
}

static int
spool_take_field(char **dst, const char *v, size_t n)
{
	if (*dst != NULL)
		return -1;		/* a field given twice */
	*dst = xstrndup(v, n);
	return strlen(*dst) == n ? 0 : -1;	/* no NUL inside */
}

static int
spool_apply_field(struct spool_envelope *env, const char *k, size_t kl,
    const char *v, size_t vl, size_t *size, int *have_size, int *have_time)
{
#define KEY_IS(s) (kl == sizeof(s) - 1 && memcmp(k, s, kl) == 0)
	if (KEY_IS("recipient"))
		return spool_take_field(&env->recipient, v, vl);
	if (KEY_IS("original-recipient"))
		return spool_take_field(&env->original_recipient, v, vl);
	if (KEY_IS("sender"))
		return spool_take_field(&env->sender, v, vl);
	if (KEY_IS("host"))
		return spool_take_field(&env->host, v, vl);
	if (KEY_IS("program"))
		return spool_take_field(&env->program, v, vl);
	if (KEY_IS("received"))
		return (*have_time)++ ? -1 : spool_parse_received(v, vl, &env->received);
	if (KEY_IS("size"))
		return (*have_size)++ ? -1 : spool_parse_size(v, vl, size);
#undef KEY_IS
	return 0;	/* a field of a later version: ignored */
}

int
spool_parse(const char *data, size_t len, struct spool_envelope *env,
    size_t *msg_off, size_t *msg_len, struct buf *err)
{
	const char *p = data, *end = data + len, *k, *v;
	size_t kl, vl, size = 0, lines = 0;
	int have_size = 0, have_time = 0;

	memset(env, 0, sizeof *env);
	if (len < sizeof SPOOL_MAGIC - 1 || memcmp(data, SPOOL_MAGIC, sizeof SPOOL_MAGIC - 1)) {
		buf_puts(err, "not a Herald spool entry (bad magic)");
		return -1;
	}
	p += sizeof SPOOL_MAGIC - 1;
	while (p < end && *p != '\n') {
		if (++lines > 32 || spool_header_line(&p, end, &k, &kl, &v, &vl) < 0 ||
		    spool_apply_field(env, k, kl, v, vl, &size, &have_size, &have_time) < 0) {
			buf_puts(err, "malformed envelope");
			goto fail;
		}
	}
	if (p >= end || !have_size || !have_time || env->recipient == NULL ||
	    env->sender == NULL) {
		buf_puts(err, "incomplete envelope");
		goto fail;
	}
	p++;		/* the blank line */
	if ((size_t)(end - p) < sizeof SPOOL_TRAILER - 1 ||
	    size != (size_t)(end - p) - (sizeof SPOOL_TRAILER - 1) ||
	    memcmp(p + size, SPOOL_TRAILER, sizeof SPOOL_TRAILER - 1) != 0) {
		buf_printf(err, "torn entry: %zu message bytes declared, %zu present or no end marker",
		    size, (size_t)(end - p));
		goto fail;
	}
	if (env->host == NULL)
		env->host = xstrdup("");
	if (env->program == NULL)
		env->program = xstrdup("");
	*msg_off = (size_t)(p - data);
	*msg_len = size;
	return 0;
fail:
	spool_envelope_free(env);
	return -1;
}

int
spool_read(struct spool_entry *e, size_t max, struct buf *msg, struct buf *err)
{
	struct buf raw = BUF_INIT(max + SPOOL_HEADER_MAX + sizeof SPOOL_TRAILER);
	char chunk[SPOOL_WRITE_CHUNK];
	size_t off, len;
	ssize_t n;
	int fd, rc;

	if ((fd = openat(e->spool->cur_fd, e->claimed, O_RDONLY | O_CLOEXEC)) < 0) {
		buf_printf(err, "cannot open entry: %s", strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_append(&raw, chunk, (size_t)n) < 0) {
			if (n < 0)
				buf_printf(err, "cannot read entry: %s", strerror(errno));
			else
				buf_printf(err, "entry larger than %zu bytes", max);
			close(fd);
			buf_free(&raw);
			return -1;
		}
	}
	close(fd);
	spool_envelope_free(&e->env);
	rc = spool_parse(buf_cstr(&raw), raw.len, &e->env, &off, &len, err);
	if (rc == 0 && len > max) {
		buf_printf(err, "message larger than %zu bytes", max);
		rc = -1;
	} else if (rc == 0) {
		buf_reset(msg);
		if (buf_append(msg, raw.data + off, len) < 0) {
			buf_printf(err, "message larger than %zu bytes", msg->max);
			rc = -1;
		}
	}
	buf_free(&raw);
	return rc;
}

int
spool_done(struct spool_entry *e)
{
	/* fsync the directory: an unlink lost in a crash would redo the work. */
	if (unlinkat(e->spool->cur_fd, e->claimed, 0) < 0 || fsync(e->spool->cur_fd) < 0)
		return -1;
	return 0;
}

int
spool_drop(struct spool_entry *e)
{
	return unlinkat(e->spool->cur_fd, e->claimed, 0) < 0 ? -1 : 0;
}

int
spool_sync_removals(struct spool *s)
{
	return fsync(s->cur_fd) < 0 ? -1 : 0;
}

int
spool_release(struct spool_entry *e)
{
	if (renameat(e->spool->cur_fd, e->claimed, e->spool->new_fd, e->name) < 0 ||
	    fsync(e->spool->new_fd) < 0 || fsync(e->spool->cur_fd) < 0)
		return -1;
	return 0;
}

int
spool_pass(struct spool_entry *e, struct spool *next)
{
	if (renameat(e->spool->cur_fd, e->claimed, next->new_fd, e->name) < 0 ||
	    fsync(next->new_fd) < 0 || fsync(e->spool->cur_fd) < 0)
		return -1;
	return 0;
}

static void
spool_iso_time(char *out, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Write bad/new/BASE.reason durably, through bad/tmp/. */
static int
spool_write_reason(struct spool *s, const char *base, const char *program,
    const char *reason)
{
	struct buf text = BUF_INIT(16 * 1024), name = BUF_INIT(SPOOL_NAME_MAX + 16);
	char when[64];
	int fd = -1, rc = -1;

	spool_iso_time(when, sizeof when, time(NULL));
	buf_printf(&name, "%s.reason", base);
	buf_printf(&text, "spool: %s\nentry: %s\nprogram: %s\nhost: %s\npid: %ld\n"
	    "time: %s\nreason: ", spool_defs[s->id].name, base, program, s->host,
	    (long)getpid(), when);
	/* The reason may quote outside input: keep it on one line. */
	for (const char *p = reason; *p && text.len < text.max - 2; p++)
		buf_putc(&text, (unsigned char)*p < 0x20 ? ' ' : *p);
	buf_putc(&text, '\n');
	unlinkat(s->bad_tmp_fd, buf_cstr(&name), 0);
	fd = openat(s->bad_tmp_fd, buf_cstr(&name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    SPOOL_FILE_MODE);
	if (fd >= 0 && geteuid() == 0 && spool_give_to_owner(s, fd) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && spool_write_all(fd, text.data, text.len) == 0 && fsync(fd) == 0 &&
	    close(fd) == 0) {
		fd = -1;
		rc = renameat(s->bad_tmp_fd, buf_cstr(&name), s->bad_new_fd, buf_cstr(&name));
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlinkat(s->bad_tmp_fd, buf_cstr(&name), 0);
	buf_free(&text);
	buf_free(&name);
	return rc;
}

int
spool_reject(struct spool_entry *e, const char *program, const char *reason)
{
	struct spool *s = e->spool;
	char base[SPOOL_NAME_MAX + 32];

	snprintf(base, sizeof base, "%s.%s", spool_defs[s->id].name, e->name);
	if (spool_write_reason(s, base, program, reason) < 0)
		return -1;
	if (renameat(s->cur_fd, e->claimed, s->bad_new_fd, base) < 0 ||
	    fsync(s->bad_new_fd) < 0 || fsync(s->cur_fd) < 0)
		return -1;
	log_warn("moved to bad/new/%s: %s", base, reason);
	return 0;
}

void
spool_envelope_free(struct spool_envelope *env)
{
	free(env->recipient);
	free(env->original_recipient);
	free(env->sender);
	free(env->host);
	free(env->program);
	memset(env, 0, sizeof *env);
}

void
spool_entry_free(struct spool_entry *e)
{
	spool_envelope_free(&e->env);
}

/*
 * Whether the worker named in a claimed name ("NAME,host:pid:start") is
 * gone: only this host's workers can be checked.
 */
static int
spool_claimer_dead(const struct spool *s, const char *claimed, size_t *name_len)
{
	const char *comma = strrchr(claimed, ',');
	char host[128];
	long pid;
	unsigned long long start;

	if (comma == NULL || sscanf(comma + 1, "%127[^:]:%ld:%llu", host, &pid, &start) != 3)
		return 0;
	*name_len = (size_t)(comma - claimed);
	if (strcmp(host, s->host) != 0 || pid <= 0)
		return 0;
	if (pid == (long)getpid())
		return 0;
	return spool_proc_start((pid_t)pid) != start;
}

static void
spool_clean_tmp(struct spool *s, time_t max_age)
{
	int fd = dup(s->tmp_fd);
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(s->tmp_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && now - st.st_mtime > max_age &&
		    unlinkat(s->tmp_fd, de->d_name, 0) == 0)
			log_info("%s/tmp/%s: removed, unfinished for %lld s", s->path,
			    de->d_name, (long long)(now - st.st_mtime));
	}
	closedir(d);
}

int
spool_recover(struct spool *s, time_t max_tmp_age)
{
	int fd = dup(s->cur_fd), returned = 0;
	char name[SPOOL_NAME_MAX + 1];
	struct dirent *de;
	size_t len;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !spool_claimer_dead(s, de->d_name, &len) ||
		    len > SPOOL_NAME_MAX)
			continue;
		memcpy(name, de->d_name, len);
		name[len] = '\0';
		if (renameat(s->cur_fd, de->d_name, s->new_fd, name) == 0) {
			returned++;
			log_info("%s: returned to new/ (its worker died)", name);
		}
	}
	closedir(d);
	if (returned > 0)
		fsync(s->new_fd);
	spool_clean_tmp(s, max_tmp_age);
	return returned;
}
