"""readiness: launch-readiness sites from a Markdown checklist and per-release YAML results."""

__version__ = "0.1.0"
