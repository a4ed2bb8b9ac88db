/*
 * catalogue.h - the DNS blocklist catalogue: which zones exist, what they
 * take (IPv4, IPv6 or domain names), what each answer code means, which
 * answers are refusals rather than listings, how to get delisted, and
 * whether a zone is queried by default.
 *
 * The catalogue is CSV text (data/dnsbl-zones.csv, compiled in; or a file
 * given with --zones): '#' comment lines, a header naming the columns (at
 * least `zone` and `kind`, any order, unknown ones ignored), then one zone a
 * line. The parser is pure and bounded: every input gives a catalogue or a
 * reason naming the line. The caller owns what bl_catalogue_parse returns.
 */
#ifndef MXDOC_BL_CATALOGUE_H
#define MXDOC_BL_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BL_KIND_IPV4	0x1
#define BL_KIND_IPV6	0x2
#define BL_KIND_DOMAIN	0x4

#define BL_ACCESS_NO_PUBLIC	0x1	/* refuses queries through public resolvers */
#define BL_ACCESS_REGISTER	0x2	/* the querying resolver must be registered */
#define BL_ACCESS_KEY		0x4	/* needs a subscription or a key */

#define BL_LINE_MAX	8192	/* one line of the catalogue */
#define BL_ZONES_MAX	4096
#define BL_CODES_MAX	64	/* entries in one codes or refused field */
#define BL_MEANING_MAX	200
#define BL_ZONE_NAME_MAX 180	/* leaves room for the name looked up */

enum bl_role { BL_ROLE_BLOCK, BL_ROLE_ALLOW, BL_ROLE_INFO };
enum bl_impact { BL_IMPACT_HIGH, BL_IMPACT_MEDIUM, BL_IMPACT_LOW };

/* One answer code: the first three bytes of the A record, then either a
 * range of the last byte or (bit != 0) bits the last byte must have, as
 * bitmask lists (SURBL, URIBL multi) answer. */
struct bl_code {
	uint8_t	 net[3];
	uint8_t	 lo, hi;
	uint8_t	 bit;
	char	*meaning;	/* owned, never NULL */
};

struct bl_zone {
	char		*name;		/* lower case, no final dot */
	unsigned	 kinds;		/* BL_KIND_* */
	enum bl_role	 role;
	bool		 enabled;	/* queried by default */
	char		*status;	/* "active", "dead"... */
	enum bl_impact	 impact;
	struct bl_code	*codes;
	int		 ncodes;
	struct bl_code	*refused;	/* answers that are refusals */
	int		 nrefused;
	/* The RFC 5782 test entry that must be listed: NULL for the default
	 * (127.0.0.2, "test"), "" when the zone has none. */
	char		*test;
	unsigned	 access;	/* BL_ACCESS_* */
	char		*delist;	/* URL or NULL */
	char		*notes;		/* or NULL */
	int		 line;		/* in the catalogue text */
};

struct bl_catalogue {
	struct bl_zone	*zones;
	int		 nzones;
	int		 nenabled;
};

/* Parses catalogue text (len bytes, need not be NUL-terminated). Returns
 * the catalogue, or NULL with a reason in err ("line 12: kind 'ip4' is not
 * ipv4, ipv6 or domain"). An empty catalogue is an error. */
struct bl_catalogue *bl_catalogue_parse(const char *text, size_t len,
		    char *err, size_t errlen);
/* The catalogue compiled in from data/dnsbl-zones.csv. */
struct bl_catalogue *bl_catalogue_builtin(char *err, size_t errlen);
struct bl_catalogue *bl_catalogue_free(struct bl_catalogue *c);
/* The catalogue of the file path (a --zones file, at most
 * BL_CATALOGUE_FILE_MAX bytes), or the built-in one when path is NULL.
 * NULL with a reason in err. */
#define BL_CATALOGUE_FILE_MAX	(4 << 20)
struct bl_catalogue *bl_catalogue_load(const char *path, char *err,
		    size_t errlen);
/* The zones to check: with only (comma-separated names) exactly those,
 * disabled ones included, else every enabled zone; minus those of skip.
 * only_label and skip_label name the two lists in errors ("--only").
 * Returns the count and an array the caller frees in *out, or -1 with a
 * reason in err (a name not in the catalogue, no zone left). */
int		 bl_catalogue_select(const struct bl_catalogue *c,
		    const char *only, const char *skip, const char *only_label,
		    const char *skip_label, const struct bl_zone ***out,
		    char *err, size_t errlen);
/* The zone named name (case-insensitive, a final dot ignored), or NULL. */
const struct bl_zone *bl_catalogue_find(const struct bl_catalogue *c,
		    const char *name);

/* Parses one codes field ("127.0.0.2=spam;127.0.0.4-7=exploit;
 * 127.0.0.&8=phishing") into *out (owned, *n entries). Returns 0, or -1
 * with a reason. Exposed for tests. */
int		 bl_codes_parse(const char *text, size_t len, struct bl_code **out,
		    int *n, char *err, size_t errlen);
void		 bl_codes_free(struct bl_code *c, int n);
/* Does the IPv4 answer a (host byte order) match code c? */
bool		 bl_code_match(const struct bl_code *c, uint32_t a);

const char	*bl_role_name(enum bl_role r);		/* "block" */
const char	*bl_impact_name(enum bl_impact i);	/* "high" */
/* "ipv4", "ipv4+ipv6"...; out holds 32 bytes. */
const char	*bl_kinds_format(unsigned kinds, char out[32]);

#endif
