"""WGAN (weight clipping) for 1-D sensor waveforms; the trainer keeps both networks in a dict."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

Z_DIM, LENGTH = 64, 128


class Generator(nn.Module):
    def __init__(self, z_dim=Z_DIM, length=LENGTH, p=0.1):
        super().__init__()
        self.fc1 = nn.Linear(z_dim, 256)
        self.fc2 = nn.Linear(256, length)
        self.p = p

    def forward(self, z):
        h = F.leaky_relu(self.fc1(z), 0.2)
        h = F.dropout(h, self.p, self.training)
        return torch.tanh(self.fc2(h))


class Critic(nn.Module):
    def __init__(self, length=LENGTH, p=0.3):
        super().__init__()
        self.fc1 = nn.Linear(length, 256)
        self.fc2 = nn.Linear(256, 256)
        self.out = nn.Linear(256, 1)
        self.p = p

    def forward(self, x):
        h = F.leaky_relu(self.fc1(x), 0.2)
        h = F.dropout(h, p=self.p)
        h = F.leaky_relu(self.fc2(h), 0.2)
        return self.out(h)


def set_train(nets):
    for net in nets.values():
        net.train()


@torch.no_grad()
def evaluate_samples(nets, real, z):
    nets["G"].eval()
    nets["D"].eval()
    fake = nets["G"](z)
    gap = (nets["D"](real).mean() - nets["D"](fake).mean()).item()
    return fake.cpu(), gap


def train(loader, epochs=50, n_critic=5, clip=0.01, device="cpu"):
    nets = {"G": Generator().to(device), "D": Critic().to(device)}
    opts = {name: torch.optim.RMSprop(net.parameters(), lr=5e-5) for name, net in nets.items()}
    G, D = nets["G"], nets["D"]
    fixed_z = torch.randn(16, Z_DIM, device=device)
    step = 0
    for epoch in range(epochs):
        set_train(nets)
        for real in loader:
            real = real.to(device)
            fake = G(torch.randn(real.size(0), Z_DIM, device=device))
            d_loss = D(fake.detach()).mean() - D(real).mean()
            opts["D"].zero_grad()
            d_loss.backward()
            opts["D"].step()
            for p in D.parameters():
                p.data.clamp_(-clip, clip)
            if step % n_critic == 0:
                g_loss = -D(fake).mean()
                opts["G"].zero_grad()
                g_loss.backward()
                opts["G"].step()
            step += 1
        samples, gap = evaluate_samples(nets, real, fixed_z)
        print(f"epoch {epoch}: critic gap {gap:.4f} sample std {samples.std().item():.3f}")
        torch.save({name: net.state_dict() for name, net in nets.items()}, f"wgan_{epoch:03d}.pt")
    return nets


if __name__ == "__main__":
    waves = torch.load("sensor_windows.pt")  # (N, 128) in [-1, 1]
    train(DataLoader(waves, batch_size=64, shuffle=True, drop_last=True))
