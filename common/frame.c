/* Wire frames: building and the one pure parser of untrusted frames.
 * Nothing here does I/O; frame_decode() is what the fuzzer drives. */
#include <errno.h>
#include <string.h>

#include "common.h"

enum field_type { FT_NONE, FT_STR, FT_SECRET, FT_BLOB, FT_U32, FT_U64 };

static const struct {
        enum field_type type;
        uint16_t max;
} tags[KAGI_TAG_MAX_] = {
        [KAGI_T_USER] = { FT_STR, 256 },
        [KAGI_T_SERVICE] = { FT_STR, 64 },
        [KAGI_T_TTY] = { FT_STR, 256 },
        [KAGI_T_RHOST] = { FT_STR, 256 },
        [KAGI_T_RUSER] = { FT_STR, 256 },
        [KAGI_T_ZONE] = { FT_STR, 64 },
        [KAGI_T_FLAGS] = { FT_U32, 4 },
        [KAGI_T_CODE] = { FT_SECRET, 16 },
        [KAGI_T_PASSWORD] = { FT_SECRET, 512 },
        [KAGI_T_DECISION] = { FT_U32, 4 },
        [KAGI_T_FACTORS] = { FT_U32, 4 },
        [KAGI_T_MESSAGE] = { FT_STR, KAGI_MESSAGE_MAX },
        [KAGI_T_REASON] = { FT_STR, 1024 },
        [KAGI_T_SESSION] = { FT_STR, 64 },
        [KAGI_T_CERT] = { FT_BLOB, 16384 },
        [KAGI_T_SIGNATURE] = { FT_BLOB, 1024 },
        [KAGI_T_CHALLENGE] = { FT_BLOB, 256 },
        [KAGI_T_RETRIES] = { FT_U32, 4 },
        [KAGI_T_SECRET] = { FT_SECRET, 128 },
        [KAGI_T_JSON] = { FT_STR, KAGI_FRAME_MAX - 64 },
        [KAGI_T_SINCE] = { FT_U64, 8 },
        [KAGI_T_PID] = { FT_U32, 4 },
        [KAGI_T_SERIAL] = { FT_STR, 128 },
        [KAGI_T_FINGERPRINT] = { FT_STR, 128 },
        [KAGI_T_HOST] = { FT_STR, 256 },
        [KAGI_T_DEADLINE] = { FT_U64, 8 },
        [KAGI_T_ATTEMPT] = { FT_BLOB, 16 },
        [KAGI_T_ACCOUNT] = { FT_U32, 4 },
        [KAGI_T_PROOF] = { FT_BLOB, 32 },
        [KAGI_T_ROLE] = { FT_STR, 64 },
        [KAGI_T_DURATION] = { FT_U64, 8 },
        [KAGI_T_GRANT] = { FT_U64, 8 },
        [KAGI_T_PERSON] = { FT_STR, 256 },
        [KAGI_T_READER] = { FT_STR, 128 },
        [KAGI_T_WHY] = { FT_U32, 4 },
        [KAGI_T_URI] = { FT_SECRET, 2048 },
        [KAGI_T_UNTIL] = { FT_U64, 8 },
        [KAGI_T_DAYS] = { FT_U32, 4 },
};

#define B(t) (UINT64_C(1) << (t))
/* The terminal context every PAM request carries (PERSON: the member a
 * shared ID's login named by their personal ID). */
#define CTX (B(KAGI_T_USER) | B(KAGI_T_SERVICE) | B(KAGI_T_TTY) | B(KAGI_T_RHOST) | \
             B(KAGI_T_RUSER) | B(KAGI_T_ZONE) | B(KAGI_T_HOST) | B(KAGI_T_FLAGS) | B(KAGI_T_DEADLINE) | \
             B(KAGI_T_PERSON))
#define NEED_CTX (B(KAGI_T_USER) | B(KAGI_T_SERVICE))

