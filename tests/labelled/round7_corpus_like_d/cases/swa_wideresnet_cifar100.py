"""CIFAR-100 WideResNet with stochastic weight averaging (torch.optim.swa_utils) and a final test pass."""
import argparse

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torchvision import datasets, transforms
from torchvision.models import wide_resnet50_2


@torch.no_grad()
def accuracy(model, loader, device):
    model.eval()
    correct = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
    return correct / len(loader.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--swa-start", type=int, default=160)
    args = ap.parse_args()
    device = torch.device("cuda")
    norm = transforms.Normalize((0.507, 0.487, 0.441), (0.267, 0.256, 0.276))
    train_ds = datasets.CIFAR100(args.data, train=True, download=True, transform=transforms.Compose(
        [transforms.RandomCrop(32, 4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    test_ds = datasets.CIFAR100(args.data, train=False, transform=transforms.Compose([transforms.ToTensor(), norm]))
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=128, shuffle=True, num_workers=4)
    test_loader = torch.utils.data.DataLoader(test_ds, batch_size=500, num_workers=4)

    model = wide_resnet50_2(num_classes=100).to(device)
    swa_model = AveragedModel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.swa_start)
    swa_scheduler = SWALR(optimizer, swa_lr=0.05)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch >= args.swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        if epoch % 10 == 0:
            print(f"epoch {epoch}: loss {loss.item():.4f} test acc {accuracy(model, test_loader, device):.4f}")

    # recompute BatchNorm statistics for the averaged weights, then evaluate
    update_bn(train_loader, swa_model, device=device)
    print(f"SWA test acc {accuracy(swa_model, test_loader, device):.4f}")
    torch.save(swa_model.module.state_dict(), "wrn50_swa.pt")


if __name__ == "__main__":
    main()
