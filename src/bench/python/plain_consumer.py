#!/usr/bin/python3
"""The plain Python consumer a team would write instead of modelmon: bin/bench's peer.

One process, one confluent_kafka.Consumer (a fresh group, read from the earliest offset, no
commits, librdkafka's default fetch settings), batches of consume(), json.loads of each value,
the log loss l = -ln q(y) of the true label, and a dict keyed (model, version, minute of event
time) of [count, sum of l]. It stops once it has read the number of records it is told to expect
and prints one JSON line:

    {"events": N, "seconds": S, "events_per_s": N / S, "warm_events_per_s": W, ...}

S runs from the first batch received to the last record scored. W is the rate over the last three
quarters of the records, as ThroughputBench computes modelmon's warm rate: the records scored after
the batch that reached a quarter of N, over the time from that batch to the last record.

What it is not: it validates nothing (a malformed event raises and ends the run), has no dead
letters, no exactly-once (nothing is committed, nothing is written), no windows that close or are
published, no KL, no metrics. It reads the three forms of docs/reference.md "Prediction events"
(probabilities as an object or an array with optional "classes", or a binary "score"), labels as
a class name or an index, and timestamps as epoch milliseconds or RFC 3339 (absent: the record's
timestamp) -- the forms the benchmark's events and sentinels use.

Usage: plain_consumer.py BOOTSTRAP_SERVERS TOPIC EXPECTED_RECORDS [--timeout SECONDS]
Needs confluent_kafka (Debian: apt-get install -y python3-confluent-kafka).
"""

import argparse
import datetime
import json
import math
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException


def log_loss(event):
    """-ln q(y): the event's probability of its true label."""
    label = event["label"]
    if "score" in event:
        score = event["score"]
        return -math.log(score if label in (1, "1", True) else 1.0 - score)
    probabilities = event["probabilities"]
    if isinstance(probabilities, dict):
        return -math.log(probabilities[str(label)])
    if isinstance(label, str):
        classes = event.get("classes") or [str(i) for i in range(len(probabilities))]
        return -math.log(probabilities[classes.index(label)])
    return -math.log(probabilities[int(label)])


def minute(event, message):
    """The minute of the event time since the epoch."""
    timestamp = event.get("timestamp")
    if timestamp is None:
        millis = message.timestamp()[1]
    elif isinstance(timestamp, str):
        millis = int(datetime.datetime.fromisoformat(timestamp).timestamp() * 1000)
    else:
        millis = int(timestamp)
    return millis // 60_000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap_servers")
    parser.add_argument("topic")
    parser.add_argument("expected", type=int, help="records to read, then stop")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="give up after this many seconds without a record (default 60)")
    args = parser.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap_servers,
        "group.id": "bench-python-" + str(uuid.uuid4()),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([args.topic])

    sums = {}  # (model, version, minute) -> [count, sum of log loss]
    count = 0
    first = quarter = None
    counted_at_quarter = 0
    last_record = time.monotonic()
    try:
        while count < args.expected:
            batch = consumer.consume(num_messages=1000, timeout=1.0)
            now = time.perf_counter()
            if not batch:
                if time.monotonic() - last_record > args.timeout:
                    sys.exit(f"plain_consumer: read {count} of {args.expected} records, then"
                             f" nothing for {args.timeout:.0f} s")
                continue
            last_record = time.monotonic()
            if first is None:
                first = now
            for message in batch:
                if message.error():
                    raise KafkaException(message.error())
                event = json.loads(message.value())
                key = (event["model"], event.get("version", ""), minute(event, message))
                loss = log_loss(event)
                bucket = sums.get(key)
                if bucket is None:
                    sums[key] = [1, loss]
                else:
                    bucket[0] += 1
                    bucket[1] += loss
                count += 1
            if quarter is None and count >= args.expected / 4:
                quarter = time.perf_counter()
                counted_at_quarter = count
        end = time.perf_counter()
    finally:
        consumer.close()

    seconds = end - first
    warm_seconds = end - quarter
    print(json.dumps({
        "events": count,
        "seconds": round(seconds, 3),
        "events_per_s": round(count / seconds),
        "warm_events_per_s": (
            round((count - counted_at_quarter) / warm_seconds) if warm_seconds > 0 else None),
        "keys": len(sums),
        "mean_log_loss": sum(bucket[1] for bucket in sums.values()) / count,
    }), flush=True)


if __name__ == "__main__":
    main()
