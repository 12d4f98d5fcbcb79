"""WGAN-GP on CIFAR-10 (32x32). Five critic updates per generator update; sample grid every 1000 steps."""
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms
from torchvision.utils import save_image

Z_DIM, LAMBDA_GP, N_CRITIC = 128, 10.0, 5


class UpBlock(nn.Module):
    def __init__(self, cin, cout, p_drop=0.1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.bn = nn.BatchNorm2d(cout)
        self.p_drop = p_drop

    def forward(self, x):
        h = F.interpolate(x, scale_factor=2, mode="nearest")
        h = F.relu(self.bn(self.conv(h)))
        return F.dropout(h, self.p_drop)


class Generator(nn.Module):
    def __init__(self, ch=256):
        super().__init__()
        self.ch = ch
        self.fc = nn.Linear(Z_DIM, 4 * 4 * ch)
        self.blocks = nn.Sequential(UpBlock(ch, ch), UpBlock(ch, ch // 2), UpBlock(ch // 2, ch // 4))
        self.to_rgb = nn.Conv2d(ch // 4, 3, 3, padding=1)

    def forward(self, z):
        h = self.fc(z).view(-1, self.ch, 4, 4)
        return torch.tanh(self.to_rgb(self.blocks(h)))


class Critic(nn.Module):
    """No BatchNorm in the critic: the gradient penalty is per-sample. LayerNorm instead."""

    def __init__(self, ch=128, p_drop=0.2):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, ch, 3, 2, 1), nn.Conv2d(ch, 2 * ch, 3, 2, 1),
                                    nn.Conv2d(2 * ch, 4 * ch, 3, 2, 1)])
        self.norms = nn.ModuleList([nn.LayerNorm([ch, 16, 16]), nn.LayerNorm([2 * ch, 8, 8]),
                                    nn.LayerNorm([4 * ch, 4, 4])])
        self.fc = nn.Linear(4 * 4 * 4 * ch, 1)
        self.p_drop = p_drop

    def forward(self, x):
        h = x
        for conv, norm in zip(self.convs, self.norms):
            h = F.leaky_relu(norm(conv(h)), 0.2)
        h = F.dropout(h.flatten(1), self.p_drop, training=self.training)
        return self.fc(h)


def gradient_penalty(critic, real, fake):
    alpha = torch.rand(real.size(0), 1, 1, 1, device=real.device)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(interp)
    grads = torch.autograd.grad(outputs=scores, inputs=interp, grad_outputs=torch.ones_like(scores),
                                create_graph=True, retain_graph=True)[0]
    return ((grads.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def sample_grid(G, z, path):
    was_training = G.training
    G.eval()
    with torch.no_grad():
        imgs = G(z)
    G.train(was_training)
    save_image(imgs, path, nrow=8, normalize=True, value_range=(-1, 1))


def main(steps=100_000, device="cuda"):
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    loader = torch.utils.data.DataLoader(datasets.CIFAR10("data", train=True, download=True, transform=tf),
                                         batch_size=64, shuffle=True, drop_last=True, num_workers=4)
    batches = (x for _ in itertools.count() for x, _ in loader)
    G, D = Generator().to(device), Critic().to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.0, 0.9))
    fixed_z = torch.randn(64, Z_DIM, device=device)

    for step in range(steps):
        for _ in range(N_CRITIC):
            real = next(batches).to(device)
            with torch.no_grad():
                fake = G(torch.randn(real.size(0), Z_DIM, device=device))
            d_loss = D(fake).mean() - D(real).mean() + LAMBDA_GP * gradient_penalty(D, real, fake)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()

        g_loss = -D(G(torch.randn(64, Z_DIM, device=device))).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

        if step % 1000 == 0:
            print(f"step {step}: W-dist {-d_loss.item():.3f} g_loss {g_loss.item():.3f}")
            sample_grid(G, fixed_z, f"samples/wgan_{step:06d}.png")


if __name__ == "__main__":
    main()
