/*
 * sign.c - the DKIM signature of the mail distribute writes: posts
 * (deliver.c) and the service mail, replies, notices and forwards
 * (service.c). One place chooses the key and one place signs, so a list's
 * replies carry the same d= as its posts.
 */
#include <string.h>

#include "dkim.h"
#include "distribute.h"
#include "listconf.h"
#include "log.h"

int
dist_signing(struct dist *d, const struct listconf *lc, const char *domain,
    struct signing *sg)
{
	memset(sg, 0, sizeof(*sg));
	if (lc != NULL) {
		sg->key = listconf_str(lc, LC_DKIM_PARAMETERS_PRIVATE_KEY_PATH);
		sg->selector = listconf_str(lc, LC_DKIM_PARAMETERS_SELECTOR);
		sg->domain = listconf_str(lc, LC_DKIM_PARAMETERS_SIGNER_DOMAIN);
		sg->identity = listconf_str(lc,
		    LC_DKIM_PARAMETERS_SIGNER_IDENTITY);
	}
	if (sg->key == NULL || *sg->key == '\0')
		sg->key = config_str(d->cf, CF_DKIM_PRIVATE_KEY_PATH);
	if (sg->selector == NULL || *sg->selector == '\0')
		sg->selector = config_str(d->cf, CF_DKIM_SELECTOR);
	if (sg->domain == NULL || *sg->domain == '\0')
		sg->domain = config_str(d->cf, CF_DKIM_SIGNER_DOMAIN);
	if (*sg->domain == '\0')
		sg->domain = domain;
	/* Sympa skips signing silently when a part is missing; we say so. */
	if (*sg->key == '\0' || *sg->selector == '\0') {
		log_warn("dkim: no key or selector for %s: not signed",
		    lc != NULL ? "the list" : "the site");
		memset(sg, 0, sizeof(*sg));
		return 0;
	}
	return 1;
}

int
dist_sign(const struct signing *sg, struct buf *msg, struct buf *err)
{
	struct dkim_sign_conf sc = { sg->key, sg->domain, sg->selector,
	    sg->identity, 0 };
	struct dkim_signer *s;
	struct buf sig = BUF_INIT(msg->max);
	int rc = -1;

	if ((s = dkim_signer_new(&sc, err)) == NULL)
		goto out;
	if (dkim_signer_sign(s, msg->data, msg->len, &sig, err) == -1)
		goto out;
	/* The signature goes first; it covers what follows. */
	if (buf_append(&sig, msg->data, msg->len) == -1) {
		buf_puts(err, "the signed message is too long");
		goto out;
	}
	buf_reset(msg);
	if (buf_append(msg, sig.data, sig.len) == -1) {
		buf_puts(err, "the signed message is too long");
		goto out;
	}
	rc = 0;
out:
	dkim_signer_free(s);
	buf_free(&sig);
	return rc;
}
