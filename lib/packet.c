/*
 * packet - bulk jobs and packets: the packetiser (see packet.h).
 *
 * The members come in one query on the subscribers primary key (list_id
 * prefix); sorting and splitting are done here, in memory, and the
 * packets go back in one INSERT whose values are three parallel arrays,
 * one element per packet (form, recipients, VERP recipients), unnested on
 * the server: one round trip and 4,000 rows for 100,000 recipients, every
 * value a parameter. (Grouping a flat array of addresses by packet on
 * the server instead takes twice as long; one row per recipient, six
 * times as long.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "domlimits.h"
#include "log.h"
#include "mem.h"
#include "packet.h"
#include "roster.h"
#include "store.h"

#define PACKET_SPOOL_ID_MAX	300

/* The forms a recipient gets, in the order their packets are written. */
enum packet_form {
	FORM_MAIL,		/* mail, not_me */
	FORM_NOTICE,
	FORM_TXT,
	FORM_URLIZE,
	FORM_COUNT
};

static const char *const packet_form_names[FORM_COUNT] = {
	"mail", "notice", "txt", "urlize",
};

struct rcpt {
	const char	*email;
	const char	*domain;	/* after the '@' in email */
	unsigned char	 form;		/* enum packet_form */
	unsigned char	 bouncing;	/* has bounce data: always VERP */
	unsigned char	 verp;
};

/* -- nrcpt_by_domain --------------------------------------------------- */

struct packet_domain {
	char	*name;
	int	 limit;
};

struct packet_domains {
	struct packet_domain *v;	/* sorted by name (bytes) */
	size_t	 n, cap;
	int	 fallback;		/* for a domain not in v; 0: none */
};

struct packet_domains *
packet_domains_new(void)
{
	return xcalloc(1, sizeof(struct packet_domains));
}

void
packet_domains_free(struct packet_domains *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	free(d);
}

size_t
packet_domains_count(const struct packet_domains *d)
{
	return d == NULL ? 0 : d->n;
}

/* Compare name (len bytes) with a NUL-terminated table entry. */
static int
packet_domain_cmp(const char *name, size_t len, const char *entry)
{
	size_t elen = strlen(entry);
	int c = memcmp(name, entry, len < elen ? len : elen);

	if (c != 0)
		return c;
	return len < elen ? -1 : len > elen;
}

