/*
 * keep.c - the bounce directory (bounce_directory, herald-spool(5)):
 *
 *	<list>@<domain>/<member>	each member's latest report, replaced
 *	OTHER/<entry>, <entry>.reason	what no list or member could be found for
 *	OWNER/<list>@<domain>/<entry>	mail from people to a list's return
 *					path, for its owners, with .reason
 *	REJECTED/<reason>.<NN>		a sample of the dropped bounces, with
 *					.reason: at most BD_SAMPLE_PER_MINUTE
 *					a minute, in BD_SAMPLE_SLOTS names of
 *					each reason that turn (the oldest goes)
 *
 * A file is written under a temporary name in its directory and renamed
 * into place: a reader never sees half a report. Files aside are fsynced
 * first; the members' latest reports reach the disk together, once per
 * batch, before its commit (batch.c). The samples are not fsynced: they
 * are evidence of a flood, not data.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bounced.h"
#include "log.h"

#define KEEP_DIR_MODE		0750
#define KEEP_FILE_MODE		0640

/* path and every missing parent. */
static int
mkdirs(const char *path)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p))
		return -1;
	memcpy(p, path, n + 1);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, KEEP_DIR_MODE) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, KEEP_DIR_MODE) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * dir/file holds len bytes at data, all or nothing: a temporary name in
 * dir (made when missing), fsync when sync, rename over the old file.
 */
static int
write_file(const char *dir, const char *file, const char *data, size_t len,
    int sync)
{
	struct buf tmp = BUF_INIT(PATH_MAX), path = BUF_INIT(PATH_MAX);
	int fd = -1, rc = -1, tries;

	if (buf_printf(&tmp, "%s/.tmp.%ld.%s", dir, (long)getpid(), file) < 0 ||
	    buf_printf(&path, "%s/%s", dir, file) < 0) {
		errno = ENAMETOOLONG;
		goto out;
	}
	for (tries = 0; tries < 2; tries++) {
		fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC | O_NOFOLLOW, KEEP_FILE_MODE);
		if (fd >= 0 || errno != ENOENT || mkdirs(dir) == -1)
			break;
	}
	if (fd < 0)
		goto out;
	if (write_all(fd, data, len) == -1 || (sync && fsync(fd) == -1)) {
		close(fd);
		unlink(buf_cstr(&tmp));
		goto out;
	}
	if (close(fd) == -1 || rename(buf_cstr(&tmp), buf_cstr(&path)) == -1) {
		unlink(buf_cstr(&tmp));
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		log_error("cannot write %s: %s", buf_cstr(&path), strerror(errno));
	buf_free(&tmp);
	buf_free(&path);
	return rc;
}

int
bd_keep_member(struct bd *b, const struct bd_entry *be, const char *email)
{
	struct buf dir = BUF_INIT(PATH_MAX), name = BUF_INIT(PATH_MAX);
	int rc = -1;

	if (buf_printf(&dir, "%s/%s@%s", buf_cstr(&b->dir), be->attr.list,
	    be->attr.domain) == 0 && bouncedb_safe_name(email, &name) == 0)
		rc = write_file(buf_cstr(&dir), buf_cstr(&name), be->msg,
		    be->len, 0);
	if (rc == 0)
		b->batch.keep_unsynced = 1;
	buf_free(&dir);
	buf_free(&name);
	return rc;
}

/*
 * One syncfs for the batch's files rather than an fsync each: the
 * bounce directory is written by bounced alone, so the filesystem's other
 * dirty data is small next to a hundred journal commits.
 */
