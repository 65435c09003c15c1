/* A real pcscd with the vsmartcard vpcd driver and the virtual card, for
 * any test that needs a card (the card tests, later the PAM login tests).
 *
 *   struct card_fixture f;
 *   fixture_init(&f);                  temporary directory + fresh test PKI
 *   fixture_pcscd_start(&f);           private pcscd; PCSCLITE_CSOCK_NAME set
 *   fixture_vcard_start(&f, (const char *[]){ "--piv-cert", fixture_pki(&f, "alice-rsa.pem"),
 *                                             "--piv-key", fixture_pki(&f, "alice-rsa.key"), NULL });
 *   ... the card is in the reader f.reader ...
 *   fixture_vcard_pull(&f);            card out (pcscd has seen it)
 *   fixture_vcard_push(&f);            card back in
 *   fixture_cleanup(&f);               stops everything, removes the directory
 *
 * The private pcscd runs in its own mount namespace where /run is the
 * fixture's directory (Debian's pcscd 1.9.9 ignores PCSCLITE_CSOCK_NAME and
 * always uses /run/pcscd) and where the USB driver directory is empty, so a
 * system pcscd and real readers are never touched. Clients find it through
 * PCSCLITE_CSOCK_NAME, which libpcsclite reads once per process: use one
 * fixture per test process (pcscd may be stopped and started again in it).
 * Children get PR_SET_PDEATHSIG, so nothing outlives a killed test.
 *
 * Needs root or unprivileged user namespaces; otherwise fixture_pcscd_start
 * returns -EPERM and the test should skip. Every function returns 0 or a
 * negative errno and prints what went wrong (with the daemon's log) to
 * stderr. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define FIXTURE_READER_NAME "Kagi Test PCD 00 00"

struct card_fixture {
        char dir[64];                /* private directory, removed by fixture_cleanup */
        char pki_dir[80];            /* dir/pki: see make-test-pki.sh for its files */
        char socket[108];            /* pcscd's socket, also in PCSCLITE_CSOCK_NAME */
        char reader[128];            /* the vpcd reader the virtual card sits in */
        char vcard_state[96];        /* the card's PIN counters (kagi-vcard --state) */
        unsigned port;               /* vpcd's TCP port for this fixture */
        bool no_reader;              /* set before fixture_pcscd_start: a pcscd without readers */
        pid_t pcscd;
        pid_t vcard;
};

/* Temporary directory and a fresh PKI in dir/pki. */
int fixture_init(struct card_fixture *f);
/* For a test program: fixture_init and fixture_pcscd_start. Where no private
 * pcscd is possible it returns 0 with *ret_unavailable set: the tests skip. */
int fixture_start(struct card_fixture *f, bool *ret_unavailable);
/* Stops the card and pcscd, removes the directory (kept when the
 * environment has KAGI_TEST_KEEP=1, for looking at the logs). */
void fixture_cleanup(struct card_fixture *f);

/* Path of a file of the test PKI, e.g. "alice-rsa.pem", or of a file in the
 * fixture directory. The string lives until 8 more calls. */
const char *fixture_pki(struct card_fixture *f, const char *name);
const char *fixture_file(struct card_fixture *f, const char *name);

/* pcscd: started and ready (the vpcd reader is listed) or an error. */
int fixture_pcscd_start(struct card_fixture *f);
void fixture_pcscd_stop(struct card_fixture *f);

/* The virtual card, with kagi-vcard arguments besides --port and --state
 * (NULL-terminated). Returns once pcscd reports the card present. */
int fixture_vcard_start(struct card_fixture *f, const char *const *args);
/* Stops the card; returns once the reader is empty. */
void fixture_vcard_stop(struct card_fixture *f);
/* Pulls the card out / puts it back; returns once pcscd has seen it. */
int fixture_vcard_pull(struct card_fixture *f);
int fixture_vcard_push(struct card_fixture *f);
/* Waits until pcscd reports the reader empty (e.g. after --vanish-on-ins). */
int fixture_wait_empty(struct card_fixture *f);
/* The card's PIN tries left as it keeps them: app "piv" or "jpki". */
int fixture_vcard_tries(struct card_fixture *f, const char *app);

/* Runs a program (argv[0] a path), with its output appended to
 * dir/commands.log; returns its exit status, or a negative errno. */
int fixture_run(struct card_fixture *f, const char *const *argv);
