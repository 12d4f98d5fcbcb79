"""SRResNet x4 trained with pixel + VGG perceptual loss (course project on DIV2K crops)."""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader

from datasets import DIV2KCrops  # local: yields (lr, hr) pairs in [0, 1]

parser = argparse.ArgumentParser()
parser.add_argument('--data', default='data/DIV2K')
parser.add_argument('--epochs', type=int, default=100)
parser.add_argument('--lr', type=float, default=1e-4)
parser.add_argument('--perc-weight', type=float, default=6e-3)
args = parser.parse_args()
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')


class ResidualBlock(nn.Module):
    def __init__(self, ch=64):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1), nn.BatchNorm2d(ch), nn.PReLU(),
                                  nn.Conv2d(ch, ch, 3, padding=1), nn.BatchNorm2d(ch))

    def forward(self, x):
        return x + self.body(x)


class SRResNet(nn.Module):
    def __init__(self, n_blocks=16, ch=64):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(3, ch, 9, padding=4), nn.PReLU())
        self.blocks = nn.Sequential(*[ResidualBlock(ch) for _ in range(n_blocks)])
        self.mid = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1), nn.BatchNorm2d(ch))
        self.up = nn.Sequential(nn.Conv2d(ch, ch * 4, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(),
                                nn.Conv2d(ch, ch * 4, 3, padding=1), nn.PixelShuffle(2), nn.PReLU())
        self.tail = nn.Conv2d(ch, 3, 9, padding=4)

    def forward(self, x):
        h = self.head(x)
        h = h + self.mid(self.blocks(h))
        return self.tail(self.up(h))


train_loader = DataLoader(DIV2KCrops(args.data, split='train', crop=96), batch_size=16, shuffle=True, num_workers=4)
val_loader = DataLoader(DIV2KCrops(args.data, split='valid', crop=None), batch_size=1)

generator = SRResNet().to(device)
# perceptual network: VGG19-BN conv features up to relu5_4, kept fixed
vgg = torchvision.models.vgg19_bn(weights=torchvision.models.VGG19_BN_Weights.IMAGENET1K_V1).features[:52].to(device)
for p in vgg.parameters():
    p.requires_grad = False
imagenet_mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
imagenet_std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)
optimizer = torch.optim.Adam(generator.parameters(), lr=args.lr)


def perceptual_loss(sr, hr):
    sr_feat = vgg((sr - imagenet_mean) / imagenet_std)
    with torch.no_grad():
        hr_feat = vgg((hr - imagenet_mean) / imagenet_std)
    return F.mse_loss(sr_feat, hr_feat)


def train(epoch):
    generator.train()
    for i, (lr_img, hr_img) in enumerate(train_loader):
        lr_img, hr_img = lr_img.to(device), hr_img.to(device)
        sr = generator(lr_img)
        loss = F.mse_loss(sr, hr_img) + args.perc_weight * perceptual_loss(sr, hr_img)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % 100 == 0:
            print('epoch %d iter %d loss %.5f' % (epoch, i, loss.item()))


def validate(epoch):
    generator.eval()
    psnr = 0.0
    with torch.no_grad():
        for lr_img, hr_img in val_loader:
            sr = generator(lr_img.to(device)).clamp(0, 1)
            mse = F.mse_loss(sr, hr_img.to(device)).item()
            psnr += 10 * math.log10(1.0 / max(mse, 1e-10))
    print('epoch %d: val PSNR %.2f dB' % (epoch, psnr / len(val_loader)))


for epoch in range(1, args.epochs + 1):
    train(epoch)
    validate(epoch)
    torch.save(generator.state_dict(), 'srresnet_perceptual.pth')
