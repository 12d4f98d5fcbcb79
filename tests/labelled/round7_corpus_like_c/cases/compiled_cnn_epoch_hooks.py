"""CIFAR-100 ResNet-style CNN trained through torch.compile; per-epoch bookkeeping lives in helpers."""
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms

log = logging.getLogger("train")


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.skip(x))


class SmallResNet(nn.Module):
    def __init__(self, n_classes=100):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        self.layers = nn.Sequential(Block(64, 64, 1), Block(64, 128, 2), Block(128, 256, 2))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(256, n_classes))

    def forward(self, x):
        return self.head(self.layers(self.stem(x)))


def _start_epoch(net, scheduler, epoch):
    net.train()
    log.info("epoch %d lr %.5f", epoch, scheduler.get_last_lr()[0])


def train_one_epoch(net, loader, optimizer, scheduler, epoch, device):
    _start_epoch(net, scheduler, epoch)
    for x, y in loader:
        loss = F.cross_entropy(net(x.to(device)), y.to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    scheduler.step()
    return loss.item()


@torch.inference_mode()
def validate(model, loader, device):
    top1 = n = 0
    for x, y in loader:
        top1 += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
        n += y.numel()
    return top1 / n


def main(epochs=60, device="cuda"):
    norm = transforms.Normalize((0.507, 0.487, 0.441), (0.267, 0.256, 0.276))
    train_set = datasets.CIFAR100("data", train=True, download=True, transform=transforms.Compose(
        [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    val_set = datasets.CIFAR100("data", train=False, download=True, transform=transforms.Compose(
        [transforms.ToTensor(), norm]))
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=256, shuffle=True, num_workers=8)
    val_loader = torch.utils.data.DataLoader(val_set, batch_size=512, num_workers=8)

    model = SmallResNet().to(device)
    net = torch.compile(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        loss = train_one_epoch(net, train_loader, optimizer, scheduler, epoch, device)
        acc = validate(model, val_loader, device)
        log.info("epoch %d loss %.4f val top1 %.4f", epoch, loss, acc)
    torch.save(model.state_dict(), "small_resnet_c100.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
