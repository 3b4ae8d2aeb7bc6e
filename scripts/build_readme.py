"""Assemble README.md from the sections in docs/readme/ (sorted by file name)."""

from pathlib import Path

root = Path(__file__).resolve().parents[1]
parts = [p.read_text(encoding="utf-8").strip() + "\n" for p in sorted((root / "docs" / "readme").glob("*.md"))]
(root / "README.md").write_text("\n".join(parts), encoding="utf-8")
print(f"README.md: {len(parts)} sections")
