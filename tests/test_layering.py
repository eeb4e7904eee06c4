"""The package's floors: a module imports only from its own floor or the
floors below it (docs/architecture.md).  Every import counts, also those
inside functions, so a lazy import cannot hide an upward dependency."""
import ast
import os
import os.path as osp

import selfkd_seg

PACKAGE = osp.dirname(selfkd_seg.__file__)

# floor of each top-level part of selfkd_seg; a higher number is a higher floor
FLOORS = {
    'version': 0,
    'import_hook': 0,
    'compat': 0,
    'registry': 0,
    'utils': 0,
    'models': 1,
    'datasets': 1,
    'engine': 1,
    'apis': 2,
    'analysis': 3,
    'deploy': 3,
    'converters': 3,
}
# the checkout's research code (experiments, benchmarks, synthetic data) is
# no part of the package: the library never imports it (docs/architecture.md,
# "The library boundary")
OUTSIDE = ('selfkd_research', 'tests', 'tiny_configs')


def _modules():
    for root, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith('.py'):
                path = osp.join(root, name)
                rel = osp.relpath(path, PACKAGE)[:-3].split(os.sep)
                yield path, rel


def _imported_parts(path, rel):
    """The top-level parts of selfkd_seg that the file at ``path`` imports."""
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    package = rel[:-1]  # the package the module is in
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                mod = base + (node.module.split('.') if node.module else [])
                if not mod:  # "from . import x" at the package root
                    mod = [node.names[0].name]
                names = ['.'.join(['selfkd_seg'] + mod)]
            else:
                names = [node.module or '']
                if node.module == 'selfkd_seg':
                    names = [f'selfkd_seg.{a.name}' for a in node.names]
        for name in names:
            parts = name.split('.')
            if parts[0] == 'selfkd_seg' and len(parts) > 1:
                yield parts[1], node.lineno


def upward_imports():
    found = []
    for path, rel in _modules():
        own = rel[0]
        if own == '__init__':
            continue  # the package root registers the floors below it
        for part, line in _imported_parts(path, rel):
            if part in FLOORS and FLOORS[part] > FLOORS[own]:
                found.append(f'{osp.relpath(path, PACKAGE)}:{line} imports '
                             f'selfkd_seg.{part} (floor {FLOORS[part]} > '
                             f'{FLOORS[own]})')
    return found


def test_every_part_of_the_package_has_a_floor():
    parts = {rel[0] for _, rel in _modules()} - {'__init__'}
    assert parts <= set(FLOORS), parts - set(FLOORS)


def test_no_module_imports_a_higher_floor():
    assert upward_imports() == []


def test_the_walk_sees_lazy_and_relative_imports(tmp_path):
    src = tmp_path / 'm.py'
    src.write_text('def f():\n    from selfkd_seg.apis import train\n'
                   'from ...analysis import benchmark\n')
    assert sorted(
        p for p, _ in _imported_parts(str(src), ['engine', 'hooks', 'm'])) == [
            'analysis', 'apis'
        ]


def test_apis_is_small():
    modules = [
        n for n in os.listdir(osp.join(PACKAGE, 'apis')) if n.endswith('.py')
    ]
    assert len(modules) <= 8, modules


# ------------------------------------------------------ the library boundary
def _is_file_dunder(node) -> bool:
    return isinstance(node, ast.Name) and node.id == '__file__'


def _dirname_depth(node) -> int:
    """How many ``dirname`` calls wrap ``__file__`` in ``node`` (0: none)."""
    depth = 0
    while isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(
            func, 'id', '')
        if name == 'dirname':
            depth += 1
        elif name not in ('abspath', 'realpath', 'normpath'):
            return 0
        node = node.args[0]
    return depth if _is_file_dunder(node) else 0


def _parents_depth(node) -> int:
    """``Path(__file__).parent.parent`` / ``.parents[N]``: the levels up."""
    depth = 0
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute) and node.attr == 'parent':
            depth += 1
        elif isinstance(node, ast.Subscript) and isinstance(
                node.value, ast.Attribute) and node.value.attr == 'parents':
            index = node.slice
            depth += (
                index.value + 1 if isinstance(index, ast.Constant)
                and isinstance(index.value, int) else 2)
            node = node.value
        node = node.value
        while isinstance(node, ast.Call) and isinstance(
                node.func, ast.Attribute) and node.func.attr in (
                    'resolve', 'absolute') and not node.args:
            node = node.func.value  # Path(__file__).resolve().parent
    if isinstance(node, ast.Call) and node.args and _is_file_dunder(
            node.args[0]):
        return depth
    return 0


