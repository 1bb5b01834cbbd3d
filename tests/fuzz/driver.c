// SPDX-License-Identifier: MIT
/*
 * Runs a fuzz target without libFuzzer (gcc builds):
 *
 *	fuzz-NAME [RUNS] [FILE|DIR ...]
 *
 * First every FILE, and every file in every DIR (a corpus folder), is
 * replayed as it is: inputs that once crashed stay regression tests. Then
 * RUNS pseudo-random inputs from a fixed seed, so a failure reproduces.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An exact-size copy, so ASan sees a read past the input's end. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(buf = malloc(len ? (size_t)len : 1)) ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "fuzz driver: cannot read %s\n", path);
		if (f)
			fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* A file, or each file of a folder in name order; returns how many, or -1. */
static int replay(const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, done = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "fuzz driver: no such file or folder: %s\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) ? -1 : 1;
	n = scandir(path, &names, NULL, by_name);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char file[4096];

		snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
		if (done >= 0 && !stat(file, &st) && S_ISREG(st.st_mode))
			done = replay_file(file) ? -1 : done + 1;
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	long runs = 20000, replayed = 0;
	static uint8_t buf[16384];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int first = 1;

	if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9') {
		runs = strtol(argv[1], NULL, 10);
		first = 2;
	}
	for (int i = first; i < argc; i++) {
		int n = replay(argv[i]);

		if (n < 0)
			return 1;
		replayed += n;
	}
	for (long r = 0; r < runs; r++) {
		size_t size;

		/* Step first: an empty input must not leave x, and every run
		 * after it, where it was. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size = (size_t)(x % sizeof(buf));
		for (size_t i = 0; i < size; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		LLVMFuzzerTestOneInput(buf, size);
	}
	printf("%ld corpus files, %ld random inputs\n", replayed, runs);
	return 0;
}
