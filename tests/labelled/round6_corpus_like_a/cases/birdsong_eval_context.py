"""Bird-song species classifier on log-mel clips; validation runs inside a small mode-restoring helper."""
import argparse
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


@contextmanager
def evaluating(*nets):
    """Put the given modules in eval mode for the block and restore their previous modes afterwards."""
    previous = [net.training for net in nets]
    for net in nets:
        net.eval()
    try:
        yield
    finally:
        for net, mode in zip(nets, previous):
            net.train(mode)


class BirdNet(nn.Module):
    def __init__(self, n_species=264):
        super().__init__()
        layers, ch = [], 1
        for out in (32, 64, 128, 256):
            layers += [nn.Conv2d(ch, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2)]
            ch = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(0.4), nn.Linear(256, n_species))

    def forward(self, mel):  # (B, 1, n_mels, frames)
        return self.head(self.features(mel).amax(dim=(2, 3)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="birds_train.pt")
    ap.add_argument("--val", default="birds_val.pt")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(torch.load(args.train), batch_size=48, shuffle=True, drop_last=True)
    val_loader = DataLoader(torch.load(args.val), batch_size=96)

    model = BirdNet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    model.train()
    for epoch in range(args.epochs):
        for mel, species in train_loader:
            mel, species = mel.to(device), species.to(device)
            loss = F.cross_entropy(model(mel), species, label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        hits = total = 0
        with evaluating(model), torch.no_grad():
            for mel, species in val_loader:
                hits += (model(mel.to(device)).argmax(1).cpu() == species).sum().item()
                total += species.numel()
        print(f"epoch {epoch}: loss {loss.item():.4f} val acc {hits / total:.4f}")
    torch.save(model.state_dict(), "birdnet.pt")


if __name__ == "__main__":
    main()
