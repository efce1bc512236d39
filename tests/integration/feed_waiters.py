# SPDX-License-Identifier: Apache-2.0
"""Many long-polled feed requests at once, as a hostile or careless client makes them.

  feed_waiters.py HOST PORT CAFILE N MODE

opens N TLS connections (Python's ssl, no client certificate), sends on each
GET /api/v1/revocations?since=0&wait=55s, and then, with MODE "vanish", closes each socket
0.5 s later without reading (a client that gave up); with MODE "hold", keeps them until
killed (a client that parks connections). Prints "sent=N failed=M" once all are sent.
"""
import asyncio
import ssl
import sys


async def main():
    host, port, cafile, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    sent = failed = 0
    writers = []
    limit = asyncio.Semaphore(64)

    async def one():
        nonlocal sent, failed
        async with limit:
            try:
                _, w = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ctx), 10)
                w.write(b"GET /api/v1/revocations?since=0&wait=55s HTTP/1.1\r\nHost: x\r\n\r\n")
                await w.drain()
                sent += 1
                writers.append(w)
            except Exception:
                failed += 1

    await asyncio.gather(*[one() for _ in range(n)])
    print(f"sent={sent} failed={failed}", flush=True)
    if mode == "vanish":
        await asyncio.sleep(0.5)
        for w in writers:
            w.transport.abort()
        return
    await asyncio.sleep(3600)


asyncio.run(main())
