# shellcheck shell=sh
# Pieces of openssl configuration for the throw-away test CAs, printed on
# stdout. Sourced (POSIX sh) by card/make-test-pki.sh and
# ldap/slapd-fixture.sh, so both PKIs make their certificates alike.

# [req] for requests whose subject is given with -subj.
cnf_req() {
    cat <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
EOF
}

# cnf_ca_extensions SECTION: a CA certificate's extensions.
cnf_ca_extensions() {
    cat <<EOF
[$1]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
}

# cnf_signer_extensions SECTION USAGE: the extensions of a certificate whose
# key signs for USAGE (clientAuth, serverAuth); more lines may follow.
cnf_signer_extensions() {
    cat <<EOF
[$1]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = $2
EOF
}
