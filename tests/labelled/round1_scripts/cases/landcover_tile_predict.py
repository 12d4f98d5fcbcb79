"""Land-cover map for one 4-band satellite scene: tile it, predict each tile, stitch the classes back.

    python landcover_tile_predict.py scene.npy ckpt.pt --arch unet-small --out landcover.npy
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
from torchvision.models.segmentation import fcn_resnet50


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SmallUNet(nn.Module):
    def __init__(self, in_ch, n_classes, w=32):
        super().__init__()
        self.d1, self.d2, self.d3 = block(in_ch, w), block(w, 2 * w), block(2 * w, 4 * w)
        self.drop = nn.Dropout2d(0.2)
        self.u2, self.u1 = block(6 * w, 2 * w), block(3 * w, w)
        self.head = nn.Conv2d(w, n_classes, 1)
        self.pool, self.up = nn.MaxPool2d(2), nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, x):
        x1 = self.d1(x)
        x2 = self.d2(self.pool(x1))
        x3 = self.drop(self.d3(self.pool(x2)))
        y = self.u2(torch.cat([self.up(x3), x2], 1))
        return self.head(self.u1(torch.cat([self.up(y), x1], 1)))


def make_model(arch, in_channels, num_classes):
    if arch == "unet-small":
        return SmallUNet(in_channels, num_classes)
    if arch == "fcn-resnet50":
        model = fcn_resnet50(weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False)
        model.backbone.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        return model
    raise ValueError(f"unknown arch {arch}")


def tile_scene(scene, size):
    c, h, w = scene.shape
    tiles, coords = [], []
    for r in range(0, h - size + 1, size):
        for col in range(0, w - size + 1, size):
            tiles.append(scene[:, r:r + size, col:col + size])
            coords.append((r, col))
    return tiles, coords


def predict_tiles(model, tiles, device, batch_size=16):
    out = []
    for i in range(0, len(tiles), batch_size):
        x = torch.from_numpy(np.stack(tiles[i:i + batch_size])).float().to(device)
        logits = model(x)
        if isinstance(logits, dict):
            logits = logits["out"]
        out.append(logits.argmax(1).cpu().numpy().astype(np.uint8))
    return np.concatenate(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scene")
    ap.add_argument("ckpt")
    ap.add_argument("--arch", default="unet-small", choices=["unet-small", "fcn-resnet50"])
    ap.add_argument("--classes", type=int, default=9)
    ap.add_argument("--tile", type=int, default=256)
    ap.add_argument("--out", default="landcover.npy")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = make_model(args.arch, 4, args.classes)
    state = torch.load(args.ckpt, map_location="cpu")
    model.load_state_dict(state["model"])
    model.to(device)

    scene = np.load(args.scene).astype(np.float32) / 10000.0
    tiles, coords = tile_scene(scene, args.tile)
    labels = predict_tiles(model, tiles, device)
    result = np.zeros(scene.shape[1:], dtype=np.uint8)
    for (r, c), lab in zip(coords, labels):
        result[r:r + args.tile, c:c + args.tile] = lab
    np.save(args.out, result)
    print(f"{len(tiles)} tiles -> {args.out}, class histogram {np.bincount(result.ravel()).tolist()}")


if __name__ == "__main__":
    main()
