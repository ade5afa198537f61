/*
 * packet_test - the packetiser: splitting rules (table), the VERP slice,
 * the nrcpt_by_domain loader, and, on a real PostgreSQL, jobs and
 * packets: reception modes and suspensions, not_me, VERP marking, the
 * one transaction (a failure in the middle leaves nothing), the spool
 * entry's uniqueness, site jobs to explicit recipients, the purge.
 *
 * The database cases need HERALD_TEST_DATABASE (a database this test may
 * wipe) and are skipped without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "packet.h"
#include "store.h"
#include "testutil.h"

static const char *conninfo;

/* -- splitting ------------------------------------------------------- */

/*
 * in: addresses, any order; limits: "domain=N,..."; want: the packets,
 * addresses in sending order, "|" between packets.
 */
static const struct split_case {
	const char	*name;
	int		 nrcpt, avg;
	const char	*limits;
	const char	*in;
	const char	*want;
} split_cases[] = {
	{ "empty", 25, 10, "", "", "" },
	{ "one", 25, 10, "", "a@x.org", "a@x.org" },
	{ "nrcpt cuts a domain", 3, 10, "",
	    "a@x.org b@x.org c@x.org d@x.org e@x.org f@x.org g@x.org",
	    "a@x.org b@x.org c@x.org|d@x.org e@x.org f@x.org|g@x.org" },
	{ "nrcpt 1", 1, 10, "", "b@y.org a@y.org", "a@y.org|b@y.org" },
	{ "sorted by domain then local part", 25, 10, "",
	    "z@a.org a@b.org ab@a.org a.b@a.org a@a.org",
	    "a@a.org a.b@a.org ab@a.org z@a.org a@b.org" },
	/* More than avg, then a new place: closed. */
	{ "avg closes at a domain change", 25, 3, "",
	    "a@x.org b@x.org c@x.org d@x.org a@y.org b@y.org",
	    "a@x.org b@x.org c@x.org d@x.org|a@y.org b@y.org" },
	/* Exactly avg: not more than avg, so not closed. */
	{ "avg is 'more than'", 25, 3, "",
	    "a@x.org b@x.org c@x.org a@y.org b@y.org",
	    "a@x.org b@x.org c@x.org a@y.org b@y.org" },
	{ "avg only at a change", 25, 3, "",
	    "a@x.org b@x.org c@x.org d@x.org e@x.org f@x.org",
	    "a@x.org b@x.org c@x.org d@x.org e@x.org f@x.org" },
	/* The same last two labels: one place for avg. */
	{ "avg and subdomains", 25, 2, "",
	    "a@example.org b@example.org c@example.org d@mail.example.org",
	    "a@example.org b@example.org c@example.org d@mail.example.org" },
	{ "avg and .co.uk", 25, 2, "",
	    "a@one.co.uk b@one.co.uk c@one.co.uk d@two.co.uk",
	    "a@one.co.uk b@one.co.uk c@one.co.uk d@two.co.uk" },
	{ "avg and single-label domains", 25, 1, "",
	    "a@localhost b@localhost c@otherhost",
	    "a@localhost b@localhost|c@otherhost" },
	{ "avg 1 over many domains", 25, 1, "",
	    "a@a.org b@b.org c@c.org d@d.org e@e.org",
	    "a@a.org b@b.org|c@c.org d@d.org|e@e.org" },
	/* L per packet, the first included (Sympa: 1, then 2, 2). */
	{ "domain limit 2", 25, 10, "aol.com=2",
	    "a@aol.com b@aol.com c@aol.com d@aol.com e@aol.com",
	    "a@aol.com b@aol.com|c@aol.com d@aol.com|e@aol.com" },
	/* No empty packet (Sympa writes one). */
	{ "domain limit 1", 25, 10, "x.com=1",
	    "a@x.com b@x.com c@x.com", "a@x.com|b@x.com|c@x.com" },
	{ "domain limit then others share the packet", 25, 10, "aol.com=2",
	    "a@aol.com b@aol.com c@aol.com d@b.org e@b.org",
	    "a@aol.com b@aol.com|c@aol.com d@b.org e@b.org" },
	{ "domain limit is exact, not for subdomains", 25, 10, "aol.com=1",
	    "a@mx.aol.com b@mx.aol.com a@aol.com b@aol.com",
	    "a@aol.com|b@aol.com a@mx.aol.com b@mx.aol.com" },
	{ "domain limit above nrcpt", 3, 10, "x.org=10",
	    "a@x.org b@x.org c@x.org d@x.org",
	    "a@x.org b@x.org c@x.org|d@x.org" },
	{ "domain limit counts from each packet's start", 3, 10, "b.org=2",
	    "a@a.org b@a.org a@b.org b@b.org c@b.org",
	    "a@a.org b@a.org a@b.org|b@b.org c@b.org" },
	{ "mixed", 4, 2, "big.org=3",
	    "a@big.org b@big.org c@big.org d@big.org e@big.org "
	    "a@small.net b@small.net a@mail.small.net c@small.net "
	    "x@other.com",
	    "a@big.org b@big.org c@big.org|d@big.org e@big.org "
	    "a@mail.small.net|x@other.com a@small.net b@small.net "
	    "c@small.net" },
};