static const struct {
        const char *name;
        uint64_t allowed;
        uint64_t required;
} schema[KAGI_MSG_TYPE_MAX_] = {
        [KAGI_REQ_PREAUTH] = { "preauth", CTX, NEED_CTX },
        [KAGI_REQ_AUTHFAIL] = { "authfail", CTX | B(KAGI_T_ATTEMPT), NEED_CTX },
        [KAGI_REQ_BEGIN] = { "begin", CTX, NEED_CTX },
        [KAGI_REQ_VERIFY] = { "verify", CTX | B(KAGI_T_CODE) | B(KAGI_T_PASSWORD) | B(KAGI_T_ATTEMPT), NEED_CTX },
        [KAGI_REQ_CARD_CHALLENGE] = { "card-challenge", CTX | B(KAGI_T_CERT) | B(KAGI_T_ATTEMPT),
                                      NEED_CTX | B(KAGI_T_CERT) },
        [KAGI_REQ_CARD_VERIFY] = { "card-verify",
                                   CTX | B(KAGI_T_CERT) | B(KAGI_T_CHALLENGE) |
                                           B(KAGI_T_SIGNATURE) | B(KAGI_T_RETRIES) | B(KAGI_T_READER),
                                   NEED_CTX | B(KAGI_T_CERT) | B(KAGI_T_CHALLENGE) },
        [KAGI_REQ_ACCOUNT] = { "account", CTX, NEED_CTX },
        [KAGI_REQ_SESSION_OPEN] = { "session-open", CTX | B(KAGI_T_PID) | B(KAGI_T_SESSION), NEED_CTX },
        [KAGI_REQ_SESSION_CLOSE] = { "session-close", CTX | B(KAGI_T_SESSION),
                                     NEED_CTX | B(KAGI_T_SESSION) },
        /* FACTORS: the one factor the prompt asked for */
        [KAGI_REQ_ABANDON] = { "abandon", CTX | B(KAGI_T_FACTORS) | B(KAGI_T_WHY) | B(KAGI_T_ATTEMPT),
                               NEED_CTX | B(KAGI_T_FACTORS) | B(KAGI_T_WHY) },

        [KAGI_REQ_STATUS] = { "status", B(KAGI_T_USER), B(KAGI_T_USER) },
        [KAGI_REQ_UNLOCK] = { "unlock", B(KAGI_T_USER) | B(KAGI_T_REASON),
                              B(KAGI_T_USER) | B(KAGI_T_REASON) },
        [KAGI_REQ_TOTP_ENROLL] = { "totp-enroll", B(KAGI_T_USER) | B(KAGI_T_SECRET) | B(KAGI_T_FLAGS),
                                   B(KAGI_T_USER) },
        [KAGI_REQ_TOTP_REMOVE] = { "totp-remove", B(KAGI_T_USER), B(KAGI_T_USER) },
        [KAGI_REQ_AUDIT_SHOW] = { "audit-show", B(KAGI_T_SINCE), 0 },
        [KAGI_REQ_AUDIT_VERIFY] = { "audit-verify", 0, 0 },
        [KAGI_REQ_USER_LIST] = { "user-list", 0, 0 },
        [KAGI_REQ_USER_SHOW] = { "user-show", B(KAGI_T_USER), B(KAGI_T_USER) },
        [KAGI_REQ_CARD_REGISTER] = { "card-register", B(KAGI_T_USER) | B(KAGI_T_CERT) | B(KAGI_T_FLAGS),
                                     B(KAGI_T_USER) | B(KAGI_T_CERT) },
        [KAGI_REQ_CARD_REVOKE] = { "card-revoke",
                                   B(KAGI_T_SERIAL) | B(KAGI_T_FINGERPRINT) | B(KAGI_T_REASON),
                                   B(KAGI_T_REASON) },
        [KAGI_REQ_CARD_LIST] = { "card-list", B(KAGI_T_USER), 0 },
        /* the person's fresh factors (PASSWORD, CODE), or from the PAM module
         * the PROOF of the login it just did, with the context */
        [KAGI_REQ_GRANT_REQUEST] = { "grant-request",
                                     CTX | B(KAGI_T_ROLE) | B(KAGI_T_DURATION) | B(KAGI_T_REASON) |
                                             B(KAGI_T_PASSWORD) | B(KAGI_T_CODE) | B(KAGI_T_PROOF),
                                     B(KAGI_T_ROLE) | B(KAGI_T_DURATION) | B(KAGI_T_REASON) },
        [KAGI_REQ_GRANT_DECIDE] = { "grant-decide",
                                    B(KAGI_T_GRANT) | B(KAGI_T_FLAGS) | B(KAGI_T_REASON) | B(KAGI_T_PASSWORD) |
                                            B(KAGI_T_CODE),
                                    B(KAGI_T_GRANT) },
        [KAGI_REQ_GRANT_LIST] = { "grant-list", B(KAGI_T_FLAGS), 0 },
        [KAGI_REQ_GRANT_REVOKE] = { "grant-revoke", B(KAGI_T_GRANT) | B(KAGI_T_REASON),
                                    B(KAGI_T_GRANT) | B(KAGI_T_REASON) },
        [KAGI_REQ_SESSION_LIST] = { "session-list", 0, 0 },
        [KAGI_REQ_SESSION_END] = { "session-end", B(KAGI_T_SESSION) | B(KAGI_T_REASON),
                                   B(KAGI_T_SESSION) | B(KAGI_T_REASON) },
        [KAGI_REQ_GRANT_EXTEND] = { "grant-extend",
                                    B(KAGI_T_GRANT) | B(KAGI_T_DURATION) | B(KAGI_T_REASON) | B(KAGI_T_PASSWORD) |
                                            B(KAGI_T_CODE),
                                    B(KAGI_T_GRANT) | B(KAGI_T_DURATION) | B(KAGI_T_REASON) },
        [KAGI_REQ_REPORT] = { "report", B(KAGI_T_SINCE) | B(KAGI_T_UNTIL) | B(KAGI_T_DAYS), 0 },

        [KAGI_REP_RESULT] = { "result",
                              B(KAGI_T_DECISION) | B(KAGI_T_FACTORS) | B(KAGI_T_MESSAGE) |
                                      B(KAGI_T_SESSION) | B(KAGI_T_CHALLENGE) | B(KAGI_T_RETRIES) |
                                      B(KAGI_T_JSON) | B(KAGI_T_ATTEMPT) | B(KAGI_T_ACCOUNT) | B(KAGI_T_PROOF) |
                                      B(KAGI_T_ROLE) | B(KAGI_T_GRANT) | B(KAGI_T_PERSON) | B(KAGI_T_DURATION) |
                                      B(KAGI_T_FLAGS) | B(KAGI_T_SECRET) | B(KAGI_T_URI),
                              B(KAGI_T_DECISION) },
        [KAGI_REP_RECORD] = { "record", B(KAGI_T_JSON), B(KAGI_T_JSON) },
};

