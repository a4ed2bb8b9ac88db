#include "auth/mtasts.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth/tagvalue.h"
#include "core/sv.h"

static void add_note(struct mtasts_note *list, int *n, enum severity sev,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add_note(struct mtasts_note *list, int *n, enum severity sev,
    const char *fmt, ...)
{
	va_list ap;

	if (*n >= MTASTS_NOTES_MAX)
		return;
	list[*n].sev = sev;
	va_start(ap, fmt);
	vsnprintf(list[*n].text, sizeof(list[*n].text), fmt, ap);
	va_end(ap);
	(*n)++;
}

static const char *
show(struct sv v, char out[64])
{
	size_t i, n = v.n < 60 ? v.n : 60;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)v.p[i] < 0x20 ||
		    (unsigned char)v.p[i] > 0x7e ? '?' : v.p[i];
	out[n] = '\0';
	return out;
}

const char *
mtasts_mode_name(enum mtasts_mode m)
{
	switch (m) {
	case MTASTS_MODE_ENFORCE:	return "enforce";
	case MTASTS_MODE_TESTING:	return "testing";
	case MTASTS_MODE_NONE:		return "none";
	case MTASTS_MODE_INVALID:	return "invalid";
	default:			return "unset";
	}
}

bool
mtasts_is_txt(const char *txt, size_t n)
{
	struct sv v = sv_trim(sv_make(txt, n));

	return sv_starts_ci(v, "v=STSv1");
}

int
mtasts_txt_parse(const char *txt, size_t n, struct mtasts_txt *out)
{
	struct tv_list l;
	const char *err;
	const struct sv *id;
	char tmp[64];
	size_t at, i;

	memset(out, 0, sizeof(*out));
	if (tv_parse(txt, n, &l, &err, &at) < 0) {
		add_note(out->note, &out->nnote, SEV_ERROR, "not a tag=value "
		    "list: %s at byte %zu", err, at);
		return -1;
	}
	if (l.n == 0 || !(l.tag[0].name.n == 1 && l.tag[0].name.p[0] == 'v') ||
	    !(l.tag[0].value.n == 5 && memcmp(l.tag[0].value.p, "STSv1",
	    5) == 0))
		add_note(out->note, &out->nnote, SEV_ERROR, "the record must "
		    "start with v=STSv1 (RFC 8461 3.1)");
	id = tv_get(&l, "id");
	if (id == NULL) {
		add_note(out->note, &out->nnote, SEV_ERROR, "id= is missing: "
		    "senders cannot tell when the policy changes");
	} else {
		bool ok = id->n >= 1 && id->n <= 32;

		for (i = 0; ok && i < id->n; i++)
			ok = isalnum((unsigned char)id->p[i]) != 0;
		if (!ok)
			add_note(out->note, &out->nnote, SEV_ERROR, "id=%s: "
			    "1 to 32 letters and digits are required",
			    show(*id, tmp));
		else
			snprintf(out->id, sizeof(out->id), "%.*s",
			    (int)id->n, id->p);
	}
	out->valid = true;
	for (i = 0; i < (size_t)out->nnote; i++)
		if (out->note[i].sev == SEV_ERROR)
			out->valid = false;
	return out->valid ? 0 : -1;
}

