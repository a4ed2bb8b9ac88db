/*
 * cmd_explain.c - `mxdoc explain REPLY...`: names the cause of an SMTP
 * reply or a log's quoted reply, with the same classifier diagnose and logs
 * use. With no argument, each line of standard input is one reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "classify/finding.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "report/json.h"
#include "report/text.h"

#define EXPLAIN_LINE_MAX 16384

static const char help[] =
"Arguments:\n"
"  REPLY                  a reply as a server sent it or a log quotes it, e.g.\n"
"                         '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily\n"
"                         deferred'; several arguments are several replies;\n"
"                         none: one reply per line of standard input\n";

struct explain {
	const struct cli_globals *g;
	struct jw	*w;
	int		 n, problems;
	const char	*first_problem;	/* cause id of the first problem */
};

static void
explain_one(struct explain *x, const char *text, size_t n)
{
	struct classify_result cr;
	struct finding f;
	enum severity sev;

	classify_text(text, n, &cr);
	sev = strcmp(cr.cause->id, "ok") == 0 ? SEV_OK :
	    strcmp(cr.cause->id, "smtp.greylisted") == 0 ? SEV_WARNING :
	    SEV_ERROR;
	if (sev != SEV_OK && x->problems++ == 0)
		x->first_problem = cr.cause->id;
	finding_init(&f, cr.cause->id, sev, "%s", cr.cause->title);
	finding_evidence(&f, "%.*s", (int)(n > 2000 ? 2000 : n), text);
	if (cr.note != NULL)
		finding_evidence(&f, "%s%s%s", cr.provider ? cr.provider : "",
		    cr.provider ? ": " : "", cr.note);
	if (x->w != NULL) {
		jw_obj_begin(x->w, NULL);
		jw_strn(x->w, "reply", text, n);
		jw_str(x->w, "rule", cr.rule);
		jw_str(x->w, "provider", cr.provider);
		finding_json(x->w, "finding", &f);
		jw_obj_end(x->w);
	} else {
		size_t i;

		if (x->n > 0)
			printf("\n");
		printf("%s%s%s%s  %.*s\n", tc(TC_BOLD), tc(cli_sev_color(sev)),
		    cr.cause->id, tc(TC_RESET), (int)(n > 200 ? 200 : n), text);
		printf("  %s", cr.cause->title);
		if (cr.provider != NULL)
			printf(" (%s, rule %s)", cr.provider, cr.rule);
		printf("\n");
		if (cr.note != NULL) {
			printf("  ");
			text_wrap(stdout, cr.note, 2, 2, 100);
		}
		printf("  %s", tc(TC_DIM));
		text_wrap(stdout, cr.cause->explanation, 2, 2, 100);
		printf("%s", tc(TC_RESET));
		if (!x->g->quiet)
			for (i = 0; i < cr.cause->nremedy; i++) {
				printf("  %zu. ", i + 1);
				text_wrap(stdout, cr.cause->remedy[i], 5, 5, 100);
			}
	}
	finding_release(&f);
	x->n++;
}

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct explain x;
	struct buf out;
	int c, i;

	int stop = EXIT_OK;

	/* explain has no options of its own. */
	while ((c = cli_next_option(argc, argv, opts, g, &cmd_explain_entry,
	    &stop)) != -1)
		if (c == CLI_OPT_STOP)
			return stop;
	text_color_init(g->color);
	memset(&x, 0, sizeof(x));
	x.g = g;
	buf_init(&out, BUF_UNBOUNDED);
	if (g->json) {
		x.w = jw_new(&out);
		jw_obj_begin(x.w, NULL);
		jw_str(x.w, "mxdoc_version", MXDOC_VERSION);
		jw_str(x.w, "command", "explain");
		jw_arr_begin(x.w, "replies");
	}
	if (optind < argc) {
		for (i = optind; i < argc; i++)
			explain_one(&x, argv[i], strlen(argv[i]));
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&line, &cap, stdin)) > 0) {
			while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				n--;
			if (n == 0)
				continue;
			explain_one(&x, line, (size_t)(n > EXPLAIN_LINE_MAX ?
			    EXPLAIN_LINE_MAX : n));
		}
		free(line);
	}
	if (x.n == 0) {
		jw_free(x.w);
		buf_release(&out);
		return cli_usage_error("explain", "no reply given");
	}
	if (x.w != NULL) {
		struct finding v;

		jw_arr_end(x.w);
		/* The verdict names the first problem, as the replies are
		 * usually given in the order they happened. */
		finding_init(&v, x.problems ? x.first_problem : "ok",
		    x.problems ? SEV_ERROR : SEV_OK, "%d repl%s explained, "
		    "%d of them a problem", x.n, x.n == 1 ? "y" : "ies",
		    x.problems);
		finding_json(x.w, "verdict", &v);
		finding_release(&v);
		jw_obj_end(x.w);
		fwrite(out.data, 1, out.len, stdout);
		jw_free(x.w);
	}
	buf_release(&out);
	return x.problems ? EXIT_PROBLEM : EXIT_OK;
}

const struct cmd_entry cmd_explain_entry = {
	.name = "explain",
	.usage = "[OPTIONS] [REPLY...]",
	.summary = "name the cause of an SMTP reply and what to do about it",
	.help = help,
	.run = run,
};
