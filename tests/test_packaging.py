"""The package as users get it: sdist -> wheel -> a clean virtualenv -> a new project.

``python -m build`` builds the sdist and then the wheel *from the sdist*, so a file
missing from MANIFEST.in is missing from the wheel too and fails here. The clean venv
has no access to this checkout (no system site-packages, cwd elsewhere), so the tiny
project below can only work with what the wheel installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "django_lifecheck"
#: Data directories shipped inside the package, relative to it.
DATA_DIRS = ("templates", "static", "locale", "engine/models")


def run(args: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=900, **kwargs
    )
    assert result.returncode == 0, (
        f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result


def source_data_files() -> set[str]:
    """Data files in the checkout that must ship, as paths relative to the package."""
    files = set()
    for folder in DATA_DIRS:
        for path in (PACKAGE / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.add(path.relative_to(PACKAGE).as_posix())
    if (PACKAGE / "service" / "openapi.yaml").exists():
        files.add("service/openapi.yaml")
    return files


def source_modules() -> set[str]:
    """Every Python module of the package (a folder without ``__init__.py`` is dropped
    silently by ``packages = find:``; this catches it)."""
    return {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "__pycache__" not in p.parts
    }


def in_package(names: set[str]) -> set[str]:
    """Archive member names under ``django_lifecheck/``, relative to it."""
    prefix = "django_lifecheck/"
    return {n.removeprefix(prefix) for n in names if n.startswith(prefix)}


def source_migrations() -> set[str]:
    return {p.name for p in (PACKAGE / "migrations").glob("*.py")}


@pytest.fixture(scope="module")
def expected() -> dict[str, set[str]]:
    """What must ship, listed once, just before the build: files that appear in the
    checkout later (other work in progress) are not this build's business."""
    return {
        "data": source_data_files(),
        "modules": source_modules(),
        "migrations": {f"migrations/{m}" for m in source_migrations()},
    }


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory, expected: dict) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, REPO], cwd=REPO)
    (sdist,) = out.glob("django_lifecheck-*.tar.gz")
    (wheel,) = out.glob("django_lifecheck-*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, dists: dict[str, Path]) -> Path:
    """A clean virtualenv with only the wheel and its declared dependencies."""
    root = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", root])
    python = root / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", dists["wheel"]], env=clean_env())
    return python


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything pointing back at this checkout or its settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
    }
    env.update(extra)
    return env


def test_sdist_has_everything_the_wheel_needs(dists: dict[str, Path], expected: dict) -> None:
    with tarfile.open(dists["sdist"]) as tar:
        names = tar.getnames()
    root = names[0].split("/")[0]
    inside = {n.removeprefix(f"{root}/") for n in names}
    assert {"LICENSE", "MANIFEST.in", "setup.cfg", "pyproject.toml", "PKG-INFO"} <= inside
    for name in ("README.rst", "CHANGELOG.rst", "NOTICE"):
        if (REPO / name).exists():
            assert name in inside, f"{name} is in the checkout but not in the sdist"
    shipped = {
        n.removeprefix("django_lifecheck/") for n in inside if n.startswith("django_lifecheck/")
    }
    missing = expected["data"] - shipped
    assert not missing, f"MANIFEST.in misses: {sorted(missing)}"
    assert expected["migrations"] <= shipped
    junk = [n for n in inside if "__pycache__" in n or n.endswith((".pyc", ".sqlite3"))]
    assert not junk, junk


def test_wheel_has_the_package_data(dists: dict[str, Path], expected: dict) -> None:
    with zipfile.ZipFile(dists["wheel"]) as whl:
        names = set(whl.namelist())
    shipped = {
        n.removeprefix("django_lifecheck/") for n in names if n.startswith("django_lifecheck/")
    }
    missing = (expected["data"] | expected["modules"]) - shipped
    assert not missing, f"the wheel misses: {sorted(missing)}"
    assert any(n.endswith("dist-info/licenses/LICENSE") for n in names)


TINY_SETTINGS = """
SECRET_KEY = "packaging-test-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_lifecheck",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tinyurls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "tiny.sqlite3"}}
STATIC_URL = "/static/"
STATIC_ROOT = "collected"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""

TINY_URLS = """
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("lifecheck/", include("django_lifecheck.urls")),
]
"""

INSPECT = """
import json
from pathlib import Path

import django

django.setup()
import django_lifecheck
from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.urls import reverse

pkg = Path(django_lifecheck.__file__).parent
templates = sorted(
    p.relative_to(pkg / "templates").as_posix() for p in (pkg / "templates").rglob("*.html")
)
for name in templates:
    get_template(name)  # every shipped template parses with the installed tags
print(json.dumps({
    "package": str(pkg),
    "files": sorted(p.relative_to(pkg).as_posix() for p in pkg.rglob("*") if p.is_file()),
    "templates": templates,
    "check_js": finders.find("django_lifecheck/check/check.js"),
    "urls": [reverse("lifecheck:start"), reverse("lifecheck:return")],
}))
"""


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("tiny")
    (project / "tinysettings.py").write_text(TINY_SETTINGS)
    (project / "tinyurls.py").write_text(TINY_URLS)
    (project / "inspect_install.py").write_text(textwrap.dedent(INSPECT))
    return project


def django_admin(venv: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(DJANGO_SETTINGS_MODULE="tinysettings", PYTHONPATH=str(project))
    return run([venv, "-m", "django", *args], cwd=project, env=env)


def test_installed_package_runs_in_a_new_project(
    venv: Path, tiny_project: Path, expected: dict
) -> None:
    django_admin(venv, tiny_project, "check", "--fail-level", "ERROR")
    migrated = django_admin(venv, tiny_project, "migrate", "--noinput")
    assert "django_lifecheck" in migrated.stdout
    django_admin(venv, tiny_project, "makemigrations", "django_lifecheck", "--check", "--dry-run")
    django_admin(venv, tiny_project, "collectstatic", "--noinput")

    env = clean_env(DJANGO_SETTINGS_MODULE="tinysettings", PYTHONPATH=str(tiny_project))
    result = run([venv, "inspect_install.py"], cwd=tiny_project, env=env)
    info = json.loads(result.stdout.splitlines()[-1])

    package = Path(info["package"])
    assert venv.parent.parent in package.parents, f"imported from {package}, not the venv"
    installed = set(info["files"])
    missing = expected["data"] - installed
    assert not missing, f"not installed: {sorted(missing)}"
    assert expected["migrations"] <= installed
    models = {f for f in installed if f.startswith("engine/models/") and f.endswith(".tflite")}
    assert len(models) >= 2, models
    # Every translation catalogue is compiled: Django reads .mo files, never .po.
    for po in (f for f in installed if f.endswith(".po")):
        assert po[:-3] + ".mo" in installed, f"{po} has no compiled .mo"
    assert info["templates"], "no templates installed"
    if (PACKAGE / "static/django_lifecheck/check/check.js").exists():
        assert info["check_js"], "check.js is not found by the staticfiles finders"
        assert (tiny_project / "collected/django_lifecheck/check/check.js").is_file()
    assert info["urls"] == ["/lifecheck/start/", "/lifecheck/return/"]
