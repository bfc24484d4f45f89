/* SPDX-License-Identifier: Apache-2.0 */
/* A fake kernel for the producer tests: it builds a device tree under ROOT
 * (configfs-tsm report directory and /dev/tdx_guest or /dev/sev-guest, or
 * Gramine's /dev/attestation) and answers like the kernel does, until
 * SIGTERM or SIGINT.
 *
 * configfs makes an entry's attributes when the entry is made and produces
 * outblob when it is read, from the inblob written before. A plain
 * directory cannot do that, so this program watches the report directory
 * (inotify): for each new entry it writes provider, privlevel_floor and
 * empty inblob and privlevel files, and makes generation, outblob and
 * auxblob named pipes (FIFOs). When the producer opens a pipe to read it,
 * this program answers: generation = the number of writes to inblob and
 * privlevel seen so far (inotify IN_CLOSE_WRITE); outblob = the template
 * file with the 64 bytes of inblob copied in at the template's report data
 * offset; auxblob = the --aux file. Each pipe is answered as often as the
 * producer reads it (generation twice, the blobs once): a reader still
 * holding a pipe it has drained must not be answered again. Gramine's quote
 * is answered the same way from user_report_data, on a fresh pipe each
 * time.
 *
 * usage: helper_fake_tsm ROOT tdx|snp|sgx TEMPLATE [--aux FILE]
 *                        [--provider NAME] [--race] [--keep] [--log FILE]
 *                        [--ready FILE]
 *   --provider NAME  what the provider attribute says (default: the kind's)
 *   --race           behave as if another process wrote to each entry once
 *                    (generation one higher on its second read)
 *   --keep           answer the template unchanged (a real sample that
 *                    verifies, with its own report data)
 *   --log FILE       one line per answered blob: "KIND ENTRY HEX(report data)",
 *                    and per write to privlevel: "KIND ENTRY privlevel=VALUE"
 *   --ready FILE     created once the tree is in place */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENTRIES 64
#define RD_SIZE 64

struct entry {
	char path[2 * PATH_MAX];
	char name[256];
	int wd;
	unsigned writes;
	unsigned gen_reads;
	bool outblob_done, auxblob_done;
	bool used;
};

static volatile sig_atomic_t stop;
static struct entry entries[MAX_ENTRIES];
static const char *kind, *provider, *log_path;
static uint8_t *template_data, *aux_data;
static size_t template_size, aux_size, rd_offset;
static bool race, keep;
static int ino = -1, report_wd = -1;
static char report_dir[PATH_MAX];
static char scratch_dir[PATH_MAX]; /* ROOT/.fake-kernel: where new pipes are made */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "helper_fake_tsm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long n;

	if (!f)
		die(path);
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		die(path);
	data = malloc((size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n)
		die(path);
	fclose(f);
	*size = (size_t)n;
	return data;
}

static void put_file(const char *dir, const char *name, const void *data, size_t size)
{
	char path[2 * PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
		die(path);
}

static void touch(const char *path)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f || fclose(f))
		die(path);
}

static void make_fifo(const char *dir, const char *name)
{
	char path[2 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkfifo(path, 0600) != 0)
		die(path);
}

static void mkdirs(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			die(p);
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		die(p);
}

static void log_rd(const char *name, const uint8_t *rd, size_t size)
{
	FILE *f;

	if (!log_path)
		return;
	f = fopen(log_path, "a");
	if (!f)
		die(log_path);
	fprintf(f, "%s %s ", kind, name);
	for (size_t i = 0; i < size; i++)
		fprintf(f, "%02x", rd[i]);
	fprintf(f, "\n");
	fclose(f);
}

/* Logs "KIND ENTRY privlevel=VALUE" for a write to privlevel. */
static void log_privlevel(const struct entry *e)
{
	char path[2 * PATH_MAX], text[16] = "";
	ssize_t n;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/privlevel", e->path);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (!log_path)
		return;
	f = fopen(log_path, "a");
	if (!f)
		die(log_path);
	fprintf(f, "%s %s privlevel=%s\n", kind, e->name, text);
	fclose(f);
}

/* The template with the report data (as much as was written, at most 64
 * bytes) at rd_offset. */
static uint8_t *blob_for(const char *rd_path, const char *name, size_t *size)
{
	uint8_t rd[RD_SIZE];
	uint8_t *out = malloc(template_size);
	ssize_t n;
	int fd = open(rd_path, O_RDONLY);

	if (!out || fd < 0)
		die(rd_path);
	n = read(fd, rd, sizeof(rd));
	close(fd);
	if (n < 0)
		die(rd_path);
	memcpy(out, template_data, template_size);
	if (!keep && rd_offset + (size_t)n <= template_size)
		memcpy(out + rd_offset, rd, (size_t)n);
	log_rd(name, rd, (size_t)n);
	*size = template_size;
	return out;
}

