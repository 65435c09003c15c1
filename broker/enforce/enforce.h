/* libkagi-enforce: the mechanism kagid uses to bound a session.
 *
 * Holds: finding what can confine a session on this host (a transient scope
 * through systemd, else kagi's own cgroup v2 directory, else nothing: a value
 * on which the caller refuses the privileged login); a session's cgroup:
 * moving a process in, listing and remembering its processes, watching it
 * empty, ending all of them (terminal message, SIGHUP, SIGTERM, then
 * cgroup.kill) and removing it; careful terminal warnings; the pure warning
 * schedule.
 *
 * Must never: signal a bare PID (only pidfds opened while their process was
 * verifiably in the session); write to anything but a tty owned by the
 * session's user, or write a control character to one, or block on it;
 * create cgroups in a systemd-owned tree except through systemd; exit, print
 * or log by itself (negative errno returns; notes go to the caller's
 * callback). Not thread-safe: one struct enforce belongs to one thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- the mechanism ------------------------------------------------------ */

enum enforce_kind {
        ENFORCE_NONE = 0,          /* nothing can bound a session here: refuse */
        ENFORCE_SYSTEMD_SCOPE = 1, /* transient scope units through systemd */
        ENFORCE_CGROUP = 2,        /* kagi's own directory in the cgroup v2 tree */
};

/* "none", "systemd-scope", "cgroup" */
const char *enforce_kind_name(enum enforce_kind kind);

/* priority is a syslog level (LOG_WARNING, LOG_NOTICE, ...). */
typedef void (*enforce_log_fn)(void *userdata, int priority, const char *message);

struct enforce_config {
        enum enforce_kind force;   /* 0: detect (systemd if booted with it, else cgroup) */
        const char *cgroup_root;   /* cgroup mode: below the cgroup2 mount; default "kagi" */
        const char *slice;         /* systemd mode: default "kagi.slice" */
        const char *mountinfo;     /* default /proc/self/mountinfo (tests point it elsewhere) */
        enforce_log_fn log;        /* optional */
        void *log_data;
};

struct enforce;

/* Probes the host. Returns 0 with a mechanism that may be ENFORCE_NONE (see
 * enforce_why_none); negative errno only for -ENOMEM or an invalid config. */
int enforce_new(const struct enforce_config *cfg, struct enforce **ret);
void enforce_free(struct enforce *e);
static inline void enforce_freep(struct enforce **e) { enforce_free(*e); *e = NULL; }
enum enforce_kind enforce_kind(const struct enforce *e);
/* One line saying why no mechanism is available; NULL when there is one. */
const char *enforce_why_none(const struct enforce *e);
/* cgroup mode: kagi's directory ("/sys/fs/cgroup/unified/kagi"); else NULL. */
const char *enforce_cgroup_root(const struct enforce *e);

/* ---- sessions ------------------------------------------------------------ */

#define ENFORCE_ID_MAX 64            /* characters of a session ID: [a-z0-9-] */
#define ENFORCE_SEEN_MAX 4096        /* processes remembered per session */

bool enforce_id_valid(const char *id);

struct enforce_session;

/* Creates the session's cgroup (systemd: the scope kagi-session-ID.scope in
 * the slice, waiting for its job) and moves pid into it; the process's later
 * children inherit it. -EOPNOTSUPP when the mechanism is NONE, -EINVAL for a
 * bad ID, -EEXIST when the session exists, -ESRCH when pid is gone. */
int enforce_session_start(struct enforce *e, const char *id, pid_t pid, struct enforce_session **ret);
/* A session started earlier, e.g. before kagid restarted: -ENOENT when its
 * cgroup is gone. Processes seen before the restart are not remembered. */
int enforce_session_open(struct enforce *e, const char *id, struct enforce_session **ret);
/* Moves one more process in (verified through a pidfd, like the first). */
int enforce_session_add(struct enforce_session *s, pid_t pid);
/* Closes what it holds; the cgroup and its processes stay as they are. */
void enforce_session_free(struct enforce_session *s);
static inline void enforce_session_freep(struct enforce_session **s) { enforce_session_free(*s); *s = NULL; }

