"""Vibration anomaly scoring for pump sensors: a 1-D convolutional autoencoder trained offline.

`AnomalyScorer` is used by the plant-monitoring job; it scores one window at a time.
"""
import json

import numpy as np
import torch
import torch.nn as nn


class ConvAE(nn.Module):
    def __init__(self, channels=3):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(channels, 32, 7, stride=2, padding=3), nn.BatchNorm1d(32), nn.ReLU(),
            nn.Conv1d(32, 64, 7, stride=2, padding=3), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.1),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose1d(64, 32, 8, stride=2, padding=3), nn.BatchNorm1d(32), nn.ReLU(),
            nn.ConvTranspose1d(32, channels, 8, stride=2, padding=3),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


class AnomalyScorer:
    def __init__(self, weights_path, stats_path, device="cpu"):
        self.device = torch.device(device)
        self.model = ConvAE()
        self.model.load_state_dict(torch.load(weights_path, map_location=self.device))
        self.model.to(self.device)
        self.model.eval()
        with open(stats_path) as fh:
            stats = json.load(fh)
        self.mean = torch.tensor(stats["mean"]).view(1, -1, 1)
        self.std = torch.tensor(stats["std"]).view(1, -1, 1)
        self.threshold = None

    def _prep(self, windows):
        x = torch.as_tensor(np.asarray(windows), dtype=torch.float32)
        return ((x - self.mean) / self.std).to(self.device)

    def calibrate(self, normal_windows, quantile=0.995):
        with torch.no_grad():
            x = self._prep(normal_windows)
            err = (self.model(x) - x).pow(2).mean(dim=(1, 2))
        self.threshold = torch.quantile(err.cpu(), quantile).item()
        return self.threshold

    def score(self, window):
        x = self._prep(window[None])
        recon = self.model(x)
        err = (recon - x).pow(2).mean().item()
        return {"error": err, "anomaly": self.threshold is not None and err > self.threshold}


if __name__ == "__main__":
    scorer = AnomalyScorer("pump_ae.pt", "pump_stats.json")
    scorer.calibrate(np.load("pump_normal_windows.npy"))
    for w in np.load("pump_live_windows.npy"):
        print(scorer.score(w))
