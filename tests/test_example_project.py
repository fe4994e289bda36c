"""The example project, run as a user runs it: ``manage.py`` in a subprocess.

Each test gets its own SQLite file and media folder, and the example project's settings
(not the suite's), so what ``make run`` does from a fresh clone is what is tested here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "example_project"
SETTINGS_FILE = EXAMPLE_DIR / "example_project" / "settings.py"
ENV_EXAMPLE = EXAMPLE_DIR / ".env.example"
DEV_KEY_WARNING = "SECRET_KEY is the example project's public development key"


def variables_read_by_settings() -> set[str]:
    """Every environment variable name the settings read (env.<cast>("X") or os.environ)."""
    source = SETTINGS_FILE.read_text()
    names = set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', source))
    names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"', source))
    return names


def example_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment for one run: no stray settings inherited, a private database."""
    documented = variables_read_by_settings()
    # Nor what the test run itself sets for its own process (the browser tests'
    # DJANGO_ALLOW_ASYNC_UNSAFE would fail a deployment check as async.E001).
    leaked = {"DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in documented | leaked}
    env.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",  # pytest-django sets the suite's
        ENV_FILE=str(tmp_path / "absent.env"),  # never read a developer's own .env
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONWARNINGS="default",
    )
    env.update(overrides)
    return env


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE_DIR,
        env=example_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def python(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with the example settings loaded (cwd on sys.path, like manage.py)."""
    prelude = "import django\ndjango.setup()\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        cwd=EXAMPLE_DIR,
        env=example_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def test_env_example_documents_every_variable() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    read = variables_read_by_settings()
    assert {"DEBUG", "DATABASE_URL", "LIFECHECK_PROVIDER", "JUMDATA_APPCODE"} <= read
    # ENV_FILE chooses the file itself, so it is explained in a comment, not assigned.
    assert read - {"ENV_FILE"} <= documented, read - {"ENV_FILE"} - documented
    assert "ENV_FILE" in ENV_EXAMPLE.read_text()


def test_env_example_as_is_is_a_valid_configuration(tmp_path: Path) -> None:
    result = ok(manage(tmp_path, "check", ENV_FILE=str(ENV_EXAMPLE)))
    assert "no issues" in result.stdout


def test_deploy_check_passes_with_real_settings(tmp_path: Path) -> None:
    result = manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "ERROR",
        DEBUG="False",
        SECRET_KEY="x" * 20 + "a-real-looking-secret-key-for-the-test-0123456789",
        ALLOWED_HOSTS="demo.example.com",
    )
    ok(result)
    assert DEV_KEY_WARNING not in result.stderr


def test_dev_secret_key_warns_when_debug_is_off(tmp_path: Path) -> None:
    result = manage(tmp_path, "check", "--deploy", DEBUG="False", ALLOWED_HOSTS="x.example")
    assert DEV_KEY_WARNING in result.stderr
    assert "security.W009" in result.stderr + result.stdout  # Django's own insecure-key check


def test_relative_sqlite_path_is_next_to_manage_py(tmp_path: Path) -> None:
    code = """
        from django.conf import settings
        print(settings.DATABASES["default"]["NAME"])
    """
    out = ok(python(tmp_path, code, DATABASE_URL="sqlite:///db.sqlite3")).stdout.strip()
    assert out == str(EXAMPLE_DIR / "db.sqlite3")


def test_sandbox_is_only_configured_with_debug(tmp_path: Path) -> None:
    code = """
        from django.conf import settings
        print(sorted(settings.LIFECHECK["PROVIDERS"]), settings.LIFECHECK["DEFAULT_PROVIDER"])
    """
    assert ok(python(tmp_path, code)).stdout.split() == ["['local',", "'sandbox']", "local"]
    off = ok(python(tmp_path, code, DEBUG="False", SECRET_KEY="k" * 50))
    assert off.stdout.split() == ["['local']", "local"]
    jumdata = ok(
        python(
            tmp_path,
            code,
            LIFECHECK_PROVIDER="jumdata",
            JUMDATA_APPCODE="abc",
            JUMDATA_INIT_URL="https://gw.example/init",
        )
    )
    assert jumdata.stdout.split() == ["['jumdata',", "'local',", "'sandbox']", "jumdata"]


def test_wsgi_and_asgi_entry_points_load(tmp_path: Path) -> None:
    code = """
        from example_project.asgi import application as asgi
        from example_project.wsgi import application as wsgi
        print(type(wsgi).__name__, type(asgi).__name__)
    """
    assert ok(python(tmp_path, code)).stdout.split() == ["WSGIHandler", "ASGIHandler"]


def test_migrate_and_demo_setup_twice(tmp_path: Path) -> None:
    ok(manage(tmp_path, "migrate", "--noinput"))
    first = ok(manage(tmp_path, "lifecheck_demo_setup")).stdout
    second = ok(manage(tmp_path, "lifecheck_demo_setup")).stdout

    assert "Created user 'demo'" in first and "Created superuser 'admin'" in first
    assert "already exists" in second and "Created" not in second
    assert "LOCAL DEMO ONLY" in first and "LOCAL DEMO ONLY" in second
    keys = []
    for out in (first, second):
        curl = [line for line in out.splitlines() if line.startswith("curl ")]
        assert len(curl) == 1, out
        assert "http://127.0.0.1:8000/lifecheck/api/init" in curl[0]
        match = re.search(r"Authorization: APPCODE (\S+?)'", curl[0])
        assert match, curl[0]
        keys.append(match.group(1))
    assert keys[0] != keys[1]  # keys are stored hashed: a rerun issues a new value

    # The printed key works against the real service; the superseded one does not.
    code = f"""
        import json
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.contrib.auth import get_user_model
        from django_lifecheck.models import ApiKey
        setup_test_environment()
        def init(key):
            r = Client().post(
                "/lifecheck/api/init",
                {{"returnUrl": "http://127.0.0.1:8000/", "actions": "LookFront,BlinkEye"}},
                HTTP_AUTHORIZATION="APPCODE " + key,
            )
            return r.status_code, r.json()
        users = get_user_model().objects
        print(json.dumps({{
            "new": init({keys[1]!r}),
            "old": init({keys[0]!r}),
            "users": sorted(users.values_list("username", "is_superuser")),
            "keys": list(ApiKey.objects.values_list("name", "is_active")),
        }}))
    """
    state = json.loads(ok(python(tmp_path, code)).stdout.splitlines()[-1])
    assert state["new"][1]["code"] == 200 and state["new"][1]["data"]["token"]
    assert state["old"][1]["code"] != 200
    assert state["users"] == [["admin", True], ["demo", False]]
    assert state["keys"] == [["demo", True]]


def test_default_local_provider_sends_the_user_to_its_h5_page(tmp_path: Path) -> None:
    """What ``make run`` serves: "Verify me" on the in-process self-hosted service."""
    code = """
        import json
        from django.core.management import call_command
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django_lifecheck.models import LivenessCheck
        setup_test_environment()
        call_command("migrate", verbosity=0)
        client = Client()
        client.force_login(get_user_model().objects.create_user("carol", password="pw"))
        started = client.post("/lifecheck/start/", {"mode": "action+flash",
                              "actions": "LookFront,BlinkEye", "colors": "#FFFFFF,#000000"})
        page = client.get(started["Location"])
        check = LivenessCheck.objects.get()
        print(json.dumps([started.status_code, started["Location"], page.status_code,
                          check.provider, check.status, check.token]))
    """
    status, location, page, provider, check_status, token = json.loads(
        ok(python(tmp_path, code)).stdout.splitlines()[-1]
    )
    assert status == 302 and page == 200
    assert location == f"/lifecheck/v2/check/index?token={token}"
    assert (provider, check_status) == ("local", "pending")


def test_demo_setup_refuses_with_debug_off(tmp_path: Path) -> None:
    env = {"DEBUG": "False", "SECRET_KEY": "k" * 50}
    ok(manage(tmp_path, "migrate", "--noinput", **env))
    result = manage(tmp_path, "lifecheck_demo_setup", **env)
    assert result.returncode != 0
    assert "well-known passwords" in result.stderr


FLOW = """
    import json
    from django.core.management import call_command
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from demo.forms import ACTION_CHOICES, COLOR_CHOICES, MODE_CHOICES
    from demo.models import KycProfile
    from django_lifecheck.models import LivenessCheck

    setup_test_environment()
    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    out = {}

    def run_check(client, outcome, **fields):
        started = client.post("/lifecheck/start/", fields)
        assert started.status_code == 302, (fields, started.status_code, started.content[:2000])
        pressed = client.post(started["Location"], {"outcome": outcome})
        back = client.get(pressed["Location"])
        return back.status_code, back["Location"]

    alice = Client()
    alice.force_login(users.create_user("alice", password="pw"))
    gate = alice.get("/kyc-only/")
    out["gate_before"] = [gate.status_code, gate.get("Location", "")]
    start_page = alice.get(gate["Location"]).content.decode()
    out["start_page_in_site_layout"] = [
        "Lifecheck demo" in start_page,  # the demo's header, from its template override
        "django_lifecheck/integrator.css" in start_page,
        'name="next" value="/kyc-only/"' in start_page,
    ]
    home = alice.get("/").content.decode()
    out["home_posts_to_start"] = 'action="/lifecheck/start/"' in home
    out["after_pass"] = run_check(
        alice, "pass", mode="silent", actions=ACTION_CHOICES[0][0],
        colors=COLOR_CHOICES[0][0], next="/kyc-only/",
    )
    profile = KycProfile.objects.select_related("liveness_check").get(user__username="alice")
    out["profile"] = [
        profile.is_verified,
        profile.liveness_check.status,
        profile.verified_at == profile.liveness_check.completed_at,
    ]
    out["gate_after"] = alice.get("/kyc-only/").status_code
    out["home_says_verified"] = "Verified on" in alice.get("/").content.decode()
    zh = alice.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    out["home_in_chinese"] = "已于" in zh and "开始认证" in zh

    # Every preset the form offers is accepted by the library for every mode.
    bob = Client()
    bob.force_login(users.create_user("bob", password="pw"))
    starts = []
    for mode, _ in MODE_CHOICES:
        for actions, _ in ACTION_CHOICES:
            for colors, _ in COLOR_CHOICES:
                r = bob.post("/lifecheck/start/", {"mode": mode, "actions": actions,
                                                   "colors": colors})
                starts.append([mode, actions, colors, r.status_code])
    out["bad_starts"] = [s for s in starts if s[3] != 302]
    out["after_fail"] = run_check(bob, "fail", mode="action", actions=ACTION_CHOICES[1][0])
    out["bob_profile"] = KycProfile.objects.filter(user__username="bob").exists()
    out["bob_failed"] = LivenessCheck.objects.filter(user__username="bob", status="failed").count()
    print(json.dumps(out))
"""


def test_check_receivers_and_kyc_gate_through_the_sandbox(tmp_path: Path) -> None:
    """A real check through the library's views: the receivers fire, the gate opens."""
    result = ok(python(tmp_path, FLOW, LIFECHECK_PROVIDER="sandbox"))
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["gate_before"][0] == 302
    assert out["gate_before"][1].startswith("/lifecheck/start/?next=")
    assert out["home_posts_to_start"]
    assert out["start_page_in_site_layout"] == [True, True, True]
    assert out["after_pass"] == [302, "/kyc-only/"]
    assert out["profile"] == [True, "passed", True]
    assert out["gate_after"] == 200
    assert out["home_says_verified"]
    assert out["home_in_chinese"]  # LocaleMiddleware + the demo's compiled catalogue
    assert out["bad_starts"] == []
    assert out["after_fail"] == [302, "/"]
    assert out["bob_profile"] is False
    assert out["bob_failed"] == 1
    assert "failed: code=202" in result.stderr  # the check_failed receiver logged it
