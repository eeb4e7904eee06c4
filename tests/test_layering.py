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
    'version': 0, 'import_hook': 0, 'compat': 0, 'registry': 0, 'utils': 0,
    'models': 1, 'datasets': 1, 'engine': 1,
    'testing': 2, 'apis': 2,
    'analysis': 3, 'deploy': 3, 'converters': 3,
    'experiments': 4,
}


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
    assert sorted(p for p, _ in _imported_parts(
        str(src), ['engine', 'hooks', 'm'])) == ['analysis', 'apis']


def test_apis_is_small():
    modules = [n for n in os.listdir(osp.join(PACKAGE, 'apis'))
               if n.endswith('.py')]
    assert len(modules) <= 8, modules
