"""README.md documents the output contract exactly as transforms/schemas.py defines it."""

import re
from pathlib import Path

from transforms import schemas

README = Path(__file__).resolve().parents[1] / "README.md"
_TYPES = {"string": "string", "int64": "int64", "double": "double"}


def test_readme_schema_table_matches_the_schemas():
    rows = re.findall(r"^\| (entities|relations|notes|errors|phi) \| (\w+) \| (\w+) \|", README.read_text(), re.M)
    documented = {}
    for dataset, column, kind in rows:
        documented.setdefault(dataset, []).append((column, kind))
    defined = {name: [(f.name, str(f.type)) for f in schema]
               for name, schema in {**schemas.DATASETS, "phi": schemas.PHI}.items()}
    assert documented == defined


def test_readme_starts_with_the_two_commands():
    text = README.read_text()
    blocks = re.findall(r"```bash\n(.+?)\n```", text, re.S)
    assert blocks[0].endswith("python -m pipelines.annotate --runner=DirectRunner")
    assert "python -m pytest" in blocks[1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert blocks[0] in ci and blocks[1] in ci
