/*
 * test_logs_jobs.c - parser threads (--jobs) give the result one thread
 * gives, field for field, whatever the parts a file is cut into.
 *
 * Every real log under tests/data/logs/ and, when ../shared is present,
 * ../shared/testdata/logs/ is read with one thread and then with 2, 3 and
 * 4 threads in parts of 1 byte (a line each), 64, 4096 bytes and the
 * default; the results are printed field by field and compared. Made
 * logs put the part boundaries where the state is: a New Year (with and
 * without --year), a line of 1 MB, a BOM, an Exchange header in the middle
 * of a syslog file, two files of a rotated set, and the filters.
 */
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "logs/logs.h"

static void
series(FILE *f, const char *what, const struct logs_series *s)
{
	uint32_t i;

	fprintf(f, "%s %lld %u %u:", what, (long long)s->start, s->width, s->n);
	for (i = 0; i < s->n; i++)
		fprintf(f, " %u", s->v[i]);
	fputc('\n', f);
}

static void
delays(FILE *f, const struct logs_delays *d)
{
	fprintf(f, "delays %llu %a %a %a %a %a %a %a %a %llu %a %a\n",
	    (unsigned long long)d->n, d->sum[0], d->sum[1], d->sum[2],
	    d->sum[3], d->max[0], d->max[1], d->max[2], d->max[3],
	    (unsigned long long)d->ndelay, d->delay_sum, d->delay_max);
}

static const char *
cid(const struct cause *c)
{
	return c != NULL ? c->id : "-";
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "(null)";
}

/* Everything a result holds, one field after the other. */
static char *
dump(const struct logs_result *r)
{
	char *out = NULL;
	size_t len = 0, i, k;
	FILE *f = open_memstream(&out, &len);
	int j;

	fprintf(f, "lines %llu unparsed %llu other %llu filtered %llu "
	    "messages %llu %lld %lld\n", (unsigned long long)r->lines,
	    (unsigned long long)r->unparsed, (unsigned long long)r->other,
	    (unsigned long long)r->filtered, (unsigned long long)r->messages,
	    (long long)r->first_us, (long long)r->last_us);
	for (j = 0; j < LOG_ST_NUM; j++)
		fprintf(f, "st %llu\n", (unsigned long long)r->st[j]);
	for (j = 0; j < LOG_D_NUM; j++)
		fprintf(f, "dialect %llu\n", (unsigned long long)r->dialect[j]);
	for (i = 0; i < r->ndests; i++) {
		const struct logs_dest *d = r->dests[i];

		fprintf(f, "dest %s %llu %lld %lld %lld %lld %llu\n", d->domain,
		    (unsigned long long)d->messages, (long long)d->first_us,
		    (long long)d->last_us, (long long)d->first_fail_us,
		    (long long)d->last_fail_us,
		    (unsigned long long)d->relays_other);
		for (j = 0; j < LOG_ST_NUM; j++)
			fprintf(f, " st %llu\n", (unsigned long long)d->st[j]);
		for (k = 0; k < d->ncauses; k++)
			fprintf(f, " cause %s %llu\n", cid(d->causes[k].cause),
			    (unsigned long long)d->causes[k].n);
		for (k = 0; k < d->nrelays; k++)
			fprintf(f, " relay %s %s %llu %llu\n", d->relays[k].host,
			    d->relays[k].ip,
			    (unsigned long long)d->relays[k].events,
			    (unsigned long long)d->relays[k].failures);
		for (j = 0; j < d->nsamples; j++)
			fprintf(f, " sample %s %s %d %s %lld\n",
			    d->samples[j].qid, str(d->samples[j].msgid),
			    (int)d->samples[j].status, cid(d->samples[j].cause),
			    (long long)d->samples[j].time_us);
		delays(f, &d->delays);
		series(f, " rate", &d->rate);
		fprintf(f, " throttle %lld %llu %u %s %s\n",
		    (long long)d->throttle.first_us,
		    (unsigned long long)d->throttle.attempts,
		    d->throttle.peak, str(d->throttle.reply),
		    cid(d->throttle.cause));
	}
	for (i = 0; i < r->ncauses; i++) {
		const struct logs_cause_stat *c = r->causes[i];

		fprintf(f, "cause %s %llu %llu %lld %lld\n", cid(c->cause),
		    (unsigned long long)c->events,
		    (unsigned long long)c->other_replies,
		    (long long)c->first_us, (long long)c->last_us);
		for (j = 0; j < LOG_ST_NUM; j++)
			fprintf(f, " st %llu\n", (unsigned long long)c->st[j]);
		for (k = 0; k < c->nreplies; k++) {
			const struct logs_reply *rp = &c->replies[k];

			fprintf(f, " reply %llu [%s] [%s]",
			    (unsigned long long)rp->count, rp->text, rp->key);
			for (j = 0; j < rp->nsamples; j++)
				fprintf(f, " %s %s", rp->qid[j],
				    str(rp->msgid[j]));
			fputc('\n', f);
		}
		series(f, " deferrals", &c->deferrals);
	}
	delays(f, &r->delays);
	for (i = 0; i < r->nunparsed_lines; i++)
		fprintf(f, "unparsed %s %llu %s\n", r->unparsed_lines[i].file,
		    (unsigned long long)r->unparsed_lines[i].line,
		    r->unparsed_lines[i].reason);
	for (i = 0; i < r->nfiles; i++)
		fprintf(f, "file %s %llu %llu %d\n", r->files[i].name,
		    (unsigned long long)r->files[i].lines,
		    (unsigned long long)r->files[i].bytes,
		    (int)r->files[i].compressed);
	for (i = 0; i < r->nsteps; i++) {
		const struct logs_step *s = &r->steps[i];

		fprintf(f, "step %lld %s %llu %d %d %s %s %s %s %s\n",
		    (long long)s->time_us, s->file,
		    (unsigned long long)s->line, (int)s->kind, (int)s->status,
		    str(s->qid), str(s->rcpt), str(s->relay), str(s->text),
		    cid(s->cause));
	}
	fprintf(f, "found %d scope %llu %llu %d\n", (int)r->message_found,
	    (unsigned long long)r->scope_rcpts,
	    (unsigned long long)r->scope_messages, (int)r->scope_capped);
	fclose(f);
	return out;
}

