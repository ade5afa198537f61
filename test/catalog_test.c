/*
 * catalog_test - the message catalogue: the built-in English (that it
 * parses clean and is catalog/en.yaml byte for byte), the translations of
 * test/data/catalog/langs/ against their golden problem lists (.err;
 * HERALD_UPDATE_GOLDEN=1 rewrites them) and in lookups (a language, its
 * prefixes, the default, English; a missing key, a refused key, a refused
 * file logged once), broken texts from memory, the limits (file, text),
 * hostile language tags, and expansion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "catalog.h"
#include "log.h"
#include "testutil.h"

#define DATA	"test/data/catalog/"
#define LANGS	DATA "langs"

static void
read_data(const char *path, struct buf *b)
{
	if (test_read_file(path, b) < 0)
		fail_msg("%s: cannot read", path);
}

/* The test English (not catalog/en.yaml, whose keys change with the product). */
static struct catalog_table *
test_english(void)
{
	struct buf text = BUF_INIT(BUF_UNLIMITED), err = BUF_INIT(BUF_UNLIMITED);
	struct catalog_table *t;

	read_data(DATA "english.yaml", &text);
	t = catalog_parse("english.yaml", text.data, text.len, NULL, &err);
	if (t == NULL || err.len > 0)
		fail_msg("english.yaml: %s", buf_cstr(&err));
	buf_free(&text);
	buf_free(&err);
	return t;
}

