#!/usr/bin/python3
"""Write items with boto3's batch_writer (BatchWriteItem of 25, unprocessed
items sent again), the way a Python program loads a table.

Usage: boto3_write.py --endpoint URL --table NAME --items FILE

FILE holds one JSON object a line (id, n, price, category, active,
payload), read and turned into Python values (numbers as Decimal) before
the clock starts.  Run with Debian's /usr/bin/python3 and python3-boto3.
Wall time and CPU (resource.getrusage(RUSAGE_SELF)) cover the writing loop
only (batch_writer's serialization of every item included), not Python's
start-up, the import of boto3 or reading the file; peak RSS (ru_maxrss) is
the whole process's.  Prints one line:
items=N wall=S cpu_user=S cpu_sys=S maxrss_kb=N startup=S
"""

import json
import resource
import sys
import time
from decimal import Decimal

t_start = time.monotonic()
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def main():
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    endpoint, table, path = args["--endpoint"], args["--table"], args["--items"]
    resource_ = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDBENCHBOTO3",
        aws_secret_access_key="bench-boto3-secret",
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )
    t = resource_.Table(table)
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line, parse_float=Decimal, parse_int=Decimal) for line in f]
    startup = time.monotonic() - t_start

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    items = 0
    with t.batch_writer() as writer:
        for row in rows:
            writer.put_item(Item=row)
            items += 1
    t1 = time.monotonic()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"items={items} wall={t1 - t0:.6f} "
        f"cpu_user={ru1.ru_utime - ru0.ru_utime:.6f} cpu_sys={ru1.ru_stime - ru0.ru_stime:.6f} "
        f"maxrss_kb={ru1.ru_maxrss} startup={startup:.3f}"
    )


if __name__ == "__main__":
    main()
