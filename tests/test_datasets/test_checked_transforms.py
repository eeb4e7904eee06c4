import shutil
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.datasets.transforms import PackSegInputs  # noqa: E402
from mmseg.evaluation import IoUMetric  # noqa: E402
from mmseg.models.segmentors import BaseSegmentor  # noqa: E402
from mmseg.registry import DATASETS, TRANSFORMS  # noqa: E402
from PIL import Image

import selfkd_seg  # noqa: F401
from selfkd_seg.datasets.transforms import (CorruptDataError,
                                            EvaluateAtCurrentSize,
                                            LoadAnnotationsChecked,
                                            LoadImageFromFileChecked,
                                            RandomGaussianBlur)


def _seg_results(path):
    return dict(seg_map_path=str(path), reduce_zero_label=False, seg_fields=[])


def test_checked_loaders_read_valid_files(tiny_toy_root):
    img = LoadImageFromFileChecked()(
        dict(img_path=f'{tiny_toy_root}/JPEGImages/train_0000.jpg'))
    assert img['img'].shape == (32, 32, 3) and img['ori_shape'] == (32, 32)
    seg = LoadAnnotationsChecked()(
        _seg_results(f'{tiny_toy_root}/SegmentationClass/train_0000.png'))
    assert seg['gt_seg_map'].shape == (32, 32)
    assert seg['gt_seg_map'].dtype == np.uint8


@pytest.mark.parametrize('payload', [b'not a jpeg at all' * 8, 'truncated'])
def test_corrupt_image_error_names_the_file(tiny_toy_root, tmp_path, payload):
    good = open(f'{tiny_toy_root}/JPEGImages/train_0000.jpg', 'rb').read()
    if payload == 'truncated':
        payload = good[:len(good) // 2]
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(payload)
    with pytest.raises(CorruptDataError, match=r'image file .*broken\.jpg'):
        LoadImageFromFileChecked()(dict(img_path=str(bad)))
    # the parent's opt-out for unreadable files still works
    assert LoadImageFromFileChecked(ignore_empty=True)(
        dict(img_path=str(bad))) is None


def test_missing_image_and_corrupt_or_rgb_mask(tiny_toy_root, tmp_path):
    with pytest.raises(FileNotFoundError, match=r'gone\.jpg'):
        LoadImageFromFileChecked()(dict(img_path=str(tmp_path / 'gone.jpg')))
    bad = tmp_path / 'broken.png'
    bad.write_bytes(b'\x89PNG garbage')
    with pytest.raises(CorruptDataError, match=r'mask file .*broken\.png'):
        LoadAnnotationsChecked()(_seg_results(bad))
    rgb = tmp_path / 'rgb.png'
    Image.open(f'{tiny_toy_root}/SegmentationClass/train_0000.png').convert(
        'RGB').save(rgb)
    with pytest.raises(CorruptDataError, match=r'rgb\.png.*\(32, 32, 3\)'):
        LoadAnnotationsChecked()(_seg_results(rgb))


def test_corrupt_jpeg_through_the_dataset_names_the_file(
        tiny_toy_root, tmp_path):
    init_default_scope('mmseg')
    root = tmp_path / 'toy'
    shutil.copytree(tiny_toy_root, root)
    (root / 'JPEGImages' / 'train_0001.jpg').write_bytes(b'\xff\xd8garbage')
    dataset = DATASETS.build(
        dict(
            type='VOCLayoutDataset',
            data_root=str(root),
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=[
                dict(type='LoadImageFromFileChecked'),
                dict(type='LoadAnnotationsChecked'),
                dict(type='PackSegInputs')
            ]))
    dataset[0]
    with pytest.raises(CorruptDataError, match=r'train_0001\.jpg'):
        dataset[1]


def test_random_gaussian_blur():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
    seg = rng.integers(0, 3, size=(16, 16), dtype=np.uint8)
    kept = RandomGaussianBlur(prob=0.)(dict(img=img.copy(), gt_seg_map=seg))
    assert (kept['img'] == img).all()
    blurred = RandomGaussianBlur(
        prob=1., radius_range=(1., 1.))(
            dict(img=img.copy(), gt_seg_map=seg.copy()))
    assert blurred['img'].shape == img.shape
    assert blurred['img'].dtype == np.uint8
    # blur smooths: neighbouring pixels get closer, the mask is untouched
    assert np.abs(np.diff(blurred['img'].astype(int), axis=1)).mean() < \
        0.6 * np.abs(np.diff(img.astype(int), axis=1)).mean()
    assert (blurred['gt_seg_map'] == seg).all()
    with pytest.raises(ValueError, match='radius_range'):
        RandomGaussianBlur(radius_range=(2., 1.))
    with pytest.raises(ValueError, match='prob'):
        RandomGaussianBlur(prob=1.5)


def test_fixed_size_evaluation_scores_at_the_resized_size(tiny_toy_root):
    """The FRSKD eval pipeline: mask resized with the image, scored there."""
    init_default_scope('mmseg')
    pipeline = [
        TRANSFORMS.build(t) for t in [
            dict(type='LoadImageFromFileChecked'),
            dict(type='LoadAnnotationsChecked'),
            dict(type='Resize', scale=(48, 40), keep_ratio=False),
            dict(type='EvaluateAtCurrentSize'),
        ]
    ]
    results = dict(
        img_path=f'{tiny_toy_root}/JPEGImages/val_0000.jpg',
        seg_map_path=f'{tiny_toy_root}/SegmentationClass/val_0000.png',
        reduce_zero_label=False,
        seg_fields=[])
    for t in pipeline:
        results = t(results)
    gt = results['gt_seg_map']
    assert gt.shape == (40, 48) and results['ori_shape'] == (40, 48)
    assert set(np.unique(gt).tolist()) <= {0, 1, 2, 3, 4, 255}  # nearest
    packed = PackSegInputs()(results)
    sample = packed['data_samples']
    # an oracle prediction at the network's input size
    labels = torch.from_numpy(gt.astype(np.int64)).clamp(max=4)
    logits = torch.nn.functional.one_hot(labels, 5).permute(2, 0, 1)[None]
    fake_model = SimpleNamespace(align_corners=False)
    [pred] = BaseSegmentor.postprocess_result(fake_model, logits.float(),
                                              [sample])
    assert pred.pred_sem_seg.shape == (40, 48)
    metric = IoUMetric()
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd', 'e'))
    metric.process({}, [pred.to_dict()])
    present = [c for c in range(5) if (gt == c).any()]
    ious = metric.results[0][0][present] / metric.results[0][1][present]
    assert torch.allclose(ious, torch.ones_like(ious))


def test_evaluate_at_current_size_rejects_unresized_mask():
    results = dict(
        img_shape=(8, 8),
        ori_shape=(4, 4),
        gt_seg_map=np.zeros((4, 4), np.uint8),
        img_path='x.jpg')
    with pytest.raises(ValueError, match=r"\(4, 4\).*\(8, 8\).*'x\.jpg'"):
        EvaluateAtCurrentSize()(results)
