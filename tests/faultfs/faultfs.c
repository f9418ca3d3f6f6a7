/* faultfs: FUSE pass-through file system with rule-driven fault injection.
 *
 * Usage: faultfs BACKING_DIR MOUNTPOINT [-f] [-o opts] [--rule RULE]...
 *                [--rules-file FILE] [--log FILE]
 * See README.md for the rule syntax.  Build:
 *   gcc -O2 -Wall -Wextra faultfs.c $(pkg-config --cflags --libs fuse3) -lpthread
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { OP_WRITE, OP_READ, OP_FSYNC, OP_OPEN, OP_CREATE, OP_CLOSE, OP_RENAME,
       OP_UNLINK, OP_MKDIR, OP_RMDIR, OP_TRUNCATE, OP_FALLOCATE, OP_N };
static const char *const op_names[OP_N] = { "write", "read", "fsync", "open", "create",
	"close", "rename", "unlink", "mkdir", "rmdir", "truncate", "fallocate" };
enum { F_EIO, F_ENOSPC, F_EACCES, F_EROFS, F_SHORT, F_FLIP, F_SLOW, F_HANG, F_N };
static const char *const fault_names[F_N] = { "eio", "enospc", "eacces", "erofs",
	"short", "flip", "slow", "hang" };
static const int fault_errno[4] = { EIO, ENOSPC, EACCES, EROFS };
#define IS_ERRFAULT(f) ((f) <= F_EROFS)
#define BIT(o) (1u << (o))
#define ALL_OPS ((1u << OP_N) - 1)

struct rule {
	char text[512];          /* the rule as written (identity for reload/hang) */
	char glob[512];
	unsigned ops;            /* bitmask of BIT(OP_*) */
	int fault;
	long long after, offset, every, count, ms;   /* -1 = not given */
	long long bytes, calls, fired;               /* state, under g_lock */
};
struct rules { struct rule *v; int n; };
struct sig { int ok; dev_t dev; ino_t ino; off_t size; struct timespec mt, ct; };

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rules g_cli, g_file;      /* under g_lock */
static char *g_rules_file;
static struct sig g_sig;                /* identity of the loaded rules file */
static int g_sig_valid;
static FILE *g_log;
static int g_bfd = -1;                  /* backing directory fd */
static char g_root[PATH_MAX];

struct fh { int fd; int direct; };
#define FH(fi) ((struct fh *)(uintptr_t)(fi)->fh)

static const char *rel(const char *path)
{
	return (path == NULL || path[0] == '\0' || strcmp(path, "/") == 0) ? "." : path + 1;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;
	if (!g_log)
		return;
	va_start(ap, fmt);
	flockfile(g_log);
	vfprintf(g_log, fmt, ap);
	fflush(g_log);
	funlockfile(g_log);
	va_end(ap);
}

/* ---------------------------------------------------------------- rules */

static int parse_num(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || end == s || v < 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	end += strspn(end, "iB");       /* tolerate KiB / KB */
	*out = v;
	return *end ? -1 : 0;
}

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

#define BAD(...) return (snprintf(err, errlen, __VA_ARGS__), -1)

/* Parse one rule; returns 0, or -1 with a message in err. */
static int parse_rule(const char *text, struct rule *r, char *err, size_t errlen)
{
	static const struct { const char *k; size_t off; } nums[] = {
		{ "after", offsetof(struct rule, after) }, { "offset", offsetof(struct rule, offset) },
		{ "every", offsetof(struct rule, every) }, { "count", offsetof(struct rule, count) },
		{ "ms", offsetof(struct rule, ms) } };
	char buf[512], *save = NULL, *tok;
	memset(r, 0, sizeof(*r));
	if (strlen(text) >= sizeof(buf))
		BAD("rule too long");
	strcpy(r->text, text);
	strcpy(buf, text);
	strcpy(r->glob, "*");
	r->ops = ALL_OPS;
	r->fault = -1;
	r->after = r->offset = r->every = r->count = r->ms = -1;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " \t");
		char *v = strchr(tok, '=');
		if (!v)
			BAD("'%s' is not key=value", tok);
		*v++ = '\0';
		size_t i;
		if (!strcmp(tok, "path")) {
			snprintf(r->glob, sizeof(r->glob), "%s", v);
		} else if (!strcmp(tok, "op")) {
			char *s2 = NULL, *o;
			r->ops = 0;
			for (o = strtok_r(v, "|", &s2); o; o = strtok_r(NULL, "|", &s2)) {
				int k = lookup(op_names, OP_N, o);
				if (k < 0 && strcmp(o, "*") && strcmp(o, "all"))
					BAD("unknown op '%s'", o);
				r->ops |= k < 0 ? ALL_OPS : BIT(k);
			}
		} else if (!strcmp(tok, "fault")) {
			if ((r->fault = lookup(fault_names, F_N, v)) < 0)
				BAD("unknown fault '%s'", v);
		} else {
			for (i = 0; i < sizeof(nums) / sizeof(nums[0]) && strcmp(tok, nums[i].k); i++)
				;
			if (i == sizeof(nums) / sizeof(nums[0]))
				BAD("unknown key '%s'", tok);
			if (parse_num(v, (long long *)((char *)r + nums[i].off)))
				BAD("bad number '%s' for %s", v, tok);
		}
	}
	if (r->fault < 0)
		BAD("missing fault=");
	if (r->fault == F_SLOW && r->ms < 0)
		BAD("fault=slow needs ms=N");
	if (r->every == 0 || !r->ops)
		BAD("every=0 or empty op list");
	if (r->fault == F_FLIP && r->count < 0)
		r->count = 1;
	return 0;
}

