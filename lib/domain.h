/*
 * domain - virtual mail domains.
 *
 * A domain is a directory <lists_directory>/<domain>/ holding its lists
 * (one directory each) and an optional domain.yaml: site parameters
 * (herald.yaml's, see herald.yaml(5)) that override the site's for that
 * domain and its lists. The site parameter "domain" names the default
 * domain, the one of lists created without a domain. The same list name
 * may exist in two domains.
 */
#ifndef HERALD_DOMAIN_H
#define HERALD_DOMAIN_H

#include "buf.h"
#include "config.h"

/* A domain's own parameter file inside its directory. */
#define DOMAIN_FILE	"domain.yaml"

/*
 * The domains under the site's lists_directory, sorted, NULL-terminated
 * (free with domain_list_free). A missing lists_directory is no domain.
 * Directory entries that are no valid domain name are skipped. NULL with
 * err if the directory cannot be read.
 */
char	**domain_list(const struct config *site, struct buf *err);
void	domain_list_free(char **domains);

/* 1 if <lists_directory>/<domain>/ is a directory, else 0. */
int	domain_exists(const struct config *site, const char *domain);
/* "<lists_directory>/<domain>" into out (reset first). */
int	domain_dir(const struct config *site, const char *domain, struct buf *out);

/*
 * A domain's effective configuration: the site's with "domain" set to the
 * domain (so listmaster and the like follow it) and domain.yaml, when
 * there is one, over it. domain.yaml may not set "domain" to another
 * domain. NULL with err on error (file:line: key: what).
 */
struct config *domain_config(const struct config *site, const char *domain,
	    struct buf *err);

/*
 * Create <lists_directory>/<domain>/ (after listname_check_domain) with
 * mode 0750, owned by the site's mail_owner when running as root, and an
 * empty domain.yaml holding a comment. -1 with err; errno EEXIST if it
 * already exists.
 */
int	domain_create(const struct config *site, const char *domain, struct buf *err);

#endif
