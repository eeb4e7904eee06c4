"""Out-of-range label values stop a run at the file's first load, naming it,
with any dataset config (not only the toy ones)."""
import os.path as osp
import shutil
import signal

import numpy as np
import pytest
from mmengine.dataset import ConcatDataset
from mmengine.runner import Runner
from PIL import Image

from selfkd_seg.datasets.transforms import (CheckSegLabels,
                                            LabelOutOfRangeError,
                                            enable_label_checks)


def test_values_outside_the_classes_name_file_values_and_num_classes():
    seg = np.zeros((4, 5), np.uint8)
    seg[0, :2] = 7
    seg[1, 0] = 5
    seg[3, :] = 255  # ignored
    check = CheckSegLabels(num_classes=5)
    with pytest.raises(LabelOutOfRangeError) as err:
        check(dict(gt_seg_map=seg, seg_map_path='masks/a.png'))
    message = str(err.value)
    assert "'masks/a.png'" in message
    assert '5 (1 px), 7 (2 px)' in message
    assert '5 classes' in message and 'ignore 255' in message
    seg[seg == 7] = 4
    seg[seg == 5] = 0
    assert check(dict(gt_seg_map=seg, seg_map_path='masks/a.png')) is not None


def test_ignore_index_and_unconfigured_check():
    seg = np.full((2, 2), 255, np.uint8)
    assert CheckSegLabels(num_classes=2)(dict(gt_seg_map=seg)) is not None
    with pytest.raises(LabelOutOfRangeError, match='255'):
        CheckSegLabels(num_classes=2, ignore_index=0)(dict(gt_seg_map=seg))
    # not configured yet (the hook sets num_classes): passes through
    assert CheckSegLabels()(dict(gt_seg_map=seg)) is not None


def test_a_file_is_checked_once_per_process():
    check = CheckSegLabels(num_classes=3)
    ok = np.zeros((2, 2), np.uint8)
    check(dict(gt_seg_map=ok, seg_map_path='m.png'))
    assert 'm.png' in check._verified
    # the same file again is not re-scanned (a crop of it cannot differ)
    check(dict(gt_seg_map=ok + 9, seg_map_path='m.png'))
    with pytest.raises(LabelOutOfRangeError):
        check(dict(gt_seg_map=ok + 9, seg_map_path='other.png'))


def _plain_voc_dataset(root, pipeline):
    from mmengine.registry import init_default_scope
    from mmseg.datasets import BaseSegDataset
    init_default_scope('mmseg')
    return BaseSegDataset(
        data_root=root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=dict(classes=('a', 'b', 'c')),
        pipeline=pipeline)


def test_enable_label_checks_inserts_after_plain_loader_in_wrapped_sets(
        toy_voc_64):
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),  # mmseg's own, as user configs have
        dict(type='PackSegInputs')
    ]
    one = _plain_voc_dataset(toy_voc_64, pipeline)
    two = _plain_voc_dataset(toy_voc_64, pipeline)
    assert enable_label_checks(ConcatDataset([one, two])) == 2
    for dataset in (one, two):
        names = [type(t).__name__ for t in dataset.pipeline.transforms]
        assert names == [
            'LoadImageFromFile', 'LoadAnnotations', 'CheckSegLabels',
            'PackSegInputs'
        ]
        assert dataset.pipeline.transforms[2].num_classes == 3
    # idempotent: no second check is inserted
    assert enable_label_checks(one) == 1
    assert len(one.pipeline.transforms) == 4


def _poison_one_mask(src, dst, value=7):
    shutil.copytree(src, dst)
    names = sorted(
        n
        for n in open(osp.join(dst, 'ImageSets', 'Segmentation',
                               'train.txt')).read().split())
    path = osp.join(dst, 'SegmentationClass', names[-1] + '.png')
    with Image.open(path) as mask:
        palette = mask.getpalette()
        seg = np.array(mask)
    seg[:3, :3] = value  # a small region a crop could miss
    out = Image.fromarray(seg, mode='P')
    out.putpalette(palette)
    out.save(path)
    return path


def test_a_bad_mask_stops_training_before_any_step(tmp_path, tiny_seg_cfg,
                                                   toy_voc_64):
    """A custom config (plain mmseg loaders, no check_labels) still gets the
    check, from the default DatasetModelCheckHook of the schedule."""
    from selfkd_seg.apis.config import prepare_train_cfg
    data_root = str(tmp_path / 'data')
    bad = _poison_one_mask(toy_voc_64, data_root)
    cfg = tiny_seg_cfg(
        'efficientdet_seg/efficientdet-d0_240it_toy.py',
        work_dir=str(tmp_path / 'run'))
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        dataset.data_root = data_root
        dataset.check_labels = False
        dataset.pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')
        ]
    cfg.train_dataloader.batch_size = 4  # the bad file is in the 1st batch
    prepare_train_cfg(cfg, 'custom.py', work_dir=str(tmp_path / 'run'))
    runner = Runner.from_cfg(cfg)
    previous = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(LabelOutOfRangeError) as err:
            runner.train()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert bad in str(err.value) and '7 (9 px)' in str(err.value)
    assert runner.iter == 0  # stopped before the first step


def test_reduce_zero_label_files_hold_one_to_num_classes():
    from selfkd_seg.datasets.transforms import check_label_range
    stored = np.array([[0, 1, 3], [255, 2, 3]], np.uint8)  # 0 = ignored
    check_label_range(stored, 3, 255, 'a.png', reduce_zero_label=True)
    with pytest.raises(LabelOutOfRangeError, match=r"'a\.png'.*3 \(2 px\)"):
        check_label_range(stored, 3, 255, 'a.png')
    stored[0, 0] = 4
    with pytest.raises(
            LabelOutOfRangeError,
            match=r'4 \(1 px\).*valid labels 1\.\.3 with '
            'reduce_zero_label'):
        check_label_range(stored, 3, 255, 'a.png', reduce_zero_label=True)
