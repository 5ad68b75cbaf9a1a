"""Code shared by every function group: settings, observability, errors, auth, access, storage.

Modules here import heavy libraries (boto3, pynamodb, PyJWT) only where they are used, so that a
function's cold start pays only for what its first request needs.
"""
