/* Ending a session: the message, SIGHUP, SIGTERM (and SIGCONT so a stopped
 * process gets to see them), then after a grace cgroup.kill, which the
 * kernel applies to every process of the subtree at once, also to ones that
 * fork meanwhile, called setsid, or ignore every signal but SIGKILL. A process
 * a root shell moved out of the cgroup after kagi saw it gets each signal
 * through its pidfd. Driven by the caller's event loop: nothing here waits. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <syslog.h>
#include <unistd.h>

#include "common.h"
#define ENFORCE_INTERNAL
#include "enforce.h"

#define RECHECK_OUTSIDE_MS 100  /* moved-out processes: no event says they left */
#define RECHECK_KILLED_MS 20    /* after SIGKILL: exit is usually a matter of ms */

/* One scan, then each signal in turn to every process remembered. */
static int signal_all(struct enforce_session *s, const int *sigs, size_t n_sigs)
{
        int r, sent = 0;

        r = enforce_session_scan(s);
        if (r < 0)
                enforce_log(s->e, LOG_WARNING, "session %s: scan before signalling failed: %s",
                            s->id, strerror(-r));
        for (size_t k = 0; k < n_sigs; k++)
                for (size_t i = 0; i < s->n_seen; i++) {
                        if (pidfd_send_signal(s->seen[i].pidfd, sigs[k], NULL, 0) == 0)
                                sent += k == 0;
                        else if (errno != ESRCH)
                                enforce_log(s->e, LOG_WARNING, "session %s: signal %d to process %d: %s",
                                            s->id, sigs[k], (int)s->seen[i].pid, strerror(errno));
                }
        return r < 0 && sent == 0 ? r : sent;
}

int enforce_session_signal(struct enforce_session *s, int sig)
{
        return signal_all(s, &sig, 1);
}

int enforce_session_end(struct enforce_session *s, const char *message, int64_t grace_ms)
{
        int r;

        if (s->end != END_NONE)
                return 0;       /* already ending: keep the first deadline */
        if (grace_ms < 0)
                return -EINVAL;
        if (message && s->tty) {
                r = enforce_tty_write(s->tty, s->tty_owner, message);
                if (r < 0)
                        enforce_log(s->e, LOG_NOTICE, "session %s: no end message on %s: %s",
                                    s->id, s->tty, strerror(-r));
        }
        /* errors are logged, not returned: cgroup.kill needs none of this */
        signal_all(s, (const int[]){ SIGHUP, SIGTERM, SIGCONT }, 3);
        s->kill_at = now_ms() + grace_ms;
        s->end = END_GRACE;
        return 0;
}

static void kill_all(struct enforce_session *s)
{
        size_t outside;
        int r, populated;

        s->killed = cg_populated(s->events_fd) != 0 || seen_prune(s) > 0;
        r = cg_write(s->dir_fd, "cgroup.kill", "1");
        if (r < 0)
                enforce_log(s->e, LOG_ERR, "session %s: cgroup.kill: %s", s->id, strerror(-r));
        /* what is still alive after cgroup.kill and a scan left the cgroup */
        enforce_session_signal(s, SIGKILL);
        populated = cg_populated(s->events_fd);
        outside = seen_prune(s);
        if (populated == 0 && outside > 0)
                enforce_log(s->e, LOG_NOTICE, "session %s: %zu process(es) had left its cgroup; "
                            "killed through their pidfds", s->id, outside);
        s->end = END_KILLED;
}

int enforce_session_end_continue(struct enforce_session *s, int64_t *ret_wake_ms)
{
        int64_t now = now_ms();
        size_t alive;
        int populated, r;

        if (s->end == END_NONE)
                return -EINVAL;
        if (s->end == END_DONE)
                return 1;
        if (s->end == END_GRACE && now >= s->kill_at)
                kill_all(s);

        populated = cg_populated(s->events_fd);
        if (populated < 0)
                return populated;
        alive = seen_prune(s);
        if (populated == 0 && alive == 0) {
                r = enforce_session_remove(s);
                if (r == 0) {
                        s->end = END_DONE;
                        return 1;
                }
                if (r != -EBUSY)
                        return r;
        }
        if (s->end == END_KILLED)
                *ret_wake_ms = now + RECHECK_KILLED_MS;
        else if (populated == 0 && s->kill_at > now + RECHECK_OUTSIDE_MS)
                *ret_wake_ms = now + RECHECK_OUTSIDE_MS;
        else
                *ret_wake_ms = s->kill_at;
        return 0;
}

bool enforce_session_was_killed(const struct enforce_session *s)
{
        return s->killed;
}

int enforce_session_remove(struct enforce_session *s)
{
        int r = cg_populated(s->events_fd);

        if (r < 0)
                return r;
        if (r > 0)
                return -EBUSY;
        if (s->e->kind == ENFORCE_SYSTEMD_SCOPE)
                return scope_stop(s->e, s->id);
        return cg_remove_tree(s->e->root_fd, s->id, 0);
}