const char *kagi_msg_type_name(uint8_t type)
{
        if (type >= KAGI_MSG_TYPE_MAX_ || !schema[type].name)
                return "unknown";
        return schema[type].name;
}

static void put_be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void put_be32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct frame *frame_new(uint8_t type)
{
        /* only the used prefix of buf is ever read, so no need to zero it */
        struct frame *f = malloc(sizeof(*f));

        if (!f)
                return NULL;
        f->error = 0;
        f->seen = 0;
        f->buf[4] = KAGI_PROTO_VERSION;
        f->buf[5] = type;
        f->len = KAGI_FRAME_HEADER;
        put_be32(f->buf, (uint32_t)(f->len - 4));
        return f;
}

void frame_free(struct frame *f)
{
        if (!f)
                return;
        secret_wipe(f->buf, f->len);
        free(f);
}

static bool field_valid(enum field_type type, const uint8_t *p, size_t n);

void frame_put_blob(struct frame *f, enum kagi_tag tag, const void *p, size_t n)
{
        if (f->error)
                return;
        /* never build what frame_decode() would refuse */
        if ((unsigned)tag >= KAGI_TAG_MAX_ || tags[tag].type == FT_NONE || n > tags[tag].max ||
            !field_valid(tags[tag].type, p, n) || (f->seen & B(tag))) {
                f->error = -EINVAL;
                return;
        }
        if (n > sizeof(f->buf) - f->len || sizeof(f->buf) - f->len - n < 3) {
                f->error = -E2BIG;
                return;
        }
        f->buf[f->len] = (uint8_t)tag;
        put_be16(f->buf + f->len + 1, (uint16_t)n);
        if (n)
                memcpy(f->buf + f->len + 3, p, n);
        f->len += 3 + n;
        f->seen |= B(tag);
        put_be32(f->buf, (uint32_t)(f->len - 4));
}

void frame_put_str(struct frame *f, enum kagi_tag tag, const char *s)
{
        if (s)
                frame_put_blob(f, tag, s, strlen(s));
}

void frame_put_u32(struct frame *f, enum kagi_tag tag, uint32_t v)
{
        uint8_t b[4];

        put_be32(b, v);
        frame_put_blob(f, tag, b, sizeof(b));
}