/* A host name of an mx: line (4.1): optional "*." then LDH labels. */
static bool
mx_pattern_ok(struct sv v)
{
	size_t i, label = 0;

	if (v.n >= 2 && v.p[0] == '*' && v.p[1] == '.') {
		v.p += 2;
		v.n -= 2;
	}
	if (v.n == 0 || v.n > 253)
		return false;
	for (i = 0; i < v.n; i++) {
		char c = v.p[i];

		if (c == '.') {
			if (label == 0)
				return i + 1 == v.n && i > 0;
			label = 0;
		} else if (isalnum((unsigned char)c) || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

int
mtasts_policy_parse(const char *body, size_t n, struct mtasts_policy *out)
{
	struct sv rest = sv_make(body, n);
	bool seen_version = false, seen_mode = false, seen_age = false;
	char tmp[64];
	int lineno = 0, i;

	memset(out, 0, sizeof(*out));
	out->max_age = -1;
	if (n > MTASTS_POLICY_MAX) {
		add_note(out->note, &out->nnote, SEV_ERROR, "the policy is "
		    "%zu bytes; at most %d are read", n, MTASTS_POLICY_MAX);
		return -1;
	}
	if (memchr(body, '\0', n) != NULL)
		add_note(out->note, &out->nnote, SEV_ERROR, "the policy holds "
		    "a NUL byte");
	while (rest.n > 0 && lineno < 10000) {
		struct sv line = sv_cut(&rest, '\n'), key, val;

		lineno++;
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		if (sv_trim(line).n == 0)
			continue;
		if (memchr(line.p, ':', line.n) == NULL) {
			add_note(out->note, &out->nnote, SEV_ERROR, "line %d "
			    "is not 'key: value': %s", lineno, show(line, tmp));
			continue;
		}
		key = sv_cut(&line, ':');
		val = sv_trim(line);
		if (key.n == 7 && memcmp(key.p, "version", 7) == 0) {
			if (seen_version) {
				add_note(out->note, &out->nnote, SEV_WARNING,
				    "line %d: a second version:", lineno);
				continue;
			}
			seen_version = true;
			if (!(val.n == 5 && memcmp(val.p, "STSv1", 5) == 0))
				add_note(out->note, &out->nnote, SEV_ERROR,
				    "version: %s: must be STSv1", show(val, tmp));
		} else if (key.n == 4 && memcmp(key.p, "mode", 4) == 0) {
			if (seen_mode) {
				add_note(out->note, &out->nnote, SEV_WARNING,
				    "line %d: a second mode:", lineno);
				continue;
			}
			seen_mode = true;
			if (val.n == 7 && memcmp(val.p, "enforce", 7) == 0)
				out->mode = MTASTS_MODE_ENFORCE;
			else if (val.n == 7 && memcmp(val.p, "testing", 7) == 0)
				out->mode = MTASTS_MODE_TESTING;
			else if (val.n == 4 && memcmp(val.p, "none", 4) == 0)
				out->mode = MTASTS_MODE_NONE;
			else {
				out->mode = MTASTS_MODE_INVALID;
				add_note(out->note, &out->nnote, SEV_ERROR,
				    "mode: %s: must be enforce, testing or "
				    "none", show(val, tmp));
			}
		} else if (key.n == 7 && memcmp(key.p, "max_age", 7) == 0) {
			long x = 0;
			size_t k;
			bool ok = val.n >= 1 && val.n <= 10;

			if (seen_age) {
				add_note(out->note, &out->nnote, SEV_WARNING,
				    "line %d: a second max_age:", lineno);
				continue;
			}
			seen_age = true;
			for (k = 0; ok && k < val.n; k++) {
				ok = isdigit((unsigned char)val.p[k]) != 0;
				x = x * 10 + (val.p[k] - '0');
			}
			if (!ok)
				add_note(out->note, &out->nnote, SEV_ERROR,
				    "max_age: %s: a number of seconds is "
				    "required", show(val, tmp));
			else if (x > MTASTS_MAX_AGE)
				add_note(out->note, &out->nnote, SEV_ERROR,
				    "max_age: %ld is over the maximum of %ld "
				    "(RFC 8461 3.2)", x, MTASTS_MAX_AGE);
			else {
				out->max_age = x;
				if (x < 86400)
					add_note(out->note, &out->nnote,
					    SEV_INFO, "max_age: %ld is under a "
					    "day; RFC 8461 suggests weeks", x);
			}
		} else if (key.n == 2 && memcmp(key.p, "mx", 2) == 0) {
			if (!mx_pattern_ok(val)) {
				add_note(out->note, &out->nnote, SEV_ERROR,
				    "mx: %s: not a host name or *.domain "
				    "pattern", show(val, tmp));
			} else if (out->nmx >= MTASTS_MX_MAX) {
				add_note(out->note, &out->nnote, SEV_WARNING,
				    "more than %d mx: lines; the rest are "
				    "ignored", MTASTS_MX_MAX);
			} else {
				size_t k;

				for (k = 0; k < val.n; k++)
					out->mx[out->nmx][k] = (char)tolower(
					    (unsigned char)val.p[k]);
				if (k > 0 && out->mx[out->nmx][k - 1] == '.')
					k--;
				out->mx[out->nmx][k] = '\0';
				out->nmx++;
			}
		}
		/* Other keys are extensions: ignored (3.2). */
	}
	if (!seen_version)
		add_note(out->note, &out->nnote, SEV_ERROR, "no version: line "
		    "(version: STSv1)");
	if (!seen_mode)
		add_note(out->note, &out->nnote, SEV_ERROR, "no mode: line");
	if (!seen_age)
		add_note(out->note, &out->nnote, SEV_ERROR, "no max_age: line");
	if (out->nmx == 0 && out->mode != MTASTS_MODE_NONE)
		add_note(out->note, &out->nnote, SEV_ERROR, "no mx: line: "
		    "with mode %s no MX host is allowed",
		    mtasts_mode_name(out->mode));
	out->valid = true;
	for (i = 0; i < out->nnote; i++)
		if (out->note[i].sev == SEV_ERROR)
			out->valid = false;
	return out->valid ? 0 : -1;
}

bool
mtasts_mx_match(const char *pattern, const char *host)
{
	size_t pn = strlen(pattern), hn = strlen(host);
	const char *dot;

	if (pn > 0 && pattern[pn - 1] == '.')
		pn--;
	if (hn > 0 && host[hn - 1] == '.')
		hn--;
	if (pn == 0 || hn == 0)
		return false;
	if (pn >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* One label, not empty, then the rest exactly. */
		dot = memchr(host, '.', hn);
		if (dot == NULL || dot == host)
			return false;
		return (size_t)(host + hn - dot) == pn - 1 &&
		    strncasecmp(dot, pattern + 1, pn - 1) == 0;
	}
	return pn == hn && strncasecmp(pattern, host, pn) == 0;
}
