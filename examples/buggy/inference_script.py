# evalguard example: buggy twin of examples/fixed/inference_script.py.
# Expected findings of `evalguard check` (rule and reported line), one per line:
# expect: EG006 line 31
# expect: EG006 line 37
# expect: EG001 line 41
"""Batch inference: load a trained ConvNet checkpoint (optionally its EMA weights) and write
class predictions for a tensor file of images."""
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class ConvNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
        )
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        return self.fc(self.body(x))


def load_ema_weights(model, shadow_params):
    """Copy the exponential-moving-average weights saved by the trainer into the model."""
    with torch.no_grad:
        for param, shadow in zip(model.parameters(), shadow_params):
            param.copy_(shadow)


def predict(model, loader, device):
    model.eval
    preds = []
    with torch.no_grad():
        for (images,) in loader:
            preds.append(model(images.to(device)).argmax(1).cpu())
    return torch.cat(preds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint", help="dict with 'model', 'num_classes' and optionally 'ema'")
    ap.add_argument("images", help=".pt file holding an N x 3 x H x W float tensor")
    ap.add_argument("--ema", action="store_true", help="use the EMA weights from the checkpoint")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--out", default="predictions.pt")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    ckpt = torch.load(args.checkpoint, map_location="cpu")
    model = ConvNet(num_classes=ckpt["num_classes"])
    model.load_state_dict(ckpt["model"])
    if args.ema:
        load_ema_weights(model, ckpt["ema"])
    model.to(device)

    loader = DataLoader(TensorDataset(torch.load(args.images)), batch_size=args.batch_size)
    preds = predict(model, loader, device)
    torch.save(preds, args.out)
    print(f"wrote {len(preds)} predictions to {args.out}")


if __name__ == "__main__":
    main()
