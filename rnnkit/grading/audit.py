"""Static audit of the student's cells: flag code that could fake a score (never zero it).

Which cells: every code cell that is not the instructor's own text. A cell counts as the
instructor's only when its source is, unchanged, a non-answer code cell of the instructor's
notebook (``audit_notebook(nb, instructor=...)``); without the instructor's notebook, every cell
that its metadata does not mark as a locked or test cell. Labels in a submission are the
student's to forge (``solution: false``), so they never exempt a cell on their own.

An instructor reads the flags (the export shows a "flagged" column); most flagged code is
innocent, so nothing here changes a grade. Rules:

  grading-import     imports any part of rnnkit except rnnkit.data (the reference, the fast
                     kernels, optimizers and analysis: answers to copy; the checker)
  grading-use        uses the kit / check(...) in an answer
  check-rebind       binds the name `check` (so a test cell would call something else)
  oracle-import      imports another implementation to copy (torch, tensorflow, jax, ...)
  introspection      reaches code or modules through the interpreter: frames, __globals__,
                     __dict__, gc, inspect, ctypes, pkgutil, vars(), globals()[...], objmode
  hook               replaces an interpreter hook (sys.displayhook, excepthook, settrace, ...)
  process            starts another process or loads pickled code (subprocess, os.system, pickle)
  magic              an IPython magic or shell escape other than %time/%timeit/%matplotlib
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
    "grading-import": "imports the kit's answers or the checker",
    "grading-use": "uses the kit's answers or the checker",
    "check-rebind": "rebinds the name check",
    "oracle-import": "imports another implementation",
    "introspection": "reaches code through the interpreter",
    "hook": "replaces an interpreter hook",
    "process": "starts a process or loads pickled code",
    "magic": "runs a magic or shell command",
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
_GUARDED = ("rnnkit",)
_ALLOWED = ("rnnkit.data",)  # the data loaders a notebook may use in answers
_ORACLES = {"torch", "tensorflow", "jax", "keras", "mxnet", "paddle", "cupy", "chainer", "trax"}
_INTROSPECTION_MODULES = {"gc", "inspect", "ctypes", "pkgutil", "types", "code", "codeop",
                          "dis", "marshal", "traceback", "linecache", "site", "zipimport"}
_PROCESS_MODULES = {"subprocess", "multiprocessing", "pickle", "dill", "cloudpickle", "shelve",
                    "runpy", "pty", "concurrent"}
_PROCESS_CALLS = {"os.system", "os.popen", "os.fork", "os.execv", "os.execve", "os.execl",
                  "os.execvp", "os.spawnl", "os.spawnv", "os.posix_spawn", "os.kill", "os.killpg"}
_INTROSPECTION_ATTRS = {"__globals__", "__dict__", "__code__", "__closure__", "__subclasses__",
                        "__mro__", "__bases__", "__self__", "__wrapped__", "__func__",
                        "__loader__", "__spec__", "__getattribute__", "__reduce__",
                        "__reduce_ex__", "__class_getitem__", "__init_subclass__",
                        "f_back", "f_globals", "f_locals", "f_builtins", "gi_frame",
                        "cr_frame", "tb_frame", "tb_next", "py_func", "objmode"}
_HOOKS = {"sys.displayhook", "sys.excepthook", "sys.settrace", "sys.setprofile",
          "sys.breakpointhook", "sys.addaudithook", "sys.meta_path", "sys.path_hooks",
          "sys.path_importer_cache", "sys._getframe", "sys.stdout", "sys.stderr",
          "sys.__displayhook__", "sys.__excepthook__", "sys.exit", "sys.path"}
_OK_MAGICS = ("%time", "%timeit", "%matplotlib", "%%time", "%%timeit")
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


def _within(module, tops):
    return any(module == g or module.startswith(g + ".") for g in tops)


def _guarded(module):
    return _within(module, _GUARDED) and not _within(module, _ALLOWED)


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
            if (a.asname or a.name) == "check":
                self.flag(node, "check-rebind")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self._import(node, module)
        for a in node.names:
            self._import(node, f"{module}.{a.name}")
            if (a.asname or a.name) in ("check", "*"):
                self.flag(node, "check-rebind")
        self.generic_visit(node)

    def _bind(self, node, name):
        if name == "check":
            self.flag(node, "check-rebind")

    def visit_FunctionDef(self, node):
        self._bind(node, node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._bind(node, node.name)
        self.generic_visit(node)

    def visit_Global(self, node):
        for name in node.names:
            self._bind(node, name)
        self.generic_visit(node)

    def visit_With(self, node):
        for item in node.items:
            expr = item.context_expr
            target = expr.func if isinstance(expr, ast.Call) else expr
            if (_dotted(target) or "").split(".")[-1] == "objmode":
                self.flag(node, "introspection")
        self.generic_visit(node)

    def _import(self, node, module):
        if _guarded(module):
            self.flag(node, "grading-import")
        top = module.split(".")[0]
        if top in _ORACLES:
            self.flag(node, "oracle-import")
        if top in _INTROSPECTION_MODULES or module in ("numba.objmode", "numba.core.dispatcher"):
            self.flag(node, "introspection")
        if top in _PROCESS_MODULES or module in _PROCESS_CALLS:
            self.flag(node, "process")
        if top == "IPython" or top == "ipykernel":
            self.flag(node, "get-ipython")
        if module in _HOOKS or (top == "sys" and module.split(".")[-1] in
                                {h.split(".")[1] for h in _HOOKS}):
            self.flag(node, "hook")
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
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._bind(node, node.id)
        if node.id in ("globals", "vars", "locals") and not isinstance(node.ctx, ast.Store):
            self.flag(node, "introspection")
        if node.id == "objmode":
            self.flag(node, "introspection")
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
            if full in _HOOKS:
                self.flag(node, "hook")
            if full in _PROCESS_CALLS:
                self.flag(node, "process")
            if full.split(".")[0] in _INTROSPECTION_MODULES and full.split(".")[0] in self.modules:
                self.flag(node, "introspection")
            if full.split(".")[0] == "IPython":
                self.flag(node, "get-ipython")
        if node.attr in _INTROSPECTION_ATTRS:
            self.flag(node, "introspection")
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


def _is_instructor_locked(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("locked")) or (bool(meta.get("grade")) and not meta.get("solution"))


def _normal(source):
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def instructor_sources(instructor):
    """The unchanged-text set of the instructor notebook's code cells that are not answers."""
    return {_normal(c.get("source", "")) for c in instructor.get("cells", [])
            if c.get("cell_type") == "code"
            and not c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def _magic_flags(source, cell_id):
    flags = []
    for k, line in enumerate(source.splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) and not stripped.startswith(_OK_MAGICS):
            flags.append(Flag(cell_id, k, "magic", stripped[:120]))
    return flags


def audit_notebook(nb, instructor=None, restored=False):
    """Flags for every student cell of a notebook.

    instructor: the instructor's notebook (the source, with solutions): a cell whose source is,
    unchanged, one of its non-answer code cells is the instructor's and is not audited. Without
    it, the notebook is taken as its own instructor's (the old rule: answer cells only) when
    ``instructor is None``; pass ``instructor=False`` to audit every cell that its metadata does
    not mark as locked or a test (labels can be forged: prefer the instructor's notebook).
    restored: the notebook went through nbgrader's sanitizers (OverwriteCells), so a cell that
    has a grade_id and is locked holds the gradebook's own source (a test cell, say) and is
    the instructor's whatever the grader later adds to it (the seeds it chooses).
    """
    cells = nb.get("cells", [])
    sources = [c.get("source", "") for c in cells if c.get("cell_type") == "code"]
    modules = module_aliases(sources)
    if instructor is None:
        exempt = instructor_sources(nb)
    elif instructor is False:
        exempt = set()
    else:
        exempt = instructor_sources(instructor)
    flags = []
    for k, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if _normal(source) in exempt or not source.strip():
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if restored and meta.get("grade_id") and meta.get("locked"):
            continue
        if instructor is False and _is_instructor_locked(cell):
            continue
        cell_id = meta.get("grade_id") or cell.get("id") or f"cell-{k}"
        flags += audit_source(source, cell_id, modules)
        flags += _magic_flags(source, cell_id)
    return flags
