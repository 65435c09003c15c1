/* libkagi-common: what the PAM module, the broker and kagictl share.
 *
 *   - cleanup helpers and secret handling (wipe, constant-time compare)
 *   - decisions and factors: the vocabulary of every answer
 *   - the wire protocol: frames of typed fields (frame.c is pure and fuzzed)
 *   - framed I/O over a socket with deadlines (io.c)
 *   - strict number and duration parsing (parse.c), time as kagi writes it (time.c)
 *   - text from outside made safe to print (escape.c is pure and fuzzed)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- cleanup helpers ------------------------------------------------- */

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(const int *fd) { if (*fd >= 0) close(*fd); }
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }

/* ---- secrets ---------------------------------------------------------- */

/* Every PIN, password, code and key passes through these: wiped before the
 * memory is released, compared without data-dependent timing. */
void secret_wipe(void *p, size_t len);
void secret_free(void *p, size_t len);
char *secret_strdup(const char *s);
void secret_strfree(char *s);
static inline void secret_strfreep(char **p) { secret_strfree(*p); *p = NULL; }
bool secret_equal(const void *a, const void *b, size_t len);
/* The broker's keys (audit HMAC, sealing) are 256 bits. */
#define KAGI_KEY_LEN 32

/* ---- decisions and factors -------------------------------------------- */

/* A decision is a value, never an error code doing double duty. The PAM
 * module maps it to a PAM code in exactly one place. Keep the numbers: they
 * cross the wire. */
enum kagi_decision {
        KAGI_ALLOW = 0,               /* this step passed */
        KAGI_CONTINUE = 1,            /* go on: collect the factors named */
        KAGI_DENY_CREDENTIAL = 2,     /* a factor was wrong (counted) */
        KAGI_DENY_LOCKED = 3,         /* locked: nothing was verified */
        KAGI_DENY_DISABLED = 4,       /* disabled in the directory */
        KAGI_DENY_UNKNOWN = 5,        /* no such account (account phase only) */
        KAGI_DENY_POLICY = 6,         /* not allowed here by the policy */
        KAGI_DENY_REPLAY = 7,         /* a one-time value was used again */
        KAGI_DENY_NOT_ENROLLED = 8,   /* the factor is not set up (admin view) */
        KAGI_DENY_CARD = 9,           /* card refused: revoked, untrusted, shared */
        KAGI_DENY_PERMISSION = 10,    /* the peer may not ask this */
        KAGI_DENY_INVALID = 11,       /* the request was malformed or refers to nothing */
        KAGI_ERROR = 12,              /* the broker could not decide: fail closed */
        KAGI_UNAVAILABLE = 13,        /* a service kagi depends on is down */
        KAGI_DENY_ABANDONED = 14,     /* no credential to check: recorded, not counted */
        KAGI_DECISION_MAX_
};

const char *kagi_decision_name(enum kagi_decision d);
bool kagi_decision_valid(uint32_t d);

/* Factors are bits so a set ("password+totp") is a mask. */
enum kagi_factor {
        KAGI_F_PASSWORD = 1u << 0,    /* knowledge */
        KAGI_F_TOTP = 1u << 1,        /* possession (authenticator app) */
        KAGI_F_CARD = 1u << 2,        /* possession (IC card signature) */
        KAGI_F_PIN = 1u << 3,         /* knowledge (verified by the card) */
};
/* In an answer only: ask whose factors these are first (a shared ID's
 * member gives their personal ID; it goes back as PERSON) */
#define KAGI_F_PERSON (1u << 4)
#define KAGI_F_ALL (KAGI_F_PASSWORD | KAGI_F_TOTP | KAGI_F_CARD | KAGI_F_PIN)
#define KAGI_F_KNOWLEDGE (KAGI_F_PASSWORD | KAGI_F_PIN)
#define KAGI_F_POSSESSION (KAGI_F_TOTP | KAGI_F_CARD)

/* "password+totp" <-> mask. Parse returns 0 or -EINVAL. */
int factor_set_parse(const char *s, uint32_t *ret_mask);
void factor_set_format(uint32_t mask, char *buf, size_t size);

