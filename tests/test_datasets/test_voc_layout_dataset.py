import json
import os
import os.path as osp
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402
from PIL import Image

import selfkd_seg  # noqa: F401  registers VOCLayoutDataset and transforms
from selfkd_seg.datasets import LabelOutOfRangeError, voc_palette

REPO = Path(__file__).resolve().parents[2]
TOY_CFG = str(REPO / 'configs' / '_base_' / 'datasets' / 'toy_voc.py')
TRAIN_SPLIT = 'ImageSets/Segmentation/train.txt'


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


@pytest.fixture
def toy_copy(tiny_toy_root, tmp_path):
    """A private, writable copy of the tiny toy set."""
    root = tmp_path / 'toy'
    shutil.copytree(tiny_toy_root, root)
    return root


def _build(root, **kwargs):
    cfg = dict(
        type='VOCLayoutDataset', data_root=str(root), ann_file=TRAIN_SPLIT)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


@pytest.mark.parametrize('split', ['train', 'val'])
def test_toy_config_pipelines_yield_packed_samples(tiny_toy_root, monkeypatch,
                                                   split):
    monkeypatch.setenv('SELFKD_TOY_DATA', tiny_toy_root)
    cfg = Config.fromfile(TOY_CFG)
    ds_cfg = cfg[f'{split}_dataloader'].dataset
    assert ds_cfg.data_root == tiny_toy_root
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == {'train': 4, 'val': 2}[split]
    assert dataset.metainfo['classes'] == ('background', 'circle', 'square',
                                           'triangle', 'stripes')
    sample = dataset[0]
    assert isinstance(sample['inputs'], torch.Tensor)
    assert isinstance(sample['data_samples'], SegDataSample)
    # 32x32 toy images: the train crop pads to 128, val keeps the size
    size = {'train': (128, 128), 'val': (32, 32)}[split]
    assert tuple(sample['inputs'].shape) == (3, ) + size
    gt = sample['data_samples'].gt_sem_seg.data
    assert tuple(gt.shape) == (1, ) + size
    assert set(gt.unique().tolist()) <= {0, 1, 2, 3, 4, 255}


def test_metainfo_from_meta_json_and_from_config(toy_copy):
    from_file = _build(toy_copy)
    assert from_file.metainfo['classes'][0] == 'background'
    assert from_file.metainfo['palette'][1] == [128, 0, 0]
    os.remove(toy_copy / 'meta.json')
    classes = ('bg', 'a', 'b', 'c', 'd')
    from_cfg = _build(toy_copy, metainfo=dict(classes=classes))
    assert from_cfg.metainfo['classes'] == classes
    assert len(from_cfg.metainfo['palette']) == 5
    with pytest.raises(ValueError, match='metainfo=dict'):
        _build(toy_copy)


def test_config_classes_disagreeing_with_meta_json(toy_copy):
    with pytest.raises(ValueError, match=r'differ from the classes.*meta'):
        _build(toy_copy, metainfo=dict(classes=('a', 'b', 'c', 'd', 'e')))


def test_missing_data_root(tmp_path):
    missing = tmp_path / 'nowhere'
    with pytest.raises(FileNotFoundError, match=f'data_root.*{missing}'):
        _build(missing)


@pytest.mark.parametrize('folder,key', [('JPEGImages', 'img_path'),
                                        ('SegmentationClass', 'seg_map_path')])
def test_missing_image_or_mask_folder(toy_copy, folder, key):
    shutil.rmtree(toy_copy / folder)
    with pytest.raises(FileNotFoundError, match=f'{key}.*{folder}'):
        _build(toy_copy)


def test_missing_split_file(toy_copy):
    with pytest.raises(FileNotFoundError, match=r'ann_file.*nosuch\.txt'):
        _build(toy_copy, ann_file='ImageSets/Segmentation/nosuch.txt')


@pytest.mark.parametrize('folder,suffix,key',
                         [('JPEGImages', '.jpg', 'img_path'),
                          ('SegmentationClass', '.png', 'seg_map_path')])
def test_split_entry_with_missing_file(toy_copy, folder, suffix, key):
    os.remove(toy_copy / folder / ('train_0002' + suffix))
    with pytest.raises(FileNotFoundError) as err:
        _build(toy_copy)
    msg = str(err.value)
    assert "'train_0002'" in msg and key in msg
    assert osp.join(folder, 'train_0002' + suffix) in msg


def _write_mask(path, labels):
    mask = Image.frombytes('P', labels.shape[::-1], labels.tobytes())
    # without a full palette PIL may renumber the indices on save
    mask.putpalette([v for rgb in voc_palette() for v in rgb])
    mask.save(path)


def test_check_labels_rejects_out_of_range_labels(toy_copy):
    path = toy_copy / 'SegmentationClass' / 'train_0001.png'
    labels = np.zeros((32, 32), dtype=np.uint8)
    labels[:4, :4] = 7
    labels[-4:, -4:] = 255  # ignore stays legal
    _write_mask(path, labels)
    _build(toy_copy)  # check_labels defaults to False: no scan
    with pytest.raises(LabelOutOfRangeError) as err:
        _build(toy_copy, check_labels=True)
    msg = str(err.value)
    assert 'train_0001.png' in msg and '7 (16 px)' in msg
    assert '5 classes' in msg and 'ignore 255' in msg


def test_check_labels_rejects_rgb_masks_and_size_mismatch(toy_copy):
    path = toy_copy / 'SegmentationClass' / 'train_0003.png'
    Image.open(path).convert('RGB').save(path)
    with pytest.raises(ValueError, match=r"train_0003\.png.*mode 'RGB'"):
        _build(toy_copy, check_labels=True)
    _write_mask(path, np.zeros((16, 32), dtype=np.uint8))
    with pytest.raises(ValueError, match=r'train_0003\.png.*16x32.*32x32'):
        _build(toy_copy, check_labels=True)


def test_meta_json_written_by_generator_is_what_the_config_declares(
        tiny_toy_root):
    cfg = Config.fromfile(TOY_CFG)
    meta = json.loads(Path(tiny_toy_root, 'meta.json').read_text())
    assert list(cfg.toy_metainfo.classes) == meta['classes']
    assert [list(c) for c in cfg.toy_metainfo.palette] == meta['palette']
