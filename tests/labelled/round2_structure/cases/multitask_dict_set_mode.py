"""Joint semantic segmentation + depth on NYUv2-style data. Shared trunk and two heads are
kept in a dict; one helper switches the mode of all of them."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def conv_bn(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


def build_modules(n_classes):
    trunk = nn.Sequential(conv_bn(3, 64), conv_bn(64, 64), nn.MaxPool2d(2), conv_bn(64, 128), conv_bn(128, 128))
    seg = nn.Sequential(conv_bn(128, 64), nn.Dropout2d(0.1), nn.Conv2d(64, n_classes, 1))
    depth = nn.Sequential(conv_bn(128, 64), nn.Conv2d(64, 1, 1), nn.Softplus())
    return {"trunk": trunk, "seg": seg, "depth": depth}


def set_mode(modules, training):
    for m in modules.values():
        m.train(training)


def forward_all(modules, rgb):
    feats = modules["trunk"](rgb)
    up = lambda t: F.interpolate(t, size=rgb.shape[-2:], mode="bilinear", align_corners=False)
    return up(modules["seg"](feats)), up(modules["depth"](feats)).squeeze(1)


def main(args):
    data = torch.load(args.data)
    train_loader = DataLoader(data["train"], batch_size=8, shuffle=True, drop_last=True)
    val_loader = DataLoader(data["val"], batch_size=8)
    modules = build_modules(args.classes)
    params = [p for m in modules.values() for p in m.parameters()]
    optimizer = torch.optim.AdamW(params, lr=args.lr)

    for epoch in range(args.epochs):
        set_mode(modules, True)
        for rgb, seg_gt, depth_gt in train_loader:
            seg_logits, depth = forward_all(modules, rgb)
            valid = depth_gt > 0
            loss = F.cross_entropy(seg_logits, seg_gt, ignore_index=255) + F.l1_loss(depth[valid], depth_gt[valid])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        set_mode(modules, False)
        inter = union = 0
        abs_err = n_px = 0.0
        with torch.inference_mode():
            for rgb, seg_gt, depth_gt in val_loader:
                seg_logits, depth = forward_all(modules, rgb)
                pred = seg_logits.argmax(1)
                keep = seg_gt != 255
                inter += ((pred == seg_gt) & keep).sum().item()
                union += keep.sum().item()
                valid = depth_gt > 0
                abs_err += (depth[valid] - depth_gt[valid]).abs().sum().item()
                n_px += valid.sum().item()
        print(f"epoch {epoch}: pixel acc {inter / union:.4f} depth MAE {abs_err / n_px:.4f}")
    torch.save({k: m.state_dict() for k, m in modules.items()}, args.out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="nyu_tensors.pt")
    ap.add_argument("--classes", type=int, default=13)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--out", default="multitask.pt")
    main(ap.parse_args())
