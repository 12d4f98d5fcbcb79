"""CIFAR-100 WideResNet training, old-style Trainer object (PyTorch 0.3 era code base)."""
import argparse
import time

import torch
import torch.nn as nn
import torch.optim as optim
import torchvision
import torchvision.transforms as T
from torch.autograd import Variable


class AverageMeter(object):
    def __init__(self):
        self.sum, self.count = 0.0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)


class Trainer(object):
    def __init__(self, model, criterion, optimizer, use_cuda=True):
        self.model = model
        self.criterion = criterion
        self.optimizer = optimizer
        self.use_cuda = use_cuda

    def train(self, loader, epoch):
        self.model.train()
        losses = AverageMeter()
        start = time.time()
        for inputs, targets in loader:
            if self.use_cuda:
                inputs, targets = inputs.cuda(), targets.cuda()
            inputs, targets = Variable(inputs), Variable(targets)
            loss = self.criterion(self.model(inputs), targets)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.update(loss.item(), inputs.size(0))
        print("epoch %d train loss %.4f (%.0fs)" % (epoch, losses.avg, time.time() - start))

    def validate(self, loader):
        self.model.eval()
        correct, total = 0, 0
        for inputs, targets in loader:
            if self.use_cuda:
                inputs, targets = inputs.cuda(), targets.cuda()
            inputs = Variable(inputs, volatile=True)
            targets = Variable(targets, volatile=True)
            outputs = self.model(inputs)
            _, predicted = torch.max(outputs.data, 1)
            correct += predicted.eq(targets.data).cpu().sum().item()
            total += targets.size(0)
        return 100.0 * correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()
    use_cuda = torch.cuda.is_available()

    mean, std = (0.507, 0.487, 0.441), (0.267, 0.256, 0.276)
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)])
    test_tf = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    trainset = torchvision.datasets.CIFAR100("./data", train=True, download=True, transform=train_tf)
    testset = torchvision.datasets.CIFAR100("./data", train=False, download=True, transform=test_tf)
    train_loader = torch.utils.data.DataLoader(trainset, batch_size=128, shuffle=True, num_workers=4)
    test_loader = torch.utils.data.DataLoader(testset, batch_size=100, num_workers=4)

    model = torchvision.models.wide_resnet50_2(num_classes=100)
    if use_cuda:
        model = torch.nn.DataParallel(model).cuda()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[60, 120, 160], gamma=0.2)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, use_cuda)

    best = 0.0
    for epoch in range(args.epochs):
        trainer.train(train_loader, epoch)
        scheduler.step()
        acc = trainer.validate(test_loader)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "wrn_best.pth")
        print("epoch %d test acc %.2f (best %.2f)" % (epoch, acc, best))


if __name__ == "__main__":
    main()
