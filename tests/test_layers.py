"""The arrows run one way: fronts -> backend.slack -> the domain -> models, and never in a circle.

Read from the code's own imports (every `import`, also inside functions, since an import deferred
to a function is still an arrow), so the design cannot drift in silence:

- `models` (tables and migrations) import nothing of ours;
- the domain core (`backend.domain`) imports only `models` and the plumbing (`backend.settings`,
  `backend.logs`), and no web, Slack, command-line or scheduler library;
- `backend.slack` (what the app says in Slack) imports the domain and the plumbing;
- each front (`backend.web`, `backend.cli`, `bot`, `jobs`) imports the domain, the plumbing and,
  for those that speak in Slack, `backend.slack`; never another front, and never `models`;
- the composition roots named below are the only places that put fronts together;
- no module reaches itself again through its imports.
"""
import ast
import os
import textwrap
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backend", "bot", "jobs", "models")

# Layer of a module: the longest prefix that names one.
LAYERS = {
    "backend.settings": "plumbing", "backend.logs": "plumbing",
    "models": "models",
    "backend.domain": "domain",
    "backend.slack": "slack",
    "backend.web": "web", "backend.cli": "cli", "bot": "bot", "jobs": "jobs",
}
MAY_IMPORT = {
    "plumbing": {"plumbing"},
    "models": {"models"},
    "domain": {"domain", "models", "plumbing"},
    "slack": {"slack", "domain", "plumbing"},
    "web": {"web", "domain", "plumbing"},
    "cli": {"cli", "domain", "plumbing"},
    "bot": {"bot", "slack", "domain", "plumbing"},
    "jobs": {"jobs", "slack", "domain", "plumbing"},
}
# Where fronts are put together, and what each may reach for besides its own layer's imports.
COMPOSITION_ROOTS = {
    "backend.web.app": {"bot"},  # the Flask app mounts the Slack front at /slack/events
    "backend.cli.processes": {"web", "bot", "jobs"},  # crg serve, crg socket, crg clock
}
# Libraries that belong to one front: the domain must never need them.
FRONT_LIBRARIES = {
    "domain": ("flask", "werkzeug", "slack_sdk", "slack_bolt", "argparse", "apscheduler"),
    "slack": ("flask", "werkzeug", "argparse", "apscheduler", "slack_bolt"),
    "models": ("flask", "werkzeug", "slack_sdk", "slack_bolt", "argparse", "apscheduler"),
}


def layer_of(module: str) -> str | None:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYERS[prefix]
    return None


def modules_under(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py") if (root / package).is_dir() else ():
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(root: Path) -> dict[str, set[str]]:
    """{module: the names it imports} for every module of ours, at any depth of the file."""
    modules = modules_under(root)
    found: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found[module].update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                found[module].add(base)
                found[module].update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _ours(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def problems(root: Path) -> list[str]:
    """Every import that breaks the rules above, and every circle, in plain words."""
    modules = modules_under(root)
    graph: dict[str, set[str]] = defaultdict(set)
    found = []
    for module, names in imports_of(root).items():
        source = layer_of(module)
        for name in names:
            library = name.split(".")[0]
            if library in FRONT_LIBRARIES.get(source, ()):
                found.append(f"{module} ({source}) imports {library}")
            target_module = _ours(name, modules)
            if target_module is None or target_module == module:
                continue
            graph[module].add(target_module)
            target = layer_of(target_module)
            if source is None or target is None or target in MAY_IMPORT[source]:
                continue
            if target in COMPOSITION_ROOTS.get(module, ()):
                continue
            found.append(f"{module} ({source}) imports {target_module} ({target})")
    found += [f"import circle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return sorted(set(found))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected group of modules (Tarjan), as a readable path."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group) + [sorted(group)[0]])

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_arrows_run_one_way_and_never_in_a_circle():
    assert problems(ROOT) == []


def test_every_module_belongs_to_a_layer():
    assert [m for m in modules_under(ROOT) if layer_of(m) is None and m != "backend"] == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    for package in PACKAGES:
        for folder in [tmp_path / package, *(tmp_path / package).rglob("*")]:
            if folder.is_dir() and not (folder / "__init__.py").exists():
                (folder / "__init__.py").write_text("")
    return tmp_path


def test_the_check_fails_on_each_kind_of_forbidden_import(tmp_path):
    root = _tree(tmp_path, {
        "models/tables.py": "from backend.domain import rules\n",
        "backend/domain/rules.py": "import flask\nfrom models import tables\n",
        "backend/domain/money.py": "def f():\n    from bot import handlers\n",
        "backend/slack/words.py": "from backend.web import pages\n",
        "backend/web/pages.py": "from jobs import clock\nfrom models import tables\n",
        "bot/handlers.py": "from jobs.clock import tick\n",
        "jobs/clock.py": "from backend.domain import money\ndef tick():\n    pass\n",
        "backend/cli/processes.py": "from jobs import clock\nfrom bot import handlers\n",
    })
    found = problems(root)
    assert "backend.domain.rules (domain) imports flask" in found
    assert "models.tables (models) imports backend.domain.rules (domain)" in found
    assert "backend.domain.money (domain) imports bot.handlers (bot)" in found
    assert "backend.slack.words (slack) imports backend.web.pages (web)" in found
    assert "backend.web.pages (web) imports jobs.clock (jobs)" in found
    assert "backend.web.pages (web) imports models.tables (models)" in found
    assert "bot.handlers (bot) imports jobs.clock (jobs)" in found
    assert any(p.startswith("import circle: backend.domain.rules -> models.tables") for p in found)
    assert not any(p.startswith("backend.cli.processes") for p in found), found


def test_a_circle_through_a_function_level_import_is_found(tmp_path):
    root = _tree(tmp_path, {
        "jobs/clock.py": "from jobs import messages\nSWEEP_MINUTES = 5\n",
        "jobs/messages.py": "def minutes():\n    from jobs.clock import SWEEP_MINUTES\n",
    })
    assert problems(root) == ["import circle: jobs.clock -> jobs.messages -> jobs.clock"]


def test_the_project_has_no_module_outside_the_layers():
    stray = [p for p in ROOT.glob("*.py")]
    assert stray == [], f"code outside the packages: {stray}"
    assert os.path.isdir(ROOT / "backend" / "domain")
