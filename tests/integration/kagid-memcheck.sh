#!/bin/sh
# kagid under valgrind's memcheck, for the tests that look for reads of
# memory nobody wrote (AddressSanitizer does not see them): any error makes
# kagid exit 99, which the harness reports when it stops kagid.
exec valgrind -q --error-exitcode=99 --leak-check=no "$KAGID_REAL" "$@"