static struct catalog *
test_catalog(const char *dir, const char *default_lang)
{
	return catalog_open_table(dir, default_lang, test_english());
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The built-in English. */

static void
builtin_english_parses_clean(void **state)
{
	struct buf err = BUF_INIT(BUF_UNLIMITED), file = BUF_INIT(BUF_UNLIMITED);
	struct catalog_table *en = catalog_builtin_english(&err), *src;
	const char *key, *text;

	(void)state;
	if (en == NULL || err.len > 0)
		fail_msg("%s", buf_cstr(&err));
	assert_true(catalog_table_count(en) > 0);
	assert_non_null(catalog_table_get(en, "report.subject"));
	for (size_t i = 0; i < catalog_table_count(en); i++) {
		key = catalog_table_entry(en, i, &text);
		assert_non_null(key);
		assert_ptr_equal(catalog_table_get(en, key), text);
	}
	assert_null(catalog_table_entry(en, catalog_table_count(en), NULL));
	/* What is built in is the source tree's file as it is now. */
	read_data("catalog/en.yaml", &file);
	src = catalog_parse("catalog/en.yaml", file.data, file.len, NULL, &err);
	assert_non_null(src);
	assert_int_equal(catalog_table_count(src), catalog_table_count(en));
	for (size_t i = 0; i < catalog_table_count(en); i++) {
		const char *t1, *t2;

		assert_string_equal(catalog_table_entry(src, i, &t1),
		    catalog_table_entry(en, i, &t2));
		assert_string_equal(t1, t2);
	}
	catalog_table_free(src);
	catalog_table_free(en);
	buf_free(&err);
	buf_free(&file);
}

static void
builtin_english_with_no_directory(void **state)
{
	struct catalog *c = catalog_open(NULL, NULL);
	const char *used = NULL, *t;

	(void)state;
	t = catalog_get(c, "fr", "report.subject", &used);
	assert_non_null(t);
	assert_string_equal(used, "en");
	assert_string_equal(t, "Results of your commands");
	assert_null(catalog_get(c, NULL, "no.such.key", &used));
	assert_null(used);
	catalog_close(c);

	/* A directory with no translation in it changes nothing. */
	c = catalog_open("/nonexistent/herald-catalog", "de");
	assert_non_null(catalog_get(c, "de-AT", "report.subject", &used));
	assert_string_equal(used, "en");
	catalog_close(c);
}

/* Files against their golden problem lists. */

static const struct {
	const char	*name;
	int		 loads;
	size_t		 count;		/* keys kept */
} lang_files[] = {
	{ "fr", 1, 4 },
	{ "pt", 1, 2 },
	{ "nl", 1, 2 },		/* greet and no.such.key refused; sub.done is fine */
	{ "de", 0, 0 },		/* a sequence */
	{ "es", 0, 0 },		/* a duplicate key */
	{ "it", 0, 0 },		/* not UTF-8 */
};

static void
golden(const char *path, const struct buf *got)
{
	struct buf want = BUF_INIT(BUF_UNLIMITED);
	const char *update = getenv("HERALD_UPDATE_GOLDEN");

	if (update != NULL && strcmp(update, "1") == 0) {
		write_file(path, buf_cstr(got), got->len);
		return;
	}
	if (test_read_file(path, &want) < 0)
		fail_msg("%s: cannot read (HERALD_UPDATE_GOLDEN=1 writes it)", path);
	if (strcmp(buf_cstr(&want), buf_cstr(got)) != 0)
		fail_msg("%s: differs; got:\n%s", path, buf_cstr(got));
	buf_free(&want);
}

static void
files_match_golden(void **state)
{
	struct catalog_table *en = test_english(), *t;
	struct buf text = BUF_INIT(BUF_UNLIMITED), err = BUF_INIT(BUF_UNLIMITED);
	char path[256], origin[64];

	(void)state;
	for (size_t i = 0; i < sizeof lang_files / sizeof lang_files[0]; i++) {
		snprintf(path, sizeof path, LANGS "/%s.yaml", lang_files[i].name);
		snprintf(origin, sizeof origin, "%s.yaml", lang_files[i].name);
		read_data(path, &text);
		buf_reset(&err);
		t = catalog_parse(origin, text.data, text.len, en, &err);
		if ((t != NULL) != lang_files[i].loads)
			fail_msg("%s: %s; %s", path, t ? "loads" : "refused", buf_cstr(&err));
		assert_int_equal(catalog_table_count(t), lang_files[i].count);
		if (t == NULL)
			assert_true(err.len > 0);	/* a refusal always says why */
		snprintf(path, sizeof path, LANGS "/%s.err", lang_files[i].name);
		golden(path, &err);
		catalog_table_free(t);

		/* The same file read from disk says the same, under its path. */
		snprintf(path, sizeof path, LANGS "/%s.yaml", lang_files[i].name);
		buf_reset(&err);
		t = catalog_load_file(path, en, &err);
		assert_int_equal(t != NULL, lang_files[i].loads);
		catalog_table_free(t);
	}
	catalog_table_free(en);
	buf_free(&text);
	buf_free(&err);
}

/* Broken and odd texts from memory. */

static const struct {
	const char	*what;
	const char	*text;
	int		 loads;
	const char	*err;		/* all of it */
} texts[] = {
	{ "empty file", "", 1, "" },
	{ "comments only", "# nothing yet\n", 1, "" },
	{ "an empty document", "---\n", 1, "" },
	{ "a UTF-8 byte order mark", "\xef\xbb\xbfgreet: Hi\n", 1, "" },
	{ "CRLF line ends", "greet: \"Hi {name}\"\r\nonly.en: |\r\n  a\r\n  b\r\n", 1, "" },
	{ "an explicit !!str", "greet: !!str Hi {name}\n", 1, "" },
	{ "a plain number is text", "only.en: 42\n", 1, "" },
	{ "an empty quoted text", "only.en: \"\"\n", 1, "" },
	{ "a sequence at the top", "- greet\n- only.en\n", 0,
	    "t.yaml:1: expected one mapping of keys to texts\n" },
	{ "a scalar at the top", "just text\n", 0,
	    "t.yaml:1: expected one mapping of keys to texts\n" },
	{ "a nested mapping", "greet:\n  a: b\nonly.en: x\n", 0,
	    "t.yaml:2: greet: a nested mapping: every text is a string\n" },
	{ "a sequence in a flow", "greet: [a, b]\n", 0,
	    "t.yaml:1: greet: a sequence: every text is a string\n" },
	{ "an alias", "greet: &a Hi\nonly.en: *a\n", 0,
	    "t.yaml:1: greet: an anchor (&name): anchors and aliases are not allowed\n"
	    "t.yaml:2: only.en: an alias (*name): anchors and aliases are not allowed\n" },
	{ "a tag", "greet: !!int 3\n", 0,
	    "t.yaml:1: greet: a tag other than !!str: every text is a string\n" },
	{ "a custom tag", "greet: !x Hi\n", 0,
	    "t.yaml:1: greet: a tag other than !!str: every text is a string\n" },
	{ "a null", "greet:\nonly.en: ~\n", 0,
	    "t.yaml:1: greet: no text (YAML null); write \"\" for an empty one\n"
	    "t.yaml:2: only.en: no text (YAML null); write \"\" for an empty one\n" },
	{ "a duplicate key", "greet: a\nonly.en: b\ngreet: c\n", 0,
	    "t.yaml:3: greet: set twice (first on line 1)\n" },
	{ "a key with capitals", "Greet: a\n", 0,
	    "t.yaml:1: a key is 1 to 64 of a-z 0-9 _ and .\n" },
	{ "a key with a slash", "a/b: a\n", 0,
	    "t.yaml:1: a key is 1 to 64 of a-z 0-9 _ and .\n" },
	{ "a key that is a sequence", "[a]: b\n", 0,
	    "t.yaml:1: a key is 1 to 64 of a-z 0-9 _ and .\n" },
	{ "a key not in English", "greet: Hi\nwhat.ever: x\n", 1,
	    "t.yaml:2: what.ever: not a key of the English catalogue: ignored\n" },
	{ "a placeholder English lacks", "greet: \"Hi {name} <{email}>\"\n", 1,
	    "t.yaml:1: greet: {email} is not in the English text: ignored, English used\n" },
	{ "literal braces are no placeholders", "greet: \"{} { Name } {Name} {name\"\n", 1, "" },
	{ "bad UTF-8", "greet: \"caf\xc3\"\n", 0, "t.yaml:1: invalid UTF-8\n" },
	{ "an overlong encoding", "\n\ngreet: \"\xc0\xaf\"\n", 0, "t.yaml:3: invalid UTF-8\n" },
	{ "a surrogate", "greet: \"\xed\xa0\x80\"\n", 0, "t.yaml:1: invalid UTF-8\n" },
	{ "UTF-16", "\xff\xfeg\0:\0 \0x\0\n\0", 0, "t.yaml:1: invalid UTF-8\n" },
	{ "a raw control character", "greet: \"a\033b\"\n", 0,
	    "t.yaml:1: a control character (only line ends and tabs are allowed)\n" },
	{ "an escaped control character", "only.en: \"a\\eb\"\n", 0,
	    "t.yaml:1: only.en: a control character (only line ends and tabs are allowed) in the text\n" },
	{ "an escaped NUL", "only.en: \"a\\0b\"\n", 0,
	    "t.yaml:1: only.en: a control character (only line ends and tabs are allowed) in the text\n" },
	{ "an escaped C1 control", "only.en: \"a\\x85b\"\n", 0,
	    "t.yaml:1: only.en: a control character (only line ends and tabs are allowed) in the text\n" },
	{ "escaped tab and line end", "only.en: \"a\\tb\\nc\"\n", 1, "" },
	{ "two documents", "greet: a\n---\nonly.en: b\n", 0,
	    "t.yaml:2: a second document: a catalogue is one mapping\n" },
	{ "a syntax error", "greet: \"open\nonly.en: b\n", 0,
	    "t.yaml:3: YAML syntax error: found unexpected end of stream while scanning a quoted scalar\n" },
};

static void
texts_from_memory(void **state)
{
	struct catalog_table *en = test_english(), *t;
	struct buf err = BUF_INIT(BUF_UNLIMITED);
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		len = strlen(texts[i].text);
		if (strcmp(texts[i].what, "UTF-16") == 0)
			len = 12;
		buf_reset(&err);
		t = catalog_parse("t.yaml", texts[i].text, len, en, &err);
		if ((t != NULL) != texts[i].loads || strcmp(buf_cstr(&err), texts[i].err) != 0)
			fail_msg("%s: %s, with:\n%s", texts[i].what, t ? "loads" : "refused",
			    buf_cstr(&err));
		catalog_table_free(t);
	}
	catalog_table_free(en);
	buf_free(&err);
}

