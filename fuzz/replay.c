/*
 * replay.c - runs every file of a fuzz corpus through the target once, so
 * that inputs the fuzzer found keep being tested without libFuzzer.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if (!f)
		goto out;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	/* Copy into a buffer of exactly the file's size, so that the
	 * sanitizers catch a read one byte past the input. */
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (!buf)
		goto out;
	if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	rc = 0;
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned files = 0, failed = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: cannot stat\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed += run_file(argv[i]) != 0;
			files++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		if (!d) {
			fprintf(stderr, "replay: %s: cannot open\n", argv[i]);
			return 1;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			char path[4096];
			if (de->d_name[0] == '.')
				continue;
			int n = snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if (n < 0 || (size_t)n >= sizeof(path))
				continue;
			failed += run_file(path) != 0;
			files++;
		}
		closedir(d);
	}
	printf("replay: %u inputs, %u unreadable\n", files, failed);
	if (files == 0) {
		fprintf(stderr, "replay: empty corpus\n");
		return 1;
	}
	return failed ? 1 : 0;
}