/* Where name is, or would be inserted; *found says which. */
static size_t
packet_domain_find(const struct packet_domains *d, const char *name,
    size_t len, int *found)
{
	size_t lo = 0, hi = d->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = packet_domain_cmp(name, len, d->v[mid].name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void
packet_domains_set(struct packet_domains *d, const char *domain, int limit)
{
	size_t len = strlen(domain), at;
	int found;

	at = packet_domain_find(d, domain, len, &found);
	if (found) {
		d->v[at].limit = limit;
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = xreallocarray(d->v, d->cap, sizeof(d->v[0]));
	}
	memmove(&d->v[at + 1], &d->v[at], (d->n - at) * sizeof(d->v[0]));
	d->v[at].name = xstrdup(domain);
	d->v[at].limit = limit;
	d->n++;
}

int
packet_domains_limit(const struct packet_domains *d, const char *domain,
    size_t len)
{
	size_t at;
	int found;

	if (d == NULL)
		return 0;
	if (d->n == 0)
		return d->fallback;
	at = packet_domain_find(d, domain, len, &found);
	return found ? d->v[at].limit : d->fallback;
}

/* Each domain of the limits file with an nrcpt, into the table. */
static void
packet_domains_take(const char *domain, const struct domlimit *lim,
    void *arg)
{
	if (lim->nrcpt > 0)
		packet_domains_set(arg, domain, lim->nrcpt);
}

/*
 * The limits file (lib/domlimits.h) serves bulk too; packet splitting
 * takes its nrcpt: each listed domain's (its own or the "*" line's), and
 * the "*" line's for every domain not listed.
 */
struct packet_domains *
packet_domains_load(const char *path, size_t *errors)
{
	struct domlimits *dl;
	struct packet_domains *d;
	struct domlimit def;

	if ((dl = domlimits_load(path, errors)) == NULL)
		return NULL;
	d = packet_domains_new();
	domlimits_foreach(dl, packet_domains_take, d);
	domlimits_defaults(dl, &def);
	d->fallback = def.nrcpt;
	domlimits_free(dl);
	return d;
}

/* -- sorting and splitting --------------------------------------------- */

/* The length of an address's local part, given its domain. */
static size_t
packet_local_len(const char *email, const char *domain)
{
	size_t len = (size_t)(domain - email);

	return len > 0 && domain[-1] == '@' ? len - 1 : len;
}

/* Sympa's order: domain, then local part, plain byte comparison. */
static int
packet_addr_cmp(const char *ea, const char *da, const char *eb,
    const char *db)
{
	size_t la = packet_local_len(ea, da), lb = packet_local_len(eb, db);
	int c;

	if ((c = strcmp(da, db)) != 0)
		return c;
	if ((c = memcmp(ea, eb, la < lb ? la : lb)) != 0)
		return c;
	return la < lb ? -1 : la > lb;
}

static int
packet_rcpt_cmp(const void *a, const void *b)
{
	const struct rcpt *ra = a, *rb = b;

	if (ra->form != rb->form)
		return ra->form < rb->form ? -1 : 1;
	return packet_addr_cmp(ra->email, ra->domain, rb->email, rb->domain);
}

/* The domain of an address: after its first '@' ("" if none). */
static const char *
packet_domain_of(const char *email)
{
	const char *at = strchr(email, '@');

	return at ? at + 1 : email + strlen(email);
}

void
packet_sort(const char **rcpts, size_t n)
{
	struct rcpt *r;

	if (n < 2)
		return;
	r = xcalloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		r[i].email = rcpts[i];
		r[i].domain = packet_domain_of(rcpts[i]);
	}
	qsort(r, n, sizeof(*r), packet_rcpt_cmp);
	for (size_t i = 0; i < n; i++)
		rcpts[i] = r[i].email;
	free(r);
}

/*
 * The last two labels of a domain ("example.com" for mail.example.com,
 * "co.uk" for example.co.uk): the avg rule's idea of "the same place".
 */
static const char *
packet_last_two_labels(const char *domain)
{
	const char *last = strrchr(domain, '.'), *p;

	if (last == NULL)
		return domain;
	for (p = last; p > domain; p--)
		if (p[-1] == '.')
			return p;
	return domain;
}

/*
 * Split n sorted recipients of one form (see packet.h for the rules):
 * starts gets each packet's first index, offset by base. Since the
 * recipients are sorted by domain, a domain's addresses are contiguous
 * and one counter (addresses of the current domain in the current
 * packet) serves the per-domain limit.
 */
static size_t
packet_split_run(const struct rcpt *r, size_t n, size_t base,
    const struct packet_limits *lim, size_t *starts)
{
	size_t np = 0, size = 0, dcount = 0;
	size_t nrcpt = lim->nrcpt > 0 ? (size_t)lim->nrcpt : 1;
	size_t avg = lim->avg > 0 ? (size_t)lim->avg : 1;
	const char *prev = NULL;
	int limit = 0;

	for (size_t i = 0; i < n; i++) {
		const char *dom = r[i].domain;
		int same = prev != NULL && strcmp(dom, prev) == 0;
		int close;

		if (!same) {
			limit = packet_domains_limit(lim->by_domain, dom,
			    strlen(dom));
			dcount = 0;
		}
		/*
		 * Unlike Sympa, the domain count does not include r and is
		 * reset with the packet: a limit L is at most L addresses
		 * of the domain in every packet, the first included, and a
		 * limit of 1 never makes an empty packet.
		 */
		close = size > 0 && ((limit > 0 && dcount >= (size_t)limit) ||
		    (size > avg && !same && strcmp(packet_last_two_labels(dom),
		    packet_last_two_labels(prev)) != 0) ||
		    size >= nrcpt);
		if (size == 0 || close) {
			starts[np++] = base + i;
			size = 0;
			dcount = 0;
		}
		size++;
		dcount++;
		prev = dom;
	}
	return np;
}

size_t
packet_split(const char *const *rcpts, size_t n,
    const struct packet_limits *lim, size_t *starts)
{
	struct rcpt *r;
	size_t np;

	if (n == 0)
		return 0;
	r = xcalloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		r[i].email = rcpts[i];
		r[i].domain = packet_domain_of(rcpts[i]);
	}
	np = packet_split_run(r, n, 0, lim, starts);
	free(r);
	return np;
}

