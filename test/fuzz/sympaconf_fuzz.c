/*
 * sympaconf_fuzz - Sympa's paragraph files from the fuzzer: never a crash,
 * a hang or a leak; every problem has a line inside the input; a
 * translation with a subject always loads in Herald's own loader, so
 * import-sympa never writes a config.yaml that does not load.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listconf.h"
#include "sympaconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT(1 << 20);
	struct sympaconf_admin *users;
	struct sympaconf_xlat x;
	struct sympaconf *sc;
	struct listconf *lc;
	unsigned long lines = 1;
	size_t n;

	if (size > 256 * 1024)
		return 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	/* As a list config. */
	sc = sympaconf_parse((const char *)data, size, 0, 1000);
	for (size_t i = 0; i < sc->nprob; i++)
		if (sc->prob[i].line < 1 || sc->prob[i].line > lines)
			abort();
	sympaconf_translate(sc, "fuzz", &x);
	if (x.subject != NULL) {
		if (sympaconf_yaml_admins(&x.yaml, "owner", x.owners,
		    x.nowners) != 0 || sympaconf_yaml_admins(&x.yaml, "editor",
		    x.editors, x.neditors) != 0)
			abort();
		/* Admin addresses are checked by the command, not here. */
		if (x.nowners == 0 && x.neditors == 0) {
			lc = listconf_load_text("fuzz", x.yaml.data, x.yaml.len,
			    NULL, &err);
			if (lc == NULL)
				abort();	/* every kept piece loads */
			listconf_free(lc);
		}
	}
	sympaconf_xlat_free(&x);
	sympaconf_free(sc);
	/* As a user dump. */
	sc = sympaconf_parse((const char *)data, size, SYMPACONF_USERS, 1000);
	n = sympaconf_users(sc, &users);
	sympaconf_admins_free(users, n);
	sympaconf_free(sc);
	buf_free(&err);
	return 0;
}
