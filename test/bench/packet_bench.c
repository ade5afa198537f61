/*
 * packet_bench - the time to packetise a post to a 100,000-member list.
 *
 *	bench packetise_100000: N ms
 *	    (with HERALD_TEST_DATABASE) packet_job_create() on the list
 *	    "pktbench" of 100,000 members over 500 domains, a few large
 *	    (one in four at gmail.com), 2% of them in digest, 1% nomail, 1%
 *	    bouncing: the job insert, the members query, sorting, splitting
 *	    (nrcpt 25, avg 10, gmail.com 20) and the packets insert, all in
 *	    one transaction, committed. The median of five runs, each a new
 *	    spool entry. Goal: <= 2,000 ms.
 *
 * Only the list pktbench and its jobs are touched: run.sh's bench
 * database is shared with the other benches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "packet.h"
#include "store.h"

#define MEMBERS	100000
#define RUNS	5

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
setup_db(struct store *st)
{
	static const char *const q[] = {
		"INSERT INTO lists (name, domain) VALUES ('pktbench',"
		    " 'bench.example.org') ON CONFLICT DO NOTHING",
		"DELETE FROM bulk_jobs WHERE list_id = (SELECT id FROM lists"
		    " WHERE name = 'pktbench' AND domain = 'bench.example.org')",
		"DELETE FROM subscribers WHERE list_id = (SELECT id FROM lists"
		    " WHERE name = 'pktbench' AND domain = 'bench.example.org')",
		/* Members in bulk, as an import would leave them. */
		"INSERT INTO subscribers (list_id, email, reception) SELECT l.id,"
		    " 'user' || i || '@' || CASE WHEN i % 4 = 0 THEN 'gmail.com'"
		    " WHEN i % 7 = 0 THEN 'mail.example' || (i % 13) || '.org'"
		    " ELSE 'example' || (i % 500) || '.net' END,"
		    " CASE WHEN i % 50 = 1 THEN 'digest' WHEN i % 100 = 3"
		    " THEN 'nomail' ELSE 'mail' END"
		    " FROM lists l, generate_series(0, 99999) i"
		    " WHERE l.name = 'pktbench' AND l.domain = 'bench.example.org'",
		"UPDATE subscribers SET bounce_count = 1, bounce_first_at = now(),"
		    " bounce_last_at = now() WHERE list_id = (SELECT id FROM lists"
		    " WHERE name = 'pktbench' AND domain = 'bench.example.org')"
		    " AND email LIKE 'user%77@%'",
		"ANALYZE lists",
		"ANALYZE subscribers",
	};

	if (store_migrate(st, NULL, NULL) != STORE_OK)
		return -1;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (store_cmd(st, q[i], 0, NULL, NULL) != STORE_OK)
			return -1;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char post[] =
    "From: Alice <alice@example.org>\r\nTo: pktbench@bench.example.org\r\n"
    "Subject: benchmark\r\nMessage-ID: <bench@example.org>\r\n\r\n"
    "A post of a few lines, the size does not matter here.\r\n";

int
main(void)
{
	const char *db = getenv("HERALD_TEST_DATABASE");
	struct store *st = NULL;
	struct packet_domains *d;
	struct packet_limits lim = { PACKET_NRCPT_DEFAULT, PACKET_AVG_DEFAULT,
	    NULL };
	struct packet_job job = { 0 };
	struct packet_outcome out = { 0 };
	double ms[RUNS];
	char *lid = NULL, spool_id[64];
	int rc = 0;

	log_open("packet_bench", 0, LOG_TO_STDERR);
	log_set_verbose(0);
	if (db == NULL || *db == '\0') {
		printf("bench packetise_100000: skipped (HERALD_TEST_DATABASE "
		    "not set)\n");
		return 0;
	}
	if (store_open(db, "packet_bench", &st) != STORE_OK || setup_db(st) ==
	    -1 || store_scalar(st, "SELECT id FROM lists WHERE name = "
	    "'pktbench' AND domain = 'bench.example.org'", 0, NULL, &lid) !=
	    STORE_OK || lid == NULL) {
		printf("bench packetise_100000: FAILED (%s)\n",
		    st ? store_error(st) : "connect");
		store_close(st);
		return 1;
	}
	d = packet_domains_new();
	packet_domains_set(d, "gmail.com", 20);
	lim.by_domain = d;
	job.kind = "post";
	job.list_id = lid;
	job.list_name = "pktbench";
	job.domain = "bench.example.org";
	job.message = post;
	job.message_len = sizeof(post) - 1;
	job.message_id = "bench@example.org";
	job.sender = "alice@example.org";
	job.return_path = "pktbench-owner@bench.example.org";
	job.priority = 5;
	job.verp_rate = 5;
	for (int i = 0; i < RUNS && rc == 0; i++) {
		double t0, t1;

		snprintf(spool_id, sizeof(spool_id), "5.bench.%ld.%d",
		    (long)time(NULL), i);
		job.spool_id = spool_id;
		job.verp_seq = (unsigned long)i;
		t0 = now();
		rc = packet_job_create(st, &job, &lim, &out);
		t1 = now();
		ms[i] = (t1 - t0) * 1000;
	}
	if (rc != STORE_OK || out.recipients + out.digest + out.skipped !=
	    MEMBERS) {
		printf("bench packetise_100000: FAILED (%s; %lld recipients)\n",
		    rc != STORE_OK ? store_error(st) : "wrong count",
		    out.recipients);
		rc = 1;
	} else {
		qsort(ms, RUNS, sizeof(ms[0]), cmp_double);
		printf("bench packetise_100000: %.0f ms (median of %d; %lld "
		    "recipients in %lld packets, %lld VERP, %lld digest; "
		    "%.0f recipients/s; goal <= 2000 ms)\n", ms[RUNS / 2], RUNS,
		    out.recipients, out.packets, out.verp, out.digest,
		    (double)out.recipients / (ms[RUNS / 2] / 1000));
	}
	/* Leave the shared database as it was found, less the members. */
	{
		const char *p[] = { lid };

		store_cmd(st, "DELETE FROM bulk_jobs WHERE list_id = $1", 1, p,
		    NULL);
	}
	packet_domains_free(d);
	free(lid);
	store_close(st);
	return rc;
}