static struct packet_domains *
limits_of(const char *spec)
{
	struct packet_domains *d = packet_domains_new();
	char *copy = xstrdup(spec), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');

		assert_non_null(eq);
		*eq = '\0';
		packet_domains_set(d, t, atoi(eq + 1));
	}
	free(copy);
	return d;
}

static void
test_split_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(split_cases) / sizeof(split_cases[0]); c++) {
		const struct split_case *sc = &split_cases[c];
		struct packet_domains *d = limits_of(sc->limits);
		struct packet_limits lim = { sc->nrcpt, sc->avg, d };
		const char *v[64];
		char *copy = xstrdup(sc->in), *save = NULL;
		size_t n = 0, starts[64], np, k = 0;
		struct buf got = BUF_INIT(4096);

		for (char *t = strtok_r(copy, " ", &save); t != NULL;
		    t = strtok_r(NULL, " ", &save))
			v[n++] = t;
		packet_sort(v, n);
		np = packet_split(v, n, &lim, starts);
		for (size_t i = 0; i < n; i++) {
			if (k < np && starts[k] == i) {
				if (i > 0)
					buf_putc(&got, '|');
				k++;
			} else if (i > 0)
				buf_putc(&got, ' ');
			buf_puts(&got, v[i]);
		}
		if (strcmp(buf_cstr(&got), sc->want) != 0)
			fail_msg("%s:\n  got  %s\n  want %s", sc->name,
			    buf_cstr(&got), sc->want);
		assert_int_equal(k, np);
		buf_free(&got);
		free(copy);
		packet_domains_free(d);
	}
}

static const struct verp_case {
	size_t		 n;
	int		 rate;
	unsigned long	 seq;
	size_t		 first, count;
} verp_cases[] = {
	{ 10, 0, 0, 0, 0 },
	{ 10, 100, 7, 0, 10 },
	{ 0, 50, 0, 0, 0 },
	{ 10, 50, 0, 0, 5 },
	{ 10, 50, 1, 5, 5 },
	{ 10, 50, 2, 0, 5 },
	{ 11, 50, 1, 6, 5 },
	/* 33%: three slices of 4, 4 and 2: everyone once in three posts. */
	{ 10, 33, 0, 0, 4 },
	{ 10, 33, 1, 4, 4 },
	{ 10, 33, 2, 8, 2 },
	{ 1000, 33, 2, 668, 332 },
	/* 20% of 3: slices of 1; posts 3 and 4 have nobody left. */
	{ 3, 20, 2, 2, 1 },
	{ 3, 20, 3, 0, 0 },
	{ 100, 2, 49, 98, 2 },
};

static void
test_verp_slice(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(verp_cases) / sizeof(verp_cases[0]); c++) {
		const struct verp_case *vc = &verp_cases[c];
		size_t first, count;

		packet_verp_slice(vc->n, vc->rate, vc->seq, &first, &count);
		if (first != vc->first || count != vc->count)
			fail_msg("n %zu rate %d seq %lu: got [%zu, +%zu), want "
			    "[%zu, +%zu)", vc->n, vc->rate, vc->seq, first,
			    count, vc->first, vc->count);
	}
	/* Over 100/rate posts, each of n candidates exactly once. */
	for (int rate = 1; rate < 100; rate++) {
		size_t n = 997, seen[997] = { 0 };
		unsigned long parts = (unsigned long)(100 / rate);

		for (unsigned long seq = 0; seq < parts; seq++) {
			size_t first, count;

			packet_verp_slice(n, rate, seq + 12345 * parts, &first,
			    &count);
			for (size_t i = first; i < first + count; i++)
				seen[i]++;
		}
		for (size_t i = 0; i < n; i++)
			if (seen[i] != 1)
				fail_msg("rate %d: candidate %zu seen %zu times",
				    rate, i, seen[i]);
	}
}

