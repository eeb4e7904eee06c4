# FRSKD with the Overhaul feature loss: pre-ReLU features, a 1x1 conv-BN
# connector, margins from the self-teacher's output BNs at construction (the
# FRSKD code), levels weighted 1/2^(n-i). The FRSKD code sums the masked
# squared error divided by the batch size only: no /1000 of Overhaul's own
# loss (mul_factor=1), so beta keeps the same meaning as in the authors' runs.
_base_ = ['./frskd_cifar-resnet18_200e_cifar100.py']
model = dict(
    distill=dict(
        feature_loss=dict(type='OFDLoss', mul_factor=1.0), margin='bn_init'))
