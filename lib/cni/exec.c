#include "cni/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"

#define ND_PLUGIN_OUT_MAX (1u << 20)

static int find_plugin(const char *cni_path, const char *type, char ret[PATH_MAX], struct nd_err **err)
{
	if (!type[0] || strchr(type, '/') || !strcmp(type, "..") || !strcmp(type, "."))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "plugin type '%s' is not a plugin name", type);
	for (const char *p = cni_path; p && *p;) {
		const char *end = strchrnul(p, ':');
		int n = snprintf(ret, PATH_MAX, "%.*s/%s", (int)(end - p), p, type);

		if (n > 0 && n < PATH_MAX && access(ret, X_OK) == 0)
			return 0;
		p = *end ? end + 1 : end;
	}
	return nd_err_set(err, ND_CNI_INVALID_CONFIG, ENOENT, "plugin '%s' not found in CNI_PATH '%s'", type,
			  cni_path ? cni_path : "");
}

static int read_all(int fd, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = malloc(ND_PLUGIN_OUT_MAX + 1);
	long n;

	if (!buf)
		return -ENOMEM;
	n = nd_read_upto(fd, buf, ND_PLUGIN_OUT_MAX);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	*ret_len = (size_t)n;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* In the child of a single-threaded plugin, so setenv before exec is safe. */
static void child(const char *bin, const char *command, int in, int out)
{
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
		_exit(127);
	/* We ignore SIGPIPE for our own writes; the plugin gets the default back. */
	signal(SIGPIPE, SIG_DFL);
	setenv("CNI_COMMAND", command, 1);
	execl(bin, bin, (char *)NULL);
	_exit(127);
}

static int run(const char *bin, const char *command, const char *input, char **ret_out, size_t *ret_len,
	       int *ret_status)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0, r;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0)
		child(bin, command, in[0], out[1]);
	nd_closep(&in[0]);
	nd_closep(&out[1]);
	/* Configs are small (< pipe buffer is not guaranteed), so write may block: the child reads
	 * all of stdin before printing, as CNI plugins do. */
	r = nd_write_all(in[1], input, strlen(input));
	nd_closep(&in[1]);
	if (r >= 0)
		r = read_all(out[0], ret_out, ret_len);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*ret_status = status;
out:
	nd_closep(&in[0]);
	nd_closep(&in[1]);
	nd_closep(&out[0]);
	nd_closep(&out[1]);
	return r;
}

static int plugin_failed(const char *type, const char *command, const char *out, int status, struct nd_err **err)
{
	json_t *j = json_loads(out, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "msg"));
	json_int_t code = json_integer_value(json_object_get(j, "code"));
	int r;

	if (WIFSIGNALED(status))
		r = nd_err_set(err, ND_ERR_PLUGIN, EIO, "plugin '%s' %s: killed by signal %d", type, command,
			       WTERMSIG(status));
	else
		r = nd_err_set(err, code > 0 && code < 1000 ? (int)code : ND_ERR_PLUGIN, EIO, "plugin '%s' %s: %s",
			       type, command, msg ? msg : "failed without a CNI error");
	json_decref(j);
	return r;
}

int nd_exec_plugin(const char *cni_path, const char *type, const char *command, json_t *conf, json_t **ret_out,
		   struct nd_err **err)
{
	_cleanup_free_ char *input = NULL, *out = NULL;
	char bin[PATH_MAX];
	size_t len = 0;
	int status = 0, r;
	json_error_t jerr;

	r = find_plugin(cni_path, type, bin, err);
	if (r < 0)
		return r;
	input = json_dumps(conf, JSON_COMPACT);
	if (!input)
		return nd_oom(err);
	r = run(bin, command, input, &out, &len, &status);
	if (r < 0)
		return nd_err_set(err, ND_CNI_IO, -r, "running plugin '%s'", bin);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return plugin_failed(type, command, out, status, err);
	*ret_out = NULL;
	if (len == 0)
		return 0;
	*ret_out = json_loadb(out, len, 0, &jerr);
	if (!*ret_out)
		return nd_err_set(err, ND_CNI_DECODE, EINVAL, "plugin '%s' %s printed invalid JSON: %s", type,
				  command, jerr.text);
	return 0;
}
