"""COCOSemanticDataset: rasterization rules, id mapping, cache, bad input."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image
from pycocotools import mask as mask_utils

import selfkd_seg  # noqa: F401
from selfkd_research.synthetic_data import make_toy_coco
from selfkd_research.synthetic_data.toy_voc import voc_palette
from selfkd_seg.datasets import COCOSemanticDataset
from selfkd_seg.utils import coco_rasterize
from selfkd_seg.utils.coco_rasterize import (COCOFormatError,
                                             build_semantic_masks)

H, W = 6, 8
X = 255
PIPELINE = [
    dict(type='LoadImageFromFileChecked'),
    dict(type='LoadAnnotationsChecked'),
    dict(type='PackSegInputs')
]


def rect(x0, y0, x1, y1):
    """Polygon of the pixels x0 <= x < x1, y0 <= y < y1."""
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def write_coco(root, anns, categories=None, images=None, files=True):
    """A JSON at root/ann.json and blank PNGs at root/img/."""
    images = images or [dict(id=1, file_name='a.png', height=H, width=W)]
    categories = categories or [dict(id=5, name='cat'), dict(id=2, name='dog')]
    os.makedirs(osp.join(root, 'img'), exist_ok=True)
    if files:
        for img in images:
            Image.new('RGB', (img['width'], img['height'])).save(
                osp.join(root, 'img', img['file_name']))
    for i, ann in enumerate(anns):
        ann.setdefault('id', i + 1)
        ann.setdefault('image_id', images[0]['id'])
        ann.setdefault('iscrowd', 0)
    path = osp.join(root, 'ann.json')
    with open(path, 'w') as f:
        json.dump(
            dict(images=images, annotations=anns, categories=categories), f)
    return path


def dataset(root, **kwargs):
    init_default_scope('mmseg')
    kwargs.setdefault('pipeline', PIPELINE)
    kwargs.setdefault('serialize_data', False)  # skips a slow gc.collect
    return COCOSemanticDataset(
        ann_file='ann.json',
        data_root=str(root),
        data_prefix=dict(img_path='img'),
        **kwargs)


def gt(ds, idx=0):
    return ds[idx]['data_samples'].gt_sem_seg.data[0].numpy()


def crowd_scene():
    """cat polygon, dog uncompressed RLE (column 6, rows 2-4), dog crowd
    over rows 4-5."""
    rle_counts = [6 * 6 + 2, 3, H * W - (6 * 6 + 5)]
    return [
        dict(category_id=5, segmentation=[rect(1, 1, 5, 4)]),
        dict(category_id=2, segmentation=dict(size=[H, W], counts=rle_counts)),
        dict(category_id=2, segmentation=[rect(0, 4, 8, 6)], iscrowd=1),
    ]


def test_polygon_rle_and_crowd_against_hand_drawn_mask(tmp_path):
    write_coco(tmp_path, crowd_scene())
    ds = dataset(tmp_path)
    # categories sorted by id: dog (2) -> 1, cat (5) -> 2
    assert ds.metainfo['classes'] == ('background', 'dog', 'cat')
    expected = np.array([
        [0, 0, 0, 0, 0, 0, 0, 0],
        [0, 2, 2, 2, 2, 0, 0, 0],
        [0, 2, 2, 2, 2, 0, 1, 0],
        [0, 2, 2, 2, 2, 0, 1, 0],
        [X, X, X, X, X, X, 1, X],  # the object inside the crowd keeps it
        [X, X, X, X, X, X, X, X],
    ])
    np.testing.assert_array_equal(gt(ds), expected)
    assert ds[0]['inputs'].shape == (3, H, W)


def test_crowd_as_category(tmp_path):
    write_coco(tmp_path, crowd_scene())
    labels = gt(dataset(tmp_path, crowd='category'))
    assert (labels[4:] == 1).all()
    assert (labels[1:4, 1:5] == 2).all()


def test_compressed_rle(tmp_path):
    drawn = np.zeros((H, W), dtype=np.uint8)
    drawn[0, :] = 1
    drawn[2:5, 3] = 1
    drawn[5, 7] = 1
    counts = mask_utils.encode(np.asfortranarray(drawn))['counts'].decode()
    write_coco(
        tmp_path,
        [dict(category_id=5, segmentation=dict(size=[H, W], counts=counts))])
    np.testing.assert_array_equal(gt(dataset(tmp_path)), drawn * 2)


def overlap_scene():
    return [
        dict(category_id=5, segmentation=[rect(2, 2, 4, 4)]),  # small first
        dict(category_id=2, segmentation=[rect(0, 0, 8, 6)]),  # whole image
    ]


def test_overlap_smaller_on_top_by_default(tmp_path):
    write_coco(tmp_path, overlap_scene())
    expected = np.ones((H, W), dtype=np.uint8)
    expected[2:4, 2:4] = 2
    np.testing.assert_array_equal(gt(dataset(tmp_path)), expected)


def test_overlap_later_on_top(tmp_path):
    write_coco(tmp_path, overlap_scene())
    labels = gt(dataset(tmp_path, overlap='later_on_top'))
    np.testing.assert_array_equal(labels, np.ones((H, W)))


def test_equal_areas_later_annotation_wins(tmp_path):
    write_coco(tmp_path, [
        dict(category_id=5, segmentation=[rect(0, 0, 4, 2)]),
        dict(category_id=2, segmentation=[rect(2, 0, 6, 2)]),
    ])
    assert gt(dataset(tmp_path))[0].tolist() == [2, 2, 1, 1, 1, 1, 0, 0]


def test_category_ids_map_to_contiguous_labels_names_and_palette(tmp_path):
    cats = [
        dict(id=30, name='c'),
        dict(id=4, name='a'),
        dict(id=17, name='b', color=[1, 2, 3])
    ]
    write_coco(
        tmp_path, [
            dict(category_id=30, segmentation=[rect(0, 0, 1, 1)]),
            dict(category_id=4, segmentation=[rect(1, 0, 2, 1)]),
            dict(category_id=17, segmentation=[rect(2, 0, 3, 1)]),
        ],
        categories=cats)
    ds = dataset(tmp_path)
    assert ds.metainfo['classes'] == ('background', 'a', 'b', 'c')
    voc = voc_palette(4)
    assert ds.metainfo['palette'] == [voc[0], voc[1], [1, 2, 3], voc[3]]
    assert gt(ds)[0, :4].tolist() == [3, 1, 2, 0]
    assert ds.semantic['stats']['pixels'] == dict(
        background=H * W - 3, a=1, b=1, c=1)


def test_polygon_outside_image_is_clipped_with_warning(tmp_path):
    write_coco(tmp_path,
               [dict(category_id=5, segmentation=[rect(-3, -3, 2, 20)])])
    with pytest.warns(UserWarning, match='1 polygons reach outside'):
        labels = gt(dataset(tmp_path))
    expected = np.zeros((H, W))
    expected[:, :2] = 2
    np.testing.assert_array_equal(labels, expected)


def test_empty_image_is_background_with_warning_or_skipped(tmp_path):
    images = [
        dict(id=1, file_name='a.png', height=H, width=W),
        dict(id=2, file_name='b.png', height=H, width=W)
    ]
    write_coco(
        tmp_path, [dict(category_id=5, segmentation=[rect(0, 0, 2, 2)])],
        images=images)
    with pytest.warns(UserWarning, match='1 images have no annotation'):
        ds = dataset(tmp_path)
    assert len(ds) == 2 and (gt(ds, 1) == 0).all()
    with pytest.warns(UserWarning, match='skipped 1 images without'):
        assert len(dataset(tmp_path, skip_empty=True)) == 1


def test_cache_is_reused_without_decoding(tmp_path, monkeypatch):
    write_coco(tmp_path, crowd_scene())
    first = dataset(tmp_path)
    assert first.semantic['reused'] is False
    assert first.semantic['folder'].startswith(
        str(tmp_path / 'semantic_masks' / 'ann-'))

    def no_decoding(*args, **kwargs):
        raise AssertionError('rasterized again')

    monkeypatch.setattr(coco_rasterize, 'rasterize_annotations', no_decoding)
    second = dataset(tmp_path)
    assert second.semantic['reused'] is True
    assert second.semantic['folder'] == first.semantic['folder']
    np.testing.assert_array_equal(gt(second), gt(first))


def test_cache_invalidated_by_json_content_and_options(tmp_path):
    write_coco(tmp_path, overlap_scene())
    base = dataset(tmp_path).semantic['folder']
    other = dataset(tmp_path, overlap='later_on_top')
    assert other.semantic['folder'] != base and not other.semantic['reused']
    # same name, same size, new content
    write_coco(tmp_path,
               [dict(category_id=2, segmentation=[rect(0, 0, 1, 1)])])
    edited = dataset(tmp_path)
    assert edited.semantic['folder'] != base
    assert not edited.semantic['reused']
    assert gt(edited).sum() == 1
    # a damaged cache (mask deleted) is rebuilt, not served
    os.remove(osp.join(edited.semantic['folder'], 'masks', '1.png'))
    assert dataset(tmp_path).semantic['reused'] is False


def test_cache_dir_option(tmp_path):
    write_coco(tmp_path, overlap_scene())
    ds = dataset(tmp_path, cache_dir=str(tmp_path / 'elsewhere'))
    assert osp.dirname(ds.semantic['folder']) == str(tmp_path / 'elsewhere')
    assert not osp.exists(tmp_path / 'semantic_masks')


@pytest.mark.parametrize('key', ['images', 'annotations', 'categories'])
def test_missing_top_level_key_is_named(tmp_path, key):
    path = write_coco(tmp_path, overlap_scene())
    with open(path) as f:
        data = json.load(f)
    del data[key]
    with open(path, 'w') as f:
        json.dump(data, f)
    with pytest.raises(COCOFormatError, match=f'ann.json.*"{key}"'):
        dataset(tmp_path)


def test_unknown_category_id_is_named(tmp_path):
    write_coco(tmp_path,
               [dict(category_id=99, segmentation=[rect(0, 0, 2, 2)])])
    with pytest.raises(COCOFormatError, match='unknown category_id 99'):
        dataset(tmp_path)


def test_annotation_for_unlisted_image_is_an_error(tmp_path):
    write_coco(
        tmp_path,
        [dict(category_id=5, image_id=77, segmentation=[rect(0, 0, 2, 2)])])
    with pytest.raises(COCOFormatError, match='image_id=77.*not in "images"'):
        dataset(tmp_path)


def test_missing_image_file_errors_or_is_skipped(tmp_path):
    images = [
        dict(id=1, file_name='a.png', height=H, width=W),
        dict(id=2, file_name='gone.png', height=H, width=W)
    ]
    write_coco(
        tmp_path, [dict(category_id=5, segmentation=[rect(0, 0, 2, 2)])],
        images=images)
    os.remove(tmp_path / 'img' / 'gone.png')
    with pytest.raises(FileNotFoundError, match='gone.png'):
        dataset(tmp_path)
    with pytest.warns(UserWarning, match='skipped 1 images whose files'):
        ds = dataset(tmp_path, missing_images='skip')
    assert len(ds) == 1


@pytest.mark.parametrize('segm, match', [
    ([[0, 0, 4, 0, 4]], 'odd number of coordinates'),
    (dict(size=[H, W], counts=[5, 3]), 'sum to 8, expected H\\*W = 48'),
    (dict(size=[H + 1, W], counts=[H * W + W]), 'RLE size'),
    ('bogus', 'must be a list of polygons or an RLE'),
])
def test_malformed_segmentation_is_named(tmp_path, segm, match):
    write_coco(tmp_path, [dict(category_id=5, segmentation=segm, id=42)])
    with pytest.raises(COCOFormatError, match=f'annotation id=42.*{match}'):
        dataset(tmp_path)


def test_two_point_polygon_is_dropped_not_read_as_a_box(tmp_path):
    write_coco(tmp_path, [
        dict(category_id=5, segmentation=[[0, 0, 4, 4]]),
        dict(category_id=2, segmentation=[rect(0, 0, 1, 1)])
    ])
    with pytest.warns(UserWarning, match='1 polygons have fewer than 3'):
        labels = gt(dataset(tmp_path))
    assert labels.sum() == 1


def test_box_only_json_is_rejected(tmp_path):
    write_coco(tmp_path,
               [dict(category_id=5, segmentation=[], bbox=[0, 0, 2, 2])])
    with pytest.raises(COCOFormatError, match='box-only'):
        dataset(tmp_path)


def test_image_size_mismatch_is_an_error(tmp_path):
    images = [dict(id=1, file_name='a.png', height=H, width=W)]
    write_coco(tmp_path, overlap_scene(), images=images)
    Image.new('RGB', (W, H + 2)).save(tmp_path / 'img' / 'a.png')
    with pytest.raises(COCOFormatError, match='8x8 \\(HxW, as loaded\\)'):
        dataset(tmp_path)


def test_exif_rotated_image_is_checked_as_loaded(tmp_path):
    # stored 6 wide x 8 high, EXIF orientation 6: loaded as 8 wide x 6 high
    write_coco(tmp_path, overlap_scene())
    img = Image.new('RGB', (H, W))
    exif = img.getexif()
    exif[0x0112] = 6
    img.save(tmp_path / 'img' / 'a.jpg', exif=exif)
    with open(tmp_path / 'ann.json') as f:
        data = json.load(f)
    data['images'][0]['file_name'] = 'a.jpg'
    with open(tmp_path / 'ann.json', 'w') as f:
        json.dump(data, f)
    ds = dataset(tmp_path)
    assert ds[0]['inputs'].shape == (3, H, W) == (3, ) + gt(ds).shape


def test_metainfo_and_label_options_are_checked(tmp_path):
    write_coco(tmp_path, overlap_scene())
    with pytest.raises(ValueError, match='reduce_zero_label'):
        dataset(tmp_path, reduce_zero_label=True)
    with pytest.raises(ValueError, match='differ from the classes'):
        dataset(tmp_path, metainfo=dict(classes=('background', 'cat')))
    palette = [[9, 9, 9], [1, 1, 1], [2, 2, 2]]
    assert dataset(
        tmp_path,
        metainfo=dict(palette=palette)).metainfo['palette'] == palette


def test_background_category_name_clash(tmp_path):
    write_coco(
        tmp_path,
        overlap_scene(),
        categories=[dict(id=5, name='background'),
                    dict(id=2, name='dog')])
    with pytest.raises(COCOFormatError, match="background class"):
        dataset(tmp_path)


def test_toy_coco_generator_covers_the_formats(tmp_path):
    info = make_toy_coco(
        str(tmp_path),
        num_train=8,
        num_val=2,
        img_size=(32, 32),
        seed=0,
        crowd_prob=0.5)
    with open(info['ann_files']['train'], 'rb') as f:
        raw = f.read()
    data = json.loads(raw)
    segms = [a['segmentation'] for a in data['annotations']]
    assert any(isinstance(s, list) for s in segms)
    assert any(
        isinstance(s, dict) and isinstance(s['counts'], str) for s in segms)
    assert any(
        isinstance(s, dict) and isinstance(s['counts'], list) for s in segms)
    assert any(a['iscrowd'] for a in data['annotations'])
    assert [c['id'] for c in data['categories']] == [1, 3, 7, 12]
    # deterministic
    again = make_toy_coco(
        str(tmp_path / 'again'),
        num_train=8,
        num_val=2,
        img_size=(32, 32),
        seed=0,
        crowd_prob=0.5)
    with open(again['ann_files']['train'], 'rb') as f:
        assert f.read() == raw
    manifest = build_semantic_masks(info['ann_files']['train'],
                                    info['img_dir'])
    assert manifest['classes'] == [
        'background', 'circle', 'square', 'triangle', 'stripes'
    ]
    assert manifest['stats']['ignore_pixels'] > 0  # crowd regions
    assert len(manifest['samples']) == 8
