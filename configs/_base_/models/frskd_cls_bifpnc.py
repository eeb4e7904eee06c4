# FRSKD's classification block (Ji et al., CVPR 2021): a BiFPNc self-teacher
# (width 2, one layer of depth 2: FRSKD's setting) on the classifier's stage
# features and L = CE + CE(self-teacher) + alpha*KD(T=4) + beta*AT. alpha and
# beta depend on the dataset, so every config sets them.
#
# It is a variable, not `model`: the plain classifier config a FRSKD config
# starts from already defines `model`, and mmengine refuses a key that two
# bases define ("Duplicate key is not allowed among bases"). A FRSKD config
# lists both and merges the block into the classifier's model:
#
#   _base_ = ['./resnet18_200e_cub200.py', '../_base_/models/frskd_cls_bifpnc.py']
#   model = _base_.pop('frskd_cls_model')  # pop: not left in the config
#   model.distill.update(alpha=1.0, beta=200.0)
frskd_cls_model = dict(
    type='FRSKDClassifier',
    self_teacher=dict(type='FRSKDBiFPNc', width=2, num_layers=1, depth=2),
    distill=dict(temperature=4.0, feature_loss=dict(type='ATLoss')))
