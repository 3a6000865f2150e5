#include "runtime/ctrlog.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"
#include "base/strv.h"
#include "runtime/cgroup.h"

int nd_log_parse_opt(const char *opt, uint64_t *max_size, unsigned *max_file, struct nd_err **err)
{
	if (!strncmp(opt, "max-size=", 9)) {
		if (nd_cg_parse_size(opt + 9, max_size, err) < 0 || *max_size == 0)
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--log-opt '%s': a size (10m, 512k) above 0", opt);
		return 0;
	}
	if (!strncmp(opt, "max-file=", 9)) {
		char *end;
		long v = strtol(opt + 9, &end, 10);

		if (!opt[9] || *end || v < 1 || v > 100)
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--log-opt '%s': a number of files from 1 to 100", opt);
		*max_file = (unsigned)v;
		return 0;
	}
	return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--log-opt '%s' is not supported (max-size=, max-file=)", opt);
}

int nd_log_open(const char *path, uint64_t max_size, unsigned max_file, struct nd_log *ret, struct nd_err **err)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = nd_err_set(err, ND_ERR_INTERNAL, errno, "log '%s': %s", path, strerror(errno));

		if (fd >= 0)
			close(fd);
		return r;
	}
	ret->path = strdup(path);
	if (!ret->path) {
		close(fd);
		return nd_oom(err);
	}
	ret->fd = fd;
	ret->size = (uint64_t)st.st_size;
	ret->max_size = max_size;
	ret->max_file = max_file ? max_file : 1;
	ret->part[0].n = ret->part[1].n = 0;
	return 0;
}

/* log.<n> (n > 0) or log, into buf. */
static void file_name(const char *path, unsigned n, char *buf, size_t size)
{
	if (n)
		snprintf(buf, size, "%s.%u", path, n);
	else
		snprintf(buf, size, "%s", path);
}

/* Docker's rotation: log.(k-1) -> log.k down to log -> log.1, then a new log; one file: start over. */
static void rotate(struct nd_log *l)
{
	char from[PATH_MAX], to[PATH_MAX];
	int fd;

	if (l->max_file <= 1) {
		if (ftruncate(l->fd, 0) == 0)
			l->size = 0;
		return;
	}
	for (unsigned k = l->max_file - 1; k > 0; k--) {
		file_name(l->path, k - 1, from, sizeof(from));
		file_name(l->path, k, to, sizeof(to));
		(void)rename(from, to);
	}
	fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return; /* keeps writing to the renamed file: better than losing output */
	close(l->fd);
	l->fd = fd;
	l->size = 0;
}

/* Is s[0..n) a whole UTF-8 sequence of length *len (no overlongs, no surrogates)? */
static bool utf8_seq(const unsigned char *s, size_t n, size_t *len)
{
	unsigned c = s[0], need = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : 0;
	unsigned cp = need == 3 ? c & 7 : need == 2 ? c & 15 : c & 31;

	if (!need || c > 0xf4 || n < need + 1)
		return false;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return false;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return false;
	*len = need + 1;
	return true;
}

/* s as a JSON string's content into out (room for 6 bytes per input byte); invalid UTF-8 becomes U+FFFD. */
static size_t json_escape(const char *s, size_t n, char *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, len;

	for (size_t i = 0; i < n;) {
		unsigned c = u[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)sprintf(out + o, "\\u%04x", c);
		} else if (c >= 0x80) {
			if (utf8_seq(u + i, n - i, &len)) {
				memcpy(out + o, u + i, len);
				o += len;
				i += len;
				continue;
			}
			memcpy(out + o, "\\ufffd", 6);
			o += 6;
		} else {
			out[o++] = (char)c;
		}
		i++;
	}
	return o;
}

