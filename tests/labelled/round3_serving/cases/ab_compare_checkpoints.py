"""Offline A/B comparison of two audio-tagging checkpoints on the frozen test set.

Reports accuracy of each checkpoint, the paired difference with a bootstrap confidence
interval and McNemar's test, so the release review can decide whether B replaces A.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
from scipy.stats import chi2
from torch.utils.data import DataLoader, TensorDataset


class AudioTagger(nn.Module):
    def __init__(self, n_mels=64, n_classes=50, width=64):
        super().__init__()
        blocks, c_in = [], 1
        for c_out in (width, width * 2, width * 4):
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c_in = c_out
        self.encoder = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(c_in, n_classes))

    def forward(self, mel):
        h = self.encoder(mel.unsqueeze(1))
        return self.classifier(h.mean(dim=(2, 3)))


def load_checkpoint(model, path):
    ckpt = torch.load(path, map_location="cpu")
    model.load_state_dict(ckpt["state_dict"])
    return ckpt.get("step", -1)


def mcnemar(correct_a, correct_b):
    b = int(np.sum(correct_a & ~correct_b))
    c = int(np.sum(~correct_a & correct_b))
    stat = (abs(b - c) - 1) ** 2 / max(b + c, 1)
    return stat, 1 - chi2.cdf(stat, df=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt-a", required=True)
    ap.add_argument("--ckpt-b", required=True)
    ap.add_argument("--test", default="test_mels.pt")
    ap.add_argument("--n-boot", type=int, default=2000)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    mels, labels = torch.load(args.test)
    test_loader = DataLoader(TensorDataset(mels, labels), batch_size=128)

    model_a = AudioTagger()
    step_a = load_checkpoint(model_a, args.ckpt_a)
    model_a.to(device).eval()
    model_b = AudioTagger()
    step_b = load_checkpoint(model_b, args.ckpt_b)
    model_b.to(device)

    hits_a, hits_b = [], []
    with torch.no_grad():
        for x, y in test_loader:
            x = x.to(device)
            pred_a = model_a(x).argmax(-1).cpu()
            pred_b = model_b(x).argmax(-1).cpu()
            hits_a.append((pred_a == y).numpy())
            hits_b.append((pred_b == y).numpy())
    hits_a, hits_b = np.concatenate(hits_a), np.concatenate(hits_b)

    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(hits_a), size=(args.n_boot, len(hits_a)))
    diffs = hits_b[idx].mean(1) - hits_a[idx].mean(1)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    stat, p = mcnemar(hits_a, hits_b)
    print(f"A (step {step_a}): acc={hits_a.mean():.4f}")
    print(f"B (step {step_b}): acc={hits_b.mean():.4f}")
    print(f"B - A: {hits_b.mean() - hits_a.mean():+.4f}  95% CI [{lo:+.4f}, {hi:+.4f}]  McNemar p={p:.4g}")


if __name__ == "__main__":
    main()