/*
 * Sympa moves int(n / (100/p)) + 1 candidates from slice seq % (100/p),
 * which for 33% leaves some members out of every rotation; here the
 * slices are ceil(n / parts) long, so over parts posts each candidate
 * gets VERP exactly once.
 */
void
packet_verp_slice(size_t n, int rate, unsigned long seq, size_t *first,
    size_t *count)
{
	size_t parts, len, start;

	*first = 0;
	*count = 0;
	if (rate <= 0 || n == 0)
		return;
	if (rate >= 100) {
		*count = n;
		return;
	}
	parts = (size_t)(100 / rate);
	len = (n + parts - 1) / parts;
	start = len * (size_t)(seq % parts);
	if (start >= n)
		return;
	*first = start;
	*count = len < n - start ? len : n - start;
}

/* -- checks ------------------------------------------------------------ */

int
packet_kind_valid(const char *kind)
{
	static const char *const kinds[] = {
		"post", "digest", "notice", "forward", "reply", "auth",
		"reminder",
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return 1;
	return 0;
}

static int
packet_spool_id_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PACKET_SPOOL_ID_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/*
 * A Message-ID the schema takes: 1..998 bytes of printable ASCII (RFC
 * 5322 msg-id). It comes from outside, so one that is not is dropped
 * (the job keeps NULL), never a reason to fail the post.
 */
static int
packet_message_id_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 998)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
packet_nonce_valid(const char *s)
{
	size_t len = strspn(s, "0123456789abcdef");

	return s[len] == '\0' && len >= 8 && len <= 64;
}

/* What the schema would refuse, refused here with a reason (a bug). */
static const char *
packet_job_invalid(const struct packet_job *job,
    const struct packet_limits *lim)
{
	const char *why;

	if (job->kind == NULL || !packet_kind_valid(job->kind))
		return "unknown job kind";
	if (job->domain == NULL || *job->domain == '\0')
		return "no domain";
	if (job->message == NULL || job->message_len == 0)
		return "no message";
	if (job->message_len > 0x7fffffff)
		return "message too large";
	if (job->spool_id != NULL && !packet_spool_id_valid(job->spool_id))
		return "bad spool id";
	if (job->return_path == NULL)
		return "no return path";
	if (*job->return_path != '\0' &&
	    !roster_email_storable(job->return_path, &why))
		return "bad return path";
	if (job->priority < 0 || job->priority > 9)
		return "priority not in 0..9";
	if (job->verp_rate < 0 || job->verp_rate > 100)
		return "verp_rate not in 0..100";
	if (job->dkim_sign && (job->dkim_domain == NULL ||
	    job->dkim_selector == NULL))
		return "DKIM signing without domain and selector";
	if (job->tracking != NULL && strcmp(job->tracking, "dsn") != 0 &&
	    strcmp(job->tracking, "mdn") != 0)
		return "tracking is neither dsn nor mdn";
	if (job->merge_nonce != NULL && !packet_nonce_valid(job->merge_nonce))
		return "merge nonce not 8 to 64 hex digits";
	if (lim == NULL || lim->nrcpt < 1 || lim->avg < 1 ||
	    lim->nrcpt > PACKET_NRCPT_MAX)
		return "bad packet limits";
	return NULL;
}

/* -- the database ------------------------------------------------------ */


static const char job_insert_sql[] =
    "INSERT INTO bulk_jobs (kind, list_id, list_name, domain, message,"
    " message_id, sender, return_path, priority, deliver_after, spool_id,"
    " dkim_sign, dkim_domain, dkim_selector, personalize, oneclick,"
    " verp_rate, tracking, dkim_key_path, dkim_identity, merge_nonce)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
    " CASE WHEN $10::bigint = 0 THEN now() ELSE to_timestamp($10::bigint) END,"
    " $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    " ON CONFLICT (spool_id) DO NOTHING RETURNING id";

static const char job_existing_sql[] =
    "SELECT j.id, j.recipient_count, j.digest_count,"
    " (SELECT count(*) FROM bulk_packets p WHERE p.job_id = j.id),"
    " (SELECT coalesce(sum(cardinality(p.verp_recipients)), 0)"
    "  FROM bulk_packets p WHERE p.job_id = j.id)"
    " FROM bulk_jobs j WHERE j.spool_id = $1";

