/* The wire codec (common/frame.c): everything frame_put_* builds decodes to
 * the same fields, and every malformed frame is refused with its error. */
#include "unit.h"

#include "common.h"

/* Hand-made frames, for what frame_put_* would never build. */
struct raw {
        size_t len;
        uint8_t b[KAGI_FRAME_MAX + 16];
};

static void raw_start(struct raw *r, uint8_t version, uint8_t type)
{
        memset(r, 0, sizeof(*r));
        r->b[4] = version;
        r->b[5] = type;
        r->len = KAGI_FRAME_HEADER;
}

static void raw_field(struct raw *r, uint8_t tag, const void *p, size_t n)
{
        assert_true(r->len + 3 + n <= sizeof(r->b));
        r->b[r->len] = tag;
        r->b[r->len + 1] = (uint8_t)(n >> 8);
        r->b[r->len + 2] = (uint8_t)n;
        memcpy(r->b + r->len + 3, p, n);
        r->len += 3 + n;
}

static void raw_str(struct raw *r, uint8_t tag, const char *s)
{
        raw_field(r, tag, s, strlen(s));
}

/* Writes the length prefix for what is in the buffer. */
static void raw_seal(struct raw *r)
{
        uint32_t n = (uint32_t)(r->len - 4);

        r->b[0] = (uint8_t)(n >> 24);
        r->b[1] = (uint8_t)(n >> 16);
        r->b[2] = (uint8_t)(n >> 8);
        r->b[3] = (uint8_t)n;
}

/* A valid preauth request: user and service, the two it needs. */
static void raw_preauth(struct raw *r)
{
        raw_start(r, KAGI_PROTO_VERSION, KAGI_REQ_PREAUTH);
        raw_str(r, KAGI_T_USER, "alice");
        raw_str(r, KAGI_T_SERVICE, "login");
}

static int decode_raw(struct raw *r, struct kagi_msg *m)
{
        return frame_decode(r->b, r->len, m);
}

static int decode_frame(const struct frame *f, struct kagi_msg *m)
{
        assert_int_equal(f->error, 0);
        return frame_decode(f->buf, f->len, m);
}

static int setup_msg(void **state)
{
        *state = msg_new();
        return *state ? 0 : -1;
}

static int teardown_msg(void **state)
{
        msg_free(*state);
        return 0;
}

/* ---- round trips --------------------------------------------------------- */

static void frame_round_trips_strings_and_secrets(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_VERIFY);

        frame_put_str(f, KAGI_T_USER, "alice");
        frame_put_str(f, KAGI_T_SERVICE, "sshd");
        frame_put_str(f, KAGI_T_TTY, "ssh");
        frame_put_str(f, KAGI_T_RHOST, "192.0.2.7");
        frame_put_str(f, KAGI_T_RUSER, "bob");
        frame_put_str(f, KAGI_T_ZONE, "mynumber");
        frame_put_str(f, KAGI_T_HOST, "ws-01.example.jp");
        frame_put_str(f, KAGI_T_CODE, "123456");
        frame_put_str(f, KAGI_T_PASSWORD, "パスワード secret");

        assert_int_equal(decode_frame(f, m), 0);
        assert_int_equal(m->version, KAGI_PROTO_VERSION);
        assert_int_equal(m->type, KAGI_REQ_VERIFY);
        assert_string_equal(msg_str(m, KAGI_T_USER), "alice");
        assert_string_equal(msg_str(m, KAGI_T_SERVICE), "sshd");
        assert_string_equal(msg_str(m, KAGI_T_TTY), "ssh");
        assert_string_equal(msg_str(m, KAGI_T_RHOST), "192.0.2.7");
        assert_string_equal(msg_str(m, KAGI_T_RUSER), "bob");
        assert_string_equal(msg_str(m, KAGI_T_ZONE), "mynumber");
        assert_string_equal(msg_str(m, KAGI_T_HOST), "ws-01.example.jp");
        assert_string_equal(msg_str(m, KAGI_T_CODE), "123456");
        assert_string_equal(msg_str(m, KAGI_T_PASSWORD), "パスワード secret");
        assert_int_equal(m->f[KAGI_T_USER].len, 5);
        assert_false(msg_has(m, KAGI_T_FLAGS));
}

