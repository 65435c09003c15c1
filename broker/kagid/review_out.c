/* The review's RECORD frames: a model of ~15 MB does not fit a 64 KiB frame,
 * so items of one member go out packed, as
 *   {"section":"accounts","member":"items","items":[{…},{…}]}
 * in frames of at most REVIEW_CHUNK bytes of JSON, and object sections whole,
 * as {"section":"meta","value":{…}}. kagictl puts them back together. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "review.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define REPLY_TIMEOUT_MS 10000

static int send_text(struct review *rv, const char *text)
{
        _cleanup_(frame_freep) struct frame *f = frame_new(KAGI_REP_RECORD);
        int r;

        if (!f)
                return -ENOMEM;
        frame_put_str(f, KAGI_T_JSON, text);
        if (f->error)
                return f->error;
        r = frame_send(rv->rq->fd, f, now_ms() + REPLY_TIMEOUT_MS);
        if (r >= 0)
                rv->records++;
        return r;
}

int review_flush(struct review *rv)
{
        int r;

        if (!rv->section)
                return 0;
        if (rv->len + 3 > sizeof(rv->buf))
                return -E2BIG;
        memcpy(rv->buf + rv->len, "]}", 3);
        rv->section = rv->member = NULL;
        rv->len = rv->pending = 0;
        r = send_text(rv, rv->buf);
        return r;
}

/* Starts a record for section.member unless it is the one being filled. */
static int open_member(struct review *rv, const char *section, const char *member)
{
        int n, r;

        if (rv->section && strcmp(rv->section, section) == 0 && strcmp(rv->member, member) == 0)
                return 0;
        r = review_flush(rv);
        if (r < 0)
                return r;
        /* section and member are kagi's own names: nothing to escape */
        n = snprintf(rv->buf, sizeof(rv->buf), "{\"section\":\"%s\",\"member\":\"%s\",\"items\":[", section, member);
        if (n < 0 || (size_t)n >= sizeof(rv->buf))
                return -E2BIG;
        rv->section = section;
        rv->member = member;
        rv->len = (size_t)n;
        return 0;
}

int review_item(struct review *rv, const char *section, const char *member, struct json_object *item)
{
        const char *text = json_object_to_json_string_ext(item, JSON_FLAGS);
        size_t n = text ? strlen(text) : 0;
        int r;

        if (!text)
                return -ENOMEM;
        r = open_member(rv, section, member);
        if (r < 0)
                return r;
        if (rv->pending > 0 && rv->len + 1 + n + 2 > REVIEW_CHUNK) {
                /* full: send it, and carry on in a new record of the same member */
                r = review_flush(rv);
                if (r >= 0)
                        r = open_member(rv, section, member);
                if (r < 0)
                        return r;
        }
        if (rv->len + 1 + n + 3 > sizeof(rv->buf)) {
                log_err("review: one %s.%s item of %zu bytes does not fit a frame", section, member, n);
                return -E2BIG;
        }
        if (rv->pending++ > 0)
                rv->buf[rv->len++] = ',';
        memcpy(rv->buf + rv->len, text, n);
        rv->len += n;
        rv->buf[rv->len] = '\0';
        rv->items++;
        return 0;
}

int review_items(struct review *rv, const char *section, const char *member, struct json_object *array)
{
        size_t n = array ? json_object_array_length(array) : 0;
        int r = open_member(rv, section, member);

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = review_item(rv, section, member, json_object_array_get_idx(array, i));
        return r;
}

int review_value(struct review *rv, const char *section, struct json_object *value)
{
        _cleanup_(json_putp) json_object *rec = json_object_new_object();
        const char *text;
        int r = review_flush(rv);

        if (r < 0)
                return r;
        if (!rec)
                return -ENOMEM;
        json_object_object_add(rec, "section", json_object_new_string(section));
        json_object_object_add(rec, "value", json_object_get(value));
        text = json_object_to_json_string_ext(rec, JSON_FLAGS);
        if (!text)
                return -ENOMEM;
        if (strlen(text) > REVIEW_CHUNK)
                return -E2BIG;
        return send_text(rv, text);
}

void review_put_text(json_object *j, const char *key, const char *value)
{
        if (value && *value)
                json_add_str(j, key, value);
}

void review_put_text_or_null(json_object *j, const char *key, const char *value)
{
        json_add_str(j, key, value && *value ? value : NULL);
}
