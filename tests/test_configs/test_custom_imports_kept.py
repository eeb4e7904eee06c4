"""A config that sets ``custom_imports`` replaces its base configs' (mmengine
merges the dict, and the ``imports`` list is replaced): every config of
this project that sets it keeps the imports its bases have (issue 33: a
zoo config importing ``mmdet.models`` must not lose it)."""
import ast
import glob
import os.path as osp

import pytest
from mmengine.config import Config

import selfkd_seg  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SETS_IMPORTS = sorted(
    p for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if 'custom_imports' in open(p, encoding='utf-8').read())


def _bases(path):
    tree = ast.parse(open(path, encoding='utf-8').read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            value = ast.literal_eval(node.value)
            return [value] if isinstance(value, str) else list(value)
    return []


def _imports(cfg):
    imports = (cfg.get('custom_imports') or {}).get('imports') or []
    return [imports] if isinstance(imports, str) else list(imports)


def _load(base, config_path):
    if '::' in base:
        from mmengine.hub import get_config
        return get_config(base)
    return Config.fromfile(
        osp.normpath(osp.join(osp.dirname(config_path), base)),
        import_custom_modules=False)


def test_there_are_such_configs():
    assert len(SETS_IMPORTS) >= 10


@pytest.mark.parametrize(
    'path', SETS_IMPORTS, ids=lambda p: osp.relpath(p, REPO))
def test_imports_of_the_bases_are_kept(path):
    final = _imports(Config.fromfile(path))
    assert 'selfkd_seg' in final
    for base in _bases(path):
        lost = [m for m in _imports(_load(base, path)) if m not in final]
        assert lost == [], f'{base} imports {lost}, dropped by {path}'


def test_the_check_can_fail(tmp_path):
    base = tmp_path / 'base.py'
    base.write_text("custom_imports = dict(imports=['mmdet.models'])\n")
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['./base.py']\n"
                     "custom_imports = dict(imports=['selfkd_seg'])\n")
    final = _imports(Config.fromfile(str(child), import_custom_modules=False))
    assert [
        m for m in _imports(_load('./base.py', str(child))) if m not in final
    ] == ['mmdet.models']
