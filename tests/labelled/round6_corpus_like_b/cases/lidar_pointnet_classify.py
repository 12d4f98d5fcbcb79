"""Classify LiDAR object clusters (car / pedestrian / cyclist / background) with a trained PointNet."""
import argparse

import numpy as np
import torch
import torch.nn as nn

CLASSES = ["background", "car", "pedestrian", "cyclist"]


class PointNet(nn.Module):
    def __init__(self, n_classes=len(CLASSES), in_dim=4):
        super().__init__()
        self.point_mlp = nn.Sequential(
            nn.Conv1d(in_dim, 64, 1), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, 128, 1), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Conv1d(128, 1024, 1), nn.BatchNorm1d(1024), nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Linear(1024, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(256, n_classes),
        )

    def forward(self, pts):                          # pts: (B, N, 4) xyz + intensity
        feats = self.point_mlp(pts.transpose(1, 2))  # (B, 1024, N)
        return self.head(feats.max(dim=2).values)


def resample(cluster, n=512, rng=np.random.default_rng(0)):
    idx = rng.choice(len(cluster), n, replace=len(cluster) < n)
    pts = cluster[idx].copy()
    pts[:, :3] -= pts[:, :3].mean(0)
    return pts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("clusters", help=".npz with one (N_i, 4) array per cluster")
    ap.add_argument("--weights", default="pointnet_kitti_objects.pt")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = PointNet()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.to(device).eval()

    data = np.load(args.clusters)
    names = list(data.keys())
    batch = torch.from_numpy(np.stack([resample(data[k]) for k in names])).float().to(device)
    with torch.inference_mode:
        probs = model(batch).softmax(-1).cpu()
    for name, p in zip(names, probs):
        print(f"{name}: {CLASSES[int(p.argmax())]} ({p.max().item():.2f})")


if __name__ == "__main__":
    main()
