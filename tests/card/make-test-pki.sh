#!/bin/sh
# make-test-pki.sh OUTDIR — a throw-away PKI for the card tests.
#
# Everything is made fresh with the openssl CLI; nothing is checked in.
# OUTDIR receives (PEM; keys unencrypted):
#   ca.pem ca.key                 the trusted test CA
#   alice-rsa.pem/.key            RSA-2048 user cert (PIV card of alice)
#   alice-ec.pem/.key             P-256 user cert (PIV card of alice)
#   alice-jpki.pem/.key           RSA-2048 user cert (My Number card of alice)
#   bob-rsa.pem/.key              RSA-2048 user cert of another person
#   expired-rsa.pem/.key          RSA-2048 user cert, validity 2020 only
#   revoked-rsa.pem/.key          RSA-2048 user cert listed in crl.pem
#   crl.pem                       CRL of the test CA (revokes revoked-rsa)
#   other-ca.pem other-ca.key     an untrusted CA
#   other-rsa.pem/.key            RSA-2048 user cert issued by other-ca
# User certs carry keyUsage=digitalSignature (critical) and
# extendedKeyUsage=clientAuth, subject /C=JP/O=kagi test/CN=<name>.
set -eu

out=${1:?usage: make-test-pki.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR/.. source=openssl-cnf.sh
. "$here/../openssl-cnf.sh"
mkdir -p "$out"
cd "$out"
umask 077

cnf=openssl-ca.cnf
{
    cat <<'EOF'
[ca]
default_ca = test_ca

[test_ca]
dir = ./ca-$ENV::CA_NAME
database = $dir/index.txt
serial = $dir/serial
crlnumber = $dir/crlnumber
new_certs_dir = $dir
certificate = ./$ENV::CA_NAME.pem
private_key = ./$ENV::CA_NAME.key
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = any
unique_subject = no
copy_extensions = none

[any]
countryName = optional
organizationName = optional
commonName = supplied

EOF
    cnf_req
    cnf_ca_extensions v3_ca
    cnf_signer_extensions v3_user clientAuth
    echo "subjectKeyIdentifier = hash"
    echo "authorityKeyIdentifier = keyid"
} > "$cnf"

ossl() {
    openssl "$@" 2>/dev/null || { echo "make-test-pki: openssl $1 failed" >&2; openssl "$@"; exit 1; }
}

make_ca() { # NAME CN
    mkdir -p "ca-$1"
    : > "ca-$1/index.txt"
    # distinct serial ranges per CA keep serials unique across the whole PKI
    case $1 in ca) echo 1000 ;; *) echo 2000 ;; esac > "ca-$1/serial"
    echo 01 > "ca-$1/crlnumber"
    ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"
    CA_NAME=$1 ossl req -config "$cnf" -new -x509 -key "$1.key" -out "$1.pem" \
        -subj "/C=JP/O=kagi test/CN=$2" -days 3650 -extensions v3_ca -sha256
}

new_key() { # NAME rsa|ec
    case $2 in
    rsa) ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" ;;
    ec) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
    esac
}

issue() { # CA NAME rsa|ec CN [openssl-ca date options...]
    ca=$1 name=$2 type=$3 cn=$4
    shift 4
    new_key "$name" "$type"
    CA_NAME=$ca ossl req -config "$cnf" -new -key "$name.key" -out "$name.csr" \
        -subj "/C=JP/O=kagi test/CN=$cn"
    CA_NAME=$ca ossl ca -config "$cnf" -batch -notext -extensions v3_user \
        -in "$name.csr" -out "$name.pem" "$@"
    rm -f "$name.csr"
}

make_ca ca "kagi test CA"
issue ca alice-rsa rsa alice
issue ca alice-ec ec alice
issue ca alice-jpki rsa "alice (JPKI)"
issue ca bob-rsa rsa bob
issue ca expired-rsa rsa expired -startdate 20200101000000Z -enddate 20201231235959Z
issue ca revoked-rsa rsa revoked
CA_NAME=ca ossl ca -config "$cnf" -batch -revoke revoked-rsa.pem -crl_reason keyCompromise
CA_NAME=ca ossl ca -config "$cnf" -batch -gencrl -out crl.pem

make_ca other-ca "kagi other CA"
issue other-ca other-rsa rsa alice

chmod 0644 ./*.pem