static const char job_update_sql[] =
    "UPDATE bulk_jobs SET recipient_count = $2, digest_count = $3,"
    " verp = $4 WHERE id = $1";

/*
 * Every member, classified in the query so that one pass over the
 * result does: 'x' not sent (nomail, suspended now, the not_me
 * sender), 'd' digest forms, else the first letter of the form.
 */
static const char members_sql[] =
    "SELECT CASE"
    "  WHEN s.reception = 'nomail' THEN 'x'"
    "  WHEN s.suspended AND coalesce(s.suspend_start <= now(), true)"
    "   AND coalesce(s.suspend_end > now(), true) THEN 'x'"
    "  WHEN s.reception = 'not_me' AND s.email = $2 THEN 'x'"
    "  WHEN s.reception IN ('digest', 'digestplain', 'summary') THEN 'd'"
    "  WHEN s.reception IN ('mail', 'not_me') THEN 'm'"
    "  WHEN s.reception = 'notice' THEN 'n'"
    "  WHEN s.reception = 'txt' THEN 't'"
    "  WHEN s.reception = 'urlize' THEN 'u'"
    "  ELSE 'x' END, s.email, s.bounce_count > 0"
    " FROM subscribers s WHERE s.list_id = $1";

/*
 * The packets: three parallel arrays, one element per packet - its form,
 * and its recipients and VERP recipients each as an array literal that
 * the server casts to email_address[] (values, never SQL). One row per
 * element, in order, so packet ids follow the sending order.
 */
static const char packets_insert_sql[] =
    "INSERT INTO bulk_packets (job_id, priority, next_attempt_at, reception,"
    " recipients, verp_recipients)"
    " SELECT j.id, j.priority, j.deliver_after, u.form,"
    " u.rc::email_address[], u.vr::email_address[]"
    " FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY"
    " AS u(form, rc, vr, o) CROSS JOIN bulk_jobs j WHERE j.id = $1"
    " ORDER BY u.o";

/*
 * s as an element of an array literal: always quoted, '"' and '\'
 * escaped, after a ',' unless it is the first (b holds just "{").
 */
static int
packet_array_elem(struct buf *b, const char *s, size_t len)
{
	if (b->len > 1 && buf_putc(b, ',') == -1)
		return -1;
	if (buf_putc(b, '"') == -1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if ((s[i] == '"' || s[i] == '\\') && buf_putc(b, '\\') == -1)
			return -1;
		if (buf_putc(b, s[i]) == -1)
			return -1;
	}
	return buf_putc(b, '"');
}

/* Strings are kept here until the statement ran. */
struct packet_batch {
	struct buf	 forms, rcpts, verps;	/* the three parameters */
	struct buf	 rc, vr;		/* one packet's literals */
};

static void
packet_batch_free(struct packet_batch *pb)
{
	buf_free(&pb->forms);
	buf_free(&pb->rcpts);
	buf_free(&pb->verps);
	buf_free(&pb->rc);
	buf_free(&pb->vr);
}

/* One packet, r[0..n), appended to the three parameters. */
static int
packet_batch_add(struct packet_batch *pb, const struct rcpt *r, size_t n)
{
	int rc = 0;

	buf_reset(&pb->rc);
	buf_reset(&pb->vr);
	rc |= buf_putc(&pb->rc, '{') | buf_putc(&pb->vr, '{');
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t len = strlen(r[i].email);

		rc |= packet_array_elem(&pb->rc, r[i].email, len);
		if (r[i].verp)
			rc |= packet_array_elem(&pb->vr, r[i].email, len);
	}
	rc |= buf_putc(&pb->rc, '}') | buf_putc(&pb->vr, '}');
	rc |= packet_array_elem(&pb->forms, packet_form_names[r[0].form],
	    strlen(packet_form_names[r[0].form]));
	rc |= packet_array_elem(&pb->rcpts, pb->rc.data, pb->rc.len);
	rc |= packet_array_elem(&pb->verps, pb->vr.data, pb->vr.len);
	return rc;
}

/*
 * Split r (sorted by form, then address), mark VERP and write the
 * packets of job_id. out gets the counts.
 */
