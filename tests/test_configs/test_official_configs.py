"""Configs of the FRSKD authors' segmentation network (paper Table 4):
configs/frskd_seg_official/ and the official toy pair."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from mmengine.structures import PixelData
from PIL import Image

import selfkd_seg  # noqa: F401
from selfkd_seg.apis import export_student_checkpoint
from selfkd_seg.apis.config import replace_sync_bn
from selfkd_seg.engine.checkpoint_io import last_checkpoint

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the VOC07+12 recipes of configs/frskd_seg_official/ (the folder also holds
# the toy pair and the digits Lite0 pair)
OFFICIAL = sorted(
    glob.glob(
        osp.join(REPO, 'configs', 'frskd_seg_official', '*_voc0712*.py')))
TOY = [
    osp.join(REPO, 'configs', 'frskd_seg_official', name)
    for name in ('efficientdet-official-d0_240it_toy.py',
                 'frskd_efficientdet-official-d0_240it_toy.py')
]
# official config -> the EfficientDet config it must match outside `model`
COUNTERPARTS = {
    'efficientdet-official-{}_60e_voc0712{}.py':
    'efficientdet_seg/efficientdet-{}_60e_voc0712{}.py',
    'frskd_efficientdet-official-{}_60e_voc0712{}.py':
    'frskd_seg/frskd_efficientdet-{}_60e_voc0712{}.py',
}
# keys allowed to differ from the EfficientDet counterpart
MODEL_KEYS = {
    'model', 'model_wrapper_cfg', 'norm_cfg', 'node_norm_cfg', 'fpn_norm_cfg',
    'head_norm_cfg', 'bifpn_channels', 'fpn_head_bn_momentum'
}
# ... and the training data, which follows the authors' code in the official
# configs (voc07_12_frskd_official.py) and mmseg in the EfficientDet ones
DATA_KEYS = {
    'train_pipeline', 'train_dataloader', 'dataset_voc07_trainval',
    'dataset_voc12_trainval', 'data_preprocessor'
}


def build(cfg):
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    replace_sync_bn(cfg.model)
    cfg.model.backbone.pretrained = None  # nothing may download
    return MODELS.build(cfg.model)


def test_all_official_configs_exist():
    names = {osp.basename(p) for p in OFFICIAL}
    for pattern in COUNTERPARTS:
        for arch in ('d0', 'd1'):
            for suffix in ('', '-eval512'):
                assert pattern.format(arch, suffix) in names


@pytest.mark.parametrize(
    'path', OFFICIAL + TOY, ids=[osp.basename(p) for p in OFFICIAL + TOY])
def test_official_config_builds_the_official_network(path):
    cfg = Config.fromfile(path)
    model = build(cfg)
    name = osp.basename(path)
    width = 88 if '-d1_' in name else (32 if 'toy' in name else 64)
    backbone = model.backbone
    assert backbone.out_channels == (24, 40, 80, 320)
    assert backbone._endpoint_blocks[1:] == ([2, 5, 8, 22] if '-d1_' in name
                                             else [1, 3, 5, 15])
    assert not backbone.stem_act and backbone._drop_connect_rate == 0
    assert type(model.neck).__name__ == 'FRSKDSegBiFPN'
    assert model.neck.with_fpn and model.neck.num_layers == 3
    assert model.neck.out_channels == width and model.neck.num_outs == 6
    assert not model.neck.last_layer_top_down
    head = model.decode_head
    assert type(head).__name__ == 'FRSKDSegHead'
    assert head.in_channels == width and head.dropout is None
    assert head.conv_seg.kernel_size == (3, 3)
    frskd = 'frskd' in name
    assert cfg.model_wrapper_cfg.find_unused_parameters is not frskd
    if frskd:
        neck = model.self_teacher.neck
        assert type(neck).__name__ == 'FRSKDSegBiFPN'
        assert not neck.with_fpn and neck.last_layer_top_down
        assert neck.num_layers == 2 and neck.in_channels == [width] * 6
        assert type(model.self_teacher.decode_head).__name__ == 'FRSKDSegHead'
        assert 'feature_act' not in cfg.model.distill  # post-ReLU already
        assert (cfg.model.distill.alpha, cfg.model.distill.beta) == (1., 50.)


@pytest.mark.parametrize('official, faithful',
                         [(o.format(arch, suffix), f.format(arch, suffix))
                          for o, f in COUNTERPARTS.items()
                          for arch in ('d0', 'd1')
                          for suffix in ('', '-eval512')])
def _as_efficientdet_pipeline(pipeline):
    """The official train pipeline with mmseg's two conventions put back:
    RandomCrop(cat_max_ratio=0.75) and 255-padded label maps."""
    out = []
    for step in pipeline:
        step = dict(step)
        if step['type'] == 'RandomCrop':
            assert 'cat_max_ratio' not in step  # not in the authors' code
            step['cat_max_ratio'] = 0.75
        if step['type'] == 'Pad':
            assert step.pop('pad_val') == dict(img=0, seg=0)
        out.append(step)
    return out


@pytest.mark.parametrize('official, faithful',
                         [(o.format(arch, suffix), f.format(arch, suffix))
                          for o, f in COUNTERPARTS.items()
                          for arch in ('d0', 'd1')
                          for suffix in ('', '-eval512')])
def test_only_the_network_differs_from_the_efficientdet_config(
        official, faithful):
    """Same data sets, schedule, evaluation and hooks: Table 4 like for like.
    The training data differs only in the label padding value (0, the
    authors'; 255 in mmseg) and RandomCrop's cat_max_ratio (mmseg only)."""
    ours = Config.fromfile(
        osp.join(REPO, 'configs', 'frskd_seg_official', official)).to_dict()
    theirs = Config.fromfile(osp.join(REPO, 'configs', faithful)).to_dict()
    for key in (set(ours) | set(theirs)) - MODEL_KEYS - DATA_KEYS:
        assert ours.get(key) == theirs.get(key), key
    assert _as_efficientdet_pipeline(
        ours['train_pipeline']) == theirs['train_pipeline']
    loader = ours['train_dataloader']
    for dataset in loader['dataset']['datasets']:
        dataset['pipeline'] = _as_efficientdet_pipeline(dataset['pipeline'])
    assert loader == theirs['train_dataloader']
    assert ours['data_preprocessor'] == ours['model']['data_preprocessor']
    preprocessor = dict(ours['model']['data_preprocessor'])
    assert preprocessor.pop('seg_pad_val') == 0
    assert theirs['model']['data_preprocessor'].pop('seg_pad_val') == 255
    assert preprocessor == theirs['model']['data_preprocessor']
    assert ours['model']['type'] == theirs['model']['type']


def _train_label_after_pipeline(config, tmp_path, pad_expected):
    """Run ``config``'s train pipeline on a 10x200 image labelled 5
    everywhere: RandomResize scales it to at most 205 rows (< the 512
    crop), so every crop is padded at the bottom; its label rows must be
    ``pad_expected``, the image's rows 5."""
    init_default_scope('mmseg')
    img, seg = tmp_path / 'img.jpg', tmp_path / 'seg.png'
    Image.fromarray(np.full((10, 200, 3), 128, np.uint8)).save(img)
    Image.fromarray(np.full((10, 200), 5, np.uint8)).save(seg)
    cfg = Config.fromfile(config)
    pipeline = Compose(cfg.train_dataloader.dataset.datasets[0].pipeline)
    for seed in range(3):
        np.random.seed(seed)
        out = pipeline(
            dict(
                img_path=str(img),
                seg_map_path=str(seg),
                reduce_zero_label=False,
                seg_fields=[]))
        label = out['data_samples'].gt_sem_seg.data[0]
        assert label.shape == (512, 512)
        # the image is 128 everywhere and pads with 0 (raw pixels, before
        # normalization): its padded rows are where it is 0
        padded = (out['inputs'] == 0).all(0)
        rows = int((~padded).all(1).sum())
        assert 10 < rows < 512 and padded[rows:].all()
        assert not padded[:rows].any()
        assert torch.all(label[:rows] == 5)
        assert torch.all(label[rows:] == pad_expected)


@pytest.mark.parametrize('arch', ['d0', 'd1'])
def test_official_train_pipeline_pads_labels_with_0(arch, tmp_path):
    _train_label_after_pipeline(
        osp.join(REPO, 'configs', 'frskd_seg_official',
                 f'frskd_efficientdet-official-{arch}_60e_voc0712.py'),
        tmp_path,
        pad_expected=0)


def test_efficientdet_train_pipeline_still_pads_labels_with_255(tmp_path):
    _train_label_after_pipeline(
        osp.join(REPO, 'configs', 'efficientdet_seg',
                 'efficientdet-d0_60e_voc0712.py'),
        tmp_path,
        pad_expected=255)


def test_official_d1_with_static_padding_runs_on_any_input_size():
    """Static pads give some levels floor instead of ceil sizes on inputs
    other than 512 (the standard evaluation); the FPN / BiFPN resize to the
    lateral sizes and the prediction comes back at the input size."""
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'frskd_seg_official',
                 'efficientdet-official-d1_60e_voc0712.py'))
    model = build(cfg).eval()
    with torch.no_grad():
        for h, w in ((97, 131), (75, 50)):
            assert model(
                torch.randn(1, 3, h, w), mode='tensor').shape[:2] == (1, 21)
            pred = model.predict(torch.randn(1, 3, h, w))
            assert pred[0].pred_sem_seg.data.shape == (1, h, w)