const char *enforce_session_id(const struct enforce_session *s);
/* The cgroup as /proc/PID/cgroup names it ("/kagi/ID"): for the store. */
const char *enforce_session_cgroup(const struct enforce_session *s);

/* Where the end message goes: PAM_TTY and the uid that must own that tty
 * (the person at the terminal, PAM_RUSER's uid for su/sudo). -EINVAL when
 * PAM_TTY names no terminal (e.g. "ssh"); the session then gets no message. */
int enforce_session_set_terminal(struct enforce_session *s, const char *pam_tty, uid_t owner);

/* Remembers every process now in the session's cgroup (or below it) through
 * a pidfd, so it can be signalled even after a root shell moves it out. Call
 * it whenever the session is looked at; returns how many were new. */
int enforce_session_scan(struct enforce_session *s);
/* The PIDs now in the cgroup and below it, for display (never for kill()). */
int enforce_session_pids(struct enforce_session *s, pid_t **ret_pids, size_t *ret_n);
/* 1 while any process is in the cgroup or below, 0 when empty. */
int enforce_session_populated(struct enforce_session *s);
/* Becomes ready with POLLPRI (EPOLLPRI) whenever populated may have changed;
 * owned by the session. */
int enforce_session_events_fd(const struct enforce_session *s);
/* Signals every remembered process (after a scan); returns how many. */
int enforce_session_signal(struct enforce_session *s, int sig);

/* Ending, driven by the caller's event loop: enforce_session_end writes the
 * message to the terminal (when set), sends SIGHUP, SIGTERM and SIGCONT, and
 * arms cgroup.kill for grace_ms later. enforce_session_end_continue, called
 * when the events fd is ready or at *ret_wake_ms (CLOCK_MONOTONIC ms, as
 * now_ms()), kills once the grace is over and returns 1 when every process is
 * gone (also those moved out) and the cgroup removed, 0 when not yet. */
int enforce_session_end(struct enforce_session *s, const char *message, int64_t grace_ms);
int enforce_session_end_continue(struct enforce_session *s, int64_t *ret_wake_ms);
/* For the session's record: true when processes outlived the grace and
 * cgroup.kill / SIGKILL ended them. */
bool enforce_session_was_killed(const struct enforce_session *s);
/* Removes an empty session's cgroup; -EBUSY while processes are in it. */
int enforce_session_remove(struct enforce_session *s);

/* ---- terminal warnings ----------------------------------------------------- */

#define ENFORCE_TTY_TEXT_MAX 1024    /* bytes written to a terminal at most */

/* Pure: the device PAM_TTY names. Accepts "/dev/pts/N", "pts/N", "ttyN" and
 * "/dev/ttyN" (N decimal, no leading zero); anything else is -EINVAL. */
int enforce_tty_path(const char *pam_tty, char *buf, size_t size);
/* Pure: text fit for a terminal, NUL-terminated in buf (size >= 1): valid
 * UTF-8 kept (Japanese intact), C0/C1 controls, DEL and bidi overrides
 * dropped except tab; "\n" becomes "\r\n"; an invalid byte becomes '?'; cut
 * at a character boundary. Returns the length. */
size_t enforce_tty_sanitize(const char *text, char *buf, size_t size);
/* Opens the tty O_WRONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC|O_NOFOLLOW, checks it
 * is a tty (character device, isatty) owned by owner, writes the sanitised
 * text without blocking. -EINVAL (not a terminal), -EPERM (someone else's),
 * -EAGAIN (its buffer was full: partly written). */
int enforce_tty_write(const char *pam_tty, uid_t owner, const char *text);

/* ---- the warning schedule (pure) ------------------------------------------- */

#define ENFORCE_NEVER INT64_MIN

struct enforce_plan {
        bool expired;                /* now >= deadline: end the session */
        bool warn;                   /* a warning is due now */
        int64_t lead;                /* when warn: its lead (seconds before the deadline) */
        int64_t wake;                /* the next warning or the deadline, whichever is first */
};

