/*
 * replyprefix - reply prefixes of subjects.
 */
#include <string.h>

#include "replyprefix.h"

/*
 * A reply prefix is one of these words, then blanks and ":" or the
 * full-width colon. "re" may carry a count: "RE[2]", "Re (3)", "Re^2",
 * "Re*2", "Re**2". Longer words come before their own prefixes ("res"
 * before "re", "re" before "r"). Written in lower case: see fold().
 */
static const char *const words[] = {
	"antw", "atb.", "atb", "aw", "odp", "ref", "res", "rif", "sv", "vs",
	"ynt", "re", "r",
	"v\xc3\xa1",					/* Hungarian */
	"\xd7\x94\xd7\xa9\xd7\x91",			/* Hebrew */
	"\xce\xb1\xcf\x80",				/* Greek */
	"\xcf\x83\xcf\x87\xce\xb5\xcf\x84",
	"\xd0\xbd\xd0\xb0",				/* Cyrillic */
	"\xe5\x9b\x9e\xe5\xa4\x8d", "\xe5\x9b\x9e\xe8\xa6\x86",	/* Chinese */
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The character at s (n bytes left; its length in *used) in lower case,
 * for the letters the words use: ASCII, Latin-1, Greek and Cyrillic
 * capitals. Any other byte is compared as itself.
 */
static unsigned int
fold(const char *s, size_t n, size_t *used)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned int c;

	if (u[0] < 0x80) {
		*used = 1;
		return u[0] >= 'A' && u[0] <= 'Z' ? u[0] + 0x20u : u[0];
	}
	if (n < 2 || (u[0] & 0xe0) != 0xc0 || (u[1] & 0xc0) != 0x80) {
		*used = 1;
		return 0x100000u + u[0];
	}
	*used = 2;
	c = ((u[0] & 0x1fu) << 6) | (u[1] & 0x3fu);
	if ((c >= 0xc0 && c <= 0xde && c != 0xd7) ||
	    (c >= 0x391 && c <= 0x3a9) || (c >= 0x410 && c <= 0x42f))
		c += 0x20;
	return c;
}

/* The length of word at the start of s (len bytes), any case; 0 if not. */
static size_t
word_at(const char *s, size_t len, const char *word)
{
	size_t i = 0, j = 0, wl = strlen(word), a, b;

	while (j < wl) {
		if (i >= len || fold(s + i, len - i, &a) !=
		    fold(word + j, wl - j, &b))
			return 0;
		i += a;
		j += b;
	}
	return i;
}

static size_t
digits(const char *s, size_t len, size_t i)
{
	size_t j = i;

	while (j < len && s[j] >= '0' && s[j] <= '9')
		j++;
	return j - i;
}

/* The count after "re" at s + i: its length, 0 if none. */
static size_t
re_count(const char *s, size_t len, size_t i)
{
	size_t j = i, d;

	while (j < len && is_blank(s[j]))
		j++;
	if (j < len && (s[j] == '(' || s[j] == '[')) {
		char close = s[j] == '(' ? ')' : ']';

		d = digits(s, len, j + 1);
		return d > 0 && j + 1 + d < len && s[j + 1 + d] == close ?
		    j + 2 + d - i : 0;
	}
	j = i;
	if (j < len && s[j] == '*')
		j += j + 1 < len && s[j + 1] == '*' ? 2 : 1;
	else if (j < len && s[j] == '^')
		j++;
	else
		return 0;
	return (d = digits(s, len, j)) > 0 ? j + d - i : 0;
}

size_t
replyprefix_len(const char *s, size_t len)
{
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t i = word_at(s, len, words[w]);

		if (i == 0)
			continue;
		if (strcmp(words[w], "re") == 0)
			i += re_count(s, len, i);
		while (i < len && is_blank(s[i]))
			i++;
		if (i < len && s[i] == ':')
			return i + 1;
		if (i + 3 <= len && memcmp(s + i, "\xef\xbc\x9a", 3) == 0)
			return i + 3;
	}
	return 0;
}
