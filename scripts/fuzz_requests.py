"""Malformed HTTP requests to the GraphQL endpoint, for scripts/fuzz.

Schemathesis sends well-formed GraphQL; these are the requests it cannot make: a
body that is not JSON, not an object, a batch, a wrong content type, bad
multipart, bodies over the size limit (with and without Content-Length). Every
answer must be below 500 and the JSON error shape with a typed
`extensions.code` that is not INTERNAL.

    python3 scripts/fuzz_requests.py URL [TOKEN]
"""

import http.client
import json
import sys
import urllib.parse

from fuzz_known import bad_error, known_failures, report

JSON = "application/json"
BIG = 3 * 1024 * 1024

CASES = [
    ("body `{`", "POST", JSON, b"{"),
    ("body `null`", "POST", JSON, b"null"),
    ("body `[]`", "POST", JSON, b"[]"),
    ("a batch", "POST", JSON, b'[{"query":"{ __typename }"},{"query":"{ __typename }"}]'),
    ("an empty body", "POST", JSON, b""),
    ("query is a number", "POST", JSON, b'{"query": 1}'),
    ("variables is a string", "POST", JSON, b'{"query":"{ __typename }","variables":"x"}'),
    ("invalid UTF-8", "POST", JSON, b'{"query":"{ \xff\xfe }"}'),
    ("a lone surrogate in a variable", "POST", JSON, b'{"query":"{ __typename }","variables":{"a":"\\ud800"}}'),
    ("a NUL in the query text", "POST", JSON, b'{"query":"{ __typename \\u0000 }"}'),
    ("text/plain", "POST", "text/plain", b"{ __typename }"),
    ("no content type", "POST", None, b'{"query":"{ __typename }"}'),
    ("bad multipart", "POST", "multipart/form-data; boundary=x", b"--x\r\nnonsense\r\n--x--\r\n"),
    ("multipart without a boundary", "POST", "multipart/form-data", b"abc"),
    ("a body over the limit", "POST", JSON, b'{"query":"' + b"a" * BIG + b'"}'),
    ("a chunked body over the limit", "CHUNKED", JSON, b'{"query":"' + b"a" * BIG + b'"}'),
    ("deep nesting", "POST", JSON, b'{"query":"' + b"{ a " * 2000 + b"}" * 2000 + b'"}'),
]


def send(url, method, content_type, body, token):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if content_type:
        headers["content-type"] = content_type
    path = parts.path
    if method == "CHUNKED":
        conn.putrequest("POST", path)
        for name, value in {**headers, "transfer-encoding": "chunked"}.items():
            conn.putheader(name, value)
        conn.endheaders()
        try:
            for start in range(0, len(body), 65536):
                chunk = body[start : start + 65536]
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading it all
    else:
        try:
            conn.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            pass
    response = conn.getresponse()
    return response.status, response.read()


def problem(status, raw):
    """What is wrong with an answer, or None."""
    if status >= 500:
        return "a server error"
    try:
        body = json.loads(raw)
    except ValueError:
        return "not JSON"
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return "not the JSON error shape" if status >= 400 else None
    return bad_error(errors)


def main():
    url = sys.argv[1]
    token = sys.argv[2] if len(sys.argv) > 2 else None
    failed = {}
    for name, method, content_type, body in CASES:
        try:
            status, raw = send(url, method, content_type, body, token)
        except OSError as exc:
            status, raw, wrong = 0, str(exc).encode(), f"no answer ({exc})"
        else:
            wrong = problem(status, raw)
        if wrong:
            failed[name] = f"{wrong}: HTTP {status}: {raw[:300].decode('utf-8', 'replace')}"
    new = report("requests", failed, known_failures())
    who = "with a token" if token else "anonymously"
    print(f"malformed requests {who}: {len(CASES) - len(failed)} passed, {len(failed)} failed"
          f" ({len(new)} new)")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
