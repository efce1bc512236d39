#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks an anchor certificate with python3-cryptography (not our code): CN, extensions and
their criticality as DESIGN.md's rules of trust require. Usage: CERT PROFILE CN"""
import sys

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

path, profile, cn = sys.argv[1:4]
cert = x509.load_pem_x509_certificate(open(path, "rb").read())
exts = cert.extensions


def fail(msg):
    sys.exit(f"{path}: {msg}")


if cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value != cn:
    fail("wrong CN")
serial = cert.serial_number
if serial <= 0 or serial.bit_length() > 128 or serial.bit_length() < 64:
    fail(f"serial {serial:x} is not a positive random 128-bit value")
bc = exts.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
ku = exts.get_extension_for_oid(ExtensionOID.KEY_USAGE)
if not bc.critical or not ku.critical:
    fail("basicConstraints and keyUsage must be critical")
exts.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER)

if profile in ("root", "intermediate"):
    if not bc.value.ca or not ku.value.key_cert_sign or not ku.value.crl_sign:
        fail("a CA needs CA:TRUE, keyCertSign and cRLSign")
    if profile == "intermediate":
        if bc.value.path_length != 0:
            fail("intermediate needs pathlen 0")
        exts.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    sys.exit(0)

if bc.value.ca:
    fail("a leaf must be CA:FALSE")
if not ku.value.digital_signature or ku.value.key_cert_sign:
    fail("a leaf needs digitalSignature and never keyCertSign")
exts.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
eku = set(exts.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value)
want = {
    "server": {ExtendedKeyUsageOID.SERVER_AUTH},
    "client": {ExtendedKeyUsageOID.CLIENT_AUTH},
    "device": {ExtendedKeyUsageOID.CLIENT_AUTH},
    "service": {ExtendedKeyUsageOID.CLIENT_AUTH},
    "peer": {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH},
}[profile]
if eku != want:
    fail(f"EKU {eku} != {want}")
if profile in ("server", "peer", "device", "service"):
    san = exts.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    if profile in ("device", "service"):
        uris = san.get_values_for_type(x509.UniformResourceIdentifier)
        if uris != [f"urn:anchor:{profile}:{cn}"]:
            fail(f"{profile} URI SAN {uris}")
    elif cn not in san.get_values_for_type(x509.DNSName):
        fail("server CN missing from SAN")
