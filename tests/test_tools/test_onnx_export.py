"""ONNX export of the deployable student (selfkd_seg.deploy and
tools/deployment/pytorch2onnx.py): export, parity with ONNX Runtime on real
toy images at two sizes, clear errors."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn

pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

from selfkd_seg import deploy  # noqa: E402
from selfkd_seg.apis import build_inference_model  # noqa: E402
from selfkd_seg.deploy import ExportOptions, LatencyOptions, ParityOptions
from selfkd_seg.deploy.images import collect_images  # noqa: E402
from selfkd_seg.deploy.images import parse_shape, preprocess, second_shape
from selfkd_seg.engine.student_loading import CheckpointMismatchError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'deployment', 'pytorch2onnx.py')
SEG_CFG = osp.join(REPO, 'configs', 'efficientdet_seg',
                   'efficientdet-d0_240it_toy.py')
CLS_CFG = osp.join(REPO, 'configs', 'frskd_cls', 'wrn-10-1_4e_toy.py')
FRSKD_CLS_CFG = osp.join(REPO, 'configs', 'frskd_cls',
                         'frskd_wrn-10-1_4e_toy.py')
# a narrower BiFPN and head: the EfficientNet-B0 backbone dominates tracing
SEG_SHRINK = {
    'model.neck.num_layers': 1,
    'model.neck.out_channels': 16,
    'model.decode_head.in_channels': 16,
    'model.decode_head.channels': 16,
    'model.decode_head.num_convs': 1,
}


def tool_main():
    """``main`` of tools/deployment/pytorch2onnx.py (the command line)."""
    spec = importlib.util.spec_from_file_location('pytorch2onnx_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def student(config, checkpoint=None, cfg_options=None):
    return build_inference_model(
        config, checkpoint, part='student', cfg_options=cfg_options)


def scramble(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random BN statistics and affine parameters: a fresh model's outputs
    barely depend on the pixels, which would make parity trivially true."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.running_mean.normal_(0, 0.2, generator=gen)
                module.running_var.uniform_(0.5, 2.0, generator=gen)
                module.weight.uniform_(0.5, 1.5, generator=gen)
                module.bias.normal_(0, 0.2, generator=gen)
            elif isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.mul_(2.0)
    return model.eval()


def save_checkpoint(path, state_dict, **meta):
    torch.save(dict(meta=meta, state_dict=state_dict), path)
    return str(path)


@pytest.fixture(scope='module')
def toy_voc(tmp_path_factory):
    from selfkd_research.synthetic_data.toy_voc import make_toy_voc
    root = str(tmp_path_factory.mktemp('onnx_toy_voc'))
    make_toy_voc(root, num_train=1, num_val=3, img_size=(64, 64), seed=3)
    return root


@pytest.fixture(scope='module')
def toy_cls(tmp_path_factory):
    from selfkd_research.synthetic_data.toy_cls import make_toy_cls
    root = str(tmp_path_factory.mktemp('onnx_toy_cls'))
    make_toy_cls(root, dict(train=1, val=2))
    return root


@pytest.fixture(scope='module')
def seg_report(toy_voc, tmp_path_factory):
    """One export of the toy segmentor (an exported-student checkpoint of
    scrambled weights), checked on the real toy images at 64x64 and 45x77."""
    work = tmp_path_factory.mktemp('onnx_seg')
    model = scramble(student(SEG_CFG, cfg_options=dict(SEG_SHRINK)))
    ckpt = save_checkpoint(
        work / 'student.pth',
        model.state_dict(),
        dataset_meta=dict(classes=('a', 'b', 'c', 'd', 'e')))
    options = {**SEG_SHRINK, 'test_dataloader.dataset.data_root': toy_voc}
    report = deploy.pytorch2onnx(
        SEG_CFG,
        ckpt,
        str(work / 'seg.onnx'),
        parity=ParityOptions(shapes=['native', '45x77']),
        latency=LatencyOptions(runs=2, warmup=1),
        cfg_options=options,
        log=lambda text: None)
    return report, model, options


def test_seg_export_parity_on_toy_images_at_two_sizes(seg_report):
    report, _, _ = seg_report
    assert report['task'] == 'seg' and report['passed']
    rows = report['parity']['rows']
    assert [row['size'] for row in rows] == ['native', '45x77']
    # traced at batch 1 and 64x64; run at batch 3 and at another size
    assert rows[0]['input_shape'] == (3, 3, 64, 64)
    assert rows[1]['input_shape'] == (3, 3, 45, 77)
    assert rows[1]['onnx_shape'] == (3, 5, 45, 77)  # logits at input size
    for row in rows:
        assert row['argmax_agreement'] >= deploy.MIN_ARGMAX_AGREEMENT
        assert row['max_abs_diff'] <= row['tolerance']
    assert len(report['images']) == 3
    assert all(p.endswith('.jpg') for p in report['images'])
    latency = report['latency']
    assert latency['pytorch_ms'] > 0 and latency['onnxruntime_ms'] > 0
    assert latency['input_shape'] == (1, 3, 64, 64)
    table = deploy.format_report(report)
    assert '| 3x3x45x77 (45x77) | 3x5x45x77 |' in table
    assert 'ONNX Runtime' in table and 'PyTorch' in table


def test_seg_parity_is_not_trivial_and_matches_mmseg(seg_report):
    """The scrambled model predicts several classes, and the exported
    wrapper equals mmseg's own EncoderDecoder.encode_decode."""
    report, model, options = seg_report
    model = student(SEG_CFG, report['checkpoint'], options)
    batch = preprocess(model, report['images'])[0]
    with torch.no_grad():
        ours = deploy.logits_module(model)(batch)
        metas = [dict(img_shape=tuple(batch.shape[2:]))] * len(batch)
        mmseg = model.encode_decode(batch, metas)
    torch.testing.assert_close(ours, mmseg)
    assert len(torch.unique(ours.argmax(1))) > 1


