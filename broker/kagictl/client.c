/* kagictl's end of the socket: one request, its records, its RESULT. */
#include <errno.h>

#include "ctl.h"

int client_call(const char *socket, uid_t broker_uid, int timeout_ms, const struct frame *req,
                client_record_cb on_record, void *userdata, struct kagi_msg *ret, uid_t *ret_server_uid)
{
        _cleanup_(closep) int fd = -1;
        int64_t deadline = now_ms() + timeout_ms;
        int r;

        r = io_connect_unix(socket, deadline, &fd);
        if (r < 0)
                return r;
        /* a reason, a secret or a certificate goes only to kagid */
        r = io_check_server(fd, broker_uid, ret_server_uid);
        if (r < 0)
                return r;
        r = frame_send(fd, req, deadline);
        if (r < 0)
                return r;
        for (;;) {
                /* a long listing may take a while; each frame gets the full timeout */
                r = frame_recv(fd, ret, now_ms() + timeout_ms);
                if (r < 0)
                        return r;
                if (ret->type == KAGI_REP_RESULT)
                        return 0;
                if (ret->type != KAGI_REP_RECORD)
                        return -EBADMSG;
                if (on_record) {
                        r = on_record(userdata, ret);
                        if (r < 0)
                                return r;
                }
        }
}
