#!/bin/bash
# A real slapd for tests, in a directory of its own.
#
#   slapd-fixture.sh start DIR [OWNER_PID]   set up and start; prints NAME=VALUE lines
#   slapd-fixture.sh stop DIR                stop (waits until it is gone)
#   slapd-fixture.sh restart DIR             start again on the same ports and data
#   slapd-fixture.sh pause DIR | resume DIR  SIGSTOP / SIGCONT: a hung server
#   slapd-fixture.sh modify DIR < LDIF       ldapmodify as the directory manager
#
# start creates in DIR: a test CA (ca.pem), a second unrelated CA
# (other-ca.pem), the server certificate for 127.0.0.1/localhost, a client
# certificate for SASL EXTERNAL (client.pem, client.key, mapped to the service
# entry), the service password file (service.pw, 0600), person certificates
# (certs/*.der, also in the directory), slapd.conf and an mdb database loaded
# from directory.ldif. It listens on two free ports of 127.0.0.1: one for
# ldap:// (StartTLS) and one for ldaps://, plus an ldapi:// socket for
# administration. The same lines it prints are kept in DIR/env:
#
#   LDAP_URI LDAPS_URI LDAPI_URI LDAP_BASE LDAP_SERVICE_DN LDAP_ADMIN_DN
#   LDAP_ADMIN_PW SLAPD_PID
#
# With OWNER_PID, a watcher stops slapd when that process ends, so a test
# that crashes does not leave a server behind.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR/.. source=openssl-cnf.sh
. "$here/../openssl-cnf.sh"
base="dc=kagi,dc=test"
admin_dn="cn=admin,$base"
admin_pw="admin-secret"
service_dn="cn=kagi,ou=services,$base"

die() { echo "slapd-fixture: $*" >&2; exit 1; }

usage() {
    echo "usage: slapd-fixture.sh start|stop|restart|pause|resume|modify|ops DIR [OWNER_PID]" >&2
    exit 2
}

# A port nobody listens on now. slapd binding it is the real test: start
# retries with other ports when that fails.
random_port() {
    echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
}

