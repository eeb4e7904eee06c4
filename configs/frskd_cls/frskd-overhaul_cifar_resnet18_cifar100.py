# FRSKD with the Overhaul feature loss: pre-ReLU features, a 1x1 conv-BN
# connector, margins from the self-teacher's output BNs at construction (the
# FRSKD code), levels weighted 1/2^(n-i).
_base_ = ['./frskd_cifar_resnet18_cifar100.py']
model = dict(
    distill=dict(feature_loss=dict(type='OFDLoss'), margin='bn_init'))