void frame_put_u64(struct frame *f, enum kagi_tag tag, uint64_t v)
{
        uint8_t b[8];

        put_be32(b, (uint32_t)(v >> 32));
        put_be32(b + 4, (uint32_t)v);
        frame_put_blob(f, tag, b, sizeof(b));
}

int frame_total_length(const uint8_t hdr[4], size_t *ret_len)
{
        uint32_t n = get_be32(hdr);

        if (n < KAGI_FRAME_HEADER - 4)
                return -EINVAL;
        if (n > KAGI_FRAME_MAX - 4)
                return -E2BIG;
        *ret_len = (size_t)n + 4;
        return 0;
}

static bool field_valid(enum field_type type, const uint8_t *p, size_t n)
{
        switch (type) {
        case FT_U32:
                return n == 4;
        case FT_U64:
                return n == 8;
        case FT_STR:
        case FT_SECRET:
                return memchr(p, '\0', n) == NULL;
        case FT_BLOB:
                return true;
        case FT_NONE:
                break;
        }
        return false;
}

int frame_decode(const uint8_t *buf, size_t len, struct kagi_msg *ret)
{
        size_t total, pos, out = 0;
        uint64_t seen = 0;
        int r;

        if (len < KAGI_FRAME_HEADER)
                return -EINVAL;
        r = frame_total_length(buf, &total);
        if (r < 0)
                return r;
        if (total != len)
                return -EINVAL;
        if (buf[4] != KAGI_PROTO_VERSION)
                return -EPROTO;
        if (buf[5] >= KAGI_MSG_TYPE_MAX_ || !schema[buf[5]].name)
                return -EBADMSG;

        secret_wipe(ret->data, ret->used);     /* a reused message holds the last one's secrets */
        ret->used = 0;
        memset(ret->f, 0, sizeof(ret->f));
        ret->version = buf[4];
        ret->type = buf[5];

        for (pos = KAGI_FRAME_HEADER; pos < len;) {
                uint8_t tag;
                size_t n;

                if (len - pos < 3)
                        return -EINVAL;
                tag = buf[pos];
                n = get_be16(buf + pos + 1);
                pos += 3;
                if (n > len - pos)
                        return -EINVAL;
                if (tag >= KAGI_TAG_MAX_ || !(schema[ret->type].allowed & B(tag)))
                        return -EBADMSG;
                if (seen & B(tag))
                        return -EBADMSG;            /* each tag at most once */
                if (n > tags[tag].max || !field_valid(tags[tag].type, buf + pos, n))
                        return -EINVAL;
                seen |= B(tag);
                /* data[] holds the frame's field bytes plus one NUL per tag */
                memcpy(ret->data + out, buf + pos, n);
                ret->data[out + n] = '\0';
                ret->f[tag].p = ret->data + out;
                ret->f[tag].len = n;
                out += n + 1;
                ret->used = out;
                pos += n;
        }
        if ((seen & schema[ret->type].required) != schema[ret->type].required)
                return -EBADMSG;
        if (ret->type == KAGI_REP_RESULT &&
            !kagi_decision_valid(msg_u32(ret, KAGI_T_DECISION, UINT32_MAX)))
                return -EINVAL;
        return 0;
}

struct kagi_msg *msg_new(void)
{
        struct kagi_msg *m = malloc(sizeof(*m));

        if (!m)
                return NULL;
        m->version = m->type = 0;
        m->used = 0;
        memset(m->f, 0, sizeof(m->f));
        return m;
}

void msg_free(struct kagi_msg *m)
{
        if (!m)
                return;
        secret_wipe(m->data, m->used);
        free(m);
}

bool msg_has(const struct kagi_msg *m, enum kagi_tag tag)
{
        return (unsigned)tag < KAGI_TAG_MAX_ && m->f[tag].p != NULL;
}

const char *msg_str(const struct kagi_msg *m, enum kagi_tag tag)
{
        return msg_has(m, tag) ? (const char *)m->f[tag].p : NULL;
}

uint32_t msg_u32(const struct kagi_msg *m, enum kagi_tag tag, uint32_t dflt)
{
        if (!msg_has(m, tag) || m->f[tag].len != 4)
                return dflt;
        return get_be32(m->f[tag].p);
}

uint64_t msg_u64(const struct kagi_msg *m, enum kagi_tag tag, uint64_t dflt)
{
        if (!msg_has(m, tag) || m->f[tag].len != 8)
                return dflt;
        return (uint64_t)get_be32(m->f[tag].p) << 32 | get_be32(m->f[tag].p + 4);
}
