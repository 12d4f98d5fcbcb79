"""Unsupervised anomaly detection on pump vibration spectra: an autoencoder trained on healthy
machines; the per-window reconstruction error is the anomaly score."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class SpectrumAE(nn.Module):
    def __init__(self, n_bins=512, latent=32, p_latent=0.1):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(n_bins, 256), nn.GELU(), nn.Linear(256, latent))
        self.dec = nn.Sequential(nn.Linear(latent, 256), nn.GELU(), nn.Linear(256, n_bins))
        self.p_latent = p_latent

    def forward(self, x):
        z = self.enc(x)
        z = F.dropout(z, self.p_latent)  # regularise the bottleneck
        return self.dec(z)


def train(model, loader, epochs=50, lr=1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for epoch in range(epochs):
        total = 0.0
        for (x,) in loader:
            loss = F.mse_loss(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(x)
        if epoch % 10 == 0:
            print(f"epoch {epoch}: recon {total / len(loader.dataset):.5f}")


def anomaly_scores(model, windows, batch_size=1024):
    model.eval()
    scores = []
    for i in range(0, len(windows), batch_size):
        x = windows[i:i + batch_size]
        err = (model(x) - x).pow(2).mean(dim=1)
        scores.append(err.detach().cpu().numpy())
    return np.concatenate(scores)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--healthy", default="spectra_healthy.npy")
    ap.add_argument("--monitor", default="spectra_last_24h.npy")
    ap.add_argument("--quantile", type=float, default=0.995)
    args = ap.parse_args()
    healthy = torch.from_numpy(np.load(args.healthy)).float()
    monitor = torch.from_numpy(np.load(args.monitor)).float()
    mu, sigma = healthy.mean(0), healthy.std(0) + 1e-6
    healthy, monitor = (healthy - mu) / sigma, (monitor - mu) / sigma

    model = SpectrumAE(n_bins=healthy.shape[1])
    train(model, DataLoader(TensorDataset(healthy), batch_size=256, shuffle=True))
    threshold = np.quantile(anomaly_scores(model, healthy), args.quantile)
    flagged = np.flatnonzero(anomaly_scores(model, monitor) > threshold)
    print(f"threshold {threshold:.4f}: {len(flagged)} / {len(monitor)} windows flagged")


if __name__ == "__main__":
    main()
