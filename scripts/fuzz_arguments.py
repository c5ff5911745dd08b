"""Hostile values in every argument of every operation, for scripts/fuzz.

Random generation rarely puts a NUL byte into the one argument that reaches
PostgreSQL, so this pass is systematic: for each root field of the served schema
(introspected) and each scalar leaf of its arguments (input objects and lists
included, a few levels deep), it sends the operation with plausible values
everywhere and one hostile value in that leaf: NUL and other control
characters, a long string, a cursor that decodes to a key out
of range, the extreme 32-bit integers. Every answer must be below 500 with a
typed, non-INTERNAL `extensions.code` on every error.

    python3 scripts/fuzz_arguments.py URL [TOKEN]
"""

import base64
import copy
import json
import sys
import urllib.error
import urllib.request

import graphql

from fuzz_known import bad_error, known_failures, report


def cursor(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


UUID = "00000000-0000-0000-0000-000000000000"
OID = "65f000000000000000000000"
STRINGS = ["a\u0000b", "\u0001\u001b\u007f", "x" * 20000]
CURSORS = [
    cursor(f"9223372036854775807|{UUID}"),
    cursor(f"-8334601228800000000|{UUID}"),
    cursor(f"8210266876799999|{UUID}"),
    cursor(f"n|8210266876799999|{OID}"),
    cursor(f"9999999999999|{OID}"),
    cursor("SKU\u0000"),
]
INTS = [-2147483648, 2147483647, -1, 0]
PLAIN = {"Int": 1, "Float": 1.5, "Boolean": False, "DateTime": "2026-01-01T00:00:00Z",
         "NaiveDate": "2026-01-01", "JSON": {}}
MAX_DEPTH = 3


def plausible(type_):
    """A value of `type_` that passes validation: required input fields only."""
    if isinstance(type_, graphql.GraphQLNonNull):
        return plausible(type_.of_type)
    if isinstance(type_, graphql.GraphQLList):
        return [plausible(type_.of_type)]
    if isinstance(type_, graphql.GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, graphql.GraphQLInputObjectType):
        return {
            name: plausible(field.type)
            for name, field in type_.fields.items()
            if isinstance(field.type, graphql.GraphQLNonNull)
        }
    return PLAIN.get(type_.name, "x")


def leaves(type_, path, depth=0):
    """(path, scalar name, argument name) of every scalar leaf within `type_`."""
    named = graphql.get_named_type(type_)
    if isinstance(named, graphql.GraphQLInputObjectType):
        if depth >= MAX_DEPTH:
            return
        for name, field in named.fields.items():
            inner = path + ([0] if is_list(type_) else []) + [name]
            yield from leaves(field.type, inner, depth + 1)
    elif isinstance(named, graphql.GraphQLScalarType):
        yield path + ([0] if is_list(type_) else []), named.name, path[-1]


def is_list(type_):
    while isinstance(type_, graphql.GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, graphql.GraphQLList)


def hostile(scalar, name):
    if scalar in ("String", "ID"):
        return STRINGS + (CURSORS if name in ("after", "before") else [])
    if scalar == "Int":
        return INTS
    return []


def fields_of(type_):
    named = graphql.get_named_type(type_)
    return named.fields if isinstance(named, graphql.GraphQLInputObjectType) else {}


def set_path(variables, fields, path, value):
    """Sets the leaf at `path`, creating the optional objects on the way."""
    target = variables
    for step in path[:-1]:
        if isinstance(target, list):
            target = target[step]
            continue
        type_ = fields[step].type
        if step not in target:
            target[step] = plausible(type_)
        target = target[step]
        fields = fields_of(type_)
    target[path[-1]] = value


def document(kind, name, field):
    params = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    args = ", ".join(f"{a}: ${a}" for a in field.args)
    named = graphql.get_named_type(field.type)
    selection = "" if graphql.is_leaf_type(named) else " { __typename }"
    head = f"{kind}({params})" if params else kind
    return f"{head} {{ {name}{f'({args})' if args else ''}{selection} }}"


def cases(schema):
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for name, field in (root.fields if root else {}).items():
            base = {
                a: plausible(arg.type)
                for a, arg in field.args.items()
                if isinstance(arg.type, graphql.GraphQLNonNull)
            }
            query = document(kind, name, field)
            for arg_name, arg in field.args.items():
                for path, scalar, leaf in leaves(arg.type, [arg_name]):
                    for value in hostile(scalar, leaf):
                        variables = copy.deepcopy(base)
                        set_path(variables, field.args, path, value)
                        yield f"{name}({'.'.join(map(str, path))})", query, variables, value


def post(url, token, payload):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, payload, headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def problem(status, raw):
    if status >= 500:
        return "a server error"
    try:
        body = json.loads(raw)
    except ValueError:
        return "not JSON"
    if not isinstance(body, dict) or not ({"data", "errors"} & body.keys()):
        return "not a GraphQL answer"
    return bad_error(body.get("errors") or [])


def main():
    url = sys.argv[1]
    token = sys.argv[2] if len(sys.argv) > 2 else None
    _, raw = post(url, token, json.dumps({"query": graphql.get_introspection_query()}).encode())
    schema = graphql.build_client_schema(json.loads(raw)["data"])
    total, failed = 0, {}
    for label, query, variables, value in cases(schema):
        total += 1
        payload = json.dumps({"query": query, "variables": variables}).encode()
        status, raw = post(url, token, payload)
        wrong = problem(status, raw)
        if wrong and label not in failed:
            text = raw[:240].decode("utf-8", "replace")
            failed[label] = f"{repr(value)[:40]}: {wrong}: HTTP {status}: {text}"
    new = report("arguments", failed, known_failures())
    who = "with a token" if token else "anonymously"
    print(f"hostile arguments {who}: {total} requests, {len(failed)} arguments failed"
          f" ({len(new)} new)")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
