# FRSKD with a FitNet feature loss (1x1 conv-BN-ReLU regressor + MSE)
# instead of attention transfer.
_base_ = ['./frskd_cifar-resnet18_200e_cifar100.py']
model = dict(distill=dict(feature_loss=dict(type='FitNetLoss')))
