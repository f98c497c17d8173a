#!/usr/bin/env python3
"""A durable consumer of an fsbus agent's event stream over Redis, with nothing but redis-py.

The agent (events.stream.enabled) appends every event to the Redis Stream
<prefix>:stream:<name> (fields `subject`, `data` = the event JSON, `headers`); an entry's ID is
<ms>-<sequence>, the sequence one counter per stream: consecutive entries differ by exactly 1.
This program keeps its position in a consumer group (Redis keeps it across restarts) and
  1. creates its group at the stream's start (BUSYGROUP: it exists, its position is kept),
  2. reads its own pending entries first (read, never XACKed: it died before), then new ones,
  3. XACKs each entry once handled (here: printed),
  4. tells what it cannot deliver: a gap when retention trimmed entries before it read them
     (the sequence jumps) or while they were pending (XREADGROUP gives them back as (id, None)),
     and "stream lost" when Redis lost the stream with its group (restarted without persistence:
     NOGROUP, or the sequence going back) — then it makes its group again on the new stream.
It prints one JSON line per event, gap or loss, and a last line {"type": "done", ...}. See
docs/drivers/redis.md ("Durable event streams") and README.md beside this file.

Usage: redis_durable.py <redis-url> [--prefix freeswitch] [--stream FREESWITCH_EVENTS]
                        [--group billing] [--count N] [--timeout 20] [--no-ack]
Exits 0 after N events (or at the timeout without --count), 1 at the timeout before N.
--no-ack never acknowledges: a consumer that dies before XACK, for the tests.
One consumer per group: with several, each sees the others' entries as jumps (README.md).
"""
import argparse
import json
import sys
import time

import redis


PENDING_TRIMMED = "trimmed by retention while pending (read, not acknowledged)"


def seq(entry_id):
    """The stream sequence: the part of the entry ID after the dash."""
    return int(entry_id.decode().split("-")[1])


def say(**line):
    print(json.dumps(line), flush=True)


def gap(first, last, why):
    say(type="gap", **{"from": first}, to=last, count=last - first + 1, why=why)


def gaps(seqs, why):
    """One gap line per run of consecutive sequences."""
    seqs = sorted(seqs)
    start = 0
    for i in range(1, len(seqs) + 1):
        if i == len(seqs) or seqs[i] != seqs[i - 1] + 1:
            gap(seqs[start], seqs[i - 1], why)
            start = i


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("--prefix", default="freeswitch")
    ap.add_argument("--stream", default="FREESWITCH_EVENTS")
    ap.add_argument("--group", default="billing")
    ap.add_argument("--count", type=int, help="exit after this many events")
    ap.add_argument("--timeout", type=float, default=20, help="seconds")
    ap.add_argument("--no-ack", action="store_true", help="never XACK (a consumer that dies first)")
    ap.add_argument("--consumer", help="this consumer's name in the group (default: the group's)")
    ap.add_argument("--claim-idle", type=int, metavar="MS",
                    help="first take over the group's entries pending this long (a dead consumer's)")
    a = ap.parse_args()
    r = redis.Redis.from_url(a.url)
    key, group, me = f"{a.prefix}:stream:{a.stream}", a.group, a.consumer or a.group
    deadline, handled = time.monotonic() + a.timeout, 0

    def join():
        """Makes the group (or finds it); returns the last sequence it handed out, None if unknown."""
        try:
            r.xgroup_create(key, group, id="0", mkstream=True)   # everything the stream keeps
            return None          # a new group: what was trimmed before it existed is not a gap
        except redis.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise
        info = next(g for g in r.xinfo_groups(key) if g["name"].decode() == group)
        last_id = info["last-delivered-id"].decode()
        return None if last_id == "0-0" else seq(last_id.encode())

    last = join()     # the last sequence handed out: the next new entry must be last + 1
    if a.claim_idle is not None:
        # Another consumer of the group died holding entries: make them ours (they join our
        # pending list, read below). Those retention removed meanwhile come back as deleted IDs.
        start = "0-0"
        while True:
            # Not JUSTID: with it Redis does not look the entries up, and redis-py drops the deleted list.
            start, _, deleted = r.xautoclaim(key, group, me, a.claim_idle, start, count=100)
            gaps([seq(d) for d in deleted], PENDING_TRIMMED)
            if start == b"0-0":
                break
    cursor = "0"      # "0": our own pending entries (from the start of our list); ">": new ones
    while a.count is None or handled < a.count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            # One at a time when a count is asked for: nothing is read that will not be handled.
            want = 100 if a.count is None else min(100, a.count - handled)
            block = None if cursor != ">" else max(1, int(min(left, 1) * 1000))
            reply = r.xreadgroup(group, me, {key: cursor}, count=want, block=block) or []
            entries = reply[0][1] if reply else []
            if cursor != ">" and not entries:
                cursor = ">"     # no pending entries left: on to the new ones
                continue
            trimmed = []         # pending entries retention removed: (id, None)
            for entry_id, fields in entries:
                s = seq(entry_id)
                if cursor != ">":
                    cursor = entry_id     # the pending list goes on after this one
                    # Handed out to us already (a read whose reply the connection lost, too): the
                    # next new entry comes after it. max: a pending entry below `last` (read before,
                    # or a new stream's) never lowers it, so a new entry going back is still "lost".
                    last = s if last is None else max(last, s)
                    if not fields:
                        trimmed.append(s)
                        r.xack(key, group, entry_id)   # gone: release it
                        continue
                if trimmed:       # told before anything after them
                    gaps(trimmed, PENDING_TRIMMED)
                    trimmed = []
                if cursor != ">":
                    pass          # pending entries were handed out before: no jump to check
                elif last is not None and s <= last:
                    # New entries only go forward: a smaller sequence is a new stream.
                    say(type="lost", why=f"the sequence went back ({last} -> {s}): Redis lost the stream; "
                                         "what it held unread is gone, how much is unknown")
                elif last is not None and s > last + 1:
                    gap(last + 1, s - 1, "trimmed by retention before this consumer read them")
                if cursor == ">":
                    last = s
                event = json.loads(fields[b"data"])
                say(type="event", sequence=s, id=entry_id.decode(), subject=fields[b"subject"].decode(),
                    event_name=event.get("event_name"), node_id=event.get("node_id"), redelivered=cursor != ">")
                if not a.no_ack:
                    r.xack(key, group, entry_id)      # handled: never again
                handled += 1
            gaps(trimmed, PENDING_TRIMMED)
        except redis.ResponseError as e:
            if "NOGROUP" not in str(e) and "no longer exists" not in str(e):   # the latter: deleted under a blocked read
                raise
            # Redis lost the stream and the group (restarted without persistence). The agents
            # write a new stream whose sequences start again at 1: read it from its start.
            code = "NOGROUP" if "NOGROUP" in str(e) else "UNBLOCKED"
            say(type="lost", why=f"{code}: Redis lost the stream with this group; what it held unread is gone, "
                                 "how much is unknown; group made again on the new stream")
            last, cursor = join(), "0"
        except redis.ConnectionError:
            # redis-py reconnects on the next command. A blocking read's reply lost with the
            # connection may have assigned entries to us: our pending list comes first again.
            time.sleep(0.5)
            cursor = "0"
    say(type="done", events=handled, timed_out=a.count is not None and handled < a.count)
    return 0 if a.count is None or handled >= a.count else 1


if __name__ == "__main__":
    sys.exit(main())
