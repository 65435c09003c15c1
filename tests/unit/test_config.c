/* kagi.conf (policy/config.c): defaults, every kind of key, every error
 * naming file:LINE: key, and the zone rules checked once the whole file is
 * read (MFA-1, ACC-1). */
#include "unit.h"

#include "common.h"
#include "policy.h"

#define NAME "kagi.conf"

struct refusal_rule;

struct parsed {
        struct kagi_config *c;
        char err[512];
        const struct refusal_rule *rule;        /* a texts_are_refused test's */
};

static int parse_n(struct parsed *p, const char *text, size_t len)
{
        config_free(p->c);
        p->c = NULL;
        memset(p->err, 'X', sizeof(p->err));
        return config_parse((const uint8_t *)text, len, NAME, &p->c, p->err, sizeof(p->err));
}

static int parse(struct parsed *p, const char *text)
{
        return parse_n(p, text, strlen(text));
}

/* The text must be refused with an error that starts with `want`. */
static void refused(struct parsed *p, const char *text, const char *want)
{
        int r = parse(p, text);

        if (r != -EINVAL)
                fail_msg("accepted (%d): %s", r, text);
        assert_null(p->c);
        assert_prefix(p->err, want);
}

static int setup(void **state)
{
        struct parsed *p = calloc(1, sizeof(*p));

        if (!p)
                return -1;
        p->rule = *state;       /* the test's prestate: NULL but for texts_are_refused */
        *state = p;
        return 0;
}

static int teardown(void **state)
{
        struct parsed *p = *state;

        config_free(p->c);
        free(p);
        return 0;
}

/* ---- defaults and values ------------------------------------------------------ */

static void empty_file_gives_the_documented_defaults(void **state)
{
        struct parsed *p = *state;
        struct kagi_config *c;

        assert_int_equal(parse(p, ""), 0);
        c = p->c;
        assert_string_equal(c->path, NAME);
        assert_string_equal(c->socket, "/run/kagi/kagid.sock");
        assert_string_equal(c->database, "/var/lib/kagi/kagi.db");
        assert_string_equal(c->key_dir, "/etc/kagi/keys");
        assert_string_equal(c->admin_group, "kagi-admin");
        assert_string_equal(c->default_zone, "default");
        assert_int_equal(c->language, KAGI_LANG_EN);
        assert_null(c->contact);
        assert_int_equal(c->pam_timeout, 5);
        assert_int_equal(c->backend, KAGI_DIR_NSS);
        assert_int_equal(c->ldap_uri.n, 0);
        assert_int_equal(c->ldap_timeout, 5);
        assert_int_equal(c->lockout.threshold, 3);
        assert_int_equal(c->lockout.unlock_after, 0);       /* never: only an admin unlocks */
        assert_int_equal(c->privileged.threshold, 3);
        assert_int_equal(c->privileged.unlock_after, 0);
        assert_true(strv_contains(&c->privileged_groups, "root"));
        assert_null(c->lock_message);
        assert_int_equal(c->totp_digits, 6);
        assert_int_equal(c->totp_step, 30);
        assert_int_equal(c->totp_window, 1);
        assert_string_equal(c->totp_issuer, "kagi");
        assert_string_equal(c->card_ca_file, "/etc/kagi/card-ca.pem");
        assert_int_equal(c->card_crl_files.n, 0);
        assert_int_equal(c->card_pin_timeout, 30);
        /* the console, display managers and screen lockers; not sshd, su or sudo */
        assert_true(strv_contains(&c->card_local_services, "login"));
        assert_true(strv_contains(&c->card_local_services, "gdm-password"));
        assert_false(strv_contains(&c->card_local_services, "sshd"));
        assert_false(strv_contains(&c->card_local_services, "su"));
        assert_false(strv_contains(&c->card_local_services, "sudo"));
}

static void comments_and_blank_lines_are_ignored(void **state)
{
        struct parsed *p = *state;

        assert_int_equal(parse(p, "; a comment\n# another\n\n[lockout]\nthreshold = 5 ; inline\n"), 0);
        assert_int_equal(p->c->lockout.threshold, 5);
}

