"""Semi-supervised CIFAR-style training (FixMatch-like) with an EMA teacher.

The EMA copy is taken with deepcopy(...).eval(), never trained directly, and provides the
pseudo-labels for unlabeled images and the reported validation accuracy.
"""
import copy
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet18


def build(num_classes=10):
    net = resnet18(num_classes=num_classes)
    net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    net.maxpool = nn.Identity()
    return net


@torch.no_grad()
def ema_update(ema, model, decay):
    for e, p in zip(ema.parameters(), model.parameters()):
        e.mul_(decay).add_(p.detach(), alpha=1 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)


@torch.no_grad()
def accuracy(net, loader, device):
    net.eval()
    hits = n = 0
    for x, y in loader:
        hits += (net(x.to(device)).argmax(1).cpu() == y).sum().item()
        n += len(y)
    return hits / n


def train(labeled_loader, unlabeled_loader, val_loader, epochs=100, steps=500, device="cuda",
          threshold=0.95, lambda_u=1.0, decay=0.999):
    model = build().to(device)
    ema = copy.deepcopy(model).eval()
    ema.requires_grad_(False)
    opt = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, nesterov=True, weight_decay=5e-4)
    labeled, unlabeled = itertools.cycle(labeled_loader), itertools.cycle(unlabeled_loader)
    for epoch in range(epochs):
        model.train()
        for _ in range(steps):
            x_l, y_l = next(labeled)
            (x_weak, x_strong), _ = next(unlabeled)
            x_l, y_l = x_l.to(device), y_l.to(device)
            with torch.no_grad():
                probs = ema(x_weak.to(device)).softmax(-1)
                conf, pseudo = probs.max(-1)
                mask = (conf >= threshold).float()
            sup = F.cross_entropy(model(x_l), y_l)
            unsup = (F.cross_entropy(model(x_strong.to(device)), pseudo, reduction="none") * mask).mean()
            loss = sup + lambda_u * unsup
            opt.zero_grad()
            loss.backward()
            opt.step()
            ema_update(ema, model, decay)
        print(f"epoch {epoch}: loss {loss.item():.3f} mask {mask.mean().item():.2f} "
              f"val acc model {accuracy(model, val_loader, device):.4f} ema {accuracy(ema, val_loader, device):.4f}")
    torch.save(ema.state_dict(), "ema_final.pt")
    return ema
