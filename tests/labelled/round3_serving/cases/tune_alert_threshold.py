"""Pick the decision threshold of the anomaly-alert model on the validation month.

The product requirement is precision >= 0.9; among thresholds that meet it we take the
one with the highest recall, then report the test-month numbers at that threshold.
"""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
from sklearn.metrics import precision_recall_curve, precision_score, recall_score
from torch.utils.data import DataLoader, TensorDataset


class AlertNet(nn.Module):
    def __init__(self, n_features, hidden=128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, hidden), nn.BatchNorm1d(hidden), nn.GELU(), nn.Dropout(0.2),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.GELU(), nn.Dropout(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def collect_scores(model, loader, device):
    model.eval()
    scores, labels = [], []
    with torch.no_grad:
        for x, y in loader:
            scores.append(torch.sigmoid(model(x.to(device))).cpu())
            labels.append(y)
    return torch.cat(scores).numpy(), torch.cat(labels).numpy()


def pick_threshold(scores, labels, min_precision):
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    ok = np.where(precision[:-1] >= min_precision)[0]
    if len(ok) == 0:
        raise ValueError(f"no threshold reaches precision {min_precision}")
    best = ok[np.argmax(recall[:-1][ok])]
    return float(thresholds[best]), float(precision[best]), float(recall[best])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="alertnet.pt")
    ap.add_argument("--val", default="val_month.pt")
    ap.add_argument("--test", default="test_month.pt")
    ap.add_argument("--min-precision", type=float, default=0.9)
    ap.add_argument("--out", default="threshold.json")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x_val, y_val = torch.load(args.val)
    x_test, y_test = torch.load(args.test)
    model = AlertNet(x_val.shape[1]).to(device)
    model.load_state_dict(torch.load(args.weights, map_location=device))

    val_scores, val_labels = collect_scores(model, DataLoader(TensorDataset(x_val, y_val), batch_size=2048), device)
    thr, p_val, r_val = pick_threshold(val_scores, val_labels, args.min_precision)

    test_scores, test_labels = collect_scores(model, DataLoader(TensorDataset(x_test, y_test), batch_size=2048), device)
    pred = (test_scores >= thr).astype(int)
    p_test, r_test = precision_score(test_labels, pred), recall_score(test_labels, pred)
    print(f"threshold={thr:.4f}  val P/R={p_val:.3f}/{r_val:.3f}  test P/R={p_test:.3f}/{r_test:.3f}")
    with open(args.out, "w") as fh:
        json.dump({"threshold": thr, "val_precision": p_val, "val_recall": r_val,
                   "test_precision": p_test, "test_recall": r_test}, fh, indent=2)


if __name__ == "__main__":
    main()