static void
test_domains_load(void **state)
{
	static const char text[] =
	    "# nrcpt_by_domain.conf\n"
	    "aol.com 2\n"
	    "\n"
	    "; another comment\n"
	    "   Yahoo.COM\t\t5   \r\n"
	    "gmail.com\n"			/* 6: no count */
	    "hotmail.com 0\n"			/* 7: zero */
	    "free.fr abc\n"			/* 8: not a number */
	    "orange.fr 3 extra\n"		/* 9: extra word */
	    "a@b.org 4\n"			/* 10: not a domain */
	    "aol.com 7\n"			/* given twice: the last */
	    "wanadoo.fr 100001\n"		/* 12: too large */
	    "laposte.net 100000";		/* no final newline */
	char *dir = test_mkdtemp("packet");
	char path[4096];
	FILE *f;
	size_t errors = 99;
	struct packet_domains *d;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/nrcpt_by_domain.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	assert_int_equal(fclose(f), 0);
	assert_non_null(d = packet_domains_load(path, &errors));
	assert_int_equal(errors, 6);
	assert_int_equal(packet_domains_count(d), 3);
	assert_int_equal(packet_domains_limit(d, "aol.com", 7), 7);
	assert_int_equal(packet_domains_limit(d, "yahoo.com", 9), 5);
	assert_int_equal(packet_domains_limit(d, "laposte.net", 11), 100000);
	/* Exact match only; a length bounds the name. */
	assert_int_equal(packet_domains_limit(d, "mx.aol.com", 10), 0);
	assert_int_equal(packet_domains_limit(d, "aol.co", 6), 0);
	assert_int_equal(packet_domains_limit(d, "aol.comx", 7), 7);
	assert_int_equal(packet_domains_limit(d, "gmail.com", 9), 0);
	assert_int_equal(packet_domains_limit(NULL, "aol.com", 7), 0);
	packet_domains_free(d);
	/* A file that cannot be read is no table. */
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	assert_null(packet_domains_load(path, NULL));
	test_rmtree(dir);
	free(dir);
}

/*
 * Herald's keys on the same file (lib/domlimits.h): packet splitting
 * takes nrcpt from a line with other keys, from "*" for a listed domain
 * without its own, and from "*" for a domain not listed; the keys only
 * bulk reads change nothing here.
 */
static void
test_domains_load_keys(void **state)
{
	static const char text[] =
	    "yahoo.com nrcpt=2 concurrency=2 oneclick=yes\r\n"
	    "laposte.net concurrency=1 single=yes\n"
	    "aol.com 1 oneclick=no\n"
	    "* 3 concurrency=8\n";
	char *dir = test_mkdtemp("packet");
	char path[4096];
	FILE *f;
	size_t errors = 99, starts[32], np;
	struct packet_domains *d;
	struct packet_limits lim = { 25, 10, NULL };
	const char *v[] = { "a@yahoo.com", "b@yahoo.com", "c@yahoo.com",
	    "a@laposte.net", "b@laposte.net", "c@laposte.net",
	    "d@laposte.net", "a@aol.com", "b@aol.com", "a@x.org" };
	size_t n = sizeof(v) / sizeof(v[0]);
	struct buf got = BUF_INIT(4096);

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/domains.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	assert_int_equal(fclose(f), 0);
	assert_non_null(d = packet_domains_load(path, &errors));
	assert_int_equal(errors, 0);
	assert_int_equal(packet_domains_count(d), 3);
	assert_int_equal(packet_domains_limit(d, "yahoo.com", 9), 2);
	assert_int_equal(packet_domains_limit(d, "laposte.net", 11), 3);
	assert_int_equal(packet_domains_limit(d, "aol.com", 7), 1);
	assert_int_equal(packet_domains_limit(d, "x.org", 5), 3);
	/* aol.com 1 each, laposte.net 3 at most, yahoo.com 2 at most. */
	lim.by_domain = d;
	packet_sort(v, n);
	np = packet_split(v, n, &lim, starts);
	assert_int_equal(np, 4);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (k < np && starts[k] == i) {
			buf_puts(&got, i > 0 ? "|" : "");
			k++;
		} else
			buf_putc(&got, ' ');
		buf_puts(&got, v[i]);
	}
	assert_string_equal(buf_cstr(&got), "a@aol.com|b@aol.com "
	    "a@laposte.net b@laposte.net c@laposte.net|d@laposte.net a@x.org "
	    "a@yahoo.com b@yahoo.com|c@yahoo.com");
	buf_free(&got);
	packet_domains_free(d);
	test_rmtree(dir);
	free(dir);
}

/* -- the database ---------------------------------------------------- */