/* A pipe at path for the next reader. With a reader on the old one, the
 * new pipe goes in place (rename) *before* the old writer end is closed:
 * the reader cannot see end of file, and go on, while path names a pipe
 * that still has it as a reader (it would be answered twice). */
static void fresh_pipe(const char *path)
{
	char tmp[2 * PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s/.fake-kernel-fifo", scratch_dir);
	unlink(tmp);
	if (mkfifo(tmp, 0600) != 0)
		die(tmp);
	if (rename(tmp, path) != 0)
		unlink(tmp); /* the entry is gone */
}

/* Answers a reader waiting on the pipe at path, if there is one: true
 * then. data is NULL for outblob/quote: made now from rd_path. replace:
 * put a fresh pipe at path for a later reader. */
static bool answer(const char *path, const void *data, size_t size, const char *rd_path,
                   const char *name, bool replace)
{
	uint8_t *blob = NULL;
	const uint8_t *p;
	int fd = open(path, O_WRONLY | O_NONBLOCK);

	if (fd < 0)
		return false; /* ENXIO: nobody reading yet; ENOENT: gone */
	fcntl(fd, F_SETFL, 0);
	if (!data) {
		/* outblob: made when read, from what inblob holds now */
		blob = blob_for(rd_path, name, &size);
		data = blob;
	}
	p = data;
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the reader went away */
		p += n;
		size -= (size_t)n;
	}
	if (replace)
		fresh_pipe(path);
	close(fd);
	free(blob);
	return true;
}

static struct entry *find_wd(int wd)
{
	for (int i = 0; i < MAX_ENTRIES; i++)
		if (entries[i].used && entries[i].wd == wd)
			return &entries[i];
	return NULL;
}

static void new_entry(const char *name)
{
	struct entry *e = NULL;
	const char *floor = "0\n";
	char text[64];

	for (int i = 0; i < MAX_ENTRIES && !e; i++)
		if (!entries[i].used)
			e = &entries[i];
	if (!e) {
		fprintf(stderr, "helper_fake_tsm: too many entries\n");
		exit(1);
	}
	memset(e, 0, sizeof(*e));
	e->used = true;
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->path, sizeof(e->path), "%s/%s", report_dir, name);
	/* regular files first, then the watch (so that making them is not
	 * counted as writes), then the pipes, generation last: the producer
	 * waits for generation */
	snprintf(text, sizeof(text), "%s\n", provider);
	put_file(e->path, "provider", text, strlen(text));
	put_file(e->path, "inblob", NULL, 0);
	if (!strcmp(kind, "snp")) {
		put_file(e->path, "privlevel_floor", floor, strlen(floor));
		put_file(e->path, "privlevel", NULL, 0);
	}
	e->wd = inotify_add_watch(ino, e->path, IN_CLOSE_WRITE | IN_DELETE_SELF);
	if (e->wd < 0)
		die(e->path);
	make_fifo(e->path, "outblob");
	make_fifo(e->path, "auxblob");
	make_fifo(e->path, "generation");
}

