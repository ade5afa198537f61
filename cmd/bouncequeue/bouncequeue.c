/*
 * bouncequeue - store a bounce from the MTA in the bounce spool, for bounced.
 *
 * SYNOPSIS
 *	bouncequeue [-v] [-c config] [-f sender] [-p priority] address
 *
 * Run by the MTA's pipe for list-owner and the VERP return paths. See
 * bouncequeue(8).
 */
#include "intake.h"

int
main(int argc, char **argv)
{
	return intake_main(argc, argv, SPOOL_BOUNCE);
}
