"""The production settings build and serve: the hashed static files are
collected (every file a vendored asset names is there) and a page renders
from the manifest, with DEBUG off and every secret from the environment."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "ZOUFANG_VAR_DIR"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="test-only-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        ZOUFANG_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    return env


def run(args, env):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_static_files_build_and_a_page_serves_under_production_settings(tmp_path):
    env = production_env(tmp_path)
    built = run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    assert built.returncode == 0, built.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()
    served = run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from django.test import Client;"
            "r = Client().get('/accounts/login/');"
            "print(r.status_code); print(r.content.decode())",
        ],
        env,
    )
    assert served.returncode == 0, served.stderr[-2000:]
    status, _, page = served.stdout.partition("\n")
    assert status == "200"
    # Assets come from the manifest (hashed names), not the development paths.
    assert re.search(r"/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css", page)


def test_wsgi_and_celery_default_to_production_not_development():
    for module in ("config/wsgi.py", "config/celery_app.py"):
        text = (ROOT / module).read_text()
        assert 'setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")' in text, module
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    started = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    # Without its secret the production settings refuse to start: no fallback to a known key.
    assert started.returncode != 0 and "DJANGO_SECRET_KEY" in started.stderr