static void string_and_path_keys_are_read(void **state)
{
        struct parsed *p = *state;

        assert_int_equal(parse(p, "[broker]\n"
                                  "socket = /tmp/k/kagid.sock\n"
                                  "database = /tmp/k/kagi.db\n"
                                  "key_dir = /tmp/k/keys\n"
                                  "admin_group = ops\n"
                                  "contact = 情報政策課 (内線 1234)\n"),
                         0);
        assert_string_equal(p->c->socket, "/tmp/k/kagid.sock");
        assert_string_equal(p->c->database, "/tmp/k/kagi.db");
        assert_string_equal(p->c->key_dir, "/tmp/k/keys");
        assert_string_equal(p->c->admin_group, "ops");
        assert_string_equal(p->c->contact, "情報政策課 (内線 1234)");
}

static void number_keys_are_read_within_their_range(void **state)
{
        struct parsed *p = *state;

        assert_int_equal(parse(p, "[lockout]\nthreshold = 1\nprivileged_threshold = 100\n"
                                  "[totp]\ndigits = 8\nstep = 60\nwindow = 0\n"
                                  "[pam]\ntimeout = 120\n"),
                         0);
        assert_int_equal(p->c->lockout.threshold, 1);
        assert_int_equal(p->c->privileged.threshold, 100);
        assert_int_equal(p->c->totp_digits, 8);
        assert_int_equal(p->c->totp_step, 60);
        assert_int_equal(p->c->totp_window, 0);
        assert_int_equal(p->c->pam_timeout, 120);
}

static void duration_keys_are_read(void **state)
{
        struct parsed *p = *state;

        assert_int_equal(parse(p, "[lockout]\nunlock_after = 30m\nprivileged_unlock_after = 2d\n"), 0);
        assert_int_equal(p->c->lockout.unlock_after, 1800);
        assert_int_equal(p->c->privileged.unlock_after, 172800);
        assert_int_equal(parse(p, "[lockout]\nunlock_after = never\n"), 0);
        assert_int_equal(p->c->lockout.unlock_after, 0);
}

static void bool_keys_are_read(void **state)
{
        struct parsed *p = *state;

        assert_int_equal(parse(p, "[directory]\nstarttls = yes\nsasl_external = off\n"), 0);
        assert_true(p->c->ldap_starttls);
        assert_false(p->c->ldap_sasl_external);
}

static void list_keys_split_words_and_add_up_when_repeated(void **state)
{
        struct parsed *p = *state;

        assert_int_equal(parse(p, "[card]\ncrl_file = /a.crl /b.crl\ncrl_file = /c.crl\n"
                                  "[lockout]\nprivileged_groups = wheel, admins\n"),
                         0);
        assert_int_equal(p->c->card_crl_files.n, 3);
        assert_string_equal(p->c->card_crl_files.v[0], "/a.crl");
        assert_string_equal(p->c->card_crl_files.v[2], "/c.crl");
        /* given, the list replaces nothing: it adds to the default */
        assert_true(strv_contains(&p->c->privileged_groups, "wheel"));
        assert_true(strv_contains(&p->c->privileged_groups, "admins"));
}

/* [card] local_services names what is at the reader: given, it is the whole
 * list (a default that could not be shortened would keep a service local
 * that the administrator knows is not). */
static void local_services_replace_the_default(void **state)
{
        struct parsed *p = *state;

        assert_int_equal(parse(p, "[card]\nlocal_services = login\nlocal_services = kiosk\n"), 0);
        assert_int_equal(p->c->card_local_services.n, 2);
        assert_string_equal(p->c->card_local_services.v[0], "login");
        assert_string_equal(p->c->card_local_services.v[1], "kiosk");
        /* empty: no service is at the reader, cards are never used */
        assert_int_equal(parse(p, "[card]\nlocal_services =\n"), 0);
        assert_int_equal(p->c->card_local_services.n, 0);
}

static void choice_keys_are_read(void **state)
{
        struct parsed *p = *state;

        assert_int_equal(parse(p, "[broker]\nlanguage = ja\n"
                                  "[directory]\nbackend = ldap\nuri = ldaps://a ldaps://b\n"
                                  "base = dc=example,dc=jp\nschema = ad\n"),
                         0);
        assert_int_equal(p->c->language, KAGI_LANG_JA);
        assert_int_equal(p->c->backend, KAGI_DIR_LDAP);
        assert_int_equal(p->c->ldap_uri.n, 2);
        assert_string_equal(p->c->ldap_uri.v[1], "ldaps://b");
        assert_string_equal(p->c->ldap_base, "dc=example,dc=jp");
        assert_int_equal(p->c->ldap_schema, KAGI_LDAP_AD);
}

