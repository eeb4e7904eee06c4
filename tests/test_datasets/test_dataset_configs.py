import glob
import os.path as osp
from pathlib import Path

import pytest
from mmengine import Config

REPO = Path(__file__).resolve().parents[2]
DATASET_CFGS = sorted(glob.glob(str(REPO / 'configs/_base_/datasets/*.py')))
SEG_CFGS = [
    'toy_voc.py', 'voc07_12_frskd.py', 'voc07_12_frskd_official.py',
    'voc07_frskd_eval512.py', 'voc12_aug.py'
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


def test_voc07_12_frskd_official_changes_only_crop_and_label_padding():
    """The authors' data path: no cat_max_ratio, label maps padded with 0;
    everything else as voc07_12_frskd.py (mmseg: 255, cat_max_ratio)."""
    base, cfg = _cfg('voc07_12_frskd.py'), _cfg('voc07_12_frskd_official.py')
    steps = {t['type']: t for t in cfg.train_pipeline}
    assert 'cat_max_ratio' not in steps['RandomCrop']
    assert steps['Pad']['pad_val'] == dict(img=0, seg=0)
    base_steps = {t['type']: t for t in base.train_pipeline}
    assert 'pad_val' not in base_steps['Pad']  # mmcv's Pad: seg 255
    assert base_steps['RandomCrop']['cat_max_ratio'] == 0.75
    assert _types(cfg.train_pipeline) == _types(base.train_pipeline)
    for name in _types(cfg.train_pipeline):
        if name not in ('RandomCrop', 'Pad'):
            assert steps[name] == base_steps[name]
    train, base_train = cfg.train_dataloader, base.train_dataloader
    for part, base_part in zip(train.dataset.datasets,
                               base_train.dataset.datasets):
        assert part.pipeline == cfg.train_pipeline
        assert ({
            k: v
            for k, v in part.items() if k != 'pipeline'
        } == {
            k: v
            for k, v in base_part.items() if k != 'pipeline'
        })
    for name in ('dataset_voc07_trainval', 'dataset_voc12_trainval'):
        assert cfg[name].pipeline == cfg.train_pipeline
    assert len(train.dataset.datasets) == len(base_train.dataset.datasets)
    assert ({
        k: v
        for k, v in train.items() if k != 'dataset'
    } == {
        k: v
        for k, v in base_train.items() if k != 'dataset'
    })
    for key in ('val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_pipeline', 'test_pipeline_fixed512'):
        assert cfg[key] == base[key], key


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