int
bd_keep_sync(struct bd *b)
{
	int fd, rc;

	if ((fd = open(buf_cstr(&b->dir), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		log_error("cannot open %s: %s", buf_cstr(&b->dir),
		    strerror(errno));
		return -1;
	}
	if ((rc = syncfs(fd)) == -1)
		log_error("cannot sync %s: %s", buf_cstr(&b->dir),
		    strerror(errno));
	close(fd);
	if (rc == 0)
		b->batch.keep_unsynced = 0;
	return rc;
}

static const char *
verify_name(int v)
{
	switch (v) {
	case BOUNCEDB_VERP_NONE:
		return "none";
	case BOUNCEDB_VERP_UNCHECKED:
		return "not checked";
	default:
		return verp_result_name(v);
	}
}

/* One line of the .reason file: line ends in value made spaces. */
static void
reason_line(struct buf *out, const char *key, const char *value)
{
	buf_printf(out, "%s: ", key);
	for (const char *s = value; *s != '\0'; s++)
		buf_putc(out, *s == '\n' || *s == '\r' ? ' ' : *s);
	buf_putc(out, '\n');
}

/* Why an entry is kept, where it came from, what attribution said. */
static void
reason_text(const struct bd_entry *be, const char *reason, struct buf *out)
{
	const struct spool_envelope *env = &be->e->env;
	char when[64], host[256];
	time_t t = env->received.tv_sec, now = time(NULL);
	struct tm tm;

	reason_line(out, "reason", reason);
	reason_line(out, "entry", be->name);
	reason_line(out, "recipient", env->recipient);
	if (env->original_recipient != NULL)
		reason_line(out, "original-recipient", env->original_recipient);
	buf_printf(out, "sender: <%s>\n", env->sender);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(out, "received: %s on %s\n", when, env->host);
	if (be->attr.address[0] != '\0')
		buf_printf(out, "attribution: %s, %s (%s), token %s\n",
		    bouncedb_fate_name(be->attr.fate), be->attr.address,
		    be->attr.source != NULL ? be->attr.source : "?",
		    verify_name(be->attr.verify));
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	buf_printf(out, "kept: %s by %s[%ld] on %s\n", when, BD_PROGRAM,
	    (long)getpid(), host);
}

/* file and file.reason in dir; the reason first, so no file lacks one. */
static int
keep_with_reason(const struct bd_entry *be, const char *dir,
    const char *file, const char *reason, int sync)
{
	struct buf text = BUF_INIT(64 * 1024), rname = BUF_INIT(PATH_MAX);
	int rc;

	reason_text(be, reason, &text);
	buf_printf(&rname, "%s.reason", file);
	rc = write_file(dir, buf_cstr(&rname), text.data, text.len, sync);
	if (rc == 0)
		rc = write_file(dir, file, be->msg, be->len, sync);
	buf_free(&text);
	buf_free(&rname);
	return rc;
}

int
bd_keep_aside(struct bd *b, const struct bd_entry *be, const char *where,
    int by_list, const char *reason)
{
	struct buf dir = BUF_INIT(PATH_MAX);
	int rc;

	buf_printf(&dir, "%s/%s", buf_cstr(&b->dir), where);
	if (by_list && be->attr.list[0] != '\0')
		buf_printf(&dir, "/%s@%s", be->attr.list, be->attr.domain);
	rc = keep_with_reason(be, buf_cstr(&dir), be->name, reason, 1);
	buf_free(&dir);
	return rc;
}

void
bd_drop(struct bd *b, const struct bd_entry *be, const char *reason)
{
	time_t now = time(NULL);
	struct buf dir = BUF_INIT(PATH_MAX), file = BUF_INIT(256);

	bouncedb_reject_add(&b->rejects, reason, now);
	b->dropped++;
	if (now / 60 != b->sample_minute) {
		b->sample_minute = now / 60;
		b->sampled = 0;
	}
	if (b->sampled >= BD_SAMPLE_PER_MINUTE) {
		log_debug("dropped (%s): %s", reason, be->attr.address);
		return;
	}
	b->sampled++;
	/* The slots turn: the newest samples of each reason are kept. */
	buf_printf(&dir, "%s/%s", buf_cstr(&b->dir), BOUNCEDB_DIR_REJECTED);
	buf_printf(&file, "%s.%02u", reason, b->sample_seq++ % BD_SAMPLE_SLOTS);
	if (keep_with_reason(be, buf_cstr(&dir), buf_cstr(&file), reason, 0) ==
	    0)
		log_info("dropped (%s): %s; a sample is in %s/%s", reason,
		    be->attr.address[0] ? be->attr.address :
		    be->e->env.recipient, BOUNCEDB_DIR_REJECTED,
		    buf_cstr(&file));
	buf_free(&dir);
	buf_free(&file);
}
