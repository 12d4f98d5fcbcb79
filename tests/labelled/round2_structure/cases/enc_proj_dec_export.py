"""Convolutional autoencoder with a projection bottleneck; after training, the test set's
reconstructions and codes are written to disk for the anomaly-scoring notebook."""
import argparse
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class Encoder(nn.Module):
    def __init__(self, ch=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, ch, 3, stride=2, padding=1), nn.BatchNorm2d(ch), nn.ReLU(),
            nn.Conv2d(ch, ch * 2, 3, stride=2, padding=1), nn.BatchNorm2d(ch * 2), nn.ReLU(),
            nn.Flatten(),
        )

    def forward(self, x):
        return self.net(x)


class Projector(nn.Module):
    def __init__(self, in_dim=64 * 7 * 7, code=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(256, code),
        )

    def forward(self, h):
        return self.net(h)


class Decoder(nn.Module):
    def __init__(self, code=32, ch=32):
        super().__init__()
        self.fc = nn.Linear(code, ch * 2 * 7 * 7)
        self.net = nn.Sequential(
            nn.ConvTranspose2d(ch * 2, ch, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(ch, 1, 4, stride=2, padding=1), nn.Sigmoid(),
        )
        self.ch = ch

    def forward(self, z):
        return self.net(self.fc(z).view(-1, self.ch * 2, 7, 7))


def main(args):
    tfm = transforms.ToTensor()
    train_loader = DataLoader(datasets.FashionMNIST(args.root, train=True, download=True, transform=tfm),
                              batch_size=128, shuffle=True)
    test_loader = DataLoader(datasets.FashionMNIST(args.root, train=False, download=True, transform=tfm),
                             batch_size=256)
    encoder, projector, decoder = Encoder(), Projector(), Decoder()
    params = itertools.chain(encoder.parameters(), projector.parameters(), decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=args.lr)

    for epoch in range(args.epochs):
        running = 0.0
        for x, _ in train_loader:
            recon = decoder(projector(encoder(x)))
            loss = F.binary_cross_entropy(recon, x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * x.size(0)
        print(f"epoch {epoch}: recon loss {running / len(train_loader.dataset):.4f}")

    # dump codes and per-image reconstruction error for the test split
    for m in (encoder, decoder):
        m.eval()
    codes, errors = [], []
    with torch.no_grad():
        for x, _ in test_loader:
            z = projector(encoder(x))
            recon = decoder(z)
            codes.append(z)
            errors.append(F.mse_loss(recon, x, reduction="none").flatten(1).mean(1))
    torch.save({"codes": torch.cat(codes), "errors": torch.cat(errors)}, args.out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--out", default="fmnist_codes.pt")
    main(ap.parse_args())
