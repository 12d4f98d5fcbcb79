"""CIFAR-100 ResNet-18 with stochastic weight averaging over the last 25% of epochs.

AveragedModel holds the running average; update_bn recomputes its BatchNorm statistics
with one pass over the training data before the final evaluation.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torchvision import datasets, transforms
from torchvision.models import resnet18


def cifar_resnet18(num_classes=100):
    model = resnet18(num_classes=num_classes)
    model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    model.maxpool = nn.Identity()
    return model


def evaluate(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
    return correct / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--swa-lr", type=float, default=0.05)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    swa_start = int(0.75 * args.epochs)

    norm = transforms.Normalize((0.507, 0.487, 0.441), (0.267, 0.256, 0.276))
    train_ds = datasets.CIFAR100("data", train=True, download=True, transform=transforms.Compose(
        [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    test_ds = datasets.CIFAR100("data", train=False, transform=transforms.Compose([transforms.ToTensor(), norm]))
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=128, shuffle=True, num_workers=4)
    test_loader = torch.utils.data.DataLoader(test_ds, batch_size=512, num_workers=4)

    model = cifar_resnet18().to(device)
    swa_model = AveragedModel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=swa_start)
    swa_scheduler = SWALR(optimizer, swa_lr=args.swa_lr, anneal_epochs=5)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch >= swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        if epoch % 10 == 0 or epoch == args.epochs - 1:
            print(f"epoch {epoch}: loss {loss.item():.3f} test acc {evaluate(model, test_loader, device):.4f}")

    update_bn(train_loader, swa_model, device=device)
    print(f"SWA test acc {evaluate(swa_model, test_loader, device):.4f}")
    torch.save(swa_model.module.state_dict(), "resnet18_cifar100_swa.pt")


if __name__ == "__main__":
    main()
