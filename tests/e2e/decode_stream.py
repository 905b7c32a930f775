#!/usr/bin/python3
"""Reads a docker-anomalies Redis stream with Python's own redis and msgpack libraries (not ours)
and prints every event as one JSON line: proof that the wire format is plain msgpack.
Usage: decode_stream.py REDIS_URL STREAM"""
import json
import sys

import msgpack
import redis

url, stream = sys.argv[1], sys.argv[2]
client = redis.Redis.from_url(url)
for entry_id, fields in client.xrange(stream, "-", "+"):
    batch = msgpack.unpackb(fields[b"batch"], raw=False)
    assert batch["v"] == 1, batch.get("v")
    for event in batch["events"]:
        event["_entry"] = entry_id.decode()
        event["_host"] = batch["host"]
        print(json.dumps(event))
