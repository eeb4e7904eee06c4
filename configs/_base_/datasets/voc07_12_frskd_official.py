# The FRSKD authors' training data path (github.com/MingiJi/FRSKD,
# segmentation/utils/dataset.py + custom_transform_seg.py) for the official
# configs (configs/frskd_seg_official/): voc07_12_frskd.py with its two mmseg
# conventions replaced by the authors' choices:
# - crops smaller than 512 pad the label map with 0 (background), as their
#   RandomScaleCrop (fill=0, custom_transform_seg.py line 113); mmseg and
#   voc07_12_frskd.py pad with 255 (ignored);
# - RandomCrop without cat_max_ratio (their crop is one uniform draw;
#   voc07_12_frskd.py re-draws crops where one class covers > 75 %).
# The remaining differences (resize / blur implementations, order of the
# steps) are listed in docs/frskd_official_network.md. Data sets, loaders,
# evaluation and test_pipeline_fixed512 come unchanged from voc07_12_frskd.py.
_base_ = ['./voc07_12_frskd.py']
# voc07_12_frskd.py's train pipeline, step for step, with those two changes
train_pipeline = [{
    k: v
    for k, v in step.items() if k != 'cat_max_ratio'
} if step['type'] != 'Pad' else dict(step, pad_val=dict(img=0, seg=0))
                  for step in _base_.train_pipeline]
# the same two training sets, with this pipeline
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(dataset, pipeline=train_pipeline)
        for dataset in _base_.train_dataloader.dataset.datasets
    ]))
# voc07_12_frskd.py's per-set fragments, kept consistent for configs that
# build their own loaders from them
dataset_voc07_trainval = dict(pipeline=train_pipeline)
dataset_voc12_trainval = dict(pipeline=train_pipeline)