static void
texts_keep_their_values(void **state)
{
	struct catalog_table *en = test_english(), *t;
	struct buf err = BUF_INIT(BUF_UNLIMITED);
	static const char text[] =
	    "greet: \"Hi {name}\"\r\n"
	    "only.en: |\n  a\n    b\n\n  c\n"
	    "block.text: >\n  folded\n  line\n"
	    "sub.done: 'it''s {list}'\n";

	(void)state;
	t = catalog_parse("t.yaml", text, sizeof text - 1, en, &err);
	assert_non_null(t);
	assert_string_equal(buf_cstr(&err), "");
	assert_string_equal(catalog_table_get(t, "greet"), "Hi {name}");
	assert_string_equal(catalog_table_get(t, "only.en"), "a\n  b\n\nc\n");
	assert_string_equal(catalog_table_get(t, "block.text"), "folded line\n");
	assert_string_equal(catalog_table_get(t, "sub.done"), "it's {list}");
	assert_string_equal(catalog_table_entry(t, 0, NULL), "greet");
	assert_string_equal(catalog_table_entry(t, 3, NULL), "sub.done");
	catalog_table_free(t);
	catalog_table_free(en);
	buf_free(&err);
}

/* Limits. */

static void
limits(void **state)
{
	struct catalog_table *en = test_english(), *t;
	struct buf err = BUF_INIT(BUF_UNLIMITED), text = BUF_INIT(BUF_UNLIMITED);
	char *dir = test_mkdtemp("catalog"), path[512];
	struct catalog *c;
	const char *used;

	(void)state;
	/* A text of 16 KiB is fine; one byte more is not. */
	assert_int_equal(buf_puts(&text, "only.en: \""), 0);
	for (int i = 0; i < CATALOG_TEXT_MAX; i++)
		assert_int_equal(buf_putc(&text, 'a'), 0);
	assert_int_equal(buf_puts(&text, "\"\n"), 0);
	t = catalog_parse("t.yaml", text.data, text.len, en, &err);
	assert_non_null(t);
	assert_int_equal(strlen(catalog_table_get(t, "only.en")), CATALOG_TEXT_MAX);
	catalog_table_free(t);
	buf_truncate(&text, text.len - 2);
	assert_int_equal(buf_puts(&text, "a\"\n"), 0);
	t = catalog_parse("t.yaml", text.data, text.len, en, &err);
	assert_null(t);
	assert_string_equal(buf_cstr(&err), "t.yaml:1: only.en: a text longer than 16384 bytes\n");

	/* A file of 1 MiB is fine (comments); one byte more is refused, on disk too. */
	buf_reset(&text);
	while (text.len < CATALOG_FILE_MAX)
		assert_int_equal(buf_puts(&text, "# ........................................\n"), 0);
	buf_truncate(&text, CATALOG_FILE_MAX - 1);
	assert_int_equal(buf_putc(&text, '\n'), 0);
	snprintf(path, sizeof path, "%s/ja.yaml", dir);
	write_file(path, text.data, text.len);
	buf_reset(&err);
	t = catalog_load_file(path, en, &err);
	assert_non_null(t);
	catalog_table_free(t);
	assert_int_equal(buf_putc(&text, '\n'), 0);
	write_file(path, text.data, text.len);
	t = catalog_load_file(path, en, &err);
	assert_null(t);
	assert_non_null(strstr(buf_cstr(&err), "ja.yaml: larger than 1048576 bytes\n"));
	buf_reset(&err);
	assert_null(catalog_parse("t.yaml", text.data, text.len, en, &err));
	assert_string_equal(buf_cstr(&err), "t.yaml: larger than 1048576 bytes\n");

	c = catalog_open_table(dir, NULL, en);
	assert_string_equal(catalog_get(c, "ja", "greet", &used), "Hello {name}, welcome to {list}.");
	assert_string_equal(used, "en");
	catalog_close(c);

	/* Nesting is skipped past only so deep. */
	buf_reset(&text);
	assert_int_equal(buf_puts(&text, "greet: "), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_putc(&text, '['), 0);
	buf_reset(&err);
	assert_null(catalog_parse("t.yaml", text.data, text.len, en, &err));
	assert_string_equal(buf_cstr(&err), "t.yaml:1: greet: a sequence: every text is a string\n"
	    "t.yaml:1: nested too deep\n");

	/* Twenty problems are listed, then one line says there are more. */
	buf_reset(&text);
	for (int i = 0; i < 30; i++)
		assert_int_equal(buf_printf(&text, "k%d: ~\n", i), 0);
	buf_reset(&err);
	assert_null(catalog_parse("t.yaml", text.data, text.len, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "t.yaml:20: k19: no text"));
	assert_null(strstr(buf_cstr(&err), "t.yaml:21:"));
	assert_non_null(strstr(buf_cstr(&err), "t.yaml: more problems not shown\n"));

	test_rmtree(dir);
	free(dir);
	buf_free(&err);
	buf_free(&text);
}

