import glob
import os.path as osp
from pathlib import Path

import pytest
from mmengine import Config

REPO = Path(__file__).resolve().parents[2]
DATASET_CFGS = sorted(glob.glob(str(REPO / 'configs/_base_/datasets/*.py')))
SEG_CFGS = [
    'toy_voc.py', 'voc07_12_frskd.py', 'voc07_frskd_eval512.py', 'voc12_aug.py'
]


def _types(pipeline):
    return [t['type'] for t in pipeline]


def _cfg(name):
    return Config.fromfile(str(REPO / 'configs/_base_/datasets' / name))


@pytest.mark.parametrize('path', DATASET_CFGS, ids=osp.basename)
def test_every_dataset_config_parses(path):
    cfg = Config.fromfile(path)
    for split in ('train', 'val', 'test'):
        assert f'{split}_dataloader' in cfg


@pytest.mark.parametrize('name', SEG_CFGS)
def test_segmentation_configs_use_checked_loaders(name):
    cfg = _cfg(name)
    for pipeline in (cfg.train_pipeline, cfg.test_pipeline):
        assert _types(pipeline)[0] == 'LoadImageFromFileChecked'
        assert 'LoadAnnotationsChecked' in _types(pipeline)
        assert _types(pipeline)[-1] == 'PackSegInputs'
    assert cfg.val_evaluator == dict(type='IoUMetric', iou_metrics=['mIoU'])


def test_voc07_12_frskd_protocol():
    cfg = _cfg('voc07_12_frskd.py')
    train = cfg.train_dataloader
    assert train.batch_size == 16
    assert train.sampler == dict(type='DefaultSampler', shuffle=True)
    assert train.dataset.type == 'ConcatDataset'
    parts = [(d.data_root, d.ann_file) for d in train.dataset.datasets]
    assert parts == [
        ('data/VOCdevkit/VOC2007', 'ImageSets/Segmentation/trainval.txt'),
        ('data/VOCdevkit/VOC2012', 'ImageSets/Segmentation/trainval.txt')
    ]
    assert all(d.type == 'PascalVOCDataset' for d in train.dataset.datasets)
    steps = {t['type']: t for t in cfg.train_pipeline}
    assert steps['RandomResize']['scale'] == (2048, 512)
    assert steps['RandomResize']['ratio_range'] == (0.5, 2.0)
    assert steps['RandomCrop']['crop_size'] == (512, 512)
    assert steps['RandomCrop']['cat_max_ratio'] == 0.75
    assert steps['RandomFlip']['prob'] == 0.5
    assert steps['RandomGaussianBlur']['prob'] == 0.5
    val = cfg.val_dataloader
    assert val.batch_size == 1
    assert val.dataset.data_root == 'data/VOCdevkit/VOC2007'
    assert val.dataset.ann_file == 'ImageSets/Segmentation/test.txt'
    # standard evaluation: the mask is loaded after the resize (not resized)
    assert _types(val.dataset.pipeline) == [
        'LoadImageFromFileChecked', 'Resize', 'LoadAnnotationsChecked',
        'PackSegInputs'
    ]


def test_eval512_swaps_only_the_val_and_test_pipelines():
    base, cfg = _cfg('voc07_12_frskd.py'), _cfg('voc07_frskd_eval512.py')
    expected = [
        'LoadImageFromFileChecked', 'LoadAnnotationsChecked', 'Resize',
        'EvaluateAtCurrentSize', 'PackSegInputs'
    ]
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert _types(loader.dataset.pipeline) == expected
        resize = loader.dataset.pipeline[2]
        assert resize['scale'] == (512, 512) and not resize['keep_ratio']
        assert loader.dataset.ann_file == 'ImageSets/Segmentation/test.txt'
    assert cfg.train_dataloader == base.train_dataloader


def test_voc12_aug_matches_mmseg_layout():
    cfg = _cfg('voc12_aug.py')
    train, aug = cfg.train_dataloader.dataset.datasets
    assert train.data_prefix.seg_map_path == 'SegmentationClass'
    assert aug.data_prefix.seg_map_path == 'SegmentationClassAug'
    assert aug.ann_file == 'ImageSets/Segmentation/aug.txt'
    assert cfg.val_dataloader.dataset.ann_file == (
        'ImageSets/Segmentation/val.txt')


def test_toy_config_defaults_and_env_override(monkeypatch):
    monkeypatch.delenv('SELFKD_TOY_DATA', raising=False)
    cfg = _cfg('toy_voc.py')
    assert cfg.train_dataloader.dataset.data_root == 'data/toy_voc'
    assert cfg.train_dataloader.dataset.check_labels
    assert cfg.val_dataloader.dataset.check_labels
    assert 'Resize' not in _types(cfg.test_pipeline)  # original-size eval
    monkeypatch.setenv('SELFKD_TOY_DATA', '/somewhere/toy')
    cfg = _cfg('toy_voc.py')
    assert cfg.val_dataloader.dataset.data_root == '/somewhere/toy'
