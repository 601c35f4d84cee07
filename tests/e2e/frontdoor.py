"""How a test signs in to the front door (kept in one place so auth changes touch one file)."""

from contextlib import contextmanager

import httpx

from web.testing import add_user, sign_in

E2E_USER, E2E_PASSWORD = "e2e-worker", "plum tractor violin 5"


@contextmanager
def signed_in_client(stack):
    """An httpx client signed in as a worker (created in the stack's data dir with
    `frontline users add`), sending the session's CSRF token on every request."""
    add_user(stack.data_dir, E2E_USER, "worker", E2E_PASSWORD, exist_ok=True)
    with httpx.Client(base_url=stack.web, timeout=60) as client:
        client.headers["X-CSRF-Token"] = sign_in(client, E2E_USER, E2E_PASSWORD)
        yield client
