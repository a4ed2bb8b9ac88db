#include "classify/finding.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "report/json.h"

static char *
vfmt(const char *fmt, va_list ap)
{
	struct buf b;

	buf_init(&b, 8192);
	(void)buf_vprintf(&b, fmt, ap);
	return buf_steal(&b);
}

void
finding_init(struct finding *f, const char *cause_id, enum severity sev,
    const char *fmt, ...)
{
	va_list ap;

	memset(f, 0, sizeof(*f));
	f->cause = cause_must(cause_id);
	f->severity = sev;
	va_start(ap, fmt);
	f->summary = vfmt(fmt, ap);
	va_end(ap);
}

void
finding_evidence(struct finding *f, const char *fmt, ...)
{
	va_list ap;

	if (f->nevidence >= FINDING_MAX_EVIDENCE)
		return;
	va_start(ap, fmt);
	f->evidence[f->nevidence++] = vfmt(fmt, ap);
	va_end(ap);
}

void
finding_release(struct finding *f)
{
	int i;

	free(f->summary);
	for (i = 0; i < f->nevidence; i++)
		free(f->evidence[i]);
	free(f->remedy_first);
	memset(f, 0, sizeof(*f));
}

void
finding_json(struct jw *w, const char *key, const struct finding *f)
{
	size_t i;
	int k;

	jw_obj_begin(w, key);
	jw_str(w, "cause", f->cause->id);
	jw_str(w, "category", cause_category_name(f->cause->category));
	jw_str(w, "severity", severity_name(f->severity));
	jw_bool(w, "retry", f->cause->retry);
	jw_str(w, "title", f->cause->title);
	jw_str(w, "summary", f->summary);
	jw_str(w, "explanation", f->cause->explanation);
	jw_arr_begin(w, "evidence");
	for (k = 0; k < f->nevidence; k++)
		jw_str(w, NULL, f->evidence[k]);
	jw_arr_end(w);
	jw_arr_begin(w, "remedy");
	if (f->remedy_first != NULL)
		jw_str(w, NULL, f->remedy_first);
	for (i = 0; i < f->cause->nremedy; i++)
		jw_str(w, NULL, f->cause->remedy[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}
