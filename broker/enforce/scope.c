/* systemd's side of a session, where systemd owns the cgroup tree: a
 * transient scope kagi-session-ID.scope in kagi's slice, started with the
 * session's first process as logind starts a session scope, and waited for
 * until its job is done (then the process is in it). Everything after that
 * works on the scope's cgroup directly (seen.c, kill.c): systemd only
 * creates and removes it. Tested on hosts without systemd only against
 * tests/enforce/fake-systemd.py; real systemd is for a systemd host to show. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "common.h"
#define ENFORCE_INTERNAL
#include "enforce.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define BUS_TIMEOUT_USEC (10ULL * 1000 * 1000)

int scope_unit_name(const char *id, char *buf, size_t size)
{
        int n;

        if (!enforce_id_valid(id))
                return -EINVAL;
        n = snprintf(buf, size, "kagi-session-%s.scope", id);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* One meaning for the two errors callers act on; the rest as sd-bus maps them. */
static int bus_error(struct enforce *e, const char *what, const sd_bus_error *err, int r)
{
        if (sd_bus_error_has_name(err, "org.freedesktop.systemd1.UnitExists"))
                return -EEXIST;
        if (sd_bus_error_has_name(err, "org.freedesktop.systemd1.NoSuchUnit"))
                return -ENOENT;
        enforce_log(e, LOG_WARNING, "systemd %s: %s", what,
                    sd_bus_error_is_set(err) ? err->message : strerror(-r));
        return r;
}

int scope_connect(struct enforce *e)
{
        sd_bus_error err = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_open_system(&e->bus);
        if (r < 0)
                return enforce_none(e, "the system bus (for systemd) is unreachable: %s", strerror(-r));
        sd_bus_set_method_call_timeout(e->bus, BUS_TIMEOUT_USEC);
        /* JobRemoved is what says a scope is up; ask for it as logind does.
         * It is also the probe: no answer, no scopes. */
        r = sd_bus_call_method(e->bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &err, NULL, NULL);
        if (r < 0 && !sd_bus_error_has_name(&err, "org.freedesktop.systemd1.AlreadySubscribed")) {
                enforce_none(e, "systemd does not answer on the system bus: %s",
                             sd_bus_error_is_set(&err) ? err.message : strerror(-r));
                sd_bus_error_free(&err);
                return 0;
        }
        sd_bus_error_free(&err);
        return 1;
}

struct job_wait {
        const char *path;            /* the job, once StartTransientUnit answered */
        char result[32];
        bool done;
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct job_wait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        (void)ret_error;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->path && strcmp(path, w->path) == 0) {
                snprintf(w->result, sizeof(w->result), "%s", result);
                w->done = true;
        }
        return 0;
}

static uint64_t mono_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Signals that arrived with the reply are queued; sd_bus_process hands them over. */
static int wait_job(sd_bus *bus, struct job_wait *w)
{
        uint64_t deadline = mono_usec() + BUS_TIMEOUT_USEC;

        while (!w->done) {
                uint64_t now;
                int r = sd_bus_process(bus, NULL);

                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                now = mono_usec();
                if (now >= deadline)
                        return -ETIMEDOUT;
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        return r;
        }
        return strcmp(w->result, "done") == 0 ? 0 : -EIO;
}

static int start_message(struct enforce *e, const char *unit, const char *id, pid_t pid, sd_bus_message **ret)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        char desc[128];
        int r;

        snprintf(desc, sizeof(desc), "kagi session %s", id);
        r = sd_bus_message_new_method_call(e->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)",
                                          "PIDs", "au", 1, (uint32_t)pid,
                                          "Slice", "s", e->slice,
                                          "Description", "s", desc,
                                          "CollectMode", "s", "inactive-or-failed");
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        *ret = m;
        m = NULL;
        return 0;
}

int scope_start(struct enforce *e, const char *id, pid_t pid)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        sd_bus_error err = SD_BUS_ERROR_NULL;
        struct job_wait w = { 0 };
        char unit[ENFORCE_ID_MAX + 32];
        const char *job;
        int r;

        r = scope_unit_name(id, unit, sizeof(unit));
        if (r < 0)
                return r;
        /* the match before the call, or the job could end unseen */
        r = sd_bus_match_signal(e->bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
        if (r < 0)
                return r;
        r = start_message(e, unit, id, pid, &m);
        if (r < 0)
                return r;
        r = sd_bus_call(e->bus, m, 0, &err, &reply);
        if (r < 0) {
                r = bus_error(e, "StartTransientUnit", &err, r);
                sd_bus_error_free(&err);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0)
                return r;
        w.path = job;
        r = wait_job(e->bus, &w);
        if (r < 0)
                enforce_log(e, LOG_WARNING, "systemd: %s did not start: %s", unit,
                            r == -EIO ? w.result : strerror(-r));
        return r;
}

/* A Manager method whose first argument is the session's unit name. */
static int manager_call(struct enforce *e, const char *id, const char *method, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error err = SD_BUS_ERROR_NULL;
        char unit[ENFORCE_ID_MAX + 32];
        va_list ap;
        int r;

        r = scope_unit_name(id, unit, sizeof(unit));
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(e->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, method);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", unit);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return r;
        r = sd_bus_call(e->bus, m, 0, &err, NULL);
        if (r < 0)
                r = bus_error(e, method, &err, r);
        sd_bus_error_free(&err);
        return r < 0 ? r : 0;
}

int scope_attach(struct enforce *e, const char *id, pid_t pid)
{
        return manager_call(e, id, "AttachProcessesToUnit", "sau", "", 1, (uint32_t)pid);
}

int scope_cgroup(struct enforce *e, const char *id, char **ret_cgroup)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error err = SD_BUS_ERROR_NULL;
        char unit[ENFORCE_ID_MAX + 32], *cg = NULL;
        const char *path;
        int r;

        r = scope_unit_name(id, unit, sizeof(unit));
        if (r < 0)
                return r;
        /* GetUnit, unlike the unit's object path, does not load a unit that is gone */
        r = sd_bus_call_method(e->bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", &err, &reply, "s", unit);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                r = sd_bus_get_property_string(e->bus, SD_DEST, path, "org.freedesktop.systemd1.Scope",
                                               "ControlGroup", &err, &cg);
        if (r < 0) {
                r = bus_error(e, "ControlGroup", &err, r);
                sd_bus_error_free(&err);
                return r;
        }
        if (!cg[0]) {
                free(cg);
                return -ENOENT;        /* loaded but no longer running */
        }
        *ret_cgroup = cg;
        return 0;
}

int scope_stop(struct enforce *e, const char *id)
{
        int r = manager_call(e, id, "StopUnit", "s", "fail");

        return r == -ENOENT ? 0 : r;    /* already gone: what was wanted */
}