/* The dump of the files read in order with p, jobs threads, parts of
 * part bytes. */
static char *
run(const struct logs_params *p0, const char *const *files, int nfiles,
    int jobs, size_t part)
{
	struct logs_params p = *p0;
	struct logs *l;
	char *err = NULL, *out;
	int i;

	p.jobs = jobs;
	p.part = part;
	l = logs_new(&p);
	for (i = 0; i < nfiles; i++) {
		if (logs_read_file(l, files[i], &err) < 0) {
			fprintf(stderr, "%s\n", err);
			free(err);
			err = NULL;
		}
	}
	out = dump(logs_finish(l));
	logs_free(l);
	return out;
}

static int compared;

/* One thread against 2..4 in parts of every size: the same dump. */
static void
same(const struct logs_params *p, const char *const *files, int nfiles)
{
	static const size_t parts[] = { 1, 64, 4096, 0 };
	char *want = run(p, files, nfiles, 1, 0), *got;
	size_t i;
	int jobs;

	for (jobs = 2; jobs <= 4; jobs++)
		for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
			got = run(p, files, nfiles, jobs, parts[i]);
			if (strcmp(want, got) == 0)
				t_pass++;
			else {
				t_fail++;
				fprintf(stderr, "%s:%d: FAIL: %s: --jobs %d, "
				    "parts of %zu: another result\n", __FILE__,
				    __LINE__, files[nfiles - 1], jobs,
				    parts[i]);
			}
			free(got);
		}
	free(want);
	compared++;
}

