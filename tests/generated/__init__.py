"""The generated layer: its models, its parsers under property-based fuzzing, and every
generated operation over HTTP."""
