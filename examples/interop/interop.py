#!/usr/bin/env python3
"""fsbus interop proof: talk to an fsbus agent over one broker with nothing but that broker's
own Python client (no fsbus code), the way a service in any language would.

For the broker named on the command line it
  1. subscribes to the agent's events (the API event FreeSWITCH fires for every API command),
  2. sends {"command":"status"} to <prefix>.api and waits for the JSON reply envelope,
  3. reads the API event that the status command made FreeSWITCH fire,
and prints one JSON line: {"driver", "ok", "reply": {...}, "event": {...}}. On any failure it
prints that same one line with "ok": false and an "error" naming what failed ("no agent serves
freeswitch.api (...)", "cannot reach the broker at <url>: ...", "no reply from ... within 20s"),
no traceback, and exits 1. See README.md beside this file.

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

# The one library each driver needs (its PyPI name), for the error when it is not installed.
LIBRARIES = {"nats": "nats-py", "amqp": "pika", "redis": "redis", "mqtt": "paho-mqtt", "kafka": "kafka-python", "zmq": "pyzmq"}


class Failed(Exception):
    """What went wrong, as the output line's `error` says it; `reply` when the reply came but the event did not."""

    def __init__(self, message, reply=None):
        super().__init__(message)
        self.reply = reply


def describe(err):
    """An exception as one line; some libraries' exceptions have an empty str()."""
    return str(err) or repr(err)


def no_agent(prefix, why):
    return Failed(f"no agent serves {prefix}.api ({why})")


def unreachable(url, err):
    return Failed(f"cannot reach the broker at {url}: {describe(err)}")


def no_reply(prefix, timeout):
    return Failed(f"no reply from {prefix}.api within {timeout:g}s")


def no_event(timeout, reply):
    return Failed(f"no API event for the status command within {timeout:g}s", reply)


def is_status_event(payload: bytes) -> bool:
    event = json.loads(payload)
    return event.get("event_name") == "API" and event.get("headers", {}).get("API-Command") == "status"