/* Languages. */

static const struct {
	const char *in, *out;		/* out NULL: refused */
} tags[] = {
	{ "fr", "fr" }, { "FR", "fr" }, { "pt-br", "pt-BR" }, { "PT-bR", "pt-BR" },
	{ "zh-hant-tw", "zh-Hant-TW" }, { "es-419", "es-419" }, { "sgn-BE-FR", "sgn-BE-FR" },
	{ "de-ch-1901", "de-CH-1901" }, { "en-a-bbb-x-ab-cd", "en-a-bbb-x-ab-cd" },
	{ "fr-x-Hant-CA", "fr-x-hant-ca" },
	{ "", NULL }, { "f", NULL }, { "fren", NULL }, { "1a", NULL }, { "fr-", NULL },
	{ "-fr", NULL }, { "fr--ca", NULL }, { "fr-abcdefghi", NULL }, { "fr_CA", NULL },
	{ "../x", NULL }, { "fr/../../etc", NULL }, { "fr/..", NULL }, { "..", NULL },
	{ "/etc/passwd", NULL }, { "fr\n", NULL }, { "fr ", NULL }, { "fr.yaml", NULL },
	{ "fr\xc3\xa9", NULL },
	{ "ab-abcdefgh-abcdefgh-abcdefgh-abcde", "ab-abcdefgh-abcdefgh-abcdefgh-abcde" },
	{ "ab-abcdefgh-abcdefgh-abcdefgh-abcdef", NULL },	/* 36 bytes */
};