/* Times in seconds. leads: seconds before the deadline to warn at, any order;
 * a warning whose time is before start is skipped; last_warned: when the
 * last warning was written (ENFORCE_NEVER if none). Several overdue warnings
 * (kagid was down) give one. -EINVAL for deadline < start or n_leads > 64. */
int enforce_schedule(int64_t start, int64_t deadline, const uint32_t *leads, size_t n_leads,
                     int64_t last_warned, int64_t now, struct enforce_plan *ret);

/* ---- between the library's own files (and its tests), not for callers ----- */
#ifdef ENFORCE_INTERNAL
#include <systemd/sd-bus.h>

struct enforce {
        enum enforce_kind kind;
        char why_none[256];
        char *mount;                 /* the cgroup2 mount point */
        char *mount_root;            /* what /proc/PID/cgroup calls that mount ("/") */
        int mount_fd;
        char *root;                  /* cgroup mode: kagi's directory below the mount */
        char *root_path;             /* the same, absolute */
        int root_fd;
        char *slice;
        sd_bus *bus;                 /* systemd mode */
        enforce_log_fn log;
        void *log_data;
};

struct enforce_seen {
        pid_t pid;
        int pidfd;
};

enum enforce_end_state { END_NONE, END_GRACE, END_KILLED, END_DONE };

struct enforce_session {
        struct enforce *e;
        char id[ENFORCE_ID_MAX + 1];
        char *cgroup;                /* "/kagi/ID", as in /proc/PID/cgroup */
        char *rel;                   /* the same below mount_fd, without the leading '/' */
        int dir_fd;
        int events_fd;
        struct enforce_seen *seen;
        size_t n_seen;
        bool seen_full_logged;
        char *tty;
        uid_t tty_owner;
        enum enforce_end_state end;
        int64_t kill_at;
        bool killed;
};

void enforce_log(const struct enforce *e, int priority, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Sets the mechanism to ENFORCE_NONE with the reason; returns 0. */
int enforce_none(struct enforce *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* mechanism.c: pure; the first cgroup2 mount in mountinfo text. */
int enforce_mountinfo_cgroup2(const char *text, char **ret_mount, char **ret_root);
/* A whole file of at most max bytes, NUL-terminated. */
int enforce_read_all(int fd, size_t max, char **ret, size_t *ret_len);

/* cgroup.c: the files every mechanism's cgroup has. */
int cg_write(int dir_fd, const char *file, const char *text);
int cg_read_pids(int dir_fd, pid_t **ret, size_t *ret_n);
int cg_populated(int events_fd);
int cg_open_session(struct enforce_session *s);
int cg_remove_tree(int parent_fd, const char *name, unsigned depth);
typedef int (*cg_visit_fn)(int dir_fd, const char *cgroup, void *userdata);
int cg_walk(int dir_fd, const char *cgroup, cg_visit_fn visit, void *userdata);

/* scope.c: systemd's side of a session. */
int scope_unit_name(const char *id, char *buf, size_t size);
int scope_connect(struct enforce *e);
int scope_start(struct enforce *e, const char *id, pid_t pid);
int scope_attach(struct enforce *e, const char *id, pid_t pid);
int scope_cgroup(struct enforce *e, const char *id, char **ret_cgroup);
int scope_stop(struct enforce *e, const char *id);

/* seen.c: pidfds known to belong to the session. The pidfd_in_cgroup*
 * checks return 1 (in that very cgroup), 0 (elsewhere), -ESRCH (gone). */
int pidfd_in_cgroup(int pidfd, pid_t pid, int dir_fd, const char *cgroup);
int pidfd_in_cgroup_proc(int pidfd, pid_t pid, const char *cgroup);
/* Takes pidfd (opened on pid before it was moved): remembered if verified in
 * the session's own cgroup, else closed and -ESRCH. */
int seen_adopt(struct enforce_session *s, pid_t pid, int pidfd);
void seen_clear(struct enforce_session *s);
/* Forgets the processes that have exited; returns how many are left. */
size_t seen_prune(struct enforce_session *s);
#endif