/* ---- errors name file:LINE: key -------------------------------------------------- */

/* The rules shown by texts alone: each text is refused with an error that
 * starts with `want`. Every rule is a test of its own (see main). */
struct refusal_rule {
        const char *name;
        struct {
                const char *text;
                const char *want;
        } texts[8];
};

static const struct refusal_rule refusal_rules[] = {
        { "unknown_key_is_an_error", {
                { "[lockout]\nthreshold = 3\nthreshhold = 4\n", NAME ":3: threshhold: unknown key in [lockout]" },
        } },
        { "unknown_section_is_an_error", {
                /* named at its header, with or without keys under it */
                { "[broker]\nsocket = /s\n[brokr]\nworkers = 2\n", NAME ":3: [brokr]: unknown section" },
                { "[broker]\nsocket = /s\n[brokr]\n", NAME ":3: [brokr]: unknown section" },
        } },
        { "duplicate_key_is_an_error", {
                { "[lockout]\nthreshold = 3\nthreshold = 5\n", NAME ":3: threshold: given twice in [lockout]" },
        } },
        { "duplicate_section_is_an_error", {
                { "[lockout]\nthreshold = 3\n[totp]\ndigits = 6\n[lockout]\nunlock_after = 1h\n",
                  NAME ":5: [lockout]: section appears twice" },
        } },
        { "duplicate_adjacent_section_is_an_error", {
                { "[lockout]\nthreshold = 3\n[lockout]\nunlock_after = 1h\n",
                  NAME ":3: [lockout]: section appears twice" },
                { "[zone default]\n[zone default]\nfactors = card+pin\nusers = *\n",
                  NAME ":2: [zone default]: section appears twice" },
        } },
        { "bad_number_is_an_error", {
                { "[lockout]\nthreshold = three\n",
                  NAME ":2: threshold: 'three' is not a whole number from 1 to 100" },
                { "[lockout]\nthreshold = -1\n", NAME ":2: threshold: " },
                { "[lockout]\nthreshold = 3x\n", NAME ":2: threshold: " },
        } },
        { "number_out_of_range_is_an_error", {
                { "[lockout]\nthreshold = 0\n", NAME ":2: threshold: '0' is not a whole number from 1 to 100" },
                { "[lockout]\nthreshold = 101\n", NAME ":2: threshold: '101'" },
                { "[totp]\ndigits = 5\n", NAME ":2: digits: '5' is not a whole number from 6 to 8" },
                { "[totp]\n\ndigits = 9\n", NAME ":3: digits: " },
                { "[totp]\nwindow = 11\n", NAME ":2: window: " },
                { "[lockout]\nthreshold = 99999999999999999999999\n", NAME ":2: threshold: " },
        } },
        { "bad_duration_is_an_error", {
                { "[lockout]\nunlock_after = 5x\n",
                  NAME ":2: unlock_after: '5x' is not 'never' or a duration like 30m, 1h, 2d" },
                /* zero would unlock at once: say never instead */
                { "[lockout]\nunlock_after = 0\n", NAME ":2: unlock_after: '0' is not 'never'" },
                { "[lockout]\nprivileged_unlock_after = 11000d\n", NAME ":2: privileged_unlock_after: " },
        } },
        { "bad_bool_is_an_error", {
                { "[directory]\nstarttls = maybe\n", NAME ":2: starttls: 'maybe' is not yes or no" },
        } },
        { "bad_choice_is_an_error", {
                { "[broker]\nlanguage = fr\n", NAME ":2: language: 'fr' is not en or ja" },
                { "[directory]\nbackend = files\n", NAME ":2: backend: 'files' is not nss or ldap" },
                { "[directory]\nschema = novell\n", NAME ":2: schema: 'novell' is not openldap or ad" },
        } },
        { "relative_path_is_an_error", {
                { "[broker]\nsocket = run/kagid.sock\n", NAME ":2: socket: must be an absolute path" },
                { "[card]\nca_file = ca.pem\n", NAME ":2: ca_file: must be an absolute path" },
        } },
        { "empty_value_is_an_error", {
                { "[broker]\nadmin_group =\n", NAME ":2: admin_group: empty value" },
        } },
        { "control_character_is_an_error", {
                { "[broker]\ncontact = help\x01""desk\n", NAME ":2: contact: control character in value" },
                { "[broker]\ncontact = help\x1b[31mdesk\n", NAME ":2: contact: control character" },
                { "[broker]\ncontact = help\x7f""desk\n", NAME ":2: contact: control character" },
        } },
        { "syntax_error_names_the_line", {
                { "[lockout]\nthreshold 3\n", NAME ":2: syntax error" },
        } },
        { "key_outside_a_section_is_an_error", {
                { "threshold = 3\n", NAME ":1: []: unknown section" },
        } },
        /* zones */
        { "zone_factors_must_be_factor_sets", {
                { "[zone default]\nfactors = password+otp\nusers = *\n",
                  NAME ":2: factors: 'password+otp' is not a factor set" },
                { "[zone default]\nfactors = password+\nusers = *\n", NAME ":2: factors: 'password+'" },
                { "[zone default]\nfactors = card+pin card+pin card+pin card+pin card+pin card+pin card+pin "
                  "card+pin card+pin\nusers = *\n",
                  NAME ":2: factors: give 1 to 8 factor sets" },
        } },
        { "zone_without_factors_is_refused", {
                { "[zone default]\nusers = *\n", NAME ": [zone default]: factors: missing" },
        } },
        { "single_factor_set_is_refused_in_a_mynumber_zone", {
                { "[zone default]\nfactors = card+pin totp\nusers = *\n",
                  NAME ": [zone default]: factors: 'totp' is single-factor; the My Number zone needs two kinds (MFA-1)" },
                { "[zone default]\nfactors = password\nusers = *\n",
                  NAME ": [zone default]: factors: 'password' is single-factor" },
                { "[zone default]\nfactors = card\nmynumber = yes\nusers = *\n",
                  NAME ": [zone default]: factors: 'card' is single-factor" },
                /* two factors of one kind are still one kind */
                { "[zone default]\nfactors = card+totp\nusers = *\n",
                  NAME ": [zone default]: factors: 'totp+card' is single-factor" },
        } },
        { "pin_without_card_is_refused", {
                { "[zone default]\nfactors = password+pin\nusers = *\n",
                  NAME ": [zone default]: factors: 'password+pin': a pin is only checked by its card" },
                { "[zone default]\nfactors = pin+totp\nmynumber = no\nusers = *\n",
                  NAME ": [zone default]: factors: 'totp+pin': a pin is only checked by its card" },
        } },
        { "default_zone_must_exist", {
                { "[zone office]\nfactors = card+pin\nusers = *\n",
                  NAME ": default_zone: no [zone default] section" },
                { "[broker]\ndefault_zone = nowhere\n", NAME ": default_zone: no [zone nowhere] section" },
        } },
        { "zone_key_given_twice_is_an_error", {
                { "[zone default]\nfactors = card+pin\nfactors = password+totp\nusers = *\n",
                  NAME ":3: factors: given twice in [zone default]" },
        } },
        /* the directory */
        { "ldap_backend_needs_uri", {
                { "[directory]\nbackend = ldap\nbase = dc=example,dc=jp\n",
                  NAME ": uri: [directory] backend = ldap needs uri" },
        } },
        { "ldap_backend_needs_base", {
                { "[directory]\nbackend = ldap\nuri = ldaps://ldap.example.jp\n",
                  NAME ": base: [directory] backend = ldap needs base" },
        } },
};

