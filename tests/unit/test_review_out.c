/* The review's RECORD frames (broker/kagid/review_out.c): a model far larger
 * than a frame goes out as items packed into frames of at most
 * REVIEW_CHUNK bytes of JSON, none split, in order, each member's record
 * naming its section and member; an empty member still says it was
 * gathered; an object section goes whole. Read back from a socketpair as
 * kagictl reads them. */
#include "unit.h"

#include <pthread.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "review.h"

struct reader {
        int fd;
        json_object *records;                 /* each RECORD's JSON, in order */
        size_t max_len;                       /* the longest JSON text */
};

static void *read_all(void *arg)
{
        struct reader *rd = arg;
        struct kagi_msg *m = msg_new();

        while (frame_recv(rd->fd, m, now_ms() + 5000) == 0 && m->type == KAGI_REP_RECORD) {
                size_t n = m->f[KAGI_T_JSON].len;

                if (n > rd->max_len)
                        rd->max_len = n;
                json_object_array_add(rd->records, json_tokener_parse(msg_str(m, KAGI_T_JSON)));
        }
        msg_free(m);
        return NULL;
}

struct fixture {
        int sv[2];
        struct request rq;
        struct review *rv;
        struct reader rd;
        pthread_t thread;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        if (!f || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->sv) < 0)
                return -1;
        f->rq.fd = f->sv[0];
        f->rv = calloc(1, sizeof(*f->rv));
        f->rv->rq = &f->rq;
        f->rd = (struct reader){ .fd = f->sv[1], .records = json_object_new_array() };
        if (pthread_create(&f->thread, NULL, read_all, &f->rd) != 0)
                return -1;
        *state = f;
        return 0;
}

/* Everything sent: the writer's end closed, the reader done. */
static void finish(struct fixture *f)
{
        assert_int_equal(review_flush(f->rv), 0);
        close(f->sv[0]);
        f->sv[0] = -1;
        pthread_join(f->thread, NULL);
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        if (f->sv[0] >= 0)
                finish(f);
        close(f->sv[1]);
        json_object_put(f->rd.records);
        free(f->rv);
        free(f);
        return 0;
}

static json_object *account(size_t i)
{
        json_object *j = json_object_new_object();
        char name[32];

        snprintf(name, sizeof(name), "u%05zu", i);
        json_object_object_add(j, "name", json_object_new_string(name));
        json_object_object_add(j, "display_name", json_object_new_string("田中 花子 (総務課・情報政策係)"));
        json_object_object_add(j, "type", json_object_new_string("personal"));
        return j;
}

static void a_long_member_is_packed_into_frames_in_order(void **state)
{
        struct fixture *f = *state;
        size_t n = 0;

        for (size_t i = 0; i < 5000; i++) {
                json_object *j = account(i);

                assert_int_equal(review_item(f->rv, "accounts", "items", j), 0);
                json_object_put(j);
        }
        finish(f);
        /* ~500 KB of items: several records, none over the chunk */
        assert_true(json_object_array_length(f->rd.records) > 5);
        assert_true(f->rd.max_len <= REVIEW_CHUNK);
        for (size_t r = 0; r < json_object_array_length(f->rd.records); r++) {
                json_object *rec = json_object_array_get_idx(f->rd.records, r), *items, *v;

                assert_non_null(rec);
                assert_true(json_object_object_get_ex(rec, "section", &v));
                assert_string_equal(json_object_get_string(v), "accounts");
                assert_true(json_object_object_get_ex(rec, "member", &v));
                assert_string_equal(json_object_get_string(v), "items");
                assert_true(json_object_object_get_ex(rec, "items", &items));
                for (size_t i = 0; i < json_object_array_length(items); i++, n++) {
                        char name[32];

                        snprintf(name, sizeof(name), "u%05zu", n);
                        assert_true(json_object_object_get_ex(json_object_array_get_idx(items, i), "name", &v));
                        assert_string_equal(json_object_get_string(v), name);
                }
        }
        assert_int_equal(n, 5000);
        assert_int_equal(f->rv->items, 5000);
        assert_int_equal(f->rv->records, json_object_array_length(f->rd.records));
}

static void members_sections_and_empty_ones_each_get_their_record(void **state)
{
        struct fixture *f = *state;
        json_object *empty = json_object_new_array(), *meta = json_object_new_object(), *j = account(1), *rec, *v;

        json_object_object_add(meta, "schema_version", json_object_new_int(1));
        assert_int_equal(review_item(f->rv, "cards", "active", j), 0);
        assert_int_equal(review_items(f->rv, "cards", "revoked", empty), 0);
        assert_int_equal(review_items(f->rv, "shared", "uses", NULL), 0);
        assert_int_equal(review_value(f->rv, "meta", meta), 0);
        finish(f);
        json_object_put(j);
        json_object_put(empty);
        json_object_put(meta);
        assert_int_equal(json_object_array_length(f->rd.records), 4);
        rec = json_object_array_get_idx(f->rd.records, 1);
        assert_true(json_object_object_get_ex(rec, "member", &v));
        assert_string_equal(json_object_get_string(v), "revoked");
        assert_true(json_object_object_get_ex(rec, "items", &v));
        assert_int_equal(json_object_array_length(v), 0);
        rec = json_object_array_get_idx(f->rd.records, 2);
        assert_true(json_object_object_get_ex(rec, "section", &v));
        assert_string_equal(json_object_get_string(v), "shared");
        rec = json_object_array_get_idx(f->rd.records, 3);
        assert_true(json_object_object_get_ex(rec, "value", &v));
        assert_true(json_object_object_get_ex(v, "schema_version", &v));
        assert_int_equal(json_object_get_int(v), 1);
}

static void an_item_larger_than_a_frame_is_refused(void **state)
{
        struct fixture *f = *state;
        json_object *j = json_object_new_object();
        char *big = malloc(KAGI_FRAME_MAX + 1);

        memset(big, 'x', KAGI_FRAME_MAX);
        big[KAGI_FRAME_MAX] = '\0';
        json_object_object_add(j, "reason", json_object_new_string(big));
        assert_int_equal(review_item(f->rv, "locks", "items", j), -E2BIG);
        json_object_put(j);
        free(big);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(a_long_member_is_packed_into_frames_in_order, setup, teardown),
                cmocka_unit_test_setup_teardown(members_sections_and_empty_ones_each_get_their_record, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(an_item_larger_than_a_frame_is_refused, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
