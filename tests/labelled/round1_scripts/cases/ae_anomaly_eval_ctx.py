"""Tabular autoencoder for anomaly detection on machine telemetry.

Mid-training reconstruction checks run inside `evaluating(...)`, a small context manager that
puts the modules in eval mode and restores each module's previous mode on exit."""
from contextlib import contextmanager

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


@contextmanager
def evaluating(*modules):
    previous = [m.training for m in modules]
    try:
        for m in modules:
            m.eval()
        yield
    finally:
        for m, was_training in zip(modules, previous):
            m.train(was_training)


class TelemetryAE(nn.Module):
    def __init__(self, n_features=48, bottleneck=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_features, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.1),
                                     nn.Linear(64, bottleneck))
        self.decoder = nn.Sequential(nn.Linear(bottleneck, 64), nn.BatchNorm1d(64), nn.ReLU(),
                                     nn.Linear(64, n_features))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def reconstruction_error(model, x):
    return ((model(x) - x) ** 2).mean(dim=1)


def train(model, x_train, x_val, epochs=50, lr=1e-3, check_every=200):
    loader = DataLoader(TensorDataset(x_train), batch_size=256, shuffle=True, drop_last=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    model.train()
    step = 0
    for epoch in range(epochs):
        for (x,) in loader:
            loss = reconstruction_error(model, x).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % check_every == 0:
                with evaluating(model), torch.no_grad():
                    val_err = reconstruction_error(model, x_val).mean().item()
                print(f"epoch {epoch} step {step}: train {loss.item():.5f} val {val_err:.5f}")
    return model


def main():
    data = torch.load("telemetry.pt")  # {"train": normal-only rows, "val": normal rows, "test": rows, "labels": 0/1}
    mean, std = data["train"].mean(0), data["train"].std(0).clamp(min=1e-6)
    norm = lambda t: (t - mean) / std  # noqa: E731
    model = train(TelemetryAE(data["train"].shape[1]), norm(data["train"]), norm(data["val"]))

    model.eval()
    with torch.inference_mode():
        threshold = torch.quantile(reconstruction_error(model, norm(data["val"])), 0.995)
        flags = reconstruction_error(model, norm(data["test"])) > threshold
    labels = data["labels"].bool()
    tp = (flags & labels).sum().item()
    print(f"threshold {threshold.item():.4f}: precision {tp / max(flags.sum().item(), 1):.3f} "
          f"recall {tp / max(labels.sum().item(), 1):.3f}")
    torch.save(model.state_dict(), "telemetry_ae.pt")


if __name__ == "__main__":
    main()
