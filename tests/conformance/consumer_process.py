"""A consumer that runs as its own OS process, so the suite can kill it or freeze it.

Killing it (SIGKILL) is a process death: the operating system closes its socket at once.
Freezing it (SIGSTOP) is a lost host or network: the socket stays open but nothing, not even
a heartbeat, comes from it any more. It only receives and holds (it never acks) and prints
one JSON line per delivery for the broker driver to read.

Usage: consumer_process.py AMQP_URL QUEUE PREFETCH(-1 = no basic.qos) AUTO_ACK(0/1) HEARTBEAT
"""

import json
import sys

import pika


def main(url, queue, prefetch, auto_ack, heartbeat):
    params = pika.URLParameters(url)
    if heartbeat:
        params.heartbeat = heartbeat
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    if prefetch >= 0:
        channel.basic_qos(prefetch_count=prefetch)

    def on_message(_channel, method, properties, body):
        headers = properties.headers or {}
        line = {
            "label": body.decode(),
            "redelivered": method.redelivered,
            "count": headers.get("x-delivery-count"),
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    channel.basic_consume(queue, on_message, auto_ack=auto_ack)
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    channel.start_consuming()


if __name__ == "__main__":
    url, queue, prefetch, auto_ack, heartbeat = sys.argv[1:6]
    main(url, queue, int(prefetch), auto_ack == "1", int(heartbeat))
