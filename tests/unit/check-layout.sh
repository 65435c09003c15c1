#!/bin/sh
# The layout's rules (broker/README.md), checked on the tree and the binaries:
#   - only broker/store/ speaks SQL;
#   - a folder's private headers are included only inside that folder;
#   - kagictl and pam_kagi.so link only what they use.
# usage: check-layout.sh SOURCE_ROOT KAGICTL PAM_KAGI
set -u
src=$1 kagictl=$2 pam=$3
bad=0
# meson passes the binaries relative to the build directory: absolute before cd
case "$kagictl" in /*) ;; *) kagictl=$PWD/$kagictl ;; esac
case "$pam" in /*) ;; *) pam=$PWD/$pam ;; esac
fail() { echo "layout: $*" >&2; bad=1; }

cd "$src" || exit 1
for f in $(git ls-files 'common/*' 'policy/*' 'pam_module/*' 'cardreader/*' 'broker/*' 2>/dev/null ||
           find common policy pam_module cardreader broker -type f); do
    case "$f" in *.c|*.h) ;; *) continue ;; esac
    case "$f" in broker/store/*) continue ;; esac
    grep -q 'sqlite3' "$f" && fail "$f speaks SQL; only broker/store/ may"
done

# private headers: NAME -> the folder that owns it
for pair in broker/store/store_internal.h broker/directory/directory_internal.h \
            broker/directory/ldap_internal.h broker/kagid/request.h broker/kagid/login.h broker/kagid/review.h \
            broker/kagid/attempts.h broker/kagid/limits.h broker/kagid/live.h broker/kagid/pool.h \
            broker/kagictl/cli.h broker/kagictl/ctl.h \
            broker/report/report_internal.h cardreader/card_internal.h; do
    h=${pair##*/} dir=${pair%/*}
    for f in $(grep -rl "#include \"$h\"" common policy pam_module cardreader broker 2>/dev/null); do
        case "$f" in "$dir"/*) ;; *) fail "$f includes $dir's private $h" ;; esac
    done
done

needed() { readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
for bin in "$kagictl" "$pam"; do
    readelf -d "$bin" >/dev/null 2>&1 || fail "cannot read $bin's dynamic section"
done
for lib in libldap libsqlite3 libpcsclite liboath; do
    needed "$kagictl" | grep -q "^$lib" && fail "kagictl links $lib"
done
# a password login loads neither the card stack nor libcrypto
for lib in libldap libsqlite3 libjson-c liboath libcrypto libpcsclite; do
    needed "$pam" | grep -q "^$lib" && fail "pam_kagi.so links $lib"
done
[ $bad -eq 0 ] && echo "layout: OK"
exit $bad