static void
sql(struct store *st, const char *q)
{
	if (store_cmd(st, q, 0, NULL, NULL) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
}

static long long
sql_int(struct store *st, const char *q, const char *arg)
{
	const char *p[] = { arg };
	long long v = -1;

	if (store_scalar_int(st, q, arg ? 1 : 0, p, &v) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
	return v;
}

/* A string the caller frees ("" for NULL). */
static char *
sql_text(struct store *st, const char *q, const char *arg)
{
	const char *p[] = { arg };
	char *v = NULL;

	if (store_scalar(st, q, arg ? 1 : 0, p, &v) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
	return v ? v : xstrdup("");
}

static struct store *
fresh(void)
{
	struct store *st = NULL;

	if (conninfo == NULL)
		skip();
	assert_int_equal(store_open(conninfo, "packet_test", &st), STORE_OK);
	sql(st, "DROP SCHEMA IF EXISTS public CASCADE");
	sql(st, "CREATE SCHEMA public");
	assert_int_equal(store_migrate(st, NULL, NULL), STORE_OK);
	sql(st, "INSERT INTO lists (name, domain) VALUES ('staff', "
	    "'lists.example.org'), ('other', 'lists.example.org')");
	return st;
}

static char *
list_id(struct store *st, const char *name)
{
	return sql_text(st, "SELECT id::text FROM lists WHERE name = $1", name);
}

/* The packets of a job: "form:addr addr|form:..." in id order. */
static char *
packets_of(struct store *st, const char *job)
{
	return sql_text(st, "SELECT coalesce(string_agg(reception || ':' || "
	    "array_to_string(recipients, ' '), '|' ORDER BY id), '') FROM "
	    "bulk_packets WHERE job_id = $1", job);
}

static char *
verp_of(struct store *st, const char *job)
{
	return sql_text(st, "SELECT coalesce(string_agg(v, ' ' ORDER BY v), '') "
	    "FROM bulk_packets, unnest(verp_recipients) v WHERE job_id = $1",
	    job);
}

static const char message[] = "From: a@example.org\r\nSubject: hi\r\n\r\n"
    "hello\r\n";

static struct packet_job
post_job(const char *lid, const char *spool_id)
{
	struct packet_job j = { 0 };

	j.spool_id = spool_id;
	j.kind = "post";
	j.list_id = lid;
	j.list_name = "staff";
	j.domain = "lists.example.org";
	j.message = message;
	j.message_len = sizeof(message) - 1;
	j.message_id = "m1@example.org";
	j.return_path = "staff-owner@lists.example.org";
	j.priority = 5;
	return j;
}

static const struct packet_limits default_limits = {
	PACKET_NRCPT_DEFAULT, PACKET_AVG_DEFAULT, NULL,
};

static void
assert_str(char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("\n  got  %s\n  want %s", got, want);
	free(got);
}

static void
test_reception_modes(void **state)
{
	struct store *st = fresh();
	char *lid = list_id(st, "staff");
	struct packet_job j = post_job(lid, "5.1.1.host");
	struct packet_outcome out;

	(void)state;
	sql(st, "INSERT INTO subscribers (list_id, email, reception) SELECT "
	    "l.id, m.email, m.mode FROM lists l, (VALUES "
	    "('mail@a.org', 'mail'), ('notme@a.org', 'not_me'), "
	    "('notme2@a.org', 'not_me'), ('notice@a.org', 'notice'), "
	    "('txt@a.org', 'txt'), ('urlize@a.org', 'urlize'), "
	    "('digest@a.org', 'digest'), ('plain@a.org', 'digestplain'), "
	    "('summary@a.org', 'summary'), ('nomail@a.org', 'nomail'), "
	    "('mail@b.org', 'mail'), ('txt@b.org', 'txt')) m(email, mode) "
	    "WHERE l.name = 'staff'");
	/* Suspensions: open-ended, in its window, ended, not yet begun. */
	sql(st, "INSERT INTO subscribers (list_id, email, reception, suspended, "
	    "suspend_start, suspend_end) SELECT l.id, m.email, m.mode, true, "
	    "m.s, m.e FROM lists l, (VALUES "
	    "('susp@c.org', 'mail', NULL::timestamptz, NULL::timestamptz), "
	    "('window@c.org', 'mail', now() - interval '1 day', now() + interval '1 day'), "
	    "('ended@c.org', 'mail', now() - interval '2 days', now() - interval '1 day'), "
	    "('later@c.org', 'notice', now() + interval '1 day', NULL), "
	    "('suspdigest@c.org', 'digest', NULL, NULL)) m(email, mode, s, e) "
	    "WHERE l.name = 'staff'");
	/* Someone else's list is not read. */
	sql(st, "INSERT INTO subscribers (list_id, email) SELECT id, "
	    "'elsewhere@a.org' FROM lists WHERE name = 'other'");
	/* The author, in not_me, as the header has it (case folded). */
	j.sender = "NotMe@A.org";
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	assert_false(out.already);
	assert_int_equal(out.recipients, 9);
	assert_int_equal(out.digest, 3);
	/* nomail, notme (the sender), susp, window, suspdigest. */
	assert_int_equal(out.skipped, 5);
	assert_int_equal(out.packets, 4);
	assert_int_equal(out.verp, 0);
	assert_str(packets_of(st, out.job_id),
	    "mail:mail@a.org notme2@a.org mail@b.org ended@c.org|"
	    "notice:notice@a.org later@c.org|"
	    "txt:txt@a.org txt@b.org|"
	    "urlize:urlize@a.org");
	/* The job row. */
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs WHERE id = "
	    "$1::bigint AND recipient_count = 9 AND digest_count = 3 AND kind "
	    "= 'post' AND list_name = 'staff' AND sender = 'notme@a.org' AND "
	    "spool_id = '5.1.1.host' AND message_id = 'm1@example.org' AND NOT "
	    "verp AND priority = 5 AND return_path = "
	    "'staff-owner@lists.example.org'", out.job_id), 1);
	/* Packets: the job's priority, due when the job is, ready. */
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets p JOIN "
	    "bulk_jobs j ON j.id = p.job_id WHERE j.id = $1::bigint AND "
	    "p.priority = j.priority AND p.next_attempt_at = j.deliver_after "
	    "AND p.state = 'ready' AND p.attempts = 0", out.job_id), 4);
	free(lid);
	store_close(st);
}