static void frame_round_trips_u32(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REP_RESULT);

        frame_put_u32(f, KAGI_T_DECISION, KAGI_DENY_LOCKED);
        frame_put_u32(f, KAGI_T_FACTORS, KAGI_F_PASSWORD | KAGI_F_TOTP);
        frame_put_u32(f, KAGI_T_RETRIES, UINT32_MAX);

        assert_int_equal(decode_frame(f, m), 0);
        assert_int_equal(msg_u32(m, KAGI_T_DECISION, 99), KAGI_DENY_LOCKED);
        assert_int_equal(msg_u32(m, KAGI_T_FACTORS, 0), KAGI_F_PASSWORD | KAGI_F_TOTP);
        assert_int_equal(msg_u32(m, KAGI_T_RETRIES, 0), UINT32_MAX);
        /* absent: the caller's default */
        assert_int_equal(msg_u32(m, KAGI_T_PID, 77), 77);
}

static void frame_round_trips_u64(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_AUDIT_SHOW);

        frame_put_u64(f, KAGI_T_SINCE, UINT64_C(0x0123456789abcdef));
        assert_int_equal(decode_frame(f, m), 0);
        assert_int_equal(msg_u64(m, KAGI_T_SINCE, 0), UINT64_C(0x0123456789abcdef));
        /* a u64 is not readable as a u32 */
        assert_int_equal(msg_u32(m, KAGI_T_SINCE, 5), 5);
        assert_int_equal(msg_u64(m, KAGI_T_USER, 9), 9);
}

/* kagictl report review: the period and the dormancy threshold, nothing else */
static void report_request_carries_a_period_and_days(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_REPORT);
        struct raw r;

        frame_put_u64(f, KAGI_T_SINCE, 1743433200);
        frame_put_u64(f, KAGI_T_UNTIL, 1759244399);
        frame_put_u32(f, KAGI_T_DAYS, 90);
        assert_int_equal(decode_frame(f, m), 0);
        assert_string_equal(kagi_msg_type_name(m->type), "report");
        assert_int_equal(msg_u64(m, KAGI_T_SINCE, 0), 1743433200);
        assert_int_equal(msg_u64(m, KAGI_T_UNTIL, 0), 1759244399);
        assert_int_equal(msg_u32(m, KAGI_T_DAYS, 0), 90);

        /* every argument may be left out: kagid's defaults apply */
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_REPORT);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), 0);
        /* but it names no account */
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_REPORT);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);
}

static void frame_round_trips_blobs_with_nul_bytes(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_CARD_VERIFY);
        const uint8_t cert[] = { 0x30, 0x82, 0x00, 0x00, 0x01, 0x00 };
        const uint8_t chal[32] = { 0 };
        const uint8_t sig[] = { 0xff, 0x00, 0xfe };

        frame_put_str(f, KAGI_T_USER, "alice");
        frame_put_str(f, KAGI_T_SERVICE, "login");
        frame_put_blob(f, KAGI_T_CERT, cert, sizeof(cert));
        frame_put_blob(f, KAGI_T_CHALLENGE, chal, sizeof(chal));
        frame_put_blob(f, KAGI_T_SIGNATURE, sig, sizeof(sig));

        assert_int_equal(decode_frame(f, m), 0);
        assert_int_equal(m->f[KAGI_T_CERT].len, sizeof(cert));
        assert_memory_equal(m->f[KAGI_T_CERT].p, cert, sizeof(cert));
        assert_int_equal(m->f[KAGI_T_CHALLENGE].len, sizeof(chal));
        assert_memory_equal(m->f[KAGI_T_CHALLENGE].p, chal, sizeof(chal));
        assert_int_equal(m->f[KAGI_T_SIGNATURE].len, sizeof(sig));
        assert_memory_equal(m->f[KAGI_T_SIGNATURE].p, sig, sizeof(sig));
}

