import subprocess
import sys
from pathlib import Path

ML_DIR = Path(__file__).resolve().parents[2] / "ml"


def ml_modules() -> list[str]:
    return sorted(f"ml.{p.stem}" for p in ML_DIR.glob("*.py") if p.stem != "__init__")


def test_importing_every_ml_module_never_loads_django():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in ml_modules())
        + "assert 'django' not in sys.modules, 'django was imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ML_DIR.parent, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_no_ml_source_mentions_a_django_import():
    offenders = [
        p.name
        for p in ML_DIR.rglob("*.py")
        if "import django" in p.read_text() or "from django" in p.read_text()
    ]
    assert offenders == []
