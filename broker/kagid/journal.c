/* The syslog copy of audit records (LOG-3): one line each, sent after the
 * commit that wrote the record, so syslog never holds a record the log does
 * not. That copy is the anchor an attacker with write access to the database
 * cannot rewrite. */
#include <stdio.h>

#include "request.h"

static const char *nz(const char *s)
{
        return s ? s : "";
}

void audit_syslog_line(const struct audit_record *r, char *line, size_t size)
{
        char t[40];

        time_format_utc(r->time_us, t);
        /* one line, key=value, as auditd and sshd do; quoted values are ours */
        snprintf(line, size,
                 "kagi-audit seq=%lld time=%s event=%s account=\"%s\" person=\"%s\" terminal=\"%s\" "
                 "service=\"%s\" factor=%s result=%s reason=\"%s\" session=%s",
                 (long long)r->seq, t, nz(r->event), nz(r->account), nz(r->person), nz(r->terminal),
                 nz(r->service), nz(r->factor), nz(r->result), nz(r->reason), nz(r->session));
}

void audit_syslog(const struct audit_record *r)
{
        char line[4096];

        audit_syslog_line(r, line, sizeof(line));
        log_audit(line);
}

