#include "harness.h"

#include "auth/tagvalue.h"

struct tcase {
	const char	*in;
	int		 ok;
	int		 ntags;
	const char	*tag, *want;	/* one tag to look up, its value */
};

static const struct tcase cases[] = {
	{ "", 0, 0, NULL, NULL },
	{ "v=DMARC1; p=reject", 0, 2, "p", "reject" },
	{ "v=DMARC1; p=none;", 0, 2, "v", "DMARC1" },
	{ "  v = DKIM1 ;  k = rsa ; p = MIGf MA0G\r\n\tCSqG ", 0, 3, "p",
	    "MIGf MA0G\r\n\tCSqG" },
	{ "v=1; a=rsa-sha256; d=example.net; s=brisbane;\r\n c=simple; q=dns/txt;"
	    " i=@eng.example.net;", 0, 7, "i", "@eng.example.net" },
	{ "p=", 0, 1, "p", "" },
	{ "t=y:s", 0, 1, "t", "y:s" },
	{ "rua=mailto:a@example.com,mailto:b@example.org!10m", 0, 1, "rua",
	    "mailto:a@example.com,mailto:b@example.org!10m" },
	{ "a_b1=x", 0, 1, "a_b1", "x" },
	{ ";", -1, 0, NULL, NULL },	/* a tag-spec needs a name */
	/* errors */
	{ "p=reject; p=none", -1, 0, NULL, NULL },
	{ "1p=x", -1, 0, NULL, NULL },
	{ "p reject", -1, 0, NULL, NULL },
	{ "p=rej\001ect", -1, 0, NULL, NULL },
	{ "p=caf\xc3\xa9", -1, 0, NULL, NULL },
	{ "=x", -1, 0, NULL, NULL },
	{ "v=1;;p=x", -1, 0, NULL, NULL },
};

static void
case_sensitive(void)
{
	struct tv_list l;
	const char *err;

	CHECK_INT(tv_parse("V=1; v=2", 8, &l, &err, NULL), 0);
	CHECK_INT(l.n, 2);
	CHECK(tv_get(&l, "x") == NULL);
}

static void
too_many(void)
{
	char buf[TV_MAX_TAGS * 8 + 16];
	struct tv_list l;
	const char *err = NULL;
	size_t o = 0;
	int i;

	for (i = 0; i < TV_MAX_TAGS + 1; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "t%d=x;", i);
	CHECK_INT(tv_parse(buf, o, &l, &err, NULL), -1);
	CHECK_STR(err, "too many tags");
}

static void
nows(void)
{
	char out[16];
	struct sv v = sv_cstr("ab c\r\n\td");

	CHECK_INT(tv_nows(v, out, sizeof(out)), 4);
	CHECK_STR(out, "abcd");
	CHECK_INT(tv_nows(v, out, 4), -1);
}

void
run_tests(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct tv_list l;
		const char *err = NULL;
		int r = tv_parse(c->in, strlen(c->in), &l, &err, NULL);

		if (r != c->ok)
			fprintf(stderr, "case %zu: %s\n", i, err ? err : "");
		CHECK_INT(r, c->ok);
		if (r != 0) {
			CHECK(err != NULL);
			continue;
		}
		CHECK_INT(l.n, c->ntags);
		if (c->tag != NULL) {
			const struct sv *v = tv_get(&l, c->tag);

			CHECK(v != NULL);
			if (v != NULL && (v->n != strlen(c->want) ||
			    memcmp(v->p, c->want, v->n) != 0)) {
				t_fail++;
				fprintf(stderr, "case %zu: %s = '%.*s', want '%s'\n",
				    i, c->tag, (int)v->n, v->p, c->want);
			} else
				t_pass++;
		}
	}
	case_sensitive();
	too_many();
	nows();
}
