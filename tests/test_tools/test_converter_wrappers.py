"""The converter scripts of ``selfkd_seg.converters`` parse their own
command line and call the library function (no module of ``selfkd_seg``
parses arguments: tests/test_layering.py); the data
generators of the research code are thin wrappers, each running the
``main`` of its ``selfkd_research`` module.  (The visualization, deployment
and complexity tools: tests/test_tools/test_cls_analysis_tools.py.)"""
import ast
import importlib
import os.path as osp
import runpy
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# script -> (library module, the function its main calls, a flag of --help)
COMMAND_LINES = {
    'dataset_converters/cls_image_folders.py':
    ('selfkd_seg.converters.cls_image_folders', 'convert', '--copy'),
    'dataset_converters/coco_to_voc.py':
    ('selfkd_seg.converters.coco_to_voc', 'convert', '--skip-missing'),
    'model_converters/repdistiller_to_selfkd.py':
    ('selfkd_seg.converters.repdistiller_convert',
     'convert_repdistiller_checkpoint', '--arch'),
}
# script -> (research module, a flag its --help lists)
WRAPPERS = {
    'dataset_converters/make_digits.py':
    ('selfkd_research.synthetic_data.digits', '--max-sources-per-class'),
    'dataset_converters/make_toy_coco.py':
    ('selfkd_research.synthetic_data.toy_coco', '--num-train'),
    'dataset_converters/make_toy_voc.py':
    ('selfkd_research.synthetic_data.toy_voc', '--force'),
}


def _run_help(script, monkeypatch, capsys) -> str:
    path = osp.join(REPO, 'tools', script)
    monkeypatch.setattr(sys, 'path', list(sys.path))
    monkeypatch.setattr(sys, 'argv', [path, '--help'])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(path, run_name='__main__')
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f'usage: {osp.basename(script)} ')
    return out


@pytest.mark.parametrize('script', sorted(COMMAND_LINES))
def test_converter_parses_its_command_line_and_calls_the_library(
        script, monkeypatch, capsys):
    module, function, flag = COMMAND_LINES[script]
    with open(osp.join(REPO, 'tools', script)) as f:
        tree = ast.parse(f.read())
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert defined == {'parse_args', 'main'}
    imported = {(n.module, a.name)
                for n in tree.body if isinstance(n, ast.ImportFrom)
                for a in n.names}
    assert (module, function) in imported
    assert not hasattr(importlib.import_module(module), 'main')
    assert flag in _run_help(script, monkeypatch, capsys)


def test_dataset_converters_start_without_torch():
    """``SELFKD_SEG_REGISTRY = False``: the file-writing converters import
    neither torch nor the OpenMMLab codebases (a fresh interpreter, the
    script as ``__main__`` through runpy)."""
    code = ('import runpy, sys\n'
            'for path in sys.argv[1:]:\n'
            '    sys.argv = [path, "--help"]\n'
            '    try:\n'
            '        runpy.run_path(path, run_name="__main__")\n'
            '    except SystemExit:\n'
            '        pass\n'
            'print(sorted(m for m in ("torch", "mmengine", "mmseg", '
            '"mmpretrain") if m in sys.modules))\n')
    scripts = [
        osp.join(REPO, 'tools', s) for s in sorted(COMMAND_LINES)
        if s.startswith('dataset_converters/')
    ]
    proc = subprocess.run(
        [sys.executable, '-c', code] + scripts,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == '[]'


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
    assert flag in _run_help(script, monkeypatch, capsys)
