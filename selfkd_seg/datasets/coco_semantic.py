import os.path as osp
import warnings
from typing import List, Optional

from mmengine.utils import is_abs
from mmseg.datasets import BaseSegDataset

from selfkd_seg.registry import DATASETS
from selfkd_seg.utils.coco_rasterize import build_semantic_masks


@DATASETS.register_module()
class COCOSemanticDataset(BaseSegDataset):
    """Semantic segmentation from a COCO-format JSON (polygons or RLE).

    The format written by most labelling tools (CVAT, Label Studio,
    Roboflow, labelme2coco, ...) and by COCO itself.  On first use the
    annotations are rasterized into per-pixel label maps and cached as PNGs
    (see :func:`selfkd_seg.utils.coco_rasterize.build_semantic_masks`):
    the cache is keyed by the JSON's content, so later epochs and runs read
    PNGs through mmseg's ordinary ``LoadAnnotations`` and an edited JSON is
    rasterized again.

    Labels: 0 is ``background`` (every pixel no annotation covers), the
    categories sorted by id are 1..K; class names come from their ``name``,
    the palette from their ``color`` or the VOC colours, so set the model's
    ``num_classes`` to K + 1.  Where annotations overlap the smaller one wins
    (``overlap``); crowd regions are ignored (255) unless ``crowd='category'``;
    polygons are clipped to the image.  Missing keys, unknown category or
    image ids, malformed polygons/RLE and image sizes that differ from the
    JSON are errors naming the JSON and the id.

    Args:
        ann_file (str): The COCO-format JSON, relative to ``data_root``.
        data_prefix (dict): ``img_path``: folder the images' ``file_name``
            are relative to (relative to ``data_root``). Defaults to ''.
        cache_dir (str, optional): Folder for the rasterized masks. Defaults
            to ``semantic_masks`` next to the JSON (give a writable place if
            the data folder is read-only).
        overlap (str): 'smaller_on_top' (default) or 'later_on_top' (file
            order).
        crowd (str): 'ignore' (default: ``iscrowd=1`` regions get
            ``ignore_index``, below the other annotations) or 'category'.
        missing_images (str): What to do with an image listed in the JSON
            whose file does not exist: 'error' (default) or 'skip' (warn
            with a count and leave it out).
        skip_empty (bool): Leave out images without annotations instead of
            serving them as all background. Defaults to False.
        background (str): Name of label 0. Defaults to 'background'.
        **kwargs: Other arguments of :class:`mmseg.datasets.BaseSegDataset`
            (``metainfo`` may set a ``palette``; its ``classes``, if given,
            must equal the JSON's).
    """

    def __init__(self,
                 ann_file: str,
                 data_prefix: dict = dict(img_path=''),
                 cache_dir: Optional[str] = None,
                 overlap: str = 'smaller_on_top',
                 crowd: str = 'ignore',
                 missing_images: str = 'error',
                 skip_empty: bool = False,
                 background: str = 'background',
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 ignore_index: int = 255,
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        name = self.__class__.__name__
        if missing_images not in ('error', 'skip'):
            raise ValueError(f"{name}: missing_images must be 'error' or "
                             f"'skip', got {missing_images!r}")
        if reduce_zero_label:
            raise ValueError(
                f'{name}: reduce_zero_label must stay False: label 0 is the '
                'background class (pixels no annotation covers) and the '
                'categories are 1..K already')
        self.missing_images = missing_images
        self.skip_empty = skip_empty
        json_path = self._under_root(ann_file, data_root)
        img_dir = self._under_root(data_prefix.get('img_path', ''), data_root)
        self.semantic = build_semantic_masks(
            json_path,
            img_dir=img_dir,
            cache_dir=cache_dir,
            overlap=overlap,
            crowd=crowd,
            ignore_index=ignore_index,
            background=background)
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            metainfo=self._merge_metainfo(metainfo, json_path),
            data_root=data_root,
            ignore_index=ignore_index,
            reduce_zero_label=False,
            **kwargs)

    @staticmethod
    def _under_root(path: str, data_root: Optional[str]) -> str:
        """The path as ``BaseDataset._join_prefix`` will resolve it."""
        if data_root and path is not None and not is_abs(path):
            return osp.join(data_root, path)
        return path

    def _merge_metainfo(self, metainfo: Optional[dict],
                        json_path: str) -> dict:
        """Classes from the JSON; a user palette may replace its colours."""
        metainfo = dict(metainfo or {})
        classes = tuple(self.semantic['classes'])
        given = metainfo.get('classes')
        if given is not None and tuple(given) != classes:
            raise ValueError(
                f'{self.__class__.__name__}: metainfo classes {list(given)} '
                f'differ from the classes {list(classes)} of {json_path!r} '
                '(background + categories sorted by id); drop `classes` '
                'from metainfo or fix the JSON')
        metainfo['classes'] = classes
        palette = metainfo.get('palette')
        if palette is not None and len(palette) != len(classes):
            raise ValueError(
                f'{self.__class__.__name__}: metainfo palette has '
                f'{len(palette)} colours for {len(classes)} classes')
        metainfo['palette'] = palette or self.semantic['palette']
        return metainfo

    def load_data_list(self) -> List[dict]:
        """Samples with the image path and the cached label map path."""
        img_dir = self.data_prefix.get('img_path', '')
        folder = self.semantic['folder']
        data_list, missing, empty = [], [], 0
        for sample in self.semantic['samples']:
            img_path = osp.join(img_dir, sample['file_name'])
            if not osp.isfile(img_path):
                missing.append(img_path)
                continue
            if self.skip_empty and not sample['num_anns']:
                empty += 1
                continue
            data_list.append(
                dict(
                    img_path=img_path,
                    seg_map_path=osp.join(folder, sample['mask']),
                    img_id=sample['id'],
                    label_map=self.label_map,
                    reduce_zero_label=False,
                    seg_fields=[]))
        json_path = self.semantic['json_path']
        if missing and self.missing_images == 'error':
            raise FileNotFoundError(
                f'{self.__class__.__name__}: {len(missing)} image(s) listed '
                f'in {json_path!r} do not exist, e.g. {missing[:3]} (check '
                "data_prefix.img_path, or pass missing_images='skip')")
        if missing:
            warnings.warn(f'{json_path}: skipped {len(missing)} images whose '
                          f'files do not exist, e.g. {missing[:3]}')
        if empty:
            warnings.warn(f'{json_path}: skipped {empty} images without '
                          'annotations (skip_empty=True)')
        if not data_list:
            raise ValueError(f'{self.__class__.__name__}: no usable image in '
                             f'{json_path!r} (images in {img_dir!r})')
        # the data list now holds the paths; keep stats, not 2 copies
        self.semantic = {
            k: v
            for k, v in self.semantic.items() if k != 'samples'
        }
        return data_list
