"""Predict road masks for large aerial tiles with a trained DeepLabV3 (sliding window)."""
import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from torchvision.models.segmentation import deeplabv3_resnet50

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def sliding_window(model, image, window=512, stride=384, device="cuda"):
    _, h, w = image.shape
    scores = torch.zeros(h, w)
    counts = torch.zeros(h, w)
    for top in range(0, max(h - window, 0) + 1, stride):
        for left in range(0, max(w - window, 0) + 1, stride):
            crop = image[:, top:top + window, left:left + window].unsqueeze(0).to(device)
            out = model(crop)["out"][0, 1].sigmoid().cpu()
            scores[top:top + window, left:left + window] += out
            counts[top:top + window, left:left + window] += 1
    return scores / counts.clamp(min=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tiles", help="folder of RGB .png tiles")
    ap.add_argument("--weights", default="deeplab_roads.pth")
    ap.add_argument("--out", default="masks")
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()

    torch.set_grad_enabled(False)
    model = deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=2, aux_loss=True)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.train(False)
    if torch.cuda.device_count() > 1:
        model = nn.DataParallel(model)
    model.cuda()

    Path(args.out).mkdir(exist_ok=True)
    for path in sorted(Path(args.tiles).glob("*.png")):
        rgb = (np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0 - MEAN) / STD
        prob = sliding_window(model, torch.from_numpy(rgb).permute(2, 0, 1))
        mask = (prob.numpy() > args.threshold).astype(np.uint8) * 255
        Image.fromarray(mask).save(Path(args.out) / path.name)
        print(path.name, f"road fraction {mask.mean() / 255:.3f}")


if __name__ == "__main__":
    main()