static void
tags_are_checked(void **state)
{
	char out[CATALOG_TAG_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		int rc = catalog_tag_canon(tags[i].in, out, sizeof out);

		if (tags[i].out == NULL && rc == 0)
			fail_msg("\"%s\" taken as \"%s\"", tags[i].in, out);
		if (tags[i].out != NULL && (rc < 0 || strcmp(out, tags[i].out) != 0))
			fail_msg("\"%s\": %s", tags[i].in, rc < 0 ? "refused" : out);
	}
	assert_int_equal(catalog_tag_canon("pt-BR", out, 5), -1);	/* no room */
	assert_int_equal(catalog_tag_canon(NULL, out, sizeof out), -1);
}

static void
chain_is_ordered(void **state)
{
	static const struct {
		const char *def, *lang, *want;
	} cases[] = {
		{ NULL, "pt-BR-x-foo", "pt-BR-x-foo pt-BR pt en" },
		{ NULL, "en-a-b-c", "en-a-b-c en" },
		{ NULL, "ab-a-b-c", "ab-a-b-c ab en" },
		{ "fr-CA", "PT-br", "pt-BR pt fr-CA fr en" },
		{ "fr", "fr-BE", "fr-BE fr en" },
		{ "fr", NULL, "fr en" },
		{ "fr", "", "fr en" },
		{ "fr", "../x", "fr en" },
		{ NULL, "fr/../../etc", "en" },
		{ "bad/tag", "de", "de en" },
		{ "de", "en", "en de" },	/* en once: it ends every lookup anyway */
	};
	struct catalog_chain ch;
	struct buf got = BUF_INIT(4096);

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct catalog *c = catalog_open_table(NULL, cases[i].def, NULL);

		catalog_lang_chain(c, cases[i].lang, &ch);
		buf_reset(&got);
		for (size_t j = 0; j < ch.n; j++)
			assert_int_equal(buf_printf(&got, "%s%s", j ? " " : "", ch.tag[j]), 0);
		if (strcmp(buf_cstr(&got), cases[i].want) != 0)
			fail_msg("default %s, lang %s: %s", cases[i].def ? cases[i].def : "(none)",
			    cases[i].lang ? cases[i].lang : "(none)", buf_cstr(&got));
		catalog_close(c);
	}
	catalog_lang_chain(NULL, "fr", &ch);
	assert_int_equal(ch.n, 2);
	/* The longest chains still fit, with English last. */
	{
		struct catalog *c = catalog_open_table(NULL, "ab-cd-ef-gh-ij-kl-mn-op-qr-st-uv-wx", NULL);

		catalog_lang_chain(c, "zz-cd-ef-gh-ij-kl-mn-op-qr-st-uv-wx", &ch);
		assert_int_equal(ch.n, 25);
		assert_string_equal(ch.tag[0], "zz-CD-EF-GH-IJ-KL-MN-OP-QR-ST-UV-WX");
		assert_string_equal(ch.tag[12], "ab-CD-EF-GH-IJ-KL-MN-OP-QR-ST-UV-WX");
		assert_string_equal(ch.tag[ch.n - 1], "en");
		catalog_close(c);
	}
	buf_free(&got);
}

/* Lookups in test/data/catalog/langs. */

