/*
 * testutil - helpers shared by the unit and corpus tests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "testutil.h"

const char *
test_corpora_dir(void)
{
	static char path[4096];
	const char *env = getenv("HERALD_CORPORA");
	struct stat st;

	snprintf(path, sizeof path, "%s", env && *env ? env : "../shared/corpora");
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return path;
}

const char *
test_corpus_path(const char *rel)
{
	static char path[4096];
	const char *dir = test_corpora_dir();

	if (dir == NULL)
		return NULL;
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	return path;
}

int
test_read_file(const char *path, struct buf *b)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	buf_reset(b);
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		if (buf_append(b, chunk, (size_t)n) < 0) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	close(fd);
	return n < 0 ? -1 : 0;
}

static int
test_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
test_list_dir(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **list = NULL, path[4096];
	size_t n = 0, slen = suffix ? strlen(suffix) : 0;
	struct stat st;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (slen && (len < slen || strcmp(de->d_name + len - slen, suffix) != 0))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		list = xreallocarray(list, n + 2, sizeof *list);
		list[n++] = xstrdup(path);
	}
	closedir(d);
	if (list == NULL)
		list = xcalloc(1, sizeof *list);
	list[n] = NULL;
	qsort(list, n, sizeof *list, test_cmp_str);
	return list;
}

void
test_free_list(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

static int
test_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
test_unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] == '\\') {
			*o++ = '\\';
			p++;
		} else if (p[0] == '\\' && p[1] == 'x' && test_hexval(p[2]) >= 0 &&
		    test_hexval(p[3]) >= 0) {
			*o++ = (char)(test_hexval(p[2]) * 16 + test_hexval(p[3]));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

/* Split one line on tabs into a NULL-terminated array of copies. */
static char **
test_tsv_split(char *line, int unescape, int *count, size_t **lens)
{
	char **cells = NULL;
	int n = 0;
	char *p = line;

	*lens = NULL;
	for (;;) {
		char *tab = strchr(p, '\t');

		if (tab)
			*tab = '\0';
		cells = xreallocarray(cells, (size_t)n + 2, sizeof *cells);
		*lens = xreallocarray(*lens, (size_t)n + 1, sizeof **lens);
		cells[n] = xstrdup(p);
		(*lens)[n] = unescape ? test_unescape(cells[n]) : strlen(cells[n]);
		n++;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	cells[n] = NULL;
	*count = n;
	return cells;
}

struct tsv *
test_tsv_load(const char *path, int unescape)
{
	struct buf b = BUF_INIT(64 * 1024 * 1024);
	struct tsv *t;
	char *line, *save = NULL;

	if (test_read_file(path, &b) < 0) {
		buf_free(&b);
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	for (line = strtok_r(b.data, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		int n;

		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		size_t *lens;

		if (t->cols == NULL) {
			t->cols = test_tsv_split(line, 0, &t->ncols, &lens);
			free(lens);
			continue;
		}
		t->rows = xreallocarray(t->rows, (size_t)t->nrows + 1, sizeof *t->rows);
		t->lens = xreallocarray(t->lens, (size_t)t->nrows + 1, sizeof *t->lens);
		t->rows[t->nrows] = test_tsv_split(line, unescape, &n, &lens);
		/* Pad short rows so every column index is valid. */
		if (n < t->ncols) {
			t->rows[t->nrows] = xreallocarray(t->rows[t->nrows],
			    (size_t)t->ncols + 1, sizeof(char *));
			lens = xreallocarray(lens, (size_t)t->ncols, sizeof *lens);
			for (; n < t->ncols; n++) {
				t->rows[t->nrows][n] = xstrdup("");
				lens[n] = 0;
			}
			t->rows[t->nrows][n] = NULL;
		}
		t->lens[t->nrows] = lens;
		t->nrows++;
	}
	buf_free(&b);
	return t;
}

int
test_tsv_col(const struct tsv *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], name) == 0)
			return i;
	return -1;
}

static void
test_free_cells(char **cells)
{
	if (cells == NULL)
		return;
	for (char **p = cells; *p; p++)
		free(*p);
	free(cells);
}

void
test_tsv_free(struct tsv *t)
{
	if (t == NULL)
		return;
	test_free_cells(t->cols);
	for (int i = 0; i < t->nrows; i++) {
		test_free_cells(t->rows[i]);
		free(t->lens[i]);
	}
	free(t->rows);
	free(t->lens);
	free(t);
}

char *
test_mkdtemp(const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];

	snprintf(path, sizeof path, "%s/herald-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
	if (mkdtemp(path) == NULL)
		return NULL;
	return xstrdup(path);
}

static int
test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
test_rmtree(const char *path)
{
	nftw(path, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
