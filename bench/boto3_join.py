#!/usr/bin/python3
"""The requests of the two benchmark joins, sent by boto3 from threads.

Usage: boto3_join.py --endpoint URL --mode key|partition --rows N
                     [--threads T] [--range-max M]

key:       the whole-key join of N outer rows over Users (user_id u0001 to
           u1000, in turn): BatchGetItem requests of 100 keys, unprocessed
           keys asked for again.
partition: the partition-key join of N outer rows over Wide (pk p000 to
           p099, in turn): a Query per outer row, n <= M (default 10), paged.
The requests go out from a pool of T threads (default 4), each with its own
client, as the boto3 documentation advises.  Run with Debian's
/usr/bin/python3 and python3-boto3; keys from DYNAMO_ACCESS_KEY_ID and
DYNAMO_SECRET_ACCESS_KEY.  Wall time and CPU cover the requests only, not
start-up.  Prints one line: items=N requests=N wall=S cpu=S
"""

import os
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

local = threading.local()


def client(endpoint):
    if not hasattr(local, "client"):
        local.client = boto3.session.Session().client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=os.environ["DYNAMO_ACCESS_KEY_ID"],
            aws_secret_access_key=os.environ["DYNAMO_SECRET_ACCESS_KEY"],
            config=Config(retries={"max_attempts": 3, "mode": "standard"},
                          max_pool_connections=4),
        )
    return local.client


def batch_get(endpoint, ids):
    c = client(endpoint)
    request = {"Users": {"Keys": [{"user_id": {"S": i}} for i in ids]}}
    items = requests = 0
    while request:
        answer = c.batch_get_item(RequestItems=request)
        requests += 1
        items += len(answer["Responses"].get("Users", []))
        request = answer.get("UnprocessedKeys") or None
    return items, requests


def query(endpoint, pk, range_max):
    c = client(endpoint)
    items = requests = 0
    kwargs = {
        "TableName": "Wide",
        "KeyConditionExpression": "pk = :p AND n <= :m",
        "ExpressionAttributeValues": {":p": {"S": pk}, ":m": {"N": str(range_max)}},
    }
    while True:
        answer = c.query(**kwargs)
        requests += 1
        items += len(answer["Items"])
        if "LastEvaluatedKey" not in answer:
            return items, requests
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def main():
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    endpoint, mode, rows = args["--endpoint"], args["--mode"], int(args["--rows"])
    threads = int(args.get("--threads", "4"))
    range_max = int(args.get("--range-max", "10"))
    if mode == "key":
        ids = ["u%04d" % (1 + g % 1000) for g in range(1, rows + 1)]
        jobs = [ids[i:i + 100] for i in range(0, rows, 100)]
    else:
        jobs = ["p%03d" % (g % 100) for g in range(1, rows + 1)]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        # one client per thread, made before the clock starts
        list(pool.map(lambda _: client(endpoint), range(threads * 4)))
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        if mode == "key":
            results = list(pool.map(lambda ids: batch_get(endpoint, ids), jobs))
        else:
            results = list(pool.map(lambda pk: query(endpoint, pk, range_max), jobs))
        t1 = time.monotonic()
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    print(f"items={sum(r[0] for r in results)} requests={sum(r[1] for r in results)} "
          f"wall={t1 - t0:.6f} cpu={cpu:.6f}")


if __name__ == "__main__":
    main()
