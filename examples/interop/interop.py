#!/usr/bin/env python3
"""fsbus interop proof: talk to an fsbus agent over one broker with nothing but that broker's
own Python client (no fsbus code), the way a service in any language would.

For the broker named on the command line it
  1. subscribes to the agent's events (the API event FreeSWITCH fires for every API command),
  2. sends {"command":"status"} to <prefix>.api and waits for the JSON reply envelope,
  3. reads the API event that the status command made FreeSWITCH fire,
and prints one JSON line: {"driver", "reply": {...}, "event": {...}}. Exit 1 on any failure.

Usage: interop.py <nats|amqp|redis|mqtt|kafka|zmq> <url> [--prefix freeswitch] [--timeout 20]
                  [--curve-server-key=K --curve-public-key=K --curve-secret-key=K]   (zmq, Z85;
                  with `=`: a Z85 key may start with `-`)
The wire mapping of each broker is the one in docs/drivers/<driver>.md; zmq with CURVE keys talks
to an agent whose sockets are CURVE servers (and, with client_keys, admit only listed clients).
"""
import argparse
import asyncio
import json
import sys
import time
import uuid

REQUEST = json.dumps({"command": "status"}).encode()


class NoAgent(Exception):
    """The broker says at once that no agent serves the lane (Redis: the NOMKSTREAM XADD answered nil)."""


def is_status_event(payload: bytes) -> bool:
    event = json.loads(payload)
    return event.get("event_name") == "API" and event.get("headers", {}).get("API-Command") == "status"


# --- NATS: native request/reply, subjects ---------------------------------------------------
async def via_nats(url, prefix, timeout):
    import nats

    nc = await nats.connect(url)
    try:
        events = asyncio.Queue()

        async def on_event(m):
            await events.put(m.data)

        await nc.subscribe(f"{prefix}.events.api", cb=on_event)
        await nc.flush()
        reply = await nc.request(f"{prefix}.api", REQUEST, timeout=timeout)
        while True:
            data = await asyncio.wait_for(events.get(), timeout)
            if is_status_event(data):
                return json.loads(reply.data), json.loads(data)
    finally:
        await nc.close()


# --- RabbitMQ: topic exchange <prefix>, direct reply-to + correlation_id --------------------
def via_amqp(url, prefix, timeout):
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        ch = conn.channel()
        events = ch.queue_declare(queue="", exclusive=True).method.queue
        ch.queue_bind(events, exchange=prefix, routing_key=f"{prefix}.events.api")
        corr = str(uuid.uuid4())
        got = {}

        def on_reply(_ch, _method, props, body):
            if props.correlation_id == corr:
                got["reply"] = json.loads(body)

        def on_event(_ch, _method, _props, body):
            if is_status_event(body):
                got["event"] = json.loads(body)

        ch.basic_consume("amq.rabbitmq.reply-to", on_reply, auto_ack=True)
        ch.basic_consume(events, on_event, auto_ack=True)
        ch.basic_publish(prefix, f"{prefix}.api", REQUEST, pika.BasicProperties(reply_to="amq.rabbitmq.reply-to", correlation_id=corr))
        deadline = time.monotonic() + timeout
        while ("reply" not in got or "event" not in got) and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.2)
        return got["reply"], got["event"]
    finally:
        conn.close()