/* ---- wire protocol ------------------------------------------------------
 *
 * frame  = u32 length (big endian, of what follows) | u8 version | u8 type | field*
 * field  = u8 tag | u16 length (big endian) | value
 *
 * A frame is at most KAGI_FRAME_MAX bytes in all. Each message type has a
 * schema: which tags it may carry and which it must. A field is typed (string,
 * secret string, blob, u32, u64) with a per-tag maximum length; strings hold
 * no NUL byte. Anything else is refused.
 */
#define KAGI_PROTO_VERSION 1
#define KAGI_FRAME_MAX (64 * 1024)
#define KAGI_FRAME_HEADER 6              /* length + version + type */
#define KAGI_MESSAGE_MAX 1024            /* a MESSAGE for the user, in bytes */

enum kagi_msg_type {
        /* PAM module -> broker (peer must be root) */
        KAGI_REQ_PREAUTH = 1,     /* is the account locked? */
        KAGI_REQ_AUTHFAIL = 2,    /* count the preceding module's failure */
        KAGI_REQ_BEGIN = 3,       /* which factors must be collected? */
        KAGI_REQ_VERIFY = 4,      /* check collected password/TOTP */
        KAGI_REQ_CARD_CHALLENGE = 5, /* reserve an attempt, get a challenge */
        KAGI_REQ_CARD_VERIFY = 6, /* signature (or the card's PIN failure) */
        KAGI_REQ_ACCOUNT = 7,     /* account phase */
        KAGI_REQ_SESSION_OPEN = 8,
        KAGI_REQ_SESSION_CLOSE = 9,
        KAGI_REQ_ABANDON = 10,    /* a prompt got no credential: record it, count nothing */

        /* kagictl -> broker (root or admin group) */
        KAGI_REQ_STATUS = 32,
        KAGI_REQ_UNLOCK = 33,
        KAGI_REQ_TOTP_ENROLL = 34,
        KAGI_REQ_TOTP_REMOVE = 35,
        KAGI_REQ_AUDIT_SHOW = 36,
        KAGI_REQ_AUDIT_VERIFY = 37,
        KAGI_REQ_USER_LIST = 38,
        KAGI_REQ_USER_SHOW = 39,
        KAGI_REQ_CARD_REGISTER = 40,
        KAGI_REQ_CARD_REVOKE = 41,
        KAGI_REQ_CARD_LIST = 42,

        /* privileged grants: any peer for itself (SO_PEERCRED names the
         * person), root for the PAM module's inline requests */
        KAGI_REQ_GRANT_REQUEST = 43,
        KAGI_REQ_GRANT_DECIDE = 44,   /* approve or deny, by an approver */
        KAGI_REQ_GRANT_LIST = 45,
        KAGI_REQ_GRANT_REVOKE = 46,
        KAGI_REQ_GRANT_EXTEND = 47,
        KAGI_REQ_SESSION_LIST = 48,   /* live sessions (root or admin group) */
        KAGI_REQ_SESSION_END = 49,
        /* 50-55 are kept for the shared-ID requests */
        KAGI_REQ_REPORT = 56,     /* the account review's model, streamed as RECORDs */

        /* broker -> client */
        KAGI_REP_RESULT = 64,     /* the one answer to a request */
        KAGI_REP_RECORD = 65,     /* one item of a listing; RESULT ends it */

        KAGI_MSG_TYPE_MAX_ = 66
};

