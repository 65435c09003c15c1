/* kagi-bench-report: how long each format of the account review takes, and
 * how much memory, for a municipality-sized model: 10,000 accounts and a
 * year of 1,000,000 audit records, which kagid aggregates into listings
 * (tens of thousands of shared-ID uses) and 365 days of counts.
 *
 *   kagi-bench-report [--accounts N] [--shared-uses N] [--lang ja|en] [--dump FILE]
 *
 * Builds the model synthetically (deterministic: the same figures every run),
 * then renders each format in a child process of its own, so each peak RSS
 * is that format's alone (model included, as in kagictl). --dump writes the
 * model instead, for the format tests. */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"
#include "report.h"

struct size {
        uint64_t accounts, departments, shared_ids, shared_uses, grants, locks, records;
};

static void json_object_putp(struct json_object **o) { json_object_put(*o); }

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
        /* xorshift64*: any fixed sequence will do */
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        return rng * 0x2545f4914f6cdd1du;
}

static uint64_t below(uint64_t n) { return n ? next() % n : 0; }

static const char *const family[] = { "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
                                      "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水" };
static const char *const given[] = { "太郎", "花子", "一郎", "美咲", "健", "直樹", "陽子", "翔太", "由美", "大輔",
                                     "恵", "拓也", "真理子", "誠", "さくら", "亮", "愛", "浩", "彩", "修" };
static const char *const depts[] = { "保険年金課", "市民窓口課", "税務課", "収納課", "福祉課", "子育て支援課",
                                     "高齢福祉課", "障がい福祉課", "健康増進課", "地域づくり推進課", "生活環境課",
                                     "都市計画課", "教育総務課", "学校教育課", "情報政策課", "総務課", "人事課",
                                     "財政課", "農業委員会事務局", "選挙管理委員会事務局" };

#define YEAR_START INT64_C(1711897200)     /* 2024-04-01T00:00:00+09:00 */
#define DAY 86400

static void put_str(struct json_object *o, const char *k, const char *v)
{
        json_object_object_add(o, k, json_object_new_string(v));
}

/* Values that repeat (departments, zones, types, terminals, reasons): one
 * json-c string shared by every item that holds it, as a gatherer should
 * build them; json-c counts the references. */
static struct json_object *interned;

static struct json_object *intern(const char *v)
{
        struct json_object *o;

        if (!interned)
                interned = json_object_new_object();
        if (!json_object_object_get_ex(interned, v, &o)) {
                o = json_object_new_string(v);
                json_object_object_add(interned, v, o);
        }
        return json_object_get(o);
}

static void put_shared(struct json_object *o, const char *k, const char *v)
{
        json_object_object_add(o, k, intern(v));
}

static void put_int(struct json_object *o, const char *k, int64_t v)
{
        json_object_object_add(o, k, json_object_new_int64(v));
}