/* Re-read the rules file if it changed (inode, size, mtime or ctime).
 * A line that is still there, unchanged, keeps its counters.  g_lock held. */
static void maybe_reload_locked(void)
{
	struct stat st;
	struct sig s;
	if (!g_rules_file)
		return;
	memset(&s, 0, sizeof(s));
	if ((s.ok = stat(g_rules_file, &st) == 0)) {
		s.dev = st.st_dev; s.ino = st.st_ino; s.size = st.st_size;
		s.mt = st.st_mtim; s.ct = st.st_ctim;
	}
	if (g_sig_valid && !memcmp(&s, &g_sig, sizeof(s)))
		return;
	g_sig = s;
	g_sig_valid = 1;
	struct rules nr = { NULL, 0 };
	FILE *f = s.ok ? fopen(g_rules_file, "r") : NULL;
	char *line = NULL, err[200];
	size_t cap = 0;
	for (int lineno = 1; f && getline(&line, &cap, f) >= 0; lineno++) {
		char *p = line + strspn(line, " \t"), *e = p + strlen(p);
		while (e > p && strchr("\r\n \t", e[-1]))
			*--e = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		struct rule r, *nv = realloc(nr.v, (nr.n + 1) * sizeof(*nv));
		if (!nv)
			break;
		nr.v = nv;
		if (parse_rule(p, &r, err, sizeof(err))) {
			logf_("# faultfs: %s:%d: bad rule '%s': %s\n", g_rules_file, lineno, p, err);
			fprintf(stderr, "faultfs: %s:%d: bad rule '%s': %s\n", g_rules_file, lineno, p, err);
			continue;
		}
		for (int i = 0; i < g_file.n; i++) {
			struct rule *o = &g_file.v[i];
			if (o->fault >= 0 && !strcmp(o->text, r.text)) {
				r.bytes = o->bytes; r.calls = o->calls; r.fired = o->fired;
				o->fault = -1;  /* consumed */
				break;
			}
		}
		nr.v[nr.n++] = r;
	}
	free(line);
	if (f)
		fclose(f);
	free(g_file.v);
	g_file = nr;
}

/* Is a hang rule with exactly this text still loaded?  g_lock held. */
static int hang_present_locked(const char *text)
{
	struct rules *sets[2] = { &g_cli, &g_file };
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < sets[s]->n; i++)
			if (sets[s]->v[i].fault == F_HANG && !strcmp(sets[s]->v[i].text, text))
				return 1;
	return 0;
}

struct action {
	int fault;          /* -1: nothing fired */
	size_t limit;       /* >0: write only this many bytes (after= boundary split) */
	long long ms, flip_at;
	char text[512];
};

static int applicable(int fault, int op)
{
	if (fault == F_SHORT)
		return op == OP_WRITE;
	if (fault == F_FLIP)
		return op == OP_WRITE || op == OP_READ;
	return 1;
}

/* Decide what happens to one call: pass 0 evaluates the triggers (at most one
 * rule fires, the first in order), pass 1 adds the bytes that really move to
 * the byte counters of all rules whose path matches.  g_lock held. */
