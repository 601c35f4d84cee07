"""How a test signs in to the front door (kept in one place so auth changes touch one file)."""

from contextlib import contextmanager

import httpx


@contextmanager
def signed_in_client(stack):
    with httpx.Client(base_url=stack.web, timeout=60, headers={"X-Requested-With": "frontline"}) as client:
        r = client.get("/")
        r.raise_for_status()
        yield client