static void frame_round_trips_empty_string_as_present(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_PREAUTH);

        frame_put_str(f, KAGI_T_USER, "alice");
        frame_put_str(f, KAGI_T_SERVICE, "su");
        frame_put_str(f, KAGI_T_RHOST, "");
        frame_put_str(f, KAGI_T_RUSER, NULL);   /* NULL: left out */

        assert_int_equal(decode_frame(f, m), 0);
        assert_true(msg_has(m, KAGI_T_RHOST));
        assert_string_equal(msg_str(m, KAGI_T_RHOST), "");
        assert_false(msg_has(m, KAGI_T_RUSER));
        assert_null(msg_str(m, KAGI_T_RUSER));
}

/* The largest frame there is: exactly KAGI_FRAME_MAX bytes. */
static void frame_round_trips_frame_of_maximum_size(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REP_RESULT);
        _cleanup_(freep) char *json = malloc(KAGI_FRAME_MAX);
        size_t json_len = KAGI_FRAME_MAX - 64;
        /* header 6, decision 3+4, json 3+json_len, message 3+rest */
        size_t msg_len = KAGI_FRAME_MAX - 6 - 7 - 3 - json_len - 3;
        char text[128];

        assert_non_null(json);
        memset(json, 'j', json_len);
        json[json_len] = '\0';
        memset(text, 'x', msg_len);
        text[msg_len] = '\0';
        frame_put_u32(f, KAGI_T_DECISION, KAGI_ALLOW);
        frame_put_str(f, KAGI_T_JSON, json);
        frame_put_str(f, KAGI_T_MESSAGE, text);
        assert_int_equal(f->len, KAGI_FRAME_MAX);

        assert_int_equal(decode_frame(f, m), 0);
        assert_int_equal(strlen(msg_str(m, KAGI_T_JSON)), json_len);
        assert_string_equal(msg_str(m, KAGI_T_MESSAGE), text);
}

/* msg_str gives exactly the field, although the next field follows it
 * directly in the frame. */
static void msg_str_is_nul_terminated(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_PREAUTH);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_str(&r, KAGI_T_SERVICE, "login");
        raw_str(&r, KAGI_T_TTY, "tty1");
        raw_seal(&r);

        assert_int_equal(decode_raw(&r, m), 0);
        assert_string_equal(msg_str(m, KAGI_T_USER), "alice");
        assert_int_equal(strlen(msg_str(m, KAGI_T_USER)), 5);
        assert_string_equal(msg_str(m, KAGI_T_SERVICE), "login");
        assert_string_equal(msg_str(m, KAGI_T_TTY), "tty1");
}

static void msg_reused_forgets_earlier_fields(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        raw_preauth(&r);
        raw_str(&r, KAGI_T_RUSER, "root");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), 0);
        assert_true(msg_has(m, KAGI_T_RUSER));

        raw_preauth(&r);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), 0);
        assert_false(msg_has(m, KAGI_T_RUSER));
}

static void msg_has_refuses_tags_out_of_range(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        raw_preauth(&r);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), 0);
        assert_false(msg_has(m, KAGI_TAG_MAX_));
        assert_false(msg_has(m, (enum kagi_tag)1000));
        assert_null(msg_str(m, KAGI_TAG_MAX_));
}

static void msg_type_names(void **state)
{
        (void)state;
        assert_string_equal(kagi_msg_type_name(KAGI_REQ_PREAUTH), "preauth");
        assert_string_equal(kagi_msg_type_name(KAGI_REP_RESULT), "result");
        assert_string_equal(kagi_msg_type_name(0), "unknown");
        assert_string_equal(kagi_msg_type_name(KAGI_REQ_ABANDON), "abandon");
        assert_string_equal(kagi_msg_type_name(11), "unknown");
        assert_string_equal(kagi_msg_type_name(255), "unknown");
}

/* ---- rejections ------------------------------------------------------------ */

static void frame_rejects_short_header(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        raw_preauth(&r);
        raw_seal(&r);
        for (size_t n = 0; n < KAGI_FRAME_HEADER; n++)
                assert_int_equal(frame_decode(r.b, n, m), -EINVAL);

        /* a length prefix too small to hold version and type */
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_AUDIT_VERIFY);
        raw_seal(&r);
        r.b[3] = 1;
        assert_int_equal(decode_raw(&r, m), -EINVAL);
}