static void drain_events(void)
{
	_Alignas(struct inotify_event) char buf[8192];
	ssize_t n;

	while ((n = read(ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			struct entry *e;

			if (ev->wd == report_wd && (ev->mask & IN_CREATE) && (ev->mask & IN_ISDIR))
				new_entry(ev->name);
			else if ((e = find_wd(ev->wd))) {
				if ((ev->mask & IN_CLOSE_WRITE) && ev->len &&
				    (!strcmp(ev->name, "inblob") || !strcmp(ev->name, "privlevel")))
					e->writes++;
				if ((ev->mask & IN_CLOSE_WRITE) && ev->len &&
				    !strcmp(ev->name, "privlevel"))
					log_privlevel(e);
				if (ev->mask & (IN_DELETE_SELF | IN_IGNORED))
					e->used = false;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* generation is read twice (before and after the blobs), outblob and
 * auxblob once each: each pipe is answered exactly that often. */
static void serve_entry(struct entry *e)
{
	char path[2 * PATH_MAX], rd_path[2 * PATH_MAX], text[32];
	unsigned gen;

	snprintf(rd_path, sizeof(rd_path), "%s/inblob", e->path);
	if (e->gen_reads < 2) {
		snprintf(path, sizeof(path), "%s/generation", e->path);
		gen = e->writes + (race && e->gen_reads >= 1 ? 1 : 0);
		snprintf(text, sizeof(text), "%u\n", gen);
		if (answer(path, text, strlen(text), NULL, NULL, e->gen_reads == 0))
			e->gen_reads++;
	}
	if (!e->outblob_done) {
		snprintf(path, sizeof(path), "%s/outblob", e->path);
		e->outblob_done = answer(path, NULL, 0, rd_path, e->name, false);
	}
	if (!e->auxblob_done) {
		snprintf(path, sizeof(path), "%s/auxblob", e->path);
		e->auxblob_done = answer(path, aux_data ? aux_data : (const uint8_t *)"", aux_size,
		                         NULL, NULL, false);
	}
}

static void serve_gramine(const char *dir)
{
	char path[2 * PATH_MAX], rd_path[2 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/quote", dir);
	snprintf(rd_path, sizeof(rd_path), "%s/user_report_data", dir);
	answer(path, NULL, 0, rd_path, "quote", true);
}

int main(int argc, char **argv)
{
	const char *root, *ready = NULL;
	char dir[PATH_MAX];

	if (argc < 4) {
		fprintf(stderr, "usage: helper_fake_tsm ROOT tdx|snp|sgx TEMPLATE [--aux FILE] "
		                "[--provider NAME] [--race] [--keep] [--log FILE] [--ready FILE]\n");
		return 2;
	}
	root = argv[1];
	kind = argv[2];
	template_data = slurp(argv[3], &template_size);
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--aux") && i + 1 < argc)
			aux_data = slurp(argv[++i], &aux_size);
		else if (!strcmp(argv[i], "--provider") && i + 1 < argc)
			provider = argv[++i];
		else if (!strcmp(argv[i], "--race"))
			race = true;
		else if (!strcmp(argv[i], "--keep"))
			keep = true;
		else if (!strcmp(argv[i], "--log") && i + 1 < argc)
			log_path = argv[++i];
		else if (!strcmp(argv[i], "--ready") && i + 1 < argc)
			ready = argv[++i];
		else {
			fprintf(stderr, "helper_fake_tsm: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	snprintf(scratch_dir, sizeof(scratch_dir), "%s/.fake-kernel", root);
	mkdirs(scratch_dir);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(kind, "sgx")) {
		static const uint8_t key[16] = {0x5e, 0xa1, 0x5e, 0xa1, 1, 2, 3, 4,
		                                5, 6, 7, 8, 9, 10, 11, 12};

		rd_offset = 368;
		snprintf(dir, sizeof(dir), "%s/dev/attestation/keys", root);
		mkdirs(dir);
		snprintf(dir, sizeof(dir), "%s/dev/attestation", root);
		put_file(dir, "attestation_type", provider ? provider : "dcap",
		         strlen(provider ? provider : "dcap"));
		put_file(dir, "user_report_data", NULL, 0);
		put_file(dir, "keys/_sgx_mrenclave", key, sizeof(key));
		make_fifo(dir, "quote");
		touch(ready);
		while (!stop) {
			serve_gramine(dir);
			nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
		}
		return 0;
	}

	if (!strcmp(kind, "tdx")) {
		rd_offset = 568;
		if (!provider)
			provider = "tdx_guest";
		snprintf(dir, sizeof(dir), "%s/dev", root);
		mkdirs(dir);
		put_file(dir, "tdx_guest", NULL, 0);
	} else if (!strcmp(kind, "snp")) {
		rd_offset = 0x50;
		if (!provider)
			provider = "sev_guest";
		snprintf(dir, sizeof(dir), "%s/dev", root);
		mkdirs(dir);
		put_file(dir, "sev-guest", NULL, 0);
	} else {
		fprintf(stderr, "helper_fake_tsm: unknown kind %s\n", kind);
		return 2;
	}
	snprintf(report_dir, sizeof(report_dir), "%s/sys/kernel/config/tsm/report", root);
	mkdirs(report_dir);
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino < 0)
		die("inotify_init1");
	report_wd = inotify_add_watch(ino, report_dir, IN_CREATE);
	if (report_wd < 0)
		die(report_dir);
	touch(ready);
	while (!stop) {
		drain_events();
		for (int i = 0; i < MAX_ENTRIES; i++) {
			if (!entries[i].used)
				continue;
			drain_events(); /* writes closed before a pipe was opened count */
			if (entries[i].used)
				serve_entry(&entries[i]);
		}
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	return 0;
}
