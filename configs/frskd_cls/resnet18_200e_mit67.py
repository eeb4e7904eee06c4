# Plain ResNet-18 on MIT Indoor-67 as class folders data/mit67/{train,test}
# (same recipe as resnet18_200e_cub200.py).
_base_ = ['./resnet18_200e_cub200.py']
data_root = 'data/mit67'
num_classes = 67
data_preprocessor = dict(num_classes=num_classes)
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