static void frame_rejects_length_mismatch(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        raw_preauth(&r);
        raw_seal(&r);
        /* fewer bytes than the prefix announces */
        assert_int_equal(frame_decode(r.b, r.len - 1, m), -EINVAL);
        /* more bytes than it announces */
        assert_int_equal(frame_decode(r.b, r.len + 1, m), -EINVAL);
        /* a prefix that announces more than was sent */
        r.b[3]++;
        assert_int_equal(decode_raw(&r, m), -EINVAL);
}

static void frame_rejects_too_long(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(freep) uint8_t *big = calloc(1, KAGI_FRAME_MAX + 1);
        uint32_t n = KAGI_FRAME_MAX + 1 - 4;
        size_t total = 0;

        assert_non_null(big);
        big[0] = (uint8_t)(n >> 24);
        big[1] = (uint8_t)(n >> 16);
        big[2] = (uint8_t)(n >> 8);
        big[3] = (uint8_t)n;
        big[4] = KAGI_PROTO_VERSION;
        big[5] = KAGI_REP_RECORD;
        assert_int_equal(frame_total_length(big, &total), -E2BIG);
        assert_int_equal(total, 0);
        assert_int_equal(frame_decode(big, KAGI_FRAME_MAX + 1, m), -E2BIG);
}

static void frame_total_length_reads_the_prefix(void **state)
{
        const uint8_t ok[4] = { 0, 0, 0, 2 }, max[4] = { 0, 0, 0xff, 0xfc }, small[4] = { 0, 0, 0, 1 },
                      huge[4] = { 0xff, 0xff, 0xff, 0xff };
        size_t n = 0;

        (void)state;
        assert_int_equal(frame_total_length(ok, &n), 0);
        assert_int_equal(n, KAGI_FRAME_HEADER);
        assert_int_equal(frame_total_length(max, &n), 0);
        assert_int_equal(n, KAGI_FRAME_MAX);
        assert_int_equal(frame_total_length(small, &n), -EINVAL);
        assert_int_equal(frame_total_length(huge, &n), -E2BIG);
        assert_int_equal(n, KAGI_FRAME_MAX);    /* untouched by the failures */
}

static void frame_rejects_wrong_version(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        for (unsigned v = 0; v < 256; v++) {
                if (v == KAGI_PROTO_VERSION)
                        continue;
                raw_start(&r, (uint8_t)v, KAGI_REQ_PREAUTH);
                raw_str(&r, KAGI_T_USER, "alice");
                raw_str(&r, KAGI_T_SERVICE, "login");
                raw_seal(&r);
                assert_int_equal(decode_raw(&r, m), -EPROTO);
        }
}

static void frame_rejects_unknown_type(void **state)
{
        struct kagi_msg *m = *state;
        const uint8_t unknown[] = { 0, 10, 31, 43, 63, 66, 128, 255 };
        struct raw r;

        for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
                raw_start(&r, KAGI_PROTO_VERSION, unknown[i]);
                raw_seal(&r);
                assert_int_equal(decode_raw(&r, m), -EBADMSG);
        }
}

static void frame_rejects_tag_not_allowed_for_the_type(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        /* a TOTP code has no business in a preauth request */
        raw_preauth(&r);
        raw_str(&r, KAGI_T_CODE, "123456");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);

        /* nor a decision in a request */
        raw_preauth(&r);
        raw_field(&r, KAGI_T_DECISION, "\0\0\0\0", 4);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);

        /* tags that do not exist at all */
        raw_preauth(&r);
        raw_str(&r, 0, "x");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);
        raw_preauth(&r);
        raw_str(&r, KAGI_TAG_MAX_, "x");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);
        raw_preauth(&r);
        raw_str(&r, 255, "x");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);
}

static void frame_rejects_repeated_tag(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        raw_preauth(&r);
        raw_str(&r, KAGI_T_USER, "root");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);
}

static void frame_rejects_missing_required_tag(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_PREAUTH);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);

        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REP_RESULT);
        raw_str(&r, KAGI_T_MESSAGE, "no decision");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);

        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_UNLOCK);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);
}

