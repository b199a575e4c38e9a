#!/usr/bin/python3
"""Scan a whole table with boto3's Scan paginator, counting the items.

Usage: boto3_scan.py --endpoint URL --table NAME [--page-size P]

Run with Debian's /usr/bin/python3 and python3-boto3.  Wall time and CPU
(resource.getrusage(RUSAGE_SELF)) cover the paginator loop only, not
Python's start-up or the import of boto3; peak RSS (ru_maxrss) is the
whole process's.  Prints one line:
items=N pages=N wall=S cpu_user=S cpu_sys=S maxrss_kb=N startup=S
"""

import resource
import sys
import time

t_start = time.monotonic()
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def main():
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    endpoint, table = args["--endpoint"], args["--table"]
    page_size = int(args.get("--page-size", "0"))
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDBENCHBOTO3",
        aws_secret_access_key="bench-boto3-secret",
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )
    paginator = client.get_paginator("scan")
    kwargs = {"TableName": table}
    if page_size > 0:
        kwargs["PaginationConfig"] = {"PageSize": page_size}
    startup = time.monotonic() - t_start

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    items = pages = 0
    for page in paginator.paginate(**kwargs):
        pages += 1
        items += len(page["Items"])
    t1 = time.monotonic()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"items={items} pages={pages} wall={t1 - t0:.6f} "
        f"cpu_user={ru1.ru_utime - ru0.ru_utime:.6f} cpu_sys={ru1.ru_stime - ru0.ru_stime:.6f} "
        f"maxrss_kb={ru1.ru_maxrss} startup={startup:.3f}"
    )


if __name__ == "__main__":
    main()