/* Packets in the database are what packet_split says, in order. */
static void
test_split_in_database(void **state)
{
	struct store *st = fresh();
	char *lid = list_id(st, "staff");
	struct packet_job j = post_job(lid, "s.2");
	struct packet_domains *d = packet_domains_new();
	struct packet_limits lim = { 5, 3, d };
	struct packet_outcome out;
	const char *v[200];
	size_t n = 0, starts[200], np;
	struct buf want = BUF_INIT(BUF_UNLIMITED);
	char addr[200][64];

	(void)state;
	packet_domains_set(d, "aol.com", 2);
	for (int i = 0; i < 120; i++) {
		static const char *const doms[] = { "aol.com", "a.co.uk",
		    "b.co.uk", "example.org", "mail.example.org", "x.net",
		    "y.net", "z.net" };

		snprintf(addr[n], sizeof(addr[n]), "u%03d@%s", (i * 37) % 120,
		    doms[i % 8]);
		v[n] = addr[n];
		n++;
	}
	{
		struct buf q = BUF_INIT(BUF_UNLIMITED);

		buf_puts(&q, "{");
		for (size_t i = 0; i < n; i++)
			buf_printf(&q, "%s\"%s\"", i ? "," : "", v[i]);
		buf_puts(&q, "}");
		{
			const char *p[] = { lid, buf_cstr(&q) };

			assert_int_equal(store_cmd(st, "INSERT INTO subscribers "
			    "(list_id, email) SELECT $1, unnest($2::text[])", 2,
			    p, NULL), STORE_OK);
		}
		buf_free(&q);
	}
	packet_sort(v, n);
	np = packet_split(v, n, &lim, starts);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (k < np && starts[k] == i) {
			buf_puts(&want, i ? "|mail:" : "mail:");
			k++;
		} else
			buf_putc(&want, ' ');
		buf_puts(&want, v[i]);
	}
	assert_int_equal(packet_job_create(st, &j, &lim, &out), STORE_OK);
	assert_int_equal(out.recipients, 120);
	assert_int_equal(out.packets, (long long)np);
	assert_str(packets_of(st, out.job_id), buf_cstr(&want));
	/* No packet over nrcpt, none with more than 2 of aol.com. */
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "cardinality(recipients) > 5 OR (SELECT count(*) FROM "
	    "unnest(recipients) r WHERE r LIKE '%@aol.com') > 2", NULL), 0);
	buf_free(&want);
	packet_domains_free(d);
	free(lid);
	store_close(st);
}

static void
test_verp_marking(void **state)
{
	struct store *st = fresh();
	char *lid = list_id(st, "staff");
	struct packet_job j = post_job(lid, "v.1");
	struct packet_outcome out;

	(void)state;
	sql(st, "INSERT INTO subscribers (list_id, email) SELECT l.id, "
	    "'m' || i || '@v.org' FROM lists l, generate_series(1, 6) i "
	    "WHERE l.name = 'staff'");
	sql(st, "UPDATE subscribers SET bounce_count = 2, bounce_first_at = "
	    "now(), bounce_last_at = now(), bounce_score = 10 WHERE email = "
	    "'m3@v.org'");
	/* 0%: only the bouncing member. */
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	assert_int_equal(out.verp, 1);
	assert_str(verp_of(st, out.job_id), "m3@v.org");
	assert_int_equal(sql_int(st, "SELECT verp::int FROM bulk_jobs WHERE "
	    "id = $1::bigint", out.job_id), 1);
	/* 50%, second post: the second half of the five others. */
	j.spool_id = "v.2";
	j.verp_rate = 50;
	j.verp_seq = 1;
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	assert_int_equal(out.verp, 3);
	assert_str(verp_of(st, out.job_id), "m3@v.org m5@v.org m6@v.org");
	/* Tracking: everyone. */
	j.spool_id = "v.3";
	j.verp_rate = 0;
	j.tracking = "dsn";
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	assert_int_equal(out.verp, 6);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs WHERE "
	    "id = $1::bigint AND tracking = 'dsn'", out.job_id), 1);
	free(lid);
	store_close(st);
}

