"""Every segmentation config parses, builds its model, and says what the
papers say."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import selfkd_seg  # noqa: F401
from selfkd_seg.apis.config import replace_sync_bn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _builds_offline(cfg):
    """An mmseg config whose model builds here (the SFD pairs of mmseg
    models name their teacher by config file, which may download weights:
    test_frskd_encoder_decoder.py covers them)."""
    return (cfg.get('default_scope') == 'mmseg'
            and not isinstance(cfg.model.get('teacher'), str))


SEG_CONFIGS = sorted(
    p for folder in ('efficientdet_seg', 'frskd_seg', 'sfd_seg')
    for p in glob.glob(osp.join(REPO, 'configs', folder, '*.py'))
    if _builds_offline(Config.fromfile(p)))


def build_offline(cfg):
    """Build without downloads: no ImageNet weights, random SFD teacher."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    replace_sync_bn(cfg.model)
    cfg.model.backbone.pretrained = None
    if 'teacher' in cfg.model:
        cfg.model.teacher.backbone.pretrained = None
        cfg.model.teacher_ckpt = None
        cfg.model.allow_random_teacher = True
    return MODELS.build(cfg.model)


def test_there_are_seg_configs():
    names = {osp.basename(p) for p in SEG_CONFIGS}
    assert {
        'efficientdet-d0_60e_voc0712.py',
        'frskd_efficientdet-d1_60e_voc0712.py',
        'frskd_efficientdet-d0_240it_toy.py'
    } <= names


@pytest.mark.parametrize(
    'path', SEG_CONFIGS, ids=[osp.basename(p) for p in SEG_CONFIGS])
def test_config_parses_and_builds(path):
    cfg = Config.fromfile(path)
    assert 'selfkd_seg' in cfg.custom_imports.imports
    model = build_offline(cfg)
    assert model.num_classes == cfg.model.decode_head.num_classes


@pytest.mark.parametrize('arch, width', [('d0', 64), ('d1', 88)])
def test_frskd_voc_recipe(arch, width):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'frskd_seg',
                 f'frskd_efficientdet-{arch}_60e_voc0712.py'))
    model = cfg.model
    assert model.backbone.arch == 'b' + arch[1]
    assert model.neck.num_layers == 3 and model.neck.out_channels == width
    assert (model.neck.min_level, model.neck.max_level) == (2, 7)
    built = build_offline(
        Config.fromfile(
            osp.join(REPO, 'configs', 'frskd_seg',
                     f'frskd_efficientdet-{arch}_60e_voc0712.py')))
    assert built.self_teacher.neck.num_layers == 2
    assert built.self_teacher.neck.in_channels == [width] * 6
    assert built.self_teacher.neck.out_channels == width
    assert model.distill.alpha == 1.0 and model.distill.beta == 50.0
    assert model.distill.kd_loss.temperature == 1.0
    assert model.decode_head.num_classes == 21
    hook, = [
        h for h in cfg.custom_hooks if h.type == 'DistillWeightScheduleHook'
    ]
    from selfkd_seg.engine.hooks import DistillWeightScheduleHook
    built_hook = DistillWeightScheduleHook(**{
        k: v
        for k, v in hook.items() if k != 'type'
    })
    assert built_hook.by_epoch is True
    assert built_hook.schedule(cfg.train_cfg.max_epochs) == (40, 20)
    # the 60-epoch schedule
    assert cfg.train_cfg.max_epochs == 60
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4)
    assert cfg.optim_wrapper.accumulative_counts == 2
    assert cfg.train_dataloader.batch_size * 2 == 32
    assert cfg.optim_wrapper.clip_grad == dict(type='value', clip_value=2.0)
    sched, = cfg.param_scheduler
    assert sched.milestones == [40] and sched.gamma == 0.1
    # VOC2007+2012 trainval -> VOC2007 test
    train_sets = cfg.train_dataloader.dataset.datasets
    assert [d.data_root.split('/')[-1]
            for d in train_sets] == ['VOC2007', 'VOC2012']
    assert all(d.ann_file.endswith('trainval.txt') for d in train_sets)
    val = cfg.val_dataloader.dataset
    assert val.data_root.endswith('VOC2007')
    assert val.ann_file.endswith('test.txt')
    crop = [
        t for t in cfg.train_dataloader.dataset.datasets[0].pipeline
        if t.type == 'RandomCrop'
    ][0]
    assert tuple(crop.crop_size) == (512, 512)


def test_frskd_f_variant_only_drops_the_feature_term():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'frskd_seg',
                 'frskd-f_efficientdet-d0_60e_voc0712.py'))
    assert cfg.model.distill.beta == 0.0 and cfg.model.distill.alpha == 1.0


def test_eval512_configs_score_at_512():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'frskd_seg',
                 'frskd_efficientdet-d0_60e_voc0712-eval512.py'))
    pipeline = cfg.test_dataloader.dataset.pipeline
    resize, = [t for t in pipeline if t.type == 'Resize']
    assert tuple(resize.scale) == (512, 512) and not resize.keep_ratio
    assert any(t.type == 'EvaluateAtCurrentSize' for t in pipeline)


def test_building_a_config_downloads_nothing(monkeypatch):
    """ImageNet weights are fetched by init_weights, never at build time."""
    import torch.hub

    def no_network(*args, **kwargs):
        raise AssertionError('a download was attempted')

    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', no_network)
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'efficientdet_seg',
                 'efficientdet-d0_60e_voc0712.py'))
    assert cfg.model.backbone.pretrained == 'imagenet'
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    replace_sync_bn(cfg.model)
    MODELS.build(cfg.model)
