"""Renderers: a form run or a case as HTML, JSON Schema, or a Mermaid diagram."""
