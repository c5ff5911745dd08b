"""Schemathesis checks for Souk's GraphQL API, loaded by scripts/fuzz.

Every answer, whatever the input, must be a GraphQL answer a client can act on:
no 5xx, a JSON object of `data` and/or `errors`, and every error carries a typed
`extensions.code` that is not `INTERNAL` (an internal error means the input
reached a place that did not expect it).
"""

import json

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# An `Upload` is a file part of a multipart request; a JSON request can only
# name one with a string or null, which the API must refuse with a typed error.
schemathesis.graphql.scalar(
    "Upload", st.sampled_from(["0", "", "file", "\u0000"]).map(nodes.String)
)

ALLOWED_KEYS = {"data", "errors", "extensions"}


def _describe(response):
    text = response.content[:600].decode("utf-8", "replace")
    return f"HTTP {response.status_code}: {text}"


@schemathesis.check
def souk_no_server_error(ctx, response, case):
    """No input makes the server answer 5xx."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")


@schemathesis.check
def souk_graphql_shape(ctx, response, case):
    """The answer is a JSON object with `data` and/or a list of `errors`."""
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"not JSON: {_describe(response)}") from None
    if not isinstance(body, dict) or not body.keys() <= ALLOWED_KEYS:
        raise AssertionError(f"not a GraphQL answer: {_describe(response)}")
    if "data" not in body and "errors" not in body:
        raise AssertionError(f"neither data nor errors: {_describe(response)}")
    errors = body.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
        raise AssertionError(f"errors is not a list of objects: {_describe(response)}")
    for error in errors:
        if not isinstance(error.get("message"), str):
            raise AssertionError(f"an error without a message: {_describe(response)}")


@schemathesis.check
def souk_typed_errors(ctx, response, case):
    """Every error has an `extensions.code`, and none is `INTERNAL`."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors if isinstance(errors, list) else []:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        # The message names the place only, so that a failure has a stable
        # identity in scripts/fuzz-baseline.json; the answer is printed with it.
        where = error.get("path") if isinstance(error, dict) else None
        if not isinstance(code, str) or not code:
            raise AssertionError(f"an error without extensions.code at {where}")
        if code == "INTERNAL":
            raise AssertionError(f"INTERNAL at {where}")
    return None