static const struct {
	const char	*def, *lang, *key;
	const char	*text;		/* NULL: no text */
	const char	*used;
} lookups[] = {
	{ NULL, "fr", "greet", "Bonjour {name}, bienvenue sur {list}.", "fr" },
	{ NULL, "FR-fr", "greet", "Bonjour {name}, bienvenue sur {list}.", "fr" },
	{ NULL, "fr", "block.text", "Ligne un de {list}.\nLigne deux, avec {count} membres.\n", "fr" },
	{ NULL, "fr", "only.en", "Only in English", "en" },
	{ NULL, "pt-BR", "greet", "Olá {name}, bem-vindo a {list}.", "pt" },
	{ NULL, "pt-BR-x-foo", "sub.done", "Agora é membro de {list}.", "pt" },
	{ NULL, "pt", "report.subject", "Results of your commands", "en" },
	{ "fr", "pt", "report.subject", "Résultats de vos commandes", "fr" },
	{ "fr", "pt", "only.en", "Only in English", "en" },
	{ NULL, "nl", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ NULL, "nl", "report.subject", "Resultaten van uw opdrachten", "nl" },
	{ NULL, "de", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ NULL, "es", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ NULL, "it", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ "de", "it", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ "pt", "it", "greet", "Olá {name}, bem-vindo a {list}.", "pt" },
	{ "pt", NULL, "greet", "Olá {name}, bem-vindo a {list}.", "pt" },
	{ "pt", "en", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ "fr", "ja", "sub.done", "Vous êtes maintenant membre de {list}.", "fr" },
	{ NULL, "fr", "no.such.key", NULL, NULL },
	{ NULL, "nl", "no.such.key", NULL, NULL },
	{ NULL, "../langs/fr", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ NULL, "fr/../fr", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ NULL, "fr/../../etc", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ NULL, "../x", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ NULL, "fr.yaml", "greet", "Hello {name}, welcome to {list}.", "en" },
	{ "pt", "../fr", "greet", "Olá {name}, bem-vindo a {list}.", "pt" },
};

static void
lookups_follow_the_chain(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
		struct catalog *c = test_catalog(LANGS, lookups[i].def);
		const char *used = "unset", *t;

		for (int twice = 0; twice < 2; twice++) {	/* the second from the cache */
			t = catalog_get(c, lookups[i].lang, lookups[i].key, &used);
			if (lookups[i].text == NULL ? t != NULL : t == NULL || strcmp(t, lookups[i].text) != 0)
				fail_msg("%zu: %s %s: %s", i, lookups[i].lang, lookups[i].key, t ? t : "NULL");
			if (lookups[i].used == NULL ? used != NULL :
			    used == NULL || strcmp(used, lookups[i].used) != 0)
				fail_msg("%zu: %s %s: used %s", i, lookups[i].lang, lookups[i].key,
				    used ? used : "NULL");
		}
		catalog_close(c);
	}
}