static void
tree(const struct logs_params *p, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;

	if (d == NULL || depth > 3) {
		if (d != NULL)
			closedir(d);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = xrealloc(names, sizeof(*names) * (n + 1));
		names[n++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	for (i = 0; i < n; i++) {
		struct stat st;

		if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
			tree(p, names[i], depth + 1);
		else if (S_ISREG(st.st_mode) && st.st_size < (8 << 20)) {
			const char *one[1] = { names[i] };

			same(p, one, 1);
		}
		free(names[i]);
	}
	free(names);
}

static void
test_real_logs(void)
{
	const char *src = getenv("MXDOC_SRC"), *sh = getenv("MXDOC_SHARED");
	struct logs_params p;
	char *dir;
	int before;

	memset(&p, 0, sizeof(p));
	p.zone = LOGTIME_FIXED;
	before = compared;
	dir = xasprintf("%s/tests/data/logs", src != NULL ? src : ".");
	tree(&p, dir, 0);
	free(dir);
	CHECK(compared - before >= 10);
	if (sh != NULL) {
		dir = xasprintf("%s/testdata/logs", sh);
		tree(&p, dir, 0);
		free(dir);
	}
	/* the filters, on the lab's log */
	dir = xasprintf("%s/tests/data/logs/postfix-lab.log", src != NULL ?
	    src : ".");
	{
		const char *one[1] = { dir };

		p.year = 2026;
		same(&p, one, 1);
		p.since_us = 1764316800LL * 1000000;	/* 2025-11-28 */
		p.until_us = p.since_us + 86400LL * 1000000 * 400;
		same(&p, one, 1);
		p.since_us = p.until_us = 0;
		p.domain = "refused.test";
		same(&p, one, 1);
		p.domain = NULL;
		p.cause = "net";
		same(&p, one, 1);
		p.cause = NULL;
		p.scope = "good.test";
		same(&p, one, 1);
		p.scope = NULL;
	}
	free(dir);
}

/* The lines of path, as a list (the file is small). */
static char **
lines_of(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t cap = 0;
	ssize_t k;

	*n = 0;
	if (f == NULL)
		return NULL;
	while ((k = getline(&line, &cap, f)) > 0) {
		if (line[k - 1] == '\n')
			line[--k] = '\0';
		v = xrealloc(v, sizeof(*v) * (*n + 1));
		v[(*n)++] = xstrdup(line);
	}
	free(line);
	fclose(f);
	return v;
}

/* The lab's log with new stamps: 31 December up to line half, then 1
 * January, one second a line. */
static void
write_new_year(FILE *f, char **v, size_t n, size_t from, size_t to,
    size_t half)
{
	size_t i;

	for (i = from; i < to && i < n; i++) {
		const char *rest = strlen(v[i]) > 15 ? v[i] + 15 : "";
		unsigned s = (unsigned)(i % 3600);

		if (i < half)
			fprintf(f, "Dec 31 23:%02u:%02u%s\n", s / 60, s % 60,
			    rest);
		else
			fprintf(f, "Jan  1 00:%02u:%02u%s\n", s / 60, s % 60,
			    rest);
	}
}

static void
test_made_logs(void)
{
	const char *src = getenv("MXDOC_SRC");
	char *lab = xasprintf("%s/tests/data/logs/postfix-lab.log",
	    src != NULL ? src : ".");
	char *exch = xasprintf("%s/tests/data/logs/exchange-tracking.log",
	    src != NULL ? src : ".");
	char a[] = "/tmp/test_logs_jobs_XXXXXX", b[] = "/tmp/test_logs_jobs_XXXXXX";
	char c[] = "/tmp/test_logs_jobs_XXXXXX";
	struct logs_params p;
	char **v, **x, *big;
	size_t n, nx, i;
	FILE *f;
	int fd;

	v = lines_of(lab, &n);
	/* the lab's log is short: its lines again, to 3000 or so */
	if (n > 0) {
		size_t n0 = n;

		v = xrealloc(v, sizeof(*v) * n0 * (3000 / n0 + 1));
		while (n + n0 <= 3000)
			for (i = 0; i < n0; i++)
				v[n++] = xstrdup(v[i]);
	}
	x = lines_of(exch, &nx);
	CHECK(n > 1000 && nx > 3);
	if (n <= 1000 || nx <= 3)
		goto out;

	/* New Year, a line of 1 MB before it and one after, a BOM */
	fd = mkstemp(a);
	f = fdopen(fd, "w");
	fputs("\xEF\xBB\xBF", f);
	write_new_year(f, v, n, 0, 600, 700);
	big = xmalloc(1 << 20);
	memset(big, 'x', 1 << 20);
	memcpy(big, "Dec 31 23:59:59 mx postfix/smtp[1]: ", 36);
	fwrite(big, 1, 1 << 20, f);
	fputc('\n', f);
	write_new_year(f, v, n, 600, 1000, 700);
	memcpy(big, "Jan  1 01:00:00 mx postfix/smtp[1]: ", 36);
	fwrite(big, 1, 1 << 20, f);
	fputs("\r\n", f);
	write_new_year(f, v, n, 1000, n, 700);
	fclose(f);
	free(big);

	/* syslog, then an Exchange tracking log from its header on */
	fd = mkstemp(b);
	f = fdopen(fd, "w");
	for (i = 0; i < 300; i++)
		fprintf(f, "%s\n", v[i]);
	for (i = 0; i < nx; i++)
		fprintf(f, "%s\n", x[i]);
	for (i = 300; i < 400; i++)
		fprintf(f, "%s\n", v[i]);
	fclose(f);

	/* syslog, then a headerless Exchange record, no newline at the end */
	fd = mkstemp(c);
	f = fdopen(fd, "w");
	for (i = 0; i < 200; i++)
		fprintf(f, "%s\n", v[i]);
	for (i = 0; i < nx; i++)
		if (x[i][0] != '#')
			fprintf(f, "%s\n", x[i]);
	fprintf(f, "%s", v[200]);
	fclose(f);

	memset(&p, 0, sizeof(p));
	p.zone = LOGTIME_FIXED;
	{
		const char *one[1] = { a }, *two[2] = { a, lab };
		const char *ex[1] = { b }, *ex2[1] = { c };

		/* the year from the file's time: the first stamps are of
		 * the year before, which a part's guess cannot know */
		same(&p, one, 1);
		same(&p, ex, 1);
		same(&p, ex2, 1);
		p.year = 2025;
		same(&p, one, 1);
		/* the calendar carries the year into the next file */
		same(&p, two, 2);
		p.zone = LOGTIME_LOCAL;
		same(&p, one, 1);
		p.zone = LOGTIME_FIXED;
		p.message = v[n / 2] + 15;	/* no such id: all filtered */
		same(&p, one, 1);
	}
	{
		/* --message with a queue id of the lab's log */
		const char *one[1] = { a };
		char qid[32];

		for (i = 0; i < n; i++) {
			const char *q = strstr(v[i], "]: ");

			size_t k = 0;

			if (q == NULL || strstr(q, ": to=<") == NULL)
				continue;
			for (q += 3; k + 1 < sizeof(qid) && ((*q >= '0' &&
			    *q <= '9') || (*q >= 'A' && *q <= 'F')); q++)
				qid[k++] = *q;
			qid[k] = '\0';
			if (k >= 5)
				break;
		}
		if (i < n) {
			p.message = qid;
			same(&p, one, 1);
		}
		p.message = NULL;
	}
	unlink(a);
	unlink(b);
	unlink(c);
out:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	for (i = 0; i < nx; i++)
		free(x[i]);
	free(x);
	free(lab);
	free(exch);
}


/* All of a /proc file (its size says 0), NUL-terminated, or NULL. */
static char *
read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 16, n = 0, k;
	char *b;

	if (f == NULL)
		return NULL;
	b = xmalloc(cap + 1);
	while ((k = fread(b + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			cap *= 2;
			b = xrealloc(b, cap + 1);
		}
	}
	fclose(f);
	b[n] = '\0';
	*len = n;
	return b;
}

/* A log cut shorter while it is mapped (copytruncate) is an error the
 * reader reports, not a SIGBUS: a child reads a 48 MB log, with one
 * thread and with three, and the file is truncated as soon as the child
 * has it mapped (/proc/PID/maps names it). The child's exit says what
 * it saw: 0 the error, 1 no error, 2 another error; a signal is the
 * crash. */
static int
read_while_cut(const char *path, int jobs)
{
	struct logs_params p;
	struct timespec ts = { 0, 200000 };
	char maps[64], *err = NULL, *m;
	struct logs *l;
	size_t n;
	pid_t pid;
	int st, i, rc;

	if ((pid = fork()) == 0) {
		memset(&p, 0, sizeof(p));
		p.jobs = jobs;
		p.part = 1 << 20;
		l = logs_new(&p);
		rc = logs_read_file(l, path, &err);
		if (rc == 0)
			_exit(1);
		_exit(strstr(err, "cut short while it was read") != NULL ?
		    0 : 2);
	}
	if (pid < 0)
		return -1;
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	for (i = 0; i < 50000; i++) {
		m = read_text(maps, &n);
		if (m != NULL && strstr(m, path) != NULL) {
			free(m);
			break;
		}
		free(m);
		nanosleep(&ts, NULL);
	}
	CHECK(truncate(path, 100) == 0);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "read_while_cut: jobs %d: signal %d\n", jobs,
		    WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}

static void
test_cut_while_read(void)
{
	char a[] = "/tmp/test_logs_jobs_XXXXXX";
	static const char line[] = "Nov 28 10:00:01 mx postfix/smtp[4242]: "
	    "4Q1ABC0DEF: to=<user@example.net>, relay=mx.example.net"
	    "[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=4.7.0, "
	    "status=deferred (host mx.example.net[192.0.2.1] said: 421 "
	    "4.7.0 try again later (in reply to end of DATA command))\n";
	int jobs[] = { 1, 3 };
	size_t i, k;
	FILE *f;
	int fd;

	for (k = 0; k < sizeof(jobs) / sizeof(jobs[0]); k++) {
		memcpy(a, "/tmp/test_logs_jobs_XXXXXX", sizeof(a));
		fd = mkstemp(a);
		CHECK(fd >= 0);
		if (fd < 0)
			return;
		f = fdopen(fd, "w");
		for (i = 0; i < (48u << 20) / (sizeof(line) - 1); i++)
			fputs(line, f);
		fclose(f);
		CHECK_INT(read_while_cut(a, jobs[k]), 0);
		unlink(a);
	}
}

void
run_tests(void)
{
	test_cut_while_read();
	test_made_logs();
	test_real_logs();
}
