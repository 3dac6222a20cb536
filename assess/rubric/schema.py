"""Print the JSON Schema of rubric files (committed as docs/rubric.schema.json)."""

from __future__ import annotations

import json

from assess.rubric.models import Rubric


def schema_text() -> str:
    return json.dumps(Rubric.model_json_schema(by_alias=True), ensure_ascii=False, indent=2)


if __name__ == "__main__":
    print(schema_text())