enum kagi_tag {
        KAGI_T_USER = 1,          /* account asked about */
        KAGI_T_SERVICE = 2,       /* PAM_SERVICE */
        KAGI_T_TTY = 3,           /* PAM_TTY */
        KAGI_T_RHOST = 4,         /* PAM_RHOST */
        KAGI_T_RUSER = 5,         /* PAM_RUSER: the person behind su/sudo */
        KAGI_T_ZONE = 6,
        KAGI_T_FLAGS = 7,         /* u32, KAGI_FLAG_* */
        KAGI_T_CODE = 8,          /* secret: TOTP code */
        KAGI_T_PASSWORD = 9,      /* secret */
        KAGI_T_DECISION = 10,     /* u32 enum kagi_decision */
        KAGI_T_FACTORS = 11,      /* u32 mask of factors to collect */
        KAGI_T_MESSAGE = 12,      /* text for the user */
        KAGI_T_REASON = 13,       /* admin's reason */
        KAGI_T_SESSION = 14,      /* session id */
        KAGI_T_CERT = 15,         /* DER certificate */
        KAGI_T_SIGNATURE = 16,
        KAGI_T_CHALLENGE = 17,
        KAGI_T_RETRIES = 18,      /* u32 card PIN tries left */
        KAGI_T_SECRET = 19,       /* secret: base32 TOTP secret (enroll: request and answer) */
        KAGI_T_JSON = 20,         /* admin answers: one JSON document */
        KAGI_T_SINCE = 21,        /* u64 unix time */
        KAGI_T_PID = 22,          /* u32 */
        KAGI_T_SERIAL = 23,
        KAGI_T_FINGERPRINT = 24,
        KAGI_T_HOST = 25,         /* terminal host name */
        KAGI_T_DEADLINE = 26,     /* u64 CLOCK_MONOTONIC ms: when the module stops waiting */
        KAGI_T_ATTEMPT = 27,      /* an attempt reserved at preauth, settled later */
        KAGI_T_ACCOUNT = 28,      /* u32 enum kagi_decision of the account phase, decided with the auth */
        KAGI_T_PROOF = 29,        /* a fresh authentication, to ask for a grant inline */
        KAGI_T_ROLE = 30,
        KAGI_T_DURATION = 31,     /* u64 seconds */
        KAGI_T_GRANT = 32,        /* u64 grant id */
        KAGI_T_PERSON = 33,       /* whose factors are asked for (the person behind su/sudo) */
        KAGI_T_READER = 34,       /* the card reader a card login used */
        KAGI_T_WHY = 35,          /* u32 enum kagi_abandon */
        KAGI_T_URI = 36,          /* secret: otpauth:// URI (it holds the TOTP secret) */
        KAGI_T_UNTIL = 40,        /* u64 unix time: the end of a period (SINCE its start) */
        KAGI_T_DAYS = 41,         /* u32 a number of days (report: dormant after) */
        KAGI_TAG_MAX_ = 42
};

enum kagi_flag {
        KAGI_FLAG_STACKED_PASSWORD = 1u << 0, /* a module before kagi checked the password */
        KAGI_FLAG_CARD_PRESENT = 1u << 1,     /* a card is in the reader */
        KAGI_FLAG_NO_QR = 1u << 2,
        KAGI_FLAG_PIN_FAILED = 1u << 3,       /* the card refused the PIN */
        KAGI_FLAG_PIN_BLOCKED = 1u << 4,
        KAGI_FLAG_RETIRE_OLD = 1u << 5,       /* card register: retire earlier cards */
        KAGI_FLAG_CARD_ABORTED = 1u << 6,     /* card removed / error mid-login */
        KAGI_FLAG_BREAK_GLASS = 1u << 7,      /* grant request: activate without approval */
        KAGI_FLAG_PENDING = 1u << 8,          /* grant list: only those waiting for approval */
        KAGI_FLAG_APPROVE = 1u << 9,          /* grant decide: approve (else deny) */
        KAGI_FLAG_ABANDONED = 1u << 10,       /* with CARD_ABORTED: no PIN was given */
        /* preauth's answer: the account's own password is no factor (a
         * role's target, a shared ID): the stack skips its password module */
        KAGI_FLAG_BY_PERSON = 1u << 11,
};

/* Why a prompt produced no credential to check (ABANDON's WHY). None of
 * them counts toward the lock: nothing was verified. */
enum kagi_abandon {
        KAGI_ABANDON_NONE = 0,             /* an answer to check (never sent) */
        KAGI_ABANDON_NO_ANSWER = 1,        /* the conversation failed: interrupted, end of input, timed out */
        KAGI_ABANDON_EMPTY = 2,            /* an empty answer */
        KAGI_ABANDON_PASSWORD_AS_CODE = 3, /* the code prompt was answered with the password just proved */
        KAGI_ABANDON_MAX_
};

/* An encoded frame under construction. Errors are sticky: a put that does not
 * fit marks the frame bad and frame_send() refuses it. Always wiped on free
 * because requests carry secrets. */
struct frame {
        int error;
        uint64_t seen;                /* tags already put: each at most once */
        size_t len;
        uint8_t buf[KAGI_FRAME_MAX];
};

