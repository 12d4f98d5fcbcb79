"""Convolutional denoising autoencoder; logs reconstructions to TensorBoard every N steps."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter
from torchvision import datasets, transforms
from torchvision.utils import make_grid


class DenoisingAE(nn.Module):
    def __init__(self, ch=32):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, ch, 3, 2, 1), nn.BatchNorm2d(ch), nn.ReLU(),
            nn.Conv2d(ch, 2 * ch, 3, 2, 1), nn.BatchNorm2d(2 * ch), nn.ReLU(), nn.Dropout2d(0.1))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1), nn.BatchNorm2d(ch), nn.ReLU(),
            nn.ConvTranspose2d(ch, 1, 4, 2, 1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def add_noise(x, std=0.3):
    return (x + std * torch.randn_like(x)).clamp(0, 1)


def log_reconstructions(model, clean, writer, step):
    model.eval()
    with torch.no_grad():
        noisy = add_noise(clean[:8])
        recon = model(noisy)
    grid = make_grid(torch.cat([clean[:8], noisy, recon]), nrow=8)
    writer.add_image("reconstructions", grid, step)


def train(model, loader, optimizer, writer, epochs, device, log_every=200):
    model.train()
    step = 0
    for epoch in range(epochs):
        for clean, _ in loader:
            clean = clean.to(device)
            recon = model(add_noise(clean))
            loss = F.binary_cross_entropy(recon, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            writer.add_scalar("loss/train", loss.item(), step)
            if step % log_every == 0:
                log_reconstructions(model, clean, writer, step)
            step += 1
        print(f"epoch {epoch}: last loss {loss.item():.4f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--out", default="dae.pt")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    ds = datasets.FashionMNIST("data", train=True, download=True, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(ds, batch_size=128, shuffle=True, num_workers=2)
    model = DenoisingAE().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    writer = SummaryWriter("runs/dae")
    train(model, loader, optimizer, writer, args.epochs, device)
    torch.save(model.state_dict(), args.out)
    writer.close()


if __name__ == "__main__":
    main()