def test_seg_onnx_metadata(seg_report):
    import onnx
    report, _, _ = seg_report
    proto = onnx.load(report['onnx'])
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta['task'] == 'seg'
    assert json.loads(meta['mean']) == [123.675, 116.28, 103.53]
    assert json.loads(meta['classes']) == ['a', 'b', 'c', 'd', 'e']
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param for d in dims] == ['batch', '', 'height', 'width']


def test_cli_cls_training_checkpoint_on_toy_images(toy_cls, tmp_path, capsys):
    """The tool, the plain classifier config and a FRSKD *training*
    checkpoint (its self-teacher is split off), on the real toy images of
    the config's test set, at 32x32 and 25x41."""
    from mmengine.registry import MODELS, init_default_scope

    from selfkd_seg.apis.config import load_config
    main = tool_main()
    cfg = load_config(FRSKD_CLS_CFG)
    init_default_scope('mmpretrain')
    frskd = scramble(MODELS.build(cfg.model))
    ckpt = save_checkpoint(tmp_path / 'epoch_4.pth', frskd.state_dict())
    out = str(tmp_path / 'cls.onnx')
    report = main([
        CLS_CFG, ckpt, '--out', out, '--num-images', '8', '--runs', '2',
        '--report',
        str(tmp_path / 'report.json'), '--cfg-options',
        f'test_dataloader.dataset.data_root={toy_cls}'
    ])
    printed = capsys.readouterr().out
    assert 'parity passed' in printed and 'ms / batch' in printed
    assert report['task'] == 'cls' and report['passed']
    assert report['load_info']['dropped_modules'] == ['self_teacher']
    rows = report['parity']['rows']
    assert [r['input_shape'] for r in rows] == [(8, 3, 32, 32), (8, 3, 25, 41)]
    assert all(r['onnx_shape'] == (8, 4) for r in rows)
    assert all(r['units'] == 8 for r in rows)
    assert json.load(open(tmp_path / 'report.json'))['passed'] is True
    # a parity requirement that cannot be met: exit status 1, says why
    with pytest.raises(SystemExit) as exc:
        main([
            CLS_CFG, ckpt, '--out', out, '--images',
            osp.join(toy_cls, 'val'), '--num-images', '2', '--runs', '1',
            '--min-agreement', '1.01'
        ])
    assert exc.value.code == 1
    assert 'ONNX Runtime does not reproduce PyTorch' in \
        capsys.readouterr().err


