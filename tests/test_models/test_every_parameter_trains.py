"""Every trainable parameter of every distillation model gets a gradient.

One ``loss()`` + ``backward()`` with the full distillation weights, on a tiny
batch, for every FRSKD and SFD config (segmentation and classification) and
every model config a future method adds: a parameter that never receives a
gradient is either dead weight or (worse) a part the method relies on that
never trains - e.g. FRSKD's self-teacher distilling the attention of randomly
initialised features. Exceptions need a reason in ``ALLOWED_WITHOUT_GRAD``.
"""
import fnmatch
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

import selfkd_seg  # noqa: F401
from selfkd_seg.apis.config import replace_sync_bn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DISTILL_TYPES = ('FRSKDSegmentor', 'FRSKDEncoderDecoder', 'SFDSegmentor',
                 'FRSKDClassifier', 'FRSKDSLAClassifier', 'SFDClassifier')

# (config file name pattern, parameter name prefix) -> why it gets no grad.
# Only parameters unused *by design* belong here.
_PLAIN_EFFICIENTDET_STUDENT = (
    'SFD keeps the student a plain EfficientDet: its head reads P2 only and '
    'SFD distils P2, so the last BiFPN layer\'s bottom-up nodes (P3..P7) are '
    'unused, exactly as in the baseline (find_unused_parameters=True there)')
ALLOWED_WITHOUT_GRAD = {
    # the VOC pair and the toy (sfd_efficientdet-<teacher>_efficientdet-d0_*)
    ('sfd_efficientdet-*', 'neck.stages.2.bu_nodes.'):
    _PLAIN_EFFICIENTDET_STUDENT,
    ('*bisenetv2*', 'backbone.semantic.stage4_CEBlock.gap.1.bias'):
    'mmseg\'s BiSeNetV2: the BN bias after the global pool is cancelled by '
    'the next BN\'s mean (a constant over the batch), in the baseline too',
}


def _distill_configs():
    """{path: model type} of every runnable distillation config."""
    found = {}
    for path in sorted(
            glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                      recursive=True)):
        if '_base_' in path or osp.basename(path).endswith('_base.py'):
            continue  # fragments to inherit, not models to train
        model_type = Config.fromfile(path).get('model', {}).get('type')
        if model_type in DISTILL_TYPES:
            found[path] = model_type
    return found


CONFIGS = _distill_configs()


def test_every_method_and_task_is_covered():
    assert set(DISTILL_TYPES) <= set(CONFIGS.values())


def _build(cfg):
    scope = cfg.get('default_scope', 'mmseg')
    init_default_scope(scope)
    if scope == 'mmseg':
        from mmseg.registry import MODELS
    else:
        from mmpretrain.registry import MODELS
    replace_sync_bn(cfg.model)
    model = cfg.model
    # as mmengine's Runner: a top-level data_preprocessor (mmpretrain's
    # dataset bases put num_classes for Mixup/CutMix there) fills the model's
    if cfg.get('data_preprocessor') is not None:
        model.setdefault('data_preprocessor', cfg.data_preprocessor)
    if 'backbone' in model and 'pretrained' in model.backbone:
        model.backbone.pretrained = None
    if 'backbone' in model and 'drop_path_rate' in model.backbone:
        # stochastic depth (mmseg's MiT) drops blocks at random
        model.backbone.drop_path_rate = 0.
    if model.get('pretrained'):
        model.pretrained = None  # mmseg zoo models: never initialised here
    if 'teacher' in model:
        teacher = model.teacher
        if 'backbone' in teacher and 'pretrained' in teacher.backbone:
            teacher.backbone.pretrained = None
        model.teacher_ckpt = None
        model.allow_random_teacher = True
    torch.manual_seed(0)
    return MODELS.build(model), scope


def _seg_batch(num_classes, size=64):
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        label = torch.randint(0, num_classes, (1, size, size), generator=gen)
        label[:, :3] = 255
        sample = SegDataSample(gt_sem_seg=PixelData(data=label))
        sample.set_metainfo(
            dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size)))
        samples.append(sample)
    return torch.randn(2, 3, size, size, generator=gen), samples


def _cls_batch(model, num_classes, size):
    """Through the data preprocessor: Mixup/CutMix configs mix there."""
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[
            torch.randint(
                0, 256, (3, size, size), generator=gen, dtype=torch.uint8)
            for _ in range(2)
        ],
        data_samples=[
            DataSample().set_gt_label(i % num_classes) for i in range(2)
        ])
    data = model.data_preprocessor(data, True)
    return data['inputs'], data['data_samples']


def _cls_input_size(cfg):
    for step in cfg.get('train_pipeline', []):
        if step.get('type') in ('RandomResizedCrop', ):
            return 64  # ImageNet-style nets; 64 px keeps every map >= 2x2
    return 32


def _allowed(path, name):
    base = osp.basename(path)
    return any(
        fnmatch.fnmatch(base, pattern) and name.startswith(prefix)
        for pattern, prefix in ALLOWED_WITHOUT_GRAD)


@pytest.mark.parametrize(
    'path', list(CONFIGS), ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_every_trainable_parameter_gets_a_gradient(path):
    cfg = Config.fromfile(path)
    model, scope = _build(cfg)
    model.train()
    # full distillation weights (as after the schedule's ramp)
    assert all(w >= 0 for w in getattr(model, 'distill_weights', {}).values())
    if getattr(model, 'distill_gate', None) is not None:
        # an open gate, as once the self-teacher leads (closed, the student's
        # levels that only the self-teacher reads get an exact 0 by design)
        model.distill_gate.lead_ema.fill_(1.0)
        if model.distill_gate.lead_source == 'held_out':
            model.distill_gate.set_held_out_lead(1e3)
    if scope == 'mmseg':
        inputs, samples = _seg_batch(model.num_classes)
    else:
        inputs, samples = _cls_batch(model, cfg.model.head.num_classes,
                                     _cls_input_size(cfg))
    losses = model.loss(inputs, samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    missing = [
        name for name, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)
        and not _allowed(path, name)
    ]
    assert not missing, (
        f'{len(missing)} trainable parameters get no gradient: {missing}')
