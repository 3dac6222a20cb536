"""Rubrics: YAML files → strict, validated models.

`models` (what a rubric declares), `operators` (one module per scoring operator, found
through one registry), `loader` (find, load and check files; every problem at once, each
with its place), `expr` (the safe formula language), `size` (the SME size standard) and
`schema` (the JSON Schema of rubric files).  This layer imports neither the engine, the
plan nor the reporters.
"""