static int
packet_write(struct store *st, const char *job_id, struct rcpt *r, size_t n,
    const struct packet_job *job, const struct packet_limits *lim,
    struct packet_outcome *out)
{
	/* Unlimited: n is bounded by the list, and each address by 254. */
	struct packet_batch pb = { BUF_INIT(BUF_UNLIMITED),
	    BUF_INIT(BUF_UNLIMITED), BUF_INIT(BUF_UNLIMITED),
	    BUF_INIT(BUF_UNLIMITED), BUF_INIT(BUF_UNLIMITED) };
	size_t *starts, np = 0, ncand = 0, first, count, k;
	int rate = job->tracking != NULL ? 100 : job->verp_rate;
	int rc;

	/* VERP: bouncing members, and a slice of the others. */
	for (size_t i = 0; i < n; i++)
		ncand += !r[i].bouncing;
	packet_verp_slice(ncand, rate, job->verp_seq, &first, &count);
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].bouncing)
			r[i].verp = 1;
		else {
			r[i].verp = k >= first && k < first + count;
			k++;
		}
		out->verp += r[i].verp;
	}

	/* Packets, form by form. */
	starts = xcalloc(n, sizeof(*starts));
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		for (hi = lo; hi < n && r[hi].form == r[lo].form; hi++)
			;
		np += packet_split_run(r + lo, hi - lo, lo, lim, starts + np);
	}

	rc = buf_putc(&pb.forms, '{') | buf_putc(&pb.rcpts, '{') |
	    buf_putc(&pb.verps, '{');
	for (k = 0; k < np && rc == 0; k++) {
		size_t end = k + 1 < np ? starts[k + 1] : n;

		rc |= packet_batch_add(&pb, r + starts[k], end - starts[k]);
	}
	rc |= buf_putc(&pb.forms, '}') | buf_putc(&pb.rcpts, '}') |
	    buf_putc(&pb.verps, '}');
	free(starts);
	if (rc != 0) {
		packet_batch_free(&pb);
		log_error("packet: cannot build the packet arrays");
		return STORE_ERROR;
	}
	{
		const char *p[] = { job_id, buf_cstr(&pb.forms),
		    buf_cstr(&pb.rcpts), buf_cstr(&pb.verps) };
		long long affected = 0;

		rc = store_cmd(st, packets_insert_sql, STORE_NPARAMS(p), p,
		    &affected);
		if (rc == STORE_OK && affected != (long long)np) {
			log_error("packet: job %s: %lld packets written, not %zu",
			    job_id, affected, np);
			rc = STORE_ERROR;
		}
	}
	packet_batch_free(&pb);
	out->recipients = (long long)n;
	out->packets = (long long)np;
	return rc;
}

/* ASCII lower case of s into b (the form addresses are stored in). */
static const char *
packet_lower(struct buf *b, const char *s)
{
	buf_reset(b);
	for (; *s != '\0'; s++) {
		int c = (unsigned char)*s;

		if (buf_putc(b, c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) == -1)
			return NULL;
	}
	return buf_cstr(b);
}

/*
 * Insert the job row. STORE_OK with *inserted 1 and job_id set, or
 * with *inserted 0 when spool_id has a job already.
 */
