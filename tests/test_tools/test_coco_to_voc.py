"""selfkd_seg.converters.coco_to_voc and its command line
tools/dataset_converters/coco_to_voc.py: VOC layout that mmseg reads back,
the same masks as COCOSemanticDataset, class statistics."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image
from tool_scripts import load_tool

import selfkd_seg  # noqa: F401
from selfkd_research.synthetic_data import make_toy_coco
from selfkd_seg.converters import coco_to_voc as tool
from selfkd_seg.datasets import COCOSemanticDataset

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


@pytest.fixture(scope='module')
def toy_coco(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy_coco'))
    return make_toy_coco(
        root,
        num_train=4,
        num_val=2,
        img_size=(32, 32),
        seed=1,
        crowd_prob=0.5)


def split_args(toy):
    return [
        arg for split in ('train', 'val')
        for arg in ('--split', split, toy['ann_files'][split], toy['img_dir'])
    ]


def test_converted_dataset_reads_back_with_mmseg(toy_coco, tmp_path, capsys):
    out = str(tmp_path / 'voc')
    cli = load_tool('dataset_converters/coco_to_voc.py')
    meta = cli.main([out] + split_args(toy_coco))
    printed = capsys.readouterr().out
    assert '[train] 4 images' in printed and 'circle' in printed
    assert 'num_classes=5' in printed
    assert meta['img_suffix'] == '.jpg'

    init_default_scope('mmseg')
    from mmseg.datasets import BaseSegDataset
    plain = BaseSegDataset(
        data_root=out,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/train.txt',
        metainfo=dict(classes=tuple(meta['classes'])),
        pipeline=LOAD)
    coco = COCOSemanticDataset(
        ann_file=toy_coco['ann_files']['train'],
        data_prefix=dict(img_path=toy_coco['img_dir']),
        pipeline=LOAD)
    assert len(plain) == len(coco) == 4
    counts = np.zeros(5, dtype=np.int64)
    images = np.zeros(5, dtype=np.int64)
    for i in range(4):
        ours, theirs = plain[i], coco[i]
        np.testing.assert_array_equal(ours['gt_seg_map'], theirs['gt_seg_map'])
        np.testing.assert_array_equal(ours['img'], theirs['img'])
        hist = np.bincount(ours['gt_seg_map'].ravel(), minlength=256)
        counts += hist[:5]
        images += hist[:5] > 0
    stats = meta['stats']['train']
    assert list(stats['pixels'].values()) == counts.tolist()
    assert list(stats['images'].values()) == images.tolist()
    assert stats['ignore_pixels'] == 4 * 32 * 32 - counts.sum()

    # the project's VOC-layout dataset takes classes/palette from meta.json
    # and validates every mask
    voc = selfkd_seg.datasets.VOCLayoutDataset(
        data_root=out,
        ann_file='ImageSets/Segmentation/val.txt',
        check_labels=True,
        pipeline=LOAD)
    assert voc.metainfo['classes'] == coco.metainfo['classes']
    assert voc.metainfo['palette'] == coco.metainfo['palette']
    assert len(voc) == 2
    with Image.open(osp.join(out, 'SegmentationClass', 'train_0000.png')) \
            as mask:
        assert mask.mode == 'P'


def test_mixed_formats_become_png_and_missing_images(toy_coco, tmp_path):
    root = tmp_path / 'src'
    os.makedirs(root / 'images' / 'sub')
    images = []
    for i, name in enumerate(['a.jpg', 'sub/a.png', 'b.jpg']):
        Image.new('RGB', (8, 6)).save(root / 'images' / name)
        images.append(dict(id=i + 1, file_name=name, height=6, width=8))
    anns = [
        dict(
            id=1,
            image_id=2,
            category_id=1,
            iscrowd=0,
            segmentation=[[0, 0, 4, 0, 4, 4, 0, 4]])
    ]
    json_path = str(root / 'ann.json')
    with open(json_path, 'w') as f:
        json.dump(
            dict(
                images=images,
                annotations=anns,
                categories=[dict(id=1, name='thing')]), f)
    with pytest.warns(UserWarning, match='2 images have no annotation'):
        meta = tool.convert(
            str(tmp_path / 'out'), dict(all=(json_path, str(root / 'images'))))
    assert meta['img_suffix'] == '.png'
    assert meta['splits']['all'] == ['a', 'sub__a', 'b']
    assert sorted(os.listdir(
        tmp_path / 'out' / 'JPEGImages')) == ['a.png', 'b.png', 'sub__a.png']
    mask = np.asarray(
        Image.open(tmp_path / 'out' / 'SegmentationClass' / 'sub__a.png'))
    assert mask[:4, :4].tolist() == [[1] * 4] * 4 and mask.sum() == 16

    with pytest.raises(FileExistsError, match='not empty'):
        tool.convert(
            str(tmp_path / 'out'), dict(all=(json_path, str(root / 'images'))))
    os.remove(root / 'images' / 'b.jpg')
    with pytest.raises(FileNotFoundError, match='b.jpg'):
        tool.convert(
            str(tmp_path / 'out2'),
            dict(all=(json_path, str(root / 'images'))))
    meta = tool.convert(
        str(tmp_path / 'out3'),
        dict(all=(json_path, str(root / 'images'))),
        skip_missing=True)
    assert meta['splits']['all'] == ['a', 'sub__a']
