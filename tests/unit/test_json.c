/*
 * test_json.c - the JSON writer: layout (pretty and compact), nesting, and
 * escaping of whatever bytes a remote server sends.
 */
#include <math.h>
#include <stdint.h>

#include "harness.h"
#include "report/json.h"

static void
check_escape(const char *in, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b, BUF_UNBOUNDED);
	json_escape(&b, in, n);
	CHECK_STR(buf_cstr(&b), want);
	buf_release(&b);
}

#define ESC(in, want)	check_escape(in, sizeof(in) - 1, want)

static void
test_escape(void)
{
	ESC("", "\"\"");
	ESC("250 ok", "\"250 ok\"");
	ESC("say \"hi\" \\ bye", "\"say \\\"hi\\\" \\\\ bye\"");
	ESC("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
	/* Other controls, DEL and NUL as \u00XX. */
	ESC("\x01\x08\x0c\x1b\x1f\x7f", "\"\\u0001\\u0008\\u000c\\u001b\\u001f\\u007f\"");
	ESC("a\0b", "\"a\\u0000b\"");
	/* Valid UTF-8 passes through: 2, 3 and 4 bytes. */
	ESC("B\xc3\xbc" "cher \xe2\x82\xac \xf0\x9f\x93\xa7",
	    "\"B\xc3\xbc" "cher \xe2\x82\xac \xf0\x9f\x93\xa7\"");
	ESC("\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
	/* Invalid UTF-8 becomes U+FFFD, one per bad byte, and the next valid
	 * character survives. */
	ESC("\xff", "\"\\ufffd\"");
	ESC("\x80x", "\"\\ufffdx\"");
	ESC("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* overlong '/' */
	ESC("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	ESC("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");	/* overlong */
	ESC("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	ESC("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	ESC("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > U+10FFFF */
	ESC("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	ESC("\xe2\x82", "\"\\ufffd\\ufffd\"");		/* cut short at the end */
	ESC("\xe2\x82x", "\"\\ufffd\\ufffdx\"");		/* cut short mid-text */
	ESC("\xc3\xbc\xc3", "\"\xc3\xbc\\ufffd\"");
	/* n bounds the input even without a NUL. */
	check_escape("abcdef", 3, "\"abc\"");
	check_escape("\xc3\xbc", 1, "\"\\ufffd\"");
}

static void
test_pretty(void)
{
	struct buf b;
	struct jw *w;

	buf_init(&b, BUF_UNBOUNDED);
	w = jw_new(&b);
	jw_obj_begin(w, NULL);
	jw_str(w, "verdict", "smtp.throttled");
	jw_int(w, "code", 421);
	jw_int(w, "min", INT64_MIN);
	jw_bool(w, "retry", true);
	jw_bool(w, "final", false);
	jw_null(w, "esc");
	jw_str(w, "none", NULL);
	jw_ms(w, "connect_ms", 12.345);
	jw_ms(w, "bad_ms", -1);
	jw_ms(w, "nan_ms", NAN);
	jw_num(w, "ratio", 0.25);
	jw_num(w, "inf", INFINITY);
	jw_strn(w, "text", "4.7.0 a\nb", 7);
	jw_arr_begin(w, "remedy");
	jw_str(w, NULL, "wait");
	jw_obj_begin(w, NULL);
	jw_str(w, "k\"ey", "v");
	jw_obj_end(w);
	jw_arr_begin(w, NULL);
	jw_arr_end(w);
	jw_obj_begin(w, NULL);
	jw_obj_end(w);
	jw_arr_end(w);
	jw_obj_end(w);
	CHECK_STR(buf_cstr(&b),
	    "{\n"
	    "  \"verdict\": \"smtp.throttled\",\n"
	    "  \"code\": 421,\n"
	    "  \"min\": -9223372036854775808,\n"
	    "  \"retry\": true,\n"
	    "  \"final\": false,\n"
	    "  \"esc\": null,\n"
	    "  \"none\": null,\n"
	    "  \"connect_ms\": 12.3,\n"
	    "  \"bad_ms\": null,\n"
	    "  \"nan_ms\": null,\n"
	    "  \"ratio\": 0.25,\n"
	    "  \"inf\": null,\n"
	    "  \"text\": \"4.7.0 a\",\n"
	    "  \"remedy\": [\n"
	    "    \"wait\",\n"
	    "    {\n"
	    "      \"k\\\"ey\": \"v\"\n"
	    "    },\n"
	    "    [],\n"
	    "    {}\n"
	    "  ]\n"
	    "}\n");
	w = jw_free(w);
	CHECK(w == NULL);
	buf_release(&b);

	/* Empty document. */
	buf_init(&b, BUF_UNBOUNDED);
	w = jw_new(&b);
	jw_obj_begin(w, NULL);
	jw_obj_end(w);
	CHECK_STR(buf_cstr(&b), "{}\n");
	jw_free(w);
	buf_release(&b);
}

static void
test_compact(void)
{
	struct buf b;
	struct jw *w;
	int i;

	buf_init(&b, BUF_UNBOUNDED);
	w = jw_new(&b);
	jw_compact(w);
	jw_obj_begin(w, NULL);
	jw_str(w, "a", "x\ty");
	jw_arr_begin(w, "l");
	jw_int(w, NULL, 1);
	jw_int(w, NULL, 2);
	jw_obj_begin(w, NULL);
	jw_obj_end(w);
	jw_arr_end(w);
	jw_obj_begin(w, "o");
	jw_bool(w, "t", true);
	jw_obj_end(w);
	jw_obj_end(w);
	CHECK_STR(buf_cstr(&b), "{\"a\":\"x\\ty\",\"l\":[1,2,{}],\"o\":{\"t\":true}}");
	jw_free(w);
	buf_release(&b);

	/* Deep nesting up to the writer's limit. */
	buf_init(&b, BUF_UNBOUNDED);
	w = jw_new(&b);
	jw_compact(w);
	for (i = 0; i < 60; i++)
		jw_arr_begin(w, NULL);
	for (i = 0; i < 60; i++)
		jw_arr_end(w);
	CHECK_INT(b.len, 120);
	CHECK(b.data[0] == '[' && b.data[59] == '[' && b.data[60] == ']' &&
	    b.data[119] == ']');
	jw_free(w);
	buf_release(&b);
}

void
run_tests(void)
{
	test_escape();
	test_pretty();
	test_compact();
}