static void frame_rejects_field_longer_than_its_tag_allows(void **state)
{
        struct kagi_msg *m = *state;
        char service[66];
        struct raw r;

        memset(service, 's', sizeof(service) - 1);
        service[sizeof(service) - 1] = '\0';   /* 65 bytes; a service name is at most 64 */
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_PREAUTH);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_str(&r, KAGI_T_SERVICE, service);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EINVAL);

        service[64] = '\0';
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_PREAUTH);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_str(&r, KAGI_T_SERVICE, service);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), 0);
}

static void frame_rejects_field_running_past_the_end(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        /* the field's length says 6 but only 5 bytes follow */
        raw_preauth(&r);
        raw_str(&r, KAGI_T_TTY, "tty1x");
        r.b[r.len - 5 - 1] = 6;
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EINVAL);

        /* a field header cut short */
        raw_preauth(&r);
        r.b[r.len++] = KAGI_T_TTY;
        r.b[r.len++] = 0;
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EINVAL);
}

static void frame_rejects_nul_in_a_string(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_PREAUTH);
        raw_field(&r, KAGI_T_USER, "root\0alice", 10);
        raw_str(&r, KAGI_T_SERVICE, "login");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EINVAL);

        /* secrets are strings too */
        raw_preauth(&r);
        r.b[5] = KAGI_REQ_VERIFY;
        raw_field(&r, KAGI_T_CODE, "123\0" "456", 7);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EINVAL);
}

static void frame_rejects_bad_u32_width(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        for (size_t n = 0; n <= 8; n++) {
                if (n == 4)
                        continue;
                raw_preauth(&r);
                raw_field(&r, KAGI_T_FLAGS, "\0\0\0\0\0\0\0\1", n);
                raw_seal(&r);
                assert_int_equal(decode_raw(&r, m), -EINVAL);
        }
}

static void frame_rejects_bad_u64_width(void **state)
{
        struct kagi_msg *m = *state;
        struct raw r;

        for (size_t n = 0; n <= 9; n++) {
                if (n == 8)
                        continue;
                raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_AUDIT_SHOW);
                raw_field(&r, KAGI_T_SINCE, "\0\0\0\0\0\0\0\1\2", n);
                raw_seal(&r);
                assert_int_equal(decode_raw(&r, m), -EINVAL);
        }
}

static void frame_rejects_result_with_invalid_decision(void **state)
{
        struct kagi_msg *m = *state;
        const uint32_t bad[] = { KAGI_DECISION_MAX_, 100, UINT32_MAX };
        struct raw r;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                uint8_t v[4] = { (uint8_t)(bad[i] >> 24), (uint8_t)(bad[i] >> 16), (uint8_t)(bad[i] >> 8),
                                 (uint8_t)bad[i] };

                raw_start(&r, KAGI_PROTO_VERSION, KAGI_REP_RESULT);
                raw_field(&r, KAGI_T_DECISION, v, 4);
                raw_seal(&r);
                assert_int_equal(decode_raw(&r, m), -EINVAL);
        }
        /* the last valid decision is fine */
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REP_RESULT);
        raw_field(&r, KAGI_T_DECISION, (uint8_t[]){ 0, 0, 0, KAGI_DECISION_MAX_ - 1 }, 4);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), 0);
        assert_int_equal(msg_u32(m, KAGI_T_DECISION, 0), KAGI_DECISION_MAX_ - 1);
}

/* ---- building: errors are sticky ---------------------------------------- */

static void frame_put_refuses_field_longer_than_its_tag_allows(void **state)
{
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_PREAUTH);
        char service[66];
        size_t len;

        (void)state;
        memset(service, 's', sizeof(service) - 1);
        service[sizeof(service) - 1] = '\0';
        frame_put_str(f, KAGI_T_USER, "alice");
        len = f->len;
        frame_put_str(f, KAGI_T_SERVICE, service);
        assert_int_equal(f->error, -EINVAL);
        assert_int_equal(f->len, len);
        /* sticky: a later good field is not added and the error stays */
        frame_put_str(f, KAGI_T_SERVICE, "login");
        assert_int_equal(f->error, -EINVAL);
        assert_int_equal(f->len, len);
}

