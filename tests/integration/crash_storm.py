#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# The client and the checker of serve_crash_test.sh, written with Python's own ssl, http.client
# and sqlite3 and python3-cryptography: nothing of anchor's.
#
#   crash_storm.py storm --port P --home H --out DIR --devices N --concurrency C --deadline S
#     Makes N devices (EC P-256 key, CSR CN=crash-NNNN, one one-time token each through the
#     admin API over mTLS), writes DIR/ready, then enrolls them over EST from C threads. A device
#     whose request gets no answer (connection refused or reset, a response cut short) or a 5xx
#     sends the same request again (same token, same CSR) until it gets another answer or the
#     deadline passes. One line per finished device goes to DIR/progress (the harness kills the
#     server by that count); DIR/devices.json keeps, per device, its token's hash, its public key,
#     every attempt's outcome, and the certificate it received.
#
#   crash_storm.py probe --port P --home H --out DIR
#     After the storm: 8 devices' used tokens with another key must get 401; the same request
#     again (same token, same key) gets the certificate issued for it (same serial) or 401.
#
#   crash_storm.py check --home H --out DIR --kills K
#     Checks the store (anchor.db, read with sqlite3) against what the clients received and
#     prints the counts; exit 1 on a broken invariant, 3 when the invariants hold but devices
#     are stranded.
import argparse
import base64
import hashlib
import http.client
import json
import os
import queue
import random
import socket
import sqlite3
import ssl
import sys
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class Conn(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1:port, verifying the server as 'localhost' (the CA server's name)."""

    def __init__(self, port, context, timeout):
        super().__init__("localhost", port, context=context, timeout=timeout)
        self._ctx, self._port = context, port

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self._port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._ctx.wrap_socket(sock, server_hostname="localhost")


def tls_context(home, admin=False):
    ctx = ssl.create_default_context(cafile=os.path.join(home, "root.crt"))
    if admin:
        ctx.load_cert_chain(os.path.join(home, "admin.crt"), os.path.join(home, "admin.key"))
    return ctx


def make_devices(args):
    """Keys, CSRs and tokens, before the storm (and before any kill)."""
    ctx = tls_context(args.home, admin=True)
    devices = []
    for i in range(args.devices):
        cn = f"crash-{i:04d}"
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .sign(key, hashes.SHA256()))
        devices.append({"cn": cn, "spki": key.public_key().public_bytes(*SPKI).hex(),
                        "csr": base64.encodebytes(csr.public_bytes(serialization.Encoding.DER)).decode()})
    # Tokens through the admin API, from a few connections at once.
    work = queue.Queue()
    for d in devices:
        work.put(d)
    errors = []

    def make_tokens():
        conn = Conn(args.port, ctx, 30)
        while True:
            try:
                d = work.get_nowait()
            except queue.Empty:
                return
            body = json.dumps({"cn": d["cn"], "sans": [], "profile": "device", "ttl": "1h"})
            try:
                conn.request("POST", "/api/v1/tokens", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                answer = r.read()
            except (OSError, http.client.HTTPException) as e:
                errors.append(f"token for {d['cn']}: {e!r}")
                return
            if r.status != 201:
                errors.append(f"token for {d['cn']}: {r.status} {answer[:200]!r}")
                return
            d["token"] = json.loads(answer)["token"]
            d["token_hash"] = hashlib.sha256(d["token"].encode()).hexdigest()

    threads = [threading.Thread(target=make_tokens) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("crash_storm: " + "; ".join(errors[:3]))
    return devices


def enroll(d, conn_box, args, ctx, deadline):
    """Sends d's request until it gets an answer that is not a 5xx, or the deadline passes."""
    headers = {"Content-Type": "application/pkcs10", "Authorization": "Bearer " + d["token"]}
    d["attempts"] = []
    while True:
        if time.monotonic() > deadline:
            d["final"] = "deadline"
            return
        if conn_box[0] is None:
            conn_box[0] = Conn(args.port, ctx, 15)
        conn = conn_box[0]
        sent = False
        try:
            conn.request("POST", "/.well-known/est/simpleenroll", d["csr"], headers)
            sent = True
            r = conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException) as e:
            # No answer: refused (the server is down), reset, or a response cut short. The same
            # request goes again on a new connection.
            d["attempts"].append({"outcome": "sent-no-answer" if sent else "not-sent",
                                  "error": type(e).__name__, "t": round(time.time(), 4)})
            conn.close()
            conn_box[0] = None
            time.sleep(random.uniform(0.01, 0.05))
            continue
        attempt = {"outcome": "answer", "status": r.status, "t": round(time.time(), 4)}
        if r.status >= 500:
            attempt["retry_after"] = r.getheader("Retry-After")
            attempt["body"] = body[:200].decode(errors="replace")
            d["attempts"].append(attempt)
            # Honour Retry-After, capped so that the test stays short.
            try:
                pause = min(float(attempt["retry_after"]), 1.0)
            except (TypeError, ValueError):
                pause = 0.1
            time.sleep(pause)
            continue
        d["attempts"].append(attempt)
        d["final"] = r.status
        if r.status == 200:
            try:
                certs = pkcs7.load_der_pkcs7_certificates(base64.b64decode(body))
                d["cert"] = certs[0].public_bytes(serialization.Encoding.PEM).decode()
                d["serial"] = format(certs[0].serial_number, "x")
            except Exception as e:  # a 200 that is not a certificate is the server's fault
                d["final"] = f"200 unreadable: {e!r}"
        else:
            attempt["body"] = body[:200].decode(errors="replace")
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            conn_box[0] = None
        return


def storm(args):
    devices = make_devices(args)
    ctx = tls_context(args.home)
    work = queue.Queue()
    for d in devices:
        work.put(d)
    progress = open(os.path.join(args.out, "progress"), "a", buffering=1)
    lock = threading.Lock()
    with open(os.path.join(args.out, "ready"), "w") as f:
        f.write("ready\n")
    start = time.monotonic()
    deadline = start + args.deadline

    def worker():
        conn_box = [None]
        while True:
            try:
                d = work.get_nowait()
            except queue.Empty:
                break
            enroll(d, conn_box, args, ctx, deadline)
            with lock:
                progress.write(f"{d['cn']} {d['final']}\n")
        if conn_box[0] is not None:
            conn_box[0].close()

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(os.path.join(args.out, "devices.json"), "w") as f:
        json.dump({"seconds": time.monotonic() - start, "devices": devices}, f)
    return 0


def probe(args):
    """After the storm, with the server up: a used token with another key is refused (401), and
    a replay of a request whose certificate was issued gets that same certificate or a 401."""
    devices = json.load(open(os.path.join(args.out, "devices.json")))["devices"]
    ctx = tls_context(args.home)
    conn = Conn(args.port, ctx, 15)
    rng = random.Random(len(devices))
    picked = rng.sample(devices, min(8, len(devices)))
    problems, replays = [], {}

    def post(d, csr_b64):
        conn.request("POST", "/.well-known/est/simpleenroll", csr_b64,
                     {"Content-Type": "application/pkcs10", "Authorization": "Bearer " + d["token"]})
        r = conn.getresponse()
        return r.status, r.read()

    for d in picked:
        # The same token and name with another key: 401, whatever happened to the token.
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, d["cn"])]))
               .sign(key, hashes.SHA256()))
        status, body = post(d, base64.encodebytes(csr.public_bytes(serialization.Encoding.DER)).decode())
        if status != 401:
            problems.append(f"{d['cn']}: its used token with another key got {status}, not 401")
        # The very request it sent (same token, same key): the certificate issued for it or 401.
        status, body = post(d, d["csr"])
        replays[status] = replays.get(status, 0) + 1
        if status == 200:
            cert = pkcs7.load_der_pkcs7_certificates(base64.b64decode(body))[0]
            if "cert" in d and format(cert.serial_number, "x") != d["serial"]:
                problems.append(f"{d['cn']}: a replay got serial {cert.serial_number:x}, "
                                f"not the {d['serial']} it received")
        elif status != 401:
            problems.append(f"{d['cn']}: a replay got {status}")
    conn.close()
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    print(f"probes={len(picked)} other_key=401 replay=" +
          ",".join(f"{k}x{v}" for k, v in sorted(replays.items())))
    return 1 if problems else 0


