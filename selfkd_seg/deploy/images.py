"""The images a parity check runs on: files or the config's test set,
through the config's test pipeline and the model's data preprocessor, at
the pipeline's size or resized to another."""
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def collect_images(cfg,
                   images: Optional[Sequence[str]] = None,
                   num_images: int = 4) -> List[str]:
    """Image files: the given files / folders, else the config's test set.

    Folders are listed (image suffixes, sorted); without ``images`` the
    first ``num_images`` images of ``test_dataloader.dataset`` are used.
    """
    if num_images < 1:
        raise ValueError(f'num_images must be >= 1, got {num_images}')
    paths = []
    if images:
        for item in images:
            if osp.isdir(item):
                found = sorted(
                    osp.join(root, f) for root, _, files in os.walk(item)
                    for f in files if f.lower().endswith(IMAGE_SUFFIXES))
                if not found:
                    raise FileNotFoundError(
                        f'no image files ({", ".join(IMAGE_SUFFIXES)}) '
                        f'under {item!r}')
                paths += found
            elif osp.isfile(item):
                paths.append(item)
            else:
                raise FileNotFoundError(f'image {item!r} does not exist')
        return paths[:num_images]
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope(cfg.default_scope)
    dataset_cfg = cfg.test_dataloader.dataset
    try:
        dataset = DATASETS.build(dataset_cfg)
    except Exception as err:  # noqa: BLE001 (re-raised with advice)
        raise FileNotFoundError(
            f'no images given and the config\'s test dataset '
            f'({dataset_cfg.get("type")} at '
            f'{dataset_cfg.get("data_root")!r}) could not be built: '
            f'{type(err).__name__}: {err}. Pass --images, or create the '
            'data (toy data: tools/dataset_converters/make_toy_voc.py '
            'data/toy_voc, python -m selfkd_research.synthetic_data.toy_cls '
            'data/toy_cls)') from err
    if len(dataset) == 0:
        raise FileNotFoundError('the config\'s test dataset is empty')
    return [
        dataset.get_data_info(i)['img_path']
        for i in range(min(num_images, len(dataset)))
    ]


def deploy_pipeline(cfg, size: Optional[Tuple[int, int]] = None) -> list:
    """The config's test pipeline without annotation loading.

    ``size=(H, W)`` adds a resize to exactly that size before packing.
    """
    pipeline = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.get(
        'pipeline')
    if not pipeline:
        raise ValueError('the config has no test pipeline '
                         '(test_pipeline or test_dataloader.dataset.pipeline)')
    steps = [
        dict(step) for step in pipeline
        if 'Annotation' not in str(step.get('type', ''))
    ]
    if size is not None:
        resize = dict(
            type='Resize', scale=(size[1], size[0]), keep_ratio=False)
        is_pack = 'Pack' in str(steps[-1].get('type', ''))
        steps.insert(len(steps) - 1 if is_pack else len(steps), resize)
    return steps


def preprocess(model: nn.Module,
               image_paths: Sequence[str],
               size: Optional[Tuple[int, int]] = None) -> List[torch.Tensor]:
    """Images -> test pipeline -> ``data_preprocessor``: one batch per shape.

    Returns batches (``N x 3 x H x W``) of the images whose preprocessed
    shapes are equal, in order of first appearance.
    """
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import init_default_scope
    init_default_scope(model.cfg.default_scope)
    pipeline = Compose(deploy_pipeline(model.cfg, size))
    groups: Dict[tuple, List[torch.Tensor]] = OrderedDict()
    for path in image_paths:
        data = pipeline(dict(img_path=path))
        with torch.no_grad():
            inputs = model.data_preprocessor(
                pseudo_collate([data]), training=False)['inputs']
        groups.setdefault(tuple(inputs.shape[1:]), []).append(inputs)
    return [torch.cat(batch) for batch in groups.values()]


def parse_shape(text: str) -> Optional[Tuple[int, int]]:
    """``'native'`` -> None (the pipeline's size); ``'HxW'`` -> (H, W)."""
    if text == 'native':
        return None
    try:
        h, w = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise ValueError(f"shape must be 'native' or HxW (e.g. 97x161), got "
                         f'{text!r}') from None
    if h < 1 or w < 1:
        raise ValueError(f'shape {text!r}: sizes must be positive')
    return h, w


def second_shape(native_hw: Tuple[int, int]) -> Tuple[int, int]:
    """A default second size: smaller height, larger width, both odd-ish
    (``3/4 H + 1``, ``5/4 W + 1``), so dynamic sizes are really exercised."""
    h, w = native_hw
    return max(h * 3 // 4 + 1, 8), max(w * 5 // 4 + 1, 8)