static int
packet_job_insert(struct store *st, const struct packet_job *job,
    char job_id[24], int *inserted)
{
	struct buf sender = BUF_INIT(1024);
	char prio[8], deliver[24], rate[8];
	const char *snd = NULL, *mid = NULL, *why;
	PGresult *res = NULL;
	int rc;

	/* The author is for not_me and the logs: kept only if storable. */
	if (job->sender != NULL && *job->sender != '\0' &&
	    (snd = packet_lower(&sender, job->sender)) != NULL &&
	    !roster_email_storable(snd, &why))
		snd = NULL;
	if (job->message_id != NULL && *job->message_id != '\0') {
		if (packet_message_id_ok(job->message_id))
			mid = job->message_id;
		else
			log_warn("packet: job of %s: Message-ID not kept (not "
			    "printable ASCII, or too long)", job->spool_id ?
			    job->spool_id : "(no spool entry)");
	}
	snprintf(prio, sizeof(prio), "%d", job->priority);
	snprintf(deliver, sizeof(deliver), "%lld", (long long)job->not_before);
	snprintf(rate, sizeof(rate), "%d", job->verp_rate);
	{
		const char *p[] = { job->kind, job->list_id, job->list_name,
		    job->domain, job->message, mid, snd, job->return_path,
		    prio, deliver, job->spool_id, job->dkim_sign ? "t" : "f",
		    job->dkim_sign ? job->dkim_domain : NULL,
		    job->dkim_sign ? job->dkim_selector : NULL,
		    job->merge_nonce != NULL ? "t" : "f",
		    job->oneclick ? "t" : "f",
		    rate, job->tracking,
		    job->dkim_sign ? job->dkim_key_path : NULL,
		    job->dkim_sign && job->dkim_identity != NULL &&
		    *job->dkim_identity != '\0' ? job->dkim_identity : NULL,
		    job->merge_nonce };
		int lengths[STORE_NPARAMS(p)] = { 0 };
		int formats[STORE_NPARAMS(p)] = { 0 };

		/* The message goes as bytes (binary), never escaped. */
		lengths[4] = (int)job->message_len;
		formats[4] = 1;
		rc = store_exec(st, job_insert_sql, STORE_NPARAMS(p), p,
		    lengths, formats, 0, PGRES_TUPLES_OK, &res);
	}
	buf_free(&sender);
	if (rc != STORE_OK)
		return rc;
	*inserted = PQntuples(res) == 1;
	if (*inserted)
		snprintf(job_id, 24, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
}

/* spool_id has a job: its id and counts, for the caller's record. */
static int
packet_job_existing(struct store *st, const char *spool_id,
    struct packet_outcome *out)
{
	const char *p[] = { spool_id };
	PGresult *res;
	int rc;

	if ((rc = store_query(st, job_existing_sql, 1, p, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1) {
		/* Conflicted on insert, gone now: a purge raced us. */
		PQclear(res);
		log_error("packet: job of %s vanished", spool_id);
		return STORE_TEMP;
	}
	out->already = 1;
	snprintf(out->job_id, sizeof(out->job_id), "%s", PQgetvalue(res, 0, 0));
	out->recipients = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	out->digest = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	out->packets = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	out->verp = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

static int
packet_job_finish(struct store *st, const struct packet_outcome *out)
{
	char nr[24], nd[24];
	const char *p[] = { out->job_id, nr, nd, out->verp > 0 ? "t" : "f" };

	snprintf(nr, sizeof(nr), "%lld", out->recipients);
	snprintf(nd, sizeof(nd), "%lld", out->digest);
	return store_cmd(st, job_update_sql, STORE_NPARAMS(p), p, NULL);
}

/* The job row, or "already". *go says whether to go on with packets. */
static int
packet_job_start(struct store *st, const struct packet_job *job,
    const struct packet_limits *lim, struct packet_outcome *out, int *go)
{
	const char *why;
	int inserted, rc;

	*go = 0;
	memset(out, 0, sizeof(*out));
	if ((why = packet_job_invalid(job, lim)) != NULL) {
		log_error("packet: job of %s: %s", job->spool_id ?
		    job->spool_id : "(no spool entry)", why);
		return STORE_ERROR;
	}
	if ((rc = packet_job_insert(st, job, out->job_id, &inserted)) !=
	    STORE_OK)
		return rc;
	if (!inserted)
		return packet_job_existing(st, job->spool_id, out);
	*go = 1;
	return STORE_OK;
}

static int
packet_form_of(char c)
{
	switch (c) {
	case 'm':
		return FORM_MAIL;
	case 'n':
		return FORM_NOTICE;
	case 't':
		return FORM_TXT;
	case 'u':
		return FORM_URLIZE;
	default:
		return -1;
	}
}

/* The members to send to, from res, into r; counts into out. */
static size_t
packet_members(PGresult *res, struct rcpt *r, struct packet_outcome *out)
{
	size_t n = 0;
	int rows = PQntuples(res);

	for (int i = 0; i < rows; i++) {
		char c = *PQgetvalue(res, i, 0);
		int form = packet_form_of(c);

		if (c == 'd') {
			out->digest++;
			continue;
		}
		if (form < 0) {
			out->skipped++;
			continue;
		}
		r[n].email = PQgetvalue(res, i, 1);
		r[n].domain = packet_domain_of(r[n].email);
		r[n].form = (unsigned char)form;
		r[n].bouncing = *PQgetvalue(res, i, 2) == 't';
		n++;
	}
	return n;
}

static int
packet_job_create_tx(struct store *st, const struct packet_job *job,
    const struct packet_limits *lim, struct packet_outcome *out)
{
	struct buf sender = BUF_INIT(1024);
	PGresult *res = NULL;
	struct rcpt *r;
	size_t n;
	int go, rc;

	if ((rc = packet_job_start(st, job, lim, out, &go)) != STORE_OK || !go)
		return rc;
	{
		const char *snd = job->sender ? packet_lower(&sender,
		    job->sender) : NULL;
		const char *p[] = { job->list_id, snd ? snd : "" };

		rc = store_query(st, members_sql, STORE_NPARAMS(p), p, &res);
	}
	buf_free(&sender);
	if (rc != STORE_OK)
		return rc;
	r = xcalloc((size_t)PQntuples(res) + 1, sizeof(*r));
	n = packet_members(res, r, out);
	qsort(r, n, sizeof(*r), packet_rcpt_cmp);
	rc = n > 0 ? packet_write(st, out->job_id, r, n, job, lim, out) :
	    STORE_OK;
	free(r);
	PQclear(res);
	if (rc == STORE_OK)
		rc = packet_job_finish(st, out);
	return rc;
}

int
packet_job_create(struct store *st, const struct packet_job *job,
    const struct packet_limits *lim, struct packet_outcome *out)
{
	int own, rc;

	if (job->list_id == NULL) {
		memset(out, 0, sizeof(*out));
		log_error("packet: a list post without a list");
		return STORE_ERROR;
	}
	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = packet_job_create_tx(st, job, lim, out);
	rc = store_unjoin(st, own, rc);
	if (rc == STORE_OK && !out->already)
		log_info("job %s: %lld recipients in %lld packets (%lld VERP), "
		    "%lld digest, %lld not sent", out->job_id, out->recipients,
		    out->packets, out->verp, out->digest, out->skipped);
	return rc;
}

static int
packet_job_create_to_tx(struct store *st, const struct packet_job *job,
    const char *const *rcpts, size_t n, const struct packet_limits *lim,
    struct packet_outcome *out)
{
	struct rcpt *r;
	size_t m = 0;
	int go, rc;

	if ((rc = packet_job_start(st, job, lim, out, &go)) != STORE_OK || !go)
		return rc;
	r = xcalloc(n + 1, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		r[i].email = rcpts[i];
		r[i].domain = packet_domain_of(rcpts[i]);
		r[i].form = FORM_MAIL;
	}
	qsort(r, n, sizeof(*r), packet_rcpt_cmp);
	/* Each address once. */
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && strcmp(r[m - 1].email, r[i].email) == 0) {
			out->skipped++;
			continue;
		}
		r[m++] = r[i];
	}
	rc = m > 0 ? packet_write(st, out->job_id, r, m, job, lim, out) :
	    STORE_OK;
	free(r);
	if (rc == STORE_OK)
		rc = packet_job_finish(st, out);
	return rc;
}

int
packet_job_create_to(struct store *st, const struct packet_job *job,
    const char *const *rcpts, size_t n, const struct packet_limits *lim,
    struct packet_outcome *out)
{
	const char *why;
	int own, rc;

	memset(out, 0, sizeof(*out));
	/* Checked before anything is written: one bad address fails it all. */
	for (size_t i = 0; i < n; i++)
		if (rcpts[i] == NULL || !roster_email_storable(rcpts[i], &why)) {
			log_error("packet: job of %s: recipient %zu: %s",
			    job->spool_id ? job->spool_id : "(no spool entry)",
			    i + 1, rcpts[i] ? why : "missing");
			return STORE_ERROR;
		}
	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = packet_job_create_to_tx(st, job, rcpts, n, lim, out);
	rc = store_unjoin(st, own, rc);
	if (rc == STORE_OK && !out->already)
		log_info("job %s: %lld recipients in %lld packets",
		    out->job_id, out->recipients, out->packets);
	return rc;
}

int
packet_jobs_purge(struct store *st, long keep_seconds, long long *deleted)
{
	char keep[24];
	const char *p[] = { keep };
	long long n = 0;
	int rc;

	snprintf(keep, sizeof(keep), "%ld", keep_seconds < 0 ? 0 :
	    keep_seconds);
	rc = store_scalar_int(st, "SELECT bulk_jobs_delete_finished("
	    "make_interval(secs => $1::bigint))", 1, p, &n);
	if (deleted != NULL)
		*deleted = rc == STORE_OK ? n : 0;
	return rc;
}
