#include "runtime/ttyrelay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"

static volatile sig_atomic_t winch;
static struct termios saved;
static bool raw_on;

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

static void restore_terminal(void)
{
	if (raw_on) {
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		raw_on = false;
	}
}

static bool our_size(struct winsize *ws)
{
	return ioctl(STDIN_FILENO, TIOCGWINSZ, ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, ws) == 0;
}

/* Our terminal's size onto the pty; the kernel tells the container's foreground job (SIGWINCH). */
static void copy_size(int ptm)
{
	struct winsize ws;

	if (our_size(&ws))
		(void)ioctl(ptm, TIOCSWINSZ, &ws);
}

static void make_raw(void)
{
	static bool registered;
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) < 0)
		return;
	if (!registered && atexit(restore_terminal) == 0)
		registered = true;
	raw = saved;
	cfmakeraw(&raw);
	raw_on = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

/* ---- the attach socket: frames [type][len hi][len lo][payload] from the client, raw output to it ---- */

enum { FRAME_DATA = 'd', FRAME_SIZE = 'w' };

struct client {
	int fd;
	unsigned char buf[4096 + 3];
	size_t n;
};

/* Every whole frame in c->buf: data into the pty, a size onto it. */
static void client_frames(struct client *c, int ptm)
{
	size_t off = 0;

	while (c->n - off >= 3) {
		size_t len = (size_t)c->buf[off + 1] << 8 | c->buf[off + 2];

		if (c->n - off < 3 + len)
			break;
		if (c->buf[off] == FRAME_DATA)
			(void)nd_write_all(ptm, c->buf + off + 3, len);
		else if (c->buf[off] == FRAME_SIZE && len == sizeof(struct winsize))
			(void)ioctl(ptm, TIOCSWINSZ, c->buf + off + 3);
		off += 3 + len;
	}
	memmove(c->buf, c->buf + off, c->n - off);
	c->n -= off;
}

static void client_read(struct client *c, int ptm)
{
	ssize_t n = read(c->fd, c->buf + c->n, sizeof(c->buf) - c->n);

	if (n <= 0 && !(n < 0 && errno == EINTR)) {
		nd_closep(&c->fd);
		c->n = 0;
		return;
	}
	if (n > 0) {
		c->n += (size_t)n;
		client_frames(c, ptm);
		if (c->n == sizeof(c->buf)) /* a frame longer than the buffer: not our client */
			nd_closep(&c->fd);
	}
}

/* One client at a time: a new one takes the place of the old (it left without saying so). */
static void client_accept(struct client *c, int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (fd < 0)
		return;
	/* The socket's directory is root's (0700); the peer check says so again. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
		close(fd);
		return;
	}
	nd_closep(&c->fd);
	c->fd = fd;
	c->n = 0;
}

void nd_tty_relay(int ptm, struct nd_log *log, bool echo, bool input, int listen_fd)
{
	struct sigaction sa = { .sa_handler = on_winch }, old;
	struct pollfd p[4] = { { .fd = ptm, .events = POLLIN },
			       { .fd = input ? STDIN_FILENO : -1, .events = POLLIN },
			       { .fd = listen_fd, .events = POLLIN },
			       { .fd = -1, .events = POLLIN } };
	struct client c = { .fd = -1 };
	char buf[65536];

	/* No SA_RESTART: poll must wake up to resize. */
	sigaction(SIGWINCH, &sa, &old);
	if (echo)
		copy_size(ptm);
	if (input)
		make_raw();
	for (;;) {
		ssize_t n;

		if (winch) {
			winch = 0;
			copy_size(ptm);
		}
		p[3].fd = c.fd;
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			/* EIO: the last slave is closed, the container is gone. */
			if ((n = read(ptm, buf, sizeof(buf))) <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				break;
			}
			if (log)
				nd_log_feed(log, 1, buf, (size_t)n);
			if (echo)
				(void)nd_write_all(STDOUT_FILENO, buf, (size_t)n);
			if (c.fd >= 0 && send(c.fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
				nd_closep(&c.fd);
		}
		if (p[1].fd >= 0 && p[1].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0 && !(n < 0 && errno == EINTR))
				p[1].fd = -1; /* end of our input: the container keeps running */
			else if (n > 0)
				(void)nd_write_all(ptm, buf, (size_t)n);
		}
		if (p[2].fd >= 0 && p[2].revents)
			client_accept(&c, listen_fd);
		if (c.fd >= 0 && p[3].fd == c.fd && p[3].revents)
			client_read(&c, ptm);
	}
	nd_closep(&c.fd);
	restore_terminal();
	sigaction(SIGWINCH, &old, NULL);
}

