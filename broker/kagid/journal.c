/* The syslog copy of audit records (LOG-3): one line each, sent after the
 * commit that wrote the record, so syslog never holds a record the log does
 * not. That copy is the anchor an attacker with write access to the database
 * cannot rewrite. */
#include <stdio.h>

#include "request.h"

/* Values chosen by others (the user name comes from whoever connected to
 * sshd) are escaped, so none can end its field early, start a line, or move
 * a terminal's cursor: the line has the fields kagid wrote, and only those. */
#define FIELD 1200

static const char *esc(const char *s, char buf[FIELD])
{
        text_escape_str(s, buf, FIELD);
        return buf;
}

void audit_syslog_line(const struct audit_record *r, char *line, size_t size)
{
        char t[40];
        char ev[FIELD], acct[FIELD], person[FIELD], term[FIELD], svc[FIELD], factor[FIELD], result[FIELD],
                reason[FIELD], session[FIELD];

        time_format_utc(r->time_us, t);
        /* one line, key=value, as auditd and sshd do; quoted values are ours */
        snprintf(line, size,
                 "kagi-audit seq=%lld time=%s event=%s account=\"%s\" person=\"%s\" terminal=\"%s\" "
                 "service=\"%s\" factor=%s result=%s reason=\"%s\" session=%s",
                 (long long)r->seq, t, esc(r->event, ev), esc(r->account, acct), esc(r->person, person),
                 esc(r->terminal, term), esc(r->service, svc), esc(r->factor, factor), esc(r->result, result),
                 esc(r->reason, reason), esc(r->session, session));
}

void audit_syslog(const struct audit_record *r)
{
        static _Thread_local char line[9 * FIELD + 256];

        audit_syslog_line(r, line, sizeof(line));
        log_audit(line);
}
