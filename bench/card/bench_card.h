/* bench-card: one IC card + PIN login, measured end to end through the real
 * PAM stack, for kagi (pam_kagi.so + kagid) and for the module sites would
 * otherwise deploy (pam_pkcs11 + OpenSC), against the same virtual card in
 * the same private pcscd. See README.md. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "scard_timer.h"

/* The two stacks, in the order they are printed. */
enum stack {
        STACK_KAGI,
        STACK_PKCS11,
        STACK_MAX_,
};

/* One login, in nanoseconds: the whole PAM transaction and the time the
 * process spent inside PC/SC calls, split by what they wait for. */
struct sample {
        uint64_t total;
        uint64_t card;       /* SCardTransmit + SCardControl: the card working on APDUs */
        uint64_t session;    /* connect, reset/disconnect, transactions, status */
        uint64_t service;    /* contexts, reader lists, events: pcscd only */
        uint64_t cpu_pam;    /* CPU of the PAM process (the module, libpam, OpenSC) */
        uint64_t cpu_broker; /* CPU of kagid's threads */
        uint64_t cpu_card;   /* CPU of the virtual card (its signature) */
        uint32_t apdus;
        uint32_t pcsc_calls;
        uint64_t fn_calls[SCARD_FN_MAX_];
        uint64_t fn_ns[SCARD_FN_MAX_];
};

struct series {
        const char *key;     /* "RSA-2048", "P-256" */
        enum stack stack;
        struct sample *s;
        size_t n;
};

/* ---- pkcs11_conf.c: pam_pkcs11 + OpenSC set up as a site would ---------- */

struct pkcs11_conf {
        char dir[256];
        char pam_conf[320];      /* pam_pkcs11.conf, given as config_file= */
        char opensc_conf[320];   /* OpenSC's configuration (OPENSC_CONF) */
};

/* Writes the configuration into dir (created): the test CA and CRL in
 * hashed directories, a digest mapping of each certificate (PEM paths,
 * NULL-terminated) to user, OpenSC reading the card through scard_timer.
 * debug: pam_pkcs11 and OpenSC debug output (OpenSC's into dir). */
int pkcs11_conf_write(struct pkcs11_conf *c, const char *dir, const char *ca, const char *crl,
                      const char *const *certs, const char *user, const char *scard_timer, int debug);

/* ---- report.c: percentiles and the table --------------------------------- */

const char *stack_name(enum stack s);
/* The machine, the date and the software versions, as the table's heading. */
void report_machine(void);
void report_table(const struct series *all, size_t n, size_t logins, size_t warmup);
/* CPU time per login of the PAM process, kagid and the card. */
void report_cpu(const struct series *all, size_t n);
/* Per PC/SC function: mean calls and time per login (what the card's time is made of). */
void report_pcsc(const struct series *all, size_t n, scard_timer_name_fn *name);
