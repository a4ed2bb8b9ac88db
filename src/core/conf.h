/*
 * conf.h - configuration files: plain `key = value` lines in `[sections]`
 * (DESIGN.md: every command that needs a configuration file reads this
 * one format).
 *
 *   # a comment (a line whose first non-blank byte is '#' or ';')
 *   key = value              before any section: the section ""
 *   [monitor]
 *   interval = 300
 *   [target 192.0.2.1]       a section with an argument ("target", "192.0.2.1")
 *   checks = blocklist
 *
 * Keys are letters, digits, '_', '-' and '.', compared case-insensitively
 * by conf_get. A value is the rest of the line after '=', trimmed; it may
 * be empty, and it may be written in double quotes to keep blanks at its
 * ends ("\"" and "\\" inside). A '#' after the '=' is part of the value
 * (URLs and shell commands hold them): comments take whole lines. The
 * same key may appear more than once (repeatable settings); conf_get
 * returns the last one.
 *
 * The parser is pure, bounded and total: lines are at most CONF_LINE_MAX
 * bytes, a file holds at most CONF_ENTRIES_MAX keys and CONF_SECTIONS_MAX
 * sections, NUL and other control bytes (but tab) are refused; every input
 * gives a struct conf or a reason naming the line ("line 12: '=' expected
 * after the key"). What a key means is the caller's business: it reports
 * unknown keys itself with the line numbers kept here. The caller owns
 * what conf_parse returns.
 */
#ifndef MXDOC_CORE_CONF_H
#define MXDOC_CORE_CONF_H

#include <stddef.h>

#define CONF_LINE_MAX		4096
#define CONF_ENTRIES_MAX	10000
#define CONF_SECTIONS_MAX	1000
#define CONF_NAME_MAX		64	/* a key or a section name */

struct conf_section {
	char	*name;		/* lower case; "" for the keys before any */
	char	*arg;		/* "[target 192.0.2.1]": "192.0.2.1"; or NULL */
	int	 line;		/* 0 for the implicit first section */
};

struct conf_entry {
	int	 section;	/* index into sections */
	char	*key;		/* lower case */
	char	*value;		/* never NULL */
	int	 line;
};

struct conf {
	struct conf_section	*sections;	/* sections[0] is the implicit "" */
	int			 nsections;
	struct conf_entry	*entries;	/* in file order */
	int			 nentries;
};

/* Parses len bytes of text (need not be NUL-terminated). Returns the
 * configuration, or NULL with a reason in err. */
struct conf	*conf_parse(const char *text, size_t len, char *err,
		    size_t errlen);
struct conf	*conf_free(struct conf *c);
/* The value of the last key in section index sec, or NULL. */
const char	*conf_get(const struct conf *c, int sec, const char *key);
/* The last entry of key in section sec, or NULL (for its line number). */
const struct conf_entry *conf_find(const struct conf *c, int sec,
		    const char *key);
/* The index of the first section named name (no argument matched), or -1. */
int		 conf_section(const struct conf *c, const char *name);

/* Value readers for callers, with a reason on failure (no line: the
 * caller adds it). A boolean is yes/no, true/false, on/off or 1/0. */
int		 conf_bool(const char *v, int *out);
int		 conf_long(const char *v, long min, long max, long *out);
/* Seconds with decimals ("2.5") into milliseconds, in [min_ms, max_ms]. */
int		 conf_seconds(const char *v, long min_ms, long max_ms,
		    long *out_ms);

#endif