def test_official_configs_set_the_authors_choices():
    """Static padding at the arch's default size (efficientnet_pytorch's
    from_pretrained), KD over B*H*W, FPN / head BN momentum named."""
    for path in OFFICIAL:
        cfg = Config.fromfile(path)
        name = osp.basename(path)
        size = 240 if '-d1_' in name else 224
        assert cfg.model.backbone.static_image_size == size
        assert cfg.fpn_head_bn_momentum == 0.1
        assert cfg.model.neck.fpn_norm_cfg.momentum == 0.1
        assert cfg.model.decode_head.norm_cfg.momentum == 0.1
        assert 'momentum' not in cfg.model.neck.norm_cfg  # nodes: default
        if name.startswith('frskd_'):
            assert cfg.model.distill.kd_loss == dict(
                type='KDLoss', temperature=1.0, normalizer='all')
            head = cfg.model.self_teacher.get('decode_head')
            assert head is None or head.norm_cfg.momentum == 0.1
        steps = {t.type: t for t in cfg.train_pipeline}
        assert 'cat_max_ratio' not in steps['RandomCrop']
    for arch in ('d0', 'd1'):
        cfg = Config.fromfile(
            osp.join(REPO, 'configs', 'frskd_seg',
                     f'frskd_efficientdet-{arch}_60e_voc0712.py'))
        assert cfg.model.distill.kd_loss.get('normalizer', 'valid') == 'valid'
        assert 'static_image_size' not in cfg.model.backbone


