"""Static audit of answer cells: flag code that could fake a score (flag it, never zero it).

An instructor reads the flags (the export shows a "flagged" column); most flagged code is
innocent, so nothing here changes a grade. Rules:

  grading-import     imports rnnkit.reference / rnnkit.grading (the answer to copy, the checker)
  grading-use        uses rnnkit.reference / rnnkit.grading / check(...) in an answer
  get-ipython        get_ipython(): reach into the kernel (hooks, events, user namespace)
  sys-modules        sys.modules: swap or patch imported modules
  module-assign      assigns/deletes an attribute of an imported module (np.allclose = ...)
  setattr-module     setattr/delattr/__setattr__ on an imported module
  getattr-module     getattr(module, <computed name>): reach a module's contents by a built name
  os-exit            os._exit / os.kill: end the kernel before a test can fail
  builtins           builtins / __builtins__: patch print, AssertionError, ...
  dynamic-code       exec / eval / compile / __import__
  importlib          importlib: import or reload modules by name
  globals-write      globals()[...] = ..., globals().update(...), vars()/locals() writes
"""
import ast
from dataclasses import asdict, dataclass

RULES = {
    "grading-import": "imports the reference or the checker",
    "grading-use": "uses the reference or the checker",
    "get-ipython": "reaches into the IPython kernel",
    "sys-modules": "touches sys.modules",
    "module-assign": "changes an attribute of an imported module",
    "setattr-module": "setattr/delattr on an imported module",
    "getattr-module": "looks up a module attribute by a computed name",
    "os-exit": "can end the kernel abruptly",
    "builtins": "touches builtins",
    "dynamic-code": "runs dynamically built code",
    "importlib": "imports modules dynamically",
    "globals-write": "writes to globals()",
}
_GUARDED = ("rnnkit.reference", "rnnkit.grading")
_DYNAMIC = {"exec", "eval", "compile", "__import__"}


@dataclass
class Flag:
    cell_id: str
    line: int
    rule: str
    text: str

    def as_dict(self):
        return asdict(self)

    def __str__(self):
        return (f"cell {self.cell_id}, line {self.line}: {self.rule} ({RULES[self.rule]}): "
                f"{self.text}")


def _plain_python(source):
    """Magics and shell escapes become `pass` so that line numbers stay right."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines.append(line[:len(line) - len(stripped)] + "pass")
        else:
            lines.append(line)
    return "\n".join(lines)


def _dotted(node):
    """'a.b.c' for an Attribute/Name chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _guarded(module):
    return any(module == g or module.startswith(g + ".") for g in _GUARDED)


