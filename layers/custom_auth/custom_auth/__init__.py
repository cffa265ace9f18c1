"""custom-auth: passwordless and multi-step sign-in for Amazon Cognito user pools.

The package is the shared Lambda layer of the custom-authentication triggers. Import what you
need from its modules (``custom_auth.model``, ``custom_auth.events``); this module stays empty
so that importing one of them costs nothing more.
"""

__version__ = "0.1.0"
