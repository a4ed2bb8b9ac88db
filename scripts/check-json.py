#!/usr/bin/python3
"""check-json.py SCHEMA [FILE]: validates one JSON document (FILE or stdin)
against a JSON Schema from doc/; prints the first errors and exits 1 when it
does not conform, 2 when it is not JSON at all."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
src = open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin
try:
    doc = json.load(src)
except ValueError as e:
    print("not JSON: %s" % e)
    sys.exit(2)
validator = jsonschema.Draft202012Validator(schema)
errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:5]:
    print("%s: %s" % ("/".join(str(p) for p in e.path) or "(top)", e.message))
sys.exit(1 if errors else 0)
