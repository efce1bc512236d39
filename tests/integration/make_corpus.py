#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The CSR corpus of csr_corpus_test.sh, made with python3-cryptography and the openssl CLI (not
anchor): requests with unusual but valid names, keys and extensions, which anchor must issue
as certificates every peer accepts, and malformed or forbidden ones, which it must refuse.

  make_corpus.py make DIR     writes DIR/NNN.csr and DIR/manifest.tsv
                              (file, profile, expect ok|refuse, expected CN, what it is)
  make_corpus.py check DIR    parses each DIR/NNN.crt with python3-cryptography and checks
                              what anchor may put in it: the request's key, CA:FALSE, the
                              profile's key usages, only the extensions a profile sets
"""
import base64
import os
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../testlib"))
from der import bits, integer, octets, oid, seq, set_of, tlv  # noqa: E402


def b(s): return s if isinstance(s, bytes) else s.encode()


OIDS = {"CN": "550403", "O": "55040a", "OU": "55040b", "C": "550406", "L": "550407",
        "ST": "550408", "DC": "0992268993f22c640119", "emailAddress": "2a864886f70d010901",
        "serialNumber": "550405"}


def name(*attrs):
    rdns = []
    for key, value in attrs:
        tag = 0x13 if key == "C" else 0x16 if key in ("DC", "emailAddress") else 0x0C
        rdns.append(set_of(seq(oid(OIDS[key]), tlv(tag, b(value)))))
    return seq(*rdns)


def gn_dns(s): return tlv(0x82, b(s))
def gn_ip(raw): return tlv(0x87, raw)
def gn_email(s): return tlv(0x81, b(s))
def gn_uri(s): return tlv(0x86, b(s))
def gn_other(): return tlv(0xA0, oid("2b0601040182371402") + tlv(0xA0, tlv(0x0C, b"u@example.com")))
def gn_dir(): return tlv(0xA4, name(("CN", "dir")))


def ext(oid_hex, value, critical=False):
    return seq(oid(oid_hex), *( [tlv(0x01, b"\xff")] if critical else []), octets(value))


def san(*names): return ext("551d11", seq(*names))


EXT_BC_CA = ext("551d13", seq(tlv(0x01, b"\xff")), critical=True)
EXT_KU = ext("551d0f", tlv(0x03, b"\x01\x06"), critical=True)      # keyCertSign, cRLSign
EXT_EKU_CODE = ext("551d25", seq(oid("2b06010505070303")))           # codeSigning
EXT_NC = ext("551d1e", seq(tlv(0xA0, seq(seq(gn_dns("evil.example"))))), critical=True)
EXT_POLICY = ext("551d20", seq(seq(oid("2b0601040182371501"))))
EXT_PRIVATE = ext("2b0601040183e82b0101", tlv(0x05, b""), critical=True)
EXT_SKID = ext("551d0e", octets(b"\x01" * 20))
EXT_AIA = ext("2b06010505070101", seq(seq(oid("2b06010505073001"), tlv(0x86, b"http://evil.example/ocsp"))))
ATTR_CHALLENGE = seq(oid("2a864886f70d010907"), set_of(tlv(0x0C, b"secret")))


def ext_req(*exts):
    return seq(oid("2a864886f70d01090e"), set_of(seq(*exts)))


def spki(key):
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def info(subject, key_spki, attrs=()):
    return seq(integer(0), subject, key_spki, tlv(0xA0, b"".join(attrs)))


HASH = {"sha256": (hashes.SHA256(), "2a8648ce3d040302", "2a864886f70d01010b"),
        "sha384": (hashes.SHA384(), "2a8648ce3d040303", "2a864886f70d01010c"),
        "sha512": (hashes.SHA512(), "2a8648ce3d040304", "2a864886f70d01010d")}


def sign(cri, key, digest="sha256", pss=False):
    h, ecdsa_oid, rsa_oid = HASH[digest]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return seq(cri, seq(oid(ecdsa_oid)), bits(key.sign(cri, ec.ECDSA(h))))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return seq(cri, seq(oid("2b6570")), bits(key.sign(cri)))
    if isinstance(key, ed448.Ed448PrivateKey):
        return seq(cri, seq(oid("2b6571")), bits(key.sign(cri)))
    if isinstance(key, dsa.DSAPrivateKey):
        return seq(cri, seq(oid("608648016503040302")), bits(key.sign(cri, hashes.SHA256())))
    if pss:
        params = seq(tlv(0xA0, seq(oid("608648016503040201"))),
                     tlv(0xA1, seq(oid("2a864886f70d010108"), seq(oid("608648016503040201")))),
                     tlv(0xA2, integer(32)))
        sig = key.sign(cri, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        return seq(cri, seq(oid("2a864886f70d01010a"), params), bits(sig))
    return seq(cri, seq(oid(rsa_oid), tlv(0x05, b"")), bits(key.sign(cri, padding.PKCS1v15(), h)))


def pem(der):
    text = base64.b64encode(der).decode()
    return ("-----BEGIN CERTIFICATE REQUEST-----\n" +
            "\n".join(text[i:i + 64] for i in range(0, len(text), 64)) +
            "\n-----END CERTIFICATE REQUEST-----\n")


def make(out):
    os.makedirs(out, exist_ok=True)
    keys = {"ec256": ec.generate_private_key(ec.SECP256R1()),
            "ec384": ec.generate_private_key(ec.SECP384R1()),
            "ed25519": ed25519.Ed25519PrivateKey.generate(),
            "rsa2048": rsa.generate_private_key(65537, 2048),
            "rsa3072": rsa.generate_private_key(65537, 3072),
            "rsa4096": rsa.generate_private_key(65537, 4096)}
    kinds = list(keys)
    signers = [("sha256", False), ("sha384", False), ("sha512", False), ("sha256", True)]
    manifest = []

    def add(profile, expect, cn, what, subject=None, exts=(), attrs=(), der=None):
        n = len(manifest)
        key = keys[kinds[n % len(kinds)]]
        digest, pss = signers[n % len(signers)]
        if der is None:
            subj = subject if subject is not None else (name(("CN", cn)) if cn else seq())
            all_attrs = list(attrs) + ([ext_req(*exts)] if exts else [])
            der = sign(info(subj, spki(key), all_attrs), key, digest, pss)
        fname = "%03d.csr" % n
        with open(os.path.join(out, fname), "w") as f:
            f.write(pem(der))
        shown = cn.encode("unicode_escape").decode() if expect == "refuse" else cn
        manifest.append("\t".join([fname, profile, expect, shown, what]))

    # -- Unusual but valid: anchor issues each, and every peer accepts the result. --
    for i in range(40):
        add("server", "ok", "host-%d.example.com" % i, "server, CN only, key %d" % i)
    label63 = "a" * 63
    long_name = ".".join(["b" * 60] * 4) + ".example"  # 249 characters
    for what, names in [
            ("63-character label", [gn_dns(label63 + ".example.com")]),
            ("249-character name", [gn_dns(long_name)]),
            ("digit-first label", [gn_dns("3com.example")]),
            ("hyphens inside", [gn_dns("a-b--c.example")]),
            ("single label", [gn_dns("intranet")]),
            ("many labels", [gn_dns(".".join("l%d" % k for k in range(30)) + ".example")]),
            ("upper case, written in lower", [gn_dns("WWW.Example.COM")]),
            ("U-label as UTF-8, written as its A-label", [gn_dns("münchen.example".encode())]),
            ("A-label", [gn_dns("xn--mnchen-3ya.example")]),
            ("eszett, nontransitional", [gn_dns("faß.example".encode())]),
            ("50 DNS names", [gn_dns("n%d.example.com" % k) for k in range(50)]),
            ("the same name twice", [gn_dns("twice.example"), gn_dns("twice.example")]),
            ("IPv4", [gn_ip(bytes([192, 0, 2, 7]))]),
            ("IPv4 broadcast", [gn_ip(bytes([255] * 4))]),
            ("IPv6 loopback", [gn_ip(bytes(15) + b"\x01")]),
            ("IPv6 documentation", [gn_ip(bytes.fromhex("20010db8000000000000000000000001"))]),
            ("IPv4-mapped IPv6", [gn_ip(bytes(10) + b"\xff\xff" + bytes([10, 0, 0, 1]))]),
            ("DNS and IPs", [gn_dns("mixed.example"), gn_ip(bytes([10, 1, 2, 3])),
                             gn_ip(bytes.fromhex("fd000000000000000000000000000001"))]),
    ]:
        for profile in ("server", "peer"):
            add(profile, "ok", "names.example", what, exts=[san(*names)])
    add("server", "ok", "192.0.2.10", "a CN that is an IP address")
    for i, (what, value) in enumerate([
            ("plain", "user@example.com"), ("plus addressing", "user+tag@example.com"),
            ("dots", "first.last@mail.example.com"), ("atext", "a!#$%&'*+-/=?^_`{|}~z@example.com"),
            ("quoted local part", '"john doe"@example.com'),
            ("quoted pair", '"a\\"b"@example.com'),
            ("64-character local part", "l" * 64 + "@example.com"),
            ("upper-case domain", "user@EXAMPLE.com"),
            ("U-label domain", "user@münchen.example")]):
        add("client", "ok", "mail-%d" % i, "email: " + what, exts=[san(gn_email(value.encode()))])
    for i, (what, value) in enumerate([
            ("SPIFFE", "spiffe://fleet.example/ns/prod/sa/pump"), ("URN", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"),
            ("https with port, query, fragment", "https://ca.example.com:8443/a/b?x=1&y=%2F#top"),
            ("userinfo", "ftp://user@files.example/pub"), ("IPv6 host", "https://[2001:db8::1]/"),
            ("mailto", "mailto:ops@example.com"), ("sub-delims", "urn:x:a!$&'()*+,;=")]):
        add("client", "ok", "uri-%d" % i, "URI: " + what, exts=[san(gn_uri(value))])
    for i, cn in enumerate(["Pumpe Straße 5", "O'Brien, Inc. (Ops)", "日本語の名前", "ä" * 64,
                            "x" * 64, "with  two  spaces", "emoji 🔐 device", "tab-free/slash"]):
        add("client", "ok", cn, "unusual CN %d" % i)
    add("client", "ok", "", "no CN, an email SAN only", exts=[san(gn_email("only@example.com"))])
    for i, cn in enumerate(["pump-1", "sensor.eu_west-3", "d" * 64, "0starts-with-digit",
                            "a.b.c.d", "x"]):
        add("device", "ok", cn, "device id %d" % i)
    add("device", "ok", "pump-7", "a device asking for its own role URI",
        exts=[san(gn_uri("urn:anchor:device:pump-7"))])
    for i, cn in enumerate(["ingest-1", "billing.api", "s_3"]):
        add("service", "ok", cn, "service id %d" % i)
    extras = [("CA:TRUE asked for", [EXT_BC_CA]), ("keyCertSign asked for", [EXT_KU]),
              ("codeSigning EKU asked for", [EXT_EKU_CODE]), ("name constraints asked for", [EXT_NC]),
              ("a certificate policy", [EXT_POLICY]), ("an unknown critical extension", [EXT_PRIVATE]),
              ("a subject key identifier", [EXT_SKID]), ("an OCSP URL", [EXT_AIA]),
              ("all of them", [EXT_BC_CA, EXT_KU, EXT_EKU_CODE, EXT_NC, EXT_POLICY, EXT_PRIVATE,
                               EXT_SKID, EXT_AIA])]
    for profile in ("server", "client", "device", "service", "peer"):
        for what, e in extras:
            cn = "extra-" + profile + ".example.com"
            add(profile, "ok", cn, what + " (ignored)", exts=list(e))
    subject = name(("C", "SE"), ("ST", "Skåne"), ("L", "Malmö"), ("O", "Acme AB"), ("OU", "Ops"),
                   ("DC", "example"), ("emailAddress", "ops@example.com"), ("serialNumber", "42"),
                   ("CN", "subject.example.com"))
    for profile in ("server", "client", "peer"):
        add(profile, "ok", "subject.example.com", "a subject with every attribute (only the CN is issued)",
            subject=subject)
        add(profile, "ok", "challenge.example.com", "a challengePassword attribute",
            attrs=[ATTR_CHALLENGE])
    for i in range(40):
        profile = ("server", "client", "device", "service", "peer")[i % 5]
        add(profile, "ok", "mix-%d.example.com" % i, "key and signature mix %d" % i)

    # -- Refused: malformed, forbidden, or a name no verifier would accept. --
    key = keys["ec256"]
    def refuse(profile, cn, what, **kw):
        add(profile, "refuse", cn, what, **kw)
    cn_good = name(("CN", "bad.example.com"))
    refuse("server", "bad.example.com", "two SAN extensions",
           exts=[san(gn_dns("a.example")), san(gn_dns("b.example"))])
    refuse("server", "bad.example.com", "a SAN that does not decode",
           exts=[ext("551d11", b"\x30\x03\x82\x05x")])
    refuse("server", "bad.example.com", "an empty SAN", exts=[ext("551d11", seq())])
    refuse("server", "bad.example.com", "two basicConstraints", exts=[EXT_BC_CA, EXT_BC_CA])
    refuse("server", "a.example.com", "two common names",
           subject=name(("CN", "a.example.com"), ("CN", "b.example.com")))
    refuse("server", "bad.example.com", "two extension requests",
           attrs=[ext_req(san(gn_dns("a.example"))), ext_req(san(gn_dns("b.example")))])
    for what, dns in [("an underscore", "a_b.example"), ("a space", "a b.example"),
                      ("a 64-character label", "a" * 64 + ".example"),
                      ("254 characters", ".".join(["c" * 62] * 4) + ".ex"),
                      ("a wildcard in the middle", "a.*.example"), ("a partial wildcard", "w*.example"),
                      ("a trailing dot", "example.com."), ("an empty label", "a..example"),
                      ("a leading hyphen", "-a.example"), ("an all-digit TLD", "host.123"),
                      ("a broken A-label", "xn--zz.example"),
                      ("a disallowed code point", "a\u2665.example".encode()),
                      ("a NUL", b"good.example\x00.evil.example"),
                      ("a wildcard the profile does not allow", "*.example.com")]:
        refuse("server", "bad.example.com", "DNS with " + what, exts=[san(gn_dns(dns))])
    for what, mail in [("no @", "no-at-sign"), ("two @", "a@b@example.com"), ("empty local part", "@example.com"),
                       ("no domain", "user@"), ("non-ASCII local part", "üser@example.com".encode()),
                       ("a space", "us er@example.com"), ("two dots", "a..b@example.com"),
                       ("65-character local part", "l" * 65 + "@example.com"),
                       ("an address literal", "user@[192.0.2.1]")]:
        refuse("client", "mail", "email with " + what, exts=[san(gn_email(mail))])
    for what, uri in [("no scheme", "just/a/path"), ("a space", "urn:a b"), ("a bad escape", "urn:a%zz"),
                      ("nothing after the scheme", "urn:"), ("a quote", 'urn:a"b'),
                      ("a bad port", "https://h:80x/")]:
        refuse("client", "uri", "URI with " + what, exts=[san(gn_uri(uri))])
    refuse("server", "bad.example.com", "an IP of 5 octets", exts=[san(gn_ip(b"\x01\x02\x03\x04\x05"))])
    refuse("server", "bad.example.com", "an otherName SAN", exts=[san(gn_other())])
    refuse("server", "bad.example.com", "a directoryName SAN", exts=[san(gn_dir())])
    refuse("server", "bad.example.com", "an email in a server certificate",
           exts=[san(gn_email("a@example.com"))])
    refuse("client", "x" * 65, "a 65-character CN")
    refuse("client", "a\nb", "a CN with a newline")
    refuse("client", "\u202eevil", "a CN with a bidi override")
    refuse("server", "my laptop", "a server certificate with no DNS or IP name")
    refuse("client", "mallory", "a client asking for a service role URI",
           exts=[san(gn_uri("urn:anchor:service:mallory"))])
    refuse("peer", "eve.example.com", "a peer asking for a device role URI",
           exts=[san(gn_uri("urn:anchor:device:eve.example.com"))])
    refuse("device", "pump-1", "a device asking for another device's URI",
           exts=[san(gn_uri("urn:anchor:device:pump-2"))])
    refuse("device", "pump 1", "a device id with a space")
    cri = info(cn_good, spki(key))
    good = sign(cri, key)
    tampered = bytearray(good)
    tampered[-3] ^= 1
    refuse("server", "bad.example.com", "a signature that does not verify", der=bytes(tampered))
    for what, k in [("RSA-1024", rsa.generate_private_key(65537, 1024)),
                    ("RSA with e=3", rsa.generate_private_key(3, 2048)),
                    ("DSA-2048", dsa.generate_private_key(2048)),
                    ("secp256k1", ec.generate_private_key(ec.SECP256K1())),
                    ("Ed448", ed448.Ed448PrivateKey.generate())]:
        refuse("server", "bad.example.com", "a key anchor does not issue for: " + what,
               der=sign(info(cn_good, spki(k)), k))
    n = int.from_bytes(b"\xc3" + bytes(range(1, 256)), "big") | 1
    rsa_e1 = seq(seq(oid("2a864886f70d010101"), tlv(0x05, b"")), bits(seq(integer(n), integer(1))))
    refuse("server", "bad.example.com", "RSA with e=1 (its signature proves nothing)",
           der=seq(info(cn_good, rsa_e1), seq(oid("2a864886f70d01010b"), tlv(0x05, b"")),
                   bits(b"\x01" * 256)))
    compressed = key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.CompressedPoint)
    compressed_spki = seq(seq(oid("2a8648ce3d0201"), oid("2a8648ce3d030107")), bits(compressed))
    refuse("server", "bad.example.com", "a compressed EC point (Go cannot parse the certificate)",
           der=sign(info(cn_good, compressed_spki), key))
    rsa_big_e = seq(seq(oid("2a864886f70d010101"), tlv(0x05, b"")),
                    bits(seq(integer(n), integer((1 << 63) + 29))))
    refuse("server", "bad.example.com", "RSA with e = 2^63+29 (Go cannot parse the certificate)",
           der=seq(info(cn_good, rsa_big_e), seq(oid("2a864886f70d01010b"), tlv(0x05, b"")),
                   bits(b"\x01" * 256)))
    off = bytearray(spki(key))
    off[-1] ^= 1
    refuse("server", "bad.example.com", "an EC point off its curve", der=sign(info(cn_good, bytes(off)), key))
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-param_enc", "explicit", "-genkey",
                    "-noout", "-out", os.path.join(out, "explicit.key")], check=True, capture_output=True)
    explicit = subprocess.run(["openssl", "req", "-new", "-key", os.path.join(out, "explicit.key"),
                               "-subj", "/CN=bad.example.com", "-outform", "DER"],
                              check=True, capture_output=True).stdout
    os.remove(os.path.join(out, "explicit.key"))
    refuse("server", "bad.example.com", "explicit EC parameters (openssl ecparam -param_enc explicit)",
           der=explicit)
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.write("\n".join(manifest) + "\n")


ALLOWED_EXTENSIONS = {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE,
                      ExtensionOID.EXTENDED_KEY_USAGE, ExtensionOID.SUBJECT_KEY_IDENTIFIER,
                      ExtensionOID.AUTHORITY_KEY_IDENTIFIER, ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
                      ExtensionOID.CRL_DISTRIBUTION_POINTS, ExtensionOID.AUTHORITY_INFORMATION_ACCESS}
EKU = {"server": [ExtendedKeyUsageOID.SERVER_AUTH], "client": [ExtendedKeyUsageOID.CLIENT_AUTH],
       "device": [ExtendedKeyUsageOID.CLIENT_AUTH], "service": [ExtendedKeyUsageOID.CLIENT_AUTH],
       "peer": [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]}


def check(directory):
    bad = []
    checked = 0
    for line in open(os.path.join(directory, "manifest.tsv")):
        fname, profile, expect, cn, what = line.rstrip("\n").split("\t")
        if expect != "ok":
            continue
        base = os.path.join(directory, fname[:-4])
        cert = x509.load_pem_x509_certificate(open(base + ".crt", "rb").read())
        csr = x509.load_pem_x509_csr(open(base + ".csr", "rb").read())
        checked += 1
        def fail(msg): bad.append("%s (%s, %s): %s" % (fname, profile, what, msg))
        if cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo) != \
                csr.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo):
            fail("the certificate's key is not the request's")
        exts = cert.extensions
        if exts.get_extension_for_class(x509.BasicConstraints).value.ca:
            fail("CA:TRUE")
        extra = {e.oid for e in exts} - ALLOWED_EXTENSIONS
        if extra:
            fail("extensions the profile does not set: %s" % extra)
        if list(exts.get_extension_for_class(x509.ExtendedKeyUsage).value) != EKU[profile]:
            fail("EKU is not the profile's")
        ku = exts.get_extension_for_class(x509.KeyUsage).value
        if ku.key_cert_sign or ku.crl_sign:
            fail("a leaf that can sign certificates")
        cns = [a.value for a in cert.subject]
        if cns != ([cn] if cn else []):
            fail("subject is %r, not only the CN %r" % (cns, cn))
    if checked < 200:
        bad.append("only %d certificates were checked; the corpus must hold at least 200" % checked)
    print("python3-cryptography checked %d certificates" % checked)
    if bad:
        sys.exit("\n".join(bad))


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
