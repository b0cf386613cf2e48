"""The generated layer: one package per API (scripts/apis.py), each written by
openapi-python-client from its spec (scripts/generate.sh); never edited by hand."""