static void put_time(struct json_object *o, const char *k, int64_t t)
{
        char buf[32];
        struct tm tm;
        time_t tt = (time_t)t;

        gmtime_r(&tt, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        put_str(o, k, buf);
}

static const char *dept(uint64_t i, const struct size *z, char buf[static 64])
{
        uint64_t d = i % z->departments;

        if (d < ARRAY_SIZE(depts))
                return depts[d];
        snprintf(buf, 64, "第%02u出張所", (unsigned)d);
        return buf;
}

static struct json_object *section(struct json_object *m, const char *name)
{
        struct json_object *s = json_object_new_object();

        json_object_object_add(m, name, s);
        return s;
}

static struct json_object *array(struct json_object *s, const char *name)
{
        struct json_object *a = json_object_new_array();

        json_object_object_add(s, name, a);
        return a;
}

static void person(uint64_t i, char name[static 32], char display[static 64])
{
        snprintf(name, 32, "u%05u", (unsigned)i);
        snprintf(display, 64, "%s %s", family[i % ARRAY_SIZE(family)], given[(i / ARRAY_SIZE(family)) % ARRAY_SIZE(given)]);
}

static struct json_object *build(const struct size *z)
{
        struct json_object *m = json_object_new_object(), *meta = section(m, "meta"), *p, *a, *s, *o, *l;
        int64_t end = YEAR_START + 365 * DAY;
        uint64_t persons = z->accounts - z->shared_ids - 300;   /* shared IDs and service/privileged accounts */
        char name[32], display[64], d[64], buf[64];

        put_int(meta, "schema_version", REPORT_SCHEMA_VERSION);
        put_time(meta, "generated", end + 600);
        p = json_object_new_object();
        put_time(p, "from", YEAR_START);
        put_time(p, "to", end - 1);
        json_object_object_add(meta, "period", p);
        put_int(meta, "dormant_days", 90);
        put_str(meta, "host", "mn-kagid-01");
        put_int(meta, "utc_offset_minutes", 540);
        put_str(meta, "organisation", "ベンチ市");
        put_str(meta, "generator", "kagi-bench-report");

        a = array(section(m, "accounts"), "items");
        for (uint64_t i = 0; i < z->accounts; i++) {
                o = json_object_new_object();
                person(i, name, display);
                if (i >= persons + z->shared_ids) {
                        snprintf(name, sizeof(name), i % 3 ? "svc%03u" : "adm%03u", (unsigned)(i - persons - z->shared_ids));
                        put_str(o, "name", name);
                        put_shared(o, "type", i % 3 ? "service" : "privileged");
                        put_shared(o, "owner", "u00001");
                } else if (i >= persons) {
                        struct json_object *mem = json_object_new_array();

                        snprintf(name, sizeof(name), "mado%03u", (unsigned)(i - persons));
                        put_str(o, "name", name);
                        put_shared(o, "display_name", "窓口共用端末");
                        put_shared(o, "type", "shared");
                        for (uint64_t k = 0; k < 10; k++) {
                                char n[32], dn[64];

                                person((i * 7 + k * 13) % persons, n, dn);
                                json_object_array_add(mem, json_object_new_string(n));
                        }
                        json_object_object_add(o, "members", mem);
                } else {
                        put_str(o, "name", name);
                        put_str(o, "display_name", display);
                        put_shared(o, "type", "personal");
                        l = json_object_new_array();
                        json_object_array_add(l, intern("card"));
                        if (i % 4 == 0)
                                json_object_array_add(l, intern("totp"));
                        json_object_object_add(o, "factors", l);
                }
                put_shared(o, "department", dept(i, z, d));
                put_shared(o, "zone", "mynumber");
                /* 2% never logged in, 12% not for more than 90 days */
                if (below(50) != 0)
                        put_time(o, "last_success", end - (int64_t)(below(100) < 12 ? 91 + below(270) : below(90)) * DAY);
                if (below(3) == 0)
                        put_time(o, "last_failure", end - (int64_t)below(365) * DAY);
                put_int(o, "failures", (int64_t)below(3));
                json_object_object_add(o, "locked", json_object_new_boolean(below(200) == 0));
                put_time(o, "created", YEAR_START - (int64_t)below(2000) * DAY);
                json_object_array_add(a, o);
        }

        s = section(m, "factors");
        a = array(s, "missing");
        for (uint64_t i = 0; i < z->accounts / 100; i++) {
                o = json_object_new_object();
                person(i * 97 % persons, name, display);
                put_str(o, "account", name);
                put_shared(o, "zone", "mynumber");
                l = json_object_new_array();
                json_object_array_add(l, json_object_new_string("card+pin"));
                json_object_array_add(l, json_object_new_string("password+totp"));
                json_object_object_add(o, "required", l);
                json_object_object_add(o, "enrolled", json_object_new_array());
                json_object_array_add(a, o);
        }
        a = array(s, "not_admitted");
        for (uint64_t i = 0; i < 20; i++) {
                o = json_object_new_object();
                person(i * 389 % persons, name, display);
                put_str(o, "account", name);
                put_shared(o, "zone", "mynumber");
                put_shared(o, "reason", i % 2 ? "left" : "disabled");
                json_object_array_add(a, o);
        }

        a = array(section(m, "locks"), "items");
        for (uint64_t i = 0; i < z->locks; i++) {
                int64_t t = YEAR_START + (int64_t)below(365 * DAY);

                o = json_object_new_object();
                person(below(persons), name, display);
                put_str(o, "account", name);
                put_time(o, "locked_at", t);
                l = json_object_new_array();
                for (int k = 3; k > 0; k--) {
                        struct json_object *e = json_object_new_object();

                        put_time(e, "time", t - k * 40);
                        put_shared(e, "factor", "totp");
                        snprintf(buf, sizeof(buf), "ws-%04u", (unsigned)below(2000));
                        put_shared(e, "terminal", buf);
                        json_object_array_add(l, e);
                }
                json_object_object_add(o, "failures", l);
                if (below(20) != 0) {
                        put_time(o, "unlocked_at", t + (int64_t)below(7200));
                        put_shared(o, "unlock", "admin");
                        put_shared(o, "unlocked_by", "u00001");
                        put_shared(o, "unlock_reason", "本人確認の上解除");
                }
                json_object_array_add(a, o);
        }

        s = section(m, "privileged");
        a = array(s, "roles");
        for (uint64_t r = 0; r < 20; r++) {
                o = json_object_new_object();
                snprintf(buf, sizeof(buf), "role%02u", (unsigned)r);
                put_str(o, "name", buf);
                l = json_object_new_array();
                snprintf(buf, sizeof(buf), "adm%03u", (unsigned)(r * 3));
                json_object_array_add(l, json_object_new_string(buf));
                json_object_object_add(o, "targets", l);
                l = json_object_new_array();
                for (uint64_t k = 0; k < 5; k++) {
                        person(r * 5 + k, name, display);
                        json_object_array_add(l, json_object_new_string(name));
                }
                json_object_object_add(o, "holders", l);
                put_int(o, "max_minutes", 240);
                json_object_object_add(o, "approval", json_object_new_boolean(r % 4 != 0));
                put_shared(o, "approvers", "kagi-approvers");
                json_object_object_add(o, "break_glass", json_object_new_boolean(true));
                json_object_array_add(a, o);
        }
        a = array(s, "grants");
        for (uint64_t i = 0; i < z->grants; i++) {
                uint64_t r = below(20), asked = 30 + below(7) * 30;
                int64_t t = YEAR_START + (int64_t)below(365 * DAY);

                o = json_object_new_object();
                snprintf(buf, sizeof(buf), "G-%06u", (unsigned)i);
                put_str(o, "id", buf);
                snprintf(buf, sizeof(buf), "role%02u", (unsigned)r);
                put_shared(o, "role", buf);
                person(r * 5 + below(4), name, display);
                put_str(o, "person", name);
                put_shared(o, "reason", "定例保守作業");
                if (r % 4 != 0)
                        put_shared(o, "approver", "u00099");
                put_time(o, "requested_at", t);
                put_time(o, "started_at", t + 60);
                put_time(o, "ended_at", t + 60 + (int64_t)asked * 60);
                put_int(o, "requested_minutes", (int64_t)asked);
                put_int(o, "actual_minutes", (int64_t)(asked - below(asked / 2)));
                put_shared(o, "end", "expired");
                json_object_object_add(o, "break_glass", json_object_new_boolean(below(100) == 0));
                json_object_array_add(a, o);
        }

        s = section(m, "shared");
        a = array(s, "ids");
        for (uint64_t i = 0; i < z->shared_ids; i++) {
                struct json_object *acc = json_object_array_get_idx(
                        json_object_object_get(json_object_object_get(m, "accounts"), "items"), (size_t)(persons + i));

                o = json_object_new_object();
                snprintf(name, sizeof(name), "mado%03u", (unsigned)i);
                put_str(o, "account", name);
                put_shared(o, "department", dept(persons + i, z, d));
                json_object_object_add(o, "members", json_object_get(json_object_object_get(acc, "members")));
                put_int(o, "max_concurrent", 1);
                json_object_array_add(a, o);
        }
        a = array(s, "uses");
        for (uint64_t i = 0; i < z->shared_uses; i++) {
                uint64_t id = below(z->shared_ids);
                int64_t t = YEAR_START + (int64_t)below(365 * DAY), minutes = 5 + (int64_t)below(480);
                char n[32], dn[64];

                o = json_object_new_object();
                snprintf(name, sizeof(name), "mado%03u", (unsigned)id);
                put_str(o, "account", name);
                person(((persons + id) * 7 + below(10) * 13) % persons, n, dn);
                put_str(o, "person", n);
                snprintf(buf, sizeof(buf), "mado-pc%02u", (unsigned)below(40));
                put_shared(o, "terminal", buf);
                put_shared(o, "service", "login");
                put_time(o, "start", t);
                put_time(o, "end", t + minutes * 60);
                put_int(o, "minutes", minutes);
                json_object_array_add(a, o);
        }
        a = array(s, "refusals");
        for (uint64_t i = 0; i < z->shared_uses / 25; i++) {
                o = json_object_new_object();
                put_time(o, "time", YEAR_START + (int64_t)below(365 * DAY));
                snprintf(name, sizeof(name), "mado%03u", (unsigned)below(z->shared_ids));
                put_str(o, "account", name);
                person(below(persons), name, display);
                put_str(o, "person", name);
                put_shared(o, "terminal", "mado-pc01");
                put_shared(o, "reason", i % 3 ? "concurrent" : "not_member");
                json_object_array_add(a, o);
        }

        s = section(m, "cards");
        a = array(s, "active");
        for (uint64_t i = 0; i < persons + 300; i++) {
                o = json_object_new_object();
                person(i < persons ? i : i - persons, name, display);
                put_str(o, "person", name);
                snprintf(buf, sizeof(buf), "%08X", (unsigned)(i * 2654435761u));
                put_str(o, "serial", buf);
                put_shared(o, "fingerprint", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
                put_time(o, "registered", YEAR_START - (int64_t)below(1500) * DAY);
                json_object_array_add(a, o);
        }
        a = array(s, "revoked");
        for (uint64_t i = 0; i < 500; i++) {
                o = json_object_new_object();
                person(below(persons), name, display);
                put_str(o, "person", name);
                snprintf(buf, sizeof(buf), "R%07u", (unsigned)i);
                put_str(o, "serial", buf);
                put_time(o, "revoked_at", YEAR_START + (int64_t)below(365 * DAY));
                put_shared(o, "revoked_by", "u00001");
                put_shared(o, "reason", "紛失届");
                put_int(o, "attempts_after", below(10) == 0);
                put_int(o, "accepted_after", 0);
                json_object_array_add(a, o);
        }
        a = array(s, "retired");
        for (uint64_t i = 0; i < 1500; i++) {
                o = json_object_new_object();
                person(below(persons), name, display);
                put_str(o, "person", name);
                snprintf(buf, sizeof(buf), "T%07u", (unsigned)i);
                put_str(o, "serial", buf);
                put_time(o, "retired_at", YEAR_START + (int64_t)below(365 * DAY));
                json_object_array_add(a, o);
        }
        a = array(s, "sharing_refusals");
        for (uint64_t i = 0; i < 300; i++) {
                o = json_object_new_object();
                put_time(o, "time", YEAR_START + (int64_t)below(365 * DAY));
                person(below(persons), name, display);
                put_str(o, "card_owner", name);
                person(below(persons), name, display);
                put_str(o, "account", name);
                put_shared(o, "kind", "other_person");
                json_object_array_add(a, o);
        }

        o = section(m, "integrity");
        json_object_object_add(o, "verified", json_object_new_boolean(true));
        json_object_object_add(o, "ok", json_object_new_boolean(true));
        put_int(o, "records", (int64_t)z->records);
        put_time(o, "verified_at", end + 590);

        a = array(section(m, "series"), "days");
        for (int64_t day = 0; day < 365; day++) {
                /* the year's records: mostly logins and logouts, some failures */
                int64_t per_day = (int64_t)z->records / 365, fails = per_day / 40 + (int64_t)below(20);

                o = json_object_new_object();
                put_time(o, "date", YEAR_START + day * DAY + 9 * 3600);
                json_object_object_add(o, "date", json_object_new_string_len(
                        json_object_get_string(json_object_object_get(o, "date")), 10));
                put_int(o, "logins", per_day / 2 - fails);
                put_int(o, "failures", fails);
                put_int(o, "locks", (int64_t)z->locks / 365);
                json_object_array_add(a, o);
        }
        return m;
}

static double seconds_since(const struct timespec *t0)
{
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static long self_rss_kb(void)
{
        struct rusage ru;

        getrusage(RUSAGE_SELF, &ru);
        return ru.ru_maxrss;
}

/* In a child: render, print the time and the output's size; the parent adds
 * the child's peak RSS. */
static int run(const struct json_object *m, const char *what, enum report_format f, enum report_lang lang)
{
        int pipefd[2];
        pid_t pid;

        if (pipe(pipefd) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct timespec t0;
                FILE *out = tmpfile();
                char err[256], line[128];
                double secs;
                long size;
                int k;

                close(pipefd[0]);
                clock_gettime(CLOCK_MONOTONIC, &t0);
                k = out ? report_render(m, f, lang, out, err, sizeof(err)) : -errno;
                size = out ? ftell(out) : 0;
                secs = seconds_since(&t0);
                if (k < 0) {
                        fprintf(stderr, "%s: %s\n", what, k == -EINVAL ? err : strerror(-k));
                        _exit(1);
                }
                snprintf(line, sizeof(line), "%.3f %ld", secs, size);
                if (write(pipefd[1], line, strlen(line)) < 0)
                        _exit(1);
                _exit(0);
        }
        close(pipefd[1]);
        {
                char line[128] = "";
                struct rusage ru;
                int status;
                ssize_t n = read(pipefd[0], line, sizeof(line) - 1);
                double secs = 0;
                long size = 0;

                close(pipefd[0]);
                if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n <= 0)
                        return -EIO;
                line[n] = '\0';
                if (sscanf(line, "%lf %ld", &secs, &size) != 2)
                        return -EIO;
                printf("%-28s %8.3f s %8.1f MB peak RSS %9.1f MB output\n", what, secs,
                       (double)ru.ru_maxrss / 1024.0, (double)size / 1048576.0);
        }
        return 0;
}

/* kagictl's side, in a fresh process: parse the model kagid sent (here a
 * file), then render it. Prints "parse-seconds render-seconds bytes". */
static int render_file(const char *format, const char *lang_name, const char *path)
{
        _cleanup_(json_object_putp) struct json_object *m = NULL;
        _cleanup_(fclosep) FILE *out = tmpfile();
        enum report_format f;
        enum report_lang lang;
        struct timespec t0;
        double parse_secs;
        char err[256];
        int k;

        if (report_format_from_string(format, &f) < 0 || report_lang_from_string(lang_name, &lang) < 0 || !out)
                return 2;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        m = json_object_from_file(path);
        if (!m)
                return 1;
        parse_secs = seconds_since(&t0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        k = report_render(m, f, lang, out, err, sizeof(err));
        if (k < 0) {
                fprintf(stderr, "%s\n", k == -EINVAL ? err : strerror(-k));
                return 1;
        }
        printf("%.3f %.3f %ld\n", parse_secs, seconds_since(&t0), ftell(out));
        return 0;
}

static int run_exec(const char *self, const char *path, enum report_format f, enum report_lang lang)
{
        int pipefd[2], status;
        struct rusage ru;
        char line[128] = "";
        double parse_secs, render_secs;
        long size;
        ssize_t n;
        pid_t pid;

        if (pipe(pipefd) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                dup2(pipefd[1], STDOUT_FILENO);
                close(pipefd[0]);
                close(pipefd[1]);
                execl(self, self, "--render", report_format_to_string(f), report_lang_to_string(lang), path,
                      (char *)NULL);
                _exit(127);
        }
        close(pipefd[1]);
        n = read(pipefd[0], line, sizeof(line) - 1);
        close(pipefd[0]);
        if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n <= 0)
                return -EIO;
        line[n] = '\0';
        if (sscanf(line, "%lf %lf %ld", &parse_secs, &render_secs, &size) != 3)
                return -EIO;
        printf("parse + render %-13s %8.3f s %8.1f MB peak RSS %9.1f MB output (parse %.3f s, render %.3f s)\n",
               report_format_to_string(f), parse_secs + render_secs, (double)ru.ru_maxrss / 1024.0,
               (double)size / 1048576.0, parse_secs, render_secs);
        return 0;
}

static int parse_count(const char *s, uint64_t *ret)
{
        return parse_uint(s, 10000000, ret);
}

int main(int argc, char **argv)
{
        struct size z = { .accounts = 10000, .departments = 40, .shared_ids = 200, .shared_uses = 50000,
                          .grants = 5000, .locks = 4000, .records = 1000000 };
        _cleanup_(json_object_putp) struct json_object *m = NULL;
        enum report_lang lang = REPORT_JA;
        const char *dump = NULL;
        struct timespec t0;
        int failed = 0;

        if (argc == 5 && strcmp(argv[1], "--render") == 0)
                return render_file(argv[2], argv[3], argv[4]);
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--accounts") == 0 && i + 1 < argc && parse_count(argv[i + 1], &z.accounts) == 0 &&
                    z.accounts >= 1000)
                        i++;
                else if (strcmp(argv[i], "--shared-uses") == 0 && i + 1 < argc &&
                         parse_count(argv[i + 1], &z.shared_uses) == 0)
                        i++;
                else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc && report_lang_from_string(argv[i + 1], &lang) == 0)
                        i++;
                else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
                        dump = argv[++i];
                else {
                        fprintf(stderr, "usage: kagi-bench-report [--accounts N>=1000] [--shared-uses N] [--lang ja|en] [--dump FILE]\n");
                        return 2;
                }
        }
        if (dump) {
                /* small models for the tests: scale the listings with the accounts */
                z.grants = z.accounts / 2;
                z.locks = z.accounts * 2 / 5;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        m = build(&z);
        if (dump)
                return json_object_to_file_ext(dump, m, JSON_C_TO_STRING_PLAIN) < 0 ? 1 : 0;
        printf("model: %llu accounts, %llu departments, %llu shared-ID uses, %llu grants, %llu locks, "
               "%llu audit records in the year\n",
               (unsigned long long)z.accounts, (unsigned long long)z.departments, (unsigned long long)z.shared_uses,
               (unsigned long long)z.grants, (unsigned long long)z.locks, (unsigned long long)z.records);
        printf("%-28s %8.3f s %8.1f MB peak RSS\n", "build the model (json-c)", seconds_since(&t0),
               (double)self_rss_kb() / 1024.0);
        printf("-- kagid's side: the model in memory, each format in a child of its own\n");
        for (int f = 0; f < REPORT_FORMAT_MAX_; f++) {
                char what[64];

                snprintf(what, sizeof(what), "render %s (%s)", report_format_to_string((enum report_format)f),
                         report_lang_to_string(lang));
                failed |= run(m, what, (enum report_format)f, lang) < 0;
        }
        /* kagictl's side: a fresh process parses the model's JSON and renders it */
        {
                char path[] = "/tmp/kagi-bench-report-XXXXXX";
                int fd = mkstemp(path);

                if (fd < 0 || json_object_to_fd(fd, m, JSON_C_TO_STRING_PLAIN) < 0) {
                        fprintf(stderr, "kagi-bench-report: %s: %s\n", path, strerror(errno));
                        return 1;
                }
                close(fd);
                printf("-- kagictl's side: a fresh process parses the model's JSON and renders it\n");
                for (int f = 0; f < REPORT_FORMAT_MAX_; f++)
                        failed |= run_exec("/proc/self/exe", path, (enum report_format)f, lang) < 0;
                unlink(path);
        }
        return failed;
}
