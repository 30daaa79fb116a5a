"""The lock files are what every install runs (the README's commands, CI, Heroku's build), so they
must pin every package the project needs, exactly, inside the ranges pyproject.toml allows."""
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;#]+)\s*(?:;\s*(?P<marker>[^#]+?))?\s*(?:#.*)?$")


def _pins(lock):
    pins = {}
    for line in (LOCKS / lock).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        found = PIN.match(line)
        assert found, f"{lock}: not an exact pin: {line!r}"
        pins[canonicalize_name(found["name"])] = (found["version"], found["marker"])
    return pins


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _runtime():
    return [Requirement(r) for r in _project()["dependencies"]]


def _dev():
    return [Requirement(r) for r in _project()["optional-dependencies"]["dev"]]


def _assert_pinned_within(requirements, lock):
    pins = _pins(lock)
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is in pyproject.toml but not in {lock}: run requirements/update"
        version, _ = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, outside pyproject.toml's {requirement.specifier}: "
            "run requirements/update")


def test_every_runtime_dependency_is_pinned_within_its_range():
    _assert_pinned_within(_runtime(), "runtime.lock")
    _assert_pinned_within(_runtime() + _dev(), "dev.lock")


CALENDAR_VERSIONED = {"tzdata"}  # the time-zone database: a new year's version is only new data


def test_every_major_has_an_upper_bound():
    for requirement in _runtime() + _dev():
        if canonicalize_name(requirement.name) in CALENDAR_VERSIONED:
            continue
        assert any(s.operator == "<" for s in requirement.specifier), (
            f"{requirement} has no upper bound: a new major version could change under us")


def test_the_test_lock_runs_the_same_app_as_the_runtime_lock():
    runtime, dev = _pins("runtime.lock"), _pins("dev.lock")
    for name, (version, _) in runtime.items():
        assert dev.get(name, (None,))[0] == version, f"{name}: runtime.lock and dev.lock disagree"


def test_nothing_is_locked_that_nothing_needs():
    """Every pin is reached from pyproject.toml through the dependencies' own metadata."""
    needed = {canonicalize_name(r.name) for r in _runtime() + _dev()}
    pins = _pins("dev.lock")
    reached, queue = set(), list(needed)
    while queue:
        name = queue.pop()
        if name in reached or name not in pins:
            continue
        reached.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # a platform-only pin (e.g. tzdata on Windows) not installed here
        for line in requires:
            dependency = Requirement(line)
            if dependency.marker and "extra" in str(dependency.marker):
                continue
            queue.append(canonicalize_name(dependency.name))
    assert set(pins) - reached == set(), "locked but needed by nothing: run requirements/update"


def test_what_is_installed_here_is_what_the_lock_says():
    """The suite runs on the lock's versions, as the README's test command installs them."""
    environment = default_environment()
    for name, (version, marker) in _pins("dev.lock").items():
        if marker and not Requirement(f"{name}; {marker}").marker.evaluate(environment):
            continue
        assert metadata.version(name) == version, (
            f"{name} {metadata.version(name)} is installed, the lock says {version}: "
            "install with the README's test command")


def test_every_install_reads_the_locks():
    readme = (ROOT / "README.md").read_text()
    assert "pip install -r requirements/runtime.lock -e ." in readme
    assert "pip install -r requirements/dev.lock -e \".[dev]\"" in readme
    heroku = (ROOT / "requirements.txt").read_text().split()
    assert heroku[:2] == ["-r", "requirements/runtime.lock"] and "." in heroku
