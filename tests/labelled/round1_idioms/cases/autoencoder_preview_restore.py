"""Convolutional denoising autoencoder for 64x64 grayscale scans.

Reconstructions of a fixed batch are saved every few hundred steps, and the validation
loss is printed at the end of every epoch.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.utils import save_image


class DenoisingAE(nn.Module):
    def __init__(self, width=32, code=128):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.BatchNorm2d(width), nn.LeakyReLU(0.2),
            nn.Conv2d(width, width * 2, 4, 2, 1), nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2),
            nn.Conv2d(width * 2, width * 4, 4, 2, 1), nn.BatchNorm2d(width * 4), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Dropout(0.1), nn.Linear(width * 4 * 8 * 8, code),
        )
        self.decoder = nn.Sequential(
            nn.Linear(code, width * 4 * 8 * 8), nn.Unflatten(1, (width * 4, 8, 8)),
            nn.ConvTranspose2d(width * 4, width * 2, 4, 2, 1), nn.BatchNorm2d(width * 2), nn.ReLU(),
            nn.ConvTranspose2d(width * 2, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def corrupt(x, sigma=0.2):
    return (x + sigma * torch.randn_like(x)).clamp(0, 1)


def save_preview(model, clean, path):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        recon = model(corrupt(clean))
    save_image(torch.cat([clean, recon]), path, nrow=len(clean))
    model.train(was_training)


def validation_loss(model, val_loader, device):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for x, _ in val_loader:
            x = x.to(device)
            total += F.mse_loss(model(corrupt(x)), x, reduction="sum").item()
            n += x.numel()
    return total / n


def train(train_loader, val_loader, epochs=40, device="cuda"):
    model = DenoisingAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    fixed, _ = next(iter(val_loader))
    fixed = fixed[:8].to(device)
    for epoch in range(epochs):
        for step, (x, _) in enumerate(train_loader):
            x = x.to(device)
            recon = model(corrupt(x))
            loss = F.mse_loss(recon, x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 300 == 0:
                save_preview(model, fixed, f"preview_e{epoch:02d}_s{step:05d}.png")
        print(f"epoch {epoch}: train mse {loss.item():.5f} val mse {validation_loss(model, val_loader, device):.5f}")
        torch.save(model.state_dict(), "dae.pt")
    return model
