/*
 * file.h - reading a whole small file (a zone catalogue, a config, a
 * certificate) into memory, bounded.
 */
#ifndef MXDOC_CORE_FILE_H
#define MXDOC_CORE_FILE_H

#include <stddef.h>

/* Reads path whole, at most max bytes. Returns the NUL-terminated contents
 * (the caller frees them) with their length in *len, or NULL with a reason
 * in err ("No such file or directory", "larger than 65536 bytes"). */
char	*file_read(const char *path, size_t max, size_t *len, char *err,
	    size_t errlen);

#endif
