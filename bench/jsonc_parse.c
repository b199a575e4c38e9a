/*
 * jsonc_parse.c: the cost of only parsing the recorded Scan pages with
 * json-c, the parser dynomite_fdw uses: for each page, json_tokener_parse_ex
 * of the whole body with a fresh tokener, then a walk of Items that visits
 * every attribute's typed value and takes its text (as a conversion to a
 * Datum would have to), then json_object_put.  The files are read into
 * memory before the clock starts.
 *
 *   jsonc_parse --dir DIR [--stream items]
 *
 * Prints: items=N pages=N bytes=N wall=S cpu_user=S cpu_sys=S maxrss_kb=N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

typedef struct Body
{
	char	   *data;
	size_t		len;
} Body;

static double
tv_s(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static void
die(const char *msg)
{
	fprintf(stderr, "jsonc_parse: %s\n", msg);
	exit(1);
}

int
main(int argc, char **argv)
{
	const char *dir = NULL,
			   *want = "items";
	char		path[4096],
				line[4096];
	FILE	   *m;
	Body	   *bodies = NULL;
	size_t		n = 0,
				cap = 0;
	unsigned long long bytes = 0,
				textbytes = 0;
	long		items = 0;
	struct timespec t0,
				t1;
	struct rusage ru0,
				ru1;

	for (int i = 1; i + 1 < argc; i += 2)
	{
		if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--stream") == 0)
			want = argv[i + 1];
		else
			die("usage: jsonc_parse --dir DIR [--stream NAME]");
	}
	if (!dir)
		die("usage: jsonc_parse --dir DIR [--stream NAME]");
	snprintf(path, sizeof(path), "%s/manifest", dir);
	if (!(m = fopen(path, "r")))
		die("no manifest");
	while (fgets(line, sizeof(line), m))
	{
		char		stream[256],
					file[2048];
		FILE	   *f;
		struct stat st;

		if (sscanf(line, "%255s %2047s", stream, file) != 2 || strcmp(stream, want) != 0)
			continue;
		if (n == cap)
		{
			cap = cap ? cap * 2 : 256;
			bodies = realloc(bodies, cap * sizeof(Body));
		}
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		f = fopen(path, "rb");
		if (!f || fstat(fileno(f), &st) != 0)
			die("cannot read a page");
		bodies[n].len = (size_t) st.st_size;
		bodies[n].data = malloc(bodies[n].len + 1);
		if (fread(bodies[n].data, 1, bodies[n].len, f) != bodies[n].len)
			die("short read");
		fclose(f);
		n++;
	}
	fclose(m);
	if (n == 0)
		die("no pages of that stream");

	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++)
	{
		struct json_tokener *tok = json_tokener_new();
		json_object *root = json_tokener_parse_ex(tok, bodies[i].data, (int) bodies[i].len);
		json_object *arr;
		size_t		count;

		if (root == NULL || json_tokener_get_error(tok) != json_tokener_success)
			die("parse error");
		json_tokener_free(tok);
		bytes += bodies[i].len;
		if (json_object_object_get_ex(root, "Items", &arr))
		{
			count = json_object_array_length(arr);
			for (size_t k = 0; k < count; k++)
			{
				json_object *item = json_object_array_get_idx(arr, k);

				json_object_object_foreach(item, name, typed)
				{
					(void) name;
					json_object_object_foreach(typed, type, value)
					{
						(void) type;
						if (json_object_is_type(value, json_type_string))
							textbytes += (unsigned long long) json_object_get_string_len(value);
						else
							textbytes += strlen(json_object_get_string(value));
					}
				}
			}
			items += (long) count;
		}
		json_object_put(root);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	printf("items=%ld pages=%zu bytes=%llu wall=%.6f cpu_user=%.6f cpu_sys=%.6f maxrss_kb=%ld textbytes=%llu\n",
		   items, n, bytes,
		   (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		   tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime),
		   tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime), ru1.ru_maxrss, textbytes);
	return 0;
}