/* Count the lines of fd 2 that hold needle while fn runs. */
static int
stderr_lines_with(const char *needle, void (*fn)(void *), void *arg)
{
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	char path[] = "/tmp/catalog_test.XXXXXX";
	int fd = mkstemp(path), saved = dup(2), n = 0;
	const char *p;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_true(dup2(fd, 2) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	close(fd);
	read_data(path, &out);
	unlink(path);
	for (p = buf_cstr(&out); (p = strstr(p, needle)) != NULL; p++)
		n++;
	buf_free(&out);
	return n;
}

static void
look_up_broken_thrice(void *arg)
{
	struct catalog *c = arg;

	for (int i = 0; i < 3; i++) {
		assert_non_null(catalog_get(c, "de", "greet", NULL));
		assert_non_null(catalog_get(c, "nl", "greet", NULL));
		assert_non_null(catalog_get(c, "de-AT", "sub.done", NULL));
	}
}

static void
problems_are_logged_once(void **state)
{
	struct catalog *c = test_catalog(LANGS, NULL);

	(void)state;
	log_open("catalog_test", LOG_USER, LOG_TO_STDERR);
	assert_int_equal(stderr_lines_with("langs/de.yaml refused: English used instead",
	    look_up_broken_thrice, c), 1);
	catalog_close(c);
	c = test_catalog(LANGS, NULL);
	assert_int_equal(stderr_lines_with("langs/de.yaml:4: report.subject: a sequence",
	    look_up_broken_thrice, c), 1);
	catalog_close(c);
	c = test_catalog(LANGS, NULL);
	assert_int_equal(stderr_lines_with("{email} is not in the English text",
	    look_up_broken_thrice, c), 1);
	catalog_close(c);
}

static void
odd_files_in_the_directory(void **state)
{
	char *dir = test_mkdtemp("catalog"), path[512];
	struct catalog *c;
	const char *used;

	(void)state;
	/* A FIFO must not hang open(); a directory is no file. */
	snprintf(path, sizeof path, "%s/fr.yaml", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof path, "%s/pt.yaml", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/nl.yaml", dir);
	write_file(path, "greet: \"Hoi {name}\"\n", strlen("greet: \"Hoi {name}\"\n"));
	assert_int_equal(chmod(path, 0), 0);
	c = test_catalog(dir, NULL);
	assert_string_equal(catalog_get(c, "fr", "greet", &used), "Hello {name}, welcome to {list}.");
	assert_string_equal(used, "en");
	assert_string_equal(catalog_get(c, "pt", "greet", &used), "Hello {name}, welcome to {list}.");
	assert_string_equal(used, "en");
	/* Unreadable, unless the tests run as root. */
	assert_non_null(catalog_get(c, "nl", "greet", &used));
	assert_true(strcmp(used, "en") == 0 || (geteuid() == 0 && strcmp(used, "nl") == 0));
	catalog_close(c);
	test_rmtree(dir);
	free(dir);
}

/* Many languages asked for with no file: the cache stays bounded and right. */
static void
many_languages(void **state)
{
	struct catalog *c = test_catalog(LANGS, NULL);
	char tag[16];
	const char *used;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(tag, sizeof tag, "xx-%d", i);
		assert_non_null(catalog_get(c, tag, "greet", &used));
		assert_string_equal(used, "en");
		if (i % 100 == 0) {
			assert_string_equal(catalog_get(c, "fr", "greet", &used),
			    "Bonjour {name}, bienvenue sur {list}.");
			assert_string_equal(used, "fr");
		}
	}
	catalog_close(c);
}

/* Expansion. */

static const struct {
	const char *tpl, *want;
} expansions[] = {
	{ "", "" },
	{ "no placeholder", "no placeholder" },
	{ "{name}", "Ann" },
	{ "{name}{list}", "Annstaff" },
	{ "<{name}|{list}>", "<Ann|staff>" },
	{ "{count} of {count}", "3 of 3" },
	{ "{unknown}", "{unknown}" },
	{ "a {unknown} b {name}", "a {unknown} b Ann" },
	{ "{", "{" },
	{ "}", "}" },
	{ "{}", "{}" },
	{ "{{name}}", "{Ann}" },
	{ "{ name }", "{ name }" },
	{ "{Name}", "{Name}" },
	{ "{name", "{name" },
	{ "x{", "x{" },
	{ "{na-me}", "{na-me}" },
	{ "{braces}", "{list}" },		/* a value is never expanded again */
	{ "{empty}!", "!" },
	{ "{abcdefghijklmnopqrstuvwxyzabcdef}", "32" },
	{ "{abcdefghijklmnopqrstuvwxyzabcdefg}", "{abcdefghijklmnopqrstuvwxyzabcdefg}" },
	{ "Ol\xc3\xa1 {name}\n", "Ol\xc3\xa1 Ann\n" },
};

static void
expansion(void **state)
{
	struct catalog_vars vs;
	struct buf out = BUF_INIT(4096);

	(void)state;
	catalog_vars_init(&vs);
	assert_int_equal(catalog_vars_add(&vs, "name", "Ann"), 0);
	assert_int_equal(catalog_vars_add(&vs, "list", "staff"), 0);
	assert_int_equal(catalog_vars_addf(&vs, "count", "%d", 3), 0);
	assert_int_equal(catalog_vars_add(&vs, "braces", "{list}"), 0);
	assert_int_equal(catalog_vars_add(&vs, "empty", NULL), 0);
	assert_int_equal(catalog_vars_add(&vs, "abcdefghijklmnopqrstuvwxyzabcdef", "32"), 0);
	for (size_t i = 0; i < sizeof expansions / sizeof expansions[0]; i++) {
		buf_reset(&out);
		assert_int_equal(buf_puts(&out, "="), 0);
		assert_int_equal(catalog_expand(expansions[i].tpl, &vs, &out), 0);
		if (strcmp(buf_cstr(&out) + 1, expansions[i].want) != 0)
			fail_msg("\"%s\": \"%s\"", expansions[i].tpl, buf_cstr(&out) + 1);
		/* With no values, a template comes out as written. */
		buf_reset(&out);
		assert_int_equal(catalog_expand(expansions[i].tpl, NULL, &out), 0);
		assert_string_equal(buf_cstr(&out), expansions[i].tpl);
	}
	catalog_vars_free(&vs);
	buf_free(&out);
}

static void
expansion_limit(void **state)
{
	struct catalog_vars vs;
	struct buf out = BUF_INIT(10);

	(void)state;
	catalog_vars_init(&vs);
	assert_int_equal(catalog_vars_add(&vs, "name", "Annabelle"), 0);
	assert_int_equal(buf_puts(&out, "ab"), 0);
	assert_int_equal(catalog_expand("Hi {name}", &vs, &out), -1);
	assert_string_equal(buf_cstr(&out), "ab");	/* left as it was */
	assert_int_equal(catalog_expand("{name}", &vs, &out), -1);
	assert_string_equal(buf_cstr(&out), "ab");
	assert_int_equal(catalog_expand("12345678", &vs, &out), 0);
	assert_string_equal(buf_cstr(&out), "ab12345678");
	catalog_vars_free(&vs);
	buf_free(&out);
}

static void
vars(void **state)
{
	struct catalog_vars vs;
	char name[8];

	(void)state;
	catalog_vars_init(&vs);
	assert_int_equal(catalog_vars_add(&vs, "", "x"), -1);
	assert_int_equal(catalog_vars_add(&vs, "Name", "x"), -1);
	assert_int_equal(catalog_vars_add(&vs, "na me", "x"), -1);
	assert_int_equal(catalog_vars_add(&vs, "n1", "x"), -1);
	assert_int_equal(catalog_vars_add(&vs, "abcdefghijklmnopqrstuvwxyzabcdefg", "x"), -1);
	assert_int_equal(catalog_vars_add(&vs, "list", "a"), 0);
	assert_int_equal(catalog_vars_add(&vs, "list", "b"), 0);	/* replaces */
	assert_int_equal(vs.n, 1);
	assert_string_equal(catalog_vars_get(&vs, "list"), "b");
	assert_null(catalog_vars_get(&vs, "lis"));
	assert_null(catalog_vars_get(&vs, "lists"));
	for (int i = 1; i < CATALOG_VARS_MAX; i++) {
		snprintf(name, sizeof name, "v_%c%c", 'a' + i / 26, 'a' + i % 26);
		assert_int_equal(catalog_vars_add(&vs, name, name), 0);
	}
	assert_int_equal(catalog_vars_add(&vs, "one_more", "x"), -1);
	assert_int_equal(catalog_vars_add(&vs, "list", "c"), 0);	/* a full set still takes a known name */
	assert_string_equal(catalog_vars_get(&vs, "list"), "c");
	catalog_vars_free(&vs);
	assert_int_equal(vs.n, 0);
	catalog_vars_free(&vs);
}

static void
text_of_a_key(void **state)
{
	struct catalog *c = test_catalog(LANGS, NULL);
	struct catalog_vars vs;
	struct buf out = BUF_INIT(4096);

	(void)state;
	catalog_vars_init(&vs);
	assert_int_equal(catalog_vars_add(&vs, "list", "staff"), 0);
	assert_int_equal(catalog_vars_add(&vs, "count", "12"), 0);
	assert_int_equal(catalog_text(c, "fr", "block.text", &vs, &out), 0);
	assert_string_equal(buf_cstr(&out), "Ligne un de staff.\nLigne deux, avec 12 membres.\n");
	buf_reset(&out);
	/* A placeholder with no value is left as written: the caller forgot it. */
	assert_int_equal(catalog_text(c, "pt", "greet", &vs, &out), 0);
	assert_string_equal(buf_cstr(&out), "Olá {name}, bem-vindo a staff.");
	buf_reset(&out);
	assert_int_equal(catalog_text(c, "fr", "no.such.key", &vs, &out), -1);
	assert_string_equal(buf_cstr(&out), "[no.such.key]");
	catalog_vars_free(&vs);
	catalog_close(c);

	/* With the real English: the key the lead guarantees. */
	c = catalog_open(NULL, "fr");
	buf_reset(&out);
	assert_int_equal(catalog_text(c, NULL, "report.subject", NULL, &out), 0);
	assert_string_equal(buf_cstr(&out), "Results of your commands");
	catalog_close(c);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_english_parses_clean),
		cmocka_unit_test(builtin_english_with_no_directory),
		cmocka_unit_test(files_match_golden),
		cmocka_unit_test(texts_from_memory),
		cmocka_unit_test(texts_keep_their_values),
		cmocka_unit_test(limits),
		cmocka_unit_test(tags_are_checked),
		cmocka_unit_test(chain_is_ordered),
		cmocka_unit_test(lookups_follow_the_chain),
		cmocka_unit_test(problems_are_logged_once),
		cmocka_unit_test(odd_files_in_the_directory),
		cmocka_unit_test(many_languages),
		cmocka_unit_test(expansion),
		cmocka_unit_test(expansion_limit),
		cmocka_unit_test(vars),
		cmocka_unit_test(text_of_a_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
