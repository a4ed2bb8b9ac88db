#include "auth/tlsrpt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth/tagvalue.h"
#include "core/sv.h"

static void add_note(struct tlsrpt_record *r, enum severity sev,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
add_note(struct tlsrpt_record *r, enum severity sev, const char *fmt, ...)
{
	va_list ap;

	if (r->nnote >= TLSRPT_NOTES_MAX)
		return;
	r->note[r->nnote].sev = sev;
	va_start(ap, fmt);
	vsnprintf(r->note[r->nnote].text, sizeof(r->note[r->nnote].text),
	    fmt, ap);
	va_end(ap);
	r->nnote++;
}

bool
tlsrpt_is_record(const char *txt, size_t n)
{
	return sv_starts_ci(sv_trim(sv_make(txt, n)), "v=TLSRPTv1");
}

int
tlsrpt_parse(const char *txt, size_t n, struct tlsrpt_record *r)
{
	struct tv_list l;
	const struct sv *rua;
	const char *err;
	size_t at;
	int i;

	memset(r, 0, sizeof(*r));
	if (tv_parse(txt, n, &l, &err, &at) < 0) {
		add_note(r, SEV_ERROR, "not a tag=value list: %s at byte %zu",
		    err, at);
		return -1;
	}
	if (l.n == 0 || !(l.tag[0].name.n == 1 && l.tag[0].name.p[0] == 'v') ||
	    !(l.tag[0].value.n == 8 && memcmp(l.tag[0].value.p, "TLSRPTv1",
	    8) == 0))
		add_note(r, SEV_ERROR, "the record must start with v=TLSRPTv1 "
		    "(RFC 8460 3)");
	rua = tv_get(&l, "rua");
	if (rua == NULL || rua->n == 0) {
		add_note(r, SEV_ERROR, "rua= is missing: there is nowhere to "
		    "send reports");
	} else {
		struct sv v = *rua;

		while (v.n > 0) {
			struct sv u = sv_trim(sv_cut(&v, ','));

			if (u.n == 0) {
				add_note(r, SEV_ERROR, "an empty URI in rua=");
				continue;
			}
			if (!(sv_starts_ci(u, "mailto:") && u.n > 7 &&
			    memchr(u.p, '@', u.n) != NULL) &&
			    !(sv_starts_ci(u, "https://") && u.n > 8)) {
				add_note(r, SEV_ERROR, "'%.*s' in rua=: only "
				    "mailto:address and https:// URIs are "
				    "allowed", (int)(u.n < 80 ? u.n : 80), u.p);
				continue;
			}
			if (r->nrua >= TLSRPT_RUA_MAX || u.n >= 256) {
				add_note(r, SEV_WARNING, "'%.*s' in rua= not "
				    "checked (too many or too long)",
				    (int)(u.n < 80 ? u.n : 80), u.p);
				continue;
			}
			memcpy(r->rua[r->nrua], u.p, u.n);
			r->rua[r->nrua][u.n] = '\0';
			r->nrua++;
		}
	}
	r->valid = true;
	for (i = 0; i < r->nnote; i++)
		if (r->note[i].sev == SEV_ERROR)
			r->valid = false;
	return r->valid ? 0 : -1;
}
