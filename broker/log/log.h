/* libkagi-log: kagid's own log — syslog (LOG_AUTHPRIV), or stderr with -f.
 *
 * Holds: log_setup, log_msg and its level macros, log_audit for the one-line
 * syslog copy of an audit record.
 * Never: a secret (password, PIN, code, key) in any line; callers log names,
 * decisions and reasons only.
 */
#pragma once

#include <stdbool.h>
#include <syslog.h>

void log_setup(bool to_stderr, bool debug);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One audit record as a line: to syslog (LOG_AUTHPRIV), and to stderr with -f. */
void log_audit(const char *line);
#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
