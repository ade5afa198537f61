/*
 * intake - what the MTA's pipe runs: queue(8) and bouncequeue(8).
 *
 * Read one message on stdin and store it, with its envelope, into a spool.
 * Exit 0 only when the entry is fsynced in new/; 75 (EX_TEMPFAIL) for
 * anything a retry can fix, so the MTA keeps the mail; 64 for wrong usage;
 * 65 for a message larger than queue_max_size. No database, no list
 * configuration: it must stay small and fast.
 */
#ifndef HERALD_INTAKE_H
#define HERALD_INTAKE_H

#include "spool.h"

int intake_main(int argc, char **argv, enum spool_id spool);

#endif
