/*
 * testutil - what several tests share: where the external corpora are,
 * reading whole files, TSV tables with the corpora's escaping, temporary
 * directories.
 */
#ifndef HERALD_TESTUTIL_H
#define HERALD_TESTUTIL_H

#include <stddef.h>

#include "buf.h"

/*
 * The corpora folder ($HERALD_CORPORA, else ../shared/corpora from the
 * repository root, where the tests run), or NULL when it is absent: a test
 * that needs it then says so and skips.
 */
const char *test_corpora_dir(void);
/* corpora dir + "/" + rel into a static buffer; NULL if no corpora. */
const char *test_corpus_path(const char *rel);

/* Read a whole file into b (reset first); -1 with errno on failure. */
int test_read_file(const char *path, struct buf *b);

/* The regular files of a directory, sorted, as full paths; NULL-terminated. */
char **test_list_dir(const char *dir, const char *suffix);
void test_free_list(char **list);

/* A TSV table: the header line gives column names. */
struct tsv {
	char	**cols;		/* column names */
	int	  ncols;
	char	***rows;	/* rows[i][j], unescaped */
	size_t	**lens;	/* lens[i][j]: the cell's length (it may hold NUL bytes) */
	int	  nrows;
};
/*
 * Load a TSV file; cells are unescaped when unescape is set ("\\" is a
 * backslash, "\xHH" a byte). Returns NULL if the file cannot be read.
 */
struct tsv *test_tsv_load(const char *path, int unescape);
int test_tsv_col(const struct tsv *t, const char *name);	/* -1 if none */
void test_tsv_free(struct tsv *t);
/* Undo the corpora's cell escaping in place; returns the new length. */
size_t test_unescape(char *s);

/* A fresh directory under $TMPDIR (or /tmp); free the result. */
char *test_mkdtemp(const char *tag);
/* rm -rf, for cleaning up test directories. */
void test_rmtree(const char *path);

#endif
