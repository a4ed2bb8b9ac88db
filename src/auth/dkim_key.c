#include "auth/dkim_key.h"

#include <string.h>

#include "auth/dkim_sig.h"
#include "auth/tagvalue.h"

static bool
sv_eq(struct sv a, const char *b)
{
	size_t n = strlen(b);

	return a.n == n && memcmp(a.p, b, n) == 0;
}

int
dkim_key_parse(const char *txt, size_t n, struct dkim_key *out,
    const char **err)
{
	struct tv_list l;
	const struct sv *v;
	const char *why = NULL;
	long len;

	memset(out, 0, sizeof(*out));
	out->allow_sha1 = out->allow_sha256 = true;
	if (tv_parse(txt, n, &l, &why, NULL) < 0)
		goto bad;
	/* 3.6.1: v= is optional, but when present it is "DKIM1". */
	if ((v = tv_get(&l, "v")) != NULL && !sv_eq(*v, "DKIM1")) {
		why = "unsupported key record version (v= is not DKIM1)";
		goto bad;
	}
	if ((v = tv_get(&l, "h")) != NULL) {
		struct sv hl = *v;

		out->allow_sha1 = out->allow_sha256 = false;
		while (hl.n > 0) {
			struct sv m = sv_trim(sv_cut(&hl, ':'));

			if (sv_eq(m, "sha1"))
				out->allow_sha1 = true;
			else if (sv_eq(m, "sha256"))
				out->allow_sha256 = true;
		}
	}
	if ((v = tv_get(&l, "k")) == NULL || sv_eq(*v, "rsa"))
		out->type = DKIM_KEY_RSA;
	else if (sv_eq(*v, "ed25519"))
		out->type = DKIM_KEY_ED25519;
	else {
		why = "unsupported key type (k=)";
		goto bad;
	}
	if ((v = tv_get(&l, "s")) != NULL) {
		struct sv sl = *v;
		bool email = false;

		while (sl.n > 0) {
			struct sv m = sv_trim(sv_cut(&sl, ':'));

			if (sv_eq(m, "*") || sv_eq(m, "email"))
				email = true;
		}
		if (!email) {
			why = "the key is not for email (s= lacks email and *)";
			goto bad;
		}
	}
	if ((v = tv_get(&l, "t")) != NULL) {
		struct sv fl = *v;

		while (fl.n > 0) {
			struct sv m = sv_trim(sv_cut(&fl, ':'));

			if (sv_eq(m, "y"))
				out->testing = true;
			else if (sv_eq(m, "s"))
				out->strict = true;
		}
	}
	if ((v = tv_get(&l, "p")) == NULL) {
		why = "no p= tag";
		goto bad;
	}
	len = dkim_b64_decode(v->p, v->n, out->p, sizeof(out->p));
	if (len < 0) {
		why = "p= is not base64 or too long";
		goto bad;
	}
	out->plen = (size_t)len;
	out->revoked = len == 0;
	if (out->type == DKIM_KEY_ED25519 && len != 0 && len != 32) {
		why = "an Ed25519 key (p=) is not 32 bytes";
		goto bad;
	}
	return 0;
bad:
	*err = why;
	return -1;
}
