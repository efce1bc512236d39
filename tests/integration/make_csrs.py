#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Makes test CSRs with python3-cryptography (not anchor). Usage: DIR N | --tamper FILE |
--ca-request FILE | --rsa1024 FILE"""
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def csr(name, key=None, extensions=()):
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


if sys.argv[1] == "--tamper":
    # Flip one byte inside the signature: the request still parses, its proof of possession fails.
    path = sys.argv[2]
    req = x509.load_pem_x509_csr(open(path, "rb").read())
    der = bytearray(req.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01
    import base64
    b64 = base64.encodebytes(bytes(der)).decode().replace("\n", "")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    open(path, "w").write("-----BEGIN CERTIFICATE REQUEST-----\n" + "\n".join(lines) +
                          "\n-----END CERTIFICATE REQUEST-----\n")
elif sys.argv[1] == "--ca-request":
    open(sys.argv[2], "wb").write(csr("evil-ca.example.com", extensions=[
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (x509.KeyUsage(True, False, False, False, False, True, True, False, False), True),
        (x509.SubjectAlternativeName([x509.DNSName("evil-ca.example.com")]), False)]))
elif sys.argv[1] == "--rsa1024":
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    open(sys.argv[2], "wb").write(csr("weak.example.com", key=key))
else:
    out, n = sys.argv[1], int(sys.argv[2])
    for i in range(n):
        open(f"{out}/dev-{i:05d}.csr", "wb").write(csr(f"dev-{i:05d}"))