/* One entry, written whole (O_APPEND: a reader never sees half of one unless the disk is full). */
static void write_entry(struct nd_log *l, int stream, const char *msg, size_t n)
{
	_cleanup_free_ char *line = malloc(n * 6 + 128);
	struct timespec ts;
	struct tm tm;
	size_t o;

	if (!line || l->fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	o = (size_t)sprintf(line, "{\"log\":\"");
	o += json_escape(msg, n, line + o);
	o += (size_t)sprintf(line + o, "\",\"stream\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\"}\n",
			     stream == 2 ? "stderr" : "stdout", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			     tm.tm_min, tm.tm_sec, ts.tv_nsec);
	if (l->max_size && l->size && l->size + o > l->max_size)
		rotate(l);
	if (nd_write_all(l->fd, line, o) >= 0)
		l->size += o;
}

void nd_log_feed(struct nd_log *l, int stream, const char *data, size_t n)
{
	typeof(l->part[0]) *p = &l->part[stream == 2];

	for (size_t i = 0; i < n; i++) {
		p->buf[p->n++] = data[i];
		if (data[i] == '\n' || p->n == sizeof(p->buf)) {
			write_entry(l, stream, p->buf, p->n);
			p->n = 0;
		}
	}
}

void nd_log_close(struct nd_log *l)
{
	for (int s = 1; s <= 2; s++)
		if (l->part[s == 2].n) {
			write_entry(l, s, l->part[s == 2].buf, l->part[s == 2].n);
			l->part[s == 2].n = 0;
		}
	nd_closep(&l->fd);
	free(l->path);
	l->path = NULL;
}

/* ---- reading ---- */

int nd_log_parse_time(const char *s, int64_t *ret_ns)
{
	struct tm tm = { 0 };
	int n = 0, zh = 0, zm = 0;
	long long frac = 0, scale = 1000000000LL;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) != 6 || n != 19)
		return -EINVAL;
	s += n;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (scale > 1) {
				scale /= 10;
				frac += (*s - '0') * scale;
			}
	}
	if ((*s == '+' || *s == '-') && sscanf(s + 1, "%2d:%2d%n", &zh, &zm, &n) == 2 && n == 5 && !s[6]) {
		zm = (zh * 60 + zm) * (*s == '-' ? -1 : 1);
	} else if (strcmp(s, "Z")) {
		return -EINVAL;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -EINVAL;
	t = timegm(&tm) - (time_t)zm * 60;
	/* int64 nanoseconds end in 2262: later is "never" (INT64_MAX), earlier than 1970 is 0. */
	*ret_ns = t >= INT64_MAX / 1000000000LL ? INT64_MAX : t < 0 ? 0 : (int64_t)t * 1000000000LL + frac;
	return 0;
}

int nd_log_parse(const char *line, size_t len, struct nd_log_entry *ret)
{
	_cleanup_json_ json_t *j = NULL;
	const char *stream, *time, *msg;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!(j = json_loadb(line, len, JSON_ALLOW_NUL, NULL)) || !json_is_object(j))
		return -EBADMSG;
	stream = json_string_value(json_object_get(j, "stream"));
	time = json_string_value(json_object_get(j, "time"));
	msg = json_string_value(json_object_get(j, "log"));
	if (!stream || !time || !msg || strlen(time) >= sizeof(ret->time) || (strcmp(stream, "stdout") && strcmp(stream, "stderr")))
		return -EBADMSG;
	if (nd_log_parse_time(time, &ret->time_ns) < 0)
		return -EBADMSG;
	ret->stream = stream[3] == 'e' ? 2 : 1;
	snprintf(ret->time, sizeof(ret->time), "%s", time);
	ret->msg_len = json_string_length(json_object_get(j, "log"));
	if (!(ret->msg = malloc(ret->msg_len + 1)))
		return -ENOMEM;
	memcpy(ret->msg, msg, ret->msg_len);
	ret->msg[ret->msg_len] = '\0';
	return 0;
}

/* One line of the file to the reader, if it is an entry the options let through. */
static int emit_line(const struct nd_log_read *o, const char *line, size_t len)
{
	struct nd_log_entry e;
	int r;

	if (nd_log_parse(line, len, &e) < 0)
		return 0; /* not ours (a torn write after a full disk): skipped */
	r = e.time_ns >= o->since_ns ? o->emit(&e, o->arg) : 0;
	free(e.msg);
	return r;
}

/* The last o->tail lines seen, oldest first. */
struct ring {
	char **v;
	size_t *len;
	size_t cap, n, head;
};

