"""The local stack: AWS stood in for by moto, the user pool, its triggers, and the outbox."""

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from custom_auth_local import moto_hooks
from custom_auth_local.pool import LocalUserPool
from custom_auth_local.standins import DEFAULT_OUTBOX, Outbox, local_aws
from custom_auth_local.template import LOCAL_REGION, Template
from custom_auth_local.trigger_calls import TRIGGER_TIMEOUT_SECONDS


@dataclass(frozen=True)
class LocalStack:
    """What a local run gives you: the pool (with its ids), a boto3 client, and the outbox."""

    template: Template
    pool: LocalUserPool
    outbox: Outbox
    region: str = LOCAL_REGION

    @property
    def user_pool_id(self) -> str:
        """The local pool's id."""
        return self.pool.user_pool_id

    @property
    def client_id(self) -> str:
        """The app client's id."""
        return self.pool.client_id

    @property
    def client_secret(self) -> str | None:
        """The app client's secret, if the template gives it one."""
        return self.pool.client_secret

    def cognito(self) -> Any:
        """A boto3 cognito-idp client; its custom-auth calls run the template's triggers."""
        return boto3.client("cognito-idp", region_name=self.region)

    def create_user(self, username: str, **kwargs: Any) -> str:
        """A confirmed user (see :meth:`LocalUserPool.create_user`)."""
        return self.pool.create_user(username, **kwargs)


@contextmanager
def local_stack(
    template: Path | str = "template.yaml",
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    env_overrides: Mapping[str, str] | None = None,
    outbox: Path | str = DEFAULT_OUTBOX,
    clock: Callable[[], float] = time.time,
    trigger_timeout: float = TRIGGER_TIMEOUT_SECONDS,
    endpoint_url: str | None = None,
) -> Iterator[LocalStack]:
    """Everything of template.yaml that a sign-in needs, local, for the time of the ``with``.

    ``endpoint_url`` is where the pool will be served (``custom-auth serve``): its tokens then
    name ``<endpoint_url>/<pool id>`` as their issuer, where its JWKS is. In process it is
    AWS's URL, which moto serves.
    """
    loaded = Template.load(template, parameter_overrides)
    senders = {
        value
        for function in loaded.functions().values()
        for name, value in {**function.environment, **(env_overrides or {})}.items()
        if name == "SENDER_EMAIL" and value
    }
    messages = Outbox(outbox)
    with local_aws(loaded, outbox=messages, senders=senders):
        pool = LocalUserPool(
            loaded,
            env_overrides=env_overrides,
            clock=clock,
            trigger_timeout=trigger_timeout,
            issuer_base=endpoint_url,
        )
        moto_hooks.register(pool)
        try:
            yield LocalStack(loaded, pool, messages)
        finally:
            moto_hooks.unregister(pool)
            pool.close()
