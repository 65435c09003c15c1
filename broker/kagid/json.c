/* The JSON documents of administrative answers (json-c). */
#include <errno.h>

#include <json-c/json.h>

#include "login.h"

void json_add_str(json_object *j, const char *key, const char *value)
{
        json_object_object_add(j, key, value ? json_object_new_string(value) : NULL);
}

void json_add_int(json_object *j, const char *key, int64_t value)
{
        json_object_object_add(j, key, json_object_new_int64(value));
}

void json_add_bool(json_object *j, const char *key, bool value)
{
        json_object_object_add(j, key, json_object_new_boolean(value));
}

void json_add_time(json_object *j, const char *key, int64_t unix_seconds)
{
        char buf[40];

        if (unix_seconds <= 0) {
                json_object_object_add(j, key, NULL);
                return;
        }
        time_format_utc(unix_seconds * 1000000, buf);
        buf[19] = 'Z';             /* whole seconds are enough here */
        buf[20] = '\0';
        json_add_str(j, key, buf);
}

void json_add_strings(json_object *j, const void *base, bool pointers, const struct json_member *m, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *field = (const char *)base + m[i].offset;

                json_add_str(j, m[i].key, pointers ? *(const char *const *)field : field);
        }
}

void reply_json(struct request *rq, json_object *j)
{
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        frame_put_str(rq->reply, KAGI_T_JSON, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
}

int send_record(struct request *rq, json_object *j)
{
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REP_RECORD);

        if (!f)
                return -ENOMEM;
        frame_put_str(f, KAGI_T_JSON, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
        return frame_send(rq->fd, f, now_ms() + 10000);
}

void json_putp(json_object **j)
{
        json_object_put(*j);
}
