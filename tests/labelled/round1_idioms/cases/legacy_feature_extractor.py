"""Transfer learning, "ConvNet as fixed feature extractor" (script written for PyTorch 0.3, still in use).

Only the new final layer is trained; the pretrained ResNet-18 weights are frozen.
"""
import argparse
import os

import torch
import torch.nn as nn
from torch.autograd import Variable
from torchvision import datasets, models, transforms

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="hymenoptera_data")
parser.add_argument("--epochs", type=int, default=25)
args = parser.parse_args()
use_gpu = torch.cuda.is_available()

normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
train_set = datasets.ImageFolder(os.path.join(args.data, "train"), transforms.Compose(
    [transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize]))
val_set = datasets.ImageFolder(os.path.join(args.data, "val"), transforms.Compose(
    [transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize]))
train_loader = torch.utils.data.DataLoader(train_set, batch_size=4, shuffle=True, num_workers=4)
val_loader = torch.utils.data.DataLoader(val_set, batch_size=4, num_workers=4)

model_conv = models.resnet18(pretrained=True)
for param in model_conv.parameters():
    param.requires_grad = False
model_conv.fc = nn.Linear(model_conv.fc.in_features, len(train_set.classes))
if use_gpu:
    model_conv = model_conv.cuda()

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model_conv.fc.parameters(), lr=0.001, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)


def to_var(t, **kw):
    return Variable(t.cuda() if use_gpu else t, **kw)


best_acc = 0.0
for epoch in range(args.epochs):
    model_conv.train(True)
    for inputs, labels in train_loader:
        inputs, labels = to_var(inputs), to_var(labels)
        optimizer.zero_grad()
        loss = criterion(model_conv(inputs), labels)
        loss.backward()
        optimizer.step()
    scheduler.step()

    model_conv.train(False)
    corrects = 0
    for inputs, labels in val_loader:
        inputs = Variable(inputs.cuda() if use_gpu else inputs, volatile=True)
        outputs = model_conv(inputs)
        _, preds = torch.max(outputs.data, 1)
        corrects += torch.sum(preds.cpu() == labels)
    epoch_acc = float(corrects) / len(val_set)
    print("epoch {}: loss {:.4f} val acc {:.4f}".format(epoch, loss.item(), epoch_acc))
    if epoch_acc > best_acc:
        best_acc = epoch_acc
        torch.save(model_conv.state_dict(), "model_conv_best.pth")


def predict_folder(folder):
    ds = datasets.ImageFolder(folder, val_set.transform)
    model_conv.eval()
    results = []
    with torch.no_grad():
        for img, _ in torch.utils.data.DataLoader(ds, batch_size=16):
            img = Variable(img.cuda() if use_gpu else img, volatile=True)
            results.extend(model_conv(img).argmax(1).tolist())
    return [(path, val_set.classes[c]) for (path, _), c in zip(ds.samples, results)]


print("best val acc {:.4f}".format(best_acc))
if os.path.isdir(os.path.join(args.data, "unlabeled")):
    print(predict_folder(os.path.join(args.data, "unlabeled")))
