/*
 * dmarc_resolve - the DMARC policy of a domain: the static table, the
 * cache, and TXT queries over UDP on a libevent event_base. See dmarc.h.
 *
 * A lookup walks the names of its domain (the domain, then its parents
 * down to two labels, at most DMARC_WALK_MAX names). For each name the
 * table answers first, then the cache, then DNS. The first record found
 * ends the walk; "no record" moves to the parent; a DNS failure, or two
 * DMARC records at one name (RFC 7489 6.6.3: no policy then), ends it.
 * One timer bounds the whole walk.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "buf.h"
#include "dmarc.h"
#include "log.h"
#include "mem.h"

#define NS_MAX		8		/* nameservers used */
#define ATTEMPTS_MAX	8		/* sends per name */
#define TABLE_FILE_MAX	(16 * 1024 * 1024)
#define QNAME_MAX	255		/* "_dmarc." and the domain, dotted */
#define PTR_HOPS_MAX	32		/* compression pointers followed per name */
#define CNAME_MAX	8		/* CNAME hops followed in an answer */

/* Static table. */

struct tentry {
	char		*domain;	/* lower case, no final dot */
	enum dmarc_policy policy;
	int		 line;
};

struct dmarc_table {
	struct tentry	*v;		/* sorted by domain */
	size_t		 n;
};

/*
 * A domain as queries use it: lower case, no final dot, LDH labels (and
 * '_') of 1 to 63 bytes, room left for "_dmarc.". 0, -1 for bad syntax or
 * an address literal, -2 for a non-ASCII (IDN) name, which needs an
 * A-label conversion Herald does not do.
 */
static int
domain_normalize(const char *in, char *out, size_t outsz)
{
	size_t n = strlen(in), label = 0;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n + 7 > QNAME_MAX - 2 || n >= outsz)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x80)
			return -2;
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -1;
		} else
			return -1;
		out[i] = (char)tolower(c);
	}
	if (label == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

static int
tentry_cmp(const void *a, const void *b)
{
	const struct tentry *x = a, *y = b;

	return strcmp(x->domain, y->domain);
}

void
dmarc_table_free(struct dmarc_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].domain);
	free(t->v);
	free(t);
}

/* One line's fields, after its comment is cut: 0 if none, -1 on error. */
static int
table_line(struct dmarc_table *t, size_t *cap, const char *origin, int lineno,
    const char *s, size_t len, struct buf *err)
{
	char dom[DMARC_DOMAIN_MAX + 1];
	const char *f[3], *e = s + len;
	size_t fl[3], nf = 0;
	struct buf tmp = BUF_INIT(DMARC_DOMAIN_MAX + 1);
	int pol, rc;

	while (s < e && nf < 3) {
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s == e)
			break;
		f[nf] = s;
		while (s < e && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		fl[nf] = (size_t)(s - f[nf]);
		nf++;
	}
	if (nf == 0)
		return 0;
	if (nf != 2) {
		buf_printf(err, "%s:%d: expected \"domain policy\"\n", origin, lineno);
		return -1;
	}
	if ((pol = dmarc_policy_parse(f[1], fl[1])) < 0) {
		buf_printf(err, "%s:%d: unknown policy \"%.*s\": none, quarantine or reject\n",
		    origin, lineno, (int)(fl[1] > 32 ? 32 : fl[1]), f[1]);
		return -1;
	}
	rc = buf_append(&tmp, f[0], fl[0]);
	if (rc == 0)
		rc = domain_normalize(buf_cstr(&tmp), dom, sizeof(dom));
	buf_free(&tmp);
	if (rc < 0) {
		buf_printf(err, "%s:%d: bad domain \"%.*s\"\n", origin, lineno,
		    (int)(fl[0] > 64 ? 64 : fl[0]), f[0]);
		return -1;
	}
	if (t->n == DMARC_TABLE_MAX) {
		buf_printf(err, "%s:%d: more than %d entries\n", origin, lineno,
		    DMARC_TABLE_MAX);
		return -1;
	}
	if (t->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		t->v = xreallocarray(t->v, *cap, sizeof(*t->v));
	}
	t->v[t->n].domain = xstrdup(dom);
	t->v[t->n].policy = (enum dmarc_policy)pol;
	t->v[t->n].line = lineno;
	t->n++;
	return 0;
}

