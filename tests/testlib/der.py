# SPDX-License-Identifier: Apache-2.0
"""DER by hand, for test inputs that python3-cryptography will not build (malformed or unusual
requests): a TLV and the few universal types the CSR generators need."""


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def seq(*parts): return tlv(0x30, b"".join(parts))
def set_of(*parts): return tlv(0x31, b"".join(parts))
def oid(hexstr): return tlv(0x06, bytes.fromhex(hexstr))
def integer(n): return tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big"))
def octets(b): return tlv(0x04, b)
def bits(b): return tlv(0x03, b"\x00" + b)
