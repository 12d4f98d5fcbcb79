"""Per-slice CT classifier (haemorrhage / none) applied to whole volumes stored as .npy files."""
import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from torchvision.models import resnet18


def build_model(n_classes=2):
    net = resnet18(num_classes=n_classes)
    net.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return net


def predict_volume(model, volume, device, batch_size=32):
    """Per-slice class ids for a (S, H, W) volume."""
    x = torch.from_numpy(volume).float().unsqueeze(1)
    if x.shape[0] <= batch_size:
        # short scans fit in a single batch
        with torch.no_grad():
            return model(x.to(device)).argmax(1).cpu()
    model.eval()
    preds = []
    with torch.no_grad():
        for chunk in x.split(batch_size):
            preds.append(model(chunk.to(device)).argmax(1).cpu())
    return torch.cat(preds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scans", type=Path)
    ap.add_argument("--weights", default="ct_slice_resnet18.pt")
    ap.add_argument("--out", default="slice_predictions.csv")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = build_model()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.to(device)

    rows = []
    for path in sorted(args.scans.glob("*.npy")):
        labels = predict_volume(model, np.load(path), device)
        rows.append(f"{path.stem},{int(labels.sum())},{len(labels)}")
        print(path.stem, "positive slices:", int(labels.sum()), "/", len(labels))
    Path(args.out).write_text("scan,positive,total\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