def checkout_assumptions(source: str, path: str = '<src>') -> list:
    """What in ``source`` assumes a source checkout: an import of the
    research code or the tests' helpers, a walk from ``__file__`` up to the
    package's parent or beyond (a module may find files of its own folder,
    ``dirname(__file__)``, and of its package, ``dirname(dirname(...))`` of a
    subpackage module is rejected as well), a ``REPO``/``ROOT`` name from
    ``__file__``, or a ``tools/*.py`` script path in code."""
    found = []
    tree = ast.parse(source, path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or '']
        else:
            names = []
        for name in names:
            if name.split('.')[0] in OUTSIDE:
                found.append(f'{path}:{node.lineno} imports {name}')
        if isinstance(node, ast.Call) and _dirname_depth(node) >= 2:
            found.append(f'{path}:{node.lineno} walks up from __file__')
        if isinstance(node, (ast.Attribute, ast.Subscript)) and \
                _parents_depth(node) >= 2:
            found.append(f'{path}:{node.lineno} walks up from __file__')
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.upper() in ('REPO', 'ROOT')
                for t in node.targets) and any(
                    _is_file_dunder(n) for n in ast.walk(node.value)):
            found.append(f'{path}:{node.lineno} REPO/ROOT from __file__')
        if isinstance(node, ast.Call):
            # tools/<x>.py as an argument (a command, a joined path)
            for arg in list(node.args) + [k.value for k in node.keywords]:
                for sub in ast.walk(arg):
                    if isinstance(sub, ast.Constant) and isinstance(
                            sub.value,
                            str) and (sub.value == 'tools' or
                                      (sub.value.startswith('tools/')
                                       and sub.value.endswith('.py'))):
                        found.append(f'{path}:{node.lineno} names the tool '
                                     f'{sub.value!r}')
    return sorted(set(found))


def test_the_library_assumes_no_checkout():
    """``pip install`` ships selfkd_seg alone: no module imports the research
    code, walks from ``__file__`` to a checkout or starts ``tools/*.py``."""
    found = []
    for path, _ in _modules():
        with open(path, encoding='utf-8') as f:
            found += checkout_assumptions(f.read(), osp.relpath(path, PACKAGE))
    assert found == []


def test_the_boundary_scan_sees_checkout_walks():
    src = '\n'.join([
        'import os.path as osp',
        'from pathlib import Path',
        'import subprocess',
        'HERE = osp.dirname(__file__)',  # own folder: fine
        'REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))',
        'root = Path(__file__).parents[2]',
        'up = Path(__file__).resolve().parent.parent',
        'def f():',
        '    from selfkd_research.experiments import experiment',
        '    subprocess.run(["python", "tools/train.py", "cfg.py"])',
        '    return osp.join(HERE, "..", "tools", "test.py")',
    ])
    found = checkout_assumptions(src)
    assert {int(line.split(':')[1].split()[0])
            for line in found} == {5, 6, 7, 9, 10, 11}, found
    assert checkout_assumptions(
        'import os.path as osp\n'
        'HERE = osp.dirname(osp.abspath(__file__))\n'
        '"""python tools/train.py CONFIG"""\n'
        'print("toy data: tools/dataset_converters/make_toy_voc.py")\n') == []


def test_the_research_code_is_not_installed():
    """setup.py ships ``selfkd_seg`` and its subpackages only."""
    import re
    setup = open(osp.join(osp.dirname(PACKAGE), 'setup.py')).read()
    assert re.search(
        r"packages=find_packages\(\s*include=\(\s*'selfkd_seg',"
        r"\s*'selfkd_seg\.\*'\s*\)\)", setup)


# ------------------------------------------- command lines live in tools/
def command_line_parsing(source: str, path: str = '<src>') -> list:
    """What in ``source`` parses a command line: an import of ``argparse``
    (or a use of it, ``ArgumentParser``, mmengine's ``DictAction``), a
    top-level ``main``/``parse_args`` function, an ``if __name__ ==
    '__main__'`` guard.  The scripts in ``tools/`` parse, the library takes
    explicit arguments (as mmseg's ``apis`` and ``tools/``)."""
    found = []
    tree = ast.parse(source, path)
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ''] + [a.name for a in node.names]
        elif isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        for name in names:
            if name.split('.')[0] in ('argparse', 'ArgumentParser',
                                      'DictAction'):
                found.append(f'{path}:{node.lineno} uses {name}')
        if isinstance(node, ast.Compare) and isinstance(
                node.left, ast.Name) and node.left.id == '__name__' and any(
                    isinstance(c, ast.Constant) and c.value == '__main__'
                    for c in node.comparators):
            found.append(f'{path}:{node.lineno} runs as a script')
    for node in tree.body:
        if isinstance(node,
                      ast.FunctionDef) and node.name in ('main', 'parse_args'):
            found.append(f'{path}:{node.lineno} defines {node.name}()')
    return sorted(set(found))


def test_no_module_of_the_package_parses_a_command_line():
    found = []
    for path, _ in _modules():
        with open(path, encoding='utf-8') as f:
            found += command_line_parsing(f.read(), osp.relpath(path, PACKAGE))
    assert found == []


def test_the_command_line_scan_sees_parsers():
    src = '\n'.join([
        'import sys',
        'import argparse',
        'from argparse import ArgumentParser',
        'from mmengine.config import DictAction',
        'def main(argv=None):',
        '    return argparse.Namespace()',
        'def parse_args():',
        '    pass',
        'if __name__ == "__main__":',
        '    main()',
        'ok = sys.modules.get("__main__")',
    ])
    found = command_line_parsing(src)
    assert {int(line.split(':')[1].split()[0])
            for line in found} == {2, 3, 4, 5, 6, 7, 9}, found
