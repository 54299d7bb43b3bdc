"""Renderers: a form run or a case as HTML, JSON Schema, or a Mermaid diagram."""

__all__: list[str] = []