def test_wrong_checkpoint_names_file_and_keys(tmp_path, capsys):
    model = student(CLS_CFG)
    ckpt = save_checkpoint(tmp_path / 'cls_student.pth', model.state_dict())
    with pytest.raises(CheckpointMismatchError) as exc:
        student(SEG_CFG, ckpt, dict(SEG_SHRINK))
    text = str(exc.value)
    assert 'cls_student.pth' in text and 'efficientdet-d0_240it_toy.py' in text
    assert 'missing from the checkpoint: backbone.' in text
    assert 'weights of the checkpoint are not in the model: ' in text
    # same keys, other shapes (5 classes instead of 4)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'head\.fc\.weight: checkpoint \(4, 64\) vs '
            r'model \(5, 64\)'):
        student(CLS_CFG, ckpt, {'model.head.num_classes': 5})
    # the tool: exit status 2 and the same message
    with pytest.raises(SystemExit) as exc:
        tool_main()([
            CLS_CFG, ckpt, '--cfg-options', 'model.head.num_classes=5',
            '--out',
            str(tmp_path / 'x.onnx')
        ])
    assert exc.value.code == 2
    assert 'cls_student.pth does not fit' in capsys.readouterr().err
    assert not osp.exists(tmp_path / 'x.onnx')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        student(CLS_CFG, str(tmp_path / 'nope.pth'))


def test_script_runs_the_cli(tmp_path):
    """tools/deployment/pytorch2onnx.py runs as a script (the bad-checkpoint
    path: no export, exit status 2, the file named)."""
    import subprocess
    import sys
    bad = tmp_path / 'bad.pth'
    torch.save(dict(state_dict={'foo': torch.zeros(1)}), bad)
    proc = subprocess.run([sys.executable, TOOL, CLS_CFG,
                           str(bad)],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert 'bad.pth does not fit' in proc.stderr
    assert 'not in the model: foo' in proc.stderr


def test_distillation_config_is_refused():
    with pytest.raises(ValueError, match='plain student config'):
        student(FRSKD_CLS_CFG)


def test_missing_images_are_named(tmp_path):
    model = student(CLS_CFG)
    with pytest.raises(FileNotFoundError, match='missing.png'):
        collect_images(model.cfg, [str(tmp_path / 'missing.png')])
    with pytest.raises(FileNotFoundError, match='could not be built'):
        collect_images(
            student(
                CLS_CFG,
                cfg_options={
                    'test_dataloader.dataset.data_root': str(tmp_path / 'none')
                }).cfg)


def test_parse_shape():
    assert parse_shape('native') is None
    assert parse_shape('97x161') == (97, 161)
    with pytest.raises(ValueError, match='HxW'):
        parse_shape('97,161')
    assert second_shape((128, 128)) == (97, 161)
    # the options check their shapes before any work
    assert ParityOptions(shapes=['native', '9x7', (5, 6)]).sizes() == [
        None, (9, 7), (5, 6)
    ]
    with pytest.raises(ValueError, match='HxW'):
        ParityOptions(shapes=['97,161'])
    with pytest.raises(ValueError, match='num_images'):
        ParityOptions(num_images=0)
    with pytest.raises(ValueError, match='runs'):
        LatencyOptions(runs=0)


class _SameSizeNet(nn.Module):
    """A tiny 'segmentor' with every size computation that tracing would
    freeze: efficientnet_pytorch's dynamic TF-same conv, the backbone's
    fast one (its own forward), the BiFPN's same max-pool and resize_to."""

    def __init__(self):
        super().__init__()
        from efficientnet_pytorch.utils import Conv2dDynamicSamePadding

        from selfkd_seg.models.backbones.efficientnet import Conv2dSamePadding
        from selfkd_seg.models.utils import MaxPool2dSame
        torch.manual_seed(0)
        self.conv = Conv2dDynamicSamePadding(3, 4, 3, stride=2)
        self.own = Conv2dSamePadding(4, 4, 5, stride=2)
        self.pool = MaxPool2dSame(3, 2)
        self.decode_head = _Head()

    def extract_feat(self, x):
        from selfkd_seg.models.utils import bifpn_blocks
        y = self.conv(x)
        z = self.pool(self.own(y))
        return [y + bifpn_blocks.resize_to(z, y.shape[-2:])]


class _Head(nn.Module):
    align_corners = False

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 3, 1)

    def forward(self, feats):
        return self.conv(feats[0])