static void frame_put_refuses_unknown_tag(void **state)
{
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_PREAUTH);
        _cleanup_(frame_freep) struct frame *g = frame_new(KAGI_REQ_PREAUTH);

        (void)state;
        frame_put_str(f, 0, "x");
        assert_int_equal(f->error, -EINVAL);
        assert_int_equal(f->len, KAGI_FRAME_HEADER);
        frame_put_u32(g, KAGI_TAG_MAX_, 1);
        assert_int_equal(g->error, -EINVAL);
        frame_put_str(g, KAGI_T_USER, "alice");
        assert_int_equal(g->len, KAGI_FRAME_HEADER);
}

static void frame_put_refuses_a_repeated_tag(void **state)
{
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_PREAUTH);

        (void)state;
        frame_put_str(f, KAGI_T_USER, "alice");
        frame_put_str(f, KAGI_T_USER, "bob");
        assert_int_equal(f->error, -EINVAL);
}

/* What frame_put_* builds, frame_decode accepts: a value of the wrong kind
 * for its tag is refused when it is put, not by the peer. */
static void frame_put_refuses_value_of_the_wrong_kind(void **state)
{
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_PREAUTH);
        _cleanup_(frame_freep) struct frame *g = frame_new(KAGI_REQ_PREAUTH);
        _cleanup_(frame_freep) struct frame *h = frame_new(KAGI_REQ_AUDIT_SHOW);

        (void)state;
        frame_put_str(f, KAGI_T_FLAGS, "ab");              /* a u32 tag */
        assert_int_equal(f->error, -EINVAL);
        frame_put_blob(g, KAGI_T_USER, "ro\0t", 4);        /* a string tag */
        assert_int_equal(g->error, -EINVAL);
        frame_put_u32(h, KAGI_T_SINCE, 1);                 /* a u64 tag */
        assert_int_equal(h->error, -EINVAL);
}

static void frame_put_refuses_what_does_not_fit(void **state)
{
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REP_RESULT);
        _cleanup_(freep) char *json = malloc(KAGI_FRAME_MAX);
        char message[201];
        size_t len;

        (void)state;
        assert_non_null(json);
        memset(json, '1', KAGI_FRAME_MAX - 64);
        json[KAGI_FRAME_MAX - 64] = '\0';
        memset(message, 'm', 200);
        message[200] = '\0';
        frame_put_str(f, KAGI_T_JSON, json);
        assert_int_equal(f->error, 0);
        len = f->len;
        /* 200 bytes more cannot fit in what is left */
        frame_put_str(f, KAGI_T_MESSAGE, message);
        assert_int_equal(f->error, -E2BIG);
        assert_int_equal(f->len, len);
        frame_put_str(f, KAGI_T_USER, "x");
        assert_int_equal(f->error, -E2BIG);
        assert_int_equal(f->len, len);
}

static void frame_new_writes_header(void **state)
{
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_AUDIT_VERIFY);
        struct kagi_msg *m = *state;

        assert_int_equal(f->len, KAGI_FRAME_HEADER);
        assert_int_equal(f->buf[4], KAGI_PROTO_VERSION);
        assert_int_equal(f->buf[5], KAGI_REQ_AUDIT_VERIFY);
        assert_int_equal(decode_frame(f, m), 0);
        assert_int_equal(m->type, KAGI_REQ_AUDIT_VERIFY);
}

/* ABANDON: a prompt that produced nothing to check. It names the factor
 * asked for and why, and carries no credential. */
