"""mmpretrain's VisualizationHook with one painted file per image.

mmpretrain names a painted image after the image's file name only, so in an
ImageNet-style folder set (``val/<class>/0000.png`` in every class folder)
the pictures of different classes overwrite each other and ``--show-dir``
keeps one picture per file name.  :class:`ClassFolderVisualizationHook`
keeps the parent folder in the name (``red_square_0000.png_0.png``);
everything else is mmpretrain's hook.  ``tools/test.py --show/--show-dir``
puts it in place of mmpretrain's ``VisualizationHook``.
"""
import math
import os.path as osp
from typing import Sequence

from mmengine.fileio import join_path
from mmpretrain.engine.hooks import VisualizationHook

from selfkd_seg.registry import HOOKS


def painted_name(img_path: str) -> str:
    """``<parent folder>_<file name>`` of an image path."""
    parent = osp.basename(osp.dirname(img_path))
    name = osp.basename(img_path)
    return f'{parent}_{name}' if parent else name


@HOOKS.register_module(codebases='mmpretrain')
class ClassFolderVisualizationHook(VisualizationHook):
    """:class:`mmpretrain.engine.hooks.VisualizationHook` whose file names
    keep the image's parent (class) folder, so no painted image overwrites
    another.  Same arguments as mmpretrain's hook."""

    def _draw_samples(self,
                      batch_idx: int,
                      data_batch: dict,
                      data_samples: Sequence,
                      step: int = 0) -> None:
        if self.enable is False:
            return
        batch_size = len(data_samples)
        images = data_batch['inputs']
        start_idx = batch_size * batch_idx
        end_idx = start_idx + batch_size
        # the first index divisible by the interval, from the start index
        first_sample_id = math.ceil(start_idx / self.interval) * self.interval
        for sample_id in range(first_sample_id, end_idx, self.interval):
            image = images[sample_id - start_idx]
            image = image.permute(1, 2, 0).cpu().numpy().astype('uint8')
            data_sample = data_samples[sample_id - start_idx]
            if 'img_path' in data_sample:
                sample_name = painted_name(data_sample.get('img_path'))
            else:
                sample_name = str(sample_id)
            draw_args = dict(self.draw_args)
            if self.out_dir is not None:
                draw_args['out_file'] = join_path(self.out_dir,
                                                  f'{sample_name}_{step}.png')
            self._visualizer.visualize_cls(
                image=image,
                data_sample=data_sample,
                step=step,
                name=sample_name,
                **draw_args)