# --- Redis: XADD to the lane stream, reply on our own stream, events by PUBLISH -------------
def via_redis(url, prefix, timeout):
    import redis

    r = redis.Redis.from_url(url, socket_timeout=timeout + 5)
    pubsub = r.pubsub()
    try:
        pubsub.subscribe(f"{prefix}.events.api")
        pubsub.get_message(timeout=timeout)  # the subscribe confirmation
        reply_key = f"{prefix}:reply:interop-{uuid.uuid4().hex[:8]}"
        corr = str(uuid.uuid4())
        expires = str(int(time.time() * 1000 + timeout * 1000))  # epoch milliseconds, not seconds; not run if read after we stop waiting
        lane = f"{prefix}:lane:{prefix}.api"
        fields = {"subject": f"{prefix}.api", "data": REQUEST, "reply_to": reply_key, "correlation_id": corr, "headers": "", "expires": expires}
        # NOMKSTREAM: never make a lane stream nobody reads; nil = no agent serves the lane, nothing written.
        if r.xadd(lane, fields, maxlen=10000, approximate=True, nomkstream=True) is None:
            raise NoAgent(f"FSBUS_ERR_BUS_NODE_UNAVAILABLE-like: no agent serves {prefix}.api (no lane stream {lane}): nothing was written")
        reply = None
        deadline = time.monotonic() + timeout
        last = "0"
        while reply is None and time.monotonic() < deadline:
            for _key, entries in r.xread({reply_key: last}, block=1000, count=10) or []:
                for entry_id, fields in entries:
                    last = entry_id
                    if fields.get(b"correlation_id", b"").decode() == corr:
                        reply = json.loads(fields[b"data"])
        while time.monotonic() < deadline:
            m = pubsub.get_message(timeout=1.0)
            if m and m["type"] == "message" and is_status_event(m["data"]):
                return reply, json.loads(m["data"])
        raise TimeoutError("no event")
    finally:
        pubsub.close()
        r.close()


# --- MQTT 5: Response Topic + Correlation Data, topics with / ---------------------------------
def via_mqtt(url, prefix, timeout):
    import queue
    from urllib.parse import urlparse

    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    u = urlparse(url)
    inbox = f"{prefix}/reply/interop-{uuid.uuid4().hex[:8]}"
    corr = str(uuid.uuid4()).encode()  # UTF-8 text: the bytes any client can echo
    got = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, m: got.put(m)
    client.connect(u.hostname, u.port or 1883)
    client.loop_start()
    try:
        for topic in (inbox, f"{prefix}/events/api"):
            client.subscribe(topic, qos=1)
        # SUBACKs are processed in order: a round trip on our own inbox proves both are active.
        probe = client.publish(inbox, b"probe", qos=1)
        probe.wait_for_publish(timeout)
        while got.get(timeout=timeout).payload != b"probe":
            pass
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = inbox
        props.CorrelationData = corr
        client.publish(f"{prefix}/api", REQUEST, qos=1, properties=props)
        reply = event = None
        deadline = time.monotonic() + timeout
        while (reply is None or event is None) and time.monotonic() < deadline:
            m = got.get(timeout=max(0.1, deadline - time.monotonic()))
            if m.topic == inbox and getattr(m.properties, "CorrelationData", None) == corr:
                reply = json.loads(m.payload)
            elif m.topic == f"{prefix}/events/api" and is_status_event(m.payload):
                event = json.loads(m.payload)
        return reply, event
    finally:
        client.loop_stop()
        client.disconnect()


# --- Kafka: request topic + reply topic with a correlation header; events on one topic -------
def via_kafka(url, prefix, timeout):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    bootstrap = url.split("://", 1)[-1]
    inbox = f"fsbus.inbox.interop-{uuid.uuid4().hex[:8]}"
    corr = str(uuid.uuid4())
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(inbox, num_partitions=1, replication_factor=1)])
    # Topics are created by whoever needs them first: the agent may not have published an event yet.
    if f"{prefix}.events" not in admin.list_topics():
        try:
            admin.create_topics([NewTopic(f"{prefix}.events", num_partitions=1, replication_factor=1)])
        except TopicAlreadyExistsError:
            pass
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=int(timeout * 1000))
    events_tp = TopicPartition(f"{prefix}.events", 0)
    inbox_tp = TopicPartition(inbox, 0)
    consumer.assign([events_tp, inbox_tp])
    consumer.seek_to_end(events_tp)
    consumer.position(events_tp)  # fix the events position before the request goes out
    consumer.seek_to_beginning(inbox_tp)
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        headers = [
            ("fsbus-subject", f"{prefix}.api".encode()),
            ("fsbus-reply-to", inbox.encode()),
            ("fsbus-correlation-id", corr.encode()),
            ("fsbus-expires", str(int(time.time() * 1000 + timeout * 1000)).encode()),
        ]
        producer.send(f"{prefix}.api", REQUEST, headers=headers).get(timeout=timeout)
        reply = event = None
        for record in consumer:
            h = {k: v.decode() for k, v in record.headers}
            if record.topic == inbox and h.get("fsbus-correlation-id") == corr:
                reply = json.loads(record.value)
            elif record.topic == events_tp.topic and h.get("fsbus-subject") == f"{prefix}.events.api" and is_status_event(record.value):
                event = json.loads(record.value)
            if reply is not None and event is not None:
                break
        return reply, event
    finally:
        producer.close()
        consumer.close()
        admin.delete_topics([inbox])
        admin.close()