struct dmarc_table *
dmarc_table_load_text(const char *origin, const char *text, size_t len,
    struct buf *err)
{
	struct dmarc_table *t = xcalloc(1, sizeof(*t));
	const char *p = text, *end = text + len;
	size_t cap = 0;
	int lineno = 0, bad = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		const char *hash = memchr(p, '#', (size_t)(le - p));

		lineno++;
		if (memchr(p, '\0', (size_t)(le - p)) != NULL) {
			buf_printf(err, "%s:%d: NUL byte\n", origin, lineno);
			bad = 1;
		} else if (table_line(t, &cap, origin, lineno, p,
		    (size_t)((hash != NULL ? hash : le) - p), err) < 0)
			bad = 1;
		p = nl != NULL ? nl + 1 : end;
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), tentry_cmp);
	for (size_t i = 1; i < t->n; i++)
		if (strcmp(t->v[i - 1].domain, t->v[i].domain) == 0) {
			int a = t->v[i - 1].line, b = t->v[i].line;

			buf_printf(err, "%s:%d: %s already given at line %d\n",
			    origin, a > b ? a : b, t->v[i].domain, a > b ? b : a);
			bad = 1;
		}
	if (bad) {
		dmarc_table_free(t);
		return NULL;
	}
	return t;
}

struct dmarc_table *
dmarc_table_load(const char *path, struct buf *err)
{
	struct buf text = BUF_INIT(TABLE_FILE_MAX);
	struct dmarc_table *t = NULL;
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		buf_printf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			buf_printf(err, "%s: cannot read: %s\n", path, strerror(errno));
			goto done;
		}
		if (buf_append(&text, chunk, (size_t)n) < 0) {
			buf_printf(err, "%s: larger than %d bytes\n", path, TABLE_FILE_MAX);
			goto done;
		}
	}
	t = dmarc_table_load_text(path, buf_cstr(&text), text.len, err);
done:
	close(fd);
	buf_free(&text);
	return t;
}

int
dmarc_table_get(const struct dmarc_table *t, const char *domain)
{
	char dom[DMARC_DOMAIN_MAX + 1];
	struct tentry key, *e;

	if (t == NULL || t->n == 0 || domain_normalize(domain, dom, sizeof(dom)) < 0)
		return -1;
	key.domain = dom;
	e = bsearch(&key, t->v, t->n, sizeof(*t->v), tentry_cmp);
	return e != NULL ? (int)e->policy : -1;
}

size_t
dmarc_table_size(const struct dmarc_table *t)
{
	return t != NULL ? t->n : 0;
}

/* What one name says. */

enum outcome {
	OUT_FOUND,			/* one usable record */
	OUT_NONE,			/* none: ask the parent */
	OUT_STOP,			/* several records: no policy, stop */
	OUT_FAIL			/* DNS failed */
};

struct answer {
	enum outcome	 o;
	struct dmarc_record rec;
	char		 record[DMARC_RECORD_MAX + 1];
	unsigned	 ttl;
};

/* Cache: a hash of names with a least-recently-used list. */

struct centry {
	char		*name;
	struct answer	 a;
	time_t		 expires;
	struct centry	*hnext;
	struct centry	*prev, *next;	/* LRU: head is the most recent */
};

struct cache {
	struct centry	**tab;
	size_t		 nb;		/* buckets, a power of two */
	size_t		 n, max;
	struct centry	*head, *tail;
};

