/*
 * text.h - the human report: colour that is only used on a terminal (and
 * never when NO_COLOR is set), aligned tables whose widths ignore colour
 * escapes and count UTF-8 characters, and wrapped paragraphs.
 */
#ifndef MXDOC_REPORT_TEXT_H
#define MXDOC_REPORT_TEXT_H

#include <stdbool.h>
#include <stdio.h>

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

enum tcolor {
	TC_RESET, TC_BOLD, TC_DIM, TC_RED, TC_GREEN, TC_YELLOW, TC_BLUE,
	TC_CYAN,
};

/* Decides once whether stdout gets colour. */
void		 text_color_init(enum color_mode mode);
bool		 text_color_on(void);
/* The escape sequence for c, or "" when colour is off. */
const char	*tc(enum tcolor c);
/* Visible width of s: escapes skipped, UTF-8 characters counted once. */
size_t		 text_width(const char *s);

struct table;

struct table	*table_new(int ncols);
struct table	*table_free(struct table *t);
/* Adds a row; cells are copied. A NULL cell prints as "". */
void		 table_row(struct table *t, const char *const *cells);
/* Prints with two spaces between columns, each line after indent. */
void		 table_print(const struct table *t, FILE *f, int indent);

/* Prints text wrapped at width columns; continuation lines get indent
 * spaces, the first line is assumed to be at column first_col. */
void		 text_wrap(FILE *f, const char *text, int first_col, int indent,
		    int width);

#endif
