"""The dataset/model converter scripts are thin wrappers: each runs the
``main`` of its library module, with the same command line.  (The
visualization, deployment and complexity tools parse their own command line:
tests/test_tools/test_cls_analysis_tools.py.)"""
import ast
import importlib
import os.path as osp
import runpy
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# script -> (library module, a flag its --help lists)
WRAPPERS = {
    'dataset_converters/cls_image_folders.py':
    ('selfkd_seg.converters.cls_image_folders', '--copy'),
    'dataset_converters/coco_to_voc.py':
    ('selfkd_seg.converters.coco_to_voc', '--skip-missing'),
    'dataset_converters/make_digits.py':
    ('selfkd_research.synthetic_data.digits', '--max-sources-per-class'),
    'dataset_converters/make_toy_coco.py':
    ('selfkd_research.synthetic_data.toy_coco', '--num-train'),
    'dataset_converters/make_toy_voc.py':
    ('selfkd_research.synthetic_data.toy_voc', '--force'),
    'model_converters/repdistiller_to_selfkd.py':
    ('selfkd_seg.converters.repdistiller_convert', '--arch'),
}


@pytest.mark.parametrize('script', sorted(WRAPPERS))
def test_script_imports_main_of_its_module(script):
    module, _ = WRAPPERS[script]
    with open(osp.join(REPO, 'tools', script)) as f:
        tree = ast.parse(f.read())
    imports = [(n.module, [a.name for a in n.names]) for n in tree.body
               if isinstance(n, ast.ImportFrom)]
    assert imports == [(module, ['main'])]
    # no logic of its own: docstring, imports, sys.path, the main guard
    assert not [
        n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
    ]
    assert callable(importlib.import_module(module).main)


@pytest.mark.parametrize('script', sorted(WRAPPERS))
def test_script_help_runs_through_the_library(script, monkeypatch, capsys):
    _, flag = WRAPPERS[script]
    path = osp.join(REPO, 'tools', script)
    monkeypatch.setattr(sys, 'path', list(sys.path))
    monkeypatch.setattr(sys, 'argv', [path, '--help'])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(path, run_name='__main__')
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f'usage: {osp.basename(script)} ')
    assert flag in out
