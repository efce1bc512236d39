#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An MQTT client over mTLS with python3-paho-mqtt, for the broker plugin's tests and benchmarks.

  mqtt_probe.py connect  ARGS              exit 0 if the broker accepts the client (CONNACK 0)
  mqtt_probe.py kick     ARGS --revoke CMD  connect, subscribe, run CMD (which revokes this
                                            client's certificate), then report how long until
                                            the broker dropped the connection and whether a
                                            reconnect is refused; exit 0 if both happened
  mqtt_probe.py deliver  ARGS --publish-cert C --publish-key K --publish-topic T
                                            subscribe to --topic, publish to T as the other
                                            client (QoS 1), exit 0 if the message arrives
ARGS: --port P --cafile F --cert C --key K [--topic T] [--timeout S]
"""
import argparse
import json
import ssl
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt


def make_client(args, cert, key, client_id=""):
    client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv311)
    client.tls_set(ca_certs=args.cafile, certfile=cert, keyfile=key,
                   cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    return client


def connect(args, cert, key):
    """Returns (client, CONNACK code), or (None, -1) when TLS or the connection failed."""
    client = make_client(args, cert, key)
    result = {}
    done = threading.Event()

    def on_connect(c, userdata, flags, rc):
        result["rc"] = rc
        done.set()

    def on_disconnect(c, userdata, rc):
        result.setdefault("rc", -1)
        done.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    try:
        client.connect("localhost", args.port, keepalive=30)
    except (OSError, ssl.SSLError) as e:
        print(f"connect: {e}", file=sys.stderr)
        return None, -1
    client.loop_start()
    if not done.wait(args.timeout):
        client.loop_stop()
        return None, -2
    if result["rc"] != 0:
        client.loop_stop()
        return None, result["rc"]
    return client, 0


def cmd_connect(args):
    client, rc = connect(args, args.cert, args.key)
    print(json.dumps({"connack": rc}))
    if client:
        client.disconnect()
        client.loop_stop()
    return 0 if rc == 0 else 1


def subscribed_client(args, on_message=None):
    """Connects with --cert/--key and subscribes to --topic; None (reported) when either fails."""
    client, rc = connect(args, args.cert, args.key)
    if not client:
        print(json.dumps({"error": "subscriber not connected", "connack": rc}))
        return None
    subscribed = threading.Event()
    client.on_subscribe = lambda c, u, mid, granted: subscribed.set()
    if on_message:
        client.on_message = on_message
    client.subscribe(args.topic, qos=1)
    if not subscribed.wait(args.timeout):
        print(json.dumps({"error": "no SUBACK"}))
        return None
    return client


def cmd_kick(args):
    client = subscribed_client(args)
    if not client:
        return 1
    dropped = threading.Event()
    client.on_disconnect = lambda c, u, rc: dropped.set()
    subprocess.run(args.revoke, shell=True, check=True, stdout=subprocess.DEVNULL)
    revoked_at = time.monotonic()
    was_dropped = dropped.wait(args.timeout)
    dropped_ms = round((time.monotonic() - revoked_at) * 1000)
    client.loop_stop()
    _, again = connect(args, args.cert, args.key)
    print(json.dumps({"dropped": was_dropped, "dropped_ms": dropped_ms, "reconnect_connack": again}))
    return 0 if was_dropped and again not in (0, -2) else 1


def cmd_deliver(args):
    got = threading.Event()
    subscriber = subscribed_client(args, on_message=lambda c, u, msg: got.set())
    if not subscriber:
        return 1
    publisher, rc = connect(args, args.publish_cert, args.publish_key)
    if not publisher:
        print(json.dumps({"error": "publisher not connected", "connack": rc}))
        return 1
    publisher.publish(args.publish_topic, b"hello", qos=1).wait_for_publish()
    arrived = got.wait(args.timeout)
    print(json.dumps({"delivered": arrived}))
    for c in (publisher, subscriber):
        c.disconnect()
        c.loop_stop()
    return 0 if arrived else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["connect", "kick", "deliver"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--topic", default="#")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--revoke")
    parser.add_argument("--publish-cert")
    parser.add_argument("--publish-key")
    parser.add_argument("--publish-topic")
    args = parser.parse_args()
    return {"connect": cmd_connect, "kick": cmd_kick, "deliver": cmd_deliver}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
