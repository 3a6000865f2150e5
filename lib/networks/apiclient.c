#include "networks/apiclient.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"

/* An attach can wait for the state lock behind a long GC; longer than that is a hung daemon. */
#define API_TIMEOUT_S 120

const char *nd_api_socket(void)
{
	const char *s = getenv("NETD_SOCKET");

	return s && *s ? s : ND_API_SOCKET;
}

void nd_api_escape(const char *s, char *ret, size_t size)
{
	size_t at = 0;

	for (; *s && at + 4 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~", ch))
			ret[at++] = (char)ch;
		else
			at += (size_t)snprintf(ret + at, size - at, "%%%02X", ch);
	}
	ret[at] = '\0';
}

static int connect_unix(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = API_TIMEOUT_S };
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int parse_answer(const char *buf, size_t len, int *ret_status, json_t **ret_body, struct nd_err **err)
{
	const char *body = strstr(buf, "\r\n\r\n");
	json_error_t jerr;
	int status = 0;

	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || !body)
		return nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "daemon: malformed HTTP answer");
	body += 4;
	*ret_body = NULL;
	if (body < buf + len && !(*ret_body = json_loadb(body, len - (size_t)(body - buf), 0, &jerr)))
		return nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "daemon: answer is not JSON: %s", jerr.text);
	*ret_status = status;
	return 0;
}

int nd_api_call(const char *sock, const char *method, const char *path, json_t *body, int *ret_status,
		json_t **ret_body, struct nd_err **err)
{
	_cleanup_free_ char *text = NULL, *req = NULL, *ans = NULL;
	_cleanup_close_ int fd = -1;
	size_t blen = 0, alen = 0;
	int n, r;

	if (body && !(text = json_dumps(body, JSON_COMPACT)))
		return nd_oom(err);
	blen = text ? strlen(text) : 0;
	r = connect_unix(sock, &fd);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return r;
	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "daemon socket '%s': %s", sock, strerror(-r));
	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: netd\r\nConnection: close\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     method, path, blen, text ? text : "");
	if (n < 0) {
		req = NULL;
		return nd_oom(err);
	}
	/* The answer: its headers, and a body of at most ND_API_BODY_MAX. */
	if ((r = nd_send_all(fd, req, (size_t)n)) < 0 || (r = nd_read_all(fd, ND_API_BODY_MAX + 4096, &ans, &alen)) < 0)
		return r == -ENOMEM ? nd_oom(err)
				    : nd_err_set(err, ND_ERR_INTERNAL, -r, "daemon socket '%s': %s", sock, strerror(-r));
	return parse_answer(ans, alen, ret_status, ret_body, err);
}

int nd_api_error(int status, json_t *body, struct nd_err **err)
{
	const char *msg = json_string_value(json_object_get(body, "message"));
	json_int_t c = json_integer_value(json_object_get(body, "code"));
	/* A code this client lacks (a newer daemon's, or none) stands for its HTTP status's. */
	int code = c > 0 && c <= INT_MAX && nd_code_known((int)c) ? (int)c : nd_code_of_http((unsigned int)status);
	int exit = nd_code_info(code)->exit;

	return nd_err_set(err, code, exit == ND_EXIT_NOTFOUND ? ENOENT : exit == ND_EXIT_CONFLICT ? EEXIST
				     : exit == ND_EXIT_EXHAUSTED ? ENOSPC : EIO,
			  "%s", msg ? msg : "daemon answered without a message");
}
