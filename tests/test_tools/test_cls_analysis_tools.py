"""Complexity and attention-map tools on FRSKD classifier configs
(selfkd_seg.analysis.complexity / .attention and their command lines,
tools/analysis/complexity.py and tools/visualization/attention_maps.py)."""
import importlib.util
import os.path as osp

import pytest
import torch

import selfkd_seg  # noqa: F401
from selfkd_research.synthetic_data.toy_cls import make_toy_cls

pytest.importorskip('mmpretrain')
from mmengine.config import Config  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402

from selfkd_seg.analysis import complexity  # noqa: E402
from selfkd_seg.analysis.attention import attention_maps  # noqa: E402
from selfkd_seg.analysis.attention import collect_attention  # noqa: E402
from selfkd_seg.engine.student_loading import CheckpointMismatchError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = osp.join(REPO, 'configs', 'frskd_cls', 'frskd_wrn-10-1_4e_toy.py')


def tool_main(script):
    """``main`` of ``tools/<script>`` (its command line)."""
    spec = importlib.util.spec_from_file_location(
        'tool_' + osp.basename(script)[:-3], osp.join(REPO, 'tools', script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _toy_model():
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(TOY).model)


def test_self_teacher_inputs_and_forward_of_the_classifier():
    model = _toy_model().eval()
    inputs = torch.randn(2, 3, 32, 32)
    feats = model.self_teacher_inputs(inputs)
    # every backbone stage of the WRN-10-1, not the pooled neck output
    assert [tuple(f.shape) for f in feats] == [(2, 16, 32, 32),
                                               (2, 32, 16, 16), (2, 64, 8, 8)]
    with torch.no_grad():
        out = model.self_teacher_forward(inputs)
        ref = model.self_teacher(feats)
    assert [f.shape[1] for f in out['teacher_feats']] == [32, 64, 128]
    assert torch.equal(out['teacher_logits'], ref.logits)
    assert out['student_logits'].shape == (2, 4)
    maps = collect_attention(model, inputs)
    assert [tuple(m.shape) for m in maps['teacher']] == [(2, 32, 32),
                                                         (2, 16, 16),
                                                         (2, 8, 8)]
    for m in maps['student'] + maps['teacher']:
        assert m.min() >= 0 and m.max() <= 1 + 1e-6


def test_complexity_tool_on_the_toy_classifier(capsys):
    report = tool_main('analysis/complexity.py')([TOY, '--shape', '32', '32'])
    model = _toy_model()
    st_params = sum(p.numel() for p in model.self_teacher.parameters())
    assert report['self_teacher_params'] == st_params
    # student = backbone + head (the training-only parts are not counted)
    assert report['student_params'] == sum(p.numel() for m in (model.backbone,
                                                               model.head)
                                           for p in m.parameters())
    assert report['flops_ratio'] == pytest.approx(
        report['self_teacher_flops'] / report['student_flops'])
    assert 0 < report['self_teacher_flops'] < 10 * report['student_flops']
    printed = capsys.readouterr().out
    assert printed.startswith('input 1x3x32x32\nstudent       params ')
    assert 'ratio (self-teacher / student)' in printed
    assert printed == complexity.format_complexity(report) + '\n'


def test_complexity_matches_table6_for_wrn16_2_bifpnc():
    """Paper Table 6, BiFPNc "#channel 256" (width 2 x 128): x0.59 / x0.68."""
    report = complexity.config_complexity(
        osp.join(REPO, 'configs', 'frskd_cls',
                 'frskd_wrn-16-2_200e_cifar100.py'), (32, 32))
    assert round(report['params_ratio'], 2) == 0.59
    assert round(report['flops_ratio'], 2) == 0.68


def test_attention_tool_on_the_toy_classifier(tmp_path, capsys):
    root = make_toy_cls(
        str(tmp_path / 'toy'),
        dict(val=1),
        classes=('red_square', 'blue_triangle'))
    ckpt = str(tmp_path / 'frskd_toy.pth')
    torch.save(dict(state_dict=_toy_model().state_dict()), ckpt)
    images = [
        osp.join(root, 'val', 'red_square', '0000.png'),
        osp.join(root, 'val', 'blue_triangle', '0000.png')
    ]
    attention_main = tool_main('visualization/attention_maps.py')
    out = attention_main(
        [TOY, ckpt, *images, '--out',
         str(tmp_path / 'att' / 'maps.png')])
    assert capsys.readouterr().out == f'wrote {out}\n'
    from PIL import Image
    width, height = Image.open(out).size
    assert width > height > 0  # 2 rows x (image + 3 stages x 2) columns
    with pytest.raises(FileNotFoundError, match='missing.png'):
        attention_maps(TOY, ckpt, [str(tmp_path / 'missing.png')])
    # the self-teacher's weights must be in the checkpoint
    from selfkd_seg.models.utils.distill import strip_distill_only
    student = str(tmp_path / 'student_only.pth')
    torch.save(
        dict(state_dict=strip_distill_only(_toy_model().state_dict())),
        student)
    with pytest.raises(CheckpointMismatchError, match='self_teacher'):
        attention_maps(TOY, student, images[:1])


# script -> (library function it calls, flags its --help lists)
CLI_TOOLS = {
    'analysis/complexity.py':
    ('config_complexity', ['--shape', '--cfg-options']),
    'deployment/pytorch2onnx.py': ('pytorch2onnx', [
        '--out', '--images', '--num-images', '--shapes', '--seg-output',
        '--opset', '--runs', '--warmup', '--threads', '--rtol', '--atol',
        '--min-agreement', '--report', '--cfg-options'
    ]),
    'visualization/attention_maps.py':
    ('attention_maps', ['--out', '--device', '--cfg-options']),
    'visualization/browse_dataset.py': ('browse_dataset', [
        '--checkpoint', '--split', '--num', '--start', '--cols', '--tile-size',
        '--alpha', '--out', '--device', '--cfg-options'
    ]),
}


@pytest.mark.parametrize('script', sorted(CLI_TOOLS))
def test_tool_parses_its_command_line_and_calls_the_library(
        script, monkeypatch, capsys):
    """The command line lives in tools/ (argparse there, none in the
    library: tests/test_layering.py); --help lists the flags."""
    import ast
    import runpy
    import sys
    function, flags = CLI_TOOLS[script]
    path = osp.join(REPO, 'tools', script)
    with open(path) as f:
        tree = ast.parse(f.read())
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert defined == {'parse_args', 'main'}
    imported = {
        a.name
        for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names
    }
    assert function in imported
    monkeypatch.setattr(sys, 'path', list(sys.path))
    monkeypatch.setattr(sys, 'argv', [path, '--help'])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(path, run_name='__main__')
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f'usage: {osp.basename(script)} ')
    for flag in flags:
        assert flag in out, flag
