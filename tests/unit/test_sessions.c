/* The sessions table (broker/store/sessions.c) as two writers use it: a
 * request (logout, grant extend, session end) writes the row it read in its
 * transaction; kagid's session watcher writes from its own copy, which may
 * be older. The watcher's write never undoes the request's. On a real
 * SQLite store in a temporary directory. */
#include "unit.h"

#include "store.h"

struct fx {
        char *dir;
        struct store *s;
};

static int setup(void **state)
{
        static struct fx f;
        char path[PATH_MAX], err[256];

        f.dir = unit_tmpdir();
        snprintf(path, sizeof(path), "%s/kagi.db", f.dir);
        if (store_open(path, geteuid(), &f.s, err, sizeof(err)) < 0)
                return -1;
        *state = &f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;

        store_close(f->s);
        unit_rmtree(f->dir);
        return 0;
}

static void add(struct store *s, struct session_row *r)
{
        *r = (struct session_row){ .pid = 4242, .started = 1000, .deadline = 2000, .grant = 7, .tty_uid = -1 };
        snprintf(r->id, sizeof(r->id), "0123456789abcdef0123456789abcdef");
        snprintf(r->account, sizeof(r->account), "root");
        snprintf(r->person, sizeof(r->person), "alice");
        snprintf(r->service, sizeof(r->service), "su");
        snprintf(r->state, sizeof(r->state), "open");
        snprintf(r->cgroup, sizeof(r->cgroup), "/kagi/s1");
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_session_add(s, r), 0);
        assert_int_equal(store_commit(s), 0);
}

static void put(struct store *s, const struct session_row *r, bool watcher)
{
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(watcher ? store_session_watched(s, r) : store_session_put(s, r), 0);
        assert_int_equal(store_commit(s), 0);
}

/* The watcher warns from a copy read before the person logged out: the
 * row stays ended by the logout. */
static void a_warning_from_an_older_copy_keeps_the_logout(void **state)
{
        struct fx *f = *state;
        struct session_row watcher, request, now;

        add(f->s, &watcher);
        request = watcher;
        snprintf(request.state, sizeof(request.state), "ended");
        snprintf(request.end_how, sizeof(request.end_how), "logout");
        request.ended = 1500;
        put(f->s, &request, false);
        watcher.warned = 1400;
        put(f->s, &watcher, true);
        assert_int_equal(store_session_get(f->s, watcher.id, &now), 0);
        assert_string_equal(now.state, "ended");
        assert_string_equal(now.end_how, "logout");
        assert_int_equal(now.ended, 1500);
        assert_int_equal(now.warned, 1400);
}

/* A grant extended meanwhile: the watcher's write leaves the new deadline. */
static void an_extension_meanwhile_keeps_its_deadline(void **state)
{
        struct fx *f = *state;
        struct session_row watcher, request, now;

        add(f->s, &watcher);
        request = watcher;
        request.deadline = 2600;
        put(f->s, &request, false);
        watcher.warned = 1900;
        put(f->s, &watcher, true);
        assert_int_equal(store_session_get(f->s, watcher.id, &now), 0);
        assert_int_equal(now.deadline, 2600);
        assert_string_equal(now.state, "open");
}

/* An end asked for meanwhile (kagictl session end) keeps its reason; the
 * watcher's end of the session then closes it. */
static void an_end_asked_for_keeps_its_reason_and_the_watcher_closes_it(void **state)
{
        struct fx *f = *state;
        struct session_row watcher, request, now;

        add(f->s, &watcher);
        request = watcher;
        snprintf(request.state, sizeof(request.state), "ending");
        snprintf(request.end_how, sizeof(request.end_how), "ended by root: maintenance over");
        put(f->s, &request, false);
        watcher.warned = 1900;               /* an older copy: still open */
        put(f->s, &watcher, true);
        assert_int_equal(store_session_get(f->s, watcher.id, &now), 0);
        assert_string_equal(now.state, "ending");
        assert_string_equal(now.end_how, "ended by root: maintenance over");
        /* its processes gone: ended, when the last went */
        watcher = now;
        snprintf(watcher.state, sizeof(watcher.state), "ended");
        watcher.ended = watcher.last_gone = 1950;
        put(f->s, &watcher, true);
        assert_int_equal(store_session_get(f->s, watcher.id, &now), 0);
        assert_string_equal(now.state, "ended");
        assert_int_equal(now.ended, 1950);
        assert_int_equal(now.last_gone, 1950);
        assert_string_equal(now.end_how, "ended by root: maintenance over");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(a_warning_from_an_older_copy_keeps_the_logout, setup, teardown),
                cmocka_unit_test_setup_teardown(an_extension_meanwhile_keeps_its_deadline, setup, teardown),
                cmocka_unit_test_setup_teardown(an_end_asked_for_keeps_its_reason_and_the_watcher_closes_it, setup,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
