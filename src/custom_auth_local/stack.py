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
from custom_auth_local.site import PAGE_PATH
from custom_auth_local.standins import DEFAULT_OUTBOX, Outbox, local_aws
from custom_auth_local.template import LOCAL_REGION, Template, load_yaml
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


#: The template parameter that lists the pages a magic link may point to.
REDIRECT_PARAMETER = "MagicLinkRedirectUris"
#: Where ``custom-auth serve`` serves by default.
LOCAL_PAGE_PORT = 4566


def local_page_redirects(
    template: Path | str, overrides: Mapping[str, str] | None, endpoint_url: str | None
) -> dict[str, str]:
    """``overrides``, with the local sign-in page as where magic links point when they name
    no page and the template has the parameter: ``<endpoint>/signin/``
    (``http://localhost:4566`` in process), under both loopback names when it is one."""
    chosen = dict(overrides or {})
    declared = load_yaml(Path(template)).get("Parameters", {})
    if REDIRECT_PARAMETER not in declared or chosen.get(REDIRECT_PARAMETER):
        return chosen
    base = endpoint_url or f"http://localhost:{LOCAL_PAGE_PORT}"
    pages = [base + PAGE_PATH]
    for one, other in (("//localhost:", "//127.0.0.1:"), ("//127.0.0.1:", "//localhost:")):
        if one in base:
            pages.append(base.replace(one, other) + PAGE_PATH)
    chosen[REDIRECT_PARAMETER] = ",".join(pages)
    return chosen


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
    loaded = Template.load(
        template, local_page_redirects(template, parameter_overrides, endpoint_url)
    )
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