static void decide_locked(int op, const char *path, const char *path2, off_t off,
			  size_t size, struct action *a)
{
	struct rules *sets[2] = { &g_cli, &g_file };
	int io = (op == OP_WRITE || op == OP_READ);
	size_t moved = size;
	if (!path)
		path = "";
	for (int pass = 0; pass < 2; pass++) {
		for (int s = 0; s < 2; s++) {
			for (int i = 0; i < sets[s]->n; i++) {
				struct rule *r = &sets[s]->v[i];
				if (fnmatch(r->glob, path, 0) != 0 &&
				    !(path2 && fnmatch(r->glob, path2, 0) == 0))
					continue;
				int cnt_op = (r->ops & BIT(OP_READ)) && !(r->ops & BIT(OP_WRITE))
					? OP_READ : OP_WRITE;
				if (pass == 1) {
					if (op == cnt_op)
						r->bytes += moved;
					continue;
				}
				if (!(r->ops & BIT(op)) || !applicable(r->fault, op))
					continue;
				if (r->offset >= 0 && (!io || r->offset < off ||
						       r->offset >= off + (long long)size))
					continue;
				if (r->after >= 0 && r->bytes < r->after) {
					/* error fault, write straddling the boundary: let
					 * exactly the bytes below the boundary through */
					if (a->fault < 0 && !a->limit && op == OP_WRITE &&
					    IS_ERRFAULT(r->fault) && cnt_op == OP_WRITE &&
					    r->bytes + (long long)size > r->after)
						moved = a->limit = r->after - r->bytes;
					continue;
				}
				r->calls++;
				if ((r->every > 0 && r->calls % r->every != 0) ||
				    (r->count >= 0 && r->fired >= r->count) ||
				    a->fault >= 0 || a->limit)
					continue;
				r->fired++;
				a->fault = r->fault;
				a->ms = r->ms;
				a->flip_at = r->offset >= 0 ? r->offset : off;
				strcpy(a->text, r->text);
				if (IS_ERRFAULT(r->fault))
					moved = 0;
				else if (r->fault == F_SHORT)
					moved = size / 2 ? size / 2 : 1;
			}
		}
	}
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Sleep in 50 ms slices.  ms < 0: no cap.  hang_text: stop when that rule is
 * gone.  Returns 0 to proceed, -EINTR if the request was interrupted (client
 * got a signal), -EIO if the file system is being unmounted. */
static int fault_wait(long long ms, const char *hang_text)
{
	long long start = now_ms();
	struct fuse_context *c = fuse_get_context();
	struct fuse_session *se = c && c->fuse ? fuse_get_session(c->fuse) : NULL;
	for (;;) {
		long long left = ms < 0 ? 50 : ms - (now_ms() - start);
		if (left <= 0)
			return 0;
		struct timespec ts = { 0, (left > 50 ? 50 : left) * 1000000L };
		nanosleep(&ts, NULL);
		if (se && fuse_session_exited(se))
			return -EIO;
		if (fuse_interrupted())
			return -EINTR;
		if (hang_text) {
			pthread_mutex_lock(&g_lock);
			maybe_reload_locked();
			int present = hang_present_locked(hang_text);
			pthread_mutex_unlock(&g_lock);
			if (!present)
				return 0;
		}
	}
}

/* Returns <0 to fail the call with that errno, 0 to go on (then consult *a). */
static int inject(int op, const char *path, const char *path2, off_t off, size_t size,
		  struct action *a)
{
	char extra[PATH_MAX + 32] = "";
	a->fault = -1;
	a->limit = 0;
	if (!g_rules_file && g_cli.n == 0)
		return 0;
	pthread_mutex_lock(&g_lock);
	maybe_reload_locked();
	decide_locked(op, path, path2, off, size, a);
	pthread_mutex_unlock(&g_lock);
	if (a->fault < 0)
		return 0;
	if (a->fault == F_FLIP)
		snprintf(extra, sizeof(extra), " at=%lld", a->flip_at);
	else if (path2)
		snprintf(extra, sizeof(extra), " to=%s", path2);
	logf_("fault=%s op=%s path=%s offset=%lld size=%zu%s\n", fault_names[a->fault],
	      op_names[op], path ? path : "-", (long long)off, size, extra);
	if (IS_ERRFAULT(a->fault))
		return -fault_errno[a->fault];
	if (a->fault == F_SLOW || a->fault == F_HANG)
		return fault_wait(a->ms, a->fault == F_HANG ? a->text : NULL);
	return 0;
}

/* ----------------------------------------------------------- operations */

#define ERR(x) ((x) < 0 ? -errno : 0)
#define INJECT(op, p, p2) do { struct action a_; int r_ = inject(op, p, p2, 0, 0, &a_); \
	if (r_ < 0) return r_; } while (0)

