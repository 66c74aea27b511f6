"""core.api imports on its own: DRF reads its parser and pagination classes
from it while loading, and a system check may be the first to ask."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_core_api_imports_before_anything_has_loaded_drf_views():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); import core.api; print(core.api.JSONParser.__name__)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "JSONParser"
