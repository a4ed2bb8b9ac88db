#!/usr/bin/python3
"""check-json.py SCHEMA [FILE]: validates one JSON document (FILE or stdin)
against a JSON Schema from doc/; the schemas of doc/ refer to each other by
their urn:mxdoc:* ids (doc/common.schema.json holds what every command
shares). Prints the first errors and exits 1 when the document does not
conform, 2 when it is not JSON at all."""
import glob
import json
import os
import sys

import jsonschema

schema_path = sys.argv[1]
store = {}
for p in glob.glob(os.path.join(os.path.dirname(os.path.abspath(schema_path)), "*.schema.json")):
    s = json.load(open(p))
    if "$id" in s:
        store[s["$id"]] = s
schema = json.load(open(schema_path))
src = open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin
try:
    doc = json.load(src)
except ValueError as e:
    print("not JSON: %s" % e)
    sys.exit(2)
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:5]:
    print("%s: %s" % ("/".join(str(p) for p in e.path) or "(top)", e.message))
sys.exit(1 if errors else 0)