/* "/proc/self/fd/N/attach.sock": a socket path short enough whatever the state dir's length. */
static int sock_addr(int dirfd, struct sockaddr_un *a)
{
	*a = (struct sockaddr_un){ .sun_family = AF_UNIX };
	snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/attach.sock", dirfd);
	return 0;
}

int nd_tty_listen(const char *dir, int *ret_fd, struct nd_err **err)
{
	_cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -1;
	struct sockaddr_un a;

	if (dirfd < 0 || (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "attach socket in '%s': %s", dir, strerror(errno));
	sock_addr(dirfd, &a);
	(void)unlinkat(dirfd, "attach.sock", 0);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "attach socket in '%s': %s", dir, strerror(errno));
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int send_frame(int fd, int type, const void *data, size_t len)
{
	unsigned char hdr[3] = { (unsigned char)type, (unsigned char)(len >> 8), (unsigned char)len };

	return nd_write_all(fd, hdr, 3) < 0 || nd_write_all(fd, data, len) < 0 ? -EPIPE : 0;
}

static void send_size(int fd)
{
	struct winsize ws;

	if (our_size(&ws))
		(void)send_frame(fd, FRAME_SIZE, &ws, sizeof(ws));
}

/* Our input to the container, but Ctrl-P Ctrl-Q (Docker's detach keys): true when they came. */
static bool input_to(int fd, const char *buf, size_t n, bool *held_p)
{
	for (size_t i = 0; i < n; i++) {
		if (*held_p && buf[i] == 0x11)
			return true;
		if (*held_p)
			(void)send_frame(fd, FRAME_DATA, "\x10", 1);
		*held_p = buf[i] == 0x10;
		if (!*held_p)
			(void)send_frame(fd, FRAME_DATA, buf + i, 1);
	}
	return false;
}

static int attach_loop(int fd, bool *ret_detached)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
	bool held_p = false;
	char buf[4096];

	for (;;) {
		ssize_t n;

		if (winch) {
			winch = 0;
			send_size(fd);
		}
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents) {
			if ((n = read(fd, buf, sizeof(buf))) <= 0)
				return 0; /* the container ended */
			(void)nd_write_all(STDOUT_FILENO, buf, (size_t)n);
		}
		if (p[1].revents) {
			if ((n = read(STDIN_FILENO, buf, sizeof(buf))) <= 0) {
				p[1].fd = -1;
				continue;
			}
			if (input_to(fd, buf, (size_t)n, &held_p)) {
				*ret_detached = true;
				return 0;
			}
		}
	}
}

int nd_tty_attach(const char *dir, bool *ret_detached, struct nd_err **err)
{
	_cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -1;
	struct sigaction sa = { .sa_handler = on_winch }, old;
	struct sockaddr_un a;
	int r;

	*ret_detached = false;
	if (dirfd < 0 || (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "attach: %s", strerror(errno));
	sock_addr(dirfd, &a);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return nd_err_set(err, ND_ERR_REFUSED, errno,
				  "cannot attach: the container is not running with -t under a detached monitor (%s)",
				  strerror(errno));
	sigaction(SIGWINCH, &sa, &old);
	send_size(fd);
	make_raw();
	r = attach_loop(fd, ret_detached);
	restore_terminal();
	sigaction(SIGWINCH, &old, NULL);
	return r < 0 ? nd_err_set(err, ND_ERR_INTERNAL, -r, "attach: %s", strerror(-r)) : 0;
}
