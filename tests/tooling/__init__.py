"""The project's tooling: generation, api-check, dist, docs, examples, benchmarks, mutate."""
