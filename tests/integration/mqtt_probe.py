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
  mqtt_probe.py session  ARGS [SESSION]     one MQTT session step: connect with a client id
                                            (clean or not, MQTT 3.1.1 or 5), perhaps with a will,
                                            subscribe, publish, listen, then disconnect, drop the
                                            socket (the will fires) or stay until the broker
                                            drops it; prints what happened as one JSON line
                                            (connack, session_present, granted, messages,
                                            dropped) and exits 0 whenever the broker answered
ARGS: --port P --cafile F --cert C --key K [--topic T] [--timeout S]
SESSION: --client-id ID [--persistent] [--v5] [--expiry S] [--subscribe FILTER]...
         [--publish-topic T --message M [--retain] [--qos Q]]
         [--will-topic T --will-message M [--will-retain] [--will-delay S]]
         [--listen S] [--end disconnect|drop|stay]
"""
import argparse
import json
import ssl
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


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


def session_client(args):
    """A client for `session`: protocol, clean session or start, will; not yet connected."""
    proto = mqtt.MQTTv5 if args.v5 else mqtt.MQTTv311
    if args.v5:
        client = mqtt.Client(client_id=args.client_id, protocol=proto)
    else:
        client = mqtt.Client(client_id=args.client_id, protocol=proto,
                             clean_session=not args.persistent)
    client.tls_set(ca_certs=args.cafile, certfile=args.cert, keyfile=args.key,
                   cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    if args.will_topic:
        props = None
        if args.v5 and args.will_delay:
            props = Properties(PacketTypes.WILLMESSAGE)
            props.WillDelayInterval = args.will_delay
        client.will_set(args.will_topic, args.will_message.encode(), qos=1,
                        retain=args.will_retain, properties=props)
    return client


def cmd_session(args):
    client = session_client(args)
    out = {"connack": None, "session_present": None, "granted": [], "messages": [],
           "dropped": False}
    connected, subscribed, dropped = threading.Event(), threading.Event(), threading.Event()
    closing = threading.Event()

    def on_connect(c, userdata, flags, rc, props=None):
        out["connack"] = rc if isinstance(rc, int) else rc.value
        out["session_present"] = flags.get("session present")
        connected.set()

    def on_disconnect(c, userdata, rc, props=None):
        out["dropped"] = not closing.is_set()
        dropped.set()
        connected.set()

    def on_subscribe(c, userdata, mid, granted, props=None):
        out["granted"] += [g if isinstance(g, int) else g.value for g in granted]
        subscribed.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_subscribe = on_subscribe
    client.on_message = lambda c, u, m: out["messages"].append(
        [m.topic, m.payload.decode(errors="replace"), int(m.retain)])
    kw = {}
    if args.v5:
        kw["clean_start"] = not args.persistent
        if args.expiry is not None:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = args.expiry
            kw["properties"] = props
    try:
        client.connect("localhost", args.port, keepalive=30, **kw)
    except (OSError, ssl.SSLError) as e:
        out["connack"] = -1
        out["error"] = str(e)
        print(json.dumps(out))
        return 0
    client.loop_start()
    if not connected.wait(args.timeout) or out["connack"] != 0 or dropped.is_set():
        client.loop_stop()
        out["connack"] = -2 if out["connack"] is None else out["connack"]
        print(json.dumps(out))
        return 0
    for topic in args.subscribe:
        subscribed.clear()
        client.subscribe(topic, qos=1)
        subscribed.wait(args.timeout)
    if args.publish_topic:
        info = client.publish(args.publish_topic, args.message.encode(), qos=args.qos,
                              retain=args.retain)
        if args.qos > 0:
            info.wait_for_publish(args.timeout)
    if args.end == "stay":
        dropped.wait(args.listen)
    else:
        time.sleep(args.listen)
    if args.end == "drop":
        client.loop_stop()  # first, so that no read races the close
        client.socket().close()  # no DISCONNECT: the broker sends the will
    else:
        if not dropped.is_set():
            closing.set()
            client.disconnect()
        client.loop_stop()
    print(json.dumps(out))
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["connect", "kick", "deliver", "session"])
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
    parser.add_argument("--client-id", default="")
    parser.add_argument("--persistent", action="store_true",
                        help="clean session 0 (MQTT 3.1.1) or clean start 0 (MQTT 5)")
    parser.add_argument("--v5", action="store_true")
    parser.add_argument("--expiry", type=int, help="MQTT 5 session expiry interval, seconds")
    parser.add_argument("--subscribe", action="append", default=[])
    parser.add_argument("--message", default="")
    parser.add_argument("--retain", action="store_true")
    parser.add_argument("--qos", type=int, default=1)
    parser.add_argument("--will-topic")
    parser.add_argument("--will-message", default="")
    parser.add_argument("--will-retain", action="store_true")
    parser.add_argument("--will-delay", type=int, help="MQTT 5 will delay interval, seconds")
    parser.add_argument("--listen", type=float, default=0.5)
    parser.add_argument("--end", choices=["disconnect", "drop", "stay"], default="disconnect")
    args = parser.parse_args()
    return {"connect": cmd_connect, "kick": cmd_kick, "deliver": cmd_deliver,
            "session": cmd_session}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
