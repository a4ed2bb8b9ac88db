/*
 * main.c - mxdoc's entry point: global options, the command table, exit
 * codes (0 nothing wrong, 1 a problem found, 2 bad usage or input, 3 mxdoc
 * could not do its work).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dns/resolver.h"

#define commands cmd_table
#define NCOMMANDS cmd_count

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mxdoc%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

struct dns *
cli_dns_new(struct event_base *base, const struct cli_globals *g,
    int default_ms, const char *cmd)
{
	struct dns_params dp;
	struct dns *d;
	char *err = NULL;

	memset(&dp, 0, sizeof(dp));
	dp.servers = g->nresolver > 0 ? (const char **)g->resolver : NULL;
	dp.trust_anchor = g->trust_anchor;
	dp.timeout_ms = g->timeout_ms > 0 ? g->timeout_ms : default_ms;
	d = dns_new(base, &dp, &err);
	if (d == NULL)
		fprintf(stderr, "mxdoc %s: DNS: %s\n", cmd, err ? err : "?");
	free(err);
	return d;
}

const char *
cli_sev_label(enum severity s)
{
	switch (s) {
	case SEV_OK:		return "OK";
	case SEV_INFO:		return "INFO";
	case SEV_WARNING:	return "WARNING";
	default:		return "ERROR";
	}
}

enum tcolor
cli_sev_color(enum severity s)
{
	switch (s) {
	case SEV_OK:		return TC_GREEN;
	case SEV_INFO:		return TC_BLUE;
	case SEV_WARNING:	return TC_YELLOW;
	default:		return TC_RED;
	}
}

int
cli_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cli_parse_seconds(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    v <= 0 || v > 3600)
		return -1;
	*ms = (int)(v * 1000.0 + 0.5);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

int
cli_global_option(int opt, const char *arg, struct cli_globals *g)
{
	switch (opt) {
	case OPT_JSON:
		g->json = true;
		return 1;
	case OPT_RESOLVER:
		if (g->nresolver >= CLI_MAX_RESOLVERS) {
			cli_usage_error(NULL, "at most %d --resolver options",
			    CLI_MAX_RESOLVERS);
			return -1;
		}
		g->resolver[g->nresolver++] = arg;
		g->resolver[g->nresolver] = NULL;
		return 1;
	case OPT_TRUST_ANCHOR:
		g->trust_anchor = arg;
		return 1;
	case OPT_TIMEOUT:
		if (cli_parse_seconds(arg, &g->timeout_ms) < 0) {
			cli_usage_error(NULL, "--timeout takes seconds "
			    "(a number above 0, at most 3600): '%s'", arg);
			return -1;
		}
		return 1;
	case OPT_COLOR:
		if (arg == NULL || strcmp(arg, "always") == 0)
			g->color = COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			g->color = COLOR_NEVER;
		else if (strcmp(arg, "auto") == 0)
			g->color = COLOR_AUTO;
		else {
			cli_usage_error(NULL, "--color takes auto, always or "
			    "never: '%s'", arg);
			return -1;
		}
		return 1;
	case '4':
		g->family = 4;
		return 1;
	case '6':
		g->family = 6;
		return 1;
	case 'v':
		g->verbose++;
		return 1;
	case 'q':
		g->quiet = true;
		return 1;
	default:
		return 0;
	}
}

int
cli_next_option(int argc, char **argv, const struct option *opts,
    struct cli_globals *g, const struct cmd_entry *e, int *stop)
{
	int c;

	while ((c = getopt_long(argc, argv, CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
		int r = cli_global_option(c, optarg, g);

		if (r < 0) {
			*stop = EXIT_USAGE;
			return CLI_OPT_STOP;
		}
		if (r > 0)
			continue;
		switch (c) {
		case OPT_HELP:
		case 'h':
			cli_print_help(e);
			*stop = EXIT_OK;
			return CLI_OPT_STOP;
		case OPT_VERSION:
			printf("mxdoc %s\n", MXDOC_VERSION);
			*stop = EXIT_OK;
			return CLI_OPT_STOP;
		case '?':
		case ':':
			/* getopt has said what was wrong. */
			fprintf(stderr, "Try 'mxdoc %s --help'.\n", e->name);
			*stop = EXIT_USAGE;
			return CLI_OPT_STOP;
		default:
			return c;
		}
	}
	return -1;
}

void
cli_print_help(const struct cmd_entry *e)
{
	printf("usage: mxdoc %s %s\n\n%s\n\n%s\n%s", e->name, e->usage,
	    e->summary, e->help, CLI_GLOBAL_HELP);
}

static void
print_main_help(void)
{
	size_t i;

	printf("usage: mxdoc [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
	    "mxdoc finds out why mail is not getting through, names the cause "
	    "and the fix.\n\nCommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		printf("  %-10s %s\n", commands[i]->name, commands[i]->summary);
	printf("\n%s\nExit status: 0 nothing wrong, 1 a problem was found, "
	    "2 bad usage or input,\n3 mxdoc could not do its work.\n"
	    "'mxdoc COMMAND --help' describes a command; man mxdoc for more.\n",
	    CLI_GLOBAL_HELP);
}

/* A blocklist check keeps up to a thousand DNS queries in flight, each on
 * its own UDP port (resolver.c), beside the SMTP sessions: lift the soft
 * descriptor limit (often 1024) to the hard one, up to 65536. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < 65536 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	struct cli_globals g;
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	size_t i;
	int c;

	memset(&g, 0, sizeof(g));
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	/* Global options before the command name; '+' stops at the first
	 * non-option, which is the command. */
	opterr = 1;
	while ((c = getopt_long(argc, argv, "+" CLI_GLOBAL_SHORT, opts,
	    NULL)) != -1) {
		int r;

		if (c == OPT_HELP || c == 'h') {
			print_main_help();
			return EXIT_OK;
		}
		if (c == OPT_VERSION) {
			printf("mxdoc %s\n", MXDOC_VERSION);
			return EXIT_OK;
		}
		r = cli_global_option(c, optarg, &g);
		if (r < 0)
			return EXIT_USAGE;
		if (r == 0) {
			fprintf(stderr, "Try 'mxdoc --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		print_main_help();
		return EXIT_USAGE;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[optind], commands[i]->name) == 0) {
			static char prog[64];
			char **sub = argv + optind;
			int subc = argc - optind;

			/* getopt names the program in its messages. */
			snprintf(prog, sizeof(prog), "mxdoc %s", commands[i]->name);
			sub[0] = prog;
			/* GNU getopt starts afresh, permuting again, at 0. */
			optind = 0;
			return commands[i]->run(subc, sub, &g);
		}
	}
	return cli_usage_error(NULL, "unknown command '%s' (try 'mxdoc --help')",
	    argv[optind]);
}
