"""Plant-disease classifier (DenseNet-121): train or resume from a whole-model checkpoint,
then predict the test folder with flip test-time augmentation."""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, models, transforms

parser = argparse.ArgumentParser()
parser.add_argument('--data', default='data/plants')
parser.add_argument('--epochs', type=int, default=30)
parser.add_argument('--resume', default='', help='checkpoint written by torch.save(model, path)')
parser.add_argument('--lr', type=float, default=1e-3)
args = parser.parse_args()
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                               transforms.ColorJitter(0.2, 0.2, 0.2), transforms.ToTensor(), norm])
eval_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])
train_ds = datasets.ImageFolder(os.path.join(args.data, 'train'), train_tf)
val_ds = datasets.ImageFolder(os.path.join(args.data, 'val'), eval_tf)
test_ds = datasets.ImageFolder(os.path.join(args.data, 'test'), eval_tf)
train_loader = torch.utils.data.DataLoader(train_ds, batch_size=32, shuffle=True, num_workers=4)
val_loader = torch.utils.data.DataLoader(val_ds, batch_size=64, num_workers=4)
test_loader = torch.utils.data.DataLoader(test_ds, batch_size=64, num_workers=4)

if args.resume:
    model = torch.load(args.resume, map_location=device)
else:
    model = models.densenet121(weights=models.DenseNet121_Weights.DEFAULT)
    model.classifier = nn.Linear(model.classifier.in_features, len(train_ds.classes))
model = model.to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='max', patience=2)


def validate():
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in val_loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return correct / len(val_ds)


if args.resume:
    print('resumed checkpoint: val acc %.4f' % validate())

best = 0.0
for epoch in range(args.epochs):
    model.train()
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    acc = validate()
    scheduler.step(acc)
    print('epoch %d: loss %.4f val acc %.4f lr %.2e' % (epoch, loss.item(), acc, optimizer.param_groups[0]['lr']))
    if acc > best:
        best = acc
        torch.save(model, 'densenet_best.pth')


@torch.no_grad
def predict_tta(net, images):
    logits = net(images)
    logits_flipped = net(torch.flip(images, dims=[3]))
    return (F.softmax(logits, 1) + F.softmax(logits_flipped, 1)) / 2


model = torch.load('densenet_best.pth', map_location=device)
model.eval()
correct = 0
for x, y in test_loader:
    correct += (predict_tta(model, x.to(device)).argmax(1).cpu() == y).sum().item()
print('test acc with TTA: %.4f' % (correct / len(test_ds)))