static size_t
hash_name(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
cache_init(struct cache *c, size_t max)
{
	c->max = max;
	c->nb = 16;
	while (c->nb < max && c->nb < ((size_t)1 << 20))
		c->nb <<= 1;
	c->tab = max > 0 ? xcalloc(c->nb, sizeof(*c->tab)) : NULL;
	c->n = 0;
	c->head = c->tail = NULL;
}

static void
lru_unlink(struct cache *c, struct centry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct cache *c, struct centry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

static void
cache_remove(struct cache *c, struct centry *e)
{
	struct centry **pp = &c->tab[hash_name(e->name) & (c->nb - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(c, e);
	c->n--;
	free(e->name);
	free(e);
}

static void
cache_clear(struct cache *c)
{
	while (c->head != NULL)
		cache_remove(c, c->head);
}

static void
cache_free(struct cache *c)
{
	if (c->tab != NULL)
		cache_clear(c);
	free(c->tab);
	c->tab = NULL;
}

static struct centry *
cache_get(struct cache *c, const char *name, time_t now)
{
	struct centry *e;

	if (c->max == 0)
		return NULL;
	for (e = c->tab[hash_name(name) & (c->nb - 1)]; e != NULL; e = e->hnext)
		if (strcmp(e->name, name) == 0)
			break;
	if (e == NULL)
		return NULL;
	if (e->expires <= now) {
		cache_remove(c, e);
		return NULL;
	}
	lru_unlink(c, e);
	lru_push(c, e);
	return e;
}

static void
cache_put(struct cache *c, const char *name, const struct answer *a,
    time_t expires)
{
	struct centry *e;
	size_t b;

	if (c->max == 0)
		return;
	for (e = c->tab[hash_name(name) & (c->nb - 1)]; e != NULL; e = e->hnext)
		if (strcmp(e->name, name) == 0) {
			cache_remove(c, e);
			break;
		}
	if (c->n >= c->max)
		cache_remove(c, c->tail);
	e = xcalloc(1, sizeof(*e));
	e->name = xstrdup(name);
	e->a = *a;
	e->expires = expires;
	b = hash_name(name) & (c->nb - 1);
	e->hnext = c->tab[b];
	c->tab[b] = e;
	lru_push(c, e);
	c->n++;
}

/* DNS wire format. */

static int
put16(struct buf *b, unsigned v)
{
	unsigned char x[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	return buf_append(b, x, 2);
}

int
dmarc_dns_query(const char *qname, uint16_t id, struct buf *out)
{
	const char *p = qname;
	size_t total = 1;

	if (put16(out, id) < 0 || put16(out, 0x0100) < 0 ||	/* RD */
	    put16(out, 1) < 0 || put16(out, 0) < 0 || put16(out, 0) < 0 ||
	    put16(out, 0) < 0)
		return -1;
	while (*p != '\0') {
		size_t n = strcspn(p, ".");

		if (n == 0 || n > 63 || (total += n + 1) > QNAME_MAX)
			return -1;
		if (buf_putc(out, (int)n) < 0 || buf_append(out, p, n) < 0)
			return -1;
		p += n;
		if (*p == '.' && *++p == '\0')
			break;
	}
	if (buf_putc(out, 0) < 0 || put16(out, 16) < 0 || put16(out, 1) < 0)
		return -1;
	return 0;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/*
 * The name at *off, dotted and in lower case, into out (QNAME_MAX + 1
 * bytes); *off moves past it. A label holding a dot or a byte outside
 * printable ASCII becomes '\001' so that the name matches nothing. -1 for
 * a malformed name.
 */
static int
read_name(const unsigned char *pkt, size_t len, size_t *off, char *out)
{
	size_t pos = *off, o = 0;
	int hops = 0, jumped = 0;

	for (;;) {
		unsigned c;

		if (pos >= len)
			return -1;
		c = pkt[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++hops > PTR_HOPS_MAX)
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = 1;
			pos = (c & 0x3f) << 8 | pkt[pos + 1];
			continue;
		}
		if ((c & 0xc0) != 0)
			return -1;
		pos++;
		if (c == 0)
			break;
		if (pos + c > len || o + c + 1 > QNAME_MAX)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (unsigned i = 0; i < c; i++) {
			unsigned char ch = pkt[pos + i];

			out[o++] = ch == '.' || ch <= 0x20 || ch >= 0x7f ?
			    '\001' : (char)tolower(ch);
		}
		pos += c;
	}
	out[o] = '\0';
	if (!jumped)
		*off = pos;
	return 0;
}

static int
name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* A TXT RR's strings, concatenated (RFC 7489 6.6.3 step 3). */
static void
txt_join(const unsigned char *rd, size_t rdlen, struct buf *out)
{
	size_t i = 0;

	while (i < rdlen) {
		size_t n = rd[i++];

		if (n > rdlen - i)
			n = rdlen - i;
		if (buf_append(out, rd + i, n) < 0)
			return;		/* cut at DMARC_TXT_MAX */
		i += n;
	}
}

/* The record kept for X-Original-DMARC-Record: cut, controls blanked. */
static void
keep_record(const char *s, size_t n, char *out)
{
	if (n > DMARC_RECORD_MAX)
		n = DMARC_RECORD_MAX;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	out[n] = '\0';
}

/* One TXT RR of the answer. */
static void
answer_txt(const unsigned char *rd, size_t rdlen, unsigned ttl,
    struct dmarc_dns_answer *out, int *ntxt)
{
	struct buf t = BUF_INIT(DMARC_TXT_MAX);
	struct dmarc_record rec;
	int r;

	txt_join(rd, rdlen, &t);
	r = dmarc_record_parse(buf_cstr(&t), t.len, &rec);
	if (*ntxt == 0 || ttl < out->ttl)
		out->ttl = ttl;
	(*ntxt)++;
	if (r != 0 && out->ndmarc++ == 0) {
		out->usable = r;
		out->rec = rec;
		keep_record(buf_cstr(&t), t.len, out->record);
	}
	buf_free(&t);
}

enum dmarc_dns_rcode
dmarc_dns_parse(const unsigned char *pkt, size_t len, uint16_t id,
    const char *qname, struct dmarc_dns_answer *out)
{
	char name[QNAME_MAX + 1], cur[QNAME_MAX + 1];
	size_t off = 12;
	unsigned flags, an, cnames = 0;
	int ntxt = 0;

	memset(out, 0, sizeof(*out));
	out->rcode = DMARC_DNS_IGNORE;
	if (len < 12 || get16(pkt) != id)
		return out->rcode;
	flags = get16(pkt + 2);
	/* An answer (QR), a standard query, one question: ours. */
	if (!(flags & 0x8000) || ((flags >> 11) & 0xf) != 0 || get16(pkt + 4) != 1)
		return out->rcode;
	if (read_name(pkt, len, &off, name) < 0 || off + 4 > len ||
	    !name_eq(name, qname) || get16(pkt + off) != 16 ||
	    get16(pkt + off + 2) != 1)
		return out->rcode;
	off += 4;
	out->rcode = DMARC_DNS_FAIL;
	if (flags & 0x0200)		/* TC: TCP is not tried, it would be slow */
		return out->rcode;
	if ((flags & 0xf) == 3)
		return out->rcode = DMARC_DNS_NXDOMAIN;
	if ((flags & 0xf) != 0)
		return out->rcode;
	snprintf(cur, sizeof(cur), "%s", qname);
	an = get16(pkt + 6);
	for (unsigned i = 0; i < an; i++) {
		unsigned type, class, ttl, rdlen;

		if (read_name(pkt, len, &off, name) < 0 || off + 10 > len)
			return out->rcode = DMARC_DNS_FAIL;
		type = get16(pkt + off);
		class = get16(pkt + off + 2);
		ttl = get16(pkt + off + 4) << 16 | get16(pkt + off + 6);
		rdlen = get16(pkt + off + 8);
		off += 10;
		if (off + rdlen > len)
			return out->rcode = DMARC_DNS_FAIL;
		if (class == 1 && name_eq(name, cur)) {
			if (type == 5 && cnames < CNAME_MAX) {
				size_t roff = off;

				if (read_name(pkt, len, &roff, name) < 0)
					return out->rcode = DMARC_DNS_FAIL;
				memcpy(cur, name, strlen(name) + 1);
				cnames++;
			} else if (type == 16)
				answer_txt(pkt + off, rdlen, ttl > 0x7fffffff ? 0 : ttl,
				    out, &ntxt);
		}
		off += rdlen;
	}
	out->rcode = ntxt > 0 ? DMARC_DNS_ANSWER : DMARC_DNS_NODATA;
	return out->rcode;
}

/* The resolver. */

struct nameserver {
	struct sockaddr_storage ss;
	int		 len;
};

struct attempt {
	evutil_socket_t	 fd;
	struct event	*ev;
};

struct dmarc_lookup {
	struct dmarc_resolver *r;
	struct dmarc_lookup *prev, *next;
	dmarc_lookup_cb	 cb;
	void		*arg;
	char		 names[DMARC_WALK_MAX][DMARC_DOMAIN_MAX + 1];
	size_t		 nnames, cur;
	enum dmarc_status early;	/* with nnames 0: the answer */
	struct dmarc_result res;
	struct event	*start_ev, *deadline, *retry_ev;
	/* The query in flight for names[cur]. */
	char		 qname[QNAME_MAX + 1];
	uint16_t	 id;
	unsigned char	 pkt[QNAME_MAX + 32];
	size_t		 pktlen;
	struct attempt	 att[ATTEMPTS_MAX];
	unsigned	 natt, nopen;
	size_t		 ns_first;
};

struct dmarc_resolver {
	struct event_base *base;
	struct dmarc_resolver_opts o;
	struct dmarc_table *table;
	struct nameserver ns[NS_MAX];
	size_t		 nns, ns_next;
	struct cache	 cache;
	struct dmarc_lookup *lookups;
	struct dmarc_stats st;
};

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void
dmarc_resolver_opts_default(struct dmarc_resolver_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dns = 1;
	o->timeout_ms = DMARC_TIMEOUT_MS;
	o->retry_ms = 700;
	o->attempts = 3;
	o->cache_max = DMARC_CACHE_MAX;
	o->ttl_min = 60;
	o->ttl_max = 86400;
	o->negative_ttl = 600;
}

/* "ip[:port]" items separated by blanks or commas. */
static int
ns_parse(struct dmarc_resolver *r, const char *s, struct buf *err)
{
	while (*s != '\0') {
		char item[128];
		size_t n;
		struct nameserver *ns;

		s += strspn(s, " \t,");
		if ((n = strcspn(s, " \t,")) == 0)
			break;
		if (n >= sizeof(item) || r->nns == NS_MAX) {
			buf_printf(err, "dmarc: too many or too long nameservers");
			return -1;
		}
		memcpy(item, s, n);
		item[n] = '\0';
		s += n;
		ns = &r->ns[r->nns];
		ns->len = sizeof(ns->ss);
		if (evutil_parse_sockaddr_port(item, (struct sockaddr *)&ns->ss,
		    &ns->len) < 0) {
			buf_printf(err, "dmarc: bad nameserver \"%s\"", item);
			return -1;
		}
		if (ns->ss.ss_family == AF_INET &&
		    ((struct sockaddr_in *)&ns->ss)->sin_port == 0)
			((struct sockaddr_in *)&ns->ss)->sin_port = htons(53);
		else if (ns->ss.ss_family == AF_INET6 &&
		    ((struct sockaddr_in6 *)&ns->ss)->sin6_port == 0)
			((struct sockaddr_in6 *)&ns->ss)->sin6_port = htons(53);
		r->nns++;
	}
	return 0;
}

/* The nameservers of resolv.conf, as evdns reads them. */
static int
ns_system(struct dmarc_resolver *r, struct buf *err)
{
	struct evdns_base *db;
	int n;

	db = evdns_base_new(r->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (db == NULL) {
		buf_printf(err, "dmarc: cannot read the resolver configuration");
		return -1;
	}
	n = evdns_base_count_nameservers(db);
	for (int i = 0; i < n && r->nns < NS_MAX; i++) {
		struct nameserver *ns = &r->ns[r->nns];
		int l = evdns_base_get_nameserver_addr(db, i,
		    (struct sockaddr *)&ns->ss, sizeof(ns->ss));

		if (l > 0 && (size_t)l <= sizeof(ns->ss)) {
			ns->len = l;
			r->nns++;
		}
	}
	evdns_base_free(db, 0);
	return 0;
}

struct dmarc_resolver *
dmarc_resolver_new(struct event_base *base, const struct dmarc_resolver_opts *o,
    struct buf *err)
{
	struct dmarc_resolver *r = xcalloc(1, sizeof(*r));

	r->base = base;
	if (o != NULL)
		r->o = *o;
	else
		dmarc_resolver_opts_default(&r->o);
	if (r->o.timeout_ms == 0)
		r->o.timeout_ms = DMARC_TIMEOUT_MS;
	if (r->o.attempts == 0)
		r->o.attempts = 1;
	if (r->o.attempts > ATTEMPTS_MAX)
		r->o.attempts = ATTEMPTS_MAX;
	if (r->o.retry_ms == 0)
		r->o.retry_ms = r->o.timeout_ms / (r->o.attempts + 1) + 1;
	if (r->o.ttl_max < r->o.ttl_min)
		r->o.ttl_max = r->o.ttl_min;
	if (r->o.clock == NULL)
		r->o.clock = mono_now;
	cache_init(&r->cache, r->o.cache_max);
	if (r->o.policy_file != NULL && *r->o.policy_file != '\0' &&
	    (r->table = dmarc_table_load(r->o.policy_file, err)) == NULL)
		goto fail;
	if (r->o.dns) {
		if (r->o.nameservers != NULL ? ns_parse(r, r->o.nameservers, err) < 0 :
		    ns_system(r, err) < 0)
			goto fail;
		if (r->nns == 0) {
			buf_printf(err, "dmarc: no nameserver");
			goto fail;
		}
	}
	r->o.policy_file = NULL;
	r->o.nameservers = NULL;	/* the caller's strings are not kept */
	return r;
fail:
	dmarc_resolver_free(r);
	return NULL;
}

static void	lookup_free(struct dmarc_lookup *);

void
dmarc_resolver_free(struct dmarc_resolver *r)
{
	if (r == NULL)
		return;
	while (r->lookups != NULL)
		lookup_free(r->lookups);
	cache_free(&r->cache);
	dmarc_table_free(r->table);
	free(r);
}

void
dmarc_resolver_set_table(struct dmarc_resolver *r, struct dmarc_table *t)
{
	dmarc_table_free(r->table);
	r->table = t;
}

void
dmarc_resolver_flush(struct dmarc_resolver *r)
{
	cache_clear(&r->cache);
}

void
dmarc_resolver_stats(const struct dmarc_resolver *r, struct dmarc_stats *out)
{
	*out = r->st;
	out->cached = r->cache.n;
}

/* Lookups. */

static void
query_close(struct dmarc_lookup *l)
{
	for (unsigned i = 0; i < l->natt; i++)
		if (l->att[i].ev != NULL) {
			event_free(l->att[i].ev);
			evutil_closesocket(l->att[i].fd);
			l->att[i].ev = NULL;
		}
	l->natt = l->nopen = 0;
	if (l->retry_ev != NULL)
		evtimer_del(l->retry_ev);
}

static void
lookup_free(struct dmarc_lookup *l)
{
	struct dmarc_resolver *r = l->r;

	query_close(l);
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		r->lookups = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	if (l->start_ev != NULL)
		event_free(l->start_ev);
	if (l->deadline != NULL)
		event_free(l->deadline);
	if (l->retry_ev != NULL)
		event_free(l->retry_ev);
	free(l);
}

void
dmarc_lookup_cancel(struct dmarc_lookup *l)
{
	if (l != NULL)
		lookup_free(l);
}

/* The end: the callback, then the lookup is gone. */
static void
finish(struct dmarc_lookup *l, enum dmarc_status status)
{
	struct dmarc_result res;
	dmarc_lookup_cb cb = l->cb;
	void *arg = l->arg;

	l->res.status = status;
	if (status != DMARC_FOUND) {
		l->res.policy = DMARC_P_UNSET;
		l->res.domain[0] = l->res.record[0] = '\0';
	}
	res = l->res;
	lookup_free(l);
	cb(&res, arg);
}

static void
answer_expire(struct dmarc_resolver *r, const char *name, const struct answer *a)
{
	unsigned ttl;

	if (a->o == OUT_FAIL)
		return;
	if (a->o == OUT_FOUND) {
		ttl = a->ttl < r->o.ttl_min ? r->o.ttl_min : a->ttl;
		if (ttl > r->o.ttl_max)
			ttl = r->o.ttl_max;
	} else
		ttl = r->o.negative_ttl < r->o.ttl_max ? r->o.negative_ttl :
		    r->o.ttl_max;
	if (ttl > 0)
		cache_put(&r->cache, name, a, r->o.clock() + (time_t)ttl);
}

static void	walk(struct dmarc_lookup *);

/* Take the answer for names[cur]: finish, or go on with the parent. */
static void
take(struct dmarc_lookup *l, const struct answer *a, enum dmarc_source src)
{
	switch (a->o) {
	case OUT_FOUND:
		l->res.source = src;
		/* RFC 7489 6.6.3 step 5: for the organisational domain, sp= wins. */
		l->res.policy = l->cur > 0 && a->rec.sp != DMARC_P_UNSET ?
		    a->rec.sp : a->rec.p;
		snprintf(l->res.domain, sizeof(l->res.domain), "%s",
		    l->names[l->cur]);
		memcpy(l->res.record, a->record, sizeof(l->res.record));
		finish(l, DMARC_FOUND);
		return;
	case OUT_STOP:
		l->res.source = src;
		finish(l, DMARC_ABSENT);
		return;
	case OUT_FAIL:
		l->r->st.failures++;
		l->res.source = src;
		finish(l, DMARC_UNKNOWN);
		return;
	case OUT_NONE:
		l->res.source = src;
		l->cur++;
		walk(l);
		return;
	}
}

static void	attempt_send(struct dmarc_lookup *);

/* A datagram from a nameserver. */
static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct dmarc_lookup *l = arg;
	struct dmarc_dns_answer da;
	struct answer a;
	unsigned char pkt[DMARC_DNS_PACKET_MAX];
	ssize_t n;

	(void)what;
	for (;;) {
		n = recv(fd, pkt, sizeof(pkt), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			break;		/* ICMP unreachable and the like */
		if (dmarc_dns_parse(pkt, (size_t)n, l->id, l->qname, &da) !=
		    DMARC_DNS_IGNORE)
			break;
	}
	if (n < 0 || da.rcode == DMARC_DNS_FAIL) {
		/* This nameserver failed: close it, ask the next at once. */
		for (unsigned i = 0; i < l->natt; i++)
			if (l->att[i].ev != NULL && l->att[i].fd == fd) {
				event_free(l->att[i].ev);
				evutil_closesocket(fd);
				l->att[i].ev = NULL;
				l->nopen--;
			}
		if (l->natt < l->r->o.attempts)
			attempt_send(l);
		else if (l->nopen == 0) {
			memset(&a, 0, sizeof(a));
			a.o = OUT_FAIL;
			query_close(l);
			take(l, &a, DMARC_SRC_DNS);
		}
		return;
	}
	memset(&a, 0, sizeof(a));
	if (da.rcode == DMARC_DNS_ANSWER && da.ndmarc > 1)
		a.o = OUT_STOP;
	else if (da.rcode == DMARC_DNS_ANSWER && da.ndmarc == 1 && da.usable > 0) {
		a.o = OUT_FOUND;
		a.rec = da.rec;
		a.ttl = da.ttl;
		memcpy(a.record, da.record, sizeof(a.record));
	} else
		a.o = OUT_NONE;
	l->r->st.answers++;
	query_close(l);
	answer_expire(l->r, l->names[l->cur], &a);
	take(l, &a, DMARC_SRC_DNS);
}

/* One more send, to the next nameserver, on a fresh socket. */
static void
attempt_send(struct dmarc_lookup *l)
{
	struct dmarc_resolver *r = l->r;
	struct answer a;

	while (l->natt < r->o.attempts) {
		const struct nameserver *ns =
		    &r->ns[(l->ns_first + l->natt) % r->nns];
		struct attempt *at = &l->att[l->natt++];
		evutil_socket_t fd;

		at->ev = NULL;
		fd = socket(ns->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		/* Connected: the kernel drops datagrams from anyone else. */
		if (connect(fd, (const struct sockaddr *)&ns->ss,
		    (socklen_t)ns->len) < 0 ||
		    send(fd, l->pkt, l->pktlen, 0) != (ssize_t)l->pktlen ||
		    (at->ev = event_new(r->base, fd, EV_READ | EV_PERSIST, on_read,
		    l)) == NULL || event_add(at->ev, NULL) < 0) {
			if (at->ev != NULL)
				event_free(at->ev);
			at->ev = NULL;
			evutil_closesocket(fd);
			continue;
		}
		at->fd = fd;
		l->nopen++;
		r->st.queries++;
		if (l->natt < r->o.attempts) {
			struct timeval tv = { r->o.retry_ms / 1000,
			    (r->o.retry_ms % 1000) * 1000 };

			evtimer_add(l->retry_ev, &tv);
		}
		return;
	}
	if (l->nopen == 0) {
		memset(&a, 0, sizeof(a));
		a.o = OUT_FAIL;
		query_close(l);
		take(l, &a, DMARC_SRC_DNS);
	}
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	attempt_send(arg);
}

static void
query_start(struct dmarc_lookup *l)
{
	struct dmarc_resolver *r = l->r;
	struct buf b = BUF_INIT(sizeof(l->pkt));
	struct answer a;

	snprintf(l->qname, sizeof(l->qname), "_dmarc.%s", l->names[l->cur]);
	evutil_secure_rng_get_bytes(&l->id, sizeof(l->id));
	if (dmarc_dns_query(l->qname, l->id, &b) < 0) {
		buf_free(&b);
		memset(&a, 0, sizeof(a));
		a.o = OUT_NONE;		/* cannot be asked: cannot exist */
		take(l, &a, DMARC_SRC_NONE);
		return;
	}
	memcpy(l->pkt, b.data, b.len);
	l->pktlen = b.len;
	buf_free(&b);
	l->natt = l->nopen = 0;
	l->ns_first = r->ns_next++ % r->nns;
	attempt_send(l);
}

/* Answer names[cur] from the table or the cache, else ask DNS. */
static void
walk(struct dmarc_lookup *l)
{
	struct dmarc_resolver *r = l->r;
	struct centry *e;
	struct answer a;
	const char *name;
	int pol;

	if (l->cur >= l->nnames) {
		finish(l, DMARC_ABSENT);
		return;
	}
	name = l->names[l->cur];
	if ((pol = dmarc_table_get(r->table, name)) >= 0) {
		r->st.table_hits++;
		memset(&a, 0, sizeof(a));
		a.o = OUT_FOUND;
		a.rec.p = (enum dmarc_policy)pol;
		a.rec.sp = DMARC_P_UNSET;
		snprintf(a.record, sizeof(a.record), "v=DMARC1; p=%s",
		    dmarc_policy_name((enum dmarc_policy)pol));
		take(l, &a, DMARC_SRC_TABLE);
		return;
	}
	if ((e = cache_get(&r->cache, name, r->o.clock())) != NULL) {
		r->st.cache_hits++;
		a = e->a;
		take(l, &a, DMARC_SRC_CACHE);
		return;
	}
	if (!r->o.dns) {
		memset(&a, 0, sizeof(a));
		a.o = OUT_NONE;
		take(l, &a, DMARC_SRC_NONE);
		return;
	}
	query_start(l);
}

static void
on_start(evutil_socket_t fd, short what, void *arg)
{
	struct dmarc_lookup *l = arg;

	(void)fd;
	(void)what;
	if (l->nnames == 0)
		finish(l, l->early);
	else
		walk(l);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct dmarc_lookup *l = arg;

	(void)fd;
	(void)what;
	l->r->st.timeouts++;
	finish(l, DMARC_UNKNOWN);
}

/* The domain, then its parents from DMARC_WALK_MAX - 1 labels down to two. */
static void
walk_names(struct dmarc_lookup *l, const char *dom)
{
	const char *labels[128];
	size_t n = 0, k;

	snprintf(l->names[l->nnames++], DMARC_DOMAIN_MAX + 1, "%s", dom);
	labels[n++] = dom;
	for (const char *p = dom; (p = strchr(p, '.')) != NULL && n < 128; )
		labels[n++] = ++p;
	k = n - 1 < DMARC_WALK_MAX - 1 ? n - 1 : DMARC_WALK_MAX - 1;
	for (; k >= 2; k--)
		snprintf(l->names[l->nnames++], DMARC_DOMAIN_MAX + 1, "%s",
		    labels[n - k]);
}

struct dmarc_lookup *
dmarc_lookup_start(struct dmarc_resolver *r, const char *domain,
    dmarc_lookup_cb cb, void *arg)
{
	struct dmarc_lookup *l = xcalloc(1, sizeof(*l));
	char dom[DMARC_DOMAIN_MAX + 1];
	struct timeval zero = { 0, 0 }, tv = { r->o.timeout_ms / 1000,
	    (r->o.timeout_ms % 1000) * 1000 };
	int rc;

	l->r = r;
	l->cb = cb;
	l->arg = arg;
	l->res.status = DMARC_UNKNOWN;
	l->res.source = DMARC_SRC_NONE;
	rc = domain != NULL ? domain_normalize(domain, dom, sizeof(dom)) : -1;
	if (rc == 0)
		walk_names(l, dom);
	else
		l->early = rc == -2 ? DMARC_UNKNOWN : DMARC_ABSENT;
	l->next = r->lookups;
	if (r->lookups != NULL)
		r->lookups->prev = l;
	r->lookups = l;
	r->st.lookups++;
	l->start_ev = evtimer_new(r->base, on_start, l);
	l->deadline = evtimer_new(r->base, on_deadline, l);
	l->retry_ev = evtimer_new(r->base, on_retry, l);
	if (l->start_ev == NULL || l->deadline == NULL || l->retry_ev == NULL ||
	    evtimer_add(l->deadline, &tv) < 0 || evtimer_add(l->start_ev, &zero) < 0)
		log_fatal(75, "dmarc: cannot add libevent timers");
	return l;
}

struct waiter {
	int			 done;
	struct dmarc_result	*out;
};

static void
wait_cb(const struct dmarc_result *res, void *arg)
{
	struct waiter *w = arg;

	*w->out = *res;
	w->done = 1;
}

enum dmarc_status
dmarc_lookup_wait(struct dmarc_resolver *r, const char *domain,
    struct dmarc_result *out)
{
	struct waiter w = { 0, out };
	struct dmarc_lookup *l = dmarc_lookup_start(r, domain, wait_cb, &w);

	while (!w.done)
		if (event_base_loop(r->base, EVLOOP_ONCE) < 0) {
			dmarc_lookup_cancel(l);
			memset(out, 0, sizeof(*out));
			out->status = DMARC_UNKNOWN;
			break;
		}
	return out->status;
}
