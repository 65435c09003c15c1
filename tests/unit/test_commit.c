/* Group commit (broker/store/commit.c): transactions of many threads share
 * commits, each sees the ones before it, one that rolls back takes nothing
 * of the others with it, and the audit chain stays one chain in commit
 * order. On a real SQLite store in a temporary directory. */
#include "unit.h"

#include <pthread.h>

#include "store.h"

#define THREADS 16
#define ROUNDS 40

static const uint8_t key[KAGI_KEY_LEN] = "audit-key-for-the-unit-tests-01";

struct ctx {
        char path[PATH_MAX];
        int index;
        int committed, rolled_back;
};

/* Each transaction adds one failure to a shared counter (read-modify-write)
 * and one audit record; every fifth one changes its mind. */
static void *writer_thread(void *arg)
{
        struct ctx *c = arg;
        struct store *s = NULL;
        char err[256];

        if (store_open(c->path, geteuid(), &s, err, sizeof(err)) < 0)
                return (void *)1;
        for (int i = 0; i < ROUNDS; i++) {
                struct lock_state st;
                struct audit_record r = { .event = "auth", .account = "shared", .result = "failure" };
                bool keep = (i + c->index) % 5 != 0;

                if (store_begin(s) < 0 || store_lock_get(s, "shared", &st) < 0)
                        return (void *)1;
                st.failures++;
                if (store_lock_put(s, "shared", &st) < 0 || audit_append(s, key, &r) < 0)
                        return (void *)1;
                if (keep) {
                        if (store_commit(s) < 0)
                                return (void *)1;
                        c->committed++;
                } else {
                        store_rollback(s);
                        c->rolled_back++;
                }
        }
        store_close(s);
        return NULL;
}

static void concurrent_transactions_all_count_once(void **state)
{
        struct ctx ctx[THREADS];
        pthread_t th[THREADS];
        char *dir = unit_tmpdir(), err[256];
        struct store *s = NULL;
        struct lock_state st;
        struct audit_verdict v;
        int committed = 0;

        (void)state;
        for (int i = 0; i < THREADS; i++) {
                ctx[i] = (struct ctx){ .index = i };
                unit_path(ctx[i].path, sizeof(ctx[i].path), dir, "kagi.db");
        }
        /* the schema exists before the threads race to use it */
        assert_int_equal(store_open(ctx[0].path, geteuid(), &s, err, sizeof(err)), 0);
        for (int i = 0; i < THREADS; i++)
                assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &ctx[i]), 0);
        for (int i = 0; i < THREADS; i++) {
                void *res;

                assert_int_equal(pthread_join(th[i], &res), 0);
                assert_null(res);
                committed += ctx[i].committed;
        }
        assert_int_equal(store_lock_get(s, "shared", &st), 0);
        assert_int_equal(st.failures, committed);
        assert_int_equal(audit_verify(s, key, &v), 0);
        assert_true(v.ok);
        assert_int_equal(v.records, committed);
        store_close(s);
        unit_rmtree(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(concurrent_transactions_all_count_once),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
