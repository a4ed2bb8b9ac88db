/*
 * cli.h - the command table and the options every command shares
 * (DESIGN.md "Conventions every command follows").
 *
 * Each subcommand is data: a struct cmd_entry in cli/cmd_<name>.c. Global
 * options may stand before or after the command name; each command's
 * getopt_long table starts with CLI_GLOBAL_OPTIONS and hands those to
 * cli_global_option().
 */
#ifndef MXDOC_CLI_CLI_H
#define MXDOC_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "classify/cause.h"
#include "report/text.h"

#define EXIT_OK		0	/* nothing wrong */
#define EXIT_PROBLEM	1	/* a problem was found */
#define EXIT_USAGE	2	/* bad usage or input */
#define EXIT_INTERNAL	3	/* mxdoc could not do its work */

#define CLI_MAX_RESOLVERS 8

struct cli_globals {
	bool		 json;
	const char	*resolver[CLI_MAX_RESOLVERS + 1];	/* NULL-terminated */
	int		 nresolver;
	const char	*trust_anchor;
	int		 timeout_ms;	/* 0: the command's defaults */
	int		 family;	/* 0, 4 or 6 */
	enum color_mode	 color;
	int		 verbose;
	bool		 quiet;
};

struct cmd_entry {
	const char	*name;
	const char	*usage;		/* the synopsis after "mxdoc NAME" */
	const char	*summary;	/* one line for "mxdoc --help" */
	const char	*help;		/* the options, for "mxdoc NAME --help" */
	int		(*run)(int argc, char **argv, struct cli_globals *g);
};

/* Long-option codes of the global options (short ones use their letter). */
enum {
	OPT_JSON = 1000, OPT_RESOLVER, OPT_TIMEOUT, OPT_COLOR, OPT_HELP,
	OPT_VERSION, OPT_TRUST_ANCHOR, OPT_FIRST_LOCAL = 1100,
};

#define CLI_GLOBAL_OPTIONS						\
	{ "json", no_argument, NULL, OPT_JSON },			\
	{ "resolver", required_argument, NULL, OPT_RESOLVER },		\
	{ "trust-anchor", required_argument, NULL, OPT_TRUST_ANCHOR },	\
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },		\
	{ "color", optional_argument, NULL, OPT_COLOR },		\
	{ "colour", optional_argument, NULL, OPT_COLOR },		\
	{ "help", no_argument, NULL, OPT_HELP },			\
	{ "version", no_argument, NULL, OPT_VERSION },			\
	{ "verbose", no_argument, NULL, 'v' },				\
	{ "quiet", no_argument, NULL, 'q' }

#define CLI_GLOBAL_SHORT "46vqh"

#define CLI_GLOBAL_HELP							\
"Global options:\n"							\
"  --json                 one JSON document on stdout (see doc/)\n"	\
"  --resolver ADDR[@PORT] DNS server to ask (repeatable); default: the\n" \
"                         system's resolv.conf\n"				\
"  --trust-anchor FILE    validate DNSSEC with this root key file\n"	\
"  --timeout SECONDS      bound every network phase (decimals allowed)\n" \
"  -4, -6                 IPv4 or IPv6 only\n"				\
"  --color[=auto|always|never]  colour (auto: only on a terminal, never\n" \
"                         when NO_COLOR is set)\n"			\
"  -v, --verbose          more detail (the SMTP transcript)\n"		\
"  -q, --quiet            the verdict only\n"				\
"  -h, --help             this help\n"

/* getopt_long over a command's options (opts starts with
 * CLI_GLOBAL_OPTIONS): handles the global options, --help, --version and
 * unknown options itself and returns the next option of the command's
 * own, or -1 at the end. CLI_OPT_STOP means the command must return *stop
 * now (its help was printed, or an option was bad: the reason is on
 * stderr). */
#define CLI_OPT_STOP (-2)
int	cli_next_option(int argc, char **argv, const struct option *opts,
	    struct cli_globals *g, const struct cmd_entry *e, int *stop);
/* Handles a global option. Returns 1 when it was one, 0 when not, and -1
 * (after printing the reason) when its value is bad. OPT_HELP and
 * OPT_VERSION are left to the caller (they return 0). */
int	cli_global_option(int opt, const char *arg, struct cli_globals *g);
/* Prints "mxdoc NAME: message" to stderr; returns EXIT_USAGE. */
int	cli_usage_error(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	cli_print_help(const struct cmd_entry *e);
/* Parses a number of seconds with decimals into milliseconds (>0). */
int	cli_parse_seconds(const char *s, int *ms);
int	cli_parse_int(const char *s, long min, long max, long *out);

struct event_base;
struct dns;

/* The resolver every command builds from the global options on base:
 * --resolver (else resolv.conf), --trust-anchor, and --timeout, else
 * default_ms, per query. NULL after printing "mxdoc CMD: DNS: reason". */
struct dns	*cli_dns_new(struct event_base *base, const struct cli_globals *g,
		    int default_ms, const char *cmd);

/* How the human reports name and colour a severity: "OK", "WARNING"... */
const char	*cli_sev_label(enum severity s);
enum tcolor	 cli_sev_color(enum severity s);

/* The command table, generated from the cmd_*.c files (cli/meson.build). */
extern const struct cmd_entry *const cmd_table[];
extern const size_t cmd_count;
extern const struct cmd_entry cmd_diagnose_entry;
extern const struct cmd_entry cmd_explain_entry;

#endif