def test_sizes_stay_dynamic_and_a_frozen_graph_fails(tmp_path, monkeypatch):
    model = _SameSizeNet().eval()
    example = torch.randn(1, 3, 32, 32)
    batches = {
        'native': [example],
        '37x23': [torch.randn(2, 3, 37, 23)],
        '50x66': [torch.randn(1, 3, 50, 66)],
    }
    deploy.export_onnx(model, str(tmp_path / 'ok.onnx'), example)
    parity = deploy.check_parity(model,
                                 deploy.ort_session(str(tmp_path / 'ok.onnx')),
                                 batches)
    assert parity['passed'], parity['failures']
    assert max(r['max_abs_diff'] for r in parity['rows']) < 1e-5

    # exportable() leaves the modules as they were
    from efficientnet_pytorch.utils import Conv2dDynamicSamePadding
    assert type(model.conv) is Conv2dDynamicSamePadding

    # modules that do not see the trace freeze the sizes at 32x32
    from selfkd_seg.models.utils import bifpn_blocks
    monkeypatch.setattr(bifpn_blocks, 'is_tracing', lambda: False)
    deploy.export_onnx(model, str(tmp_path / 'frozen.onnx'), example)
    parity = deploy.check_parity(
        model, deploy.ort_session(str(tmp_path / 'frozen.onnx')), batches)
    assert not parity['passed']
    assert parity['rows'][0]['passed']  # the traced size still matches
    assert any('37, 23' in f for f in parity['failures'])
    assert any('max |logit diff|' in f or 'output shape' in f
               for f in parity['failures'])


def test_compare_outputs_thresholds():
    ref = np.zeros((1, 3, 4, 4), dtype=np.float32)
    ref[:, 1] = 10.0
    close = deploy.compare_outputs(ref, ref + 1e-4)
    assert close['passed'] and close['argmax_agreement'] == 1.0
    far = deploy.compare_outputs(ref, ref + 0.5)
    assert not far['passed']
    assert far['tolerance'] == pytest.approx(deploy.DEFAULT_ATOL +
                                             deploy.DEFAULT_RTOL * 10.0)
    shape = deploy.compare_outputs(ref, ref[:, :, :2])
    assert not shape['passed'] and shape['onnx_shape'] == (1, 3, 2, 4)


def test_seg_native_output_keeps_the_head_resolution(tmp_path):
    import onnx
    model = _SameSizeNet().eval()
    example = torch.randn(1, 3, 32, 32)
    out = deploy.export_onnx(
        model,
        str(tmp_path / 'native.onnx'),
        example,
        ExportOptions(seg_output='native'),
        metadata=dict(task='seg'))
    session = deploy.ort_session(out)
    parity = deploy.check_parity(
        model,
        session, {'37x23': [torch.randn(2, 3, 37, 23)]},
        seg_output='native')
    assert parity['passed'], parity['failures']
    assert parity['rows'][0]['onnx_shape'] == (2, 3, 19, 12)  # stride 2
    dims = onnx.load(out).graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param
            for d in dims] == ['batch', '', 'logit_height', 'logit_width']
    with pytest.raises(ValueError, match="'input' or 'native'"):
        deploy.SegLogits(model, 'full')
    with pytest.raises(ValueError, match="'input' or 'native'"):
        ExportOptions(seg_output='full')
