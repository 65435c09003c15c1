/* IC card login and the card registry (issue: "IC card + PIN login").
 * Until the card flow lands, every card request is refused. */
#include "broker.h"
#include "auth_internal.h"

static int refuse(struct request *rq)
{
        log_warn("card request refused: card login is not available in this build");
        reply_decision(rq, KAGI_DENY_POLICY, MSG_CARD_REFUSED);
        return 0;
}

int card_challenge(struct request *rq) { return refuse(rq); }
int card_verify(struct request *rq) { return refuse(rq); }

static int admin_refuse(struct request *rq)
{
        reply_error(rq, KAGI_DENY_INVALID, "card registry is not available in this build");
        return 0;
}

int admin_card_register(struct request *rq) { return admin_refuse(rq); }
int admin_card_revoke(struct request *rq) { return admin_refuse(rq); }
int admin_card_list(struct request *rq) { return admin_refuse(rq); }
