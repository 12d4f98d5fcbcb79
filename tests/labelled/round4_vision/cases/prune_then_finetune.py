"""Iterative global magnitude pruning of a CIFAR-10 VGG-11-BN, with a short fine-tune after each round."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from torchvision import datasets, transforms
from torchvision.models import vgg11_bn


def cifar_vgg(num_classes=10):
    model = vgg11_bn(num_classes=num_classes)
    model.avgpool = nn.Identity()
    model.classifier = nn.Sequential(nn.Linear(512, 512), nn.ReLU(True), nn.Dropout(0.5), nn.Linear(512, num_classes))
    return model


def prunable(model):
    return [(m, "weight") for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def sparsity(model):
    zeros = sum((m.weight == 0).sum().item() for m, _ in prunable(model))
    total = sum(m.weight.numel() for m, _ in prunable(model))
    return zeros / total


def accuracy(model, loader, device):
    model.eval()
    correct = total = 0
    for x, y in loader:
        logits = model(x.to(device))
        correct += (logits.argmax(1) == y.to(device)).sum().item()
        total += y.size(0)
    return correct / total


def finetune(model, loader, device, epochs, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="vgg11bn_cifar10_dense.pt")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--amount", type=float, default=0.3)
    ap.add_argument("--ft-epochs", type=int, default=3)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm = transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.ToTensor(), norm])
    train_loader = torch.utils.data.DataLoader(datasets.CIFAR10("data", True, train_tf, download=True),
                                               batch_size=128, shuffle=True, num_workers=4)
    test_loader = torch.utils.data.DataLoader(datasets.CIFAR10("data", False, test_tf), batch_size=500)

    model = cifar_vgg().to(device)
    model.load_state_dict(torch.load(args.ckpt, map_location=device))
    print(f"dense: acc {accuracy(model, test_loader, device):.4f}")

    for r in range(args.rounds):
        prune.global_unstructured(prunable(model), pruning_method=prune.L1Unstructured, amount=args.amount)
        pruned_acc = accuracy(model, test_loader, device)
        finetune(model, train_loader, device, args.ft_epochs, lr=0.01)
        print(f"round {r}: sparsity {sparsity(model):.3f} acc after pruning {pruned_acc:.4f} "
              f"after fine-tune {accuracy(model, test_loader, device):.4f}")

    for m, name in prunable(model):
        prune.remove(m, name)
    torch.save(model.state_dict(), f"vgg11bn_cifar10_sparse{sparsity(model):.2f}.pt")


if __name__ == "__main__":
    main()
