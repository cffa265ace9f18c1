"""custom-auth, run locally: template.yaml read as SAM would, AWS stood in for by moto.

Never deployed: the Lambda layer ships ``custom_auth`` only. This package gives the
``custom-auth`` command line (``invoke``, ``generate-event``) and what the local user pool
builds on.
"""
