"""A JSON Schema (draft 2020-12) validator for the subset schema/*.json use.

Keywords: $ref (local "#/$defs/..."), type (a name or a list), const, enum,
required, properties, additionalProperties (false or a schema), items,
minItems, uniqueItems, minLength, pattern, minimum, maximum, oneOf.  An
unknown keyword is an error, so the schema cannot silently outgrow this.
Stdlib only: the tests run where python3-jsonschema is not installed.
"""
import re

ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs"}
KEYWORDS = {"$ref", "type", "const", "enum", "required", "properties",
            "additionalProperties", "items", "minItems", "uniqueItems",
            "minLength", "pattern", "minimum", "maximum", "oneOf"}

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class Validator:
    def __init__(self, schema):
        self.root = schema

    def errors(self, value, schema=None, path="$"):
        """Every violation, as "path: what" strings."""
        schema = self.root if schema is None else schema
        out = []
        for key in schema:
            if key not in KEYWORDS and key not in ANNOTATIONS:
                out.append(f"{path}: schema keyword {key!r} is not supported")
        if "$ref" in schema:
            out += self.errors(value, self.resolve(schema["$ref"]), path)
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(TYPES[n](value) for n in names):
                return out + [f"{path}: {value!r:.60} is not of type {names}"]
        if "const" in schema and value != schema["const"]:
            out.append(f"{path}: {value!r} is not {schema['const']!r}")
        if "enum" in schema and value not in schema["enum"]:
            out.append(f"{path}: {value!r} is not one of {schema['enum']}")
        if "oneOf" in schema:
            matches = [s for s in schema["oneOf"] if not self.errors(value, s, path)]
            if len(matches) != 1:
                out.append(f"{path}: {value!r:.60} matches {len(matches)} of oneOf")
        if isinstance(value, dict):
            out += self.object_errors(value, schema, path)
        if isinstance(value, list):
            if len(value) < schema.get("minItems", 0):
                out.append(f"{path}: fewer than {schema['minItems']} items")
            if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
                out.append(f"{path}: items are not unique")
            for i, item in enumerate(value):
                if "items" in schema:
                    out += self.errors(item, schema["items"], f"{path}[{i}]")
        if isinstance(value, str):
            if len(value) < schema.get("minLength", 0):
                out.append(f"{path}: shorter than {schema['minLength']}")
            if "pattern" in schema and not re.search(schema["pattern"], value):
                out.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if TYPES["number"](value):
            if "minimum" in schema and value < schema["minimum"]:
                out.append(f"{path}: {value} < {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                out.append(f"{path}: {value} > {schema['maximum']}")
        return out

    def object_errors(self, value, schema, path):
        out = []
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}: required key {key!r} is missing")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                out += self.errors(item, properties[key], f"{path}.{key}")
            elif extra is False:
                out.append(f"{path}: key {key!r} is not allowed")
            elif isinstance(extra, dict):
                out += self.errors(item, extra, f"{path}.{key}")
        return out

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref}")
        node = self.root
        for part in ref[2:].split("/"):
            node = node[part]
        return node