make_certs() {
    local d=$1
    mkdir -p "$d/certs"
    {
        cnf_req
        cnf_ca_extensions ca
        cnf_signer_extensions server serverAuth
        echo "subjectAltName = IP:127.0.0.1, DNS:localhost"
        cnf_signer_extensions client clientAuth
    } > "$d/openssl.cnf"
    local ossl="openssl"
    local newkey="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
    # shellcheck disable=SC2086
    {
        $ossl req -config "$d/openssl.cnf" -x509 $newkey -days 3 -subj "/O=kagi test/CN=kagi test CA" \
            -extensions ca -keyout "$d/ca.key" -out "$d/ca.pem"
        $ossl req -config "$d/openssl.cnf" -x509 $newkey -days 3 -subj "/O=kagi test/CN=some other CA" \
            -extensions ca -keyout "$d/other-ca.key" -out "$d/other-ca.pem"
        sign() {   # name subject extensions
            $ossl req -config "$d/openssl.cnf" -new $newkey -subj "$2" -keyout "$d/$1.key" -out "$d/$1.csr"
            $ossl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
                -days 3 -extfile "$d/openssl.cnf" -extensions "$3" -out "$d/$1.pem"
            rm -f "$d/$1.csr"
        }
        sign server "/O=kagi test/CN=localhost" server
        sign client "/O=kagi test/CN=kagi-broker" client
        for p in tanaka-1 tanaka-2 yamada; do
            sign "certs/$p" "/O=kagi test/CN=$p" client
            $ossl x509 -in "$d/certs/$p.pem" -outform DER -out "$d/certs/$p.der"
        done
    } >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; die "openssl failed"; }
    chmod 600 "$d"/*.key "$d"/certs/*.key
    printf 'service-secret\n' > "$d/service.pw"
    chmod 600 "$d/service.pw"
}

write_conf() {
    local d=$1
    # a copy beside the config: slapd.conf cannot name a path with a space
    cp "$here/ad-lite.schema" "$d/ad-lite.schema"
    cat > "$d/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include $d/ad-lite.schema

modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy

pidfile $d/slapd.pid
argsfile $d/slapd.args

TLSCACertificateFile $d/ca.pem
TLSCertificateFile $d/server.pem
TLSCertificateKeyFile $d/server.key
TLSVerifyClient try

# SASL EXTERNAL: the broker's client certificate is the service entry
authz-regexp "^cn=kagi-broker,o=kagi test\$" "$service_dn"

database mdb
suffix "$base"
rootdn "$admin_dn"
rootpw $admin_pw
# as an administrator would for kagi: the review lists every account in
# paged searches, which slapd otherwise cuts at its sizelimit (500)
limits dn.exact="$service_dn" size.prtotal=unlimited
directory $d/db
maxsize 16777216
overlay ppolicy
ppolicy_default "cn=default,ou=policies,$base"

access to dn.base="" by * read
access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by dn.exact="$service_dn" read
    by self read
    by * none

# operation counts (cn=Monitor), for tests that count round trips
database monitor
access to *
    by dn.exact="$admin_dn" read
    by * none
EOF
}

# Running and not a zombie waiting for its (re)parent to reap it.
alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Stop slapd: TERM (after CONT, for a paused one), then KILL if it lingers.
stop_slapd() {
    local d=$1 pid
    [ -f "$d/slapd.pid" ] || return 0
    pid=$(cat "$d/slapd.pid")
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        kill -CONT "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            alive "$pid" || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            alive "$pid" || break
            sleep 0.1
        done
    fi
    rm -f "$d/slapd.pid"
}

ldapi_uri() {
    local path=$1
    # RFC 4516 style: the socket path percent-encoded as the host part
    echo "ldapi://$(printf '%s' "$path" | sed -e 's/%/%25/g' -e 's,/,%2F,g')"
}

# Run slapd on the ports in DIR/ports; 0 when it answers.
run_slapd() {
    local d=$1 p1 p2 uri_i
    read -r p1 p2 < "$d/ports"
    uri_i=$(ldapi_uri "$d/ldapi")
    rm -f "$d/ldapi"
    # slapd binds before it detaches: a port in use makes it exit non-zero
    if ! slapd -f "$d/slapd.conf" -h "ldap://127.0.0.1:$p1/ ldaps://127.0.0.1:$p2/ $uri_i" \
        >>"$d/slapd.log" 2>&1; then
        return 1
    fi
    for _ in $(seq 100); do
        if ldapwhoami -H "$uri_i" -x -D "$admin_dn" -w "$admin_pw" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    cat "$d/slapd.log" >&2
    stop_slapd "$d"
    die "slapd did not answer"
}

write_env() {
    local d=$1 p1 p2
    read -r p1 p2 < "$d/ports"
    cat > "$d/env" <<EOF
LDAP_URI=ldap://127.0.0.1:$p1
LDAPS_URI=ldaps://127.0.0.1:$p2
LDAPI_URI=$(ldapi_uri "$d/ldapi")
LDAP_BASE=$base
LDAP_SERVICE_DN=$service_dn
LDAP_ADMIN_DN=$admin_dn
LDAP_ADMIN_PW=$admin_pw
SLAPD_PID=$(cat "$d/slapd.pid")
EOF
}

watch_owner() {
    local d=$1 owner=$2
    (
        trap '' HUP
        while kill -0 "$owner" 2>/dev/null && [ -f "$d/slapd.pid" ]; do
            sleep 1
        done
        stop_slapd "$d"
    ) </dev/null >/dev/null 2>&1 &
    disown 2>/dev/null || true
}

cmd_start() {
    local d=$1 owner=${2:-}
    mkdir -p "$d"
    d=$(cd "$d" && pwd)
    [ -e "$d/slapd.conf" ] && die "$d: already set up"
    make_certs "$d"
    write_conf "$d"
    mkdir -p "$d/db"
    sed "s|@DIR@|$d|g" "$here/directory.ldif" > "$d/directory.ldif"
    slapadd -q -f "$d/slapd.conf" -l "$d/directory.ldif" >"$d/slapadd.log" 2>&1 ||
        { cat "$d/slapadd.log" >&2; die "slapadd failed"; }
    local tries=0
    while :; do
        echo "$(random_port) $(random_port)" > "$d/ports"
        run_slapd "$d" && break
        tries=$((tries + 1))
        [ $tries -lt 20 ] || { cat "$d/slapd.log" >&2; die "slapd would not start"; }
    done
    write_env "$d"
    if [ -n "$owner" ]; then
        echo "$owner" > "$d/owner"
        watch_owner "$d" "$owner"
    fi
    cat "$d/env"
}

cmd_restart() {
    local d=$1
    stop_slapd "$d"
    # the old ports are ours: retry a little while the kernel lets them go
    for _ in $(seq 50); do
        if run_slapd "$d"; then
            write_env "$d"
            # the old watcher left when slapd stopped
            [ -f "$d/owner" ] && watch_owner "$d" "$(cat "$d/owner")"
            cat "$d/env"
            return 0
        fi
        sleep 0.2
    done
    cat "$d/slapd.log" >&2
    die "slapd would not start again on its ports"
}

signal_slapd() {
    local d=$1 sig=$2 pid i t state
    [ -f "$d/slapd.pid" ] || die "$d: not running"
    pid=$(cat "$d/slapd.pid")
    kill "-$sig" "$pid"
    [ "$sig" = STOP ] || return 0
    # kill returns before every thread has stopped: wait until each has
    # (state T), so that the test's next request meets a hung server
    for i in $(seq 100); do
        state=stopped
        for t in /proc/"$pid"/task/*/stat; do
            [ "$(sed 's/.*) //' "$t" 2>/dev/null | cut -d' ' -f1)" = T ] || state=running
        done
        [ $state = stopped ] && return 0
        sleep 0.02
    done
    die "$d: slapd $pid did not stop"
}

cmd_modify() {
    local d=$1
    ldapmodify -H "$(ldapi_uri "$d/ldapi")" -x -D "$admin_dn" -w "$admin_pw" >/dev/null
}

# How many operations of each kind slapd has begun: "Bind 12", "Search 40" …
# (this query's own bind included).
cmd_ops() {
    local d=$1
    ldapsearch -LLL -o ldif-wrap=no -H "$(ldapi_uri "$d/ldapi")" -x -D "$admin_dn" -w "$admin_pw" \
        -b "cn=Operations,cn=Monitor" -s one monitorOpInitiated |
        awk '/^dn: cn=/ { sub(/^dn: cn=/, ""); sub(/,.*/, ""); op = $0 }
             /^monitorOpInitiated:/ { print op, $2 }'
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
case $cmd in
    start) cmd_start "$dir" "${3:-}" ;;
    stop) stop_slapd "$dir" ;;
    restart) cmd_restart "$dir" ;;
    pause) signal_slapd "$dir" STOP ;;
    resume) signal_slapd "$dir" CONT ;;
    modify) cmd_modify "$dir" ;;
    ops) cmd_ops "$dir" ;;
    *) usage ;;
esac