def module_aliases(sources):
    """Names bound to modules by imports anywhere in `sources` (alias -> module)."""
    aliases = {}
    for source in sources:
        try:
            tree = ast.parse(_plain_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        aliases[a.name.split(".")[0]] = a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:  # `from numpy import linalg` may bind a module
                    aliases.setdefault(a.asname or a.name, f"{node.module}.{a.name}")
    return aliases


class _Auditor(ast.NodeVisitor):
    def __init__(self, cell_id, lines, modules):
        self.cell_id, self.lines, self.modules, self.flags = cell_id, lines, modules, []

    def flag(self, node, rule):
        line = getattr(node, "lineno", 0)
        text = self.lines[line - 1].strip()[:120] if 0 < line <= len(self.lines) else ""
        if not any(f.line == line and f.rule == rule for f in self.flags):
            self.flags.append(Flag(self.cell_id, line, rule, text))

    def _is_module(self, node):
        """Is this expression an imported module (or an attribute path inside one)?"""
        root = _root(node)
        return root is not None and root in self.modules

    # imports
    def visit_Import(self, node):
        for a in node.names:
            self._import(node, a.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self._import(node, module)
        for a in node.names:
            self._import(node, f"{module}.{a.name}")
        self.generic_visit(node)

    def _import(self, node, module):
        if _guarded(module):
            self.flag(node, "grading-import")
        top = module.split(".")[0]
        if top == "builtins":
            self.flag(node, "builtins")
        if top == "importlib":
            self.flag(node, "importlib")
        if module in ("os._exit", "os.kill"):
            self.flag(node, "os-exit")
        if module == "sys.modules":
            self.flag(node, "sys-modules")
        if module == "IPython.get_ipython":
            self.flag(node, "get-ipython")

    # names and attributes
    def visit_Name(self, node):
        if node.id == "get_ipython":
            self.flag(node, "get-ipython")
        elif node.id == "__builtins__":
            self.flag(node, "builtins")
        elif node.id == "check" and self.modules.get("check", "").startswith("rnnkit.grading"):
            self.flag(node, "grading-use")
        elif node.id in self.modules and _guarded(self.modules[node.id]):
            self.flag(node, "grading-use")

    def visit_Attribute(self, node):
        dotted = _dotted(node)
        if dotted:
            root, _, rest = dotted.partition(".")
            full = f"{self.modules.get(root, root)}.{rest}" if rest else dotted
            if _guarded(full):
                self.flag(node, "grading-use")
            if full.startswith("sys.modules"):
                self.flag(node, "sys-modules")
            if full in ("os._exit", "os.kill"):
                self.flag(node, "os-exit")
        self.generic_visit(node)

    # writes
    def _target(self, target, node):
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._target(t, node)
        elif isinstance(target, ast.Attribute) and self._is_module(target):
            self.flag(node, "module-assign")
        elif isinstance(target, ast.Subscript) and self._is_module(target.value):
            self.flag(node, "module-assign")  # np.__dict__["allclose"] = ...
        elif isinstance(target, ast.Subscript):
            call = target.value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
                    call.func.id in ("globals", "vars", "locals"):
                self.flag(node, "globals-write")

    def visit_Assign(self, node):
        for t in node.targets:
            self._target(t, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for t in node.targets:
            self._target(t, node)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in _DYNAMIC:
                self.flag(node, "dynamic-code")
            if func.id in ("setattr", "delattr") and node.args and self._is_module(node.args[0]):
                self.flag(node, "setattr-module")
            if func.id == "getattr" and len(node.args) >= 2 and self._is_module(node.args[0]) \
                    and not isinstance(node.args[1], ast.Constant):
                self.flag(node, "getattr-module")
        if isinstance(func, ast.Attribute) and func.attr in ("__setattr__", "__delattr__"):
            self.flag(node, "setattr-module")
        if isinstance(func, ast.Attribute) and func.attr in ("update", "__setitem__", "setdefault",
                                                            "pop") \
                and isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name) \
                and func.value.func.id in ("globals", "vars"):
            self.flag(node, "globals-write")
        self.generic_visit(node)


def audit_source(source, cell_id="", modules=None):
    """Flags for one cell's source; `modules` maps names to the modules they were imported as."""
    lines = source.splitlines()
    try:
        tree = ast.parse(_plain_python(source))
    except SyntaxError:
        return []  # the student's syntax error already costs the points; nothing to audit
    aliases = dict(modules or {})
    aliases.update(module_aliases([source]))
    auditor = _Auditor(cell_id, lines, aliases)
    auditor.visit(tree)
    return sorted(auditor.flags, key=lambda f: (f.line, f.rule))


def _is_answer_cell(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("solution"))


def audit_notebook(nb):
    """Flags for every answer cell (nbgrader metadata solution: true) of a notebook."""
    sources = [c.get("source", "") for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    modules = module_aliases(sources)
    flags = []
    for k, cell in enumerate(nb.get("cells", [])):
        if _is_answer_cell(cell):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            cell_id = meta.get("grade_id") or cell.get("id") or f"cell-{k}"
            flags += audit_source(cell.get("source", ""), cell_id, modules)
    return flags
