"""Wire formats of the CO Gateway: schemas, safe parsing, validation and codecs.

Stands alone: imports neither gateway/ nor scheduler/ (see docs/architecture.md, "Wire formats").
"""

from pathlib import Path

#: Directory holding the versioned XSDs (shipped as package data).
XSD_DIR = Path(__file__).resolve().parent / "xsd"