static void *ff_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	/* hard_remove stays off: with it, fstat()/fchmod() of an open unlinked
	 * file fail with ESTALE (the kernel sends no file handle for them). */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;   /* writes must reach us synchronously */
	return NULL;
}

static int ff_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	/* A stat of the mount is how a test makes a rules change take effect now (a rule removed
	 * and put back then starts from zero); getattr itself is never faulted. */
	if (g_rules_file) {
		pthread_mutex_lock(&g_lock);
		maybe_reload_locked();
		pthread_mutex_unlock(&g_lock);
	}
	return ERR(fi ? fstat(FH(fi)->fd, st) : fstatat(g_bfd, rel(path), st, AT_SYMLINK_NOFOLLOW));
}

static int ff_access(const char *path, int mask) { return ERR(faccessat(g_bfd, rel(path), mask, 0)); }

static int ff_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(g_bfd, rel(path), buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int ff_opendir(const char *path, struct fuse_file_info *fi)
{
	int fd = openat(g_bfd, rel(path), O_RDONLY | O_DIRECTORY);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	int e = errno;
	if (!d && fd >= 0)
		close(fd);
	fi->fh = (uintptr_t)d;
	return d ? 0 : -e;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	DIR *d = (DIR *)(uintptr_t)fi->fh;
	struct dirent *de;
	(void)path; (void)off; (void)flags;
	rewinddir(d);   /* "mode 1": the whole directory in one call, offsets ignored */
	for (;;) {
		struct stat st;
		errno = 0;
		if ((de = readdir(d)) == NULL)
			return -errno;
		memset(&st, 0, sizeof(st));
		st.st_ino = de->d_ino;
		st.st_mode = (mode_t)de->d_type << 12;
		if (filler(buf, de->d_name, &st, 0, 0))
			return 0;
	}
}

static int ff_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return closedir((DIR *)(uintptr_t)fi->fh), 0;
}

static int ff_mknod(const char *path, mode_t mode, dev_t rdev) { return ERR(mknodat(g_bfd, rel(path), mode, rdev)); }
static int ff_symlink(const char *target, const char *path) { return ERR(symlinkat(target, g_bfd, rel(path))); }
static int ff_link(const char *from, const char *to) { return ERR(linkat(g_bfd, rel(from), g_bfd, rel(to), 0)); }

static int ff_mkdir(const char *path, mode_t mode)
{
	INJECT(OP_MKDIR, path, NULL);
	return ERR(mkdirat(g_bfd, rel(path), mode));
}

static int ff_rmdir(const char *path)
{
	INJECT(OP_RMDIR, path, NULL);
	return ERR(unlinkat(g_bfd, rel(path), AT_REMOVEDIR));
}

static int is_hidden(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;
	return b && !strncmp(b + 1, ".fuse_hidden", 12);
}

static int ff_unlink(const char *path)
{
	if (!is_hidden(path))   /* libfuse removing its own .fuse_hidden* file: no fault */
		INJECT(OP_UNLINK, path, NULL);
	return ERR(unlinkat(g_bfd, rel(path), 0));
}

static int ff_rename(const char *from, const char *to, unsigned int flags)
{
	if (is_hidden(to))      /* libfuse hides busy files instead of unlinking them */
		INJECT(OP_UNLINK, from, NULL);
	else
		INJECT(OP_RENAME, from, to);
	if (flags == 0)
		return ERR(renameat(g_bfd, rel(from), g_bfd, rel(to)));
	return ERR(syscall(SYS_renameat2, g_bfd, rel(from), g_bfd, rel(to), flags));
}

static int ff_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return ERR(fi ? fchmod(FH(fi)->fd, mode) : fchmodat(g_bfd, rel(path), mode, 0));
}

static int ff_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	return ERR(fi ? fchown(FH(fi)->fd, uid, gid)
		      : fchownat(g_bfd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW));
}

static int ff_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	return ERR(fi ? futimens(FH(fi)->fd, tv) : utimensat(g_bfd, rel(path), tv, AT_SYMLINK_NOFOLLOW));
}

static int ff_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	char full[PATH_MAX * 2];
	INJECT(OP_TRUNCATE, path, NULL);
	if (fi)
		return ERR(ftruncate(FH(fi)->fd, size));
	snprintf(full, sizeof(full), "%s%s", g_root, path);
	return ERR(truncate(full, size));
}

