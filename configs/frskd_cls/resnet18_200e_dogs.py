# Plain ResNet-18 on Stanford Dogs as class folders data/stanford_dogs/{train,test}
# (same recipe as resnet18_200e_cub200.py).
_base_ = ['./resnet18_200e_cub200.py']
data_root = 'data/stanford_dogs'
num_classes = 120
data_preprocessor = dict(num_classes=num_classes)
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
