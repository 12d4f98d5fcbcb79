"""CenterNet-style single-scale detector trained with a weight EMA.

The EMA weights are what we validate and ship, so validation runs on `ema.module`.
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class TinyCenterNet(nn.Module):
    def __init__(self, num_classes=20, width=64):
        super().__init__()
        self.backbone = nn.Sequential(conv_bn(3, width, 2), conv_bn(width, width), conv_bn(width, 2 * width, 2),
                                      conv_bn(2 * width, 2 * width), conv_bn(2 * width, 4 * width, 2))
        self.heat = nn.Sequential(conv_bn(4 * width, width), nn.Conv2d(width, num_classes, 1))
        self.wh = nn.Sequential(conv_bn(4 * width, width), nn.Conv2d(width, 2, 1))
        self.heat[-1].bias.data.fill_(-2.19)

    def forward(self, x):
        f = self.backbone(x)
        return self.heat(f), self.wh(f)


class ModelEMA:
    """Keeps an exponential moving average of everything in the model's state_dict."""

    def __init__(self, model, decay=0.9998, tau=2000):
        self.module = copy.deepcopy(model)
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.updates = 0
        self.decay = lambda n: decay * (1 - math.exp(-n / tau))

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay(self.updates)
        msd = model.state_dict()
        for k, v in self.module.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)


def focal_loss(pred, gt, alpha=2, beta=4):
    pred = pred.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    pos_loss = torch.log(pred) * (1 - pred) ** alpha * pos
    neg_loss = torch.log(1 - pred) * pred ** alpha * (1 - gt) ** beta * (1 - pos)
    return -(pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1)


def decode_peaks(heat, thr):
    hmax = F.max_pool2d(heat, 3, stride=1, padding=1)
    return (heat == hmax) & (heat > thr)


@torch.no_grad()
def val(model, loader, device, score_thr=0.3):
    tp = n_pred = n_gt = 0
    for images, heat_gt, _ in loader:
        heat, _wh = model(images.to(device))
        peaks = decode_peaks(heat.sigmoid(), score_thr)
        gt_centres = heat_gt.to(device).eq(1)
        tp += (peaks & gt_centres).sum().item()
        n_pred += peaks.sum().item()
        n_gt += gt_centres.sum().item()
    precision, recall = tp / max(n_pred, 1), tp / max(n_gt, 1)
    return precision, recall


def train(train_loader, val_loader, epochs=140, device="cuda"):
    model = TinyCenterNet().to(device)
    ema = ModelEMA(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=1e-4)
    for epoch in range(epochs):
        model.train()
        for images, heat_gt, wh_gt in train_loader:
            images, heat_gt, wh_gt = images.to(device), heat_gt.to(device), wh_gt.to(device)
            heat, wh = model(images)
            mask = heat_gt.max(1, keepdim=True).values.eq(1).float()
            loss = focal_loss(heat, heat_gt) + 0.1 * F.l1_loss(wh * mask, wh_gt * mask, reduction="sum") / mask.sum().clamp(min=1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimizer.step()
            ema.update(model)
        p, r = val(ema.module, val_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.3f} EMA precision {p:.3f} recall {r:.3f}")
    torch.save(ema.module.state_dict(), "centernet_ema.pt")
    return ema.module
