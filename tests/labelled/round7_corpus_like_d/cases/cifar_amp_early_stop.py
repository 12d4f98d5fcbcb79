"""CIFAR-10 ResNet-ish training with AMP, cosine schedule, TensorBoard and early stopping."""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter
from torchvision import datasets, transforms


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SmallResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(conv_bn(3, 64), conv_bn(64, 128, 2), conv_bn(128, 256, 2), conv_bn(256, 256, 2))
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.fc(self.drop(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)))


def train_one_epoch(model, loader, optimizer, scaler, device):
    model.train()
    total = 0.0
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        total += loss.item()
    return total / len(loader)


@torch.no_grad()
def validate(model, loader, device):
    correct = n = 0
    for images, labels in loader:
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            logits = model(images.to(device))
        correct += (logits.argmax(1).cpu() == labels).sum().item()
        n += labels.numel()
    return correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--logdir", default="runs/cifar")
    args = ap.parse_args()
    device = torch.device("cuda")
    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))
    train_tf = transforms.Compose([transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    train_set = datasets.CIFAR10(args.data, train=True, download=True, transform=train_tf)
    train_set, val_set = torch.utils.data.random_split(train_set, [45000, 5000])
    test_set = datasets.CIFAR10(args.data, train=False, transform=transforms.Compose([transforms.ToTensor(), norm]))
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4)
    val_loader = torch.utils.data.DataLoader(val_set, batch_size=512, num_workers=4)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=512, num_workers=4)

    model = SmallResNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    scaler = torch.cuda.amp.GradScaler()
    writer = SummaryWriter(args.logdir)
    best_acc, bad_epochs = 0.0, 0
    for epoch in range(args.epochs):
        train_loss = train_one_epoch(model, train_loader, optimizer, scaler, device)
        val_acc = validate(model, val_loader, device)
        scheduler.step()
        writer.add_scalar("loss/train", train_loss, epoch)
        writer.add_scalar("acc/val", val_acc, epoch)
        if val_acc > best_acc:
            best_acc, bad_epochs = val_acc, 0
            torch.save(model.state_dict(), os.path.join(args.logdir, "best.pt"))
        else:
            bad_epochs += 1
            if bad_epochs >= args.patience:
                print(f"early stopping at epoch {epoch}")
                break

    model.load_state_dict(torch.load(os.path.join(args.logdir, "best.pt")))
    model.eval()
    print(f"test acc {validate(model, test_loader, device):.4f}")
    writer.close()


if __name__ == "__main__":
    main()