static void
test_job_fields(void **state)
{
	struct store *st = fresh();
	char *lid = list_id(st, "staff");
	static const char bytes[] = "Subject: \xe9t\xe9\r\n\r\nbin\0ary\r\n";
	struct packet_job j = post_job(lid, "f.1");
	struct packet_outcome out;
	char *hex;

	(void)state;
	sql(st, "INSERT INTO subscribers (list_id, email) SELECT id, "
	    "'a@b.org' FROM lists WHERE name = 'staff'");
	j.message = bytes;
	j.message_len = sizeof(bytes) - 1;
	j.return_path = "";
	j.priority = 1;
	j.dkim_sign = 1;
	j.dkim_domain = "lists.example.org";
	j.dkim_selector = "s2024";
	j.oneclick = 1;
	j.merge_nonce = "0123abcd";
	j.not_before = 4102444800;	/* 2100-01-01 */
	j.message_id = NULL;
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	hex = sql_text(st, "SELECT encode(message, 'hex') FROM bulk_jobs "
	    "WHERE id = $1::bigint", out.job_id);
	{
		struct buf want = BUF_INIT(1024);

		for (size_t i = 0; i < sizeof(bytes) - 1; i++)
			buf_printf(&want, "%02x", (unsigned char)bytes[i]);
		assert_string_equal(hex, buf_cstr(&want));
		buf_free(&want);
	}
	free(hex);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs WHERE id = "
	    "$1::bigint AND return_path = '' AND priority = 1 AND dkim_sign "
	    "AND dkim_domain = 'lists.example.org' AND dkim_selector = 's2024' "
	    "AND oneclick AND personalize AND merge_nonce = '0123abcd' AND "
	    "message_id IS NULL AND "
	    "deliver_after = '2100-01-01 00:00:00+00'", out.job_id), 1);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "job_id = $1::bigint AND priority = 1 AND next_attempt_at = "
	    "'2100-01-01 00:00:00+00'", out.job_id), 1);
	/* What the schema would refuse is refused before any statement. */
	j.spool_id = "f.2";
	j.priority = 10;
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_ERROR);
	j.priority = 5;
	j.kind = "spam";
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_ERROR);
	j.kind = "post";
	j.spool_id = "has space";
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_ERROR);
	j.spool_id = "f.2";
	j.dkim_selector = NULL;
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_ERROR);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs", NULL), 1);
	/* A Message-ID from outside that the schema would refuse: dropped. */
	j.dkim_selector = "s2024";
	j.message_id = "evil\r\nBcc: all@example.org";
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs WHERE id = "
	    "$1::bigint AND message_id IS NULL", out.job_id), 1);
	free(lid);
	store_close(st);
}

/* A failure after the job row and before the commit leaves nothing. */
static void
test_one_transaction(void **state)
{
	struct store *st = fresh();
	char *lid = list_id(st, "staff");
	struct packet_job j = post_job(lid, "t.1");
	struct packet_outcome out;

	(void)state;
	sql(st, "INSERT INTO subscribers (list_id, email) SELECT l.id, "
	    "'m' || i || '@t.org' FROM lists l, generate_series(1, 100) i "
	    "WHERE l.name = 'staff'");
	/* The packets' insert fails, after the job's. */
	sql(st, "CREATE FUNCTION packet_test_fail() RETURNS trigger LANGUAGE "
	    "plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full' USING ERRCODE = "
	    "'53100'; END $$");
	sql(st, "CREATE TRIGGER packet_test_fail BEFORE INSERT ON bulk_packets "
	    "FOR EACH STATEMENT EXECUTE FUNCTION packet_test_fail()");
	assert_int_not_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	assert_false(store_in_transaction(st));
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs", NULL), 0);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets", NULL),
	    0);
	/* In the caller's transaction: the caller rolls back, nothing stays. */
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_not_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	assert_true(store_in_transaction(st));
	store_rollback(st);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs", NULL), 0);
	/* The retry is a first run, not "already". */
	sql(st, "DROP TRIGGER packet_test_fail ON bulk_packets");
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	assert_false(out.already);
	assert_int_equal(out.packets, 4);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets", NULL),
	    4);
	/* With the caller's step in the same transaction, committed by it. */
	j.spool_id = "t.2";
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	sql(st, "INSERT INTO seen_message_ids (list_id, message_id) SELECT id, "
	    "'m1@example.org' FROM lists WHERE name = 'staff'");
	assert_int_equal(store_commit(st), STORE_OK);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs", NULL), 2);
	free(lid);
	store_close(st);
}