static void texts_are_refused(void **state)
{
        struct parsed *p = *state;

        assert_non_null(p->rule);
        assert_non_null(p->rule->texts[0].text);
        for (size_t i = 0; i < ARRAY_SIZE(p->rule->texts) && p->rule->texts[i].text; i++)
                refused(p, p->rule->texts[i].text, p->rule->texts[i].want);
}

/* A line of len bytes: start, then as many 'c' as it takes. */
static const char *line_of(const char *start, size_t len)
{
        static char line[256];
        size_t n = strlen(start);

        assert_true(n <= len && len < sizeof(line));
        memcpy(line, start, n);
        memset(line + n, 'c', len - n);
        line[len] = '\0';
        return line;
}

/* inih's line buffer holds 199 bytes: such a line is read whole, a longer
 * one is refused rather than silently split. */
static void line_of_199_bytes_is_read_whole(void **state)
{
        struct parsed *p = *state;
        const char *line = line_of("contact = ", 199);
        char text[512];

        snprintf(text, sizeof(text), "[broker]\n%s\n[lockout]\nthreshold = 4\n", line);
        assert_int_equal(parse(p, text), 0);
        assert_string_equal(p->c->contact, line + strlen("contact = "));
        assert_int_equal(p->c->lockout.threshold, 4);
}

