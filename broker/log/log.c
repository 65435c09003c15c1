/* kagid's log: syslog (LOG_AUTHPRIV), or stderr with -f. Secrets never
 * reach here: callers log names, decisions and reasons only. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "common.h"
#include "log.h"

static bool log_stderr;
static bool log_debug_on;

void log_setup(bool to_stderr, bool debug)
{
        log_stderr = to_stderr;
        log_debug_on = debug;
        /* the audit copy goes to syslog in either mode: connect once */
        openlog("kagid", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void log_msg(int prio, const char *fmt, ...)
{
        static const char *const names[] = { "emerg", "alert", "crit", "error",
                                             "warning", "notice", "info", "debug" };
        char line[2048], safe[4096];
        va_list ap;

        if (prio == LOG_DEBUG && !log_debug_on)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        /* lines name accounts, terminals and hosts that others chose: no
         * control character of theirs reaches a terminal or splits a line */
        text_escape_str(line, safe, sizeof(safe));
        if (log_stderr)
                fprintf(stderr, "kagid: %s: %s\n", names[prio & 7], safe);
        else
                syslog(LOG_AUTHPRIV | prio, "%s", safe);
}

void log_audit(const char *line)
{
        /* the syslog copy is the anchor an attacker with the database cannot
         * rewrite; with -f it is shown on stderr as well */
        syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line);
        if (log_stderr)
                fprintf(stderr, "kagid: audit: %s\n", line);
}