/* The re-run after a crash between the commit and the spool unlink. */
static void
test_spool_id_unique(void **state)
{
	struct store *st = fresh();
	char *lid = list_id(st, "staff");
	struct packet_job j = post_job(lid, "5.1700000000.000001.42.ab.mx1");
	struct packet_outcome out, again;

	(void)state;
	sql(st, "INSERT INTO subscribers (list_id, email, reception) SELECT "
	    "l.id, 'm' || i || '@u.org', CASE WHEN i % 10 = 0 THEN 'digest' "
	    "ELSE 'mail' END FROM lists l, generate_series(1, 60) i WHERE "
	    "l.name = 'staff'");
	assert_int_equal(packet_job_create(st, &j, &default_limits, &out),
	    STORE_OK);
	assert_false(out.already);
	assert_int_equal(out.recipients, 54);
	assert_int_equal(out.digest, 6);
	/* Members changed meanwhile: the job stays as it was. */
	sql(st, "INSERT INTO subscribers (list_id, email) SELECT id, "
	    "'new@u.org' FROM lists WHERE name = 'staff'");
	assert_int_equal(packet_job_create(st, &j, &default_limits, &again),
	    STORE_OK);
	assert_true(again.already);
	assert_string_equal(again.job_id, out.job_id);
	assert_int_equal(again.recipients, 54);
	assert_int_equal(again.digest, 6);
	assert_int_equal(again.packets, out.packets);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs", NULL), 1);
	assert_int_equal(sql_int(st, "SELECT sum(cardinality(recipients)) FROM "
	    "bulk_packets", NULL), 54);
	/* The same for a site job. */
	{
		const char *to[] = { "owner@lists.example.org" };
		struct packet_job s = post_job(NULL, "5.x/notice");

		s.kind = "notice";
		s.list_name = NULL;
		assert_int_equal(packet_job_create_to(st, &s, to, 1,
		    &default_limits, &out), STORE_OK);
		assert_false(out.already);
		assert_int_equal(packet_job_create_to(st, &s, to, 1,
		    &default_limits, &again), STORE_OK);
		assert_true(again.already);
		assert_string_equal(again.job_id, out.job_id);
		assert_int_equal(again.recipients, 1);
	}
	free(lid);
	store_close(st);
}

static void
test_explicit_recipients(void **state)
{
	struct store *st = fresh();
	struct packet_job j = post_job(NULL, "5.y/forward");
	const char *to[] = { "owner2@lists.example.org", "editor@z.net",
	    "owner1@lists.example.org", "editor@z.net", "x\"y\\z@q.org",
	    "{a,b}@q.org" };
	const char *bad[] = { "ok@a.org", "Upper@a.org" };
	struct packet_limits lim = { 2, 10, NULL };
	struct packet_outcome out;

	(void)state;
	j.kind = "forward";
	j.list_name = NULL;
	j.priority = 1;
	assert_int_equal(packet_job_create_to(st, &j, to, 6, &lim, &out),
	    STORE_OK);
	assert_int_equal(out.recipients, 5);
	assert_int_equal(out.skipped, 1);
	assert_int_equal(out.packets, 3);
	assert_str(packets_of(st, out.job_id),
	    "mail:owner1@lists.example.org owner2@lists.example.org|"
	    "mail:x\"y\\z@q.org {a,b}@q.org|mail:editor@z.net");
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs WHERE id = "
	    "$1::bigint AND list_id IS NULL AND kind = 'forward' AND "
	    "priority = 1", out.job_id), 1);
	/* One address the schema would refuse: nothing written. */
	j.spool_id = "5.y/bad";
	assert_int_equal(packet_job_create_to(st, &j, bad, 2, &lim, &out),
	    STORE_ERROR);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs", NULL), 1);
	/* No recipient: the job is still recorded, with no packet. */
	j.spool_id = "5.y/none";
	assert_int_equal(packet_job_create_to(st, &j, NULL, 0, &lim, &out),
	    STORE_OK);
	assert_int_equal(out.packets, 0);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "job_id = $1::bigint", out.job_id), 0);
	/* A list post without a list is a caller's bug. */
	assert_int_equal(packet_job_create(st, &j, &lim, &out), STORE_ERROR);
	store_close(st);
}

