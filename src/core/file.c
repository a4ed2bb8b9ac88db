#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

char *
file_read(const char *path, size_t max, size_t *len, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) < 0) {
			snprintf(err, errlen, "larger than %zu bytes", max);
			fclose(f);
			buf_release(&b);
			return NULL;
		}
	if (ferror(f)) {
		snprintf(err, errlen, "read error");
		fclose(f);
		buf_release(&b);
		return NULL;
	}
	fclose(f);
	*len = b.len;
	return b.len ? buf_steal(&b) : xstrdup("");
}
