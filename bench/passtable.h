/* The benchmark's password table: a hash table on disk, so that checking a
 * password costs the same with 1,000 accounts as with 100,000 (pam_matrix,
 * which the first benchmark used, reads its passdb line by line: 0.3 ms a
 * login at 8,000 accounts, 4 ms at 100,000). accounts.c writes it,
 * pam_benchpw.so reads one or two slots of it per login.
 *
 * Layout: a header, then `slots` records; a record is the account name and
 * its password, each NUL-padded; an empty slot has an empty name. A name's
 * slot is its FNV-1a hash modulo `slots`, then the next ones (linear
 * probing); there are at least twice as many slots as accounts. */
#pragma once

#include <stdint.h>
#include <string.h>

#define PASSTABLE_MAGIC "kbpw0001"
#define PASSTABLE_FIELD 32                    /* bytes of a name, of a password, NUL included */

struct passtable_header {
        char magic[8];
        uint64_t slots;
};

struct passtable_record {
        char name[PASSTABLE_FIELD];
        char password[PASSTABLE_FIELD];
};

static inline uint64_t passtable_slot(const char *name, uint64_t slots)
{
        uint64_t h = 14695981039346656037u;

        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 1099511628211u;
        return h % slots;
}

static inline uint64_t passtable_offset(uint64_t slot)
{
        return sizeof(struct passtable_header) + slot * sizeof(struct passtable_record);
}
