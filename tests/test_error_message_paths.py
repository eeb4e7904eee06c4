"""Every file or doc an error message (or warning, or log line) points to
exists, so a pointer in a message never leads nowhere."""
import ast
import os
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SOURCES = ('selfkd_seg', 'tools', 'demo')
# a repository path: configs/..., docs/..., tools/..., demo/..., or README.md
PATH = re.compile(r'(?<![\w./-])((?:configs|docs|tools|demo)/[\w./-]*\w'
                  r'|README(?:\.md)?)(?![\w-])')
# calls whose string arguments reach the user
REPORTING = re.compile(r'(Error|Exception|Warning|warn|print_log|exit|'
                       r'error|warning|info|fail)$')


def _strings(node):
    """Literal text of a str constant or f-string (the constant parts)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield ''.join(
            v.value for v in node.values if isinstance(v, ast.Constant))
    elif isinstance(node, ast.BinOp):  # 'a' + 'b' or '%' formatting
        yield from _strings(node.left)
        yield from _strings(node.right)


def _call_name(call):
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(
        func, 'id', '')


def _messages():
    """(file:line, text) for each string passed to a reporting call."""
    for top in SOURCES:
        for folder, _, names in os.walk(osp.join(ROOT, top)):
            for name in names:
                if not name.endswith('.py'):
                    continue
                path = osp.join(folder, name)
                with open(path, encoding='utf-8') as f:
                    tree = ast.parse(f.read(), path)
                for node in ast.walk(tree):
                    if not isinstance(node, ast.Call) or \
                            not REPORTING.search(_call_name(node)):
                        continue
                    for arg in list(
                            node.args) + [k.value for k in node.keywords]:
                        for text in _strings(arg):
                            where = f'{osp.relpath(path, ROOT)}:{node.lineno}'
                            yield where, text


def test_the_scan_sees_the_messages_it_should():
    """The checker finds known pointers (so it cannot pass vacuously)."""
    found = {p for _, text in _messages() for p in PATH.findall(text)}
    assert 'docs/sfd.md' in found
    assert 'tools/dataset_converters/make_toy_voc.py' in found
    assert PATH.findall('see configs/sfd/README)') == ['configs/sfd/README']


def test_every_path_named_in_a_message_exists():
    missing = []
    for where, text in _messages():
        for path in PATH.findall(text):
            path = path.rstrip('.')
            if path == 'README':
                path = 'README.md'
            if not osp.exists(osp.join(ROOT, path)):
                missing.append(f'{where}: {path}')
    if missing:
        pytest.fail('messages point to files that do not exist:\n' +
                    '\n'.join(missing))