static int open_common(int fd, struct fuse_file_info *fi)
{
	struct fh *h = fd < 0 ? NULL : malloc(sizeof(*h));
	if (!h)
		return fd < 0 ? -errno : (close(fd), -ENOMEM);
	h->fd = fd;
	h->direct = (fi->flags & O_DIRECT) != 0;
	fi->direct_io = h->direct;   /* kernel then sends O_DIRECT I/O straight to us */
	fi->fh = (uintptr_t)h;
	return 0;
}

static int ff_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	INJECT(OP_CREATE, path, NULL);
	return open_common(openat(g_bfd, rel(path), fi->flags | O_CREAT, mode), fi);
}

static int ff_open(const char *path, struct fuse_file_info *fi)
{
	INJECT(OP_OPEN, path, NULL);
	return open_common(openat(g_bfd, rel(path), fi->flags & ~O_CREAT), fi);
}

/* O_DIRECT on the backing fd needs aligned memory; libfuse's buffers are not. */
#define ALIGN 4096
static int misaligned(const void *p) { return ((uintptr_t)p & (ALIGN - 1)) != 0; }

static int ff_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fh *h = FH(fi);
	struct action a;
	int r = inject(OP_READ, path, NULL, off, size, &a);
	if (r < 0)
		return r;
	char *dst = buf;
	void *bounce = NULL;
	if (h->direct && misaligned(buf)) {
		if (posix_memalign(&bounce, ALIGN, size ? size : 1))
			return -ENOMEM;
		dst = bounce;
	}
	size_t done = 0;
	while (done < size) {
		ssize_t n = pread(h->fd, dst + done, size - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && done == 0) {
			int e = errno;
			free(bounce);
			return -e;
		}
		if (n <= 0)
			break;
		done += n;
		if (h->direct)   /* a short O_DIRECT read means EOF; do not retry unaligned */
			break;
	}
	if (bounce) {
		memcpy(buf, bounce, done);
		free(bounce);
	}
	if (a.fault == F_FLIP && a.flip_at >= off && a.flip_at < off + (off_t)done)
		buf[a.flip_at - off] ^= (char)0xFF;
	return (int)done;
}

static int ff_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fh *h = FH(fi);
	struct action a;
	int r = inject(OP_WRITE, path, NULL, off, size, &a);
	if (r < 0)
		return r;
	size_t n = size;
	if (a.fault == F_SHORT)
		n = size / 2 ? size / 2 : 1;
	else if (a.limit)
		n = a.limit;
	if (h->direct && n < size) {
		/* O_DIRECT partial writes stay aligned; a single block cannot come back shorter */
		n &= ~(size_t)(ALIGN - 1);
		if (n == 0)
			n = size;
	}
	int flip = a.fault == F_FLIP && a.flip_at >= off && a.flip_at < off + (off_t)n;
	const char *src = buf;
	void *copy = NULL;
	if (flip || (h->direct && misaligned(buf))) {
		if (posix_memalign(&copy, ALIGN, n ? n : 1))
			return -ENOMEM;
		memcpy(copy, buf, n);
		if (flip)
			((char *)copy)[a.flip_at - off] ^= (char)0xFF;
		src = copy;
	}
	size_t done = 0;
	int err = 0;
	while (done < n) {
		ssize_t w = pwrite(h->fd, src + done, n - done, off + done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			err = errno;
		if (w <= 0)
			break;
		done += w;
	}
	free(copy);
	return (done == 0 && err) ? -err : (int)done;
}

static int ff_statfs(const char *path, struct statvfs *st) { (void)path; return ERR(fstatvfs(g_bfd, st)); }

static int ff_flush(const char *path, struct fuse_file_info *fi)   /* = close(2) */
{
	INJECT(OP_CLOSE, path, NULL);
	int d = dup(FH(fi)->fd);
	return d < 0 ? -errno : ERR(close(d));
}

static int ff_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close(FH(fi)->fd);
	return free(FH(fi)), 0;
}

static int ff_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	INJECT(OP_FSYNC, path, NULL);
	return ERR(datasync ? fdatasync(FH(fi)->fd) : fsync(FH(fi)->fd));
}

static int ff_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	INJECT(OP_FALLOCATE, path, NULL);
	return ERR(fallocate(FH(fi)->fd, mode, off, len));
}

static off_t ff_lseek(const char *path, off_t off, int whence, struct fuse_file_info *fi)
{
	(void)path;
	off_t r = lseek(FH(fi)->fd, off, whence);
	return r < 0 ? -errno : r;
}

