/*
 * -t: the monitor relays the container's pty. Output goes to the log (stream stdout, as
 * Docker's json-file has it for a tty) and, in the foreground, to our stdout; with -i our
 * stdin goes in. When our stdin is a terminal it is put in raw mode for the relay (the
 * container's pty does the line discipline) and restored on every way out, exit() included;
 * the pty's size follows ours (SIGWINCH).
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"
#include "runtime/ctrlog.h"

/*
 * Until the pty's last slave is closed (the container ended). log may be NULL (netd exec -t).
 * listen_fd (-1: none): the attach socket (nd_tty_listen) of a detached monitor, whose
 * client (netd attach, one at a time) gets the output and gives input and its size.
 */
void nd_tty_relay(int ptm, struct nd_log *log, bool echo, bool input, int listen_fd);
/* <dir>/attach.sock, listening (root only: the directory is 0700 and peers are checked). */
int nd_tty_listen(const char *dir, int *ret_fd, struct nd_err **err);
/*
 * netd attach: our terminal (raw) on the container's pty through <dir>/attach.sock, until
 * the container ends or Ctrl-P Ctrl-Q (*ret_detached). Code ND_ERR_REFUSED when nobody listens.
 */
int nd_tty_attach(const char *dir, bool *ret_detached, struct nd_err **err);