static int ring_push(struct ring *g, const char *line, size_t len)
{
	size_t at;
	char *copy;

	if (!g->cap)
		return 0;
	if (!(copy = malloc(len + 1)))
		return -ENOMEM;
	at = (g->head + g->n) % g->cap;
	memcpy(copy, line, len + 1);
	if (g->n == g->cap) {
		free(g->v[g->head]);
		at = g->head;
		g->head = (g->head + 1) % g->cap;
	} else {
		g->n++;
	}
	g->v[at] = copy;
	g->len[at] = len;
	return 0;
}

/*
 * The complete lines of f from where it stands: to the ring, or emitted. A last line
 * without its newline (a write in progress) is left for the next call.
 */
static int read_lines(FILE *f, const struct nd_log_read *o, struct ring *g)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	while (r >= 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n') {
			(void)fseeko(f, -(off_t)n, SEEK_CUR);
			break;
		}
		r = g ? ring_push(g, line, (size_t)n) : emit_line(o, line, (size_t)n);
	}
	clearerr(f);
	return r;
}

/* log.N ... log.1 then log: every file but the current one is read whole here. */
static int read_rotated(const struct nd_log_read *o, struct ring *g)
{
	char name[PATH_MAX];
	unsigned k = 0;
	int r = 0;

	for (;; k++) {
		file_name(o->path, k + 1, name, sizeof(name));
		if (access(name, F_OK) < 0)
			break;
	}
	for (; k > 0 && r >= 0; k--) {
		FILE *f;

		file_name(o->path, k, name, sizeof(name));
		if (!(f = fopen(name, "re")))
			continue; /* rotated away meanwhile */
		r = read_lines(f, o, g);
		fclose(f);
	}
	return r;
}

static bool rotated(FILE *f, const char *path)
{
	struct stat a, b;

	if (stat(path, &a) < 0 || fstat(fileno(f), &b) < 0)
		return false;
	/* A new file, or the same one started over (max-file=1). */
	return a.st_ino != b.st_ino || a.st_dev != b.st_dev || a.st_size < ftello(f);
}

/* After the existing entries: new ones as they come, until the writer is gone. */
static int follow(const struct nd_log_read *o, FILE **fp)
{
	const struct timespec nap = { 0, 50 * 1000 * 1000 };
	int r = 0;

	while (r >= 0) {
		bool alive = o->alive(o->alive_arg);

		if ((r = read_lines(*fp, o, NULL)) < 0 || !alive)
			break;
		if (rotated(*fp, o->path)) {
			FILE *nf = fopen(o->path, "re");

			if (nf) {
				(void)read_lines(*fp, o, NULL);
				fclose(*fp);
				*fp = nf;
				continue;
			}
		}
		nanosleep(&nap, NULL);
	}
	return r;
}

static int emit_ring(const struct nd_log_read *o, struct ring *g)
{
	int r = 0;

	for (size_t i = 0; i < g->n && r >= 0; i++) {
		size_t at = (g->head + i) % g->cap;

		r = emit_line(o, g->v[at], g->len[at]);
	}
	return r;
}

int nd_log_read(const struct nd_log_read *o, struct nd_err **err)
{
	struct ring g = { .cap = o->tail > 0 ? (size_t)o->tail : 0 };
	struct ring *ring = o->tail >= 0 ? &g : NULL;
	FILE *f = NULL;
	int r = 0;

	if (g.cap && (!(g.v = calloc(g.cap, sizeof(*g.v))) || !(g.len = calloc(g.cap, sizeof(*g.len))))) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = read_rotated(o, ring)) < 0)
		goto out;
	f = fopen(o->path, "re");
	if (f && (r = read_lines(f, o, ring)) < 0)
		goto out;
	if (ring && (r = emit_ring(o, ring)) < 0)
		goto out;
	if (f && o->follow && o->alive)
		r = follow(o, &f);
out:
	if (f)
		fclose(f);
	for (size_t i = 0; i < g.n; i++)
		free(g.v[(g.head + i) % g.cap]);
	free(g.v);
	free(g.len);
	if (r == -ENOMEM)
		return nd_oom(err);
	return r < 0 ? nd_err_set(err, ND_ERR_INTERNAL, -r, "log '%s': %s", o->path, strerror(-r)) : 0;
}