# --- NATS: native request/reply, subjects ---------------------------------------------------
async def via_nats(url, prefix, timeout):
    import nats
    from nats.errors import NoRespondersError
    from nats.errors import TimeoutError as RequestTimeout

    errors = []

    async def keep_error(err):  # instead of nats-py's default, which prints each one's traceback
        errors.append(err)

    try:
        # One try per server, then NoServersError (the default retries for 2 minutes); no
        # reconnects: a one-shot check fails rather than waits.
        nc = await nats.connect(url, connect_timeout=timeout, max_reconnect_attempts=1, reconnect_time_wait=0, allow_reconnect=False, error_cb=keep_error)
    except Exception as err:
        raise unreachable(url, errors[-1] if errors else err) from None
    try:
        events = asyncio.Queue()

        async def on_event(m):
            await events.put(m.data)

        await nc.subscribe(f"{prefix}.events.api", cb=on_event)
        await nc.flush()
        try:
            msg = await nc.request(f"{prefix}.api", REQUEST, timeout=timeout)
        except NoRespondersError:
            raise no_agent(prefix, "NATS: no responders") from None
        except RequestTimeout:
            raise no_reply(prefix, timeout) from None
        reply = json.loads(msg.data)
        deadline = time.monotonic() + timeout
        while True:
            try:
                data = await asyncio.wait_for(events.get(), max(0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                raise no_event(timeout, reply) from None
            if is_status_event(data):
                return reply, json.loads(data)
    finally:
        await nc.close()


# --- RabbitMQ: topic exchange <prefix>, direct reply-to + correlation_id --------------------
def via_amqp(url, prefix, timeout):
    import pika
    from pika.exceptions import AMQPConnectionError, ChannelClosedByBroker

    try:
        conn = pika.BlockingConnection(pika.URLParameters(url))
    except AMQPConnectionError as err:
        raise unreachable(url, err) from None
    try:
        ch = conn.channel()
        events = ch.queue_declare(queue="", exclusive=True).method.queue
        try:
            ch.queue_bind(events, exchange=prefix, routing_key=f"{prefix}.events.api")
        except ChannelClosedByBroker as err:
            if err.reply_code != 404:
                raise
            # The agents declare the exchange <prefix>: none there, no agent ever served this prefix.
            raise no_agent(prefix, f"RabbitMQ: {err.reply_text}") from None
        corr = str(uuid.uuid4())
        got = {}

        def on_reply(_ch, _method, props, body):
            if props.correlation_id == corr:
                got["reply"] = json.loads(body)

        def on_event(_ch, _method, _props, body):
            if is_status_event(body):
                got["event"] = json.loads(body)

        def on_return(_ch, _method, props, _body):
            if props.correlation_id == corr:
                got["returned"] = True

        ch.basic_consume("amq.rabbitmq.reply-to", on_reply, auto_ack=True)
        ch.basic_consume(events, on_event, auto_ack=True)
        # mandatory: a request no agent's queue is bound for comes back (basic.return) at once.
        ch.add_on_return_callback(on_return)
        ch.basic_publish(prefix, f"{prefix}.api", REQUEST, pika.BasicProperties(reply_to="amq.rabbitmq.reply-to", correlation_id=corr), mandatory=True)
        deadline = time.monotonic() + timeout
        while ("reply" not in got or "event" not in got) and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.2)
            if got.get("returned"):
                raise no_agent(prefix, f"RabbitMQ: no queue bound for {prefix}.api on the exchange {prefix}")
        if "reply" not in got:
            raise no_reply(prefix, timeout)
        if "event" not in got:
            raise no_event(timeout, got["reply"])
        return got["reply"], got["event"]
    finally:
        conn.close()


# --- Redis: XADD to the lane stream, reply on our own stream, events by PUBLISH -------------
def via_redis(url, prefix, timeout):
    import redis

    r = redis.Redis.from_url(url, socket_timeout=timeout + 5)
    pubsub = r.pubsub()
    try:
        try:
            pubsub.subscribe(f"{prefix}.events.api")  # the first command: it connects
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as err:
            raise unreachable(url, err) from None
        pubsub.get_message(timeout=timeout)  # the subscribe confirmation
        reply_key = f"{prefix}:reply:interop-{uuid.uuid4().hex[:8]}"
        corr = str(uuid.uuid4())
        expires = str(int(time.time() * 1000 + timeout * 1000))  # epoch milliseconds, not seconds; not run if read after we stop waiting
        lane = f"{prefix}:lane:{prefix}.api"
        fields = {"subject": f"{prefix}.api", "data": REQUEST, "reply_to": reply_key, "correlation_id": corr, "headers": "", "expires": expires}
        # NOMKSTREAM: never make a lane stream nobody reads; nil = no agent serves the lane, nothing written.
        if r.xadd(lane, fields, maxlen=10000, approximate=True, nomkstream=True) is None:
            raise no_agent(prefix, f"no lane stream {lane}; nothing was written")
        reply = None
        deadline = time.monotonic() + timeout
        last = "0"
        while reply is None and time.monotonic() < deadline:
            for _key, entries in r.xread({reply_key: last}, block=1000, count=10) or []:
                for entry_id, fields in entries:
                    last = entry_id
                    if fields.get(b"correlation_id", b"").decode() == corr:
                        reply = json.loads(fields[b"data"])
        if reply is None:
            raise no_reply(prefix, timeout)
        while time.monotonic() < deadline:
            m = pubsub.get_message(timeout=1.0)
            if m and m["type"] == "message" and is_status_event(m["data"]):
                return reply, json.loads(m["data"])
        raise no_event(timeout, reply)
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
    acks = {}  # PUBACK reason codes by message id
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, m: got.put(m)
    client.on_publish = lambda _c, _u, mid, reason, _p: acks.__setitem__(mid, reason)
    try:
        client.connect(u.hostname, u.port or 1883)
    except OSError as err:
        raise unreachable(url, err) from None
    client.loop_start()
    try:
        for topic in (inbox, f"{prefix}/events/api"):
            client.subscribe(topic, qos=1)
        # SUBACKs are processed in order: a round trip on our own inbox proves both are active.
        probe = client.publish(inbox, b"probe", qos=1)
        probe.wait_for_publish(timeout)
        try:
            while got.get(timeout=timeout).payload != b"probe":
                pass
        except queue.Empty:
            raise Failed(f"the broker at {url} did not pass on a message to this client within {timeout:g}s") from None
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = inbox
        props.CorrelationData = corr
        request = client.publish(f"{prefix}/api", REQUEST, qos=1, properties=props)
        request.wait_for_publish(timeout)
        if getattr(acks.get(request.mid), "value", None) == 16:
            raise no_agent(prefix, f"MQTT: No matching subscribers for {prefix}/api")
        reply = event = None
        deadline = time.monotonic() + timeout
        while (reply is None or event is None) and time.monotonic() < deadline:
            try:
                m = got.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if m.topic == inbox and getattr(m.properties, "CorrelationData", None) == corr:
                reply = json.loads(m.payload)
            elif m.topic == f"{prefix}/events/api" and is_status_event(m.payload):
                event = json.loads(m.payload)
        if reply is None:
            raise no_reply(prefix, timeout)
        if event is None:
            raise no_event(timeout, reply)
        return reply, event
    finally:
        client.loop_stop()
        client.disconnect()


# --- Kafka: request topic + reply topic with a correlation header; events on one topic -------
def via_kafka(url, prefix, timeout):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import KafkaConnectionError, KafkaTimeoutError, TopicAlreadyExistsError

    bootstrap = url.split("://", 1)[-1]
    inbox = f"fsbus.inbox.interop-{uuid.uuid4().hex[:8]}"
    corr = str(uuid.uuid4())
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, bootstrap_timeout_ms=int(timeout * 1000))
    except (KafkaConnectionError, KafkaTimeoutError) as err:
        raise unreachable(url, err) from None
    topics = admin.list_topics()
    # Kafka has no "no responders": an agent serving <prefix>.api made that topic. Asked before
    # anything is created, so a request nobody serves leaves no topic behind.
    if f"{prefix}.api" not in topics:
        admin.close()
        raise no_agent(prefix, f"Kafka: no topic {prefix}.api")
    admin.create_topics([NewTopic(inbox, num_partitions=1, replication_factor=1)])
    # Topics are created by whoever needs them first: the agent may not have published an event yet.
    if f"{prefix}.events" not in topics:
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
        if reply is None:
            raise no_reply(prefix, timeout)
        if event is None:
            raise no_event(timeout, reply)
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
        try:
            while sub.recv_multipart()[0] != marker:
                pass
        except zmq.Again:
            # Brokerless: the sockets are the agent's own; ZeroMQ retries a connect silently.
            refused = ", or it refused this client's CURVE key" if curve is not None else ""
            raise Failed(f"cannot reach the agent at {url}: its events socket tcp://{u.hostname}:{events_port} did not answer within {timeout:g}s (no agent there{refused})") from None
        dealer.connect(f"tcp://{u.hostname}:{u.port}")
        corr = str(uuid.uuid4())
        headers = json.dumps({"fsbus-expires": str(int(time.time() * 1000 + timeout * 1000))}).encode()  # not run if late
        dealer.send_multipart([b"FSB1", b"REQ", f"{prefix}.api".encode(), corr.encode(), headers, REQUEST])
        try:
            while True:
                frames = dealer.recv_multipart()
                if frames[3].decode() != corr:
                    continue
                if frames[1] == b"NOR":
                    raise no_agent(prefix, f"ZeroMQ: the agent at {url} serves no lane for it")
                if frames[1] == b"REP":
                    reply = json.loads(frames[5])
                    break
        except zmq.Again:
            raise no_reply(prefix, timeout) from None
        try:
            while True:
                subject, payload = sub.recv_multipart()
                if subject == f"{prefix}.events.api".encode() and is_status_event(payload):
                    return reply, json.loads(payload)
        except zmq.Again:
            raise no_event(timeout, reply) from None
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
    args = (a.url, a.prefix, a.timeout)
    if a.curve_server_key is not None:
        if a.driver != "zmq" or a.curve_public_key is None or a.curve_secret_key is None:
            ap.error("--curve-* keys are for zmq and go together: server, public and secret key")
        args += ({"server": a.curve_server_key, "public": a.curve_public_key, "secret": a.curve_secret_key},)
    reply = event = error = None
    try:
        result = fn(*args)
        reply, event = asyncio.run(result) if asyncio.iscoroutine(result) else result
    except Failed as e:
        reply, error = e.reply, str(e)
    except ModuleNotFoundError as e:
        error = f"the {a.driver} driver needs {LIBRARIES[a.driver]} (pip install {LIBRARIES[a.driver]}): {e}"
    except Exception as e:  # whatever else a broker library raises: named, not a traceback
        error = f"{type(e).__module__}.{type(e).__qualname__}: {describe(e)}"
    ok = error is None and isinstance(reply, dict) and reply.get("success") is True and "UP" in str(reply.get("data")) and isinstance(event, dict)
    line = {"driver": a.driver, "ok": ok, "reply": reply, "event": {"event_name": event and event.get("event_name"), "node_id": event and event.get("node_id")}}
    if error is not None:
        line["error"] = error
    print(json.dumps(line), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
