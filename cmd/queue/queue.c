/*
 * queue - store a message from the MTA in the msg spool, for distribute.
 *
 * SYNOPSIS
 *	queue [-v] [-c config] [-f sender] [-p priority] address
 *
 * Run by the MTA's pipe for list addresses. See queue(8).
 */
#include "intake.h"

int
main(int argc, char **argv)
{
	return intake_main(argc, argv, SPOOL_MSG);
}