static void
test_purge(void **state)
{
	struct store *st = fresh();
	struct packet_job j = post_job(NULL, "p.1");
	const char *to[] = { "a@a.org", "b@b.org" };
	struct packet_limits lim = { 1, 10, NULL };
	struct packet_outcome done, half, empty;
	long long n;

	(void)state;
	j.kind = "notice";
	assert_int_equal(packet_job_create_to(st, &j, to, 2, &lim, &done),
	    STORE_OK);
	j.spool_id = "p.2";
	assert_int_equal(packet_job_create_to(st, &j, to, 2, &lim, &half),
	    STORE_OK);
	j.spool_id = "p.3";
	assert_int_equal(packet_job_create_to(st, &j, NULL, 0, &lim, &empty),
	    STORE_OK);
	/* Results, as a sender records them. */
	sql(st, "INSERT INTO bulk_recipients (packet_id, email, state, "
	    "smtp_status, done_at, attempts) SELECT id, recipients[1], "
	    "'sent', '250 2.0.0 ok', now(), 1 FROM bulk_packets");
	sql(st, "INSERT INTO bulk_recipients (packet_id, email, state, "
	    "smtp_status, attempts) SELECT id, 'c@c.org', 'deferred', "
	    "'451 4.7.1 later', 1 FROM bulk_packets ORDER BY id LIMIT 1");
	{
		const char *p[] = { done.job_id };

		assert_int_equal(store_cmd(st, "UPDATE bulk_packets SET state = "
		    "'done', finished_at = now() - interval '2 days' WHERE "
		    "job_id = $1::bigint", 1, p, NULL), STORE_OK);
	}
	{
		const char *p[] = { half.job_id };

		assert_int_equal(store_cmd(st, "UPDATE bulk_packets SET state = "
		    "'done', finished_at = now() - interval '2 days' WHERE id = "
		    "(SELECT min(id) FROM bulk_packets WHERE job_id = $1::bigint)",
		    1, p, NULL), STORE_OK);
	}
	sql(st, "UPDATE bulk_jobs SET created_at = now() - interval '3 days'");
	/* Kept a week: nothing goes. */
	assert_int_equal(packet_jobs_purge(st, 7 * 86400, &n), STORE_OK);
	assert_int_equal(n, 0);
	/* Kept a day: the finished job and the empty one go. */
	assert_int_equal(packet_jobs_purge(st, 86400, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_jobs WHERE "
	    "id = $1::bigint", half.job_id), 1);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets", NULL),
	    2);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_recipients",
	    NULL), 2);
	store_close(st);
}

/* The claim the next issue makes is served by the partial index. */
static void
test_claim_uses_index(void **state)
{
	struct store *st = fresh();

	(void)state;
	sql(st, "INSERT INTO bulk_jobs (domain, message, return_path) SELECT "
	    "'example.org', 'x', '' FROM generate_series(1, 50)");
	sql(st, "INSERT INTO bulk_packets (job_id, priority, state, "
	    "finished_at) SELECT j.id, g % 10, 'done', now() FROM bulk_jobs j, "
	    "generate_series(1, 400) g");
	sql(st, "INSERT INTO bulk_packets (job_id, priority) SELECT id, 3 FROM "
	    "bulk_jobs");
	sql(st, "ANALYZE bulk_packets");
	{
		PGresult *res;
		struct buf all = BUF_INIT(BUF_UNLIMITED);

		assert_int_equal(store_query(st, "EXPLAIN SELECT id FROM "
		    "bulk_packets WHERE state IN ('ready', 'claimed') AND "
		    "next_attempt_at <= now() AND (state = 'ready' OR "
		    "lease_expires_at < now()) ORDER BY priority, "
		    "next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED", 0,
		    NULL, &res), STORE_OK);
		for (int i = 0; i < PQntuples(res); i++)
			buf_puts(&all, PQgetvalue(res, i, 0));
		PQclear(res);
		if (strstr(buf_cstr(&all), "bulk_packets_claim_idx") == NULL)
			fail_msg("claim plan without the index: %s",
			    buf_cstr(&all));
		buf_free(&all);
	}
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_table),
		cmocka_unit_test(test_verp_slice),
		cmocka_unit_test(test_domains_load),
		cmocka_unit_test(test_domains_load_keys),
		cmocka_unit_test(test_reception_modes),
		cmocka_unit_test(test_split_in_database),
		cmocka_unit_test(test_verp_marking),
		cmocka_unit_test(test_job_fields),
		cmocka_unit_test(test_one_transaction),
		cmocka_unit_test(test_spool_id_unique),
		cmocka_unit_test(test_explicit_recipients),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_claim_uses_index),
	};

	log_open("packet_test", 0, LOG_TO_STDERR);
	log_set_verbose(0);
	conninfo = getenv("HERALD_TEST_DATABASE");
	if (conninfo != NULL && *conninfo == '\0')
		conninfo = NULL;
	if (conninfo == NULL)
		printf("skip: packet_test: HERALD_TEST_DATABASE is not set "
		    "(see test/lib/pg.sh): database cases skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