static void line_over_199_bytes_is_an_error(void **state)
{
        struct parsed *p = *state;
        char text[512];

        snprintf(text, sizeof(text), "[broker]\n%s\n", line_of("contact = ", 200));
        refused(p, text, NAME ":2: line longer than 199 bytes");
        /* a comment is a line too, and so is the last one without a newline */
        snprintf(text, sizeof(text), "[broker]\n\n%s", line_of(";", 200));
        refused(p, text, NAME ":3: line longer than 199 bytes");
}

static void nul_byte_is_an_error(void **state)
{
        struct parsed *p = *state;
        const char text[] = "[broker]\nsocket = /a\0/b\n";

        assert_int_equal(parse_n(p, text, sizeof(text) - 1), -EINVAL);
        assert_null(p->c);
        assert_string_equal(p->err, NAME ":2: NUL byte in file");
}

static void file_too_large_is_an_error(void **state)
{
        struct parsed *p = *state;
        _cleanup_(freep) char *text = malloc(KAGI_CONFIG_MAX + 1);

        assert_non_null(text);
        memset(text, '\n', KAGI_CONFIG_MAX + 1);
        assert_int_equal(parse_n(p, text, KAGI_CONFIG_MAX + 1), -E2BIG);
        assert_null(p->c);
        assert_prefix(p->err, NAME ": larger than");
        /* the largest allowed size is fine */
        assert_int_equal(parse_n(p, text, KAGI_CONFIG_MAX), 0);
}

static void error_message_fits_a_small_buffer(void **state)
{
        struct kagi_config *c = NULL;
        char err[8];
        const char *text = "[lockout]\nthreshold = 0\n";

        (void)state;
        memset(err, 'X', sizeof(err));
        assert_int_equal(config_parse((const uint8_t *)text, strlen(text), NAME, &c, err, sizeof(err)), -EINVAL);
        assert_null(c);
        assert_string_equal(err, "kagi.co");
}

/* ---- zones ----------------------------------------------------------------------- */

static void default_zone_is_synthesised_when_none_is_given(void **state)
{
        struct parsed *p = *state;
        const struct kagi_zone *z;

        assert_int_equal(parse(p, "[lockout]\nthreshold = 3\n"), 0);
        assert_int_equal(p->c->n_zones, 1);
        z = config_zone(p->c, "default");
        assert_non_null(z);
        assert_true(z->mynumber);
        assert_int_equal(z->n_sets, 2);
        assert_int_equal(z->sets[0], KAGI_F_CARD | KAGI_F_PIN);
        assert_int_equal(z->sets[1], KAGI_F_PASSWORD | KAGI_F_TOTP);
        assert_true(strv_contains(&z->users, "*"));
        assert_null(config_zone(p->c, "other"));
}

static void zone_factors_are_read(void **state)
{
        struct parsed *p = *state;
        const struct kagi_zone *z;

        assert_int_equal(parse(p, "[broker]\ndefault_zone = office\n"
                                  "[zone office]\nfactors = password+totp card+pin password+card\n"
                                  "users = alice bob\ngroups = staff\n"),
                         0);
        z = config_zone(p->c, "office");
        assert_non_null(z);
        assert_true(z->mynumber);               /* unless said otherwise */
        assert_int_equal(z->n_sets, 3);
        assert_int_equal(z->sets[0], KAGI_F_PASSWORD | KAGI_F_TOTP);
        assert_int_equal(z->sets[1], KAGI_F_CARD | KAGI_F_PIN);
        assert_int_equal(z->sets[2], KAGI_F_PASSWORD | KAGI_F_CARD);
        assert_int_equal(z->users.n, 2);
        assert_true(strv_contains(&z->groups, "staff"));
        assert_null(config_zone(p->c, "default"));
}

static void single_factor_set_is_allowed_outside_the_mynumber_zone(void **state)
{
        struct parsed *p = *state;
        const struct kagi_zone *z;

        assert_int_equal(parse(p, "[zone default]\nfactors = totp card\nmynumber = no\nusers = *\n"), 0);
        z = config_zone(p->c, "default");
        assert_false(z->mynumber);
        assert_int_equal(z->n_sets, 2);
        assert_int_equal(z->sets[0], KAGI_F_TOTP);
}