def test_toy_pair_differs_from_the_efficientdet_toy_only_in_the_network():
    for ours, theirs in (
        ('frskd_seg_official/efficientdet-official-d0_240it_toy.py',
         'efficientdet_seg/efficientdet-d0_240it_toy.py'),
        ('frskd_seg_official/frskd_efficientdet-official-d0_240it_toy.py',
         'frskd_seg/frskd_efficientdet-d0_240it_toy.py')):
        a = Config.fromfile(osp.join(REPO, 'configs', ours)).to_dict()
        b = Config.fromfile(osp.join(REPO, 'configs', theirs)).to_dict()
        for key in (set(a) | set(b)) - MODEL_KEYS:
            assert a.get(key) == b.get(key), (ours, key)


def conv_biases_before_bn(model):
    """Conv biases feeding a BN directly: a train-mode BN subtracts the batch
    mean, so their gradient is zero analytically (rounding noise only)."""
    names = set()
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Sequential):
            children = list(mod.named_children())
            for (cname, child), (_, nxt) in zip(children, children[1:]):
                if (isinstance(child, nn.Conv2d) and child.bias is not None
                        and isinstance(nxt, nn.modules.batchnorm._BatchNorm)):
                    names.add(f'{name}.{cname}.bias')
    return names


def test_frskd_official_every_parameter_gets_a_gradient():
    torch.manual_seed(0)
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'frskd_seg_official',
                 'frskd_efficientdet-official-d0_60e_voc0712.py'))
    model = build(cfg).train()
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 21, (1, 64, 64)))
        sample.set_metainfo(
            dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64)))
        samples.append(sample)
    losses = model.loss(torch.randn(2, 3, 64, 64), samples)
    assert losses['loss_kd'] > 0 and losses['loss_feat'] > 0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    # Shifts a train-mode BN cancels: the authors' conv biases before BN, and
    # EfficientNet's block-output BN biases (those blocks feed 1x1 convs +
    # BN only; the EfficientDet configs have the same). They are in the graph
    # (grad is not None: DDP with find_unused_parameters=False is safe) but
    # their gradient is zero up to rounding.
    cancelled = conv_biases_before_bn(model) | {
        n
        for n, _ in model.named_parameters() if n.endswith('._bn2.bias')
    }
    assert any(n.startswith('self_teacher.') for n in cancelled)
    for name, param in model.named_parameters():
        assert param.requires_grad
        assert param.grad is not None, f'{name} gets no gradient'
        if name not in cancelled:
            assert param.grad.abs().max() > 0, f'{name}: zero gradient'


def test_toy_frskd_official_trains_exports_and_loads_into_baseline(
        tiny_seg_cfg, tmp_path):
    work_dir = str(tmp_path / 'frskd')
    cfg = tiny_seg_cfg(
        'frskd_seg_official/frskd_efficientdet-official-d0_240it_toy.py',
        work_dir=work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    full = runner.model.eval()
    ckpt = last_checkpoint(work_dir)
    exported = str(tmp_path / 'student.pth')
    summary = export_student_checkpoint(ckpt, exported)
    assert summary['dropped_modules'] == ['self_teacher']

    base_cfg = tiny_seg_cfg(
        'frskd_seg_official/efficientdet-official-d0_240it_toy.py',
        work_dir=work_dir)
    plain = build(base_cfg)
    load_checkpoint(plain, exported, strict=True)  # no missing / unexpected
    plain.eval()
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        assert torch.equal(plain(x, mode='tensor'), full(x, mode='tensor'))