# --- ZeroMQ: DEALER → the agent's ROUTER, SUB ← its PUB ---------------------------------------
def via_zmq(url, prefix, timeout, curve=None):
    from urllib.parse import parse_qs, urlparse

    import zmq

    u = urlparse(url)
    events_port = int(parse_qs(u.query).get("events", [u.port + 1])[0])
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    dealer = ctx.socket(zmq.DEALER)
    for s in (sub, dealer):
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, int(timeout * 1000))
        if curve is not None:
            # The agent's public key, and this client's pair (listed in the agent's client_keys).
            s.curve_serverkey = curve["server"].encode()
            s.curve_publickey = curve["public"].encode()
            s.curve_secretkey = curve["secret"].encode()
    try:
        sub.connect(f"tcp://{u.hostname}:{events_port}")
        sub.setsockopt(zmq.SUBSCRIBE, f"{prefix}.events.api".encode())
        # The agent echoes a $fsbus.sub.* subscription: once back, our subscription is active.
        marker = f"$fsbus.sub.interop-{uuid.uuid4().hex[:8]}".encode()
        sub.setsockopt(zmq.SUBSCRIBE, marker)
        while sub.recv_multipart()[0] != marker:
            pass
        dealer.connect(f"tcp://{u.hostname}:{u.port}")
        corr = str(uuid.uuid4())
        headers = json.dumps({"fsbus-expires": str(int(time.time() * 1000 + timeout * 1000))}).encode()  # not run if late
        dealer.send_multipart([b"FSB1", b"REQ", f"{prefix}.api".encode(), corr.encode(), headers, REQUEST])
        while True:
            frames = dealer.recv_multipart()
            if frames[1] == b"REP" and frames[3].decode() == corr:
                reply = json.loads(frames[5])
                break
        while True:
            subject, payload = sub.recv_multipart()
            if subject == f"{prefix}.events.api".encode() and is_status_event(payload):
                return reply, json.loads(payload)
    finally:
        sub.close()
        dealer.close()
        ctx.term()


DRIVERS = {"nats": via_nats, "amqp": via_amqp, "redis": via_redis, "mqtt": via_mqtt, "kafka": via_kafka, "zmq": via_zmq}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("driver", choices=sorted(DRIVERS))
    ap.add_argument("url")
    ap.add_argument("--prefix", default="freeswitch")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--curve-server-key")
    ap.add_argument("--curve-public-key")
    ap.add_argument("--curve-secret-key")
    a = ap.parse_args()
    fn = DRIVERS[a.driver]
    try:
        if a.curve_server_key is not None:
            if a.driver != "zmq" or a.curve_public_key is None or a.curve_secret_key is None:
                ap.error("--curve-* keys are for zmq and go together: server, public and secret key")
            curve = {"server": a.curve_server_key, "public": a.curve_public_key, "secret": a.curve_secret_key}
            result = fn(a.url, a.prefix, a.timeout, curve)
        else:
            result = fn(a.url, a.prefix, a.timeout)
        reply, event = asyncio.run(result) if asyncio.iscoroutine(result) else result
    except NoAgent as e:
        print(f"interop.py: {e}", file=sys.stderr)
        sys.exit(1)
    ok = isinstance(reply, dict) and reply.get("success") is True and "UP" in str(reply.get("data")) and isinstance(event, dict)
    print(json.dumps({"driver": a.driver, "ok": ok, "reply": reply, "event": {"event_name": event and event.get("event_name"), "node_id": event and event.get("node_id")}}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
