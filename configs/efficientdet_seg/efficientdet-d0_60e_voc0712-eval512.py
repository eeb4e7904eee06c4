# efficientdet-d0_60e_voc0712 evaluated as FRSKD's code does: VOC2007 test images and masks resized
# to 512x512 and scored there (compare with the paper's Table 4). Train with
# efficientdet-d0_60e_voc0712.py; test a checkpoint with this config.
_base_ = './efficientdet-d0_60e_voc0712.py'
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_fixed512}}))
test_dataloader = dict(
    dataset=dict(pipeline={{_base_.test_pipeline_fixed512}}))
