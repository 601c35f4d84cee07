"""``kb whats-new``: what changed in the content since a date (from git, else review dates)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import yaml

from ..loader import load_content
from ._shared import _content_dir, _flows_module, messages


def _git(cwd: Path, *argv: str) -> str:
    res = subprocess.run(["git", *argv], cwd=cwd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise subprocess.CalledProcessError(res.returncode, argv, res.stdout, res.stderr)
    return res.stdout


def _units(path: str, text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """The content units in one YAML file: {(kind, id): (title, canonical json)}."""
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}
    out = {}
    if not isinstance(data, dict):
        return out
    if isinstance(data.get("items"), list):
        for it in data["items"]:
            if isinstance(it, dict) and it.get("id"):
                out[(str(it.get("type", "item")), str(it["id"]))] = (str(it.get("title", it["id"])), json.dumps(it, sort_keys=True, default=str))
    elif isinstance(data.get("terms"), list):
        for t in data["terms"]:
            if isinstance(t, dict) and t.get("term"):
                out[("term", str(t["term"]))] = (str(t["term"]), json.dumps(t, sort_keys=True, default=str))
    elif data.get("id") and "/tests/" not in f"/{path}":
        kind = "refresher" if "/refreshers/" in f"/{path}" else "flow" if "/flows/" in f"/{path}" else "item"
        out[(kind, str(data["id"]))] = (str(data.get("title", data["id"])), json.dumps(data, sort_keys=True, default=str))
    return out


class _Blobs:
    """Reads ``commit:path`` blobs through one ``git cat-file --batch`` process."""

    def __init__(self, repo: Path):
        self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def read(self, commit: str, path: str) -> str | None:
        self.proc.stdin.write(f"{commit}:{path}\n".encode())
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().decode().split()
        if len(header) != 3 or header[1] != "blob":
            return None  # missing at this commit
        data = self.proc.stdout.read(int(header[2]) + 1)[:-1]
        return data.decode("utf-8", errors="replace")

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def _snapshot(repo: Path, blobs: _Blobs, commit: str | None, paths: list[str] | None = None) -> dict:
    if commit is None:
        return {}
    if paths is None:
        paths = [p for p in _git(repo, "ls-tree", "-r", "--name-only", "--full-name", commit, "--", ".").splitlines()
                 if p.endswith((".yml", ".yaml"))]
    units: dict = {}
    for p in paths:
        if Path(p).name.startswith("_"):
            continue
        text = blobs.read(commit, p)
        if text is not None:
            units.update(_units(p, text))
    return units


def changes_from_git(content_dir: Path, since: dt.date) -> list[dict]:
    """Item-level changes between the last commit before ``since`` and HEAD, each
    dated by the last commit that touched that item. Raises CalledProcessError when
    ``content_dir`` is not in a git checkout."""
    repo = content_dir.resolve()
    _git(repo, "rev-parse", "--show-prefix")  # raises outside a git checkout
    since_s = f"{since.isoformat()} 00:00:00"
    base = _git(repo, "rev-list", "-1", f"--before={since_s}", "HEAD", "--", ".").strip() or None
    head = _git(repo, "rev-parse", "HEAD").strip()
    blobs = _Blobs(repo)
    try:
        return _diff_history(repo, blobs, base, head, since, since_s)
    finally:
        blobs.close()


def _diff_history(repo: Path, blobs: _Blobs, base: str | None, head: str, since: dt.date, since_s: str) -> list[dict]:
    before, after = _snapshot(repo, blobs, base), _snapshot(repo, blobs, head)
    last_touch: dict[tuple[str, str], str] = {}
    log = _git(repo, "log", "--reverse", "--format=%H %cs", f"--since={since_s}", "HEAD", "--", ".").splitlines()
    for line in log:
        sha, day = line.split()
        parents = _git(repo, "rev-list", "--parents", "-n", "1", sha).split()[1:]
        parent = parents[0] if parents else None
        files = [f for f in _git(repo, "diff-tree", "--root", "--no-commit-id", "--name-only", "-r", sha, "--", ".").splitlines()
                 if f.endswith((".yml", ".yaml"))]
        old, new = _snapshot(repo, blobs, parent, files), _snapshot(repo, blobs, sha, files)
        for key in set(old) | set(new):
            if old.get(key, (None, None))[1] != new.get(key, (None, None))[1]:
                last_touch[key] = day
    out = []
    for key in set(before) | set(after):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None and b[1] == a[1]:
            continue
        change = "added" if b is None else "removed" if a is None else "changed"
        title = (a or b)[0]
        out.append({"date": last_touch.get(key, since.isoformat()), "change": change, "kind": key[0], "id": key[1], "title": title})
    return sorted(out, key=lambda r: (r["date"], r["change"], r["kind"], r["id"]))


def changes_from_reviews(content_dir: Path, since: dt.date) -> list[dict]:
    """Fallback without git: items whose last_reviewed is on or after ``since``."""
    out = []
    content = load_content(content_dir)
    units = [(i.type, i.id, i.title, i.last_reviewed) for i in content.items]
    flows = _flows_module()
    if flows is not None and (content_dir / "flows").is_dir():
        units += [("flow", f.id, f.title, f.last_reviewed) for f in flows.validate_flows(content_dir / "flows")[0].values()]
    if (content_dir / "refreshers").is_dir():
        from ..refreshers import validate_refreshers

        mods, _ = validate_refreshers(content_dir / "refreshers", cross_check=False)
        units += [("refresher", m.id, m.title, m.last_reviewed) for m in mods.values()]
    for kind, uid, title, reviewed in units:
        if reviewed >= since:
            out.append({"date": reviewed.isoformat(), "change": "reviewed", "kind": kind, "id": uid, "title": title})
    return sorted(out, key=lambda r: (r["date"], r["kind"], r["id"]))


def cmd_whats_new(args) -> int:
    since = args.since or (dt.date.today() - dt.timedelta(days=30))
    content_dir = _content_dir(args)
    try:
        rows, source = changes_from_git(content_dir, since), "git"
    except (subprocess.CalledProcessError, FileNotFoundError):
        rows, source = changes_from_reviews(content_dir, since), "last_reviewed"
    if args.json:
        print(json.dumps({"since": since.isoformat(), "source": source, "changes": rows}, indent=2))
        return 0
    m = messages()["whats_new"]
    if not rows:
        print(m["none"].format(since=since))
        return 0
    print(m["header"].format(since=since))
    if source != "git":
        print(m["fallback"].format(since=since))
    day = None
    for r in rows:
        if r["kind"] == "term":
            continue  # search words are summarised below, not listed
        if r["date"] != day:
            day = r["date"]
            print(m["day"].format(date=day))
        print(m[r["change"]].format(**r))
    terms = sum(1 for r in rows if r["kind"] == "term")
    if terms:
        print(m["terms"].format(count=terms))
    print(m["footer"])
    return 0
