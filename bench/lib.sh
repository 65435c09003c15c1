# Shared by bench/run and bench/profile (sourced, POSIX sh): the build's
# programs, a benchmark directory with its accounts, kagid started in it.
# Expects here, top, build, window, threshold and parent to be set; sets
# dir and kagid_pid.

die() { echo "bench: $*" >&2; exit 1; }

bench_programs() {
    [ "$(id -u)" -eq 0 ] || die "run as root (kagid answers login questions only to root)"
    multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
    pam_matrix=/usr/lib/$multiarch/pam_wrapper/pam_matrix.so
    for f in "$pam_matrix" "/usr/lib/$multiarch/security/pam_oath.so" \
             "/usr/lib/$multiarch/security/pam_faillock.so" "/usr/lib/$multiarch/libnss_wrapper.so"; do
        [ -e "$f" ] || die "$f is missing: run scripts/deps (libpam-wrapper libpam-oath libpam-modules libnss-wrapper)"
    done
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$top" >/dev/null
    fi
    ninja -C "$build" -j2 >/dev/null || die "build failed: ninja -C $build"
    # KAGID: another kagid to measure with the same benchmark (a build of main)
    kagid=${KAGID:-$build/broker/kagid/kagid}
    kagictl=$build/broker/kagictl/kagictl
    pam_kagi=$build/pam_module/pam_kagi.so
    pam_benchpw=$build/bench/pam_benchpw.so
    bench=$build/bench/kagi-bench
    bench_load=$build/bench/kagi-bench-load
    # for a sanitizer build (BUILD=build-asan): leaks that are not kagi's
    export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
}

# A fresh directory under $parent with $1 accounts, kagi.conf and the PAM
# service files of every stack; the environment that gives every process
# the accounts (nss_wrapper, asking libnss_kagibench: constant time, see
# nss_kagibench.c).
bench_prepare() {
    users=$1
    dir=$(mktemp -d "$parent/kagi-bench.XXXXXX")
    # the hog (uid 65534) must reach the socket; what is secret stays 0700/0600
    chmod 755 "$dir"
    echo "bench: $users accounts in $dir"
    "$bench" setup "$dir" --users "$users"
    mkdir -m 755 "$dir/state"
    mkdir -m 700 "$dir/keys" "$dir/faillock" "$dir/faillock-shared" "$dir/pam.d"
    : > "$dir/faillock.conf"
    cat > "$dir/kagi.conf" <<CONF
[broker]
socket = $dir/state/kagid.sock
database = $dir/state/kagi.db
key_dir = $dir/keys

[lockout]
threshold = $threshold

[totp]
window = $window
CONF
    for stack in kagi peer peer-shared password matrix; do
        sed -e "s|@PAM_KAGI@|$pam_kagi|g" -e "s|@PAM_BENCHPW@|$pam_benchpw|g" -e "s|@PAM_MATRIX@|$pam_matrix|g" \
            -e "s|@DIR@|$dir|g" -e "s|@WINDOW@|$window|g" \
            -e "s|@FAILLOCK@|dir=$dir/faillock conf=$dir/faillock.conf deny=$threshold|g" \
            -e "s|@FAILLOCK_SHARED@|dir=$dir/faillock-shared conf=$dir/faillock.conf deny=$threshold|g" \
            "$here/pam.d/$stack.in" > "$dir/pam.d/$stack"
    done
    export LD_PRELOAD="libnss_wrapper.so${fast_shadow:+ $build/bench/libkagibench_shadow.so}" \
        NSS_WRAPPER_PASSWD="$dir/passwd" NSS_WRAPPER_GROUP="$dir/group" \
        NSS_WRAPPER_MODULE_SO_PATH="$build/bench/libnss_kagibench.so.2" NSS_WRAPPER_MODULE_FN_PREFIX=kagibench \
        KAGI_BENCH_ACCOUNTS="$users"
}

# kagid in the foreground of a background job, logging to kagid.log;
# arguments, if any, are a command to run it under (valgrind …).
bench_start_kagid() {
    "$@" "$kagid" -f -c "$dir/kagi.conf" 2> "$dir/kagid.log" &
    kagid_pid=$!
    i=0
    until [ -S "$dir/state/kagid.sock" ]; do
        i=$((i + 1))
        [ $i -lt 600 ] || { cat "$dir/kagid.log" >&2; die "kagid did not start"; }
        kill -0 "$kagid_pid" 2>/dev/null || { cat "$dir/kagid.log" >&2; die "kagid exited"; }
        sleep 0.1
    done
}

bench_stop_kagid() {
    if [ -n "${kagid_pid:-}" ]; then
        kill "$kagid_pid" 2>/dev/null || true
        wait "$kagid_pid" 2>/dev/null || true
        kagid_pid=
    fi
}

# Every account's TOTP secret, given to kagid. The first one alone and with
# kagictl itself: nss_wrapper loads its files on first use, and two kagid
# workers doing that at once can miss an account. Then the same request
# over the socket, 16 at a time.
bench_enroll() {
    echo "bench: enrolling TOTP for $users accounts"
    head -n 1 "$dir/accounts" | while read -r name _ secret; do
        "$kagictl" -c "$dir/kagi.conf" totp enroll "$name" --secret "$secret" --no-qr >/dev/null
    done || die "enrolment failed (see $dir/kagid.log)"
    "$bench" enroll "$dir" "$dir/state/kagid.sock" || die "enrolment failed (see $dir/kagid.log)"
}
