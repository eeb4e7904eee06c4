# FRSKD data protocol with the FRSKD code's evaluation: VOC2007 test images
# AND masks resized to 512x512 (mask: nearest) and scored at 512x512, instead
# of mmseg's original-size evaluation.  Use it to compare with the paper.
_base_ = ['./voc07_12_frskd.py']
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_fixed512}}))
test_dataloader = dict(
    dataset=dict(pipeline={{_base_.test_pipeline_fixed512}}))
