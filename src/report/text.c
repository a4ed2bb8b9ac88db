#include "report/text.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"

static bool color;

static const char *const escapes[] = {
	"\033[0m", "\033[1m", "\033[2m", "\033[31m", "\033[32m", "\033[33m",
	"\033[34m", "\033[36m",
};

void
text_color_init(enum color_mode mode)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	switch (mode) {
	case COLOR_ALWAYS:
		color = true;
		break;
	case COLOR_NEVER:
		color = false;
		break;
	default:
		/* https://no-color.org: any non-empty NO_COLOR disables. */
		color = isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0') &&
		    (term == NULL || strcmp(term, "dumb") != 0);
		break;
	}
}

bool
text_color_on(void)
{
	return color;
}

const char *
tc(enum tcolor c)
{
	return color ? escapes[c] : "";
}

size_t
text_width(const char *s)
{
	size_t w = 0;

	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;

		if (c == 0x1b && s[1] == '[') {
			s += 2;
			while (*s != '\0' && *s != 'm')
				s++;
			if (*s == 'm')
				s++;
			continue;
		}
		if ((c & 0xc0) != 0x80)
			w++;
		s++;
	}
	return w;
}

struct table {
	int	  ncols;
	int	  nrows;
	char	**cells;	/* nrows * ncols */
};

struct table *
table_new(int ncols)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	return t;
}

struct table *
table_free(struct table *t)
{
	int i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
	return NULL;
}

void
table_row(struct table *t, const char *const *cells)
{
	int i;

	t->cells = xrealloc(t->cells, sizeof(char *) *
	    (size_t)((t->nrows + 1) * t->ncols));
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] ?
		    cells[i] : "");
	t->nrows++;
}

void
table_print(const struct table *t, FILE *f, int indent)
{
	size_t *w = xcalloc((size_t)t->ncols, sizeof(*w));
	int r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t l = text_width(t->cells[r * t->ncols + c]);

			if (l > w[c])
				w[c] = l;
		}
	for (r = 0; r < t->nrows; r++) {
		fprintf(f, "%*s", indent, "");
		for (c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			fputs(cell, f);
			if (c + 1 < t->ncols)
				fprintf(f, "%*s", (int)(w[c] - text_width(cell) + 2),
				    "");
		}
		fputc('\n', f);
	}
	free(w);
}

void
text_wrap(FILE *f, const char *text, int first_col, int indent, int width)
{
	int col = first_col;
	const char *p = text;

	while (*p != '\0') {
		const char *sp = p;
		size_t wl;

		while (*sp != '\0' && *sp != ' ' && *sp != '\n')
			sp++;
		wl = (size_t)(sp - p);
		if (col > indent && col + 1 + (int)wl > width) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > first_col || (col > indent && p != text)) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, wl, f);
		col += (int)wl;
		p = sp;
		if (*p == '\n') {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			p++;
		}
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}