static void zone_without_users_or_groups_is_refused(void **state)
{
        struct parsed *p = *state;

        refused(p, "[zone default]\nfactors = card+pin\n", NAME ": [zone default]: nobody may log in");
        assert_int_equal(parse(p, "[zone default]\nfactors = card+pin\ngroups = staff\n"), 0);
}

static void zone_name_must_be_simple(void **state)
{
        struct parsed *p = *state;

        refused(p, "[zone Office]\nusers = *\n", NAME ":1: [zone Office]: zone names are 1-32 of a-z 0-9 - _");
        refused(p, "[zone a/b]\nusers = *\n", NAME ":1: [zone a/b]: zone names");
        refused(p, "[zone 0123456789012345678901234567890123]\nusers = *\n", NAME ":1: [zone 0123");
        refused(p, "[zone Office]\n", NAME ":1: [zone Office]: zone names");
        assert_int_equal(parse(p, "[broker]\ndefault_zone = my-number_1\n"
                                  "[zone my-number_1]\nfactors = card+pin\nusers = *\n"),
                         0);
}

static void zone_lists_add_up_when_repeated(void **state)
{
        struct parsed *p = *state;
        const struct kagi_zone *z;

        assert_int_equal(parse(p, "[zone default]\nfactors = card+pin\nusers = alice\nusers = bob\n"), 0);
        z = config_zone(p->c, "default");
        assert_int_equal(z->users.n, 2);
        assert_true(strv_contains(&z->users, "bob"));
}

/* ---- directory ------------------------------------------------------------------ */

static void ldap_bind_dn_needs_a_password_file(void **state)
{
        struct parsed *p = *state;

        refused(p, "[directory]\nbackend = ldap\nuri = ldaps://l\nbase = dc=x\nbind_dn = cn=kagi,dc=x\n",
                NAME ": bind_password_file: bind_dn needs a bind_password_file");
        assert_int_equal(parse(p, "[directory]\nbackend = ldap\nuri = ldaps://l\nbase = dc=x\nbind_dn = cn=kagi,dc=x\n"
                                  "bind_password_file = /etc/kagi/ldap.secret\n"),
                         0);
        assert_string_equal(p->c->ldap_bind_password_file, "/etc/kagi/ldap.secret");
}

static void ldap_settings_do_not_matter_for_nss(void **state)
{
        struct parsed *p = *state;

        assert_int_equal(parse(p, "[directory]\nbackend = nss\nbind_dn = cn=kagi,dc=x\n"), 0);
        assert_int_equal(p->c->backend, KAGI_DIR_NSS);
}

int main(void)
{
        static const struct CMUnitTest listed[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(empty_file_gives_the_documented_defaults),
                T(comments_and_blank_lines_are_ignored),
                T(string_and_path_keys_are_read),
                T(number_keys_are_read_within_their_range),
                T(duration_keys_are_read),
                T(bool_keys_are_read),
                T(list_keys_split_words_and_add_up_when_repeated),
                T(local_services_replace_the_default),
                T(choice_keys_are_read),
                T(line_of_199_bytes_is_read_whole),
                T(line_over_199_bytes_is_an_error),
                T(nul_byte_is_an_error),
                T(file_too_large_is_an_error),
                T(error_message_fits_a_small_buffer),
                T(default_zone_is_synthesised_when_none_is_given),
                T(zone_factors_are_read),
                T(single_factor_set_is_allowed_outside_the_mynumber_zone),
                T(zone_without_users_or_groups_is_refused),
                T(zone_name_must_be_simple),
                T(zone_lists_add_up_when_repeated),
                T(ldap_bind_dn_needs_a_password_file),
                T(ldap_settings_do_not_matter_for_nss),
#undef T
        };
        struct CMUnitTest tests[ARRAY_SIZE(listed) + ARRAY_SIZE(refusal_rules)];

        memcpy(tests, listed, sizeof(listed));
        for (size_t i = 0; i < ARRAY_SIZE(refusal_rules); i++)
                tests[ARRAY_SIZE(listed) + i] = (struct CMUnitTest){
                        .name = refusal_rules[i].name,
                        .test_func = texts_are_refused,
                        .setup_func = setup,
                        .teardown_func = teardown,
                        .initial_state = (void *)&refusal_rules[i],
                };
        return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
