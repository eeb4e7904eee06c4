"""benchmark_frskd_cls.py (selfkd_research.benchmarks.benchmark_frskd_cls) and
the toy
comparisons (compare_cls_toy.py, compare_sfd_toy.py:
selfkd_research.experiments.compare_toy): the pieces, on tiny input."""
import argparse
import copy
import os.path as osp
import subprocess
import sys

import pytest

import selfkd_seg  # noqa: F401

pytest.importorskip('mmpretrain')
from mmengine.registry import MODELS, init_default_scope  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.parametrize('method,expected',
                         [('baseline', 'ImageClassifier'),
                          ('frskd', 'FRSKDClassifier'),
                          ('frskd_sla', 'FRSKDSLAClassifier')])
def test_compare_builds_the_same_classifier_per_method(method, expected):
    from selfkd_research.experiments import compare_toy as tool
    args = argparse.Namespace(
        backbone='wrn10_1', batch=4, lr=0.05, epochs=3, work_dir='/tmp/x')
    cfg = tool.frskd_cfg(args, method, 0, '/data', num_classes=5)
    assert cfg.model.type == expected
    assert cfg.model.head.num_classes == 5
    assert cfg.randomness.seed == 0
    assert cfg.train_cfg.max_epochs == 3
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    # the deployable classifier is identical for every method
    assert sum(p.numel() for n, p in model.named_parameters()
               if n.split('.')[0] in ('backbone', 'head')) == 77493
    with pytest.raises(ValueError, match='num-classes'):
        tool.toy_classes(17)


@pytest.mark.parametrize('method,expected', [('teacher', 'ImageClassifier'),
                                             ('student', 'ImageClassifier'),
                                             ('kd', 'SFDClassifier'),
                                             ('sfd', 'SFDClassifier')])
def test_sfd_comparison_builds_each_method(method, expected):
    from selfkd_research.experiments.compare_toy import sfd_cfg
    args = argparse.Namespace(batch=4, lr=0.05, work_dir='/tmp/x')
    cfg = sfd_cfg(args, method, 0, '/data', 5, epochs=2, teacher_ckpt='t')
    assert cfg.model.type == expected and cfg.model.head.num_classes == 5
    if method == 'student':
        assert 'teacher' not in cfg.model and 'distill' not in cfg.model
    assert bool(cfg.custom_hooks) == (method == 'sfd')


def test_train_step_timing_times_each_models_config_step(monkeypatch):
    import torch
    from mmengine.config import Config

    from selfkd_research.benchmarks import benchmark_frskd_cls as bench
    from selfkd_research.benchmarks.benchmark import data_batch
    init_default_scope('mmpretrain')
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(
            type='WideResNet',
            depth=10,
            widen_factor=1,
            norm_in_blocks=False,
            out_indices=(0, 1, 2)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64),
        data_preprocessor=dict(num_classes=3))
    frskd = dict(
        cfg,
        type='FRSKDClassifier',
        self_teacher=dict(type='FRSKDBiFPNc', width=1))
    models = [MODELS.build(cfg), MODELS.build(frskd)]
    before = [copy.deepcopy(m.state_dict()) for m in models]
    cfgs = [
        Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr))))
        for lr in (0.1, 0.0)
    ]
    timed = {}

    def medians(fns, steps, warmup, device):  # the one timer, recorded
        timed.update(fns=fns, steps=steps, warmup=warmup, device=device)
        return {0: 0.5, 1: 0.25}

    monkeypatch.setattr(bench, 'interleaved_medians', medians)
    times = bench.time_train_steps(
        models, cfgs, data_batch('cls', 2, (16, 16), 3), steps=2, warmup=1)
    # per model, in order, the timer's medians of its own step
    assert times == [0.5, 0.25]
    assert (timed['steps'], timed['warmup'], timed['device']) == (2, 1, 'cpu')
    timed['fns'][0]()
    timed['fns'][1]()
    # each step is train_step with that model's config (lr 0.1 vs 0):
    # model 0's weights moved, model 1's did not
    moved = [[
        k for k, v in m.state_dict().items() if v.is_floating_point()
        and 'running' not in k and not torch.equal(v, b[k])
    ] for m, b in zip(models, before)]
    assert moved[0] and not moved[1]


def test_plain_student_cfg_drops_every_training_only_key():
    from selfkd_research.benchmarks.benchmark import plain_student_cfg
    from selfkd_seg.models.distillers import TeacherStudentMixin
    sfd = dict(
        type='SFDClassifier',
        backbone=dict(type='ResNet_CIFAR'),
        teacher=dict(type='ImageClassifier'),
        **{k: None
           for k in TeacherStudentMixin.TEACHER_ARGS})
    student = plain_student_cfg(sfd)
    assert student == dict(
        type='ImageClassifier', backbone=dict(type='ResNet_CIFAR'))
    assert sfd['type'] == 'SFDClassifier' and 'teacher' in sfd  # a copy


ANALYSIS = osp.join(REPO, 'tools', 'analysis')


@pytest.mark.parametrize('script', [
    'benchmark_frskd_cls', 'benchmark_frskd_seg', 'benchmark_sfd',
    'benchmark_table', 'coco_loading_benchmark'
])
def test_analysis_scripts_are_thin_wrappers_over_the_package(script):
    """Each script only imports ``main`` from a selfkd_research.benchmarks
    module (the checkout's research code) and calls it (read as text, not
    imported).  (complexity.py parses its own
    command line: tests/test_tools/test_cls_analysis_tools.py.)"""
    import ast
    import importlib
    with open(osp.join(ANALYSIS, f'{script}.py')) as f:
        tree = ast.parse(f.read())
    imports = [node for node in tree.body if isinstance(node, ast.ImportFrom)]
    assert [(n.module.split('.')[:2], [a.name for a in n.names])
            for n in imports] == [(['selfkd_research',
                                    'benchmarks'], ['main'])]
    functions = [
        node for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    ]
    assert not functions
    assert callable(importlib.import_module(imports[0].module).main)


def test_a_wrapper_runs_as_a_script(tmp_path):
    """The wiring end to end: benchmark_table.py (as gpu_benchmark.sh calls
    it) on a JSON report, in a subprocess."""
    from selfkd_research.benchmarks.benchmark import (BenchmarkReport,
                                                      Measurement)
    report = BenchmarkReport(
        script='benchmark_sfd',
        options=dict(device='cpu', amp='bf16'),
        shape='2x3x32x32',
        train=[Measurement('SFD', 0.5, 2, 1e12)],
        infer=[Measurement('student', 0.1, 2)],
        ratios=dict(x=1.5))
    report.write_json(str(tmp_path / 'sfd_row.json'))
    out = subprocess.run([
        sys.executable,
        osp.join(ANALYSIS, 'benchmark_table.py'),
        str(tmp_path / 'sfd_row.json'),
        str(tmp_path / 'missing.json')
    ],
                         capture_output=True,
                         text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    row = out.stdout.strip().splitlines()[-1]
    assert row.startswith('| sfd_row | 2x3x32x32 | cpu bf16 | SFD 4.0 |')
    assert 'x 1.50' in row and 'missing.json: no such file' in out.stderr
