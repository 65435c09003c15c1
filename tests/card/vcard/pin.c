/* PIN retry counters. They really decrement and block, survive a removal of
 * the card (they live in the process), and with --state FILE also a restart
 * of the card, and the tests can read them there. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vcard.h"

uint16_t vc_pin_status(const struct vc_pin *pin)
{
        if (pin->tries == 0)
                return SW_PIN_BLOCKED;
        return (uint16_t)(0x63C0 | pin->tries);
}

uint16_t vc_pin_verify(struct vcard *vc, struct vc_pin *pin, const uint8_t *p, size_t n)
{
        if (pin->tries == 0)
                return SW_PIN_BLOCKED;
        if (n == pin->len && memcmp(p, pin->value, n) == 0) {
                pin->verified = true;
                if (pin->tries != pin->max) {
                        pin->tries = pin->max;
                        vc_state_save(vc);
                }
                return SW_OK;
        }
        pin->verified = false;
        pin->tries--;
        vc_state_save(vc);
        vc_log(vc, "wrong PIN, %u tries left", pin->tries);
        return (uint16_t)(0x63C0 | pin->tries);
}

int vc_state_load(struct vcard *vc)
{
        FILE *f;
        char key[32];
        unsigned v;

        if (!vc->state_file)
                return 0;
        f = fopen(vc->state_file, "re");
        if (!f)
                return errno == ENOENT ? vc_state_save(vc) : -errno;
        while (fscanf(f, "%31s %u", key, &v) == 2) {
                if (strcmp(key, "piv_pin_tries") == 0 && v <= vc->piv_pin.max)
                        vc->piv_pin.tries = v;
                else if (strcmp(key, "jpki_pin_tries") == 0 && v <= vc->jpki_pin.max)
                        vc->jpki_pin.tries = v;
        }
        fclose(f);
        return 0;
}

/* Written to a temporary file and renamed, so a reader never sees half. */
int vc_state_save(const struct vcard *vc)
{
        char tmp[4096];
        FILE *f;

        if (!vc->state_file)
                return 0;
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", vc->state_file) >= sizeof(tmp))
                return -ENAMETOOLONG;
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        fprintf(f, "piv_pin_tries %u\njpki_pin_tries %u\n", vc->piv_pin.tries, vc->jpki_pin.tries);
        if (fclose(f) != 0 || rename(tmp, vc->state_file) < 0) {
                unlink(tmp);
                return -EIO;
        }
        return 0;
}