static void frame_abandon_carries_factor_and_why_only(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REQ_ABANDON);
        struct raw r;

        frame_put_str(f, KAGI_T_USER, "alice");
        frame_put_str(f, KAGI_T_SERVICE, "sudo");
        frame_put_u32(f, KAGI_T_FACTORS, KAGI_F_TOTP);
        frame_put_u32(f, KAGI_T_WHY, KAGI_ABANDON_PASSWORD_AS_CODE);
        assert_int_equal(decode_frame(f, m), 0);
        assert_string_equal(kagi_msg_type_name(m->type), "abandon");
        assert_int_equal(msg_u32(m, KAGI_T_FACTORS, 0), KAGI_F_TOTP);
        assert_int_equal(msg_u32(m, KAGI_T_WHY, 0), KAGI_ABANDON_PASSWORD_AS_CODE);

        /* without WHY, or without the factor, it means nothing */
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_ABANDON);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_str(&r, KAGI_T_SERVICE, "sudo");
        raw_field(&r, KAGI_T_FACTORS, "\0\0\0\2", 4);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_ABANDON);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_str(&r, KAGI_T_SERVICE, "sudo");
        raw_field(&r, KAGI_T_WHY, "\0\0\0\1", 4);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);

        /* WHY is a u32 */
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_ABANDON);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_str(&r, KAGI_T_SERVICE, "sudo");
        raw_field(&r, KAGI_T_FACTORS, "\0\0\0\2", 4);
        raw_field(&r, KAGI_T_WHY, "\1", 1);
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EINVAL);

        /* the answer that was not a code is never sent along */
        raw_start(&r, KAGI_PROTO_VERSION, KAGI_REQ_ABANDON);
        raw_str(&r, KAGI_T_USER, "alice");
        raw_str(&r, KAGI_T_SERVICE, "sudo");
        raw_field(&r, KAGI_T_FACTORS, "\0\0\0\2", 4);
        raw_field(&r, KAGI_T_WHY, "\0\0\0\3", 4);
        raw_str(&r, KAGI_T_CODE, "pw-alice");
        raw_seal(&r);
        assert_int_equal(decode_raw(&r, m), -EBADMSG);
}

/* The answer to it: refused as abandoned, with the user's message. */
static void frame_result_may_say_abandoned(void **state)
{
        struct kagi_msg *m = *state;
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REP_RESULT);

        frame_put_u32(f, KAGI_T_DECISION, KAGI_DENY_ABANDONED);
        frame_put_str(f, KAGI_T_MESSAGE, "Nothing was entered.");
        assert_int_equal(decode_frame(f, m), 0);
        assert_int_equal(msg_u32(m, KAGI_T_DECISION, 0), KAGI_DENY_ABANDONED);
        assert_string_equal(kagi_decision_name(KAGI_DENY_ABANDONED), "deny-abandoned");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_msg, teardown_msg)
                T(frame_round_trips_strings_and_secrets),
                T(frame_round_trips_u32),
                T(frame_round_trips_u64),
                T(report_request_carries_a_period_and_days),
                T(frame_round_trips_blobs_with_nul_bytes),
                T(frame_round_trips_empty_string_as_present),
                T(frame_round_trips_frame_of_maximum_size),
                T(msg_str_is_nul_terminated),
                T(msg_reused_forgets_earlier_fields),
                T(msg_has_refuses_tags_out_of_range),
                T(msg_type_names),
                T(frame_rejects_short_header),
                T(frame_rejects_length_mismatch),
                T(frame_rejects_too_long),
                T(frame_total_length_reads_the_prefix),
                T(frame_rejects_wrong_version),
                T(frame_rejects_unknown_type),
                T(frame_rejects_tag_not_allowed_for_the_type),
                T(frame_rejects_repeated_tag),
                T(frame_rejects_missing_required_tag),
                T(frame_rejects_field_longer_than_its_tag_allows),
                T(frame_rejects_field_running_past_the_end),
                T(frame_rejects_nul_in_a_string),
                T(frame_rejects_bad_u32_width),
                T(frame_rejects_bad_u64_width),
                T(frame_rejects_result_with_invalid_decision),
                T(frame_put_refuses_field_longer_than_its_tag_allows),
                T(frame_put_refuses_unknown_tag),
                T(frame_put_refuses_a_repeated_tag),
                T(frame_put_refuses_value_of_the_wrong_kind),
                T(frame_put_refuses_what_does_not_fit),
                T(frame_new_writes_header),
                T(frame_abandon_carries_factor_and_why_only),
                T(frame_result_may_say_abandoned),
#undef T
        };

        return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