struct frame *frame_new(uint8_t type);
void frame_free(struct frame *f);
static inline void frame_freep(struct frame **f) { frame_free(*f); *f = NULL; }
void frame_put_str(struct frame *f, enum kagi_tag tag, const char *s);
void frame_put_blob(struct frame *f, enum kagi_tag tag, const void *p, size_t n);
void frame_put_u32(struct frame *f, enum kagi_tag tag, uint32_t v);
void frame_put_u64(struct frame *f, enum kagi_tag tag, uint64_t v);

/* A decoded message. Every field is copied into data[] and NUL-terminated,
 * so strings can be used directly; the whole struct is wiped on free. */
struct kagi_field {
        const uint8_t *p;         /* NULL when absent */
        size_t len;
};
struct kagi_msg {
        uint8_t version;
        uint8_t type;
        size_t used;                  /* bytes of data[] in use (wiped on free) */
        struct kagi_field f[KAGI_TAG_MAX_];
        uint8_t data[KAGI_FRAME_MAX + KAGI_TAG_MAX_];
};

/* Pure: decode one whole frame (length prefix included) of exactly len bytes.
 * Returns 0, or -EINVAL (malformed), -EPROTO (version), -E2BIG (too long),
 * -EBADMSG (schema: unknown type, tag not allowed, required tag missing). */
int frame_decode(const uint8_t *buf, size_t len, struct kagi_msg *ret);
/* From the first 4 bytes, how long the whole frame is; -E2BIG/-EINVAL. */
int frame_total_length(const uint8_t hdr[4], size_t *ret_len);

struct kagi_msg *msg_new(void);
void msg_free(struct kagi_msg *m);
static inline void msg_freep(struct kagi_msg **m) { msg_free(*m); *m = NULL; }
bool msg_has(const struct kagi_msg *m, enum kagi_tag tag);
const char *msg_str(const struct kagi_msg *m, enum kagi_tag tag);  /* NULL if absent */
uint32_t msg_u32(const struct kagi_msg *m, enum kagi_tag tag, uint32_t dflt);
uint64_t msg_u64(const struct kagi_msg *m, enum kagi_tag tag, uint64_t dflt);
const char *kagi_msg_type_name(uint8_t type);

/* ---- framed I/O -----------------------------------------------------------
 * Each call is bounded by a deadline in ms on CLOCK_MONOTONIC; -ETIMEDOUT. */
int64_t now_ms(void);
int io_connect_unix(const char *path, int64_t deadline, int *ret_fd);
/* Is the process serving the connected socket fd (SO_PEERCRED: who called
 * listen) root or `owner`? 0, -EPERM with the uid in *ret_uid, or the
 * error. Clients ask before they send a password to whoever made the
 * socket. */
int io_check_server(int fd, uid_t owner, uid_t *ret_uid);
int frame_send(int fd, const struct frame *f, int64_t deadline);
int frame_recv(int fd, struct kagi_msg *m, int64_t deadline);

/* ---- time ------------------------------------------------------------------ */
/* "2026-11-21T09:00:00.000000Z": ISO 8601, UTC, microseconds (time.c). */
void time_format_utc(int64_t time_us, char buf[40]);

/* ---- printing text that came from outside -------------------------------
 * User names (an ssh client chooses them before authenticating), terminals,
 * reasons and directory values may hold anything. Every text output (the
 * audit copy in syslog, kagid's log, kagictl's tables) prints them through
 * text_escape: printable ASCII and well-formed UTF-8 stay as they are;
 * control characters become \n \r \t or \xHH, bytes that are not UTF-8
 * \xHH, C1 controls, zero-width characters, line separators and bidi
 * overrides \u{HHHH}; backslash and double quote get a backslash, so a
 * quoted field cannot be ended early. Writes whole escapes only, at most
 * size bytes with the NUL; returns the length the whole text needs (as
 * snprintf does). */
size_t text_escape(const uint8_t *s, size_t len, char *out, size_t size);
/* The same for a C string (NULL as ""). */
size_t text_escape_str(const char *s, char *out, size_t size);
/* The escaped text in a new string (free), NULL when out of memory. */
char *text_escape_dup(const char *s);

/* ---- strict parsing ---------------------------------------------------- */
int parse_uint(const char *s, uint64_t max, uint64_t *ret);
/* "90", "90s", "30m", "8h", "2d"; returns seconds. */
int parse_duration(const char *s, uint64_t *ret_seconds);
int parse_bool(const char *s, bool *ret);
