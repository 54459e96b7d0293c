/*
 * alert_int.h - what the alert layer's files share; not for other layers.
 */
#ifndef DH_ALERT_ALERT_INT_H
#define DH_ALERT_ALERT_INT_H

#include <stddef.h>

#include "store/finding.h"

/* 1 when s is a plain nft identifier, else 0. */
int alert__ident_ok(const char *s);

/* 1 when s is an address that is safe on a command line and in a
 * header, else 0. */
int alert__mailbox_ok(const char *s);

/*
 * Runs argv[0] (looked up in PATH) with argv, in a process group of its
 * own, the n bytes of data on its standard input and its standard output
 * sent to standard error; kills the group after timeout_ms (callers
 * pass ALERT_CHILD_TIMEOUT_S, tests less). argv and data are borrowed. Returns 0 when it exited
 * with status 0, -ETIMEDOUT when it was killed, -ECHILD for another exit status or signal, or the
 * negative errno of a failed fork or exec.
 */
int alert__run(char *const argv[], const char *data, size_t n, int timeout_ms);

/* Runs the operator's hook command through /bin/sh -c, data on stdin. */
int alert__run_hook(const char *cmd, const char *data, size_t n, int timeout_ms);

/* Mails f to rcpt through the sendmail program; json is its JSON line. */
int alert__mail(const char *sendmail, const char *rcpt, const struct store_finding *f,
                const char *json, size_t n);

/* Builds the RFC 5322 message alert__mail() hands to sendmail; now is
 * the Date: header's time in seconds since the epoch. */
void alert__mail_message(const char *rcpt, const struct store_finding *f, const char *json,
                         size_t n, int64_t now, struct dh_buf *out);

#endif
