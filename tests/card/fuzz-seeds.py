#!/usr/bin/env python3
"""Writes the seed corpus of the card fuzz harnesses.

    tests/card/fuzz-seeds.py PKI_DIR CORPUS_DIR

PKI_DIR is the output of make-test-pki.sh (real certificates, so the seeds
reach the signing code); CORPUS_DIR is tests/fuzz/corpus. The seeds are
card answers as a PIV (RSA, P-256) or JPKI card gives them in a login, in
the formats fuzz_card_apdu.c and fuzz_card_driver.c read. Run by hand when
the harness formats change; the corpus is checked in.
"""
import os
import subprocess
import sys

OK = b"\x90\x00"


def der(pki, name):
    return subprocess.run(["openssl", "x509", "-in", os.path.join(pki, name + ".pem"), "-outform", "DER"],
                          check=True, capture_output=True).stdout


def tlv(tag, value):
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n <= 0xFF:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 0xFF])
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    return tag_bytes + length + value


def chunked(data):
    """A long answer as a card gives it: 256 bytes and 61xx at a time."""
    answers = []
    while len(data) > 256:
        rest = len(data) - 256
        answers.append(data[:256] + bytes([0x61, 0 if rest >= 256 else rest]))
        data = data[256:]
    answers.append(data + OK)
    return answers


def stream(answers):
    """fuzz_card_driver.c: 2-byte big-endian length, then the answer."""
    return b"".join(len(a).to_bytes(2, "big") + a for a in answers)


def piv_session(cert, sig, chained):
    apt = tlv(0x61, tlv(0x4F, bytes.fromhex("000010000100")) + tlv(0x79, tlv(0x4F, bytes.fromhex("a000000308"))))
    obj = tlv(0x53, tlv(0x70, cert) + tlv(0x71, b"\x00") + tlv(0xFE, b""))
    ga = tlv(0x7C, tlv(0x82, sig))
    answers = [apt + OK]                               # connect: SELECT
    answers += [apt + OK] + chunked(obj)               # certificate
    answers += [apt + OK, b"\x63\xC3"]                 # PIN info
    part = [OK] if chained else []                     # the first part of a long GA
    answers += [apt + OK, OK] + part + chunked(ga)     # VERIFY, GA
    answers += [apt + OK] + part + chunked(ga)         # sign again
    return answers


def jpki_session(cert):
    sig = bytes(range(256))
    answers = [b"\x6A\x82", OK]                        # connect: no PIV, JPKI
    answers += [OK, OK, cert[:4] + OK]                 # AP, EF 000A, header
    rest = cert[4:]
    while rest:
        answers.append(rest[:256] + OK)
        rest = rest[256:]
    answers += [OK, OK, b"\x63\xC3"]                   # PIN info
    answers += [OK, OK, OK, OK, sig + OK]              # VERIFY, EF 0017, sign
    answers += [OK, OK, sig + OK]
    return answers


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def main():
    pki, corpus = sys.argv[1], sys.argv[2]
    rsa, ec, jpki = der(pki, "alice-rsa"), der(pki, "alice-ec"), der(pki, "alice-jpki")
    ecdsa = tlv(0x30, tlv(0x02, bytes(range(1, 33))) + tlv(0x02, bytes(range(33, 65))))

    drv = os.path.join(corpus, "card_driver")
    write(drv, "piv-rsa", stream(piv_session(rsa, bytes(range(256)), True)))
    write(drv, "piv-ec", stream(piv_session(ec, ecdsa, False)))
    write(drv, "jpki", stream(jpki_session(jpki)))
    # a PIV card without certificate and with a blocked PIN
    write(drv, "piv-blocked", stream([tlv(0x61, b"") + OK, tlv(0x61, b"") + OK, b"\x6A\x82",
                                      tlv(0x61, b"") + OK, b"\x69\x83"]))

    apdu = os.path.join(corpus, "card_apdu")
    obj = tlv(0x53, tlv(0x70, ec) + tlv(0x71, b"\x00") + tlv(0xFE, b""))
    # the parsers see the whole input; the exchange reads it as answers
    write(apdu, "piv-object", obj)
    write(apdu, "ga-response", tlv(0x7C, tlv(0x82, ecdsa)))
    write(apdu, "ecdsa", ecdsa)
    write(apdu, "cert-header", rsa[:4])
    answers = chunked(obj)
    write(apdu, "get-response-chain", b"".join((b"\xff" if len(a) == 258 else bytes([len(a)])) + a for a in answers))
    write(apdu, "le-retry", b"\x02\x6c\x05\x07\x01\x02\x03\x04\x05\x90\x00")


if __name__ == "__main__":
    main()
