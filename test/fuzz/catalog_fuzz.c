/*
 * catalog_fuzz - a message catalogue from memory: as a translation of the
 * built-in English, as English itself, then as a translation of itself;
 * its texts expanded; the same bytes as a template and as a language tag.
 * Never a crash, a hang or a leak, and:
 *  - a refusal always says why;
 *  - every text kept is within CATALOG_TEXT_MAX, valid UTF-8, with no
 *    control character but LF and TAB;
 *  - a translation's text, expanded with every placeholder of its English
 *    text set, has no placeholder left (it used no other);
 *  - a catalogue read as English is its own valid translation;
 *  - with no values, expansion gives the template back;
 *  - a tag taken is made of letters, digits and dashes, and canonical.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "catalog_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

/* The length of "name}" at s when it is a placeholder's rest; else 0 (as the catalogue says). */
static size_t
fuzz_placeholder(const char *s)
{
	size_t n = 0;

	while ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_')
		n++;
	return n > 0 && n <= CATALOG_NAME_MAX && s[n] == '}' ? n : 0;
}

static void
fuzz_text_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s);

	fuzz_check(len <= CATALOG_TEXT_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = u[i];

		fuzz_check(c >= 0x20 || c == '\n' || c == '\t');
		fuzz_check(c != 0x7f);
		/* C1 controls are U+0080..U+009F: 0xc2 0x80..0x9f. */
		fuzz_check(!(c == 0xc2 && i + 1 < len && u[i + 1] <= 0x9f));
		fuzz_check(c != 0xc0 && c != 0xc1 && c < 0xf5);
	}
}

/*
 * Set each placeholder of en to "#", which can join nothing into a new
 * one; -1 when there are more than a catalog_vars holds.
 */
static int
fuzz_vars_of(const char *en, struct catalog_vars *vs)
{
	char name[CATALOG_NAME_MAX + 1];
	size_t n;

	for (const char *p = en; (p = strchr(p, '{')) != NULL; ) {
		p++;
		if ((n = fuzz_placeholder(p)) > 0) {
			memcpy(name, p, n);
			name[n] = '\0';
			if (catalog_vars_add(vs, name, "#") < 0)
				return -1;
		}
	}
	return 0;
}

static void
fuzz_no_placeholder(const char *s)
{
	for (const char *p = s; (p = strchr(p, '{')) != NULL; )
		fuzz_check(fuzz_placeholder(++p) == 0);
}

static void
fuzz_table(const struct catalog_table *t, const struct catalog_table *en)
{
	struct buf out = BUF_INIT(1 << 20);
	const char *key, *text, *etext;
	struct catalog_vars vs;

	for (size_t i = 0; i < catalog_table_count(t); i++) {
		key = catalog_table_entry(t, i, &text);
		fuzz_check(key != NULL && text != NULL);
		fuzz_check(catalog_table_get(t, key) == text);
		fuzz_text_ok(text);
		if (en == NULL)
			continue;
		fuzz_check((etext = catalog_table_get(en, key)) != NULL);
		catalog_vars_init(&vs);
		if (fuzz_vars_of(etext, &vs) == 0) {
			buf_reset(&out);
			fuzz_check(catalog_expand(text, &vs, &out) == 0);
			fuzz_no_placeholder(buf_cstr(&out));
		}
		catalog_vars_free(&vs);
	}
	buf_free(&out);
}

static void
fuzz_tag(const uint8_t *data, size_t size)
{
	char in[CATALOG_TAG_MAX + 8], out[CATALOG_TAG_MAX + 1], again[CATALOG_TAG_MAX + 1];
	size_t n = size < sizeof in - 1 ? size : sizeof in - 1;

	memcpy(in, data, n);
	in[n] = '\0';
	if (catalog_tag_canon(in, out, sizeof out) < 0)
		return;
	fuzz_check(strlen(out) == strlen(in));
	for (const char *p = out; *p; p++)
		fuzz_check((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-');
	fuzz_check(strstr(out, "..") == NULL && strchr(out, '/') == NULL);
	fuzz_check(catalog_tag_canon(out, again, sizeof again) == 0 && strcmp(out, again) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct catalog_table *builtin;
	struct buf err = BUF_INIT(1 << 20), out = BUF_INIT(1 << 21);
	struct catalog_table *t, *self, *again;
	char *text;

	if (builtin == NULL) {
		fuzz_check((builtin = catalog_builtin_english(&err)) != NULL);
		buf_reset(&err);
	}
	if (size > CATALOG_FILE_MAX + 1)
		return 0;
	text = malloc(size + 1);
	fuzz_check(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';

	t = catalog_parse("fuzz", text, size, builtin, &err);
	fuzz_check(t != NULL || err.len > 0);
	fuzz_table(t, builtin);
	catalog_table_free(t);

	buf_reset(&err);
	self = catalog_parse("fuzz", text, size, NULL, &err);
	fuzz_check(self != NULL || err.len > 0);
	fuzz_table(self, NULL);
	if (self != NULL) {
		buf_reset(&err);
		again = catalog_parse("fuzz", text, size, self, &err);
		fuzz_check(again != NULL && err.len == 0);
		fuzz_check(catalog_table_count(again) == catalog_table_count(self));
		fuzz_table(again, self);
		catalog_table_free(again);
	}
	catalog_table_free(self);

	fuzz_check(catalog_expand(text, NULL, &out) == 0);
	fuzz_check(strcmp(buf_cstr(&out), text) == 0);

	fuzz_tag(data, size);
	free(text);
	buf_free(&err);
	buf_free(&out);
	return 0;
}
