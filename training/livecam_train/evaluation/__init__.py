"""Quality measurements for the project's models (needs the `eval` extra for identity)."""
