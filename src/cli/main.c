#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("mxdoc %s\n", MXDOC_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: mxdoc COMMAND [OPTIONS]\n");
	return 2;
}