static const struct fuse_operations ff_ops = {
	.init = ff_init, .getattr = ff_getattr, .access = ff_access,
	.readlink = ff_readlink, .opendir = ff_opendir, .readdir = ff_readdir,
	.releasedir = ff_releasedir, .mknod = ff_mknod, .mkdir = ff_mkdir,
	.unlink = ff_unlink, .rmdir = ff_rmdir, .symlink = ff_symlink,
	.rename = ff_rename, .link = ff_link, .chmod = ff_chmod, .chown = ff_chown,
	.truncate = ff_truncate, .utimens = ff_utimens, .create = ff_create,
	.open = ff_open, .read = ff_read, .write = ff_write, .statfs = ff_statfs,
	.flush = ff_flush, .release = ff_release, .fsync = ff_fsync,
	.fallocate = ff_fallocate, .lseek = ff_lseek,
};

/* ----------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr,
		"usage: faultfs BACKING_DIR MOUNTPOINT [-f] [-d] [-o opt,...]\n"
		"               [--rule RULE]... [--rules-file FILE] [--log FILE]\n"
		"RULE: [path=GLOB,][op=OP[|OP...],]fault=eio|enospc|short|flip|slow|hang|eacces|erofs\n"
		"      [,after=BYTES][,offset=N][,every=K][,count=N][,ms=N]\n"
		"OP:   write read fsync open create close rename unlink mkdir rmdir truncate fallocate\n");
}

int main(int argc, char *argv[])
{
	char **fargv = calloc(argc + 3, sizeof(char *)), cwd[PATH_MAX], err[200];
	const char *backing = NULL, *logpath = NULL;
	int fargc = 0, npos = 0, help = 0;
	if (!fargv)
		return 1;
	fargv[fargc++] = argv[0];
	/* our defaults first, so that later user -o options override them; many
	 * threads so that hung requests never starve INTERRUPT/unmount handling */
	fargv[fargc++] = "-o";
	fargv[fargc++] = "auto_unmount,max_threads=256,max_idle_threads=64";
	for (int i = 1; i < argc; i++) {
		char *a = argv[i], *val = NULL;
		size_t kl = strcspn(a, "=");
		if ((kl == 6 && !strncmp(a, "--rule", 6)) || (kl == 5 && !strncmp(a, "--log", 5)) ||
		    (kl == 12 && !strncmp(a, "--rules-file", 12))) {
			if (a[kl] == '=')
				val = a + kl + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return usage(), 2;
		}
		if (val && kl == 6) {               /* --rule */
			struct rule *nv = realloc(g_cli.v, (g_cli.n + 1) * sizeof(*nv));
			if (!nv)
				return 1;
			g_cli.v = nv;
			if (parse_rule(val, &g_cli.v[g_cli.n++], err, sizeof(err))) {
				fprintf(stderr, "faultfs: bad rule '%s': %s\n", val, err);
				return 2;
			}
		} else if (val && kl == 12) {       /* --rules-file: absolute, we chdir("/") */
			if (val[0] == '/' || !getcwd(cwd, sizeof(cwd)))
				g_rules_file = strdup(val);
			else if (asprintf(&g_rules_file, "%s/%s", cwd, val) < 0)
				return 1;
		} else if (val) {                   /* --log */
			logpath = val;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			fargv[fargc++] = argv[i++];
			fargv[fargc++] = argv[i];
		} else if (a[0] != '-' && npos++ == 0) {
			backing = a;
		} else {
			if (!strcmp(a, "-h") || !strcmp(a, "--help"))
				usage(), help = 1;
			fargv[fargc++] = a;
		}
	}
	if (!backing && !help)
		return usage(), 2;
	if (backing && ((g_bfd = open(backing, O_RDONLY | O_DIRECTORY)) < 0 ||
			!realpath(backing, g_root))) {
		fprintf(stderr, "faultfs: %s: %s\n", backing, strerror(errno));
		return 1;
	}
	if (logpath && !(g_log = fopen(logpath, "a"))) {
		fprintf(stderr, "faultfs: %s: %s\n", logpath, strerror(errno));
		return 1;
	}
	umask(0);   /* the kernel already applied the caller's umask to modes */
	int ret = fuse_main(fargc, fargv, &ff_ops, NULL);
	free(g_cli.v);
	free(g_file.v);
	free(g_rules_file);
	if (g_log)
		fclose(g_log);
	free(fargv);
	return ret;
}
