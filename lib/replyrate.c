/*
 * replyrate - the command robot's replies per address, in PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>

#include "replyrate.h"

/*
 * One statement counts and reads, so two processes answering the same
 * address at once cannot both take the last reply of its window. The
 * count stops at max + 2: max + 1 is the reply that first went over (the
 * listmasters are told of that one only), max + 2 any after it.
 */
static const char take_sql[] =
    "INSERT INTO command_replies AS c (address, window_start, count)"
    " VALUES ($1, now(), 1)"
    " ON CONFLICT (address) DO UPDATE SET"
    " window_start = CASE WHEN c.window_start <= now() -"
    " make_interval(secs => $2::int) THEN now() ELSE c.window_start END,"
    " count = CASE WHEN c.window_start <= now() -"
    " make_interval(secs => $2::int) THEN 1"
    " ELSE least(c.count + 1, $3::int + 2) END"
    " RETURNING count";

int
replyrate_take(struct store *st, const char *address, int max, int window,
    enum replyrate_verdict *verdict)
{
	char nmax[16], nwin[16];
	const char *p[3];
	PGresult *r;
	int rc;
	long count;

	*verdict = REPLYRATE_OVER;
	snprintf(nmax, sizeof(nmax), "%d", max);
	snprintf(nwin, sizeof(nwin), "%d", window);
	p[0] = address;
	p[1] = nwin;
	p[2] = nmax;
	if ((rc = store_query(st, take_sql, 3, p, &r)) != STORE_OK)
		return rc;
	if (PQntuples(r) == 1) {
		count = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		if (count <= max)
			*verdict = REPLYRATE_SEND;
		else if (count == (long)max + 1)
			*verdict = REPLYRATE_FIRST_OVER;
	}
	PQclear(r);
	return STORE_OK;
}

int
replyrate_purge(struct store *st, int window, long long *n)
{
	char nwin[16];
	const char *p[1] = { nwin };

	snprintf(nwin, sizeof(nwin), "%d", window);
	return store_cmd(st, "DELETE FROM command_replies WHERE window_start"
	    " <= now() - make_interval(secs => $1::int)", 1, p, n);
}
