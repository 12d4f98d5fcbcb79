"""Small ViT on CIFAR-10 (patch 4, depth 6) using torch 2 scaled_dot_product_attention."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T

parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int, default=100)
parser.add_argument('--lr', type=float, default=1e-3)
parser.add_argument('--attn-drop', type=float, default=0.1)
parser.add_argument('--drop', type=float, default=0.1)
args = parser.parse_args()
device = 'cuda' if torch.cuda.is_available() else 'cpu'


class Attention(nn.Module):
    def __init__(self, dim, heads=8, attn_drop=0.0, proj_drop=0.0):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = attn_drop
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        x = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop)
        x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4, drop=0.0, attn_drop=0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, attn_drop, drop)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * mlp_ratio), nn.GELU(), nn.Dropout(drop),
                                 nn.Linear(dim * mlp_ratio, dim), nn.Dropout(drop))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, img=32, patch=4, dim=192, depth=6, heads=3, n_classes=10, drop=0.1, attn_drop=0.1):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, (img // patch) ** 2 + 1, dim) * 0.02)
        self.emb_drop = drop
        self.blocks = nn.Sequential(*[Block(dim, heads, drop=drop, attn_drop=attn_drop) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        x = F.dropout(x, self.emb_drop, self.training)
        x = self.blocks(x)
        return self.head(self.norm(x)[:, 0])


MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
trainloader = torch.utils.data.DataLoader(
    torchvision.datasets.CIFAR10('./data', train=True, download=True, transform=T.Compose([
        T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])),
    batch_size=128, shuffle=True, num_workers=4)
testloader = torch.utils.data.DataLoader(
    torchvision.datasets.CIFAR10('./data', train=False, download=True,
                                 transform=T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])),
    batch_size=256, shuffle=False, num_workers=4)

net = ViT(drop=args.drop, attn_drop=args.attn_drop).to(device)
optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.05)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)


def train(epoch):
    net.train()
    for inputs, targets in trainloader:
        inputs, targets = inputs.to(device), targets.to(device)
        loss = F.cross_entropy(net(inputs), targets, label_smoothing=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()


@torch.inference_mode()
def test(epoch):
    net.eval()
    correct = 0
    for x, y in testloader:
        correct += (net(x.to(device)).argmax(1).cpu() == y).sum().item()
    print(f'epoch {epoch}: test acc {100.0 * correct / len(testloader.dataset):.2f}%')


for epoch in range(args.epochs):
    train(epoch)
    test(epoch)
torch.save(net.state_dict(), 'vit_cifar.pth')
