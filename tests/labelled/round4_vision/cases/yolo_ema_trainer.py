"""YOLO-style detector trainer. Validation and checkpoints use the EMA model, as in ultralytics:
the live model stays in training mode for the whole run."""
import math
from copy import deepcopy

import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv(nn.Module):
    def __init__(self, c1, c2, k=3, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)

    def forward(self, x):
        return F.silu(self.bn(self.conv(x)))


class TinyYolo(nn.Module):
    def __init__(self, nc=20):
        super().__init__()
        self.body = nn.Sequential(Conv(3, 16, 3, 2), Conv(16, 32, 3, 2), Conv(32, 64, 3, 2),
                                  Conv(64, 128, 3, 2), Conv(128, 256, 3, 2))
        self.detect = nn.Conv2d(256, 5 + nc, 1)

    def forward(self, x):
        return self.detect(self.body(x)).flatten(2).transpose(1, 2)


class ModelEMA:
    def __init__(self, model, decay=0.9999, tau=2000):
        self.ema = deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.updates = 0
        self.decay = lambda x: decay * (1 - math.exp(-x / tau))

    def update(self, model):
        self.updates += 1
        d = self.decay(self.updates)
        with torch.no_grad():
            msd = model.state_dict()
            for k, v in self.ema.state_dict().items():
                if v.dtype.is_floating_point:
                    v *= d
                    v += (1 - d) * msd[k].detach()


@torch.no_grad()
def val(model, loader, device, conf=0.25):
    hits = total = 0
    for imgs, obj_gt in loader:
        preds = model(imgs.to(device).float() / 255)
        obj = preds[..., 4].sigmoid() > conf
        gt = obj_gt.to(device) > 0
        hits += (obj & gt).sum().item()
        total += gt.sum().item()
    return hits / max(total, 1)


class Trainer:
    def __init__(self, train_loader, val_loader, epochs=300, nc=20, device="cuda"):
        self.train_loader, self.val_loader = train_loader, val_loader
        self.epochs, self.device = epochs, device
        self.model = TinyYolo(nc).to(device)
        self.ema = ModelEMA(self.model)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.937, nesterov=True)
        self.best_fitness = 0.0

    def loss(self, preds, obj_gt, cls_gt):
        obj_gt, cls_gt = obj_gt.to(self.device), cls_gt.to(self.device)
        l_obj = F.binary_cross_entropy_with_logits(preds[..., 4], obj_gt)
        pos = obj_gt > 0
        l_cls = F.cross_entropy(preds[..., 5:][pos], cls_gt[pos]) if pos.any() else preds.sum() * 0
        return l_obj + 0.5 * l_cls

    def train(self):
        for epoch in range(self.epochs):
            self.model.train()
            for imgs, obj_gt, cls_gt in self.train_loader:
                preds = self.model(imgs.to(self.device, non_blocking=True).float() / 255)
                loss = self.loss(preds, obj_gt, cls_gt)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                self.ema.update(self.model)
            self.validate(epoch)

    def validate(self, epoch):
        fitness = val(self.ema.ema, self.val_loader, self.device)
        print(f"epoch {epoch}: EMA objectness recall {fitness:.4f}")
        if fitness > self.best_fitness:
            self.best_fitness = fitness
            torch.save({"epoch": epoch, "ema": deepcopy(self.ema.ema).half().state_dict()}, "best.pt")


if __name__ == "__main__":
    train_loader = torch.utils.data.DataLoader(torch.load("voc_train.pt"), batch_size=64, shuffle=True, drop_last=True)
    val_loader = torch.utils.data.DataLoader(torch.load("voc_val.pt"), batch_size=64)
    trainer = Trainer(train_loader, val_loader)
    trainer.train()