def check(args):
    data = json.load(open(os.path.join(args.out, "devices.json")))
    devices = data["devices"]
    db = sqlite3.connect(f"file:{os.path.join(args.home, 'anchor.db')}?mode=ro", uri=True)
    problems = []

    def problem(text):
        problems.append(text)

    certs = {}  # serial (int) -> row
    for serial, der, token_hash, cn, profile in db.execute(
            "SELECT serial, der, token_hash, common_name, profile FROM certificates"):
        s = int(serial, 16)
        if s in certs:
            problem(f"serial {serial} stored twice")
        certs[s] = {"serial": serial, "der": bytes(der), "token_hash": token_hash, "cn": cn,
                    "profile": profile}
    fingerprints = db.execute("SELECT COUNT(*), COUNT(DISTINCT fingerprint) FROM certificates").fetchone()
    if fingerprints[0] != fingerprints[1]:
        problem(f"{fingerprints[0] - fingerprints[1]} certificates stored twice (same fingerprint)")
    tokens = {h: {"used_at": ua, "used_by": ub}
              for h, ua, ub in db.execute("SELECT hash, used_at, used_by FROM tokens")}
    by_serial_text = {c["serial"]: c for c in certs.values()}

    # Every consumed token has exactly one certificate, the one it names; every certificate paid
    # by a token has that token consumed by it.
    per_token = {}
    for c in certs.values():
        if c["token_hash"]:
            per_token.setdefault(c["token_hash"], []).append(c["serial"])
    for h, serials in per_token.items():
        if len(serials) > 1:
            problem(f"token {h[:12]} paid for {len(serials)} certificates: {serials}")
        t = tokens.get(h)
        if t is None:
            problem(f"certificate {serials[0]} names token {h[:12]}, which is not in the store")
        elif not t["used_at"] or t["used_by"] not in serials:
            problem(f"certificate {serials[0]} was paid by token {h[:12]}, but the token is "
                    f"used_at={t['used_at']} used_by={t['used_by']}")
    for h, t in tokens.items():
        if not t["used_at"] and not t["used_by"]:
            continue
        if not t["used_at"] or not t["used_by"]:
            problem(f"token {h[:12]} half consumed: used_at={t['used_at']} used_by={t['used_by']}")
            continue
        c = by_serial_text.get(t["used_by"])
        if c is None:
            problem(f"token {h[:12]} consumed by {t['used_by']}, which is not in the store")
        elif c["token_hash"] != h:
            problem(f"token {h[:12]} consumed by {t['used_by']}, whose token is {c['token_hash']}")

    # One audit entry per issued certificate, none for a certificate that is not stored.
    audited = {}
    for (serial,) in db.execute("SELECT serial FROM audit_log WHERE action = 'issue'"):
        audited[serial] = audited.get(serial, 0) + 1
    for serial, n in audited.items():
        if serial in by_serial_text and n != 1:
            problem(f"certificate {serial} has {n} issue entries in the audit log")
        if serial not in by_serial_text:
            problem(f"the audit log records the issue of {serial}, which is not in the store")
    for serial in by_serial_text:
        if serial not in audited:
            problem(f"certificate {serial} has no issue entry in the audit log")

    # What each device received is in the store, byte for byte, paid by its own token, for its
    # own key and name.
    received, stranded, retries, resent, no_answer = 0, [], 0, 0, 0
    retry_401, first_401, five_xx, five_xx_no_retry_after, resent_200 = 0, 0, 0, 0, 0
    seen_serials = {}
    os.makedirs(os.path.join(args.out, "received"), exist_ok=True)
    for d in devices:
        attempts = d.get("attempts", [])
        retries += max(0, len(attempts) - 1)
        resent += sum(1 for a in attempts[:-1] if a["outcome"] != "not-sent")
        no_answer += sum(1 for a in attempts if a["outcome"] == "sent-no-answer")
        for a in attempts:
            if a.get("status", 0) >= 500:
                five_xx += 1
                if not a.get("retry_after"):
                    five_xx_no_retry_after += 1
        reached = [a for a in attempts[:-1] if a["outcome"] != "not-sent"]
        if d.get("final") == 401:
            if reached:
                retry_401 += 1
            else:
                first_401 += 1
                problem(f"{d['cn']}: 401 on its first request: {attempts[-1].get('body')}")
        if d.get("final") == 200 and reached:
            resent_200 += 1
        if "cert" not in d:
            t = tokens.get(d["token_hash"], {})
            stranded.append({"cn": d["cn"], "final": d.get("final"),
                             "token_consumed_by": t.get("used_by"),
                             "attempts": [a.get("status", a.get("error")) for a in attempts]})
            continue
        received += 1
        cert = x509.load_pem_x509_certificate(d["cert"].encode())
        der = cert.public_bytes(serialization.Encoding.DER)
        s = cert.serial_number
        if s in seen_serials:
            problem(f"{d['cn']} and {seen_serials[s]} received the same serial {s:x}")
        seen_serials[s] = d["cn"]
        with open(os.path.join(args.out, "received", d["cn"] + ".pem"), "w") as f:
            f.write(d["cert"])
        row = certs.get(s)
        if row is None:
            problem(f"{d['cn']} received {s:x}, which is not in the store")
            continue
        if row["der"] != der:
            problem(f"{d['cn']} received {s:x}, stored with other bytes")
        if row["token_hash"] != d["token_hash"]:
            problem(f"{d['cn']} received {s:x}, stored as paid by token {row['token_hash']}")
        if cert.public_key().public_bytes(*SPKI).hex() != d["spki"]:
            problem(f"{d['cn']} received {s:x} for another key")
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        if cn != d["cn"] or row["cn"] != d["cn"]:
            problem(f"{d['cn']} received {s:x} for CN={cn} (stored CN={row['cn']})")
    device_rows = sum(1 for c in certs.values() if c["profile"] == "device")
    consumed = sum(1 for t in tokens.values() if t["used_at"])
    lost_response = [s for s in stranded if s["token_consumed_by"]]
    counts = {
        "kills": args.kills, "devices": len(devices), "received": received,
        "stored_device_certs": device_rows, "tokens_consumed": consumed,
        "retries": retries, "resent_after_reaching": resent, "no_answer": no_answer,
        "5xx": five_xx, "5xx_without_retry_after": five_xx_no_retry_after,
        "200_on_retry": resent_200, "401_on_retry": retry_401, "stranded": len(stranded),
        "stranded_token_consumed": len(lost_response), "seconds": round(data["seconds"], 1),
    }
    with open(os.path.join(args.out, "counts"), "w") as f:
        f.write(" ".join(f"{k}={v}" for k, v in counts.items()) + "\n")
    for p in problems[:40]:
        print("PROBLEM:", p, file=sys.stderr)
    for s in stranded[:40]:
        print(f"STRANDED: {s['cn']} final={s['final']} token consumed by "
              f"{s['token_consumed_by']} attempts={s['attempts']}", file=sys.stderr)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    if problems:
        return 1
    return 3 if stranded else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("storm")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--devices", type=int, default=512)
    s.add_argument("--concurrency", type=int, default=32)
    s.add_argument("--deadline", type=float, default=60)
    for q in (s, sub.add_parser("check")):
        q.add_argument("--home", required=True)
        q.add_argument("--out", required=True)
    sub.choices["check"].add_argument("--kills", type=int, required=True)
    q = sub.add_parser("probe")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--home", required=True)
    q.add_argument("--out", required=True)
    args = p.parse_args()
    return {"storm": storm, "check": check, "probe": probe}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
