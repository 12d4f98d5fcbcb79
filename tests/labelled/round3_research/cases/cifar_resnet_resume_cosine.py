"""ResNet-18 baseline on CIFAR-10 with a cosine schedule and checkpoint resume (paper repo)."""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision
import torchvision.transforms as T

parser = argparse.ArgumentParser()
parser.add_argument('--lr', default=0.1, type=float)
parser.add_argument('--epochs', default=200, type=int)
parser.add_argument('--resume', default='', type=str, help='path to checkpoint')
parser.add_argument('--ckpt-dir', default='checkpoint')
args = parser.parse_args()
device = 'cuda' if torch.cuda.is_available() else 'cpu'

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
trainset = torchvision.datasets.CIFAR10('./data', train=True, download=True, transform=T.Compose([
    T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)]))
testset = torchvision.datasets.CIFAR10('./data', train=False, download=True, transform=T.Compose([
    T.ToTensor(), T.Normalize(MEAN, STD)]))
trainloader = torch.utils.data.DataLoader(trainset, batch_size=128, shuffle=True, num_workers=4)
testloader = torch.utils.data.DataLoader(testset, batch_size=256, shuffle=False, num_workers=4)

net = torchvision.models.resnet18(num_classes=10)
net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
net.maxpool = nn.Identity()
net = net.to(device)

optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
start_epoch, best_acc = 0, 0.0

if args.resume:
    checkpoint = torch.load(args.resume, map_location=device)
    net.load_state_dict(checkpoint['net'])
    optimizer.load_state_dict(checkpoint['optimizer'])
    scheduler.load_state_dict(checkpoint['scheduler'])
    start_epoch, best_acc = checkpoint['epoch'] + 1, checkpoint['acc']
    print('resumed from epoch %d (acc %.2f)' % (checkpoint['epoch'], best_acc))


def train(epoch):
    train_loss, correct, total = 0.0, 0, 0
    for inputs, targets in trainloader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = F.cross_entropy(outputs, targets)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()
        correct += outputs.argmax(1).eq(targets).sum().item()
        total += targets.size(0)
    print('epoch %d | train loss %.3f | train acc %.2f' % (epoch, train_loss / len(trainloader), 100. * correct / total))


def test(epoch):
    global best_acc
    net.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for inputs, targets in testloader:
            outputs = net(inputs.to(device))
            correct += outputs.argmax(1).cpu().eq(targets).sum().item()
            total += targets.size(0)
    acc = 100. * correct / total
    if acc > best_acc:
        best_acc = acc
        os.makedirs(args.ckpt_dir, exist_ok=True)
        torch.save({'net': net.state_dict(), 'optimizer': optimizer.state_dict(),
                    'scheduler': scheduler.state_dict(), 'epoch': epoch, 'acc': acc},
                   os.path.join(args.ckpt_dir, 'ckpt.pth'))
    print('epoch %d | test acc %.2f | best %.2f' % (epoch, acc, best_acc))


net.train()
for epoch in range(start_epoch, args.epochs):
    train(epoch)
    test(epoch)
    scheduler.step()
