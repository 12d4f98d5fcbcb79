"""Linear evaluation of a SimCLR-pretrained ResNet-50 on CIFAR-100. The backbone is frozen and
pinned to eval mode by overriding train(), so BatchNorm statistics from pre-training are kept."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader
from torchvision import transforms


class FrozenBackboneClassifier(nn.Module):
    def __init__(self, backbone, feat_dim, num_classes):
        super().__init__()
        self.backbone = backbone
        self.backbone.requires_grad_(False)
        self.bn = nn.BatchNorm1d(feat_dim, affine=False)
        self.fc = nn.Linear(feat_dim, num_classes)

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x):
        with torch.no_grad():
            feats = self.backbone(x)
        return self.fc(self.bn(feats))


def load_simclr_backbone(path):
    net = torchvision.models.resnet50()
    net.fc = nn.Identity()
    state = torch.load(path, map_location="cpu")
    state = {k.removeprefix("encoder."): v for k, v in state.items() if k.startswith("encoder.")}
    net.load_state_dict(state)
    return net


def evaluate(model, loader, device):
    model.eval()
    top1 = top5 = n = 0
    with torch.inference_mode():
        for x, y in loader:
            top = model(x.to(device)).topk(5, dim=1).indices.cpu()
            top1 += (top[:, 0] == y).sum().item()
            top5 += (top == y[:, None]).any(1).sum().item()
            n += y.numel()
    return top1 / n, top5 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="simclr_r50_cifar100.pt")
    ap.add_argument("--epochs", type=int, default=90)
    args = ap.parse_args()
    device = torch.device("cuda")
    norm = transforms.Normalize((0.507, 0.487, 0.441), (0.267, 0.256, 0.276))
    train_tf = transforms.Compose([transforms.RandomResizedCrop(32), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.ToTensor(), norm])
    train_loader = DataLoader(torchvision.datasets.CIFAR100("data", True, train_tf, download=True), 256, shuffle=True, num_workers=8)
    test_loader = DataLoader(torchvision.datasets.CIFAR100("data", False, test_tf), 512, num_workers=8)

    model = FrozenBackboneClassifier(load_simclr_backbone(args.ckpt), 2048, 100).to(device)
    optimizer = torch.optim.SGD(list(model.fc.parameters()), lr=0.1, momentum=0.9, weight_decay=1e-6)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x.to(device)), y.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        top1, top5 = evaluate(model, test_loader, device)
        print(f"epoch {epoch}: top-1 {top1:.4f} top-5 {top5:.4f}")


if __name__ == "__main__":
    main()
